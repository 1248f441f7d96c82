"""Expressions compared in the server's own normal form: defaults, generated columns, checks,
index predicates, policies and views the server spells its own way show no drift (drift, push,
verify's synced check), real differences still do, and nothing is left in the database."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from generator.db.apply import apply_statements
from generator.db.inspect import inspect
from generator.migrate.database import drift
from generator.migrate.push import changes_to
from generator.migrate.verify import differences
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements
from generator.postgres.server_form import in_server_form
from generator.verify.sync import check_synced

SPEC = r"""
spec: 1
name: nf
enums:
  mood: [happy, sad]
entities:
  lines:
    columns:
      id: bigint pk
      quantity: integer! = 1
      unit_price: numeric(10,2)! = 1e3
      active: boolean! = 't'
      meta: "jsonb! = '{\"a\":1,   \"b\": [1,2]}'"
      opens: time = '9:00'
      opens_tz: timetz = '09:00+02'
      note: text = E'line\none'
      mood: mood = 'happy'
      total: {type: numeric, generated: quantity * unit_price}
    checks:
      - {name: qty_range, expression: "quantity BETWEEN 1 AND 1e3"}
    indexes:
      - {columns: [unit_price], where: "active AND unit_price > 1e2"}
    policies:
      - {name: cheap, for: select, using: "unit_price < 1e4 AND mood = 'happy'"}
views:
  all_lines:
    query: SELECT * FROM lines
"""


@pytest.fixture
def applied(tmp_path, fresh_db):
    spec = tmp_path / "nf.yaml"
    spec.write_text(SPEC)
    model = load_schema(spec)
    apply_statements(fresh_db, schema_statements(model))
    return fresh_db, model


def test_spellings_the_server_rewrites_are_not_drift(applied):
    url, model = applied
    assert differences(inspect(url), model) != []          # guessing the spelling alone fails here
    assert drift(url, model) == []
    assert changes_to(url, model) == []                    # push: nothing to do
    assert [r.status for r in check_synced(model, url)] == ["pass"]


def test_real_differences_still_show(applied):
    url, model = applied
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE lines ALTER COLUMN unit_price SET DEFAULT 1e4")
        conn.execute("CREATE OR REPLACE VIEW all_lines AS SELECT id, quantity, unit_price, active, meta, opens, "
                     "opens_tz, note, mood, total FROM lines WHERE quantity > 1")
    assert sorted(drift(url, model)) == ["default of lines.unit_price", "drop view all_lines", "view all_lines"]


def test_the_server_spells_and_nothing_stays(applied):
    url, model = applied
    with psycopg.connect(url, autocommit=True) as conn:
        spelled = in_server_form(conn, model)
        left = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()").fetchone()
    lines = spelled.tables[0]
    assert lines.column("unit_price").default == "'1000'::numeric"
    assert lines.column("active").default == "true"
    assert lines.column("total").generated == "((quantity)::numeric * unit_price)"
    assert "\n" in lines.column("note").default                     # E'line\none' is a newline
    assert spelled.views[0].query.split()[:3] == ["SELECT", "id,", "quantity,"]
    assert left == (0,)


def test_what_the_server_cannot_build_keeps_its_declared_spelling(fresh_db, tmp_path):
    spec = tmp_path / "nf.yaml"
    spec.write_text(SPEC)
    model = load_schema(spec)                              # nothing applied: type mood is missing
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        spelled = in_server_form(conn, model)
    assert spelled.tables == model.tables and spelled.views == model.views
    assert drift(fresh_db, model) != []                    # and it all shows as missing
