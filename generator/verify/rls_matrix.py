"""The isolation matrix of one scope: the actor cannot see, change, delete or insert the
victim's rows, and does see and can insert its own (positive controls, where a policy of the
scope grants the command). On a table both tenant- and owner-scoped the actor has a tenant and a
user, as an application runs, and the owner probes compare two users of one tenant."""
from __future__ import annotations

from generator.model.naming import quote_ident
from generator.verify.actors import policies_of
from generator.verify.probe import allowed, insert_refused, none_visible, q, row_text, visible, write_refused
from generator.verify.report import Result
from generator.verify.stage import Scope, Stage, covered, prepared_insert, rls_result, run_prepared


def attacks(st: Stage, s: Scope) -> list[Result]:
    p, t, noun = st.prober, s.table, s.noun
    own, other = st.world.rows[(t.key, s.own)], st.world.rows[(t.key, s.other)]
    c = quote_ident(next(iter(s.own_set)))
    out: list[Result] = []

    def add(command: str, what: str, verdict) -> None:
        out.append(rls_result(t, what + s.suffix, hinted(s, command, verdict)))

    if "SELECT" in s.commands:
        probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {own.where()}")
        add("SELECT", f"SELECT {own_word(noun)} row", visible(probe))
    if s.probes("SELECT"):
        probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {other.where()}")
        add("SELECT", f"SELECT other {noun}'s row", none_visible(probe))
    if s.probes("UPDATE"):
        probe = p.run(s.actor, f"UPDATE {q(t)} SET {c} = {c} WHERE {other.where()}", row_text(other))
        add("UPDATE", f"UPDATE other {noun}'s row", write_refused(probe, "updated"))
    if s.probes("DELETE"):
        probe = p.run(s.actor, f"DELETE FROM {q(t)} WHERE {other.where()}", row_text(other))
        add("DELETE", f"DELETE other {noun}'s row", write_refused(probe, "deleted"))
    if s.probes("INSERT"):
        verdict = run_prepared(p, s.actor, prepared_insert(p, s, "other", (other,)), insert_refused)
        add("INSERT", f"INSERT for other {noun}", verdict)
    if "INSERT" in s.commands and not s.root:
        verdict = run_prepared(p, s.actor, prepared_insert(p, s, "own", (own,)), allowed)
        add("INSERT", f"INSERT {own_word(noun)} row", verdict)
    return out


def hinted(s: Scope, command: str, verdict):
    """Why a same-tenant owner probe fails when tenant and owner policies are both permissive."""
    if verdict[0] != "fail" or not s.same_tenant:
        return verdict
    tenant = [pol for pol in policies_of(s.table, "tenant_isolation") if command in covered([pol])]
    owner = [pol for pol in policies_of(s.table, "owner") if command in covered([pol])]
    if any(pol.permissive for pol in tenant) and owner and all(pol.permissive for pol in owner):
        return verdict[0], verdict[1] + (" — permissive policies combine with OR; make the owner policy "
                                         "restrictive or drop tenant isolation")
    return verdict


def own_word(noun: str) -> str:
    return "own tenant's" if noun == "tenant" else "own"
