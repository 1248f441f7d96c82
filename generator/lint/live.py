"""`gen lint --database-url`: read a live database into the model (generator.db.inspect) and
tell its flavor: Supabase when the `auth` schema and the roles anon and authenticated exist."""
from __future__ import annotations

import psycopg

from generator.db.connect import connect, describe
from generator.db.inspect import inspect
from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic, GenError
from generator.model import Schema, Settings, replace

FLAVOR_QUERY = """
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'auth')
   AND (SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname IN ('anon', 'authenticated')) = 2
"""


def detect_flavor(conn: psycopg.Connection) -> str:
    return "supabase" if conn.execute(FLAVOR_QUERY).fetchone()[0] else "plain"


def inspect_for_lint(url: str, schemas: tuple[str, ...] = ("public",), flavor: str | None = None) -> Schema:
    """The live model of `schemas`, its settings carrying the flavor (detected unless given)."""
    with connect(url, autocommit=True) as conn:
        try:
            found = flavor or detect_flavor(conn)
        except psycopg.Error as exc:
            raise GenError([Diagnostic("DB005", f"inspecting {describe(url)} failed: {str(exc).strip()}",
                                       name="db.inspect", hint="check the connection and the user's rights")],
                           EXIT_ENVIRONMENT) from None
        schema = inspect(conn, schemas=schemas, name=describe(url))
    return replace(schema, settings=Settings(version=schema.settings.version, flavor=found))
