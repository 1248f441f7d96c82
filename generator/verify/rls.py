"""The RLS isolation matrix, run as non-owner, non-superuser application roles: tenant and
owner isolation for every command (targeted, and bulk with no WHERE), owners compared within
one tenant where the table is tenant-scoped too, fail-closed with no tenant/user, public_read
visibility, and admin_full_access (an admin sees everything, a non-admin nothing beyond its
own rows)."""
from __future__ import annotations

from dataclasses import replace

import psycopg

from generator.model import Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, Identity, identity, policies_of, prepare_roles
from generator.verify.probe import Prober, none_visible, q
from generator.verify.report import Result, failed
from generator.verify.rls_blank import blank_probes
from generator.verify.rls_scope import owner_scope, prepared_insert, rls_result, scope_probes, tenant_scope
from generator.verify.sync import spec_schemas
from generator.verify.world import ROOT_PROBLEM, World, WorldBuilder, public_conditions


def _roles(t: Table, ident: Identity) -> dict[str, str]:
    """Which role probes each concern of this table."""
    out = {}
    if t.meta.tenant_column:
        out["tenant"] = ident.role_for(policies_of(t, "tenant_isolation"))
    if t.meta.owner_column:
        out["owner"] = ident.role_for(policies_of(t, "owner"))
    for i, p in enumerate(policies_of(t, "public_read")):
        out[f"public{i}"] = ident.role_for([p], public=True)
    if policies_of(t, "admin_full_access"):
        out["admin"] = ident.role_for(policies_of(t, "admin_full_access"))
    return out


def check_rls(conn: psycopg.Connection, url: str, schema: Schema) -> list[Result]:
    ident = identity(schema)
    roles = {r for t in schema.tables for r in _roles(t, ident).values()}
    if not roles:
        return []
    with conn.transaction():
        problems = prepare_roles(conn, roles, spec_schemas(schema))
    if problems:
        return [failed("rls", "roles", "probing roles usable", p) for p in problems]
    world = WorldBuilder(conn, schema).build()
    prober = Prober(conn, url, schema, ident)
    out: list[Result] = []
    try:
        for t in schema.tables:
            out += table_probes(prober, t, world, _roles(t, ident))
    finally:
        prober.close()
    return out


def _missing(world: World, t: Table, concern: str, *labels: str) -> str | None:
    """Why the fixture rows for `concern` are missing, or None when they are all there."""
    if all((t.key, label) in world.rows for label in labels):
        return None
    if (t.key, concern) in world.problems:
        return world.problems[(t.key, concern)]
    if concern == "tenant" and ROOT_PROBLEM in world.problems:
        return f"the two tenants could not be made: {world.problems[ROOT_PROBLEM]}"
    return "no rows were built"


def table_probes(p: Prober, t: Table, world: World, roles: dict[str, str]) -> list[Result]:
    out: list[Result] = []
    scopes = []
    ten = p.schema.tenancy
    root = bool(ten) and t.name == ten.root
    has_user = bool(p.ident.user_jwt or p.ident.user_setting)
    if "tenant" in roles:
        why = _missing(world, t, "tenant", "A", "B") if p.ident.tenant_setting else \
            "the tenant is not read from a setting (tenancy.current is a custom expression)"
        if why:
            out.append(rls_result(t, "tenant isolation", ("skip", why)))
        else:
            with_user = "owner" in roles and has_user and (t.key, "U1") in world.rows
            scopes.append(tenant_scope(t, world, roles["tenant"], root, with_user))
    if "owner" in roles:
        why = _missing(world, t, "owner", "U1", "U2") if has_user else \
            "the current user is neither auth.uid() nor read from a setting"
        if why:
            out.append(rls_result(t, "owner isolation", ("skip", why)))
        else:
            tenant_a = scopes[0].tenant["own"] if scopes else _tenant_a(p, t, world)
            in_tenant = world.tenants["A"] if _tenant_required(t) and tenant_a and p.ident.tenant_setting \
                and not root else None
            scopes.append(owner_scope(t, world, roles["owner"], tenant_a, in_tenant))
    for s in scopes:
        out += scope_probes(p, s, world)
    if scopes:
        label = " or ".join(("tenant" if s.noun == "tenant" else "user") for s in scopes)
        insert = prepared_insert(p, _merged(scopes), "own", tuple(world.rows[(t.key, s.own)] for s in scopes))
        first = scopes[0]
        out += blank_probes(p, t, first.actor.role, first.column, first.own_value, f"no {label}", insert)
    out += public_probes(p, t, world, roles)
    if "admin" in roles:
        out += admin_probes(p, t, world, roles["admin"])
    return out


