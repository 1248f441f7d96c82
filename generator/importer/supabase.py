"""Supabase awareness for imports: the schemas and extensions Supabase owns (left out by
default), how a Supabase project is recognised, and a stand-in for loading its SQL locally."""
from __future__ import annotations

import re

from generator.db.apply import without_transaction
from generator.model import Schema
from generator.postgres.shim import SHIM_EXTENSIONS, supabase_shim

SUPABASE_SCHEMAS = frozenset((
    "auth", "storage", "realtime", "_realtime", "extensions", "graphql", "graphql_public", "pgbouncer",
    "pgsodium", "pgsodium_masks", "vault", "supabase_functions", "supabase_migrations", "net", "cron",
    "_analytics", "pgtle", "supabase_realtime", "tiger", "tiger_data", "topology"))
SUPABASE_EXTENSIONS = frozenset((
    "pg_graphql", "pgsodium", "supabase_vault", "pg_stat_statements", "pgjwt", "pg_net", "pg_cron", "pgtle"))
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
STAND_IN_EXTENSIONS = frozenset(SHIM_EXTENSIONS)   # installed by load_shim(), not by the project

_SQL_HINT = re.compile(r"\bauth\s*\.\s*(uid|role|jwt|users|email)\b|\bstorage\s*\.\s*(buckets|objects)\b"
                       r"|\b(to|from)\s+(anon|authenticated|service_role)\b", re.IGNORECASE)
_EXPR_HINT = re.compile(r"\bauth\s*\.\s*(uid|jwt|role|email)\s*\(", re.IGNORECASE)

# Storage, the `extensions` schema and Supabase's default table grants, beside
# generator.postgres.shim's auth stand-in.
_EXTRA_SHIM = """
DO $shim$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOLOGIN NOINHERIT;
  END IF;
END
$shim$;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
"""


def load_shim(created: set[str] | frozenset[str] = frozenset()) -> str:
    """SQL that makes plain PostgreSQL look enough like Supabase for a project's SQL to load;
    extensions the SQL creates itself (`created`) are left to it."""
    return without_transaction(supabase_shim(created)) + _EXTRA_SHIM


_CREATE_EXTENSION = re.compile(r'create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([\w-]+)"?', re.IGNORECASE)


_CREATE_TABLE = re.compile(r'create\s+table\s+(?:if\s+not\s+exists\s+)?"?(auth|storage)"?\s*\.\s*"?(\w+)"?',
                           re.IGNORECASE)


def created_extensions(text: str) -> set[str]:
    """Extensions a SQL text creates, and Supabase's own tables (auth.users ...) it creates itself."""
    out = {m.group(1).lower() for m in _CREATE_EXTENSION.finditer(text)}
    return out | {f"{m.group(1).lower()}.{m.group(2).lower()}" for m in _CREATE_TABLE.finditer(text)}


def sql_needs_supabase(text: str) -> bool:
    """True when SQL refers to Supabase's auth/storage objects or roles."""
    return bool(_SQL_HINT.search(text))


def looks_like_supabase(schema_names: set[str], role_names: set[str]) -> bool:
    """A database with Supabase's auth schema and its API roles."""
    return "auth" in schema_names and {"anon", "authenticated"} <= role_names


def model_uses_supabase(schema: Schema) -> bool:
    """auth.uid()/auth.jwt() in a policy, a policy or grant for anon/authenticated, or an FK to auth.users."""
    for t in schema.tables:
        for p in t.policies:
            if set(p.roles) & {"anon", "authenticated"}:
                return True
            if any(_EXPR_HINT.search(x or "") for x in (p.using, p.check)):
                return True
        if any(g.role in ("anon", "authenticated") for g in t.grants):
            return True
        if any((fk.ref_schema, fk.ref_table) == ("auth", "users") for fk in t.foreign_keys):
            return True
    return False
