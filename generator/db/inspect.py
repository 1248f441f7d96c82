"""Inspect a live PostgreSQL database back into the shared model (model.Schema): tables,
enums, extensions, views, functions and the schemas they live in, sorted deterministically."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import psycopg
from psycopg.rows import dict_row

from generator.db import inspect_objects as objects
from generator.db import queries
from generator.db.connect import connect, describe
from generator.db.inspect_tables import (Fetch, grants_by_relid, indexes_of, inspect_tables, strip_outer_parens,
                                         trigger_of)
from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic, GenError
from generator.model import Enum, Extension, Function, Schema, Settings, View

VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
# Expressions print schema-qualified names for anything outside the search_path; pin it so
# the output does not depend on the caller's session.
SEARCH_PATH = "public"


def inspect(url_or_conn: str | psycopg.Connection, schemas: tuple[str, ...] = ("public",),
            name: str = "inspected") -> Schema:
    """Read the objects of `schemas` (and all extensions) from a URL or an open connection.
    A connection that fails mid-way is DB005 (exit 3)."""
    try:
        with _session(url_or_conn) as conn:
            return _read(conn, schemas, name)
    except psycopg.Error as exc:
        where = describe(url_or_conn) if isinstance(url_or_conn, str) else "the database"
        raise GenError([Diagnostic("DB005", f"inspecting {where} failed: {str(exc).strip().splitlines()[0]}",
                                   name="db.inspect", hint="check the connection and the user's rights")],
                       EXIT_ENVIRONMENT) from None


def _read(conn: psycopg.Connection, schemas: tuple[str, ...], name: str) -> Schema:
    fetch, version, wanted = _fetcher(conn), conn.info.server_version, list(schemas)
    tables = inspect_tables(fetch, wanted, version)
    enums = _enums(fetch, wanted)
    views = _views(fetch, wanted, version)
    functions = _functions(fetch, wanted, version)
    extra = dict(sequences=objects.sequences(fetch, wanted), collations=objects.collations(fetch, wanted, version),
                 domains=objects.domains(fetch, wanted), composites=objects.composites(fetch, wanted),
                 ranges=objects.ranges(fetch, wanted, version), aggregates=objects.aggregates(fetch, wanted),
                 namespaces=objects.namespaces(fetch, wanted))
    used = {o.schema for o in (*tables, *enums, *views, *functions, *[x for v in extra.values() for x in v
                                                                       if hasattr(x, "schema")])} - {"public"}
    return Schema(
        name=name, tables=tuple(tables), enums=tuple(enums), extensions=tuple(_extensions(fetch)),
        functions=tuple(functions), views=tuple(views), schemas=tuple(sorted(used)),
        settings=Settings(version=version // 10000), **{k: tuple(v) for k, v in extra.items()})


@contextmanager
def _session(url_or_conn: str | psycopg.Connection) -> Iterator[psycopg.Connection]:
    """Our own connection for a URL (closed after); a caller's keeps its search_path."""
    if isinstance(url_or_conn, str):
        with connect(url_or_conn, autocommit=True) as conn:
            conn.execute("SELECT set_config('search_path', %s, false)", (SEARCH_PATH,))
            yield conn
        return
    conn = url_or_conn
    old = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, false)", (SEARCH_PATH,))
    try:
        yield conn
    finally:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            conn.execute("SELECT set_config('search_path', %s, false)", (old,))


def _fetcher(conn: psycopg.Connection) -> Fetch:
    def fetch(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    return fetch


def _enums(fetch: Fetch, schemas: list[str]) -> list[Enum]:
    rows = fetch(queries.ENUMS, {"schemas": schemas})
    return sorted((Enum(r["name"], tuple(r["labels"]), r["schema"], r["comment"]) for r in rows),
                  key=lambda e: e.key)


def _extensions(fetch: Fetch) -> list[Extension]:
    return sorted((Extension(r["name"], r["schema"], r["version"]) for r in fetch(queries.EXTENSIONS, {})),
                  key=lambda e: e.name)


def _views(fetch: Fetch, schemas: list[str], version: int) -> list[View]:
    rows = fetch(queries.VIEWS, {"schemas": schemas})
    oids = [r["oid"] for r in rows]
    grants = grants_by_relid(fetch, oids)
    indexes = indexes_of(fetch, [r["oid"] for r in rows if r["materialized"]], version >= 150000)
    triggers: dict[int, list] = {}
    for t in fetch(queries.triggers(version), {"relids": oids}):
        triggers.setdefault(t["relid"], []).append(trigger_of(t))
    views = [View(name=r["name"], query=_view_query(r["query"]), schema=r["schema"],
                  security_invoker=_option_true(r["options"], "security_invoker"), comment=r["comment"],
                  grants=tuple(grants.get(r["oid"], ())), materialized=r["materialized"],
                  indexes=tuple(sorted(indexes.get(r["oid"], ()), key=lambda i: i.name)),
                  triggers=tuple(sorted(triggers.get(r["oid"], ()), key=lambda t: t.name)),
                  options=_view_options(r["options"])) for r in rows]
    return sorted(views, key=lambda v: v.key)


def _view_options(options: list[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = (tuple(o.split("=", 1)) for o in options or ())
    return tuple(sorted((k, v) for k, v in pairs if k != "security_invoker"))


def _view_query(text: str) -> str:
    return text.strip().rstrip(";").strip()


def _option_true(options: list[str] | None, key: str) -> bool:
    for option in options or ():
        k, _, v = option.partition("=")
        if k == key:
            return v.lower() in ("true", "on", "yes", "1")
    return False


def _functions(fetch: Fetch, schemas: list[str], version: int) -> list[Function]:
    rows = fetch(queries.functions(version >= 140000), {"schemas": schemas})
    out = [Function(
        name=r["name"], returns=r["returns"] or "", body=r["body"], schema=r["schema"], args=r["args"],
        language=r["language"], volatility=VOLATILITY[r["volatility"]],
        security_definer=r["security_definer"], search_path=_search_path(r["config"]),
        comment=r["comment"], execute=None if r["execute"] is None else tuple(sorted(r["execute"])),
        kind=KINDS[r["kind"]], strict=r["strict"], leakproof=r["leakproof"], parallel=PARALLEL[r["parallel"]],
        cost=_cost(r), rows=_rows(r), config=_config(r["config"]), atomic=r["atomic"])
        for r in rows]
    return sorted(out, key=lambda f: f.key)


KINDS = {"f": "function", "p": "procedure", "w": "window"}
PARALLEL = {"s": "SAFE", "r": "RESTRICTED", "u": "UNSAFE"}


def _cost(r: dict) -> float | None:
    default = 1 if r["language"] in ("c", "internal") else 100
    return None if r["cost"] == default else float(r["cost"])


def _rows(r: dict) -> float | None:
    default = 1000 if r["retset"] else 0
    return None if r["rows"] == default else float(r["rows"])


def _config(config: list[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = (tuple(item.split("=", 1)) for item in config or ())
    return tuple(sorted((k, v) for k, v in pairs if k != "search_path"))


def _search_path(config: list[str] | None) -> str | None:
    """The function's SET search_path as SQL: PostgreSQL stores `SET search_path = ''` as
    `search_path=""`, which is not valid SQL to set it again."""
    for item in config or ():
        key, _, value = item.partition("=")
        if key == "search_path":
            return ", ".join("''" if part.strip() == '""' else part.strip() for part in value.split(","))
    return None


__all__ = ["inspect", "strip_outer_parens"]
