"""`gen migrate new`: diff the last snapshot (or the empty schema) against the spec, refuse
unacknowledged destructive changes, and write each part's up and down scripts, the new
snapshot and gen.sum. Nothing changed -> nothing written."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.diff import database_changes, diff, external_trigger_changes
from generator.migrate import citus, safety
from generator.migrate.files import DATA_NOT_RESTORED, MigrationDir, as_dir
from generator.migrate.project import Project
from generator.migrate.script import down_statements, irreversible_script, script, split_parts
from generator.migrate.snapshot import to_json
from generator.model import Schema


@dataclass
class Authored:
    directory: Path
    written: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)


VERSION_FORMAT = "%Y%m%d%H%M%S"


def changes_between(old: Schema, new: Schema) -> list:
    return diff(old, new) + external_trigger_changes(old, new) + database_changes(old, new)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug[:60] or "migration"


def next_versions(last: str | None, now: datetime, count: int) -> list[str]:
    """`count` versions one second apart (UTC, YYYYMMDDHHMMSS) from now, always after `last`."""
    start = now.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    if last is not None:
        try:
            start = max(start, datetime.strptime(last, VERSION_FORMAT) + timedelta(seconds=1))
        except ValueError:      # not a timestamp (hand-named): count on from it
            return [str(int(last) + 1 + i) for i in range(count)]
    return [(start + timedelta(seconds=i)).strftime(VERSION_FORMAT) for i in range(count)]


def new_migration(project: Project, directory: "str | Path | MigrationDir", name: str, allow_destructive: bool = False,
                  now: datetime | None = None) -> Authored:
    d = as_dir(directory)
    d.check_sum()
    found = d.last_snapshot()
    if found is None and d.migrations():
        raise GenError([Diagnostic("MG005", f"{d.path} has migrations but no snapshot to diff the spec against",
                                   name="migrate.snapshot", hint="restore the *.snapshot.json files from version "
                                   "control")], EXIT_FINDINGS)
    before = found[1] if found else Schema.empty(project.schema.name)
    changes = changes_between(before, project.schema)
    citus.refuse(before, project.schema, project.spec)
    result = Authored(d.path)
    if not changes:
        return result
    risks = safety.risks(changes)
    if not allow_destructive:
        safety.refuse(safety.unacknowledged(risks, project.allow_destructive), project.spec)
    result.acknowledged = [r.key for r in risks]
    result.warnings = safety.warnings(changes) if found else []
    parts = split_parts(changes)
    versions = next_versions(d.last_version(), now or datetime.now(timezone.utc), len(parts))
    d.mkdir()
    slug = slugify(name)
    for version, part in zip(versions, parts):
        result.written += _write_part(d, f"{version}_{slug}{part.suffix}", part, project, result.acknowledged)
    snapshot = d.snapshot_path(f"{versions[-1]}_{slug}{parts[-1].suffix}")
    snapshot.write_text(to_json(project.schema), encoding="utf-8")
    result.written.append(snapshot)
    d.write_sum()
    return result


def _write_part(d: MigrationDir, name: str, part, project: Project, acknowledged: list[str]) -> list[Path]:
    notes = [part.note] + (["gen:flavor supabase"] if project.schema.settings.flavor == "supabase" else [])
    if acknowledged:
        notes.append("Acknowledged destructive changes: " + ", ".join(acknowledged))
    up = d.up_path(name)
    up.write_text(script(name, "up", project.spec, part.up, project.lock_timeout, notes, wrap=d.layout == "gen"),
                  encoding="utf-8")
    statements, irreversible = down_statements(part)
    down = d.down_path(name)
    if irreversible:
        down.write_text(irreversible_script(name, project.spec, irreversible), encoding="utf-8")
    else:
        lost = [k for k in acknowledged if not k.startswith("set_not_null:")] if part.step == "main" else []
        down_notes = [f"{DATA_NOT_RESTORED} {', '.join(lost)}",
                      "Restores the structure only: what the up migration dropped or narrowed stays lost."
                      ] if lost else []
        down.write_text(script(name, "down", project.spec, statements, project.lock_timeout, down_notes),
                        encoding="utf-8")
    return [up, down]
