"""The `synced` check: inspect the applied database, normalize both models and name every
object that differs from the spec."""
from __future__ import annotations

from contextlib import nullcontext

from generator.db.connect import connect
from generator.db.inspect import inspect
from generator.model import Schema
from generator.postgres.normalize import normalize
from generator.postgres.server_form import in_server_form
from generator.postgres.unmanaged import without_unmanaged
from generator.verify.compare import Difference, compare
from generator.verify.report import Result, failed, passed


def spec_schemas(schema: Schema) -> tuple[str, ...]:
    """The PostgreSQL schemas a spec owns (always public)."""
    return tuple(sorted({t.schema for t in schema.tables} | set(schema.schemas) | {"public"}))


def _connection(url_or_conn):
    return connect(url_or_conn, autocommit=True) if isinstance(url_or_conn, str) else nullcontext(url_or_conn)


def differences(spec: Schema, url_or_conn) -> list[Difference]:
    """Declared vs inspected, each expression of the spec in the server's own spelling (the
    server deparses it: no guessing how PostgreSQL rewrites a default or a view)."""
    with _connection(url_or_conn) as conn:
        inspected = inspect(conn, schemas=spec_schemas(spec))
        declared = in_server_form(conn, spec)
    return compare(normalize(declared), normalize(without_unmanaged(inspected, spec)))


def check_synced(spec: Schema, url_or_conn) -> list[Result]:
    diffs = differences(spec, url_or_conn)
    if not diffs:
        return [passed("synced", "database", "inspected schema equals the spec")]
    return [failed("synced", d.name, d.kind, d.problem) for d in diffs]
