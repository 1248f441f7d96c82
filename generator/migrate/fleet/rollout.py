"""`gen fleet up|status|drift`: the targets resolved (queries run on their control database),
the canary migrated first, then waves of `wave_size` with `parallel` workers; a failed or
drifted target counts against the failure budget, and once it is spent the wave's unstarted
targets and every later wave are left alone. Every outcome is appended to the rollout log;
running again resumes (each target applies only what it lacks)."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from generator.db.connect import connect
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
from generator.migrate import history
from generator.migrate.files import MigrationDir
from generator.migrate.fleet.config import Fleet, Query, Target, bad, check_schema_name
from generator.migrate.fleet.target import Outcome, applied, drift, invalid_indexes, migrate

Progress = Callable[[str], None]


@dataclass
class Rollout:
    started: str
    outcomes: list[Outcome] = field(default_factory=list)
    waves: int = 0
    stopped: str = ""                  # why the rollout stopped early, if it did

    @property
    def ok(self) -> bool:
        return not self.stopped and not any(o.failed for o in self.outcomes)

    def to_dict(self) -> dict:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.state] = counts.get(o.state, 0) + 1
        return {"started": self.started, "waves": self.waves, "stopped": self.stopped or None, "counts": counts,
                "targets": [o.to_dict() for o in self.outcomes]}


def resolve_targets(fleet: Fleet) -> list[Target]:
    out: list[Target] = []
    for entry in fleet.targets:
        if isinstance(entry, Target):
            out.append(entry)
        elif isinstance(entry, list):
            out.extend(entry)
        else:
            out.extend(_query(entry, fleet))
    names = [t.name for t in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise bad(f"target names must be unique: {', '.join(dup[:5])}", fleet.path, "give targets a `name`")
    return out


def _query(q: Query, fleet: Fleet) -> list[Target]:
    with connect(q.url, autocommit=True) as conn:
        cur = conn.execute(q.sql)
        cols = [c.name for c in cur.description or []]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    if not {"schema", "url"} & set(cols):
        raise GenError([Diagnostic("MG086", f"the target query returned columns {cols}: it needs `schema` and/or "
                                   "`url` (and may name each target in `name`)", name="fleet.query",
                                   hint="e.g. SELECT slug AS schema FROM tenants WHERE active")], EXIT_BAD_INPUT)
    return [Target(r.get("name") or r.get("schema") or r["url"], r.get("url") or q.url,
                   check_schema_name(r["schema"], fleet.path) if r.get("schema") else None) for r in rows]


def _canary(fleet: Fleet, targets: list[Target]) -> list[Target]:
    if isinstance(fleet.canary, int):
        return targets[:fleet.canary]
    named = [t for t in targets if t.name in set(fleet.canary)]
    missing = set(fleet.canary) - {t.name for t in named}
    if missing:
        raise bad(f"canary names unknown target(s): {', '.join(sorted(missing))}", fleet.path, "name listed targets")
    return named


def waves(fleet: Fleet, targets: list[Target]) -> list[list[Target]]:
    canary = _canary(fleet, targets)
    rest = [t for t in targets if t not in canary]
    return ([canary] if canary else []) + [rest[i:i + fleet.wave_size] for i in range(0, len(rest), fleet.wave_size)]


def up(fleet: Fleet, targets: list[Target], progress: Progress = lambda _: None) -> Rollout:
    d = MigrationDir(fleet.migrations)
    d.check_sum()
    run = Rollout(datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    plan, failures, log = waves(fleet, targets), 0, _Log(fleet, run.started)
    first = 0 if _canary(fleet, targets) else 1
    for i, wave in enumerate(plan):
        run.waves += 1
        name = "canary" if i + first == 0 else f"wave {i + first}"
        progress(f"{name}: {len(wave)} target(s)")
        budget = 0 if name == "canary" else fleet.failure_budget - failures
        outcomes = _wave(wave, d, fleet, budget, log)
        run.outcomes += outcomes
        failures += sum(o.failed for o in outcomes)
        bad_ones = [o.target.name for o in outcomes if o.failed]
        if bad_ones and (name == "canary" or failures > fleet.failure_budget):
            run.stopped = (f"{name} failed: {', '.join(bad_ones[:10])}" if name == "canary" else
                           f"failure budget ({fleet.failure_budget}) spent in {name}: {', '.join(bad_ones[:10])}")
            for later in plan[i + 1:]:
                run.outcomes += [Outcome(t, "not reached") for t in later]
            break
    log.close(run)
    return run


def _wave(wave: list[Target], d: MigrationDir, fleet: Fleet, budget: int, log: "_Log") -> list[Outcome]:
    """Migrate one wave; once more than `budget` targets failed, the unstarted ones are not reached."""
    out, failed, stop = [], 0, threading.Event()

    def one(t: Target) -> Outcome:
        return Outcome(t, "not reached") if stop.is_set() else migrate(t, d, fleet.drift_check)

    with ThreadPoolExecutor(max_workers=fleet.parallel) as pool:
        for fut in as_completed([pool.submit(one, t) for t in wave]):
            o = fut.result()
            out.append(o)
            log.write(o)
            failed += o.failed
            if failed > budget:
                stop.set()
    order = {t.name: i for i, t in enumerate(wave)}
    return sorted(out, key=lambda o: order[o.target.name])


def status(fleet: Fleet, targets: list[Target], with_drift: bool = False) -> list[dict]:
    """Per target: the newest applied version, how many are pending, invalid indexes, and drift
    (against the snapshot of its version) when asked."""
    d = MigrationDir(fleet.migrations)
    versions = [m.version for m in d.migrations()]

    def one(t: Target) -> dict:
        row = t.to_dict()
        try:
            with connect(t.url, autocommit=True) as conn:
                done = applied(conn, t)
                row["invalid_indexes"] = invalid_indexes(conn, t)
            history.check(d, done)
            row["version"] = max(done, default=None)
            row["pending"] = len([v for v in versions if v not in done])
            if with_drift:
                row["drift"] = drift(t, d, row["version"])
        except GenError as e:
            row["error"] = "; ".join(x.message for x in e.diagnostics)
        return row

    with ThreadPoolExecutor(max_workers=fleet.parallel) as pool:
        return list(pool.map(one, targets))


class _Log:
    """The rollout log: one JSON line per target outcome, then one for the rollout's end."""

    def __init__(self, fleet: Fleet, started: str):
        self.file, self.started, self.lock = fleet.log.open("a", encoding="utf-8"), started, threading.Lock()
        self._line({"event": "start", "fleet": str(fleet.path)})

    def _line(self, data: dict) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.lock:
            self.file.write(json.dumps({"at": stamp, "rollout": self.started, **data}, sort_keys=True) + "\n")
            self.file.flush()

    def write(self, o: Outcome) -> None:
        self._line({"event": "target", **o.to_dict()})

    def close(self, run: Rollout) -> None:
        self._line({"event": "end", "stopped": run.stopped or None, "waves": run.waves})
        self.file.close()
