"""Soft delete, optimistic locking and the audit trail, proven as the application role on the
actor's own fixture row (each probe rolled back):

- soft delete: DELETE keeps the row, marked; a row deleted earlier is invisible to the actor and
  visible to the declared restore role (the admin), who can restore it and the actor cannot; the
  mark cannot be set any other way; a row with the same unique key can be inserted once the first
  is deleted (and not while it lives);
- versions: an UPDATE carrying a stale version is rejected (40001), a current one increments it;
- audit: an audited write leaves exactly one audit row, with the actor; the application role can
  neither change, delete nor add audit rows, nor read another tenant's."""
from __future__ import annotations

from generator.model import Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor
from generator.verify.attempt import UNIQUE_VIOLATION
from generator.verify.probe import Probe, Verdict, q, refusal
from generator.verify.report import Result
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.stage import Scope, Stage, rls_result, values_text

STALE = "40001"

UNSCOPED = "lifecycle"     # the label of the row prepare() builds for _unscoped()


def attacks(st: Stage, t: Table) -> list[Result]:
    out: list[Result] = []
    for wanted, command, prove in ((t.meta.soft_delete, "DELETE", soft_delete), (t.meta.version_column, "UPDATE", versions),
                                   (t.meta.audited is not None, "UPDATE", audited_write)):
        if not wanted:
            continue
        s = _scope(st, t, command) or (_unscoped(st, t) if not st.scopes.get(t.key) else None)
        if s is None:
            continue          # the application may not run that command on this table at all
        out += prove(st, s, st.world.rows[(t.key, s.own)])
    return out


def prepare(st: Stage, tables: list[Table]) -> None:
    """The rows _unscoped() proves on, built as the owner and committed with the world, before
    any attack (so no attack commits anything, and each table's attacks are the same whichever
    ran before them)."""
    for t in tables:
        if st.scopes.get(t.key) or not (t.meta.soft_delete or t.meta.version_column or t.meta.audited is not None):
            continue
        try:
            with st.prober.conn.transaction():
                st.world.rows[(t.key, UNSCOPED)] = RowBuilder(st.prober.conn, st.schema).insert(t)
        except BuildError as exc:
            st.world.problems[(t.key, UNSCOPED)] = str(exc)


def _unscoped(st: Stage, t: Table) -> Scope | None:
    """A table no tenant or owner scopes (its policies let the application reach every row):
    the application role on a row of its own, built by prepare()."""
    label = UNSCOPED
    if (t.key, label) not in st.world.rows:
        return None
    actor = st.actor_for(st.ident.role_for(t.policies))
    return Scope("table", "row", t, label, label, actor, {}, {}, {"SELECT", "INSERT", "UPDATE", "DELETE"},
                 {"own": {}, "other": {}}, {"own": None, "other": None})


def _scope(st: Stage, t: Table, command: str) -> Scope | None:
    """A principal of `t` whose policies let it run `command` on its own row (an owner within
    its tenant first, as an application runs)."""
    scopes = [s for s in st.scopes.get(t.key, []) if (t.key, s.own) in st.world.rows and command in s.commands]
    return next((s for s in scopes if s.kind == "owner"), None) or next(iter(scopes), None)


def _check(t: Table, what: str, verdict: Verdict, check: str) -> Result:
    return rls_result(t, what, verdict, check)


# ---------------------------------------------------------------- soft delete

def _marked(own: Row, col: str, past: bool = True):
    """Prepare as the owner: the row soft-deleted by an earlier transaction."""
    def prepare(conn) -> None:
        conn.execute(f"UPDATE {q(own.table)} SET {quote_ident(col)} = now() - interval '1 minute' "
                     f"WHERE {own.where()}")
    return prepare


def _state(own: Row, col: str):
    def look(conn):
        got = conn.execute(f"SELECT {quote_ident(col)} IS NOT NULL FROM {q(own.table)} WHERE {own.where()}").fetchone()
        return "gone" if got is None else ("marked" if got[0] else "live")
    return look


