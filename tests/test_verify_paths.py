"""ON DELETE proofs show the action of the key under test only: a weakened key is not hidden
behind another path from the deleted row to the child (another cascading key, a chain through a
third table, the tenant row a second key shares), a SET DEFAULT is not a SET NULL, and a table
without a primary key finds its child row by what the action cannot change."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.pipeline import load_schema
from generator.verify import statements
from generator.verify.constraints import check_constraints
from generator.verify.report import FAIL, PASS
from generator.verify.session import Session

HEAD = "spec: 1\nname: paths\ntenancy: {root: tenants, column: tenant_id}\nentities:\n" \
       "  tenants:\n    columns: {id: uuid pk, name: text!}\n"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "paths.yaml"
    path.write_text(text)
    return load_schema(path)


def _verdicts(url: str, schema, *weaken: str) -> dict[tuple[str, str], str]:
    """(object, what) -> status of the constraint proofs, after `weaken` ran on the database."""
    if weaken:
        with connect(url, autocommit=True) as conn:
            for sql in weaken:
                conn.execute(sql)
    with connect(url, autocommit=True, factory=Session) as conn:
        return {(r.object, r.what): r.status for r in check_constraints(conn, schema)}


def _key(schema, table: str, *columns: str):
    return next(fk for fk in schema.table(table).foreign_keys if fk.columns == columns)


def _readd(table: str, key, cols: str, target: str, action: str) -> str:
    """The database's key replaced by one with the same name and columns and another action."""
    return (f"ALTER TABLE {table} DROP CONSTRAINT {key.name}, ADD CONSTRAINT {key.name} "
            f"FOREIGN KEY ({cols}) REFERENCES {target} ON DELETE {action}")


CHAIN = HEAD + """\
  p:
    tenant: true
    columns: {id: uuid pk, name: text!}
  m:
    tenant: true
    columns:
      id: uuid pk
      p_id: {type: uuid, nullable: false, ref: {entity: p, on_delete: cascade, same_tenant: false}}
  w:
    tenant: true
    columns:
      id: uuid pk
      m_id: {type: uuid, nullable: false, ref: {entity: m, on_delete: cascade, same_tenant: false}}
      note: text
"""


def test_a_dropped_tenant_key_is_not_hidden_by_a_chain_of_cascades(fresh_db, tmp_path):
    """tenant -> p -> m -> w through same_tenant: false keys: a dropped tenant key of w is not
    shown as cascading by that chain; every other proof stays as it was, and a sound database
    passes all."""
    schema = _load(tmp_path, CHAIN)
    apply_statements(fresh_db, statements(schema))
    before = _verdicts(fresh_db, schema)
    assert set(before.values()) == {PASS}
    key = _key(schema, "w", "tenant_id")
    after = _verdicts(fresh_db, schema, f"ALTER TABLE w DROP CONSTRAINT {key.name}")
    assert {k: s for k, s in after.items() if s != before[k]} == {
        (f"w.{key.name}", "orphan rejected"): FAIL, (f"w.{key.name}", "ON DELETE CASCADE"): FAIL}


def test_a_key_sharing_the_tenant_row_is_not_hidden_by_the_tenant_key(fresh_db, tmp_path):
    """A CASCADE key to the tenant root that a check keeps on the row's own tenant (so the proof
    cannot give it a root row of its own): deleting that row also cascades through the tenant
    key, which must not stand in for a key made NO ACTION."""
    schema = _load(tmp_path, HEAD + """\
  orders:
    tenant: true
    columns:
      id: uuid pk
      sponsor_id: {type: uuid, ref: {entity: tenants, on_delete: cascade}}
    checks:
      - {name: orders_sponsor_own, expression: "sponsor_id IS NULL OR sponsor_id = tenant_id"}
""")
    apply_statements(fresh_db, statements(schema))
    key = _key(schema, "orders", "sponsor_id")
    what = (f"orders.{key.name}", "ON DELETE CASCADE")
    before = _verdicts(fresh_db, schema)
    assert before[what] == PASS
    after = _verdicts(fresh_db, schema, _readd("orders", key, "sponsor_id", "tenants (id)", "NO ACTION"))
    assert {k: s for k, s in after.items() if s != before[k]} == {what: FAIL}


PLAIN = "spec: 1\nname: plain\nentities:\n  p:\n    columns: {id: uuid pk, name: text!}\n"
HOME = "00000000-0000-4000-8000-000000000001"


def test_a_set_default_proof_fails_a_database_that_sets_null(fresh_db, tmp_path):
    """ON DELETE SET DEFAULT with a default naming an existing parent: a database that sets
    NULL instead (the value changed, so 'not the old value' would pass it) fails the proof."""
    schema = _load(tmp_path, PLAIN + f"""\
  c:
    columns:
      id: uuid pk
      p_id: {{type: uuid, default: "'{HOME}'::uuid", ref: {{entity: p, on_delete: set default}}}}
""")
    apply_statements(fresh_db, statements(schema))
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"INSERT INTO p (id, name) VALUES ('{HOME}', 'home')")
    key = _key(schema, "c", "p_id")
    what = (f"c.{key.name}", "ON DELETE SET DEFAULT")
    assert _verdicts(fresh_db, schema)[what] == PASS
    assert _verdicts(fresh_db, schema, _readd("c", key, "p_id", "p (id)", "SET NULL"))[what] == FAIL


