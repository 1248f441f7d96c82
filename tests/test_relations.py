"""Many-to-many relations over any primary-key type and self-links, built and proven on a real
PostgreSQL; bad relations are errors at the relation's line."""
from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.apply import apply_statements
from generator.diagnostics import GenError
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements

SPEC = Path(__file__).parent / "specs" / "relations" / "m2m_keys.yaml"


def test_join_columns_take_the_type_of_each_side_s_primary_key():
    s = load_schema(SPEC)
    follows, tags, likes = (s.table(n) for n in ("follows", "post_tags", "likes"))
    assert [(c.name, c.type.sql) for c in follows.columns[:2]] == [("follower_id", "bigint"), ("followed_id", "bigint")]
    assert [(c.name, c.type.sql) for c in tags.columns[:2]] == [("post_id", "uuid"), ("tag_id", "text")]
    assert {fk.ref_columns for fk in tags.foreign_keys} == {("id",), ("code",)}
    assert not any(c.identity for t in (follows, likes) for c in t.columns)   # a bigint key is not an identity here
    assert follows.primary_key.columns == ("follower_id", "followed_id")


def test_self_link_and_mixed_keys_apply_and_behave(fresh_db):
    apply_statements(fresh_db, schema_statements(load_schema(SPEC)))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        a, b = (conn.execute("INSERT INTO users (name) VALUES (%s) RETURNING id", (n,)).fetchone()[0] for n in "ab")
        conn.execute("INSERT INTO follows (follower_id, followed_id) VALUES (%s, %s), (%s, %s)", (a, b, b, a))
        conn.execute("INSERT INTO tags (code) VALUES ('x')")
        post = conn.execute("INSERT INTO posts DEFAULT VALUES RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO post_tags (post_id, tag_id) VALUES (%s, 'x')", (post,))
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO post_tags (post_id, tag_id) VALUES (%s, 'nope')", (post,))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO follows (follower_id, followed_id) VALUES (%s, %s)", (a, b))
        conn.execute("DELETE FROM users WHERE id = %s", (a,))          # cascades through both roles
        assert conn.execute("SELECT count(*) FROM follows").fetchone()[0] == 0


def test_verify_proves_the_links(pg_url, capsys):
    assert main(["verify", str(SPEC), "--database-url", pg_url, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    fks = {r["object"] for r in data["results"] if r["check"] == "fk" and r["status"] == "pass"}
    assert {"follows.follows_follower_id_fkey", "follows.follows_followed_id_fkey",
            "post_tags.post_tags_tag_id_fkey"} <= fks


BAD = """spec: 1
name: bad
entities:
  a:
    columns: {id: uuid pk}
  pair:
    columns: {x: uuid!, y: uuid!}
    primary_key: [x, y]
relations:
  - {many_to_many: [a, a], through: a_links}
  - {many_to_many: [a, b], through: ab}
  - {many_to_many: [a, a], through: same, columns: [a_id, a_id]}
  - {many_to_many: [a, pair], through: a_pairs}
"""


def test_bad_relations_are_errors_at_their_lines(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(GenError) as info:
        load_schema(path)
    got = {(d.code, d.loc.line) for d in info.value.diagnostics}
    assert {("RS093", 10), ("RS090", 11), ("RS094", 12), ("RS097", 13)} <= got
    assert all("entities." not in d.name for d in info.value.diagnostics if d.code.startswith("RS09"))
