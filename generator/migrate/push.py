"""`gen push`, the development loop: compare the live database with the spec and apply the
difference directly (no migration files, no history). Destructive changes are refused unless
acknowledged (the spec's `migrations.allow_destructive` or --allow-destructive), production
databases unless told explicitly. Indexes are built in the transaction (not concurrently);
new enum values are committed first, as PostgreSQL requires before they are used."""
from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.db.inspect import inspect
from generator.diff import database_changes, diff, external_trigger_changes
from generator.migrate import protect, safety
from generator.migrate.align import align
from generator.migrate.project import Project
from generator.migrate.script import blocking, split_parts
from generator.migrate.verify import prepare, schemas_of
from generator.model import Schema, replace
from generator.postgres.server_form import in_server_form

PUSH_LOCK = "gen:migrate"   # the same lock as migrate up: a push never interleaves with a deploy
# PUBLIC's entry in the database's ACL ("=Tc/owner"); no ACL at all is PostgreSQL's default: TEMPORARY for all
_PUBLIC_TEMP = """SELECT datacl IS NULL OR EXISTS (SELECT 1 FROM unnest(datacl) a WHERE a::text ~ '^=[^/]*T')
FROM pg_catalog.pg_database WHERE datname = current_database()"""
_TRIGGER_EXISTS = """SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s AND t.tgname = %s"""


@dataclass
class Pushed:
    statements: list[str] = field(default_factory=list)   # comments of what ran (or would run)
    sql: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    applied: bool = False


def _roles(conn: psycopg.Connection, want: Schema) -> tuple:
    names = [r.name for r in want.roles]
    have = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()}
    return tuple(r for r in want.roles if r.name in have)


def _external(conn: psycopg.Connection, want: Schema) -> tuple:
    return tuple(x for x in want.external_triggers
                 if conn.execute(_TRIGGER_EXISTS, (x.schema, x.table, x.trigger.name)).fetchone())


def changes_to(url: str, want: Schema) -> list:
    """What turns the live database into `want`, objects taken from the spec where they agree."""
    with connect(url, autocommit=True) as conn:
        live = inspect(conn, schemas_of(want))
        aligned = align(live, want, in_server_form(conn, want))
        temp = conn.execute(_PUBLIC_TEMP).fetchone()[0]
        aligned = replace(aligned, roles=_roles(conn, want), external_triggers=_external(conn, want),
                          settings=replace(want.settings, temp_tables=temp))
    return diff(aligned, want) + external_trigger_changes(aligned, want) + database_changes(aligned, want)


def push(url: str, project: Project, allow_destructive: bool = False, dry_run: bool = False,
         i_know_production: bool = False) -> Pushed:
    if not dry_run:
        protect.refuse_production(url, project.schema, "push to", i_know_production)
        prepare(url, project.schema)
    changes = changes_to(url, project.schema)
    result = Pushed()
    if not changes:
        return result
    risks = safety.risks(changes)
    if not allow_destructive and not dry_run:
        safety.refuse(safety.unacknowledged(risks, project.allow_destructive), project.spec)
    result.acknowledged = [r.key for r in risks]
    parts = split_parts([blocking(c) for c in changes])
    for part in parts:
        result.statements += [s.comment for s in part.up]
        result.sql += [s.sql for s in part.up]
    if dry_run:
        return result
    for part in parts:
        apply_statements(url, part.up, lock=PUSH_LOCK)
    result.applied = True
    return result
