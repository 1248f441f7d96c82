"""Upgrading a populated database of the previous release's chatapp (tests/migrate/chatapp_v1: the
spec and the init migration gen wrote before tenant-consistent keys) to today's spec with
`gen migrate new` + `up`: every row stays, the new composite keys are added NOT VALID and then
validated, and a row that already points at another tenant stops the validation by name."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from generator.db.inspect import inspect
from generator.diagnostics import GenError
from generator.migrate import runner
from generator.migrate.author import new_migration
from generator.migrate.project import load_project
from generator.migrate.verify import differences

ROOT = Path(__file__).resolve().parent.parent
V1 = Path(__file__).parent / "migrate" / "chatapp_v1"
TABLES = ("companies", "users", "agents", "customers", "conversations", "messages", "knowledge_sources",
          "knowledge_chunks", "canned_responses", "audit_logs", "widget_settings", "conversation_analytics")


def populate(conn: psycopg.Connection) -> dict[str, str]:
    """Two companies with a user, an agent, a customer, a conversation, a message, a knowledge
    source with a chunk, a canned response, a widget and analytics each; a master admin and an
    audit row of no company."""
    ids = {}
    for t in ("A", "B"):
        c = conn.execute("INSERT INTO chatapp_companies (name, slug) VALUES (%s, %s) RETURNING id",
                         (f"Co {t}", f"co-{t.lower()}")).fetchone()[0]
        u = conn.execute("INSERT INTO chatapp_users (email, company_id, role) VALUES (%s, %s, 'company_admin') "
                         "RETURNING id", (f"{t}@x.test", c)).fetchone()[0]
        a = conn.execute("INSERT INTO chatapp_agents (company_id, name, created_by) VALUES (%s, 'bot', %s) RETURNING id",
                         (c, u)).fetchone()[0]
        cu = conn.execute("INSERT INTO chatapp_customers (company_id, email) VALUES (%s, 'c@x.test') RETURNING id",
                          (c,)).fetchone()[0]
        cv = conn.execute("INSERT INTO chatapp_conversations (company_id, agent_id, customer_id, assigned_user_id) "
                          "VALUES (%s, %s, %s, %s) RETURNING id", (c, a, cu, u)).fetchone()[0]
        conn.execute("INSERT INTO chatapp_messages (company_id, conversation_id, role, content) "
                     "VALUES (%s, %s, 'user', 'hi')", (c, cv))
        ks = conn.execute("INSERT INTO chatapp_knowledge_sources (company_id, agent_id, name, type, created_by) "
                          "VALUES (%s, %s, 'faq', 'text', %s) RETURNING id", (c, a, u)).fetchone()[0]
        conn.execute("INSERT INTO chatapp_knowledge_chunks (company_id, source_id, content) VALUES (%s, %s, 'x')",
                     (c, ks))
        conn.execute("INSERT INTO chatapp_canned_responses (company_id, user_id, shortcut, title, content) "
                     "VALUES (%s, %s, '/hi', 'Hi', 'Hello')", (c, u))
        conn.execute("INSERT INTO chatapp_widget_settings (company_id, agent_id) VALUES (%s, %s)", (c, a))
        conn.execute("INSERT INTO chatapp_conversation_analytics (company_id, conversation_id, agent_id, "
                     "resolution_type) VALUES (%s, %s, %s, 'ai')", (c, cv, a))
        conn.execute("INSERT INTO chatapp_audit_logs (company_id, user_id, action, resource_type) "
                     "VALUES (%s, %s, 'login', 'user')", (c, u))
        ids.update({f"company_{t}": c, f"customer_{t}": cu, f"conversation_{t}": cv})
    admin = conn.execute("INSERT INTO chatapp_users (email, role) VALUES ('root@x.test', 'master_admin') "
                         "RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO chatapp_audit_logs (user_id, action, resource_type) VALUES (%s, 'purge', 'system')",
                 (admin,))
    return ids


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM chatapp_{t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def v1(tmp_path, fresh_db):
    """The previous release's chatapp, migrated and populated; the spec file then updated."""
    shutil.copytree(V1, tmp_path / "project")
    project = tmp_path / "project"
    assert runner.up(fresh_db, project / "migrations").done
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        ids = populate(conn)
        before = counts(conn)
    shutil.copy(ROOT / "spec" / "chatapp.yaml", project / "chatapp.yaml")
    return project, fresh_db, ids, before


def _new(project: Path) -> list[Path]:
    return new_migration(load_project(str(project / "chatapp.yaml")), project / "migrations", "tenant_keys",
                         False, datetime(2026, 12, 7, tzinfo=timezone.utc)).written


def test_populated_database_moves_to_tenant_consistent_keys_keeping_every_row(v1):
    project, url, _, before = v1
    written = _new(project)
    main, post = (p.read_text() for p in written if p.name.endswith(".up.sql"))
    # the parents' UNIQUE (company_id, id) is built concurrently after the transaction; the keys
    # that reference it follow it there, added NOT VALID (new rows checked at once), then validated
    unique = post.index("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chatapp_conversations_company_id_id_key")
    key = post.index("FOREIGN KEY (company_id, conversation_id) REFERENCES chatapp_conversations (company_id, id) "
                     "ON DELETE CASCADE NOT VALID;")
    assert unique < key < post.index("VALIDATE CONSTRAINT chatapp_messages_conversation_id_fkey;")
    assert "DROP CONSTRAINT chatapp_messages_conversation_id_fkey;" in main
    assert runner.up(url, project / "migrations").done
    with psycopg.connect(url, autocommit=True) as conn:
        assert counts(conn) == before
        fks = dict(conn.execute(
            "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' AND array_length(conkey, 1) = 2"
        ).fetchall())
    assert fks and all(fks.values()), fks
    assert {"chatapp_messages_conversation_id_fkey", "chatapp_conversations_customer_id_fkey",
            "chatapp_audit_logs_user_id_tenant_fkey"} <= set(fks)
    assert differences(inspect(url), load_project(str(project / "chatapp.yaml")).schema) == []


def test_a_row_already_crossing_tenants_stops_validation_by_name(v1):
    project, url, ids, before = v1
    with psycopg.connect(url, autocommit=True) as conn:     # the hole the old keys left open
        conn.execute("UPDATE chatapp_conversations SET customer_id = %s WHERE id = %s",
                     (ids["customer_B"], ids["conversation_A"]))
    _new(project)
    with pytest.raises(GenError) as info:
        runner.up(url, project / "migrations")
    assert "chatapp_conversations_customer_id_fkey" in str(info.value)
    with psycopg.connect(url, autocommit=True) as conn:
        assert counts(conn) == before