def _tenant_required(t: Table) -> bool:
    """Every row has a tenant, so the app always runs with one set and the owner probes compare
    two users of one tenant. With a nullable tenant column a permissive owner policy is how
    rows without a tenant stay readable (beside tenant isolation, by design): the owner probes
    then run with no tenant set, where the owner policy alone decides."""
    return bool(t.meta.tenant_column) and not t.column(t.meta.tenant_column).nullable


def _tenant_a(p: Prober, t: Table, world: World) -> str | None:
    if not t.meta.tenant_column or "A" not in world.tenants:
        return None
    return f"{quote_literal(world.tenants['A'])}::{t.column(t.meta.tenant_column).type.sql}"


def _merged(scopes):
    """One scope whose 'own' prepared row carries every scope's own values (tenant A, user U1)."""
    values = {}
    for s in scopes:
        values.update(s.values["own"])
    tenant = next((s.tenant["own"] for s in scopes if s.tenant["own"]), None)
    return replace(scopes[0], values={"own": values, "other": {}}, tenant={"own": tenant, "other": None})


def public_probes(p: Prober, t: Table, world: World, roles: dict[str, str]) -> list[Result]:
    out = []
    for i, pol in enumerate(policies_of(t, "public_read")):
        role = roles[f"public{i}"]
        if (t.key, f"public{i}") not in world.rows:
            out.append(rls_result(t, f"public_read {pol.name}", ("skip", world.problems.get((t.key, "public"), ""))))
            continue
        shown = world.rows[(t.key, f"public{i}")]
        probe = p.run(Actor(role), f"SELECT count(*) FROM {q(t)} WHERE {shown.where()}")
        o = probe.outcome
        verdict = ("pass", "") if o.ok and o.rows[0][0] == 1 else \
            ("fail", "public row not visible" if o.ok else f"query failed: {o.describe()}")
        out.append(rls_result(t, f"public row visible to {role}", verdict))
        hidden = world.rows.get((t.key, f"private{i}"))
        if hidden is not None:
            probe = p.run(Actor(role), f"SELECT count(*) FROM {q(t)} WHERE {hidden.where()}")
            out.append(rls_result(t, f"private row hidden from {role}", none_visible(probe)))
    return out


def admin_probes(p: Prober, t: Table, world: World, role: str) -> list[Result]:
    adm = world.admin
    if adm.admin is None:
        return [rls_result(t, "admin_full_access", ("skip", adm.reason or "no admin could be made"))]
    hidden = " OR ".join(f"({c})" for c in public_conditions(t)) or "false"
    mine = [c for c in (t.meta.owner_column, adm.user_column if t == adm.table else None) if c]
    own = " AND ".join(f"{quote_ident(c)}::text IS DISTINCT FROM '{adm.plain}'" for c in mine) or "true"
    sql = f"SELECT count(*) FROM {q(t)} WHERE NOT coalesce({hidden}, false) AND {own}"
    out = [rls_result(t, "non-admin sees no other rows", none_visible(p.run(Actor(role, user=adm.plain), sql)))]

    def total(conn):
        return conn.execute(f"SELECT count(*) FROM {q(t)}").fetchone()[0]
    probe = p.run(Actor(role, user=adm.admin), f"SELECT count(*) FROM {q(t)}", total)
    o = probe.outcome
    seen = o.rows[0][0] if o.ok else None
    verdict = ("pass", f"{seen} rows") if o.ok and seen == probe.before else \
        ("fail", f"admin sees {seen} of {probe.before} rows" if o.ok else f"query failed: {o.describe()}")
    out.append(rls_result(t, "admin sees every row", verdict))
    c = quote_ident(next(x.name for x in t.columns if not x.generated and x.identity != "always"))
    probe = p.run(Actor(role, user=adm.admin), f"UPDATE {q(t)} SET {c} = {c}", total)
    o = probe.outcome
    verdict = ("pass", "") if o.ok and o.rowcount == probe.before else \
        ("fail", f"admin updated {o.rowcount} of {probe.before} rows" if o.ok else f"refused: {o.describe()}")
    out.append(rls_result(t, "admin updates every row", verdict))
    return out