def soft_delete(st: Stage, s: Scope, own: Row) -> list[Result]:
    t, sd, p = own.table, own.table.meta.soft_delete, st.prober
    col = sd.column
    out = []
    probe = p.run(s.actor, f"DELETE FROM {q(t)} WHERE {own.where()}", _state(own, col))
    verdict = ("pass", "") if probe.after == "marked" else ("fail", f"the row is {probe.after} after DELETE")
    out.append(_check(t, "DELETE keeps the row, marked deleted", verdict, "soft_delete"))

    def hidden_then(sql: str):
        def make(conn) -> str:
            _marked(own, col)(conn)
            return sql
        return make
    count = f"SELECT count(*) FROM {q(t)} WHERE {own.where()}"
    probe = p.run(s.actor, hidden_then(count))
    o = probe.outcome
    verdict = ("pass", "") if o.ok and o.rows[0][0] == 0 else \
        ("fail", f"{o.rows[0][0]} deleted row(s) visible" if o.ok else f"query failed: {o.describe()}")
    out.append(_check(t, "a deleted row is invisible to the application", verdict, "soft_delete"))
    probe = p.run(s.actor, hidden_then(f"UPDATE {q(t)} SET {quote_ident(col)} = NULL WHERE {own.where()}"),
                  _state(own, col))
    verdict = ("pass", "") if probe.after == "marked" else ("fail", "the user restored a deleted row")
    out.append(_check(t, "the application cannot restore it", verdict, "soft_delete"))
    probe = p.run(s.actor, f"UPDATE {q(t)} SET {quote_ident(col)} = '2000-01-01' WHERE {own.where()}",
                  _state(own, col))
    o = probe.outcome
    verdict = refusal(o) or (("fail", "the mark was set by an UPDATE") if probe.after == "marked"
                             else ("pass", "no row changed"))
    out.append(_check(t, f"{col} cannot be set but by DELETE", verdict, "soft_delete"))
    out += _restore(st, s, own)
    out += _unique_again(st, s, own)
    return out


def _restore(st: Stage, s: Scope, own: Row) -> list[Result]:
    t, sd = own.table, own.table.meta.soft_delete
    if "admin" not in sd.restore or not (st.schema.auth and st.schema.auth.admin_function):
        return []             # no admin predicate: only the owner restores (and the owner is trusted)
    adm = st.world.admin
    if adm.admin is None:
        return [_check(t, "the restore role sees and restores it", ("skip", adm.reason or "no admin"), "soft_delete")]
    actor = Actor(s.actor.role, tenant=s.actor.tenant, user=adm.admin)

    def make(conn) -> str:
        _marked(own, sd.column)(conn)
        by = f", {quote_ident(sd.by)} = NULL" if sd.by else ""
        return f"UPDATE {q(t)} SET {quote_ident(sd.column)} = NULL{by} WHERE {own.where()}"
    probe = st.prober.run(actor, make, _state(own, sd.column))
    verdict = ("pass", "") if probe.after == "live" else \
        ("fail", f"the admin could not restore it: {probe.outcome.describe()}")
    return [_check(t, "the restore role (admin) sees and restores it", verdict, "soft_delete")]


def _unique_again(st: Stage, s: Scope, own: Row) -> list[Result]:
    """A key that counts live rows only: a second row with the deleted row's key is accepted,
    while the first lives it is refused."""
    t, sd = own.table, own.table.meta.soft_delete
    where = f"{quote_ident(sd.column)} IS NULL"
    keys = [i for i in t.indexes if i.unique and i.where == where and all(e.column for e in i.elements)]
    out = []
    for index in keys:
        for deleted, what in ((True, f"a row with a deleted row's {', '.join(index.columns)} is accepted"),
                              (False, f"two live rows with one {', '.join(index.columns)} are refused")):
            def make(conn, deleted=deleted, index=index) -> str:
                if deleted:
                    _marked(own, sd.column)(conn)
                key = set(t.primary_key.columns) if t.primary_key else set()
                scope = {c: v for c, v in s.values["own"].items() if c not in key}   # a new row, not the same one
                row = RowBuilder(conn, st.schema).insert(t, scope, tenant=s.tenant["own"], keep=False)
                values = {**row.insertable(), **{c: own.literal(c) for c in index.columns}}
                return values_text(t, values)
            probe = st.prober.run(s.actor, make)
            o = probe.outcome
            if deleted:
                verdict = ("pass", "") if o.ok else ("fail", f"refused: {o.describe()}")
            else:
                verdict = ("pass", "") if o.sqlstate == UNIQUE_VIOLATION else \
                    ("fail", "accepted") if o.ok else ("warn", f"refused for another reason: {o.describe()}")
            out.append(_check(t, what, verdict, "soft_delete"))
    return out


