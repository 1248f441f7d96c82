"""`gen migrate squash`: the migrations up to a version become one baseline (the schema of the
snapshot at that version, split in parts only when it is too big for one transaction), marked
`-- gen:squashed-through <version>`. A database that applied the old files has reached that
version; the runner then swaps their history rows for the squash's (reconcile), so fresh and
existing databases agree on the history. A database stopped inside the squashed range is refused."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate.author import VERSION_FORMAT, changes_between
from generator.migrate.files import HAND_WRITTEN, Migration, MigrationDir, as_dir
from generator.migrate.script import down_statements, irreversible_script, script, split_parts
from generator.migrate.snapshot import to_json
from generator.model import Schema

THROUGH = "-- gen:squashed-through"
SLUG = "squashed"


@dataclass
class Squashed:
    through: str
    replaced: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)     # hand-written migrations not carried over


def _stop(code: str, message: str, hint: str) -> GenError:
    return GenError([Diagnostic(code, message, name="migrate.squash", hint=hint)], EXIT_FINDINGS)


def hand_written(m: Migration) -> bool:
    return any(line.startswith(HAND_WRITTEN) for line in m.up_text().splitlines()[:5])


def through_of(m: Migration) -> str | None:
    """The version a squash file replaces everything up to, or None for other migrations."""
    if not m.slug.startswith(SLUG):
        return None
    for line in m.up_text().splitlines()[:6]:
        if line.startswith(THROUGH):
            return line[len(THROUGH):].strip()
    return None


def _versions(through: str, count: int) -> list[str]:
    try:
        end = datetime.strptime(through, VERSION_FORMAT)
        return [(end - timedelta(seconds=count - 1 - i)).strftime(VERSION_FORMAT) for i in range(count)]
    except ValueError:
        return [str(int(through) - (count - 1 - i)) for i in range(count)]


def squash(directory, to: str | None = None, lock_timeout: str = "5s", spec: str = "",
           drop_hand_written: bool = False) -> Squashed:
    d = as_dir(directory)
    d.check_sum()
    ms = d.migrations()
    if not ms:
        raise _stop("MG017", f"no migrations in {d.path}", "nothing to squash")
    with_snapshot = [m for m in ms if d.snapshot_path(m.name).exists()]
    last = next((m for m in ms if to in (m.version, m.name)), None) if to else \
        (with_snapshot[-1] if with_snapshot else ms[-1])
    if last is None:
        raise _stop("MG053", f"no migration {to} in {d.path}", "see `gen migrate status`")
    found = d.snapshot_at(last.version)
    if found is None:
        raise _stop("MG053", f"{last.name} has no snapshot (it is not the last part of a `gen migrate new`)",
                    "squash up to a version that has a .snapshot.json")
    replaced = [m for m in ms if m.version <= last.version]
    result = Squashed(last.version, [m.name for m in replaced])
    if len(replaced) < 2:
        return result
    hand = [m.name for m in replaced if hand_written(m)]
    if hand and not drop_hand_written:
        raise _stop("MG053", "hand-written migrations in the range would be left out of the squash: "
                    + ", ".join(hand), "their SQL is not in the snapshot; pass --drop-hand-written if a fresh "
                    "database does not need them (data backfills), or squash up to a version before them")
    result.left_out = hand
    parts = split_parts(changes_between(Schema.empty(found[1].name), found[1]))
    for p in [f for m in replaced for f in d.files_of(m.version)]:
        p.unlink()
    versions = _versions(last.version, len(parts))
    for version, part in zip(versions, parts):
        result.written += _write(d, f"{version}_{SLUG}{part.suffix}", part, last.version, lock_timeout, spec,
                                 len(replaced))
    snapshot = d.snapshot_path(f"{versions[-1]}_{SLUG}{parts[-1].suffix}")
    snapshot.write_text(to_json(found[1]), encoding="utf-8")
    result.written.append(snapshot)
    d.write_sum()
    return result


def _write(d: MigrationDir, name: str, part, through: str, lock_timeout: str, spec: str, count: int) -> list[Path]:
    up, down = d.up_path(name), d.down_path(name)
    notes = [f"gen:squashed-through {through}",
             f"Squashes {count} migrations into the schema they had built by {through}; a database that "
             "applied them is recorded as having applied this instead.", part.note]
    up.write_text(script(name, "up", spec, part.up, lock_timeout, notes, wrap=d.layout == "gen"), encoding="utf-8")
    statements, irreversible = down_statements(part)
    down.write_text(irreversible_script(name, spec, irreversible) if irreversible else
                    script(name, "down", spec, statements, lock_timeout), encoding="utf-8")
    return [up, down]


# ---------------------------------------------------------------- history

def pending_swap(d: MigrationDir, done: dict) -> tuple[list[str], list[Migration]] | None:
    """(history versions to forget, squash migrations to record) when a database that applied
    the squashed migrations has not been reconciled yet; None when there is nothing to do."""
    squash_files = [m for m in d.migrations() if through_of(m)]
    if not squash_files:
        return None
    through = max(through_of(m) for m in squash_files)
    mine = [m for m in squash_files if through_of(m) == through]
    below = sorted(v for v in done if v <= through)
    if not below:
        return None
    if {m.version for m in mine} == set(below) and all(done[m.version].checksum == m.up_checksum() for m in mine):
        return None
    if through not in done:
        raise _stop("MG054", f"the database's history stops at {done[below[-1]].name}, inside the migrations "
                    f"squashed into {mine[-1].name} (through {through})",
                    "apply the unsquashed migrations up to that version first (check them out from version "
                    "control), or recreate the database and run `gen migrate up`")
    return below, mine


def reconciled(d: MigrationDir, done: dict, applied_row) -> dict:
    """The history as it will read once reconciled (for read-only commands such as status)."""
    swap = pending_swap(d, done)
    if swap is None:
        return done
    below, mine = swap
    when = done[below[-1]].applied_at
    out = {v: row for v, row in done.items() if v not in below}
    out.update({m.version: applied_row(m.version, m.name, m.up_checksum(), when) for m in mine})
    return out


def reconcile(conn: psycopg.Connection, d: MigrationDir, done: dict, record, forget) -> list[str]:
    """Swap the history rows of squashed migrations for the squash's own, in one transaction;
    returns the names recorded. `record(m)` / `forget(version)` write the history."""
    swap = pending_swap(d, done)
    if swap is None:
        return []
    below, mine = swap
    with conn.transaction():
        for v in below:
            forget(v)
        for m in mine:
            record(m)
    return [m.name for m in mine]
