"""Reads through every view and every SECURITY DEFINER function the spec declares, as a
differential test: what an actor gets through them must not change when the rows the actor
cannot see (per table, whatever its own SELECT does not return) are deleted. In one rolled-back
transaction per actor: read through each view and call each function (arguments drawn from
the ids of both principals' rows, typed samples otherwise), note the actor's visible rows,
delete the rest as the owner with foreign keys and triggers off, read again. A view or function
the actor may not use is a pass (refused)."""
from __future__ import annotations

import itertools

import psycopg

from generator.model import Table
from generator.model.naming import quote_ident
from generator.resolve.columns import ColumnSyntaxError, parse_type
from generator.verify.actors import Actor, enter
from generator.verify.attempt import Outcome, attempt
from generator.verify.probe import Verdict, q
from generator.verify.report import Result
from generator.verify.rls_sweep import REPLICA
from generator.verify.stage import Stage
from generator.verify.values import base_values

MAX_CALLS = 48
PRINCIPALS = ("A", "B", "U1", "U2")


def attacks(st: Stage) -> list[Result]:
    sources = _views(st) + _functions(st)
    if not sources:
        return []
    out = []
    for who, actor in _actors(st):
        got = compare(st, actor, [sql for _, _, calls in sources for _, sql in calls])
        for check, name, calls in sources:
            out.append(Result(check, name, f"as {who}: same result without rows it cannot see",
                              *_verdict(calls, got)))
    return out


def _actors(st: Stage) -> list[tuple[str, Actor]]:
    user, nobody = st.actor_for(st.main_role), st.nobody()
    return [(f"{user.role} ({st.whom(user)})", user), (f"{nobody.role} (no user)", nobody)]


def _mentions(st: Stage, text: str) -> bool:
    return st.only is None or any(t.name in text for t in st.schema.tables if t.key in st.only)


def _views(st: Stage) -> list[tuple[str, str, list]]:
    out = []
    for v in st.schema.views:
        if _mentions(st, v.query):
            out.append(("view", v.name if v.schema == "public" else f"{v.schema}.{v.name}", [(v.name, _read(v.qname))]))
    return out


def _read(source: str) -> str:
    """Everything `source` (a view, a function call) returns, as one comparable value."""
    return f"SELECT count(*), coalesce(array_agg(x::text ORDER BY x::text), '{{}}') FROM {source} AS x"


def _functions(st: Stage) -> list[tuple[str, str, list]]:
    wanted = {(f.schema, f.name) for f in st.schema.functions if f.security_definer and _mentions(st, f.body)}
    if not wanted:
        return []
    sql = ("SELECT n.nspname, p.proname, array(SELECT format_type(a, NULL) FROM unnest(p.proargtypes) a), "
           "pg_get_function_identity_arguments(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
           "WHERE p.prosecdef AND p.prorettype NOT IN ('trigger'::regtype, 'void'::regtype) "
           "AND p.prokind = 'f' ORDER BY 1, 2, 4")
    out = []
    for schema, name, types, shown in st.prober.conn.execute(sql).fetchall():
        if (schema, name) not in wanted:
            continue
        fn = f"{quote_ident(schema)}.{quote_ident(name)}"
        calls = [(f"{name}({', '.join(a)})", _read(f"{fn}({', '.join(a)})")) for a in arguments(st, list(types))]
        label = f"{name}({shown})" if schema == "public" else f"{schema}.{name}({shown})"
        out.append(("function", label, calls))
    return out


def arguments(st: Stage, types: list[str]) -> list[tuple[str, ...]]:
    """Argument lists to call with: ids of both principals' rows for uuid parameters, typed
    samples otherwise; at most MAX_CALLS combinations, in a fixed order."""
    pools = [_samples(st, t) for t in types]
    return list(itertools.islice(itertools.product(*pools), MAX_CALLS))


def _samples(st: Stage, typ: str) -> list[str]:
    if typ == "uuid":
        return _ids(st) or ["NULL::uuid"]
    try:
        dt, _ = parse_type(typ, {e.name: (e.schema, e.name) for e in st.schema.enums})
    except ColumnSyntaxError:
        return [f"NULL::{typ}"]
    return base_values(dt, st.schema, 1)[:2] or [f"NULL::{typ}"]


def _ids(st: Stage) -> list[str]:
    seen: dict[str, None] = {}
    for (key, label), row in sorted(st.world.rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if label not in PRINCIPALS:
            continue
        t = row.table
        keys = set(t.primary_key.columns if t.primary_key else ()) | {c for fk in t.foreign_keys for c in fk.columns}
        for c in t.columns:
            if c.name in keys and c.type.base == "uuid" and not c.type.is_array and row.values.get(c.name):
                seen[f"'{row.values[c.name]}'::uuid"] = None
    return list(seen)


def compare(st: Stage, actor: Actor, queries: list[str]) -> dict[str, tuple[Outcome, Outcome]]:
    """Each query's outcome as `actor`, before and after the rows it cannot see are deleted."""
    conn = st.prober.conn
    with conn.transaction(force_rollback=True):
        enter(conn, st.ident, actor)
        before = {sql: attempt(conn, sql, undo=True) for sql in queries}
        visible = {t.key: _visible(conn, t) for t in st.schema.tables}
        conn.execute("RESET ROLE")
        conn.execute(REPLICA)
        for t in st.schema.tables:
            conn.execute(f"DELETE FROM {q(t)} WHERE NOT (ctid = ANY(%s::tid[]))", (visible[t.key],))
        conn.execute("SET LOCAL session_replication_role = origin")
        enter(conn, st.ident, actor)
        after = {sql: attempt(conn, sql, undo=True) for sql in queries}
        conn.execute("RESET ROLE")
    return {sql: (before[sql], after[sql]) for sql in queries}


def _visible(conn: psycopg.Connection, t: Table) -> list[str]:
    got = attempt(conn, f"SELECT ctid::text FROM {q(t)}")
    return [r[0] for r in got.rows] if got.ok else []


def _verdict(calls: list[tuple[str, str]], got: dict) -> Verdict:
    refused = []
    for label, sql in calls:
        before, after = got[sql]
        if not before.ok:
            refused.append(before)
            continue
        if not after.ok:
            return "warn", f"{label} failed once rows were deleted: {after.describe()}"
        if before.rows != after.rows:
            n0, n1 = before.rows[0][0], after.rows[0][0]
            shown = f"{n0} row(s), {n1} once they are deleted" if (n0, n1) != (1, 1) else \
                f"{_one(before)} before, {_one(after)} after"
            return "fail", f"{label} shows what the caller cannot see: {shown}"
    if refused and len(refused) == len(calls):
        o = refused[0]
        return ("pass", f"refused: {o.describe()}") if o.sqlstate == "42501" else ("warn", f"failed: {o.describe()}")
    return "pass", f"{len(calls)} call(s)" if len(calls) > 1 else ""


def _one(o: Outcome) -> str:
    values = o.rows[0][1]
    return values[0] if values else "nothing"
