"""Soft delete, optimistic locking and the audit trail change what the database does: proven on
a real PostgreSQL as the application's role (tests/specs/lifecycle/shop.yaml)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from generator.db.apply import apply_statements
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements

SPEC = Path(__file__).parent / "specs" / "lifecycle" / "shop.yaml"


class Shop:
    def __init__(self, url: str):
        self.conn = psycopg.connect(url, autocommit=True)
        self.a, self.b = (self.one("INSERT INTO companies (name) VALUES (%s) RETURNING id", n) for n in ("A", "B"))
        self.user = self.one("INSERT INTO users (email, company_id) VALUES ('u@a', %s) RETURNING id", self.a)
        self.admin = self.one("INSERT INTO users (email, is_system_admin) VALUES ('root@x', true) RETURNING id")

    def one(self, sql: str, *params):
        return self.conn.execute(sql, params).fetchone()[0]

    @contextmanager
    def as_app(self, company=None, user=None, role: str = "shop_app"):
        """A transaction as the application role with the tenant and user set; committed."""
        with self.conn.transaction():
            self.conn.execute(f"SET LOCAL ROLE {role}")
            for name, value in (("app.company_id", company), ("app.user_id", user)):
                if value is not None:
                    self.conn.execute("SELECT set_config(%s, %s, true)", (name, str(value)))
            yield self.conn

    def customer(self, email: str = "c@a", company=None) -> uuid.UUID:
        return self.one("INSERT INTO customers (company_id, email) VALUES (%s, %s) RETURNING id", company or self.a,
                        email)


@pytest.fixture
def shop(fresh_db):
    apply_statements(fresh_db, schema_statements(load_schema(SPEC)))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE shop_support NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shop_support")
    s = Shop(fresh_db)
    yield s
    s.conn.close()


def test_delete_by_the_app_marks_the_row_and_hides_it(shop):
    c = shop.customer()
    order = shop.one("INSERT INTO orders (company_id, customer_id) VALUES (%s, %s) RETURNING id", shop.a, c)
    with shop.as_app(shop.a, shop.user) as conn:
        assert conn.execute("DELETE FROM customers WHERE id = %s", (c,)).rowcount == 0   # no row removed
    with shop.as_app(shop.a, shop.user) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0        # hidden
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0           # children cascaded
    row = shop.conn.execute("SELECT is_deleted, deleted_by, deleted_at IS NOT NULL FROM customers WHERE id = %s",
                            (c,)).fetchone()
    assert row == (True, shop.user, True)                                               # still there, marked
    assert shop.one("SELECT deleted_at IS NOT NULL FROM orders WHERE id = %s", order)


def test_unique_keys_ignore_deleted_rows_one_to_one_included(shop):
    c = shop.customer("same@a")
    shop.one("INSERT INTO profiles (company_id, customer_id, bio) VALUES (%s, %s, 'x') RETURNING id", shop.a, c)
    with shop.as_app(shop.a, shop.user) as conn:
        conn.execute("DELETE FROM profiles WHERE customer_id = %s", (c,))
        conn.execute("INSERT INTO profiles (company_id, customer_id, bio) VALUES (%s, %s, 'again')", (shop.a, c))
        conn.execute("DELETE FROM customers WHERE id = %s", (c,))
        conn.execute("INSERT INTO customers (company_id, email) VALUES (%s, 'same@a')", (shop.a,))
    with pytest.raises(psycopg.errors.UniqueViolation):       # two live rows still cannot share a key
        shop.customer("same@a")


def test_the_mark_is_set_only_by_delete_and_cleared_only_by_restore_roles(shop):
    c = shop.customer()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("UPDATE customers SET deleted_at = '2000-01-01' WHERE id = %s", (c,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("INSERT INTO customers (company_id, email, deleted_at) VALUES (%s, 'x@a', now())", (shop.a,))
    with shop.as_app(shop.a, shop.user) as conn:
        conn.execute("DELETE FROM customers WHERE id = %s", (c,))
    with shop.as_app(shop.a, shop.user) as conn:           # a user neither sees nor restores it
        assert conn.execute("UPDATE customers SET deleted_at = NULL WHERE id = %s", (c,)).rowcount == 0
    with shop.as_app(shop.a, shop.admin) as conn:          # the declared restore role (admin) does both
        assert conn.execute("SELECT count(*) FROM customers WHERE id = %s", (c,)).fetchone()[0] == 1
        assert conn.execute("UPDATE customers SET deleted_at = NULL, deleted_by = NULL WHERE id = %s",
                            (c,)).rowcount == 1
    with shop.as_app(shop.a, shop.user) as conn:
        assert conn.execute("SELECT count(*) FROM customers WHERE id = %s", (c,)).fetchone()[0] == 1


def test_purge_is_for_the_owner_and_block_refuses_with_live_children(shop):
    s = shop.one("INSERT INTO suppliers (company_id, name) VALUES (%s, 's') RETURNING id", shop.a)
    shop.one("INSERT INTO supplies (company_id, supplier_id, item) VALUES (%s, %s, 'x') RETURNING id", shop.a, s)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("DELETE FROM suppliers WHERE id = %s", (s,))
    shop.conn.execute("DELETE FROM suppliers WHERE id = %s", (s,))      # the owner purges (cascades)
    assert shop.one("SELECT count(*) FROM supplies") == 0


def test_a_key_declared_restrict_blocks_the_soft_delete_and_set_null_leaves_the_children(shop):
    """children: cascade is the parent's default; a child's own key says more: restrict keeps the
    parent while live children point at it, set null leaves the children as they are."""
    c = shop.customer()
    shop.one("INSERT INTO invoices (company_id, customer_id) VALUES (%s, %s) RETURNING id", shop.a, c)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="invoices"):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("DELETE FROM customers WHERE id = %s", (c,))
    assert shop.one("SELECT deleted_at IS NULL FROM customers WHERE id = %s", c)
    other = shop.customer("n@a")
    note = shop.one("INSERT INTO notes (company_id, customer_id, body) VALUES (%s, %s, 'x') RETURNING id", shop.a, other)
    with shop.as_app(shop.a, shop.user) as conn:
        conn.execute("DELETE FROM customers WHERE id = %s", (other,))
    assert shop.one("SELECT deleted_at IS NOT NULL FROM customers WHERE id = %s", other)
    assert shop.one("SELECT deleted_at IS NULL AND customer_id IS NOT NULL FROM notes WHERE id = %s", note)


def test_marking_a_row_rewrites_nothing_else_and_a_cascade_meets_the_grandchildrens_keys(shop):
    """Marking is for the mark only: the UPDATE that marks a row may not change its other columns
    (who may delete a row could otherwise rewrite it, or re-point its key at themselves). A mark
    that cascades to a child runs the child's own rules: a grandchild's `restrict` key blocks it."""
    c = shop.customer()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("UPDATE customers SET email = 'taken@x', deleted_at = transaction_timestamp(), "
                         "deleted_by = %s WHERE id = %s", (shop.user, c))
    assert shop.one("SELECT email FROM customers WHERE id = %s", c) == "c@a"
    p = shop.one("INSERT INTO profiles (company_id, customer_id, bio) VALUES (%s, %s, 'x') RETURNING id", shop.a, c)
    shop.one("INSERT INTO badges (company_id, profile_id) VALUES (%s, %s) RETURNING id", shop.a, p)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="badges"):
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("DELETE FROM customers WHERE id = %s", (c,))
    assert shop.one("SELECT deleted_at IS NULL FROM profiles WHERE id = %s", p)


def test_a_stale_version_is_rejected_and_a_current_one_increments(shop):
    c = shop.customer()
    with shop.as_app(shop.a, shop.user) as conn:
        assert conn.execute("SELECT version FROM customers WHERE id = %s", (c,)).fetchone()[0] == 1
        conn.execute("UPDATE customers SET name = 'one', version = 1 WHERE id = %s", (c,))
        conn.execute("UPDATE customers SET name = 'blind' WHERE id = %s", (c,))        # no version sent
    with pytest.raises(psycopg.errors.SerializationFailure) as info:
        with shop.as_app(shop.a, shop.user) as conn:
            conn.execute("UPDATE customers SET name = 'late', version = 1 WHERE id = %s", (c,))
    assert "stale version of customers" in str(info.value)
    assert shop.conn.execute("SELECT name, version FROM customers WHERE id = %s", (c,)).fetchone() == ("blind", 3)


def test_every_audited_write_leaves_one_row_with_the_actor_and_the_app_cannot_touch_them(shop):
    with shop.as_app(shop.a, shop.user) as conn:
        c = conn.execute("INSERT INTO customers (company_id, email) VALUES (%s, 'a@a') RETURNING id",
                         (shop.a,)).fetchone()[0]
        o = conn.execute("INSERT INTO orders (company_id, customer_id, total, card_token) VALUES (%s, %s, 5, 'tok') "
                         "RETURNING id", (shop.a, c)).fetchone()[0]
        conn.execute("UPDATE orders SET total = 7 WHERE id = %s", (o,))
        conn.execute("DELETE FROM customers WHERE id = %s", (c,))
    rows = shop.conn.execute("SELECT table_name, operation, actor, company_id, changed_columns, new_values "
                             "FROM audit_log WHERE table_name IN ('customers', 'orders') ORDER BY id").fetchall()
    ops = [(r[0], r[1]) for r in rows]
    # the children are marked while the parent's mark is being written (its BEFORE UPDATE trigger), so
    # their audit rows come first
    assert ops == [("customers", "INSERT"), ("orders", "INSERT"), ("orders", "UPDATE"),
                   ("orders", "SOFT_DELETE"), ("customers", "SOFT_DELETE")]
    assert all(r[2] == shop.user and r[3] == shop.a for r in rows)
    assert "total" in rows[2][4] and rows[2][5]["total"] == 7
    assert "card_token" not in rows[1][5]                                    # excluded from the trail
    for sql in ("UPDATE audit_log SET actor = NULL", "DELETE FROM audit_log",
                "INSERT INTO audit_log (table_name, operation, row_key) VALUES ('x', 'INSERT', '{}')",
                "TRUNCATE audit_log"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with shop.as_app(shop.a, shop.user) as conn:
                conn.execute(sql)
    with shop.as_app(shop.b, shop.user) as conn:                             # another tenant reads none
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
    with shop.as_app(shop.a, shop.user) as conn:                             # its own tenant's, all of them
        mine = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert mine == shop.one("SELECT count(*) FROM audit_log WHERE company_id = %s", shop.a) >= len(rows)


def test_audit_rows_outlive_their_tenant_and_are_pruned_by_the_declared_path(shop):
    shop.customer()
    shop.conn.execute("DELETE FROM companies WHERE id = %s", (shop.a,))     # the owner purges a tenant
    assert shop.one("SELECT count(*) FROM audit_log WHERE company_id = %s", shop.a) >= 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with shop.as_app(shop.b, shop.user) as conn:
            conn.execute("SELECT audit_prune('0 seconds')")
    with shop.as_app(None, shop.admin) as conn:
        assert conn.execute("SELECT audit_prune('0 seconds')").fetchone()[0] >= 1


def test_the_version_contract_reaches_every_client_and_a_declared_description_wins(tmp_path):
    """Clients learn from their own types what an optimistic-locking column asks of them."""
    from generator.pipeline import render
    schema = load_schema(SPEC)
    files = {}
    for target in ("prisma", "drizzle", "typescript", "pydantic"):
        files.update(render(schema, [target])[0])
    texts = {name: text for name, text in files.items() if name.endswith((".prisma", ".ts", ".py"))}
    for target in ("schema.prisma", "drizzle/schema.ts", "types/database.ts", "_models.py"):
        text = next(t for n, t in texts.items() if n.endswith(target))
        assert "a stale one fails with SQLSTATE 40001" in text, target
    spec = tmp_path / "own.yaml"
    spec.write_text(SPEC.read_text().replace("      name: text\n", "      name: text\n      version: {type: integer, "
                                             "nullable: false, default: 1, description: 'rev */ own'}\n", 1))
    own = load_schema(spec)
    ts = render(own, ["typescript"])[0]
    text = next(t for n, t in ts.items() if n.endswith("database.ts"))
    assert "/** rev *\\/ own */" in text and "a stale one fails" not in text
