"""The attacks on row-level security, run as the application's own non-owner roles (derived
from the spec: Supabase's `authenticated` with JWT claims and `anon`, the spec's roles, or a
stand-in where policies apply to everyone): the scopes of every table become principals with
fixture rows, and each attack module yields its probes from the model. Table attacks run per
scope (matrix, moves, sweeps, RETURNING, ON CONFLICT, COPY) or per table (references across
principals, no tenant/user, TRUNCATE, public_read, admin); escalation and the differential
reads through views and SECURITY DEFINER functions run over the whole schema."""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from generator.model import Schema, Table
from generator.verify import (differential, escalate, lifecycle, rls_admin, rls_blank, rls_copy, rls_matrix,
                              rls_move, rls_public, rls_refs, rls_returning, rls_sweep, rls_upsert, self_grant)
from generator.verify.actors import APP_ROLE, STAND_IN, Identity, identity, policies_of, prepare_roles
from generator.verify.probe import Prober
from generator.verify.report import Result, failed, passed
from generator.verify.rows import SEQ_SCHEMA_ATTACKS, SEQ_TABLE_ATTACKS, SEQ_WORLD, restart
from generator.verify.scopes import infer
from generator.verify.stage import Scope, Stage, derived_scope, owner_scope, rls_result, scope_policies, \
    tenant_scope
from generator.verify.sync import spec_schemas
from generator.verify.world import ROOT_PROBLEM, World, WorldBuilder, public_policies

SCOPE_ATTACKS = (rls_matrix, rls_move, rls_sweep, rls_returning, rls_upsert, rls_copy)
TABLE_ATTACKS = (rls_refs, rls_public, rls_admin, lifecycle)
SCHEMA_ATTACKS = (escalate, self_grant, differential)


@dataclass
class Plan:
    """What the attacks need once the world is built: the stage (None when no role can probe),
    the results that come first (roles, scopes that cannot be probed) and the tables to attack,
    in order."""

    stage: Stage | None
    head: list[Result]
    tables: list[Table]


def check_rls(conn: psycopg.Connection, url: str, schema: Schema,
              only: set[tuple[str, str]] | None = None) -> list[Result]:
    plan = plan_rls(conn, url, schema, only)
    if plan.stage is None:
        return plan.head
    try:
        return plan.head + tables_attacked(plan.stage, plan.tables) + schema_attacks(plan.stage)
    finally:
        plan.stage.prober.close()


def plan_rls(conn: psycopg.Connection, url: str, schema: Schema,
             only: set[tuple[str, str]] | None = None) -> Plan:
    """Roles checked, the fixture world built and committed, every target's scopes found."""
    ident = identity(schema)
    inferred = infer(schema)
    targets = [t for t in schema.tables if t.rls_enabled or t.key in inferred]
    roles = _roles(schema, ident, inferred, targets)
    if not roles:
        return Plan(None, [], [])
    with conn.transaction():
        problems = prepare_roles(conn, roles, spec_schemas(schema))
    if problems:
        return Plan(None, [failed("rls", "roles", "probing roles usable", p) for p in problems], [])
    out = [_role_note(schema, r) for r in sorted(roles)]
    restart(SEQ_WORLD)
    world = WorldBuilder(conn, schema, ident, inferred).build(_needed(schema, targets, only))
    stage = Stage(Prober(conn, url, schema, ident), world, inferred=inferred, only=only, roles=roles)
    for t in targets:
        scopes, skipped = table_scopes(stage, t)
        stage.scopes[t.key] = scopes
        if stage.wanted(t):
            out += skipped
    tables = [t for t in targets if stage.wanted(t)]
    lifecycle.prepare(stage, tables)
    return Plan(stage, out, tables)


def tables_attacked(stage: Stage, tables: list[Table]) -> list[Result]:
    """The attacks on each table; they commit nothing, so each table's are the same whichever
    tables were attacked before (gen verify --jobs splits them)."""
    position = {t.key: i for i, t in enumerate(stage.schema.tables)}
    out: list[Result] = []
    for t in tables:
        restart(SEQ_TABLE_ATTACKS, position[t.key])
        out += table_attacks(stage, t)
    return out


def schema_attacks(stage: Stage) -> list[Result]:
    """Escalation and the differential reads over the whole schema, then the lifecycle's."""
    restart(SEQ_SCHEMA_ATTACKS)
    out: list[Result] = []
    for module in SCHEMA_ATTACKS:
        out += module.attacks(stage)
    return out + lifecycle.attacks_schema(stage)


def table_attacks(st: Stage, t: Table) -> list[Result]:
    out: list[Result] = []
    scopes = st.scopes.get(t.key, [])
    for s in scopes:
        for module in SCOPE_ATTACKS:
            out += module.attacks(st, s)
    if scopes:
        out += rls_blank.attacks(st, scopes)
    for module in TABLE_ATTACKS:
        out += module.attacks(st, t)
    out += rls_copy.truncate(st, t)
    return out


