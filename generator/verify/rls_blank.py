"""With no tenant (user) set — never set, set to '' and after RESET, and on Supabase as `anon`
with PostgREST's token-less claims — a table shows nothing and refuses every write, without
cast errors. UPDATE and DELETE have no WHERE and read no column, so only their own policies
decide (see rls_sweep)."""
from __future__ import annotations

from dataclasses import replace

from generator.verify.actors import NO_TENANT_WAYS, Actor
from generator.verify.probe import insert_refused, none_visible, q
from generator.verify.report import Result
from generator.verify.rls_sweep import prepared, reached_none, sweeps
from generator.verify.stage import Scope, Stage, prepared_insert, rls_result, run_prepared
from generator.verify.world import public_conditions


def attacks(st: Stage, scopes: list[Scope]) -> list[Result]:
    """No tenant/user set, every way; every command sees or changes nothing. The UPDATE sets
    the first scope's own values: any row it reaches leaks."""
    first = scopes[0]
    t = first.table
    label = " or ".join(s.noun for s in scopes)
    merged = _merged(scopes)
    insert = prepared_insert(st.prober, merged, "own", tuple(st.world.rows[(t.key, s.own)] for s in scopes))
    hidden = " OR ".join(f"({cond})" for cond in public_conditions(t)) or "false"
    bulk = sweeps(t, first.own_set)
    commands = {
        "SELECT": (f"SELECT count(*) FROM {q(t)} WHERE NOT coalesce({hidden}, false)", none_visible),
        "INSERT": (insert, insert_refused),
        "UPDATE": (prepared(t, bulk["UPDATE"]), lambda pr: reached_none(pr, "updated")),
        "DELETE": (prepared(t, bulk["DELETE"]), lambda pr: reached_none(pr, "deleted")),
    }
    actors = [(way, Actor(first.actor.role, blank=way)) for way in NO_TENANT_WAYS]
    if st.ident.user_jwt and st.ident.public_role in st.roles:
        actors.append(("anon", Actor(st.ident.public_role, blank="claims")))
    out = []
    for command, (sql, judge) in commands.items():
        bad = []
        for way, actor in actors:
            status, detail = run_prepared(st.prober, actor, sql, judge)
            if status != "pass":
                bad.append((status, f"{_way(way, actor.role)}: {detail}"))
        status = _worst([s for s, _ in bad], len(actors))
        out.append(rls_result(t, f"{command} with no {label}", (status, "; ".join(d for _, d in bad))))
    return out


def _merged(scopes: list[Scope]) -> Scope:
    """One scope whose 'own' prepared row carries every scope's own values (tenant A, user U1)."""
    values: dict = {}
    for s in scopes:
        values.update(s.values["own"])
    tenant = next((s.tenant["own"] for s in scopes if s.tenant["own"]), None)
    return replace(scopes[0], values={"own": values, "other": {}}, tenant={"own": tenant, "other": None})


def _worst(statuses: list[str], ways: int) -> str:
    """fail over warn; skip only when every way was skipped; pass when nothing went wrong."""
    if "fail" in statuses:
        return "fail"
    if statuses.count("skip") == ways:
        return "skip"
    return "warn" if statuses else "pass"


def _way(way: str, role: str) -> str:
    return {"unset": "unset", "empty": "set to ''", "reset": "after RESET", "anon": f"as {role}"}[way]
