"""`gen verify --jobs N`: the per-table proofs (constraints, then the table attacks) split over N
worker processes, each on a database of its own, the results merged in table order: the same
results, in the same order, as one process gives."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator

import psycopg

from generator.db.apply import LOCK_BUDGET
from generator.db.connect import connect, database_name, with_database
from generator import forked
from generator.model import Schema
from generator.model.naming import quote_ident
from generator.render_jobs import default_jobs
from generator.verify.actors import identity_settings
from generator.verify.constraints import prove_constraints
from generator.verify.probe import Prober
from generator.verify.realtime import check_realtime, realtime_tables
from generator.verify.report import Result
from generator.verify.rls import Plan, plan_rls, schema_attacks, tables_attacked
from generator.verify.session import Session

# Why a database per worker rather than N connections to one: the probes roll back, but while
# they run they hold locks (a parent row deleted, ALTER TABLE ... DISABLE TRIGGER, a duplicate
# key not yet rolled back) that another worker's probe would wait on or deadlock against, and
# they draw on the same sequences. A template copy (CREATE DATABASE ... TEMPLATE) of the
# scratch database leaves each probe as alone as with one process; it takes no lock of any
# transaction (each worker's transactions are the ones one process runs; those that would fill
# much of the server's lock table run alone: heavy_deletes) and costs ~2.4 s at 2000 tables. Worker 0 works on the scratch
# database itself, so N workers need N - 1 copies per phase.
MIN_TABLES_PER_JOB = 25      # --jobs left out: one process per this many tables (a copy is not free)
CHUNKS_PER_JOB = 4           # chunks of tables per worker, dealt round: the slow end of a schema is shared
CHUNK_TABLES = 25            # at most, per chunk (and per connection; see _work)


def jobs_for(jobs: int | None, tables: int) -> int:
    """Worker processes for `tables` tables: --jobs N (at most one per table), else one per CPU
    where there are enough tables to pay for the copies."""
    if jobs is None:
        return max(1, min(default_jobs(), tables // MIN_TABLES_PER_JOB))
    return max(1, min(jobs, tables))


def chunked(items: list, jobs: int) -> list[list]:
    """`items` cut into contiguous chunks, about CHUNKS_PER_JOB per job."""
    size = min(CHUNK_TABLES, max(1, -(-len(items) // (jobs * CHUNKS_PER_JOB))))
    return [items[i:i + size] for i in range(0, len(items), size)]


@contextmanager
def copies(base: str, url: str, n: int) -> Iterator[list[str]]:
    """Up to `n` template copies of `url`'s database, dropped afterwards. A copy needs nobody
    connected to the source: when the server refuses one (another session came by), the
    copies made so far are all there is, and fewer workers do the work."""
    source = database_name(url)
    made: list[str] = []
    try:
        with connect(base, autocommit=True) as conn:
            for name in [f"{source}_w{i}" for i in range(1, n + 1)]:
                try:
                    conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE {quote_ident(source)}")
                except psycopg.Error:
                    break
                made.append(name)
        yield [with_database(url, name) for name in made]
    finally:
        if made:
            with connect(base, autocommit=True) as conn:
                for name in made:
                    conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def spread(base: str, url: str, chunks: list[list], jobs: int, task: Callable,
           beside: Callable | None = None) -> tuple[list, object]:
    """task(conn, url, index, chunk) for every chunk, on `jobs` processes (this one and forked
    children, which inherit everything the task needs), each with a Session on a database of
    its own (the scratch database or a copy), chunks dealt round: worker w takes w, w + jobs ...
    in order. The answers come in chunk order. A child that fails answers nothing; its chunks are then done here
    (so an error surfaces as it would with one process). `beside()` (work that only reads
    the scratch database) runs meanwhile in one more child, started once the copies are made
    (a copy needs nobody connected to its source); its answer comes second (None without it)."""
    with copies(base, url, min(jobs, len(chunks)) - 1) as extra:
        urls = [url] + extra
        jobs = len(urls)
        dealt = [(urls[w], range(w, len(chunks), jobs)) for w in range(jobs)]
        side = forked.Pending(beside) if beside is not None and forked.can_fork() else None
        got: dict = {}
        try:
            for answer in forked.spread(lambda part: _work(task, part[0], chunks, part[1]), dealt):
                got.update(answer)
        except BaseException:
            if side is not None:
                side.cancel()
            raise
        aside = side.answer() if side is not None else None
    if beside is not None and aside is None:
        aside = beside()               # no fork, or the child failed: here (its error surfaces)
    return [got[i] for i in range(len(chunks))], aside


def _work(task: Callable, url: str, chunks: list[list], indexes) -> dict:
    """Each chunk on a connection of its own: a new backend starts with an empty plan cache."""
    out = {}
    for i in indexes:
        with connect(url, autocommit=True, factory=Session) as conn:
            out[i] = task(conn, url, i, chunks[i])
    return out


def heavy_deletes(schema: Schema) -> set[tuple[str, str]]:
    """Tables whose row, deleted, would lock more than LOCK_BUDGET relations: every table that
    references it, each with its indexes and TOAST (a tenant root referenced by 1000 tables:
    ~7000). Only those: an ON DELETE CASCADE goes further only through the rows it deletes, the
    few a proof built. Such a transaction fits the server's lock table (64 x max_connections,
    every session's locks together) only alone, so its proofs run when no worker does."""
    weight: dict[tuple[str, str], int] = {}
    for t in schema.tables:
        for key in {(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys}:
            weight[key] = weight.get(key, 0) + 3 + len(t.indexes) + len(t.uniques)
    return {key for key, w in weight.items() if w > LOCK_BUDGET}


def prove(base: str, url: str, schema: Schema, only: set | None, jobs: int, say,
          first: Callable[[], list[Result]] = lambda: []) -> list[Result]:
    """first() (the synced comparison: it only reads, so it runs beside the constraint proofs),
    then constraints, RLS and realtime as verify() proves them with one process, the per-table
    parts on `jobs` processes (what takes many locks alone, after them)."""
    keys = [t.key for t in schema.tables if only is None or t.key in only]
    heavy = heavy_deletes(schema)

    def alone(_t, deletes) -> bool:
        return deletes is not None and (deletes.ref_schema, deletes.ref_table) in heavy

    def task(conn, _url, _index, chunk):
        return prove_constraints(conn, schema, set(chunk), lambda t, d: not alone(t, d))

    say(f"proving constraints ({jobs} processes)")
    parts, head = spread(base, url, chunked(keys, jobs), jobs, task, first)
    tagged = [r for part in parts for r in part]
    if heavy:
        say("proving the deletes that lock many tables, one at a time")
    with connect(url, autocommit=True, factory=Session) as conn:
        tagged += prove_constraints(conn, schema, set(keys), alone)
    out = list(head) + [r for _, _, r in sorted(tagged, key=lambda x: x[:2])]
    say("attacking row-level security")
    with connect(url, autocommit=True, factory=Session) as conn:
        plan = plan_rls(conn, url, schema, only)
        if plan.stage is not None:
            plan.stage.prober.close()
        defined = set(conn.settings())
    out += plan.head
    if plan.stage is not None:
        say(f"attacking each table ({jobs} processes)")
        results, defined = _attack_tables(base, url, plan, jobs, defined, heavy)
        out += results
    with connect(url, autocommit=True, factory=Session) as conn:
        conn.define(defined)
        if plan.stage is not None:
            say("attacking the schema as a whole")
            stage = replace(plan.stage, prober=Prober(conn, url, schema, plan.stage.ident))
            try:
                out += schema_attacks(stage)
            finally:
                stage.prober.close()
        if realtime_tables(schema, only):
            say("observing realtime changes through logical decoding")
            out += check_realtime(conn, url, schema, only)
    return out


def _attack_tables(base: str, url: str, plan: Plan, jobs: int, defined: set[str],
                   heavy: set) -> tuple[list[Result], set]:
    """The table attacks of `plan`. With one process an absent setting reads '' once any probe
    before set it (see Session.settings), so: the tables up to the first one with scopes
    (whose no-tenant probes set every identity setting) are attacked first, here, as one
    process would; the rest start with the settings that left (when it did not set them all,
    they run here too, one after another). Tables whose rows take many locks to delete are
    attacked here after the workers are done."""
    stage = plan.stage
    first = next((i + 1 for i, t in enumerate(plan.tables) if stage.scopes.get(t.key)), len(plan.tables))
    head, rest = plan.tables[:first], plan.tables[first:]
    got: dict = {}

    def attack(conn, url_, tables) -> set:
        mine = replace(stage, prober=Prober(conn, url_, stage.schema, stage.ident))
        try:
            for t in tables:
                got[t.key] = tables_attacked(mine, [t])
        finally:
            mine.prober.close()
        return set(conn.settings())

    with connect(url, autocommit=True, factory=Session) as conn:
        conn.define(defined)
        after = attack(conn, url, head)
        if not {s for s in identity_settings(stage.ident) if s} <= after:
            after = attack(conn, url, rest)
            rest = []
    light = [t for t in rest if t.key not in heavy]

    def task(conn, url_, _index, tables):
        conn.define(after)
        mine = replace(stage, prober=Prober(conn, url_, stage.schema, stage.ident))
        try:
            return [(t.key, tables_attacked(mine, [t])) for t in tables], set(conn.settings())
        finally:
            mine.prober.close()

    parts = spread(base, url, chunked(light, jobs), jobs, task)[0] if light else []
    for part, settings in parts:
        got.update(part)
        after |= settings
    lone = [t for t in rest if t.key in heavy]
    if lone:
        with connect(url, autocommit=True, factory=Session) as conn:
            conn.define(after)
            after |= attack(conn, url, lone)
    return [r for t in plan.tables for r in got[t.key]], after