# ---------------------------------------------------------------- versions

def versions(st: Stage, s: Scope, own: Row) -> list[Result]:
    t, col = own.table, own.table.meta.version_column
    v = quote_ident(col)

    def value(conn):
        got = conn.execute(f"SELECT {v} FROM {q(t)} WHERE {own.where()}").fetchone()
        return got[0] if got else None
    stale = st.prober.run(s.actor, f"UPDATE {q(t)} SET {v} = {v} - 1 WHERE {own.where()}", value)
    o = stale.outcome
    verdict = ("pass", "") if o.sqlstate == STALE else \
        ("fail", "the stale update was accepted") if o.ok and o.rowcount else \
        ("fail", f"not rejected as stale: {o.describe()}")
    out = [_check(t, f"an UPDATE carrying a stale {col} is rejected (40001)", verdict, "version")]
    def carrying_current(conn) -> str:       # read just before: earlier probes may have moved it on
        return f"UPDATE {q(t)} SET {v} = {quote_literal(str(value(conn)))}::integer WHERE {own.where()}"
    fresh = st.prober.run(s.actor, carrying_current, value)
    o = fresh.outcome
    verdict = ("pass", "") if o.ok and o.rowcount == 1 and fresh.after == fresh.before + 1 else \
        ("fail", f"{o.describe()}; {col} {fresh.before} -> {fresh.after}")
    out.append(_check(t, f"an UPDATE carrying the current {col} increments it", verdict, "version"))
    return out


# ---------------------------------------------------------------- audit

def audit_table(st: Stage) -> Table | None:
    return next((t for t in st.schema.tables if t.meta.audit_table), None)


def _change(t: Table) -> str | None:
    """A SET that really changes a column the actor may write (so the UPDATE is audited)."""
    skip = {c for fk in t.foreign_keys for c in fk.columns} | {p.column for p in t.meta.protected}
    skip |= set(t.primary_key.columns if t.primary_key else ())
    skip |= {t.meta.tenant_column, t.meta.owner_column, t.meta.version_column, t.meta.touch_column}
    sd = t.meta.soft_delete
    skip |= {sd.column, sd.by, sd.flag} if sd else set()
    for c in t.columns:
        if c.name in skip or c.generated or c.identity or c.type.enum or c.type.is_array:
            continue
        if c.type.base == "text":
            return f"{quote_ident(c.name)} = coalesce({quote_ident(c.name)}, '') || 'x'"
        if c.type.base == "boolean":
            return f"{quote_ident(c.name)} = NOT coalesce({quote_ident(c.name)}, false)"
        if c.type.base == "jsonb":
            return f"{quote_ident(c.name)} = coalesce({quote_ident(c.name)}, '{{}}') || '{{\"gen_verify\": 1}}'"
    if t.meta.touch_column:          # its trigger changes it on any UPDATE
        return f"{quote_ident(t.meta.touch_column)} = {quote_ident(t.meta.touch_column)}"
    return None


