"""The `synced` check: inspect the applied database, normalize both models and name every
object that differs from the spec."""
from __future__ import annotations

from generator.db.inspect import inspect
from generator.model import Schema
from generator.postgres.normalize import normalize
from generator.postgres.unmanaged import without_unmanaged
from generator.verify.compare import Difference, compare
from generator.verify.report import Result, failed, passed

def spec_schemas(schema: Schema) -> tuple[str, ...]:
    """The PostgreSQL schemas a spec owns (always public)."""
    return tuple(sorted({t.schema for t in schema.tables} | set(schema.schemas) | {"public"}))


def differences(spec: Schema, url_or_conn) -> list[Difference]:
    inspected = inspect(url_or_conn, schemas=spec_schemas(spec))
    return compare(normalize(spec), normalize(without_unmanaged(inspected, spec)))


def check_synced(spec: Schema, url_or_conn) -> list[Result]:
    diffs = differences(spec, url_or_conn)
    if not diffs:
        return [passed("synced", "database", "inspected schema equals the spec")]
    return [failed("synced", d.name, d.kind, d.problem) for d in diffs]
