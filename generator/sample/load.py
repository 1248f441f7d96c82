"""Load sample rows into a database with COPY (psycopg 3), all tables in one transaction, or
write them as files (COPY text or CSV) with a psql script that loads them. Tables that a
trigger fills (Supabase's created_from profiles) are upserted through a staging table; the
identity sequences are moved past the loaded ids; the tables are analyzed afterwards."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psycopg

from generator.diagnostics import EXIT_ENVIRONMENT, EXIT_FINDINGS, Diagnostic, GenError
from generator.model import Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.sample.encode import copy_line, csv_line, formatter
from generator.sample.sampler import Sampler, TableSample

BATCH = 5000
_INSERT_INTO = re.compile(r'INSERT\s+INTO\s+((?:"[^"]+"|\w+)\.(?:"[^"]+"|\w+)|"[^"]+"|\w+)', re.IGNORECASE)


@dataclass
class TableResult:
    table: str
    rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    short: int = 0              # rows not made: a parent's distinct values for a unique key ran out


def _name(t: Table) -> str:
    return t.qname if t.schema != "public" else quote_ident(t.name)


def trigger_filled(schema: Schema) -> set[tuple[str, str]]:
    """Tables a trigger function of the schema inserts into (created_from targets)."""
    fns = {f"{quote_ident(f.schema)}.{quote_ident(f.name)}": f for f in schema.functions}
    fns.update({f"{f.schema}.{f.name}": f for f in schema.functions})
    triggers = [x.trigger for x in schema.external_triggers] + [tr for t in schema.tables for tr in t.triggers]
    out = set()
    for tr in triggers:
        fn = fns.get(tr.function)
        for m in _INSERT_INTO.finditer(fn.body if fn else ""):
            parts = [p.strip('"') for p in re.findall(r'"[^"]+"|\w+', m.group(1))]
            out.add((parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0]))
    return out


def _require_bypass(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
    if not (row and row[0]):
        raise GenError([Diagnostic(
            "SM003", "sample data is loaded past row-level security: the role must be a superuser or BYPASSRLS",
            name="sample.load", hint="connect as the database owner with BYPASSRLS (Supabase: postgres), or a superuser")],
            EXIT_ENVIRONMENT)


def _shifts(conn: psycopg.Connection, sampler: Sampler) -> dict[tuple[str, str, str], int]:
    """Identity columns of tables that already hold rows start after their largest value;
    references to them move the same way."""
    out = {}
    for p in sampler.plans:
        t = p.table
        for c in t.columns:
            if c.identity and not p.external:
                top = conn.execute(f"SELECT coalesce(max({quote_ident(c.name)}), 0) FROM {_name(t)}").fetchone()[0]
                if top:
                    out[(t.schema, t.name, c.name)] = int(top)
    for p in sampler.plans:
        for fk in p.table.foreign_keys:
            for c, rc in zip(fk.columns, fk.ref_columns):
                offset = out.get((fk.ref_schema, fk.ref_table, rc))
                if offset:
                    out[(p.table.schema, p.table.name, c)] = offset
    return out


def _formatters(ts: TableSample, shifts: dict) -> list[Callable]:
    t = ts.table
    return [formatter(t.column(c), shifts.get((t.schema, t.name, c), 0)) for c in ts.columns]


def _chunks(ts: TableSample, fmts: list[Callable], line: Callable) -> "Iterator[str]":
    batch = []
    cols = ts.columns
    for row in ts.rows:
        batch.append(line([f(row.get(c)) for f, c in zip(fmts, cols)]))
        if len(batch) >= BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


_SECONDARY = """
SELECT pg_get_indexdef(i.indexrelid), quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       obj_description(i.indexrelid, 'pg_class')
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = to_regclass(%s) AND NOT i.indisunique AND NOT i.indisprimary
ORDER BY c.relname
"""
# Bulk-load settings (this transaction only): index builds get memory and parallel workers.
LOAD_SETTINGS = ("SET LOCAL maintenance_work_mem = '512MB'", "SET LOCAL max_parallel_maintenance_workers = 2")


def load(conn: psycopg.Connection, sampler: Sampler, analyze: bool = True,
         progress: Callable[[str], None] | None = None) -> list[TableResult]:
    """COPY every table's rows in one transaction (nothing is loaded when one fails). Indexes
    that enforce nothing are dropped before a table's COPY and built again after it, as
    pg_restore does: an HNSW index grows far faster in one build than row by row."""
    say = progress or (lambda _m: None)
    _require_bypass(conn)
    staged = trigger_filled(sampler.schema)
    out: list[TableResult] = []
    with conn.transaction():
        for setting in LOAD_SETTINGS:
            conn.execute(setting)
        shifts = _shifts(conn, sampler)
        for ts in sampler.tables():
            t0 = time.perf_counter()
            say(f"loading {ts.plan.count} rows into {ts.table.name}")
            indexes = conn.execute(_SECONDARY, (_name(ts.table),)).fetchall()
            for _sql, name, _comment in indexes:
                conn.execute(f"DROP INDEX {name}")
            _copy(conn, ts, _formatters(ts, shifts), ts.table.key in staged)
            for sql, name, comment in indexes:
                conn.execute(sql)
                if comment is not None:
                    conn.execute(f"COMMENT ON INDEX {name} IS {quote_literal(comment)}")
            out.append(TableResult(ts.table.qname, ts.stats.made, dict(ts.stats.dropped), time.perf_counter() - t0,
                                   ts.stats.short))
        _sequences(conn, sampler)
    if analyze:
        for p in sampler.plans:
            conn.execute(f"ANALYZE {_name(p.table)}")
    return out


def _copy(conn: psycopg.Connection, ts: TableSample, fmts: list[Callable], staged: bool) -> None:
    t = ts.table
    cols = ", ".join(quote_ident(c) for c in ts.columns)
    target = _name(t)
    if staged:
        stage = quote_ident(f"gen_sample_{t.name}"[:63])
        conn.execute(f"CREATE TEMP TABLE {stage} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP")
        target = stage
    try:
        with conn.cursor().copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for chunk in _chunks(ts, fmts, copy_line):
                copy.write(chunk)
        if staged:
            _upsert(conn, t, target, ts.columns)
    except psycopg.Error as exc:
        diag = exc.diag
        what = diag.message_primary or str(exc).splitlines()[0]
        raise GenError([Diagnostic(
            "SM004", f"loading sample rows into {t.name} failed: {what}"
            + (f" (constraint {diag.constraint_name})" if diag.constraint_name else ""), t.loc, "sample.load",
            "give the columns of that constraint a `sample:` hint (values, min/max) the database accepts")],
            EXIT_FINDINGS) from None


def _upsert(conn: psycopg.Connection, t: Table, stage: str, columns: list[str]) -> None:
    conn.execute(upsert_sql(t, stage, columns))


def upsert_sql(t: Table, stage: str, columns: list[str]) -> str:
    """Move staged rows into `t`, replacing the rows a trigger already made for the same key."""
    key = t.primary_key.columns if t.primary_key else ()
    cols = ", ".join(quote_ident(c) for c in columns)
    sets = ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in columns if c not in key)
    conflict = f" ON CONFLICT ({', '.join(quote_ident(c) for c in key)}) DO UPDATE SET {sets}" if key and sets else ""
    return f"INSERT INTO {_name(t)} ({cols}) SELECT {cols} FROM {stage}{conflict};"


def _sequences(conn: psycopg.Connection, sampler: Sampler) -> None:
    for p in sampler.plans:
        t = p.table
        for c in t.columns:
            if c.identity and not p.external:
                conn.execute(f"SELECT setval(pg_get_serial_sequence({quote_literal(_name(t))}, "
                             f"{quote_literal(c.name)}), greatest(max({quote_ident(c.name)}), 1)) FROM {_name(t)}")


def write_files(sampler: Sampler, directory: Path, fmt: str = "copy") -> list[TableResult]:
    """One file per table (`NN_schema.table.copy` or `.csv`) and `load.sql` for psql."""
    directory.mkdir(parents=True, exist_ok=True)
    line = csv_line if fmt == "csv" else copy_line
    script = ["-- gen sample: load with  psql -v ON_ERROR_STOP=1 -f load.sql  (in this directory)", "BEGIN;"]
    staged = trigger_filled(sampler.schema)
    out = []
    for i, ts in enumerate(sampler.tables(), 1):
        t0 = time.perf_counter()
        name = f"{i:02d}_{ts.table.schema}.{ts.table.name}.{fmt}"
        with open(directory / name, "w", encoding="utf-8", newline="") as f:
            for chunk in _chunks(ts, _formatters(ts, {}), line):
                f.write(chunk)
        option = " WITH (FORMAT csv)" if fmt == "csv" else ""
        cols = ", ".join(quote_ident(c) for c in ts.columns)
        target = _name(ts.table)
        if ts.table.key in staged:
            target = quote_ident(f"gen_sample_{ts.table.name}"[:63])
            script.append(f"CREATE TEMP TABLE {target} (LIKE {_name(ts.table)} INCLUDING DEFAULTS) ON COMMIT DROP;")
        script.append(f"\\copy {target} ({cols}) FROM '{name}'{option}")
        if ts.table.key in staged:
            script.append(upsert_sql(ts.table, target, ts.columns))
        out.append(TableResult(ts.table.qname, ts.stats.made, dict(ts.stats.dropped), time.perf_counter() - t0,
                               ts.stats.short))
    for p in sampler.plans:
        for c in p.table.columns:
            if c.identity and not p.external:
                t = _name(p.table)
                script.append(f"SELECT setval(pg_get_serial_sequence({quote_literal(t)}, {quote_literal(c.name)}), "
                              f"greatest(max({quote_ident(c.name)}), 1)) FROM {t};")
    script.append("COMMIT;")
    (directory / "load.sql").write_text("\n".join(script) + "\n", encoding="utf-8")
    return out
