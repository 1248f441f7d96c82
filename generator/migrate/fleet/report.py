"""The rollout report for people (Markdown: totals, then every target that did not end
current or migrated, drift listed) and for machines (JSON, every target)."""
from __future__ import annotations

import json

from generator.migrate.fleet.rollout import Rollout

QUIET = ("current", "migrated")


def to_json(run: Rollout) -> str:
    return json.dumps(run.to_dict(), indent=1, sort_keys=True) + "\n"


def to_markdown(run: Rollout) -> str:
    data = run.to_dict()
    lines = [f"# Fleet rollout {run.started}", "",
             f"{len(run.outcomes)} targets in {run.waves} wave(s): "
             + ", ".join(f"{n} {state}" for state, n in sorted(data["counts"].items())), ""]
    lines.append(f"**Stopped:** {run.stopped}" if run.stopped else "Completed.")
    loud = [o for o in run.outcomes if o.state not in QUIET]
    if loud:
        lines += ["", "| target | schema | state | version | detail |", "| --- | --- | --- | --- | --- |"]
        for o in loud:
            detail = "; ".join(o.detail[:5]) + (" ..." if len(o.detail) > 5 else "")
            lines.append(f"| {o.target.name} | {o.target.schema or ''} | {o.state} | {o.version or ''} | "
                         f"{detail.replace('|', '/')} |")
    seconds = [o.seconds for o in run.outcomes if o.state == "migrated"]
    if seconds:
        lines += ["", f"Migrated {len(seconds)} target(s); slowest {max(seconds):.2f} s, "
                      f"mean {sum(seconds) / len(seconds):.2f} s per target."]
    return "\n".join(lines) + "\n"
