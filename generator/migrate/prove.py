"""Prove a migration plan before it runs: copy the target's schema and history to a scratch
database (on a scratch server, never the target's), fill it with sample rows, apply the pending
migrations there, and require zero drift from the last snapshot and no lost rows. The proof is
bound to the target's fingerprint; the real run refuses if the target changed since."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.db.inspect import inspect
from generator.db.server import scratch_database
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import fingerprint, history, runner, squash
from generator.migrate.files import MigrationDir, as_dir
from generator.migrate.verify import live_differences, prepare, schemas_of, scratch_server
from generator.model import Schema, replace
from generator.model.naming import quote_ident
from generator.postgres import fill as sample_rows
from generator.postgres.ddl import schema_statements

ACKNOWLEDGED = "-- Acknowledged destructive changes:"
COUNTS = """SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)"""


@dataclass
class Proof:
    fingerprint: str
    pending: list[str] = field(default_factory=list)
    rows: dict[str, tuple[int, int | None]] = field(default_factory=dict)   # table -> (before, after; None: dropped)
    checks: list[str] = field(default_factory=list)


def schemas_for(model: Schema, d: MigrationDir) -> tuple[str, ...]:
    last = d.last_snapshot()
    return tuple(dict.fromkeys(schemas_of(model) + (schemas_of(last[1]) if last else ())))


def state(url: str, d: MigrationDir, schemas: tuple[str, ...]):
    """(live model, history, pending migrations, fingerprint) of the target, read only."""
    with connect(url, autocommit=True) as conn:
        live = inspect(conn, schemas)
        done = squash.reconciled(d, history.applied(conn), history.Applied)
    pending = history.check(d, done)
    return live, done, pending, fingerprint.fingerprint(live, done, pending)


def prove(url: str, directory, model: Schema, scratch: str | None = None, say=lambda _: None) -> Proof:
    d = as_dir(directory)
    schemas = schemas_for(model, d)
    live, done, pending, fp = state(url, d, schemas)
    proof = Proof(fp, [m.name for m in pending])
    if not pending:
        proof.checks.append("nothing pending: nothing to prove")
        return proof
    with scratch_server(scratch, model) as base, scratch_database(base, prefix="gen_prove_") as copy:
        say("copying the target's schema and history to a scratch database")
        prepare(copy, model)
        apply_statements(copy, schema_statements(replace(live, roles=model.roles)), chunked=True)
        with connect(copy, autocommit=True) as conn:
            history.ensure(conn)
            with conn.transaction():
                for row in done.values():
                    conn.execute(f"INSERT INTO {history.TABLE} (version, name, checksum) VALUES (%s, %s, %s)",
                                 (row.version, row.name, row.checksum))
            filled = sample_rows.fill(conn, live)
            before = _counts(conn, schemas)
        say(f"applying {len(pending)} pending migrations to the copy ({sum(filled.values())} sample rows)")
        runner.up(copy, d)
        last = d.last_snapshot()
        drift = live_differences(copy, last[1], schemas) if last else []
        with connect(copy, autocommit=True) as conn:
            after = _counts(conn, schemas)
    problems = _rows(proof, before, after, _acknowledged_drops(pending))
    if drift:
        problems.append(Diagnostic("MG060", f"after the pending migrations the copy differs from {last[0].name}: "
                                   + "; ".join(drift[:10]), name="migrate.prove",
                                   hint="a migration does not produce its snapshot, or the target has drifted "
                                        "(`gen drift`): fix that first"))
    if problems:
        raise GenError(problems, EXIT_FINDINGS)
    proof.checks += [f"applied {len(pending)} migrations to a copy with {sum(filled.values())} sample rows",
                     f"zero drift from {last[0].name}" if last else "no snapshot to compare with",
                     "no row lost"]
    return proof


def _counts(conn, schemas) -> dict[int, tuple[str, int]]:
    out = {}
    for oid, schema, name in conn.execute(COUNTS, (list(schemas),)).fetchall():
        label = name if schema == "public" else f"{schema}.{name}"
        n = conn.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}").fetchone()[0]
        out[oid] = (label, n)
    return out


def _acknowledged_drops(pending) -> set[str]:
    out = set()
    for m in pending:
        for line in m.up_text().splitlines()[:8]:
            if line.startswith(ACKNOWLEDGED):
                out |= {k.strip().removeprefix("drop_table:") for k in line[len(ACKNOWLEDGED):].split(",")
                        if k.strip().startswith("drop_table:")}
    return out


def _rows(proof: Proof, before: dict, after: dict, dropped_ok: set[str]) -> list[Diagnostic]:
    """Tables keep their oid through renames and rewrites: a table whose rows fell, or that
    vanished without an acknowledged drop, lost rows."""
    problems = []
    for oid, (label, n) in sorted(before.items(), key=lambda x: x[1][0]):
        now = after.get(oid)
        proof.rows[label] = (n, now[1] if now else None)
        if now is None and n and label not in dropped_ok:
            problems.append(Diagnostic("MG061", f"table {label} with {n} sample rows is gone after the migrations, "
                                       "and no migration acknowledges dropping it", name="migrate.prove",
                                       hint="a table dropped and created again loses its rows: declare the rename "
                                            "(renamed_from) or acknowledge the drop"))
        elif now is not None and now[1] < n:
            problems.append(Diagnostic("MG061", f"table {now[0]} lost rows: {n} sample rows before, {now[1]} after",
                                       name="migrate.prove", hint="a migration deletes rows: check its SQL"))
    return problems
