"""Looking after the migrations directory and a database's history: `baseline` (mark a live
database as being at the spec's state, after drift proves it is), `new --empty` (a hand-written
or data migration), `hash` (record an intended edit in gen.sum) and `rm` (remove a migration
that was never applied, e.g. one that failed)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from generator.db.connect import advisory_lock, connect, describe
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import history
from generator.migrate.author import next_versions, changes_between, new_migration, slugify
from generator.migrate.files import HAND_WRITTEN, Migration, MigrationDir, as_dir
from generator.migrate.project import Project
from generator.migrate.verify import live_differences, prepare
from generator.model.naming import quote_literal

_BASE_SUFFIXES = ("_enum_values", "_concurrently")


def _stop(code: str, message: str, hint: str) -> GenError:
    return GenError([Diagnostic(code, message, name="migrate.manage", hint=hint)], EXIT_FINDINGS)


# ---------------------------------------------------------------- baseline

@dataclass
class Baselined:
    written: list[Path] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)


def baseline(url: str, project: Project, directory, now: datetime | None = None) -> Baselined:
    """Record every pending migration as applied on a database that already holds the spec's
    schema (proven by an empty drift). Without migrations, the first one (the whole schema)
    is written first."""
    d = as_dir(directory)
    d.check_sum()
    if d.migrations():
        last = d.last_snapshot()
        if last is None or changes_between(last[1], project.schema):
            raise _stop("MG051", f"the spec has changes no migration in {d.path} holds",
                        "write them first (`gen migrate new NAME`), then baseline")
    prepare(url, project.schema)
    lines = live_differences(url, project.schema)
    if lines:
        raise _stop("MG050", f"{describe(url)} is not at the spec's state, so it cannot be baselined: "
                    + "; ".join(lines[:10]) + (f" (and {len(lines) - 10} more)" if len(lines) > 10 else ""),
                    "make the spec describe the database (gen import), or bring the database to the spec; "
                    "`gen drift` lists the differences")
    result = Baselined()
    if not d.migrations():
        result.written = new_migration(project, d, "baseline", now=now).written
    with connect(url, autocommit=True) as conn, advisory_lock(conn, history.LOCK):
        history.ensure(conn)
        pending = history.check(d, history.applied(conn))
        with conn.transaction():
            for m in pending:
                history.record(conn, m, m.up_checksum())
                result.recorded.append(m.name)
    return result


# ---------------------------------------------------------------- hand-written migrations

EMPTY_UP = """-- gen migration {name} (up)
{marker}: a data or custom migration, written by hand (`gen migrate new --empty`).
-- It runs in one transaction with its history row. For statements that cannot run in a
-- transaction (CREATE INDEX CONCURRENTLY), put `-- gen:no-transaction` on the first line and
-- drop BEGIN/COMMIT. After editing it, run `gen migrate hash` to record it in gen.sum.
SET lock_timeout = {timeout};

BEGIN;

-- your SQL here, e.g.
-- UPDATE products SET stock = 0 WHERE stock IS NULL;

COMMIT;
"""
EMPTY_DOWN = """-- gen migration {name} (down)
{marker}: what undoes the up script. Left empty, `gen migrate down` only forgets it.
"""


def new_empty(directory, name: str, lock_timeout: str = "5s", now: datetime | None = None) -> list[Path]:
    """Write an empty up/down pair to fill by hand; it changes no snapshot."""
    d = as_dir(directory)
    d.check_sum()
    version = next_versions(d.last_version(), now or datetime.now(timezone.utc), 1)[0]
    full = f"{version}_{slugify(name)}"
    d.mkdir()
    up, down = d.up_path(full), d.down_path(full)
    text = EMPTY_UP.format(name=full, marker=HAND_WRITTEN, timeout=quote_literal(lock_timeout))
    if d.layout != "gen":           # the Supabase CLI opens the transaction itself
        text = text.replace("\nBEGIN;\n", "\n").replace("\nCOMMIT;\n", "\n").replace(
            " and drop BEGIN/COMMIT", "")
    up.write_text(text, encoding="utf-8")
    down.write_text(EMPTY_DOWN.format(name=full, marker=HAND_WRITTEN), encoding="utf-8")
    d.write_sum()
    return [up, down]


def rehash(directory, url: str | None = None) -> list[str]:
    """Rewrite gen.sum for the files as they are; returns the files whose entry changed. With a
    database, an applied file that was edited is refused (MG011) instead."""
    d = as_dir(directory)
    if url:
        with connect(url, autocommit=True) as conn:
            done = history.applied(conn)
        files = {m.version: m for m in d.migrations()}
        for version, row in done.items():
            m = files.get(version)
            if m is not None and m.up_checksum() != row.checksum:
                raise _stop("MG011", f"{m.up} was edited after it was applied on {describe(url)} "
                            f"(applied {row.checksum}, now {m.up_checksum()})",
                            "restore the applied version; write a new migration for the change")
    before = d.recorded_sums()
    d.write_sum()
    return [name for name, value in d.sums() if before.get(name) != value] + \
        [name for name in before if name not in dict(d.sums())]


# ---------------------------------------------------------------- removing

def _base(slug: str) -> str:
    for suffix in _BASE_SUFFIXES:
        if slug.endswith(suffix):
            return slug[: -len(suffix)]
    return slug.split("_part")[0] if "_part" in slug else slug


def last_written(d: MigrationDir) -> list[Migration]:
    """The parts the last `gen migrate new` wrote (same name, consecutive), newest last."""
    ms = d.migrations()
    if not ms:
        return []
    base, out = _base(ms[-1].slug), []
    for m in reversed(ms):
        if _base(m.slug) != base:
            break
        out.insert(0, m)
    return out


def remove(directory, version: str | None = None, url: str | None = None) -> list[Path]:
    """Delete a migration that was never applied, with every later one (they were written on
    top of it), and rewrite gen.sum. Without `version`: what the last `migrate new` wrote."""
    d = as_dir(directory)
    d.check_sum()
    ms = d.migrations()
    if version is None:
        targets = last_written(d)
    else:
        if version not in {m.version for m in ms} and version not in {m.name for m in ms}:
            raise _stop("MG052", f"no migration {version} in {d.path}", "see `gen migrate status`")
        start = next(m for m in ms if version in (m.version, m.name))
        targets = [m for m in ms if m.version >= start.version]
    if not targets:
        raise _stop("MG017", f"no migrations in {d.path}", "nothing to remove")
    if url:
        with connect(url, autocommit=True) as conn:
            done = history.applied(conn)
        applied = [m.name for m in targets if m.version in done]
        if applied:
            raise _stop("MG052", f"{', '.join(applied)} is applied on {describe(url)}: it cannot be removed",
                        "revert it first (`gen migrate down`), or write a new migration that undoes it")
    removed = [p for m in targets for p in d.files_of(m.version)]
    for p in removed:
        p.unlink()
    d.write_sum()
    return removed
