"""Throw-away PostgreSQL servers for tests and `gen verify`: pgserver's bundled PostgreSQL 16
(with pgvector) or Debian's PostgreSQL 15 (with contrib), each in its own temp dir on a unix
socket, plus uniquely named scratch databases dropped afterwards."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic, GenError
from generator.db import SERVER_HELP  # noqa: F401 (re-exported)
from generator.db.connect import connect, with_database
from generator.model.naming import quote_ident

DEBIAN_PG15_BIN = Path("/usr/lib/postgresql/15/bin")
# Durability is worthless for a throw-away cluster; these make startup and DDL fast.
FAST_SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")
# Logical decoding (publications seen through pgoutput, as Supabase Realtime reads them).
LOGICAL_SETTINGS = ("wal_level=logical", "max_replication_slots=10", "max_wal_senders=10")
_OS_USERS = ("postgres", "pgserver")   # initdb refuses root: run as the first that exists


def _fail(code: str, message: str, hint: str) -> GenError:
    return GenError([Diagnostic(code, message, name="db.server", hint=hint)], EXIT_ENVIRONMENT)


def pgserver_bin_dir() -> Path:
    """Where pip's pgserver keeps its PostgreSQL 16 binaries (found without importing it)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.origin:
        raise _fail("DB003", "the embedded PostgreSQL (Python package pgserver) is not installed",
                    f"run `{sys.executable} -m pip install pgserver` (wheels for CPython <= 3.12 on Linux x86_64, "
                    "macOS and Windows), or name a server for scratch databases: --scratch-url URL or "
                    "GEN_SCRATCH_DATABASE_URL (tests: GEN_TEST_DATABASE_URL)")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _os_user() -> pwd.struct_passwd | None:
    """The OS user to run the server as: None when we are not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in _OS_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise _fail("DB003", "PostgreSQL refuses to run as root and no 'postgres' OS user exists",
                "create one: useradd --system postgres")


def _as_user(user: pwd.struct_passwd | None) -> dict:
    """subprocess arguments that drop root for `user` (nothing when we are not root)."""
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}


def _run(argv: list[str], user: pwd.struct_passwd | None, cwd: Path, what: str, log: Path | None = None) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, **_as_user(user))
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        raise _fail("DB004", f"{what} failed: {detail}",
                    "check that the PostgreSQL binaries are readable by the OS user running them")


def _reachable(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether `user` (not root) may traverse every directory up to `path` and read it."""
    groups = {user.pw_gid} | {g.gr_gid for g in __import__("grp").getgrall() if user.pw_name in g.gr_mem}
    for part in [*reversed(path.parents), path]:
        st = part.stat()
        bits = 0o001 if part != path else 0o005
        if st.st_uid == user.pw_uid:
            bits <<= 6
        elif st.st_gid in groups:
            bits <<= 3
        if st.st_mode & bits != bits:
            return False
    return True


def _usable_bin_dir(bin_dir: Path, user: pwd.struct_passwd | None) -> Path:
    """`bin_dir`, or a world-readable copy of its installation when the server's OS user cannot
    reach it (pip installs under /root, which is mode 700 on many machines). The copy keeps the
    wheel's layout (site-packages/pgserver/pginstall beside site-packages/pgserver.libs), which
    the binaries' RPATH ($ORIGIN/../../../pgserver.libs) relies on."""
    if user is None or _reachable(bin_dir, user):
        return bin_dir
    install = bin_dir.parent                          # .../site-packages/pgserver/pginstall
    package = install.parent                          # .../site-packages/pgserver
    libs = package.parent / f"{package.name}.libs"
    stamp = hashlib.sha256(f"{install}:{(bin_dir / 'initdb').stat().st_mtime_ns}".encode()).hexdigest()[:12]
    mirror = Path(tempfile.gettempdir()) / f"gen-pg-{stamp}"
    target = mirror / package.name / install.name / bin_dir.name
    if not (target / "initdb").exists():
        partial = Path(tempfile.mkdtemp(prefix=f"gen-pg-{stamp}-", dir=tempfile.gettempdir()))
        shutil.copytree(install, partial / "m" / package.name / install.name, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, partial / "m" / libs.name, symlinks=True)
        for d, _dirs, _files in os.walk(partial):
            os.chmod(d, 0o755)
        shutil.rmtree(mirror, ignore_errors=True) if mirror.exists() else None
        try:
            os.rename(partial / "m", mirror)          # atomic: a concurrent copy may win, that is fine
        except OSError:
            pass
        shutil.rmtree(partial, ignore_errors=True)
    return target


