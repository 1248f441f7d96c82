"""Harness of tests/test_attacks_independent.py: builds an example spec's schema in a scratch
database with two tenants/users of fixture rows (as the superuser), runs SQL as the application's
own role inside a transaction that is always rolled back, and batteries of writes judged by
fingerprints of the victims' rows."""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg

from generator.db.apply import apply_statements
from generator.db.server import scratch_database
from generator.pipeline import load_schema
from generator.verify import shim_for, statements

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"

# --- identities -------------------------------------------------------------------------------
A, B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000001"
A1, A2 = "aaaaaaaa-0000-4000-8000-0000000000a1", "aaaaaaaa-0000-4000-8000-0000000000a2"
B1, B2 = "bbbbbbbb-0000-4000-8000-0000000000b1", "bbbbbbbb-0000-4000-8000-0000000000b2"
U1, U2 = "11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"
ADM = "99999999-0000-4000-8000-000000000009"


def tenant(setting: str, tenant_id: str, user_id: str) -> dict[str, str]:
    return {setting: tenant_id, "app.user_id": user_id}


def jwt(sub: str) -> dict[str, str]:
    return {"request.jwt.claims": json.dumps({"sub": sub, "role": "authenticated"})}


CHAT_A1 = tenant("app.company_id", A, A1)      # chatapp: support agent of company A
CHAT_A2 = tenant("app.company_id", A, A2)      # chatapp: company admin of company A
CC_A1 = tenant("app.tenant_id", A, A1)         # conversational_commerce: buyer a1 of tenant A
CC_A2 = tenant("app.tenant_id", A, A2)         # conversational_commerce: seller a2 of tenant A


# --- running SQL as the attacker ----------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    rows: list = field(default_factory=list)
    rowcount: int = -1
    sqlstate: str | None = None
    message: str = ""


class Attacker:
    """One open transaction as `role` with the given settings; `run` keeps going after errors
    (each statement in a savepoint), `owner` looks at (or sets up) the truth as the superuser."""

    def __init__(self, conn: psycopg.Connection, role: str):
        self.conn, self.role = conn, role

    def run(self, sql: str, params: tuple | dict | None = None) -> Outcome:
        self.conn.execute("SAVEPOINT atk")
        try:
            cur = self.conn.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
            out = Outcome(True, rows, cur.rowcount)
            self.conn.execute("RELEASE SAVEPOINT atk")
            return out
        except psycopg.Error as exc:
            self.conn.execute("ROLLBACK TO SAVEPOINT atk")
            return Outcome(False, sqlstate=exc.sqlstate, message=str(exc).splitlines()[0])

    def value(self, sql: str, params: tuple | dict | None = None):
        out = self.run(sql, params)
        assert out.ok, f"{sql}: {out.sqlstate} {out.message}"
        return out.rows[0][0]

    def copy_out(self, sql: str) -> str:
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            return b"".join(bytes(chunk) for chunk in copy).decode()

    def copy_in(self, sql: str, data: str) -> Outcome:
        self.conn.execute("SAVEPOINT atk")
        try:
            with self.conn.cursor() as cur:
                with cur.copy(sql) as copy:
                    copy.write(data)
                n = cur.rowcount
            self.conn.execute("RELEASE SAVEPOINT atk")
            return Outcome(True, rowcount=n)
        except psycopg.Error as exc:
            self.conn.execute("ROLLBACK TO SAVEPOINT atk")
            return Outcome(False, sqlstate=exc.sqlstate, message=str(exc).splitlines()[0])

    def owner(self, sql: str, params: tuple | dict | None = None) -> list:
        """Run as the superuser (the truth, or fixture set-up) in the same transaction."""
        self.conn.execute("RESET ROLE")
        try:
            cur = self.conn.execute(sql, params)
            return cur.fetchall() if cur.description else []
        finally:
            self.conn.execute(f'SET LOCAL ROLE "{self.role}"')

    def settings(self, values: dict[str, str]) -> None:
        for key, val in values.items():
            self.conn.execute("SELECT set_config(%s, %s, true)", (key, val))


