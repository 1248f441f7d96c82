"""A small stand-in for Supabase's auth schema (auth.users, auth.uid(), auth.role(),
auth.jwt()), roles and the supabase_realtime publication, so supabase-flavoured specs apply
and test on plain PostgreSQL."""

_AUTH_SHIM = """\
-- Supabase stand-in for plain PostgreSQL (tests and local use). Do NOT run on Supabase.
-- auth.uid() reads the JWT claims the way Supabase does:
--   SET LOCAL request.jwt.claims = '{"sub": "<user uuid>", "role": "authenticated"}';
BEGIN;

DO $shim$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('anon', 'NOLOGIN NOINHERIT'), ('authenticated', 'NOLOGIN NOINHERIT'),
                                 ('service_role', 'NOLOGIN NOINHERIT BYPASSRLS')) AS v(name, options)
  LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I %s', r.name, r.options);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by a concurrent run: roles are cluster-wide
      END;
    END IF;
  END LOOP;
END
$shim$;

CREATE SCHEMA IF NOT EXISTS auth;

-- Supabase Realtime reads this publication; `realtime:` entities are added to it.
DO $pub$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
EXCEPTION WHEN duplicate_object THEN
  NULL;  -- created meanwhile by a concurrent run
END
$pub$;

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text UNIQUE,
  raw_user_meta_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamp with time zone NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
LANGUAGE sql STABLE
AS $fn$
  SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$fn$;

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE
AS $fn$
  SELECT nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), auth.jwt() ->> 'sub'), '')::uuid
$fn$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE
AS $fn$
  SELECT nullif(coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role'), '')
$fn$;

-- Storage's tables (a project's policies and triggers may name them).
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.buckets (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, public boolean DEFAULT false,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text,
  owner uuid, metadata jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now());
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;

-- Realtime's publication (a project adds its tables to it).
DO $shim$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
END
$shim$;

-- Supabase keeps extensions in their own schema; pgcrypto and uuid-ossp are installed there.
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT ON auth.users TO service_role;
-- Table grants are not defaulted here: supabase-flavoured schema.sql grants them explicitly.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;

COMMIT;
"""

# Installed by the stand-in unless the SQL being loaded creates them itself (servers without
# contrib get uuid_generate_v4() as a function over the built-in gen_random_uuid()).
SHIM_EXTENSIONS = {
    "pgcrypto": """DO $shim$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
EXCEPTION WHEN OTHERS THEN
  NULL;  -- not on this server: gen_random_uuid() is built in from PostgreSQL 13
END
$shim$;""",
    "uuid-ossp": """DO $shim$
BEGIN
  CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
EXCEPTION WHEN OTHERS THEN
  CREATE OR REPLACE FUNCTION extensions.uuid_generate_v4() RETURNS uuid LANGUAGE sql
    AS 'SELECT pg_catalog.gen_random_uuid()';
END
$shim$;""",
}


# Supabase's own tables the stand-in creates: when the SQL being loaded creates one itself (Supabase's
# real auth or storage migrations), the stand-in leaves it, and every statement naming it, out.
SHIM_TABLES = ("auth.users", "storage.buckets", "storage.objects")


def supabase_shim(skip: frozenset[str] | set[str] = frozenset()) -> str:
    """The stand-in with the extensions Supabase installs, less the extensions and tables in `skip`."""
    import re

    text = _AUTH_SHIM
    for table in SHIM_TABLES:
        if table in skip:
            schema, name = table.split(".")
            mention = rf"\b{schema}\s*\.\s*{name}\b"
            text = re.sub(rf"(?ms)^(?:CREATE TABLE|GRANT|ALTER TABLE)[^;$]*?{mention}[^;$]*;\n", "", text)
            text = re.sub(rf"(?m)^  bucket_id text REFERENCES storage\.buckets \(id\),", "  bucket_id text,", text) \
                if table == "storage.buckets" else text
    return text + "".join(f"\n{sql}\n" for name, sql in SHIM_EXTENSIONS.items() if name not in skip)


SUPABASE_SHIM = supabase_shim()
