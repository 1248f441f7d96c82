"""`gen review --verify`: prove HEAD's changed access cells on a scratch database with gen
verify's machinery (its roles, identities, fixture world and prober): each class acts on a row
of the relation it names (the row of tenant A owned by user U1) and the outcome must match the
cell: allowed reaches the row, denied does not. Conditional cells are proven where the row is a
public_read fixture (the matching row shows, the other does not); the service role and views are
not probed."""
from __future__ import annotations

from typing import Callable

from generator.db.apply import apply_statements
from generator.db.connect import connect, describe
from generator.db.server import scratch_database
from generator.model import Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.review.access import ALLOWED, CONDITIONAL, object_name
from generator.review.access_diff import AccessDiff, CellChange
from generator.review.principals import Scoping
from generator.verify import _require_extensions, _require_superuser, _server, shim_for, statements
from generator.verify.actors import Actor, Identity, identity, prepare_roles
from generator.verify.attempt import attempt
from generator.verify.probe import Prober, q, row_text
from generator.verify.rls import _needed
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.scopes import infer
from generator.verify.stage import values_text
from generator.verify.sync import spec_schemas
from generator.verify.world import World, WorldBuilder, public_conditions

PROVEN, DISPROVEN = "proven", "disproven"
Say = Callable[[str], None]


def prove(schema: Schema, access: AccessDiff, url: str | None, say: Say, server: str | None = None
          ) -> tuple[dict, str]:
    """(object, class, command) -> proven / disproven (…) / not probed (…), and a summary line."""
    wanted = [c for c in access.changes if c.after is not None]
    if not wanted:
        return {}, "no changed cell to prove"
    with _server(url, schema, server) as base:
        _require_superuser(base)
        _require_extensions(base, schema, embedded=not url)
        with scratch_database(base, prefix="gen_review_") as db:
            say("applying HEAD")
            apply_statements(db, statements(schema), shim_for(schema))
            with connect(db, autocommit=True) as conn:
                got = _prove(conn, db, schema, wanted, say)
    counts = {k: sum(1 for v in got.values() if v.startswith(k)) for k in (PROVEN, DISPROVEN, "not probed")}
    where = describe(url) if url else "a scratch PostgreSQL"
    return got, (f"{counts[PROVEN]} proven, {counts[DISPROVEN]} disproven, {counts['not probed']} not probed "
                 f"on {where}")


def _prove(conn, db: str, schema: Schema, wanted: list[CellChange], say: Say) -> dict:
    ident, inferred, scoping = identity(schema), infer(schema), Scoping(schema)
    tables = {object_name(t): t for t in schema.tables}
    targets = {tables[c.object].key for c in wanted if c.object in tables}
    with conn.transaction():
        problems = prepare_roles(conn, {ident.app_role, ident.public_role}, spec_schemas(schema))
    if problems:
        return {_key(c): f"not probed ({problems[0]})" for c in wanted}
    say("building fixture rows")
    world = WorldBuilder(conn, schema, ident, inferred).build(_needed(schema, list(
        t for t in schema.tables if t.key in targets), targets))
    prober = Prober(conn, db, schema, ident)
    out = {}
    try:
        for c in wanted:
            t = tables.get(c.object)
            out[_key(c)] = "not probed (a view: proven through its tables)" if t is None else \
                _cell(prober, world, ident, inferred, t, c, scoping.columns(t))
    finally:
        prober.close()
    return out


def _key(c: CellChange) -> tuple[str, str, str]:
    return (c.object, c.principal, c.command)


# ---------------------------------------------------------------- one cell

def _cell(p: Prober, world: World, ident: Identity, inferred, t: Table, c: CellChange, scopes: dict) -> str:
    actor = _actor(c.principal, world, ident, t)
    if isinstance(actor, str):
        return f"not probed ({actor})"
    if c.after.level == CONDITIONAL:
        return _conditional(p, world, actor, t, c)
    row = _row(world, t)
    if row is None and (inferred.get(t.key) or t.meta.tenant_column or t.meta.owner_column):
        why = world.problems.get((t.key, "tenant")) or world.problems.get((t.key, "owner")) or "no fixture row"
        return f"not probed ({why})"
    expect = c.after.level == ALLOWED
    try:
        reached, detail = _reach(p, actor, t, row, c, inferred, _scoped_values(world, t, scopes))
    except BuildError as exc:
        return f"not probed (cannot prepare a row: {exc})"
    if reached is None:
        return f"not probed ({detail})"
    if reached == expect:
        return PROVEN
    return f"{DISPROVEN} ({'reached the row' if reached else 'did not reach the row'}: {detail})"


def _actor(principal: str, world: World, ident: Identity, t: Table) -> Actor | str:
    users = bool(ident.user_jwt or ident.user_setting)
    tenant = ident.tenant_setting is not None and bool(world.tenants)
    u1, u2 = (world.users.get("U1"), world.users.get("U2")) if users else (None, None)
    a, b = (world.tenants.get("A"), world.tenants.get("B")) if tenant else (None, None)
    app = ident.app_role
    if principal == "anon":
        anon = ident.public_role
        return Actor(anon, blank="claims")
    if principal == "authenticated":
        return Actor(app, user=u2)
    if principal == "owner":
        return Actor(app, tenant=a, user=u1) if users else "the current user is not read from a setting or a JWT"
    if principal in ("same tenant", "other tenant"):
        if not tenant:
            return "the tenant is not read from a setting"
        return Actor(app, tenant=a if principal == "same tenant" else b, user=u2)
    if principal == "admin":
        admin = world.admin.admin
        return Actor(app, user=admin) if admin else (world.admin.reason or "no admin could be made")
    return "the service role bypasses row-level security or owns the tables: nothing to prove as a client"


