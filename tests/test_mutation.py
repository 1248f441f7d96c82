"""The mutation self-test: each example spec, weakened one way at a time, must make verify (the
attacker) or lint FAIL, naming the table. A verify that passes a mutant is a bug.

Mutants are made on the resolved model, so each is exactly one weakness:
- check-true      an UPDATE/ALL isolation policy's WITH CHECK becomes `true` (rows can move)
- using-true      an isolation policy's USING becomes `true` (other principals' rows show)
- no-force        FORCE ROW LEVEL SECURITY dropped (the owner bypasses the policies)
- writable-admin  the guard of a column the admin check reads dropped (self-promotion)
- repointable     what keeps a grant row's identity column from being re-pointed goes (the UPDATE
                  guard, or the restrictive owner policy): a user re-points an admin's row at themselves
- plain-key       a tenant-consistent key loses its tenant column (cross-tenant references)
- definer-view    a view over RLS tables loses security_invoker (it leaks other rows)
- client-truncate a client role gets TRUNCATE (RLS does not apply to it)
Verify runs on the mutated table only (`only=`); lint on the whole model."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest

from generator.lint import lint
from generator.model import Grant, Schema, Table
from generator.pipeline import load_schema
from generator.verify import verify

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "spec").glob("*.yaml"))

Mutant = Callable[[Schema], tuple[Schema, Table | None, str] | None]   # (schema, target table, what)


def _swap_table(schema: Schema, old: Table, new: Table) -> Schema:
    return replace(schema, tables=tuple(new if t is old else t for t in schema.tables))


def _isolation(t: Table, commands=("ALL", "UPDATE")):
    return next((p for p in t.policies if p.permissive and p.command in commands
                 and p.preset in ("tenant_isolation", "owner")), None)


def _scope_is_key(t: Table, p) -> bool:
    """The policy's scope column is the whole primary key (a profile keyed by its user): changing
    it makes another row, not another principal's row."""
    col = t.meta.tenant_column if p.preset == "tenant_isolation" else t.meta.owner_column
    return bool(t.primary_key) and t.primary_key.columns == (col,)


def check_true(schema: Schema):
    for t in schema.tables:
        p = _isolation(t)
        if p is not None and p.check and not _scope_is_key(t, p):
            weak = replace(p, check="true")
            return _swap_table(schema, t, replace(t, policies=tuple(weak if x is p else x for x in t.policies))), t, \
                f"WITH CHECK of {p.name} is true"
    return None


def using_true(schema: Schema):
    for t in schema.tables:
        p = _isolation(t, ("ALL", "SELECT"))
        if p is not None and p.using:
            weak = replace(p, using="true")
            return _swap_table(schema, t, replace(t, policies=tuple(weak if x is p else x for x in t.policies))), t, \
                f"USING of {p.name} is true"
    return None


def no_force(schema: Schema):
    admin = schema.auth.admin_table if schema.auth else None
    for t in schema.tables:
        if t.rls_forced and t.key != admin:
            return _swap_table(schema, t, replace(t, rls_forced=False)), t, "FORCE dropped"
    return None


def writable_admin(schema: Schema):
    """The guard of a column the admin predicate reads goes (as if the spec said `protected: false`)."""
    admin = schema.auth.admin_table if schema.auth else None
    for t in schema.tables:
        read = [p for p in t.meta.protected if p.why.startswith("read by")]
        if read and (t.key == admin or not admin):
            guard = {tr.name for tr in t.triggers if tr.name.endswith("_guard")}
            weak = replace(t, triggers=tuple(tr for tr in t.triggers if tr.name not in guard),
                           meta=replace(t.meta, protected=()))
            return _swap_table(schema, t, weak), t, f"guard of {read[0].column} dropped"
    return None