NO_PK = PLAIN + """\
  c:
    columns:
      name: text!
      note: text
      p_id: {type: uuid, ref: {entity: p, on_delete: %s}}
"""


@pytest.mark.parametrize("action, weakened", [("cascade", "SET NULL"), ("set null", "CASCADE")])
def test_without_a_primary_key_the_child_is_found_by_its_other_columns(fresh_db, tmp_path, action, weakened):
    """A table without a primary key (a NULL column too): the child was found by every column,
    its key's too; a database that sets NULL instead of cascading changes the key's column, so
    the row no longer matched and the CASCADE proof passed (and a real SET NULL failed). It is
    found by the other columns now: each proof passes its own action and fails the other."""
    schema = _load(tmp_path, NO_PK % action)
    apply_statements(fresh_db, statements(schema))
    key = _key(schema, "c", "p_id")
    what = (f"c.{key.name}", f"ON DELETE {action.upper()}")
    assert _verdicts(fresh_db, schema)[what] == PASS
    assert _verdicts(fresh_db, schema, _readd("c", key, "p_id", "p (id)", weakened))[what] == FAIL


def test_a_restrict_proof_wants_the_parents_refusal_not_a_bad_default(fresh_db, tmp_path):
    """RESTRICT in the spec; the database sets a default no parent has: the delete is refused
    too, by the key's check of the child's new value (an error naming the key, but the child's
    table), which a parent with that id would let through: not a RESTRICT."""
    schema = _load(tmp_path, PLAIN + """\
  c:
    columns:
      id: uuid pk
      p_id: {type: uuid, ref: {entity: p, on_delete: restrict}}
""")
    apply_statements(fresh_db, statements(schema))
    key = _key(schema, "c", "p_id")
    what = (f"c.{key.name}", "ON DELETE RESTRICT")
    assert _verdicts(fresh_db, schema)[what] == PASS
    after = _verdicts(fresh_db, schema, f"ALTER TABLE c ALTER COLUMN p_id SET DEFAULT '{HOME}'",
                      _readd("c", key, "p_id", "p (id)", "SET DEFAULT"))
    assert after[what] != PASS


TWIN = """CREATE FUNCTION twin() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF pg_trigger_depth() = 1 THEN INSERT INTO c (name, note, p_id) VALUES (NEW.name, NEW.note, NEW.p_id); END IF;
  RETURN NULL; END $$;
CREATE TRIGGER twin AFTER INSERT ON c FOR EACH ROW EXECUTE FUNCTION twin()"""


def test_without_a_primary_key_identical_rows_go_and_stay_together(fresh_db, tmp_path):
    """Every child row doubled by a trigger (identical rows, a NULL column): both copies go
    with a cascade and both are set NULL, so the proofs pass on a sound database; a database
    that sets NULL instead of cascading, or cascades instead of setting NULL, still fails."""
    for action, other in (("cascade", "SET NULL"), ("set null", "CASCADE")):
        schema = _load(tmp_path, NO_PK % action)
        with connect(fresh_db, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS c, p CASCADE")
            conn.execute("DROP FUNCTION IF EXISTS twin()")
        apply_statements(fresh_db, statements(schema))
        with connect(fresh_db, autocommit=True) as conn:
            conn.execute(TWIN)
        key = _key(schema, "c", "p_id")
        what = (f"c.{key.name}", f"ON DELETE {key.on_delete}")
        assert _verdicts(fresh_db, schema)[what] == PASS
        assert _verdicts(fresh_db, schema, _readd("c", key, "p_id", "p (id)", other))[what] == FAIL


def test_without_a_primary_key_another_keys_action_does_not_hide_the_child(fresh_db, tmp_path):
    """A tenant table without a primary key and a required SET DEFAULT key to a parent of its
    tenant: deleting the tenant moves that column to its default, so a child found by every
    column (its other key's too) looked gone, alone and in a batch, with the tenant key dropped."""
    schema = _load(tmp_path, HEAD + f"""\
  p:
    tenant: true
    columns: {{id: uuid pk, name: text!}}
  c:
    tenant: true
    columns:
      name: text!
      p_id: {{type: uuid, nullable: false, default: "'{HOME}'::uuid",
              ref: {{entity: p, on_delete: set default, same_tenant: false}}}}
""")
    apply_statements(fresh_db, statements(schema))
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"INSERT INTO tenants (id, name) VALUES ('{HOME}', 'home')")
        conn.execute(f"INSERT INTO p (id, tenant_id, name) VALUES ('{HOME}', '{HOME}', 'home')")
    key = _key(schema, "c", "tenant_id")
    what = (f"c.{key.name}", "ON DELETE CASCADE")
    before = _verdicts(fresh_db, schema)
    assert set(before.values()) == {PASS}
    after = _verdicts(fresh_db, schema, f"ALTER TABLE c DROP CONSTRAINT {key.name}")
    assert {k: s for k, s in after.items() if s != before[k]} == {what: FAIL, (what[0], "orphan rejected"): FAIL}
