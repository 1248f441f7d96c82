"""The `synced` check: inspect the applied database, normalize both models and name every
object that differs from the spec."""
from __future__ import annotations

from dataclasses import replace

from generator.db.inspect import inspect
from generator.model import Schema
from generator.postgres.normalize import normalize
from generator.verify.compare import Difference, compare
from generator.verify.report import Result, failed, passed

# Roles the Supabase shim (and Supabase itself) grant table privileges to by default privileges.
SUPABASE_DEFAULT_GRANTEES = ("anon", "authenticated", "service_role")


def spec_schemas(schema: Schema) -> tuple[str, ...]:
    """The PostgreSQL schemas a spec owns (always public)."""
    return tuple(sorted({t.schema for t in schema.tables} | set(schema.schemas) | {"public"}))


def without_default_grants(inspected: Schema, spec: Schema) -> Schema:
    """Drop grants that Supabase's default privileges add to every table, unless the spec
    itself grants something to that role on that table."""
    if spec.settings.flavor != "supabase":
        return inspected
    declared = {t.key: {g.role for g in t.grants} for t in spec.tables}
    tables = []
    for t in inspected.tables:
        keep = tuple(g for g in t.grants
                     if g.role not in SUPABASE_DEFAULT_GRANTEES or g.role in declared.get(t.key, ()))
        tables.append(replace(t, grants=keep))
    return replace(inspected, tables=tuple(tables))


def differences(spec: Schema, url_or_conn) -> list[Difference]:
    inspected = inspect(url_or_conn, schemas=spec_schemas(spec))
    return compare(normalize(spec), normalize(without_default_grants(inspected, spec)))


def check_synced(spec: Schema, url_or_conn) -> list[Result]:
    diffs = differences(spec, url_or_conn)
    if not diffs:
        return [passed("synced", "database", "inspected schema equals the spec")]
    return [failed("synced", d.name, d.kind, d.problem) for d in diffs]
