"""Supabase awareness for imports: the schemas and extensions Supabase owns (left out by
default), how a Supabase project is recognised, and a stand-in for loading its SQL locally."""
from __future__ import annotations

import re

from generator.db.apply import without_transaction
from generator.model import Schema
from generator.postgres.shim import SUPABASE_SHIM

SUPABASE_SCHEMAS = frozenset((
    "auth", "storage", "realtime", "_realtime", "extensions", "graphql", "graphql_public", "pgbouncer",
    "pgsodium", "pgsodium_masks", "vault", "supabase_functions", "supabase_migrations", "net", "cron",
    "_analytics", "pgtle", "supabase_realtime", "tiger", "tiger_data", "topology"))
SUPABASE_EXTENSIONS = frozenset((
    "pg_graphql", "pgsodium", "supabase_vault", "pg_stat_statements", "pgjwt", "pg_net", "pg_cron", "pgtle"))
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
STAND_IN_EXTENSIONS = frozenset({"uuid-ossp"})   # installed by load_shim(), not by the project

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
CREATE SCHEMA IF NOT EXISTS extensions;
DO $shim$
BEGIN
  CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
EXCEPTION WHEN OTHERS THEN
  CREATE OR REPLACE FUNCTION extensions.uuid_generate_v4() RETURNS uuid LANGUAGE sql
    AS 'SELECT pg_catalog.gen_random_uuid()';
END
$shim$;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.buckets (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, public boolean DEFAULT false,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text,
  owner uuid, metadata jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now());
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage, extensions TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
"""


def load_shim() -> str:
    """SQL that makes plain PostgreSQL look enough like Supabase for a project's SQL to load."""
    return without_transaction(SUPABASE_SHIM) + _EXTRA_SHIM


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