def repointable(schema: Schema):
    """What keeps a grant row's identity column from being re-pointed on UPDATE goes: the
    UPDATE-only guard gen adds, or the restrictive owner policy that pins it instead."""
    from types import SimpleNamespace

    from generator.model.grants import grant_lookups
    from generator.resolve.protection import _guard_function, _pins
    admin = schema.auth.admin_function if schema.auth else None
    for g in grant_lookups(schema):
        t = schema.tables_by_key[g.table]
        identity = [p for p in t.meta.protected if not p.on_insert]
        pinning = [p for p in t.policies if not p.permissive and p.command in ("ALL", "UPDATE")
                   and any(_pins(p, c) for c, _ in g.identity)]
        if identity:
            rest = [p for p in t.meta.protected if p.on_insert]
            guard = next(tr for tr in t.triggers if tr.name.endswith("_guard"))
            functions = tuple(f for f in schema.functions if f.name != guard.name)
            triggers = tuple(tr for tr in t.triggers if tr is not guard)
            if rest:
                functions += (_guard_function(SimpleNamespace(flavor=schema.settings.flavor), t, rest, admin),)
                triggers += (replace(guard, columns=tuple(p.column for p in rest)),)
            weak = replace(t, triggers=triggers, meta=replace(t.meta, protected=tuple(rest)))
            return replace(_swap_table(schema, t, weak), functions=functions), weak, \
                f"update guard of {identity[0].column} dropped"
        if pinning:
            weak = replace(t, policies=tuple(p for p in t.policies if p not in pinning))
            return _swap_table(schema, t, weak), weak, f"policy {pinning[0].name} pinning {g.identity[0][0]} dropped"
    return None


def plain_key(schema: Schema):
    for t in schema.tables:
        if any(not p.permissive and p.command in ("ALL", "INSERT") for p in t.policies):
            continue        # who may add rows is restricted (e.g. admins only): no attacker writes the key
        for fk in t.foreign_keys:
            if (fk.scope == ("tenant",) and not any(o.columns == fk.own_columns for o in t.foreign_keys)
                    and t.meta.owner_column not in fk.own_columns):   # an owner policy pins that one anyway
                plain = replace(fk, columns=fk.own_columns, ref_columns=fk.ref_columns[1:], delete_columns=(),
                                scope=())
                weak = replace(t, foreign_keys=tuple(plain if x is fk else x for x in t.foreign_keys))
                return _swap_table(schema, t, weak), t, f"{fk.name} without the tenant column"
    return None


def definer_view(schema: Schema):
    for v in schema.views:
        if v.security_invoker:
            weak = replace(schema, views=tuple(replace(x, security_invoker=False) if x is v else x
                                               for x in schema.views))
            return weak, None, f"view {v.name} without security_invoker"
    return None


def client_truncate(schema: Schema):
    if schema.settings.flavor != "supabase":
        return None
    for t in schema.tables:
        if any(g.role == "authenticated" for g in t.grants):
            grants = tuple(replace(g, privileges=tuple(sorted(set(g.privileges) | {"TRUNCATE"})))
                           if g.role == "authenticated" and not g.columns else g for g in t.grants)
            return _swap_table(schema, t, replace(t, grants=grants)), t, "authenticated may TRUNCATE"
    return None


MUTANTS: dict[str, Mutant] = {"check-true": check_true, "using-true": using_true, "no-force": no_force,
                              "writable-admin": writable_admin, "repointable": repointable, "plain-key": plain_key,
                              "definer-view": definer_view, "client-truncate": client_truncate}
# What the attacker cannot see: FORCE only binds the table owner, and verify attacks as the
# application roles, never as the owner; lint's RL012 is what catches it.
LINT_ONLY = {"no-force"}


def applicable() -> list[tuple[str, str]]:
    """(example, mutant) pairs where the example has something that mutant weakens; a kind
    that fits no example at all is a gap in this test, not a pass."""
    pairs = [(e, k) for e in EXAMPLES for k, make in sorted(MUTANTS.items())
             if make(load_schema(ROOT / "spec" / f"{e}.yaml")) is not None]
    assert {k for _, k in pairs} == set(MUTANTS), "a mutant kind applies to no example"
    return pairs


@pytest.mark.parametrize("example,kind", applicable())
def test_every_mutant_of_every_example_is_caught(example, kind, pg_url):
    original = load_schema(ROOT / "spec" / f"{example}.yaml")
    schema, table, what = MUTANTS[kind](original)
    name = table.name if table else what.split()[1]
    errors = [d for d in lint(schema) if d.severity == "error" and name in f"{d.name} {d.message}"]
    if kind in LINT_ONLY:
        assert errors, f"{example}: lint passes the mutant ({what})"
        return
    only = {table.key} if table else {t.key for t in schema.tables}
    report = verify(schema, example, pg_url, only=only)
    failed = [r for r in report.results if r.status == "fail" and r.check != "synced" and name in r.object]
    assert failed, f"{example}: verify passes the mutant ({what})"
    assert all(r.what for r in failed)          # each failure names what was attempted (the command)