def _needed(schema: Schema, targets: list[Table], only) -> list[Table] | None:
    """Tables that need fixture rows: all, or the wanted ones with their parents."""
    if only is None:
        return None
    keys, todo = set(), [k for k in only]
    while todo:
        key = todo.pop()
        t = schema.tables_by_key.get(key)
        if t is None or key in keys:
            continue
        keys.add(key)
        todo += [(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys]
    if schema.auth and schema.auth.admin_table:
        keys.add(schema.auth.admin_table)
    return [t for t in schema.tables if t.key in keys]


def _roles(schema: Schema, ident: Identity, inferred, targets: list[Table]) -> set[str]:
    out = set()
    for t in targets:
        for ts in inferred.get(t.key, {}).values():
            out.add(ident.role_for(scope_policies(t, ts)))
        for p in public_policies(t):
            out.add(ident.role_for([p], public=True))
        if policies_of(t, "admin_full_access"):
            out.add(ident.role_for(policies_of(t, "admin_full_access")))
        out.add(ident.role_for(t.policies))
    if out and ident.flavor == "supabase":
        out.add(ident.public_role)
    return out


def _role_note(schema: Schema, role: str) -> Result:
    if role == APP_ROLE:
        return passed("rls", "roles", f"act as {role}", STAND_IN)
    how = " with JWT claims in request.jwt.claims, as PostgREST sets them" if role == "authenticated" else ""
    return passed("rls", "roles", f"act as {role}", f"privileges exactly as the schema grants them{how}")


def _missing(world: World, t: Table, concern: str, *labels: str) -> str | None:
    """Why the fixture rows for `concern` are missing, or None when they are all there."""
    if all((t.key, label) in world.rows for label in labels):
        return None
    if (t.key, concern) in world.problems:
        return world.problems[(t.key, concern)]
    if concern == "tenant" and ROOT_PROBLEM in world.problems:
        return f"the two tenants could not be made: {world.problems[ROOT_PROBLEM]}"
    return "no rows were built"


def table_scopes(st: Stage, t: Table) -> tuple[list[Scope], list[Result]]:
    """The principals of `t` (tenant A/B, user U1/U2, direct or derived), or why not."""
    ident, world = st.ident, st.world
    kinds = st.inferred.get(t.key, {})
    scopes: list[Scope] = []
    skipped: list[Result] = []
    ten = st.schema.tenancy
    root = bool(ten) and t.name == ten.root
    has_user = bool(ident.user_jwt or ident.user_setting)
    for kind, ts in kinds.items():
        role = ident.role_for(scope_policies(t, ts))
        labels = ("A", "B") if kind == "tenant" else ("U1", "U2")
        if kind == "tenant" and not ident.tenant_setting:
            why = "the tenant is not read from a setting (tenancy.current is a custom expression)"
        elif kind == "owner" and not has_user:
            why = "the current user is neither auth.uid() nor read from a setting"
        else:
            why = _missing(world, t, kind, *labels)
        if why:
            skipped.append(rls_result(t, f"{ts.noun if kind == 'owner' else 'tenant'} isolation", ("skip", why)))
            continue
        if ts.derived:
            scopes.append(derived_scope(t, ts, world, role))
        elif kind == "tenant":
            with_user = "owner" in kinds and has_user and (t.key, "U1") in world.rows
            scopes.append(tenant_scope(t, world, role, root, with_user))
        else:
            tenant_scoped = next((s for s in scopes if s.kind == "tenant" and not s.derived), None)
            tenant_a = tenant_scoped.tenant["own"] if tenant_scoped else _tenant_a(t, world)
            in_tenant = world.tenants["A"] if _tenant_required(t) and tenant_a and ident.tenant_setting \
                and not root else None
            scopes.append(owner_scope(t, world, role, tenant_a, in_tenant))
    return scopes, skipped


def _tenant_required(t: Table) -> bool:
    """Every row has a tenant, so the app always runs with one set and the owner probes compare
    two users of one tenant. With a nullable tenant column a permissive owner policy is how
    rows without a tenant stay readable (beside tenant isolation, by design): the owner probes
    then run with no tenant set, where the owner policy alone decides."""
    return bool(t.meta.tenant_column) and not t.column(t.meta.tenant_column).nullable


def _tenant_a(t: Table, world: World) -> str | None:
    if not t.meta.tenant_column or "A" not in world.tenants:
        return None
    from generator.model.naming import quote_literal
    return f"{quote_literal(world.tenants['A'])}::{t.column(t.meta.tenant_column).type.sql}"
