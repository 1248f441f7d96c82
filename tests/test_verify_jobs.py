"""`gen verify --jobs N`: the per-table proofs on N processes (each on a template copy of the
scratch database) give the results of one process, in the same order; a weakened spec still
fails."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline import load_schema
from generator.verify import verify
from generator.verify.isolate import switch_off
from generator.verify.parallel import chunked, jobs_for, spread

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "specs" / "verify"
FRESH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"      # uuids drawn per run
                   r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00")                      # now()


def _run(spec: Path, url: str, jobs: int) -> tuple[list[tuple], list[str]]:
    said: list[str] = []
    report = verify(load_schema(str(spec)), spec.stem, url, progress=said.append, jobs=jobs)
    return [tuple(FRESH.sub("<fresh>", str(v)) for v in r.values()) for r in report.to_dict()["results"]], said


def test_two_jobs_give_one_jobs_results_in_order(pg_url):
    one, said_one = _run(ROOT / "spec" / "commerce.yaml", pg_url, 1)
    two, said_two = _run(ROOT / "spec" / "commerce.yaml", pg_url, 2)
    assert "proving constraints (2 processes)" in said_two and "proving constraints" in said_one
    assert len(one) > 50 and {r[0] for r in one} >= {"fk", "unique", "check", "rls"}
    assert two == one


def test_a_weakened_spec_still_fails_with_two_jobs(pg_url, capsys):
    code = main(["verify", str(SPECS / "weak_check.yaml"), "--database-url", pg_url, "--problems", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"^rls\s+wc_notes\s+UPDATE own rows to other tenant \(no WHERE\)\s+FAIL: 1 row\(s\) moved$",
                     out, re.MULTILINE), out
    leaky, said = _run(SPECS / "leaky.yaml", pg_url, 2)
    assert "proving constraints (2 processes)" in said
    assert ("rls", "leaky_agents", "COPY TO shows only own rows", "fail", "other tenant's row copied out") in leaky


def test_jobs_and_chunks():
    assert jobs_for(1, 500) == 1 and jobs_for(8, 3) == 3 and jobs_for(None, 10) == 1
    items = list(range(23))
    parts = chunked(items, 2)
    assert [x for p in parts for x in p] == items and len(parts) == 8 and all(parts)
    assert chunked([], 2) == []


def test_work_beside_the_workers_answers_or_is_redone_here(pg_url, fresh_db):
    """The synced comparison runs in a child beside the constraint workers; a child that fails
    gives no answer, and the work is redone in this process (its error would surface here)."""
    import os
    me = os.getpid()

    def task(conn, _url, _index, chunk):
        return [conn.execute("SELECT current_database()").fetchone()[0], chunk]

    def beside():
        if os.getpid() == me:
            return "here"
        from generator.db.connect import connect
        with connect(fresh_db, autocommit=True) as conn:    # the copies are made: connecting is allowed
            return conn.execute("SELECT 'child'").fetchone()[0]

    parts, aside = spread(pg_url, fresh_db, [[1], [2], [3]], 2, task, beside)
    assert [p[1] for p in parts] == [[1], [2], [3]] and aside == "child"
    assert parts[0][0] != parts[1][0]          # worker 1 on a copy of its own

    def failing():
        if os.getpid() != me:
            raise RuntimeError("the child fails")
        return "here"

    assert spread(pg_url, fresh_db, [[1], [2]], 2, task, failing)[1] == "here"
    assert spread(pg_url, fresh_db, [[1], [2]], 2, task)[1] is None


def test_a_keys_triggers_go_off_in_one_statement_per_relation():
    assert switch_off([("a", "t1"), ("b", "t2"), ("a", "t 3")]) == \
        'ALTER TABLE a DISABLE TRIGGER t1, DISABLE TRIGGER "t 3"; ALTER TABLE b DISABLE TRIGGER t2'


def test_jobs_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(SPECS / "weak_check.yaml"), "--jobs", "0"])
    assert exc.value.code == 2 and "whole number of processes" in capsys.readouterr().err


def test_each_tables_fresh_values_are_its_own_and_fit_an_integer():
    from generator.verify import rows
    rows.restart(rows.SEQ_TABLE_ATTACKS, 7)
    first = next(rows.RowBuilder(None, None).seq)
    rows.restart(rows.SEQ_TABLE_ATTACKS, 7)
    assert next(rows.RowBuilder(None, None).seq) == first         # whatever ran before
    rows.restart(rows.SEQ_TABLE_ATTACKS, 8)
    assert next(rows.RowBuilder(None, None).seq) - first == rows.TABLE
    rows.restart(rows.SEQ_REALTIME, 20000)
    assert next(rows.RowBuilder(None, None).seq) < 2**31 - 1       # a unique integer column takes it


def test_proofs_that_lock_many_tables_run_alone_with_the_same_results(pg_url, monkeypatch):
    from generator.verify import parallel
    schema = load_schema(str(ROOT / "spec" / "commerce.yaml"))
    assert parallel.heavy_deletes(schema) == set()           # nothing near the lock table's size
    monkeypatch.setattr(parallel, "LOCK_BUDGET", 10)         # now every much-referenced parent is
    assert parallel.heavy_deletes(schema)
    one, _ = _run(ROOT / "spec" / "commerce.yaml", pg_url, 1)
    two, _ = _run(ROOT / "spec" / "commerce.yaml", pg_url, 2)
    assert two == one
