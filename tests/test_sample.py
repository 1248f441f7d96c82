"""`gen sample`: deterministic rows that follow the spec's hints and checks, keep every unique
and foreign key (tenant-consistent, also for composite keys), load with COPY into a real
PostgreSQL for every example without a violation and leave RLS isolation intact."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.pipeline import load_schema
from generator.sample import Sampler, generate, load, write_files
from generator.verify import shim_for, statements
from generator.verify.report import FAIL
from generator.verify.rls import check_rls
from generator.verify.sync import check_synced

ROOT = Path(__file__).parent.parent
HINTED = str(Path(__file__).parent / "specs" / "sample" / "hinted.yaml")
EXAMPLES = sorted(str(p) for p in (ROOT / "spec").glob("*.yaml"))
PSQL = Path("/usr/lib/postgresql/15/bin/psql")
TOTALS = {"chatapp": 20000, "ai_chat": 4000}      # 200 tenants; 1536-dimension vectors


def _by_name(rows: dict) -> dict:
    return {name: value for (_, name), value in rows.items()}


def test_same_seed_same_rows_and_another_seed_other_rows():
    schema = load_schema(HINTED)
    first, again, other = generate(schema), generate(schema), generate(schema, seed=8)
    assert first == again
    assert first != other
    assert sum(len(v) for v in first.values()) == pytest.approx(400, rel=0.1)   # sample.rows of the spec


def test_rows_follow_hints_checks_and_keys():
    rows = _by_name(generate(load_schema(HINTED)))
    orgs, members, tickets, steps = (rows[f"h_{n}"] for n in ("orgs", "members", "tickets", "ticket_steps"))
    assert len(orgs) == 4                                                  # rows: 4 is fixed
    assert all(re.fullmatch(r"[a-z][a-z0-9-]{2,30}", o["slug"]) for o in orgs)
    emails = [m["email"] for m in members]
    assert len(set(emails)) == len(emails) and all(re.fullmatch(r"[\w.+-]+@[\w.-]+", e) for e in emails)
    levels = Counter(m["level"] for m in members)
    assert set(levels) <= {"junior", "senior", "lead"} and levels["junior"] > levels["lead"]
    assert all(m["nickname"] is None or len(m["nickname"]) <= 12 for m in members)      # varchar(12)
    assert all(m["score"] is None or 0 <= m["score"] <= 10 for m in members)
    assert all(10 <= len(t["title"]) <= 40 and 1 <= t["estimate"] <= 40 and t["ends_at"] > t["starts_at"]
               for t in tickets)
    org_of = {m["id"]: m["org_id"] for m in members}
    for t in tickets:                                  # references stay inside the row's tenant
        assert org_of[t["member_id"]] == t["org_id"]
        assert t["assignee_id"] is None or org_of[t["assignee_id"]] == t["org_id"]
    assert len({(t["member_id"], t["title"]) for t in tickets}) == len(tickets)
    assert len({(s["ticket_id"], s["kind"]) for s in steps}) == len(steps)
    per_ticket = Counter(s["ticket_id"] for s in steps)
    assert max(per_ticket.values()) <= 3                                  # kind has 3 values: at most 3
    assert sorted({t["number"] for t in tickets}) == list(range(1, len(tickets) + 1))


def test_composite_tenant_foreign_key_takes_parent_of_same_tenant():
    """(org_id, member_id) -> members (org_id, id): each row and its parent share the tenant,
    and so do the rows behind a nullable composite key (assignee)."""
    schema = load_schema(HINTED)
    keys = {fk.columns: fk for fk in schema.table("h_tickets").foreign_keys}
    assert keys[("org_id", "member_id")].ref_columns == ("org_id", "id")
    rows = _by_name(generate(schema, seed=3))
    pairs = {(m["org_id"], m["id"]) for m in rows["h_members"]}
    tickets = rows["h_tickets"]
    assert tickets and all((t["org_id"], t["member_id"]) in pairs for t in tickets)
    assert all(t["assignee_id"] is None or (t["org_id"], t["assignee_id"]) in pairs for t in tickets)
    assert any(t["assignee_id"] is not None for t in tickets)


def _apply(url: str, schema) -> None:
    apply_statements(url, statements(schema), shim_for(schema))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: Path(p).stem)
def test_examples_load_and_keep_isolation_with_many_rows(fresh_db, path):
    schema = load_schema(path)
    _apply(fresh_db, schema)
    with connect(fresh_db, autocommit=True) as conn:
        synced = check_synced(schema, conn)
        sampler = Sampler(schema, total=TOTALS.get(Path(path).stem, 6000), seed=5)
        results = load(conn, sampler)
        loaded = {r.table: r.rows for r in results}
        bad = [r for r in results if any(why.startswith(("check", "duplicate")) for why in r.dropped)]
        assert not bad, bad
        for t in schema.tables:                     # every table got rows; the database holds them
            got = conn.execute(f'SELECT count(*) FROM {t.qname}').fetchone()[0]
            assert loaded[t.qname] > 0 and got >= loaded[t.qname], t.name
        tenant_tables = [t for t in schema.tables if t.meta.tenant_column and t.name != getattr(
            schema.tenancy, "root", None)]
        per_tenant: Counter = Counter()
        for t in tenant_tables:                     # spread over several tenants
            per = conn.execute(f"SELECT {t.meta.tenant_column}, count(*) FROM {t.qname} GROUP BY 1").fetchall()
            assert len(per) >= min(3, loaded[t.qname]), t.name
            per_tenant.update({k: n for k, n in per if k is not None})       # seeds: rows of no tenant
        if tenant_tables:                           # and every tenant holds many rows
            assert min(per_tenant.values()) >= 100, per_tenant.most_common()[-3:]
        # indexes dropped for the load and built again: the schema is as it was before the load
        assert check_synced(schema, conn) == synced
        report = check_rls(conn, fresh_db, schema)
    assert report or not any(t.rls_enabled for t in schema.tables)
    assert not [r for r in report if r.status == FAIL], [r for r in report if r.status == FAIL]


def test_files_load_with_psql(fresh_db, tmp_path):
    schema = load_schema(HINTED)
    _apply(fresh_db, schema)
    results = write_files(Sampler(schema), tmp_path, "csv")
    done = subprocess.run([str(PSQL), fresh_db, "-v", "ON_ERROR_STOP=1", "-q", "-f", "load.sql"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(fresh_db) as conn:
        for r in results:
            assert conn.execute(f"SELECT count(*) FROM {r.table}").fetchone()[0] == r.rows
        # the identity sequence moved past the loaded numbers
        top = conn.execute("SELECT max(number) FROM h_tickets").fetchone()[0]
        assert conn.execute("SELECT nextval(pg_get_serial_sequence('h_tickets', 'number'))").fetchone()[0] > top


def test_second_load_beside_the_first(fresh_db):
    """Seeds or an earlier sample in the tables: identity numbers move past them, nothing collides."""
    schema = load_schema(HINTED)
    _apply(fresh_db, schema)
    with connect(fresh_db, autocommit=True) as conn:
        load(conn, Sampler(schema, seed=1), analyze=False)
        load(conn, Sampler(schema, seed=2), analyze=False)
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT number) FROM h_tickets").fetchone()
    assert n == distinct and n > 100


def test_check_sample_data_cannot_read_is_left_to_the_database(fresh_db, tmp_path, capsys):
    spec = tmp_path / "odd.yaml"
    spec.write_text("spec: 1\nname: odd\nentities:\n  things:\n    columns:\n      id: uuid pk\n"
                    "      code: text!\n    checks:\n      - \"md5(code) LIKE '0%'\"\n")
    schema = load_schema(str(spec))
    _apply(fresh_db, schema)
    assert main(["sample", str(spec), "--database-url", fresh_db]) == 1
    err = capsys.readouterr().err
    assert "SM004" in err and "things_code_check" in err and "sample:" in err


def test_cli_plan_and_errors(capsys):
    assert main(["sample", HINTED, "--plan", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {t["table"]: t["rows"] for t in plan["tables"]}["h_orgs"] == 4 and plan["seed"] == 7
    assert main(["sample", HINTED, "--rows", "-1"]) == 2
    assert main(["sample", HINTED, "--database-url", ""]) == 2
    assert "CL011" in capsys.readouterr().err


def test_psql_is_installed():
    assert PSQL.exists() or shutil.which("psql"), "Debian's postgresql-client provides psql"