def _row(world: World, t: Table) -> Row | None:
    """The row the classes are relative to: user U1's (in tenant A), else tenant A's."""
    for label in ("U1", "A", "public0"):
        if (t.key, label) in world.rows:
            return world.rows[(t.key, label)]
    return None


def _reach(p: Prober, actor: Actor, t: Table, row: Row | None, c: CellChange, inferred, scoped: dict):
    """(True reached / False did not / None undecided, detail). Without a fixture row (a table
    nobody owns), a row is built as the owner inside the probe's rolled-back transaction."""
    made: list[Row] = [row] if row is not None else []

    def target(conn) -> Row:
        if not made:
            made.append(RowBuilder(conn, p.schema).insert(t, scoped))
        return made[0]

    def look(conn):
        return row_text(target(conn))(conn)

    if c.command == "SELECT":
        o = p.run(actor, lambda conn: f"SELECT count(*) FROM {q(t)} WHERE {target(conn).where()}").outcome
        return (o.rows[0][0] > 0, f"{o.rows[0][0]} row(s) visible") if o.ok else (None, o.describe())
    if c.command in ("UPDATE", "DELETE"):
        col = quote_ident(_settable(t, c))

        def sql(conn) -> str:
            where = target(conn).where()
            return f"UPDATE {q(t)} SET {col} = {col} WHERE {where}" if c.command == "UPDATE" else \
                f"DELETE FROM {q(t)} WHERE {where}"
        probe = p.run(actor, sql, look)
        o = probe.outcome
        if o.ok:
            return o.rowcount > 0 or probe.before != probe.after, f"{o.rowcount} row(s) affected"
        if o.refused:
            return False, o.message
        if o.sqlstate == "23503":                  # RLS let it through; a foreign key refused
            return True, o.message
        return None, o.describe()
    o = p.run(actor, _insert(p.schema, t, row, inferred)).outcome
    if o.ok:
        return True, "row accepted"
    if o.refused:
        return False, o.message
    return None, o.describe()


def _scoped_values(world: World, t: Table, scopes: dict) -> dict[str, str]:
    """For a row built on the spot: the columns its policies pin to the tenant or the user, set to
    tenant A and user U1 (the relation every class is described against)."""
    out = {}
    for col, kind in scopes.items():
        value = world.tenants.get("A") if kind == "tenant" else world.users.get("U1")
        if value is not None and t.column(col) is not None:
            out[col] = f"{quote_literal(value)}::{t.column(col).type.sql}"
    return out


def _settable(t: Table, c: CellChange) -> str:
    """A column the class may name in SET: a column of its grant, else the key's first column."""
    if c.after.columns:
        return c.after.columns[0]
    protected = {pr.column for pr in t.meta.protected}
    keys = t.primary_key.columns if t.primary_key else ()
    return next((k for k in keys if k not in protected), None) or next(
        col.name for col in t.columns if col.name not in protected and not col.generated)


def _insert(schema: Schema, t: Table, row: Row | None, inferred):
    """A fresh row in the fixture row's relation (its tenant, owner and scoping parents), built as
    the owner inside the probe; the fixture row is deleted first so one-per-owner keys leave room."""
    values: dict[str, str] = {}
    tenant = None
    if row is not None:
        if t.meta.owner_column and row.values.get(t.meta.owner_column) is not None:
            values[t.meta.owner_column] = row.literal(t.meta.owner_column)
        for kind in inferred.get(t.key, {}).values():
            for fk in kind.via:
                values.update({col: row.literal(col) for col in fk.columns})
        if t.meta.tenant_column and row.values.get(t.meta.tenant_column) is not None:
            tenant = row.literal(t.meta.tenant_column)

    def make(conn) -> str:
        if row is not None:
            attempt(conn, f"DELETE FROM {q(t)} WHERE {row.where()}")
        fresh = RowBuilder(conn, schema).insert(t, values, tenant=tenant, keep=False)
        return values_text(t, fresh.insertable())
    return make


def _conditional(p: Prober, world: World, actor: Actor, t: Table, c: CellChange) -> str:
    """`rows matching <public_read condition>` for SELECT: the matching fixture row shows and the
    other does not."""
    shown, hidden = world.rows.get((t.key, "public0")), world.rows.get((t.key, "private0"))
    if c.command != "SELECT" or shown is None or hidden is None or not public_conditions(t):
        return "not probed (holds for the rows a condition picks)"
    counts = []
    for r in (shown, hidden):
        o = p.run(actor, f"SELECT count(*) FROM {q(t)} WHERE {r.where()}").outcome
        if not o.ok:
            return f"not probed ({o.describe()})"
        counts.append(o.rows[0][0])
    if counts[0] > 0 and counts[1] == 0:
        return PROVEN
    return f"{DISPROVEN} (matching row visible: {counts[0] > 0}, other row visible: {counts[1] > 0})"

