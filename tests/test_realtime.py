"""Realtime (Supabase flavor): `realtime:` entities join the supabase_realtime publication with
their replica identity (rendered, inspected back, diffed both ways); the shim creates the
publication; `gen verify` observes a realtime table's insert through logical decoding
(pgoutput) on a real PostgreSQL with wal_level=logical, and the check fails when it should."""
from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.diagnostics import GenError
from generator.diff import diff, reverse_changes
from generator.model import replace
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements
from generator.postgres.plan import plan
from generator.postgres.shim import SUPABASE_SHIM
from generator.verify import shim_for, statements
from generator.verify.pgoutput import decode
from generator.verify.realtime import check_realtime
from generator.verify.sync import differences

SPEC = str(Path(__file__).parent / "specs" / "verify" / "realtime.yaml")


def _results(data: dict, obj: str) -> dict[str, dict]:
    return {r["what"]: r for r in data["results"] if r["check"] == "realtime" and r["object"] == obj}


def test_realtime_insert_is_observed_through_the_publication(logical_url, capsys):
    assert main(["verify", SPEC, "--database-url", logical_url, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rooms, notes = _results(data, "rooms"), _results(data, "notes")
    assert rooms["INSERT seen through supabase_realtime (pgoutput)"]["status"] == "pass"
    assert notes["INSERT seen through supabase_realtime (pgoutput)"]["status"] == "pass"
    assert rooms["DELETE carries the old key (replica identity default)"]["detail"] == "sent: id"
    full = notes["DELETE carries the old row (replica identity full)"]
    assert full["status"] == "pass" and full["detail"] == "sent: body, id, user_id"
    assert _results(data, "drafts")["not in supabase_realtime: its INSERT is not sent"]["status"] == "pass"
    rls = rooms["subscribers only get rows their RLS lets them read"]
    assert rls["status"] == "pass" and rls["detail"].startswith("1 of ")


def test_a_table_left_out_of_the_publication_fails_the_check(logical_url):
    schema = load_schema(SPEC)
    from generator.db.server import scratch_database
    with scratch_database(logical_url) as url:
        apply_statements(url, statements(schema), shim_for(schema))
        with connect(url, autocommit=True) as conn:
            conn.execute("ALTER PUBLICATION supabase_realtime DROP TABLE notes")
            conn.execute("ALTER TABLE rooms DISABLE ROW LEVEL SECURITY")
            got = {(r.object, r.what): r for r in check_realtime(conn, url, schema)}
    assert got[("notes", "INSERT seen through supabase_realtime (pgoutput)")].status == "fail"
    assert got[("rooms", "INSERT seen through supabase_realtime (pgoutput)")].status == "pass"
    leak = got[("rooms", "subscribers only get rows their RLS lets them read")]
    assert leak.status == "warn" and leak.detail.startswith("all ") and "may read the new row" in leak.detail


def test_without_logical_wal_the_proof_is_skipped_and_says_why(fresh_db15):
    schema = load_schema(SPEC)
    apply_statements(fresh_db15, statements(schema), shim_for(schema))
    with connect(fresh_db15, autocommit=True) as conn:
        got = check_realtime(conn, fresh_db15, schema)
    assert got and all(r.status == "skip" and "wal_level=logical" in r.detail for r in got)


def test_publication_and_replica_identity_are_rendered_inspected_and_diffed(fresh_db):
    schema = load_schema(SPEC)
    sql = "\n".join(s.sql for s in schema_statements(schema))
    assert "ALTER PUBLICATION supabase_realtime ADD TABLE rooms;" in sql
    assert "ALTER TABLE notes REPLICA IDENTITY FULL;" in sql
    assert "drafts" not in [line.split()[-1].rstrip(";") for line in sql.splitlines() if "PUBLICATION" in line]
    apply_statements(fresh_db, statements(schema), shim_for(schema))
    assert differences(schema, fresh_db) == []                    # inspected back equal
    plain = replace(schema, tables=tuple(replace(t, publications=(), replica_identity=None)
                                         for t in schema.tables))
    changes = diff(schema, plain)
    down = "\n".join(s.sql for s in plan(changes).statements)
    assert "ALTER PUBLICATION supabase_realtime DROP TABLE rooms;" in down
    assert "ALTER TABLE notes REPLICA IDENTITY DEFAULT;" in down
    up = "\n".join(s.sql for s in plan(reverse_changes(changes)).statements)
    assert "ALTER PUBLICATION supabase_realtime ADD TABLE notes;" in up
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(down)
    assert differences(plain, fresh_db) == []


def test_shim_creates_the_publication_once(fresh_db):
    for _ in range(2):
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute(SUPABASE_SHIM)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM pg_publication WHERE pubname = 'supabase_realtime'").fetchone()[0] == 1


@pytest.mark.parametrize("text,code", [
    ("spec: 1\nname: x\nentities:\n  a:\n    realtime: true\n    columns: {id: uuid pk}\n", "RS150"),
    ("spec: 1\nname: x\ndatabase: {flavor: supabase}\nentities:\n  a:\n    realtime: true\n"
     "    columns: {body: text}\n", "RS151"),
    ("spec: 1\nname: x\ndatabase: {flavor: supabase}\nentities:\n  a:\n    realtime: true\n"
     "    replica_identity: nothing\n    columns: {id: uuid pk}\n", "RS152"),
])
def test_realtime_needs_supabase_a_primary_key_and_a_replica_identity(tmp_path, text, code):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(GenError) as err:
        load_schema(str(path))
    assert code in {d.code for d in err.value.diagnostics}


def test_pgoutput_messages_decode():
    relation = b"R\x00\x00@\x01public\x00t\x00d\x00\x02\x01id\x00\x00\x00\x00\x17\xff\xff\xff\xff\x00x\x00" \
               b"\x00\x00\x00\x19\xff\xff\xff\xff"
    insert = b"I\x00\x00@\x01N\x00\x02t\x00\x00\x00\x011t\x00\x00\x00\x01a"
    delete = b"D\x00\x00@\x01K\x00\x02t\x00\x00\x00\x011n"
    ins, dele = decode([b"B" + b"\x00" * 20, relation, insert, delete])
    assert (ins.kind, ins.relation.name, ins.new) == ("insert", "t", {"id": "1", "x": "a"})
    assert (dele.kind, dele.old_kind, dele.old) == ("delete", "K", {"id": "1", "x": None})
