"""Shared fixtures and batched tenant deletes in the constraint proofs: among many tables, one
weakened in the database fails exactly its own proofs (a batch masks no failure, a shared
parent row makes none up), and the batches keep a proof that switches triggers off away from
tables whose rows it could touch."""
from __future__ import annotations

from pathlib import Path

from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.pipeline import load_schema
from generator.verify import statements
from generator.verify.constraints import _proofs, check_constraints
from generator.verify.report import PASS
from generator.verify.session import Session
from generator.verify.tenant_deletes import batchable, batches, tenant_deletes

TABLES = 12


def _spec(tmp_path: Path) -> Path:
    """A tenant root and TABLES tenant tables: each after the first with a required key to the
    first (tenant-consistent, so its tenant key's proof switches that key's trigger off), from
    t07 on a nullable key to the table five before; a unique column and a check each."""
    lines = ["spec: 1", "name: batched", "tenancy: {root: tenants, column: tenant_id}", "entities:",
             "  tenants:", "    columns: {id: uuid pk, name: text!}"]
    for i in range(1, TABLES + 1):
        lines += [f"  t{i:02d}:", "    tenant: true", "    columns:", "      id: uuid pk",
                  "      code: {type: text, nullable: false, unique: true}",
                  "      amount: {type: integer, nullable: false, default: '1', check: 'amount > 0'}"]
        if i > 1:
            lines.append("      ref_id: {type: uuid, nullable: false, ref: {entity: t01, on_delete: cascade}}")
        if i > 6:
            lines.append(f"      parent_id: {{type: uuid, ref: {{entity: t{i - 5:02d}, on_delete: set null}}}}")
    path = tmp_path / "batched.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _verdicts(url: str, schema) -> list[tuple[str, str, str]]:
    with connect(url, autocommit=True, factory=Session) as conn:
        return [(r.object, r.what, r.status) for r in check_constraints(conn, schema)]


def test_one_weakened_table_among_many_fails_exactly_its_proofs(fresh_db, tmp_path):
    schema = load_schema(_spec(tmp_path))
    apply_statements(fresh_db, statements(schema))
    before = _verdicts(fresh_db, schema)
    assert len(before) > 8 * TABLES and {s for _, _, s in before} == {PASS}
    key = next(fk for fk in schema.table("t07").foreign_keys if fk.columns == ("tenant_id",))
    ref = next(fk for fk in schema.table("t03").foreign_keys if "ref_id" in fk.columns)
    with connect(fresh_db, autocommit=True) as conn:        # the database, not the spec, is weakened
        conn.execute(f"ALTER TABLE t07 DROP CONSTRAINT {key.name}, ADD CONSTRAINT {key.name} "
                     "FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE NO ACTION")
        conn.execute("ALTER TABLE t09 DROP CONSTRAINT t09_code_key")
        conn.execute(f"ALTER TABLE t03 DROP CONSTRAINT {ref.name}")
    after = _verdicts(fresh_db, schema)
    assert [r[:2] for r in after] == [r[:2] for r in before]
    assert [a for b, a in zip(before, after) if b != a] == [
        (f"t03.{ref.name}", "orphan rejected", "fail"), (f"t03.{ref.name}", "ON DELETE CASCADE", "fail"),
        (f"t07.{key.name}", "ON DELETE CASCADE", "fail"), ("t09.t09_code_key", "duplicate rejected", "fail")]


def test_a_weakened_check_is_caught_with_shared_parents(fresh_db, tmp_path):
    schema = load_schema(_spec(tmp_path))
    apply_statements(fresh_db, statements(schema))
    check = schema.table("t12").checks[0].name
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE t12 DROP CONSTRAINT {check}")
    got = [(o, w, s) for o, w, s in _verdicts(fresh_db, schema) if s != PASS]
    assert got == [(f"t12.{check}", "violating row rejected", "warn")]


def test_batches_pass_only_what_each_proof_shows(fresh_db, tmp_path):
    schema = load_schema(_spec(tmp_path))
    apply_statements(fresh_db, statements(schema))
    items = [(i, n, t, p[4]) for i, t in enumerate(schema.tables) for n, p in enumerate(_proofs(t))
             if p[4] is not None and batchable(schema, t, p[4])]
    assert len(items) == TABLES
    # t02.. switch their composite key's triggers off: t02..t06 never share a batch with the
    # table five below (whose rows may hold theirs); the siblings otherwise go together
    got = [sorted(int(item[2].name[1:]) for item in batch) for batch in batches(schema, items)]
    assert sorted(n for b in got for n in b) == list(range(1, TABLES + 1)) and len(got) < TABLES / 2
    assert not any(n in b and n + 5 in b for b in got for n in range(2, 7))
    with connect(fresh_db, autocommit=True, factory=Session) as conn:
        assert len(tenant_deletes(conn, schema, items)) == TABLES
        key = next(fk for fk in schema.table("t05").foreign_keys if fk.columns == ("tenant_id",))
        conn.execute(f"ALTER TABLE t05 DROP CONSTRAINT {key.name}, ADD CONSTRAINT {key.name} "
                     "FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE NO ACTION")
        got = tenant_deletes(conn, schema, items)
    assert all(r.status == PASS for r in got.values())
    assert not any(schema.tables[i].name == "t05" for i, _ in got)      # left to be proven alone


HOLE_SPEC = """spec: 1
name: hole
tenancy: {root: tenants, column: tenant_id}
entities:
  tenants:
    columns: {id: uuid pk, name: text!}
  p:
    tenant: true
    columns: {id: uuid pk, name: text!}
  w:
    tenant: true
    columns:
      id: uuid pk
      p_id: {type: uuid, nullable: false, ref: {entity: p, on_delete: cascade, same_tenant: false}}
"""


def test_a_dropped_tenant_key_is_not_hidden_by_another_cascading_key(fresh_db, tmp_path):
    """w's other required CASCADE key (same_tenant: false) reaches a parent of the same tenant:
    deleting the tenant removes w's row through it, so the proof switches that key's action off
    (in a batch too: w's child survives it, so the batch's proofs run alone)."""
    path = tmp_path / "hole.yaml"
    path.write_text(HOLE_SPEC)
    schema = load_schema(path)
    apply_statements(fresh_db, statements(schema))
    items = [(i, n, t, p[4]) for i, t in enumerate(schema.tables) for n, p in enumerate(_proofs(t))
             if p[4] is not None and batchable(schema, t, p[4])]
    assert [t.name for _, _, t, _ in items] == ["p", "w"]
    with connect(fresh_db, autocommit=True, factory=Session) as conn:
        assert [schema.tables[i].name for i, _ in tenant_deletes(conn, schema, items)] == ["p", "w"]
    key = next(fk for fk in schema.table("w").foreign_keys if fk.columns == ("tenant_id",))
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE w DROP CONSTRAINT {key.name}")
    got = {(o, w): s for o, w, s in _verdicts(fresh_db, schema)}
    assert got[(f"w.{key.name}", "orphan rejected")] == "fail"
    assert got[(f"w.{key.name}", "ON DELETE CASCADE")] == "fail"
    assert {s for (o, _), s in got.items() if not o.startswith("w.")} == {PASS}
    with connect(fresh_db, autocommit=True, factory=Session) as conn:     # w's child survives its batch
        assert tenant_deletes(conn, schema, items) == {}