# A cluster in memory: tmpfs when it has room (initdb and file creation for each table and
# index cost ~3x less there than on a disk file system), else /tmp.
MEMORY_DIR, MEMORY_MIN_FREE = Path("/dev/shm"), 2 << 30


def room_for(tables: int) -> int:
    """tmpfs room a throw-away server wants for a schema of `tables` tables (the database, its
    copies and WAL): 2 GiB, and 1 MiB more per table (a 500-table `gen verify` peaked at ~0.5 GB)."""
    return MEMORY_MIN_FREE + (tables << 20)


def _parent_dir(in_memory: bool, room: int = MEMORY_MIN_FREE) -> str | None:
    """tmpfs when `in_memory` and it has `room` bytes free, else /tmp."""
    if in_memory and MEMORY_DIR.is_dir() and os.access(MEMORY_DIR, os.W_OK | os.X_OK):
        st = os.statvfs(MEMORY_DIR)
        if st.f_bavail * st.f_frsize >= room:
            return str(MEMORY_DIR)
    return "/tmp" if Path("/tmp").is_dir() else None


INITDB_OPTIONS = ("-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")


def _initdb(bin_dir: Path, data: Path, user: pwd.struct_passwd | None, root: Path, reuse: bool) -> None:
    """initdb into `data`; with `reuse`, a copy of a cluster initdb made once for these binaries,
    options and OS user, kept beside the clusters (copying is ~5x faster than initdb)."""
    initdb = [str(bin_dir / "initdb"), "-D"]
    if not reuse:
        _run([*initdb, str(data), *INITDB_OPTIONS], user, root, "initdb")
        return
    uid = user.pw_uid if user else os.geteuid()
    key = f"{bin_dir}:{(bin_dir / 'initdb').stat().st_mtime_ns}:{INITDB_OPTIONS}:{uid}"
    template = root.parent / f"genpg-template-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    if not (template / "PG_VERSION").exists():
        partial = Path(tempfile.mkdtemp(prefix=f"{template.name}-", dir=root.parent))
        try:
            if user is not None:
                os.chown(partial, user.pw_uid, user.pw_gid)
            _run([*initdb, str(partial / "data"), *INITDB_OPTIONS], user, partial, "initdb")
            try:
                os.rename(partial / "data", template)   # atomic: a concurrent one may win, that is fine
            except OSError:
                pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    _run(["cp", "-R", "-p", str(template), str(data)], user, root, "copying the initdb template")


@contextmanager
def _cluster(bin_dir: Path, logical: bool = False, in_memory: bool = False,
             room: int = MEMORY_MIN_FREE) -> Iterator[str]:
    """initdb + pg_ctl start in a fresh temp dir; yields a base URL; stops and removes it all.
    `logical` starts it with wal_level=logical; `in_memory` puts it on tmpfs when that has `room`."""
    if not (bin_dir / "initdb").exists():
        raise _fail("DB003", f"PostgreSQL binaries not found in {bin_dir}",
                    "install them, or name a server for scratch databases: --scratch-url URL or "
                    "GEN_SCRATCH_DATABASE_URL (the test suite reads GEN_TEST_DATABASE_URL)")
    user = _os_user()
    bin_dir = _usable_bin_dir(bin_dir, user)
    # A short path: the unix socket path must stay under ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="genpg-", dir=_parent_dir(in_memory, room)))
    data, log = root / "data", root / "server.log"
    try:
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        _initdb(bin_dir, data, user, root, reuse=in_memory)
        settings = FAST_SETTINGS + (LOGICAL_SETTINGS if logical else ())
        options = " ".join([f"-h '' -k {root}"] + [f"-c {s}" for s in settings])
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
              "-o", options, "start"], user, root, "pg_ctl start", log)
        yield f"postgresql://postgres@/postgres?host={root}"
    finally:
        if (data / "postmaster.pid").exists():      # also after a start that timed out
            subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           cwd=root, capture_output=True, **_as_user(user))
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def embedded_server(logical: bool = False, in_memory: bool = False, room: int = MEMORY_MIN_FREE) -> Iterator[str]:
    """A throw-away PostgreSQL 16 with pgvector (from pip's pgserver); yields its base URL.
    `logical`: wal_level=logical, for proofs through logical decoding."""
    with _cluster(pgserver_bin_dir(), logical, in_memory, room) as url:
        yield url


