"""With no tenant (user) set — never set, set to '' and after RESET — a table shows nothing
and refuses every write, without cast errors. UPDATE and DELETE have no WHERE and read no
column, so only their own policies decide (see rls_sweep)."""
from __future__ import annotations

from generator.model import Table
from generator.verify.actors import NO_TENANT_WAYS, Actor
from generator.verify.probe import Prober, insert_refused, none_visible, q
from generator.verify.report import Result
from generator.verify.rls_scope import rls_result, run_prepared
from generator.verify.rls_sweep import prepared, reached_none, sweeps
from generator.verify.world import public_conditions


def blank_probes(p: Prober, t: Table, role: str, column: str, value: str, label: str, insert_sql) -> list[Result]:
    """No tenant/user set, three ways; every command sees or changes nothing. `value` is what
    the UPDATE sets `column` to (the first scope's own tenant or user): any row it reaches leaks."""
    hidden = " OR ".join(f"({cond})" for cond in public_conditions(t)) or "false"
    bulk = sweeps(t, column, value)
    commands = {
        "SELECT": (f"SELECT count(*) FROM {q(t)} WHERE NOT coalesce({hidden}, false)", none_visible),
        "INSERT": (insert_sql, insert_refused),
        "UPDATE": (prepared(t, bulk["UPDATE"]), lambda pr: reached_none(pr, "updated")),
        "DELETE": (prepared(t, bulk["DELETE"]), lambda pr: reached_none(pr, "deleted")),
    }
    out = []
    for command, (sql, judge) in commands.items():
        bad = []
        for way in NO_TENANT_WAYS:
            status, detail = run_prepared(p, Actor(role, blank=way), sql, judge)
            if status != "pass":
                bad.append((status, f"{_way(way)}: {detail}"))
        status = _worst([s for s, _ in bad], len(NO_TENANT_WAYS))
        out.append(rls_result(t, f"{command} with {label}", (status, "; ".join(d for _, d in bad))))
    return out


def _worst(statuses: list[str], ways: int) -> str:
    """fail over warn; skip only when every way was skipped; pass when nothing went wrong."""
    if "fail" in statuses:
        return "fail"
    if statuses.count("skip") == ways:
        return "skip"
    return "warn" if statuses else "pass"


def _way(way: str) -> str:
    return {"unset": "unset", "empty": "set to ''", "reset": "after RESET"}[way]
