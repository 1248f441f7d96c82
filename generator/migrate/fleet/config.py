"""The fleet file: the spec and migrations every target shares, the targets (database URLs,
schemas inside one database, or a query on a control database that returns either), `${VAR}`
interpolation for secrets, and the rollout settings (canary, wave size, parallelism, budget)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError, Location

TENANT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")       # a tenant schema name: lower-case, no quoting needed
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TARGET_KEYS = {"name", "url", "schema", "schemas", "query"}
ROLLOUT_KEYS = {"canary", "wave_size", "parallel", "failure_budget", "drift_check"}


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    schema: str | None = None          # a tenant schema (spec in `tenancy: {mode: schema}`), else the database

    def to_dict(self) -> dict:
        return {"name": self.name, "schema": self.schema}


@dataclass(frozen=True)
class Query:
    url: str                           # the control database
    sql: str                           # rows with a `schema` and/or `url` column, optionally `name`


@dataclass
class Fleet:
    path: Path
    spec: Path
    migrations: Path
    targets: list[Target | Query] = field(default_factory=list)
    canary: int | list[str] = 1        # the first N targets, or these names
    wave_size: int = 50
    parallel: int = 4
    failure_budget: int = 0            # failed or drifted targets tolerated before the rollout stops
    drift_check: bool = True           # compare each target with its version's snapshot before migrating

    @property
    def log(self) -> Path:
        return self.path.with_name(self.path.stem + ".log.jsonl")


def bad(message: str, path: Path, hint: str, line: int = 1, col: int = 1, code: str = "MG080") -> GenError:
    return GenError([Diagnostic(code, message, Location(str(path), line, col), "fleet.file", hint)], EXIT_BAD_INPUT)


def _interpolate(text: str, path: Path, env) -> str:
    def one(m: re.Match) -> str:
        if m[1] not in env:
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - text.rfind("\n", 0, m.start())
            raise bad(f"environment variable {m[1]} is not set", path,
                      f"export {m[1]}=... (secrets stay out of the fleet file)", line, col, "MG081")
        return env[m[1]]
    return VAR.sub(one, text)


def load_fleet(path: str | Path, env=None) -> Fleet:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise bad(f"cannot read the fleet file: {exc.strerror}", path, "check the path") from None
    try:
        doc = yaml.safe_load(_interpolate(raw, path, os.environ if env is None else env))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise bad(f"not YAML: {getattr(exc, 'problem', exc)}", path, "fix the syntax",
                  mark.line + 1 if mark else 1, mark.column + 1 if mark else 1) from None
    if not isinstance(doc, dict) or doc.get("fleet") != 1 or "spec" not in doc or "targets" not in doc:
        raise bad("a fleet file starts with `fleet: 1` and has `spec`, `migrations` and `targets`", path,
                  "see docs/scale-out.md (Fleets)")
    here = path.parent
    fleet = Fleet(path, here / doc["spec"], here / doc.get("migrations", "migrations"))
    fleet.targets = [_target(t, path) for t in doc["targets"] or []]
    rollout = doc.get("rollout") or {}
    unknown = set(rollout) - ROLLOUT_KEYS
    if unknown:
        raise bad(f"unknown rollout key(s): {', '.join(sorted(unknown))}", path, f"known: {', '.join(sorted(ROLLOUT_KEYS))}")
    for key in ROLLOUT_KEYS & set(rollout):
        setattr(fleet, key, rollout[key])
    if fleet.parallel < 1 or fleet.wave_size < 1 or fleet.failure_budget < 0:
        raise bad("rollout: parallel and wave_size are at least 1, failure_budget at least 0", path, "fix the numbers")
    return fleet


def _target(entry, path: Path) -> list[Target] | Query:
    if not isinstance(entry, dict) or "url" not in entry or set(entry) - TARGET_KEYS:
        raise bad(f"a target is {{url, name?}}, {{url, schemas: [...]}} or {{url, query}}: got {entry!r}", path,
                  "each target needs a url (use ${VAR} for secrets)")
    if "query" in entry:
        return Query(entry["url"], entry["query"])
    schemas = entry.get("schemas") or ([entry["schema"]] if entry.get("schema") else [])
    if not schemas:
        return Target(entry.get("name") or dbname(entry["url"]), entry["url"])
    for s in schemas:
        check_schema_name(s, path)
    return [Target(s if len(schemas) > 1 else entry.get("name", s), entry["url"], s) for s in schemas]


def check_schema_name(name, path: Path | str) -> str:
    if not isinstance(name, str) or not TENANT.match(name):
        raise bad(f"tenant schema name {name!r} is not a lower-case identifier of at most 63 bytes", Path(str(path)),
                  "use letters, digits and _ (it replaces {tenant} in every statement)", code="MG082")
    return name


def dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict
    return conninfo_to_dict(url).get("dbname") or url