@contextmanager
def attacker(url: str, role: str, settings: dict[str, str] | None = None) -> Iterator[Attacker]:
    """A transaction as `role` (plus the identity's settings), rolled back afterwards."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("BEGIN")
        try:
            conn.execute(f'SET LOCAL ROLE "{role}"')
            atk = Attacker(conn, role)
            atk.settings(settings or {})
            yield atk
        finally:
            conn.execute("ROLLBACK")


# --- fingerprints: what the attacker must not be able to change ---------------------------------
def fingerprint(atk: Attacker, spared: dict[str, str]) -> dict[str, str]:
    """count and md5 of the rows of every table (public and auth) that are not the attacker's:
    `spared` maps a table to the predicate selecting the victims' rows (unnamed tables count whole)."""
    tables = atk.owner(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('public', 'auth') AND c.relkind = 'r' ORDER BY 1, 2")
    out = {}
    for schema, table in tables:
        name = table if schema == "public" else f"{schema}.{table}"
        where = spared.get(name, "true")
        out[name] = atk.owner(
            "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') "
            f'FROM "{schema}"."{table}" x WHERE {where}')[0][0]
    return out


def tenant_filter(atk: Attacker, column: str, own: str) -> dict[str, str]:
    """Victim rows of a tenant-scoped schema: every row whose tenant column is not the attacker's."""
    rows = atk.owner("SELECT table_name FROM information_schema.columns "
                     "WHERE table_schema = 'public' AND column_name = %s", (column,))
    spared = {r[0]: f"x.{column} IS DISTINCT FROM '{own}'" for r in rows}
    return spared


# --- batteries: every way to reach another principal's rows of one table ----------------------------
def columns(atk: Attacker, table: str) -> list[tuple[str, str]]:
    return atk.owner("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
                     "'public' AND table_name = %s AND is_generated = 'NEVER' AND is_identity = 'NO' "
                     "ORDER BY ordinal_position", (table,))


def clone_row(atk: Attacker, table: str, where: str, changes: dict[str, str]) -> tuple[list[str], str] | None:
    """Column names and JSON of a copy of one row (`where`) with a fresh uuid id and `changes`."""
    cols = columns(atk, table)
    row = atk.owner(f'SELECT to_jsonb(x) FROM public."{table}" x WHERE {where} LIMIT 1')
    if not row:
        return None
    data = dict(row[0][0])
    if any(c == "id" and t == "uuid" for c, t in cols):
        data["id"] = str(uuid.uuid4())
    data.update(changes)
    return [f'"{c}"' for c, _ in cols], json.dumps(data)


def clone_sql(atk: Attacker, table: str, where: str, changes: dict[str, str]) -> tuple[str, tuple] | None:
    """INSERT of a copy of one row (`where`) with a fresh uuid id and `changes`."""
    clone = clone_row(atk, table, where, changes)
    if clone is None:
        return None
    names, data = clone
    return (f'INSERT INTO public."{table}" ({", ".join(names)}) SELECT {", ".join(names)} '
            f'FROM jsonb_populate_record(NULL::public."{table}", %s::jsonb)', (data,))


def copy_in_clone(atk: Attacker, table: str, where: str) -> bool:
    """COPY FROM STDIN of a copy of another's row: True when it went in."""
    names, data = clone_row(atk, table, where, {})
    atk.conn.execute("RESET ROLE")
    try:
        with atk.conn.cursor() as cur, cur.copy(f'COPY (SELECT {", ".join(names)} FROM jsonb_populate_record('
                                                f'NULL::public."{table}", {quote(data)}::jsonb)) TO STDOUT') as cp:
            line = b"".join(bytes(c) for c in cp).decode()
    finally:
        atk.conn.execute(f'SET LOCAL ROLE "{atk.role}"')
    return atk.copy_in(f'COPY public."{table}" ({", ".join(names)}) FROM STDIN', line).ok


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def touch(atk: Attacker, table: str) -> str:
    """A SET clause that changes a row without reading it (no SELECT policy involved)."""
    cols = dict(columns(atk, table))
    for name in ("created_at", "updated_at"):
        if name in cols:
            return f"{name} = '2000-01-01'"
    name = next(c for c, t in cols.items() if t == "text")
    return f'"{name}" = \'touched\''


def battery(atk: Attacker, table: str, victim: str, own: dict[str, str], move: dict[str, str],
            spared: dict[str, str]) -> list[str]:
    """Every write a principal may try on another's rows of `table` (`victim`: predicate on x);
    `own`: values making a row the attacker's, `move`: SQL assignments handing a row to the victim.
    Returns what got through (victims' rows read or changed, a row handed over)."""
    before = fingerprint(atk, spared)
    leaks, setter = [], touch(atk, table)
    visible = atk.run(f'SELECT count(*) FROM public."{table}" x WHERE {victim}')
    if not visible.ok or visible.rows[0][0]:
        leaks.append(f"SELECT sees {visible.rows or visible.message} victim rows")
    if atk.copy_out(f'COPY (SELECT x.* FROM public."{table}" x WHERE {victim}) TO STDOUT'):
        leaks.append("COPY TO returned victim rows")
    if atk.copy_out(f'COPY public."{table}" TO STDOUT') != atk.copy_out(
            f'COPY (SELECT x.* FROM public."{table}" x WHERE NOT ({victim})) TO STDOUT'):
        leaks.append("COPY table TO returned victim rows")
    if atk.run(f'UPDATE public."{table}" x SET {setter} WHERE {victim} RETURNING x.*').rows:
        leaks.append("UPDATE ... RETURNING returned victim rows")
    atk.run(f'WITH d AS (DELETE FROM public."{table}" x WHERE {victim} RETURNING 1) SELECT count(*) FROM d')
    atk.run(f'MERGE INTO public."{table}" x USING (SELECT 1) s ON {victim} WHEN MATCHED THEN UPDATE SET {setter}')
    atk.run(f'MERGE INTO public."{table}" x USING (SELECT 1) s ON {victim} WHEN MATCHED THEN DELETE')
    clone = clone_sql(atk, table, victim, {})
    if clone:
        if atk.run(*clone).ok:
            leaks.append("INSERT of a row for the victim succeeded")
        if copy_in_clone(atk, table, victim):
            leaks.append("COPY FROM of a row for the victim succeeded")
        if "id" in dict(columns(atk, table)):
            key = atk.owner(f'SELECT x.id::text FROM public."{table}" x WHERE {victim} LIMIT 1')[0][0]
            sql, params = clone_sql(atk, table, victim, own | {"id": key})
            atk.run(sql + f" ON CONFLICT (id) DO UPDATE SET {setter}", params)
    own_write = atk.run(f'UPDATE public."{table}" x SET {setter} WHERE NOT ({victim})')
    moved = atk.run(f'UPDATE public."{table}" SET ' + ", ".join(f'"{c}" = {v}' for c, v in move.items()))
    if moved.ok and moved.rowcount > 0:
        leaks.append(f"UPDATE moved {moved.rowcount} own rows to the victim")
    atk.run(f'DELETE FROM public."{table}"')
    if atk.run(f'TRUNCATE public."{table}" CASCADE').ok:
        leaks.append("TRUNCATE allowed")
    after = fingerprint(atk, spared)
    changed = sorted(t for t in before if before[t] != after.get(t))
    if changed:
        leaks.append(f"victim rows changed in {changed}")
    assert own_write.ok, f"own rows not writable ({own_write.message}): the battery would prove nothing"
    return leaks


# --- building a database -------------------------------------------------------------------------
@contextmanager
def built(pg_url: str, spec: str, fixture_sql: str) -> Iterator[str]:
    """Scratch database with `spec`'s schema and seed applied, then `fixture_sql` run as the
    superuser; yields its URL."""
    schema = load_schema(SPEC_DIR / f"{spec}.yaml")
    with scratch_database(pg_url, prefix="gen_atk_") as url:
        apply_statements(url, statements(schema), shim_for(schema))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(fixture_sql)
            conn.execute("ANALYZE")
        yield url


CHATAPP_FIXTURE = f"""
INSERT INTO chatapp_companies (id, name, slug, subscription_status) VALUES
  ('{A}', 'A', 'company-a', 'trialing'), ('{B}', 'B', 'company-b', 'active');
INSERT INTO chatapp_users (id, email, role, company_id, status) VALUES
  ('{A1}', 'a1@a.example', 'support_agent', '{A}', 'suspended'),
  ('{A2}', 'a2@a.example', 'company_admin', '{A}', 'active'),
  ('{B1}', 'b1@b.example', 'support_agent', '{B}', 'active'),
  ('{B2}', 'b2@b.example', 'company_admin', '{B}', 'active');
INSERT INTO chatapp_agents (id, company_id, name, created_by) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000a9e1', '{A}', 'agent A', '{A1}'),
  ('bbbbbbbb-0000-4000-8000-00000000a9e1', '{B}', 'agent B', '{B1}');
INSERT INTO chatapp_knowledge_sources (id, company_id, agent_id, name, type, created_by) VALUES
  ('aaaaaaaa-0000-4000-8000-000000005001', '{A}', 'aaaaaaaa-0000-4000-8000-00000000a9e1', 'kb A', 'text', '{A1}'),
  ('bbbbbbbb-0000-4000-8000-000000005001', '{B}', 'bbbbbbbb-0000-4000-8000-00000000a9e1', 'kb B', 'text', '{B1}');
INSERT INTO chatapp_knowledge_chunks (company_id, source_id, content) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-000000005001', 'chunk A'),
  ('{B}', 'bbbbbbbb-0000-4000-8000-000000005001', 'chunk B secret');
INSERT INTO chatapp_customers (id, company_id, email) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000c001', '{A}', 'cust@a.example'),
  ('bbbbbbbb-0000-4000-8000-00000000c001', '{B}', 'cust@b.example');
INSERT INTO chatapp_conversations (id, company_id, agent_id, customer_id, assigned_user_id) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000cc01', '{A}', 'aaaaaaaa-0000-4000-8000-00000000a9e1',
   'aaaaaaaa-0000-4000-8000-00000000c001', '{A1}'),
  ('bbbbbbbb-0000-4000-8000-00000000cc01', '{B}', 'bbbbbbbb-0000-4000-8000-00000000a9e1',
   'bbbbbbbb-0000-4000-8000-00000000c001', '{B1}');
INSERT INTO chatapp_messages (company_id, conversation_id, role, content) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-00000000cc01', 'user', 'hello from A'),
  ('{B}', 'bbbbbbbb-0000-4000-8000-00000000cc01', 'user', 'secret message of B');
INSERT INTO chatapp_team_invitations (company_id, email, invited_by, token, expires_at) VALUES
  ('{A}', 'new@a.example', '{A2}', 'tok-a', now() + interval '1 day'),
  ('{B}', 'new@b.example', '{B2}', 'tok-b', now() + interval '1 day');
INSERT INTO chatapp_conversation_analytics (company_id, conversation_id, agent_id, resolution_type) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-00000000cc01', 'aaaaaaaa-0000-4000-8000-00000000a9e1', 'ai'),
  ('{B}', 'bbbbbbbb-0000-4000-8000-00000000cc01', 'bbbbbbbb-0000-4000-8000-00000000a9e1', 'ai');
INSERT INTO chatapp_daily_analytics (company_id, date) VALUES ('{A}', '2024-01-01'), ('{B}', '2024-01-01');
INSERT INTO chatapp_integrations (company_id, type, name, config) VALUES
  ('{A}', 'slack', 'slack A', '{{}}'), ('{B}', 'slack', 'slack B', '{{"token": "xoxb-secret-B"}}');
INSERT INTO chatapp_webhooks (company_id, url, secret) VALUES
  ('{A}', 'https://a.example/hook', 'whsec-A'), ('{B}', 'https://b.example/hook', 'whsec-B');
INSERT INTO chatapp_audit_logs (company_id, user_id, action, resource_type) VALUES
  ('{A}', '{A1}', 'login', 'user'), ('{B}', '{B1}', 'login', 'user');
INSERT INTO chatapp_widget_settings (company_id, agent_id) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-00000000a9e1'), ('{B}', 'bbbbbbbb-0000-4000-8000-00000000a9e1');
INSERT INTO chatapp_canned_responses (company_id, user_id, shortcut, title, content) VALUES
  ('{A}', '{A1}', '/hi', 'hi', 'hi A'), ('{B}', '{B1}', '/hi', 'hi', 'hi B');
"""

CC_FIXTURE = f"""
INSERT INTO tenant (id, name, domain) VALUES ('{A}', 'A', 'a.example'), ('{B}', 'B', 'b.example');
INSERT INTO users (id, tenant_id, email, is_seller) VALUES
  ('{A1}', '{A}', 'a1@a.example', false), ('{A2}', '{A}', 'a2@a.example', true),
  ('{B1}', '{B}', 'b1@b.example', true);
INSERT INTO buyer_profile (id, tenant_id, user_id, full_name) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000b0001', '{A}', '{A1}', 'A One'),
  ('aaaaaaaa-0000-4000-8000-0000000b0002', '{A}', '{A2}', 'A Two'),
  ('bbbbbbbb-0000-4000-8000-0000000b0001', '{B}', '{B1}', 'B One');
INSERT INTO seller_profile (id, tenant_id, user_id, business_name) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000e0002', '{A}', '{A2}', 'A2 shop'),
  ('bbbbbbbb-0000-4000-8000-0000000e0001', '{B}', '{B1}', 'B1 shop');
INSERT INTO team_members (tenant_id, user_id, role) VALUES
  ('{A}', '{A1}', 'viewer'), ('{A}', '{A2}', 'owner'), ('{B}', '{B1}', 'owner');
INSERT INTO team_invites (tenant_id, email, expires_at, created_by) VALUES
  ('{A}', 'x@a.example', now() + interval '1 day', '{A2}'), ('{B}', 'x@b.example', now() + interval '1 day', '{B1}');
INSERT INTO products (id, tenant_id, seller_id, name, price) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000d0001', '{A}', 'aaaaaaaa-0000-4000-8000-0000000e0002', 'product A', 10),
  ('aaaaaaaa-0000-4000-8000-0000000d0002', '{A}', 'aaaaaaaa-0000-4000-8000-0000000e0002', 'deleted product A', 10),
  ('bbbbbbbb-0000-4000-8000-0000000d0001', '{B}', 'bbbbbbbb-0000-4000-8000-0000000e0001', 'product B', 10);
UPDATE products SET deleted_at = now() - interval '1 day', deleted_by = '{A2}'
  WHERE id = 'aaaaaaaa-0000-4000-8000-0000000d0002';
INSERT INTO orders (id, tenant_id, product_id, seller_id, customer_id, channel, total_amount) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000a0001', '{A}', 'aaaaaaaa-0000-4000-8000-0000000d0001',
   'aaaaaaaa-0000-4000-8000-0000000e0002', 'aaaaaaaa-0000-4000-8000-0000000b0001', 'web', 10),
  ('bbbbbbbb-0000-4000-8000-0000000a0001', '{B}', 'bbbbbbbb-0000-4000-8000-0000000d0001',
   'bbbbbbbb-0000-4000-8000-0000000e0001', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'web', 10);
INSERT INTO order_items (tenant_id, order_id, product_id, quantity, unit_price) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000a0001', 'bbbbbbbb-0000-4000-8000-0000000d0001', 1, 10);
INSERT INTO order_returns (tenant_id, order_id, reason, approved_by) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000a0001', 'broken', '{B1}');
INSERT INTO order_channel_meta (tenant_id, order_id, channel_type) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000a0001', 'web');
INSERT INTO address_book (tenant_id, user_id, buyer_profile_id, recipient_name, street_address, city, country) VALUES
  ('{A}', '{A2}', 'aaaaaaaa-0000-4000-8000-0000000b0002', 'A Two', '2 Private Road', 'Town', 'US'),
  ('{B}', '{B1}', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'B One', '1 Secret Street', 'City', 'US');
INSERT INTO saved_payment_method (id, tenant_id, user_id, buyer_profile_id, payment_type, card_last_four,
                                  expiry_month, expiry_year, processor_token) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000f002', '{A}', '{A2}', 'aaaaaaaa-0000-4000-8000-0000000b0002', 'card', '4242',
   12, 2030, 'tok_a2'),
  ('bbbbbbbb-0000-4000-8000-00000000f001', '{B}', '{B1}', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'card', '1111',
   1, 2031, 'tok_b1');
INSERT INTO notification_preferences (tenant_id, user_id, notification_type) VALUES
  ('{A}', '{A2}', 'promotion'), ('{B}', '{B1}', 'promotion');
INSERT INTO seller_onboarding (id, tenant_id, seller_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000501', '{A}', 'aaaaaaaa-0000-4000-8000-0000000e0002'),
  ('bbbbbbbb-0000-4000-8000-000000000501', '{B}', 'bbbbbbbb-0000-4000-8000-0000000e0001');
INSERT INTO kyc_document (tenant_id, seller_onboarding_id, document_type, document_url) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-000000000501', 'passport', 'https://a.example/a2-passport.pdf'),
  ('{B}', 'bbbbbbbb-0000-4000-8000-000000000501', 'passport', 'https://b.example/passport.pdf');
INSERT INTO kyc_info (tenant_id, seller_id, seller_onboarding_id, tax_id) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000e0001', 'bbbbbbbb-0000-4000-8000-000000000501', 'TAX-B');
INSERT INTO storefront_theme (id, tenant_id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000007e1', '{A}', 'theme A'),
  ('bbbbbbbb-0000-4000-8000-0000000007e1', '{B}', 'theme B');
INSERT INTO storefront (id, tenant_id, theme_id, custom_domain) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000005f1', '{A}', '00000000-0000-4000-8000-0000000007e1', 'shop.a.example'),
  ('bbbbbbbb-0000-4000-8000-0000000005f1', '{B}', 'bbbbbbbb-0000-4000-8000-0000000007e1', 'shop.b.example');
INSERT INTO storefront_versions (tenant_id, storefront_id, version_number, content, published_by) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000005f1', 1, '{{}}', '{B1}');
INSERT INTO storefront_drafts (tenant_id, storefront_id, created_by) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000005f1', '{B1}');
INSERT INTO storefront_asset (id, tenant_id, file_name, file_type, url, created_by) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000a55e1', '{A}', 'a.png', 'image/png', 'https://a.example/a.png', '{A2}'),
  ('bbbbbbbb-0000-4000-8000-0000000a55e1', '{B}', 'b.png', 'image/png', 'https://b.example/b.png', '{B1}');
INSERT INTO storefront_banner (tenant_id, storefront_id, asset_id) VALUES
  ('{A}', 'aaaaaaaa-0000-4000-8000-0000000005f1', 'aaaaaaaa-0000-4000-8000-0000000a55e1'),
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000005f1', 'bbbbbbbb-0000-4000-8000-0000000a55e1');
INSERT INTO conversation_history (id, tenant_id, channel_id, customer_id, message, direction) VALUES
  ('aaaaaaaa-0000-4000-8000-0000000c0002', '{A}', 'wa', 'aaaaaaaa-0000-4000-8000-0000000b0002',
   'a2 asks about a refund', 'inbound'),
  ('bbbbbbbb-0000-4000-8000-0000000c0001', '{B}', 'wa', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'B chat', 'inbound');
INSERT INTO conversation_event (tenant_id, conversation_id, event_type) VALUES
  ('{B}', 'bbbbbbbb-0000-4000-8000-0000000c0001', 'read');
INSERT INTO complaints (tenant_id, user_id, order_id, description) VALUES
  ('{B}', '{B1}', 'bbbbbbbb-0000-4000-8000-0000000a0001', 'late');
INSERT INTO violations (tenant_id, user_id, rule) VALUES ('{A}', '{A1}', 'fraud'), ('{B}', '{B1}', 'spam');
"""

AI_CHAT_FIXTURE = f"""
INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES
  ('{U1}', 'u1@example.com', '{{"username": "alice"}}'),
  ('{U2}', 'u2@example.com', '{{"username": "bobby"}}'),
  ('{ADM}', 'adm@example.com', '{{"username": "admin"}}');
UPDATE profiles SET role = 'admin' WHERE id = '{ADM}';
INSERT INTO conversations (id, title, owner_id) VALUES
  ('11111111-0000-4000-8000-0000000000c1', 'u1 conversation', '{U1}'),
  ('22222222-0000-4000-8000-0000000000c2', 'u2 conversation', '{U2}');
INSERT INTO messages (conversation_id, sender_id, content) VALUES
  ('11111111-0000-4000-8000-0000000000c1', '{U1}', 'u1 says hi'),
  ('22222222-0000-4000-8000-0000000000c2', '{U2}', 'u2 private message');
INSERT INTO documents (id, owner_id, title, content) VALUES
  ('11111111-0000-4000-8000-0000000000d1', '{U1}', 'u1 doc', 'u1 text'),
  ('22222222-0000-4000-8000-0000000000d2', '{U2}', 'u2 doc', 'u2 private text');
INSERT INTO document_chunks (document_id, content) VALUES
  ('11111111-0000-4000-8000-0000000000d1', 'u1 chunk'),
  ('22222222-0000-4000-8000-0000000000d2', 'u2 private chunk');
INSERT INTO document_conversation_links (document_id, conversation_id) VALUES
  ('11111111-0000-4000-8000-0000000000d1', '11111111-0000-4000-8000-0000000000c1'),
  ('22222222-0000-4000-8000-0000000000d2', '22222222-0000-4000-8000-0000000000c2');
INSERT INTO api_keys (user_id, name, key_hash, key_prefix, revoked_at) VALUES
  ('{U1}', 'k1', repeat('1', 64), 'sk_1', now()), ('{U2}', 'k2', repeat('2', 64), 'sk_2', NULL);
INSERT INTO api_usage (user_id, model, tokens_used) VALUES
  ('{U2}', 'gpt', 100), ('{U2}', 'gpt', 200), ('{U2}', 'gpt', 300), ('{U1}', 'gpt', 5);
"""

AUTOMATIONS_FIXTURE = f"""
INSERT INTO auth.users (id, email) VALUES ('{U1}', 'u1@example.com'), ('{U2}', 'u2@example.com'),
                                          ('{ADM}', 'adm@example.com');
INSERT INTO user_profiles (user_id, full_name, role) VALUES
  ('{U1}', 'U One', 'user'), ('{U2}', 'U Two', 'user'), ('{ADM}', 'Admin', 'admin');
INSERT INTO implementation_steps (id, automation_id, position, title, instructions)
  SELECT CASE WHEN published THEN 'aaaaaaaa-0000-4000-8000-00000000057e'::uuid
              ELSE 'dddddddd-0000-4000-8000-00000000057e'::uuid END, id, 1, 'step', 'do it'
  FROM automations WHERE slug IN ('lead-capture-to-crm', 'ai-support-triage');
INSERT INTO automation_tools (automation_id, name) SELECT id, 'zapier' FROM automations;
INSERT INTO step_media (step_id, media_type, url)
  SELECT id, 'image', 'https://x.example/' || id FROM implementation_steps;
INSERT INTO questionnaire_sessions (id, user_id) VALUES
  ('11111111-0000-4000-8000-000000000051', '{U1}'), ('22222222-0000-4000-8000-000000000052', '{U2}');
INSERT INTO questionnaire_responses (session_id, user_id, question_key, answer) VALUES
  ('11111111-0000-4000-8000-000000000051', '{U1}', 'q1', '"a"'),
  ('22222222-0000-4000-8000-000000000052', '{U2}', 'q1', '"u2 private answer"');
INSERT INTO weekly_discoveries (id, user_id, week_of) VALUES
  ('22222222-0000-4000-8000-0000000000e1', '{U2}', '2024-01-01');
INSERT INTO discovered_automations (discovery_id, automation_id, user_id)
  SELECT '22222222-0000-4000-8000-0000000000e1', id, '{U2}' FROM automations WHERE published;
INSERT INTO user_automations (id, user_id, automation_id)
  SELECT '22222222-0000-4000-8000-0000000000a1', '{U2}', id FROM automations WHERE slug = 'lead-capture-to-crm';
INSERT INTO automation_progress (user_automation_id, step_id, user_id) VALUES
  ('22222222-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000057e', '{U2}');
INSERT INTO subscriptions (user_id, stripe_customer_id, plan) VALUES
  ('{U1}', 'cus_u1', 'free'), ('{U2}', 'cus_u2', 'pro');
INSERT INTO usage_metrics (user_id, metric, period_start, count) VALUES
  ('{U1}', 'runs', '2024-01-01', 99), ('{U2}', 'runs', '2024-01-01', 7);
"""


def commerce_fixture(client: str) -> str:
    """commerce.yaml declares no role: a client role with plain DML grants stands in for the app."""
    return f"""
CREATE ROLE "{client}" NOLOGIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{client}";
INSERT INTO users (id, email) VALUES ('{U1}', 'owner@example.com');
INSERT INTO businesses (id, owner_id, name, slug) VALUES
  ('11111111-0000-4000-8000-0000000000b1', '{U1}', 'Live shop', 'live-shop'),
  ('11111111-0000-4000-8000-0000000000b2', '{U1}', 'Gone shop', 'gone-shop');
INSERT INTO products (id, business_id, name) VALUES
  ('11111111-0000-4000-8000-0000000000f1', '11111111-0000-4000-8000-0000000000b1', 'live product'),
  ('11111111-0000-4000-8000-0000000000f2', '11111111-0000-4000-8000-0000000000b2', 'gone product');
UPDATE businesses SET deleted_at = now() - interval '1 day' WHERE id = '11111111-0000-4000-8000-0000000000b2';
UPDATE products SET deleted_at = now() - interval '1 day' WHERE id = '11111111-0000-4000-8000-0000000000f2';
"""
