"""Self-granted access (model.grants): a boolean helper a policy calls, such as `is_staff()`, is
true when a row of a membership table names the current user. A signed-in user of tenant A who
is no member tries to make it true for themselves, as the application role: by inserting a row
naming themselves, and by re-pointing another member's row at themselves. Judged by effect: the
helper, called as that user after the statement, must still be false."""
from __future__ import annotations

import re
import uuid
from dataclasses import replace

import psycopg

from generator.model import Table
from generator.model.grants import GrantLookup, grant_lookups
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, setting_of
from generator.verify.probe import Probe, Verdict, q
from generator.verify.report import Result
from generator.verify.rows import BuildError, RowBuilder
from generator.verify.stage import Stage, values_text
from generator.verify.steer import reload, steer

_JWT_USER = re.compile(r"\bauth\s*\.\s*uid\s*\(|request\.jwt\.claim", re.IGNORECASE)


def attacks(st: Stage) -> list[Result]:
    out: list[Result] = []
    for g in grant_lookups(st.schema):
        t = st.schema.tables_by_key.get(g.table)
        if t is None or not st.wanted(t):
            continue
        out += lookup_attacks(st, t, g)
    return out


def lookup_attacks(st: Stage, t: Table, g: GrantLookup) -> list[Result]:
    actor = replace(st.actor_for(st.ident.app_role), user=str(uuid.uuid4()))
    values = _identity_values(st, t, g, actor)
    name = t.name if t.schema == "public" else f"{t.schema}.{t.name}"

    def result(what: str, verdict: Verdict) -> Result:
        return Result("self-grant", name, what, *verdict)
    links = _link_values(t, g)
    if values is None or links is None:
        return [result(f"a user makes {g.shown} true for itself", (
            "skip", "its identity columns compare with something other than the current user/tenant settings"
            if values is None else "a parameter's column has a type verify picks no fresh value for"))]
    call = g.call(tuple(links[c] for c in g.params))
    before = st.prober.run(actor, f"SELECT {call}").outcome
    if not before.ok or before.rows[0][0] is True:
        return [result(f"a user makes {g.shown} true for itself",
                       ("skip", f"{g.shown} is already true for a user of no {t.name} row" if before.ok
                        else f"{g.shown} cannot be called: {before.describe()}"))]
    who = f"a user of tenant A with no {t.name} row" if actor.tenant else f"a user with no {t.name} row"
    return [result(f"{who} inserts one naming itself", _insert(st, t, g, actor, values, links, call)),
            result(f"{who} re-points another's row at itself", _repoint(st, t, g, actor, values, links, call))]


def _link_values(t: Table, g: GrantLookup) -> dict[str, str] | None:
    """A fresh value per parameter column: the parent the row will point at (built as the owner,
    someone else's) and the argument the helper is called with."""
    out = {}
    for col in g.params:
        typ = t.column(col).type
        if typ.base == "uuid":
            out[col] = f"{quote_literal(str(uuid.uuid4()))}::uuid"
        elif typ.base in ("integer", "bigint", "smallint"):
            out[col] = f"{900_000_000 + uuid.uuid4().int % 90_000_000}::{typ.sql}"
        else:
            return None
    return out


def _identity_values(st: Stage, t: Table, g: GrantLookup, actor: Actor) -> dict[str, str] | None:
    """Identity column -> the attacker's value as SQL, from the setting its expression reads."""
    out = {}
    for col, expr in g.identity:
        setting = setting_of(expr)
        if setting and setting == st.ident.tenant_setting and actor.tenant:
            value = actor.tenant
        elif (setting and setting == st.ident.user_setting) or (st.ident.user_jwt and _JWT_USER.search(expr)):
            value = actor.user
        else:
            return None
        out[col] = f"{quote_literal(value)}::{t.column(col).type.sql}"
    return out


def _tenant(t: Table, actor: Actor) -> str | None:
    col = t.column(t.meta.tenant_column) if t.meta.tenant_column else None
    return f"{quote_literal(actor.tenant)}::{col.type.sql}" if col is not None and actor.tenant else None


def _insert(st: Stage, t: Table, g: GrantLookup, actor: Actor, values: dict[str, str], links: dict[str, str],
            call: str) -> Verdict:
    def make(conn: psycopg.Connection) -> str:
        built = RowBuilder(conn, st.schema).insert(t, {**links, **values}, tenant=_tenant(t, actor))
        conn.execute(f"DELETE FROM {q(t)} WHERE {built.where()}")       # the attacker inserts it again
        return values_text(t, built.insertable())
    return _judge(st, call, actor, make, "inserted")


def _repoint(st: Stage, t: Table, g: GrantLookup, actor: Actor, values: dict[str, str], links: dict[str, str],
             call: str) -> Verdict:
    mine = {c: v for c, v in values.items() if c != t.meta.tenant_column}
    if not mine:
        return "skip", "the row names a tenant only"

    def make(conn: psycopg.Connection) -> str:
        b = RowBuilder(conn, st.schema)
        tenant = _tenant(t, actor)
        other = b.insert(t, dict(links), tenant=tenant)         # another member's row in tenant A
        adm = st.world.admin
        if adm.table is not None and adm.table.key == t.key and adm.function is not None \
                and adm.function.key == g.function.key and adm.where:
            steer(b, other, adm.where, True)                     # an admin's row: the one worth taking
            other = reload(conn, other)
        b.ensure_parents(t, {**other.insertable(), **mine}, tenant)
        sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in mine.items())
        return f"UPDATE {q(t)} SET {sets} WHERE {other.where()}"
    return _judge(st, call, actor, make, "re-pointed")


def _judge(st: Stage, call: str, actor: Actor, make, done: str) -> Verdict:
    try:
        probe: Probe = st.prober.run(actor, make, then=f"SELECT {call}")
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"
    o, then = probe.outcome, probe.then
    if then is not None and then.ok and then.rows and then.rows[0][0] is True:
        return "fail", (f"{done} ({o.rowcount} row(s)): {call} is now true for the attacker; only someone who "
                        f"already holds the access should write such rows (a restrictive INSERT/UPDATE policy)")
    if o.ok:
        return "pass", f"{o.rowcount} row(s) {done}, {call} still false"
    return "pass", f"refused: {o.describe()}"
