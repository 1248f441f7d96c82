"""Shared pytest fixtures: a real PostgreSQL for the suite (GEN_TEST_DATABASE_URL, or an
embedded PostgreSQL 16 + pgvector started once per session), scratch databases, and a
Debian PostgreSQL 15 for contrib extensions. Fixtures only."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg
import pytest

from generator.db.server import debian_server, embedded_server, scratch_database
from generator.diagnostics import GenError

# gen commands the tests start build from scratch (the build cache has a test of its own,
# tests/test_build_cache.py, which names its cache directory).
os.environ["GEN_CACHE_DIR"] = "off"
# ... and cold, not through a `gen daemon` the developer may have running (tests/test_daemon.py
# starts daemons of its own).
os.environ["GEN_DAEMON"] = "0"

# A Node.js that setup.sh took from the npm registry (when the system's is older than Prisma 7
# needs) comes first on PATH for the tests that run node tools.
_NODE = sorted((Path(__file__).resolve().parent.parent / ".tools" / "node_modules").glob("node-linux-*/bin"))
if _NODE:
    os.environ["PATH"] = f"{_NODE[0]}{os.pathsep}{os.environ.get('PATH', '')}"


@contextmanager
def _loud(what: str) -> Iterator[None]:
    """Turn a missing server into a failure that says what to install; never a skip."""
    try:
        yield
    except GenError as exc:
        hints = "; ".join(d.hint for d in exc.diagnostics if d.hint)
        pytest.fail(f"{what}: {exc} (hint: {hints})", pytrace=False)


def _serve(start, failure: str) -> Iterator[str]:
    """Start a server (failing loudly, never skipping), yield its URL, stop it afterwards."""
    with _loud(failure):
        server = start()
        url = server.__enter__()
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Base URL of the test server: GEN_TEST_DATABASE_URL if set, else an embedded one
    (with wal_level=logical, so realtime proofs need no second server)."""
    url = os.environ.get("GEN_TEST_DATABASE_URL")
    if url:
        yield url
        return
    yield from _serve(lambda: embedded_server(logical=True), "cannot start the embedded PostgreSQL (pgserver)")


@pytest.fixture(scope="session")
def logical_url(pg_url: str) -> Iterator[str]:
    """A server with wal_level=logical: the test server when it is one, else an embedded one."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        level = conn.execute("SHOW wal_level").fetchone()[0]
    if level == "logical":
        yield pg_url
        return
    yield from _serve(lambda: embedded_server(logical=True), "cannot start the embedded PostgreSQL (pgserver)")


@pytest.fixture
def fresh_db(pg_url: str) -> Iterator[str]:
    """URL of a new, empty database on the test server, dropped after the test."""
    with scratch_database(pg_url, prefix="gen_test_") as url:
        yield url


@pytest.fixture(scope="session")
def pg15_url() -> Iterator[str]:
    """Base URL of a throw-away Debian PostgreSQL 15 (contrib: pg_trgm, uuid-ossp, pgcrypto)."""
    yield from _serve(debian_server, "cannot start Debian's PostgreSQL 15")


@pytest.fixture
def fresh_db15(pg15_url: str) -> Iterator[str]:
    """URL of a new, empty database on the PostgreSQL 15 server, dropped after the test."""
    with scratch_database(pg15_url, prefix="gen_test_") as url:
        yield url
