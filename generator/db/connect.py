"""Connections to PostgreSQL: open one with errors as diagnostics (never leaking a password),
describe a URL safely, point a URL at another database, and hold a session advisory lock."""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from generator.diagnostics import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, Diagnostic, GenError

CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise
APPLICATION_NAME = "gen"   # what pg_stat_activity shows for our sessions, unless the URL says otherwise
LOCK_POLL = 0.2            # seconds between two tries for a busy advisory lock


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


def parse_url(url: str) -> dict:
    """The URL's parts (host, dbname, user ...); a malformed one is DB002 (exit 2)."""
    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise GenError([Diagnostic(
            "DB002", f"invalid database URL: {_first_line(exc)}", name="db.url",
            hint="use postgresql://user@host:port/dbname or key=value form")], EXIT_BAD_INPUT) from None


def connect(url: str, autocommit: bool = False, factory: type[psycopg.Connection] = psycopg.Connection):
    """Open a psycopg connection (of class `factory`); failures become DB001 (exit 3) or DB002
    (bad URL, exit 2)."""
    info = parse_url(url)
    kwargs = {} if "connect_timeout" in info else {"connect_timeout": CONNECT_TIMEOUT}
    if "application_name" not in info:
        kwargs["application_name"] = APPLICATION_NAME
    try:
        return factory.connect(url, autocommit=autocommit, **kwargs)
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


HOLDER = """SELECT a.pid, coalesce(nullif(a.application_name, ''), 'a session'), a.state
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1"""


def holder(conn: psycopg.Connection, key: int | str) -> str | None:
    """Who holds advisory lock `key` in this database (`pid 123 (gen, active)`), if anyone."""
    row = conn.execute(HOLDER, (lock_key(key),)).fetchone()
    return f"pid {row[0]} ({row[1]}, {row[2]})" if row else None


def _take(conn: psycopg.Connection, k: int, waiting: Callable[[str], None] | None) -> None:
    """pg_try_advisory_lock until it succeeds. Never pg_advisory_lock: a session blocked in it
    holds a snapshot, which a CREATE INDEX CONCURRENTLY of the holder waits for -> deadlock."""
    told = False
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", (k,)).fetchone()[0]:
        if not told and waiting is not None:
            waiting(f"waiting for the lock held by {holder(conn, k) or 'another session'}")
            told = True
        time.sleep(LOCK_POLL)


@contextmanager
def advisory_lock(conn: psycopg.Connection, key: int | str,
                  waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold a session-level advisory lock for the duration of the block, waiting (politely, see
    _take) while another session holds it. Transactions stay the caller's business, except that
    an aborted one is rolled back so the unlock can run."""
    k = lock_key(key)
    try:
        _take(conn, k, waiting)
    except psycopg.Error as exc:
        raise GenError([Diagnostic("DB006", f"cannot take the advisory lock '{key}': {_first_line(exc)}",
                                   name="db.lock", hint="check the connection and the user's rights")],
                       EXIT_ENVIRONMENT) from None
    try:
        yield
    finally:
        if not conn.closed:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (k,))