@contextmanager
def debian_server(bin_dir: Path = DEBIAN_PG15_BIN, logical: bool = False, in_memory: bool = False,
                  room: int = MEMORY_MIN_FREE) -> Iterator[str]:
    """A throw-away PostgreSQL 15 with contrib (pg_trgm, uuid-ossp, pgcrypto ...) from Debian."""
    if not (bin_dir / "initdb").exists():
        raise _fail("DB003", f"Debian's PostgreSQL 15 binaries are missing ({bin_dir}/initdb)",
                    "apt-get install postgresql-15 postgresql-contrib-15 (or postgresql-contrib)")
    with _cluster(bin_dir, logical, in_memory, room) as url:
        yield url


def scratch_name(prefix: str = "gen_") -> str:
    """A database name unique across processes and calls: prefix + pid + random hex."""
    return f"{prefix}{os.getpid()}_{secrets.token_hex(4)}"


@contextmanager
def scratch_database(base_url: str, prefix: str = "gen_") -> Iterator[str]:
    """Create a uniquely named database on the server of `base_url`; yield its URL; drop it
    (WITH (FORCE), so lingering sessions do not keep it alive)."""
    name = scratch_name(prefix)
    with connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
    try:
        yield with_database(base_url, name)
    finally:
        with connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


# ---------------------------------------------------------------- choosing a server

DEBIAN_PG15_EXTENSIONS = Path("/usr/share/postgresql/15/extension")


def _embedded_extensions() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    return Path(spec.origin).parent / "pginstall" / "share" / "postgresql" / "extension" if spec and spec.origin \
        else None


def _has(directory: Path | None, names: set[str]) -> set[str]:
    """Which of `names` the server whose extension directory this is can install."""
    if directory is None or not directory.is_dir():
        return set()
    return {n for n in names if (directory / f"{n}.control").exists()}


def choose_server(choice: str | None, extensions: set[str] | frozenset[str] = frozenset()) -> str:
    """`auto` (or None) -> embedded, or pg15 when it has extensions the embedded one lacks;
    a URL or a named server is taken as given. Missing extensions on a named server are DB006
    naming them."""
    choice = choice or "auto"
    wanted = {e for e in extensions if e != "plpgsql"}
    if choice.startswith("postgres"):
        return choice
    if choice == "auto":
        if _has(_embedded_extensions(), wanted) == wanted:
            return "embedded"
        if _has(DEBIAN_PG15_EXTENSIONS, wanted) == wanted and (DEBIAN_PG15_BIN / "initdb").exists():
            return "pg15"
        choice = "embedded"
    have = _has(_embedded_extensions() if choice == "embedded" else DEBIAN_PG15_EXTENSIONS, wanted)
    missing = sorted(wanted - have)
    if missing:
        raise _fail("DB006", f"extension(s) {', '.join(missing)} not available on the {choice} server",
                    f"run with --server pg15 (Debian's PostgreSQL 15 with contrib: apt-get install "
                    f"postgresql-15 postgresql-contrib) or --server postgresql://... a server that has "
                    f"{', '.join(missing)}")
    return choice


@contextmanager
def server(choice: str | None, extensions: set[str] | frozenset[str] = frozenset(),
           logical: bool = False, in_memory: bool = False, room: int = MEMORY_MIN_FREE) -> Iterator[str]:
    """The base URL of the chosen server (started and removed here unless it is a URL);
    `logical` starts it with wal_level=logical, `in_memory` on tmpfs when that has `room` bytes free."""
    picked = choose_server(choice, extensions)
    if picked.startswith("postgres"):
        yield picked
    elif picked == "pg15":
        with debian_server(logical=logical, in_memory=in_memory, room=room) as url:
            yield url
    else:
        with embedded_server(logical, in_memory, room) as url:
            yield url