def audited_write(st: Stage, s: Scope, own: Row) -> list[Result]:
    t, log = own.table, audit_table(st)
    change = _change(t)
    if log is None or change is None:
        return [_check(t, "an audited UPDATE leaves one audit row",
                       ("skip", "no column the actor can change to audit"), "audit")] if log else []
    actor_col = "actor"

    def rows(conn):
        return conn.execute(f"SELECT {quote_ident(actor_col)}::text FROM {q(log)} WHERE table_name = "
                            f"{quote_literal(t.name)} AND transaction_id = txid_current()").fetchall()
    actor = s.actor
    probe = st.prober.run(actor, f"UPDATE {q(t)} SET {change} WHERE {own.where()}", rows)
    if probe.outcome.ok and probe.outcome.rowcount == 0 and st.world.admin.admin:
        # a restrictive policy keeps ordinary users from updating it: write as the admin
        actor = Actor(actor.role, tenant=actor.tenant, user=st.world.admin.admin)
        probe = st.prober.run(actor, f"UPDATE {q(t)} SET {change} WHERE {own.where()}", rows)
    got = probe.after or []
    user = actor.user
    if not probe.outcome.ok:
        verdict = ("fail", f"the update failed: {probe.outcome.describe()}")
    elif len(got) != 1:
        verdict = ("fail", f"{len(got)} audit row(s)")
    elif user is not None and got[0][0] != user:
        verdict = ("fail", f"actor {got[0][0]}, expected {user}")
    else:
        verdict = ("pass", f"actor {got[0][0]}" if got[0][0] else "")
    return [_check(t, "an audited UPDATE leaves exactly one audit row, with the actor", verdict, "audit")]


def audit_tampering(st: Stage) -> list[Result]:
    """On the audit table: the application role cannot change, delete or add rows, nor read
    another tenant's."""
    log = audit_table(st)
    if log is None or (st.only is not None and log.key not in st.only and not any(
            st.schema.tables_by_key[k].meta.audited is not None for k in st.only if k in st.schema.tables_by_key)):
        return []
    actor = st.actor_for(st.main_role)
    ten = st.schema.tenancy
    tenant_b = st.world.tenants.get("B")

    def seed(sql: str):
        def make(conn) -> str:
            cols = "table_name, operation, row_key" + (f", {quote_ident(ten.column)}" if ten else "")
            vals = "'x', 'INSERT', '{}'" + (f", {quote_literal(tenant_b)}" if ten and tenant_b else (", NULL" if ten else ""))
            conn.execute(f"INSERT INTO {q(log)} ({cols}) VALUES ({vals}), ({vals})")
            return sql
        return make

    def total(conn):
        return conn.execute(f"SELECT count(*), md5(string_agg(t::text, '' ORDER BY id)) FROM {q(log)} t").fetchone()
    out = []
    for what, sql in (("cannot change audit rows", f"UPDATE {q(log)} SET actor = NULL"),
                      ("cannot delete audit rows", f"DELETE FROM {q(log)}"),
                      ("cannot add audit rows", f"INSERT INTO {q(log)} (table_name, operation, row_key) "
                                                 "VALUES ('forged', 'DELETE', '{}')"),
                      ("cannot truncate the audit table", f"TRUNCATE {q(log)}")):
        probe = st.prober.run(actor, seed(sql), total)
        o = probe.outcome
        verdict = refusal(o) or (("pass", "no row reached") if probe.before == probe.after else
                                 ("fail", f"{o.rowcount} row(s) affected"))
        out.append(_check(log, what, verdict, "audit"))
    if ten and tenant_b:
        probe = st.prober.run(actor, seed(f"SELECT count(*) FROM {q(log)} WHERE {quote_ident(ten.column)} = "
                                          f"{quote_literal(tenant_b)}"))
        o = probe.outcome
        verdict = ("pass", "") if o.ok and o.rows[0][0] == 0 else (refusal(o) or (
            "fail", f"{o.rows[0][0]} row(s) of another tenant visible" if o.ok else o.describe()))
        out.append(_check(log, "cannot read another tenant's audit rows", verdict, "audit"))
    return out


def attacks_schema(st: Stage) -> list[Result]:
    return audit_tampering(st)


__all__ = ["attacks", "attacks_schema", "Probe"]
