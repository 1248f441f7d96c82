"""Connections to PostgreSQL: open one with errors as diagnostics (never leaking a password),
describe a URL safely, point a URL at another database, and hold a session advisory lock."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from generator.diagnostics import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, Diagnostic, GenError

CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise


def describe(url: str) -> str:
    """`db "name" on host:port as user`, for messages: never includes the password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "an unparsable connection string"
    host = info.get("host") or "localhost (default socket)"
    port = f":{info['port']}" if info.get("port") else ""
    user = f" as {info['user']}" if info.get("user") else ""
    return f'database "{info.get("dbname", "(default)")}" on {host}{port}{user}'


def with_database(url: str, dbname: str) -> str:
    """The same connection string pointing at another database (URL or key=value form)."""
    if "://" in url:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))
    return make_conninfo(url, dbname=dbname)


def database_name(url: str) -> str:
    return conninfo_to_dict(url).get("dbname", "")


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """Open a psycopg connection; failures become DB001 (exit 3) or DB002 (bad URL, exit 2)."""
    try:
        kwargs = {} if "connect_timeout" in conninfo_to_dict(url) else {"connect_timeout": CONNECT_TIMEOUT}
    except psycopg.ProgrammingError as exc:
        raise GenError([Diagnostic(
            "DB002", f"invalid database URL: {_first_line(exc)}", name="db.url",
            hint="use postgresql://user@host:port/dbname or key=value form")], EXIT_BAD_INPUT) from None
    try:
        return psycopg.connect(url, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        raise GenError([Diagnostic(
            "DB001", f"cannot connect to {describe(url)}: {_first_line(exc)}", name="db.connect",
            hint="check that the server is running and reachable, and the user, password and "
                 "database name (set them in the URL or PGPASSWORD / ~/.pgpass)")],
            EXIT_ENVIRONMENT) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def lock_key(key: int | str) -> int:
    """A bigint advisory-lock key; strings hash deterministically (sha256, signed 64-bit)."""
    if isinstance(key, int):
        return key
    digest = hashlib.sha256(key.encode("utf-8")).digest()[:8]
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def advisory_lock(conn: psycopg.Connection, key: int | str) -> Iterator[None]:
    """Hold a session-level pg_advisory_lock for the duration of the block. Transactions stay
    the caller's business, except that an aborted one is rolled back so the unlock can run."""
    k = lock_key(key)
    conn.execute("SELECT pg_advisory_lock(%s)", (k,))
    try:
        yield
    finally:
        if not conn.closed:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (k,))
