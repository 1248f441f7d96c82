"""SQL for Citus: the session settings first, then (after the tables and their keys, before
foreign keys, indexes, triggers and policies) one guarded call per new table. Every call is
skipped when the session says `SET gen.citus = 'skip'` (plain PostgreSQL in tests: everything
else applies); without it, a server lacking Citus stops the script with a clear error."""
from __future__ import annotations

from generator.diff.citus import (CitusDatabase, CitusSession, DistributeSchema, DistributeTable, NoCitusDatabase,
                                  UndistributeSchema, UndistributeTable)
from generator.model.naming import qualified, quote_literal
from generator.postgres.render import Statement

SKIP = "gen.citus"          # SET gen.citus = 'skip': leave the Citus calls out (plain PostgreSQL)
TAG = "$citus$"


def _guarded(body: str) -> str:
    return (f"DO {TAG}\nBEGIN\n  IF current_setting('{SKIP}', true) IS DISTINCT FROM 'skip' THEN\n"
            f"    {body}\n  END IF;\nEND\n{TAG};")


def _session(c: CitusSession) -> list[Statement]:
    check = (f"DO {TAG}\nBEGIN\n  IF current_setting('{SKIP}', true) IS DISTINCT FROM 'skip'\n"
             "     AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN\n"
             f"    RAISE EXCEPTION 'this schema is for Citus {c.version} and Citus is not installed here'\n"
             "      USING HINT = 'CREATE EXTENSION citus first; to apply it to plain PostgreSQL (tests), "
             f"SET {SKIP} = ''skip'' (docs/scale-out.md)';\n  END IF;\nEND\n{TAG};")
    return [Statement(check, "Citus: stop here unless Citus is installed (or its calls are skipped)", "session", c),
            Statement("SET LOCAL citus.multi_shard_modify_mode TO 'sequential';",
                      "Citus: one connection per node, so keys to reference tables can be made in this transaction",
                      "session", c),
            Statement("SET LOCAL citus.enable_unsafe_triggers TO on;",
                      "Citus: gen's triggers (timestamps, guards, soft delete, audit) run on the shards", "session", c)]


def _database(c: CitusDatabase) -> list[Statement]:
    body = ("EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), "
            "'local');")
    return [Statement(_guarded(body), "Citus: SET LOCAL app.* reaches the shards, where the policies run",
                      "session", c)]


def _no_database(c: NoCitusDatabase) -> list[Statement]:
    body = "EXECUTE format('ALTER DATABASE %I RESET citus.propagate_set_commands', current_database());"
    return [Statement(_guarded(body), "Citus: back to the default propagation of SET", "session", c)]


def _distribute(c: DistributeTable) -> list[Statement]:
    t, p = c.table, c.placement
    name = qualified(t.schema, t.name, default_schema="")
    if p.kind == "reference":
        call = f"PERFORM create_reference_table({quote_literal(name)});"
        what = f"reference table {t.name}: a copy on every node"
    else:
        extra = f", colocate_with => {quote_literal(p.colocate_with)}" if p.colocate_with else ""
        extra += f", shard_count => {c.shard_count}" if c.shard_count and not p.colocate_with else ""
        call = f"PERFORM create_distributed_table({quote_literal(name)}, {quote_literal(p.column)}{extra});"
        what = f"distribute {t.name} by {p.column}" + (f", colocated with {p.colocate_with}" if p.colocate_with else "")
    return [Statement(_guarded(call), what, "distribution", c)]


def _distribute_schema(c: DistributeSchema) -> list[Statement]:
    call = f"PERFORM citus_schema_distribute({quote_literal(c.name)});"
    return [Statement(_guarded(call), f"Citus: schema {c.name} becomes one shard group (schema-based sharding)",
                      "distribution", c)]


def _undistribute_schema(c: UndistributeSchema) -> list[Statement]:
    call = f"PERFORM citus_schema_undistribute({quote_literal(c.name)});"
    return [Statement(_guarded(call), f"Citus: schema {c.name} back to the coordinator", "distribution", c)]


RENDERERS = {
    CitusSession: _session,
    CitusDatabase: _database,
    NoCitusDatabase: _no_database,
    DistributeTable: _distribute,
    UndistributeTable: lambda c: [],
    DistributeSchema: _distribute_schema,
    UndistributeSchema: _undistribute_schema,
}
