"""`gen verify --jobs N`: the per-table proofs (constraints, then the table attacks) split over N
worker processes, each on a database of its own, the results merged in table order: the same
results, in the same order, as one process gives."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator

import psycopg

from generator.db.connect import connect, database_name, with_database
from generator.forked import Pending
from generator.model import Schema
from generator.model.naming import quote_ident
from generator.verify.actors import identity_settings
from generator.verify.constraints import check_constraints
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
# transaction (so the lock table stays as with --jobs 1: each worker's transactions are the
# ones one process runs) and costs ~2.4 s at 2000 tables. Worker 0 works on the scratch
# database itself, so N workers need N - 1 copies per phase.
MIN_TABLES_PER_JOB = 25      # --jobs left out: one process per this many tables (a copy is not free)
CHUNKS_PER_JOB = 4           # chunks of tables per worker, dealt round: the slow end of a schema is shared


def jobs_for(jobs: int | None, tables: int) -> int:
    """Worker processes for `tables` tables: --jobs N (at most one per table), else one per CPU
    where there are enough tables to pay for the copies."""
    if jobs is None:
        return max(1, min(os.cpu_count() or 1, tables // MIN_TABLES_PER_JOB))
    return max(1, min(jobs, tables))


def chunked(items: list, jobs: int, first: int = 1) -> list[list]:
    """`items` cut into contiguous chunks (about CHUNKS_PER_JOB per job), the first one at least
    `first` long."""
    size = max(1, -(-len(items) // (jobs * CHUNKS_PER_JOB)))
    head = max(size, first)
    out = [items[:head]] if items else []
    return out + [items[i:i + size] for i in range(head, len(items), size)]


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


def spread(base: str, url: str, chunks: list[list], jobs: int, task: Callable) -> list:
    """task(conn, url, index, chunk) for every chunk, on `jobs` processes (this one and forked
    children, which inherit everything the task needs), each with a Session on a database of
    its own (the scratch database or a copy), chunks dealt round: worker w takes w, w + jobs ...
    in order. The answers come in chunk order. Chunk 0 is this process's first, on a connection
    that did nothing before. A child that fails answers nothing; its chunks are then done here
    (so an error surfaces as it would with one process)."""
    with copies(base, url, min(jobs, len(chunks)) - 1) as extra:
        urls = [url] + extra
        jobs = len(urls)
        dealt = [range(w, len(chunks), jobs) for w in range(jobs)]
        children = {w: Pending(lambda w=w: _work(task, urls[w], chunks, dealt[w])) for w in range(1, jobs)}
        got = _work(task, url, chunks, dealt[0])
        for w, child in children.items():
            got.update(child.answer() or _work(task, urls[w], chunks, dealt[w]))
    return [got[i] for i in range(len(chunks))]


def _work(task: Callable, url: str, chunks: list[list], indexes) -> dict:
    with connect(url, autocommit=True, factory=Session) as conn:
        return {i: task(conn, url, i, chunks[i]) for i in indexes}


def prove(base: str, url: str, schema: Schema, only: set | None, jobs: int, say) -> list[Result]:
    """Constraints, RLS and realtime as verify() proves them with one process, the per-table
    parts on `jobs` processes."""
    keys = [t.key for t in schema.tables if only is None or t.key in only]
    say(f"proving constraints ({jobs} processes)")
    out = [r for part in spread(base, url, chunked(keys, jobs), jobs, _constraints(schema)) for r in part]
    say("attacking row-level security")
    with connect(url, autocommit=True, factory=Session) as conn:
        plan = plan_rls(conn, url, schema, only)
        if plan.stage is not None:
            plan.stage.prober.close()
        defined = set(conn.settings())
    out += plan.head
    if plan.stage is not None:
        results, defined = _attack_tables(base, url, plan, jobs, defined)
        out += results
    with connect(url, autocommit=True, factory=Session) as conn:
        conn.define(defined)
        if plan.stage is not None:
            stage = replace(plan.stage, prober=Prober(conn, url, schema, plan.stage.ident))
            try:
                out += schema_attacks(stage)
            finally:
                stage.prober.close()
        if realtime_tables(schema, only):
            say("observing realtime changes through logical decoding")
            out += check_realtime(conn, url, schema, only)
    return out


def _constraints(schema: Schema):
    def task(conn, _url, _index, keys):
        return check_constraints(conn, schema, set(keys))
    return task


def _attack_tables(base: str, url: str, plan: Plan, jobs: int, defined: set[str]) -> tuple[list[Result], set]:
    """The table attacks of `plan`, spread. With one process an absent setting reads '' once any
    probe before set it (see Session.settings): chunk 0 starts as the world builder left the
    session and runs up to the first table with scopes, whose no-tenant probes set every
    identity setting; the other chunks start with all of them set. Should chunk 0 not set them
    all after all, the attacks run again in one process (exact, slower)."""
    stage = plan.stage
    every = defined | {s for s in identity_settings(stage.ident) if s}
    first = next((i + 1 for i, t in enumerate(plan.tables) if stage.scopes.get(t.key)), len(plan.tables))

    chunks = chunked(plan.tables, jobs, first)
    stages: dict[int, object] = {}      # a worker's stage (its prober, whose pristine session is kept)

    def task(conn, url_, index, tables):
        conn.define(defined if index == 0 else every)
        mine = stages.setdefault(id(conn), replace(stage, prober=Prober(conn, url_, stage.schema, stage.ident)))
        try:
            return tables_attacked(mine, tables), set(conn.settings())
        finally:
            if index + jobs >= len(chunks):       # the worker's last chunk
                mine.prober.close()

    parts = spread(base, url, chunks, jobs, task)
    if parts and not every <= defined | parts[0][1]:
        chunks, jobs = [plan.tables], 1
        stages.clear()
        parts = spread(base, url, chunks, jobs, task)
    return [r for part, _ in parts for r in part], set().union(defined, *(s for _, s in parts))
