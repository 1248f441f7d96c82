"""Prove `realtime:` tables through logical decoding, the way Supabase Realtime reads them: a
temporary pgoutput slot on the supabase_realtime publication sees a new row's INSERT, its
UPDATE and its DELETE (with the old key or, under REPLICA IDENTITY FULL, the old row), and
sees nothing of a table outside the publication. PostgreSQL sends every change to every
consumer (logical decoding ignores RLS); Supabase Realtime then looks the row up by primary
key as each subscriber, so RLS must hide the row from subscribers who may not read it."""
from __future__ import annotations

import os
import secrets

import psycopg

from generator.db.connect import connect
from generator.model import REALTIME_PUBLICATION, Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, Identity, enter, identity
from generator.verify.pgoutput import Change, decode
from generator.verify.report import Result, failed, passed, skipped, warned
from generator.verify.rows import SEQ_REALTIME, BuildError, Row, RowBuilder, restart

MAX_SUBSCRIBERS = 60
_CHANGES = ("SELECT data FROM pg_logical_slot_get_binary_changes(%s, NULL, NULL, 'proto_version', '1', "
            "'publication_names', %s)")


def realtime_tables(schema: Schema, only: set | None = None) -> list[Table]:
    """Tables in Supabase Realtime's publication (of `only`, when given: table keys)."""
    return [t for t in schema.tables if REALTIME_PUBLICATION in t.publications and (only is None or t.key in only)]


def check_realtime(conn: psycopg.Connection, url: str, schema: Schema, only: set | None = None) -> list[Result]:
    tables = realtime_tables(schema, only)
    if not tables:
        return []
    level = conn.execute("SHOW wal_level").fetchone()[0]
    if level != "logical":
        why = (f"the server runs with wal_level={level}: logical decoding needs wal_level=logical "
               "(gen verify without --database-url starts one so)")
        return [skipped("realtime", t.name, "changes seen through supabase_realtime", why) for t in tables]
    control = next((t for t in schema.tables if not t.publications and not t.meta.join_table), None)
    restart(SEQ_REALTIME)
    out: list[Result] = []
    for i, t in enumerate(tables):
        out += _table(conn, url, schema, t, control if i == 0 else None)
    return out


def _slot_name() -> str:
    return f"gen_verify_rt_{os.getpid()}_{secrets.token_hex(3)}"


def _table(conn: psycopg.Connection, url: str, schema: Schema, t: Table, control: Table | None) -> list[Result]:
    # Decoding reads WAL up to what is flushed; a throw-away server commits without waiting
    # for the flush (synchronous_commit=off), so this session's commits wait for it.
    conn.execute("SET synchronous_commit = on")
    try:
        return _observe(conn, url, schema, t, control)
    finally:
        conn.execute("RESET synchronous_commit")


def _observe(conn: psycopg.Connection, url: str, schema: Schema, t: Table, control: Table | None) -> list[Result]:
    b = RowBuilder(conn, schema)
    with connect(url, autocommit=True) as decoder:
        slot = _slot_name()
        decoder.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput', true)", (slot,))
        try:
            row = b.insert(t)
            other = b.insert(control) if control is not None else None
        except BuildError as exc:
            return [skipped("realtime", t.name, "INSERT seen through supabase_realtime", f"no row could be made: {exc}")]
        out = [_subscribers(conn, schema, t, row)]
        _touch(conn, t, row)
        changes = decode([r[0] for r in decoder.execute(_CHANGES, (slot, REALTIME_PUBLICATION)).fetchall()])
    out = _changes(t, row, changes) + out
    if other is not None:
        seen = [c for c in changes if (c.relation.schema, c.relation.name) == control.key]
        out.append(passed("realtime", control.name, "not in supabase_realtime: its INSERT is not sent") if not seen
                   else failed("realtime", control.name, "not in supabase_realtime: its INSERT is not sent",
                               f"{len(seen)} change(s) of {control.name} went out"))
    return out


def _key(t: Table, row: Row) -> dict[str, str | None]:
    return {c: row.values.get(c) for c in t.primary_key.columns}


def _touch(conn: psycopg.Connection, t: Table, row: Row) -> None:
    """UPDATE the row (to its own values) and DELETE it, both committed."""
    col = next(c.name for c in t.columns if c.name not in t.primary_key.columns and not c.generated)
    conn.execute(f"UPDATE {t.qname} SET {quote_ident(col)} = {quote_ident(col)} WHERE {row.where()}")
    conn.execute(f"DELETE FROM {t.qname} WHERE {row.where()}")


def _mine(changes: list[Change], t: Table, key: dict, kind: str) -> Change | None:
    for c in changes:
        if (c.relation.schema, c.relation.name) == t.key and c.kind == kind:
            values = c.new if kind != "delete" else c.old
            if all(values.get(k) == v for k, v in key.items()):
                return c
    return None


def _changes(t: Table, row: Row, changes: list[Change]) -> list[Result]:
    key = _key(t, row)
    ins, upd, dele = (_mine(changes, t, key, k) for k in ("insert", "update", "delete"))
    what = "INSERT seen through supabase_realtime (pgoutput)"
    out = [passed("realtime", t.name, what, f"{len(ins.new)} columns") if ins else
           failed("realtime", t.name, what, "no INSERT of the new row came out of the publication")]
    out.append(passed("realtime", t.name, "UPDATE seen through supabase_realtime") if upd else
               failed("realtime", t.name, "UPDATE seen through supabase_realtime", "no UPDATE came out"))
    full = t.replica_identity == "FULL"
    want = "O" if full else "K"
    ident = (t.replica_identity or "default").lower()
    what = f"DELETE carries the old {'row' if full else 'key'} (replica identity {ident})"
    if dele is None:
        out.append(failed("realtime", t.name, what, "no DELETE came out"))
    sent = sorted(k for k, v in (dele.old if dele else {}).items() if v is not None)
    if dele is None:
        out.append(failed("realtime", t.name, what, "no DELETE came out"))
    elif dele.old_kind != want or any(dele.old.get(k) != v for k, v in key.items()):
        out.append(failed("realtime", t.name, what, f"old values sent as {dele.old_kind or 'nothing'}: {sent}"))
    else:
        out.append(passed("realtime", t.name, what, "sent: " + ", ".join(sent)))
    return out


def _candidates(conn: psycopg.Connection, schema: Schema, ident: Identity, t: Table, row: Row) -> list[Actor]:
    users: list[str | None] = [None]
    if ident.user_jwt or ident.user_setting:
        owner = row.values.get(t.meta.owner_column) if t.meta.owner_column else None
        found = conn.execute("SELECT id::text FROM auth.users ORDER BY created_at DESC LIMIT %s",
                             (MAX_SUBSCRIBERS,)).fetchall() if schema.settings.flavor == "supabase" else []
        users = list(dict.fromkeys([owner] * bool(owner) + [u for u, in found])) or [None]
    tenants: list[str | None] = [None]
    root = schema.table(schema.tenancy.root) if schema.tenancy else None
    if root is not None and ident.tenant_setting and root.primary_key:
        mine = row.values.get(t.meta.tenant_column) if t.meta.tenant_column else None
        found = conn.execute(f"SELECT {quote_ident(root.primary_key.columns[0])}::text FROM {root.qname} "
                             "LIMIT 20").fetchall()
        tenants = list(dict.fromkeys([mine] * bool(mine) + [x for x, in found]))
    return [Actor(ident.app_role, tenant, user) for tenant in tenants for user in users][:MAX_SUBSCRIBERS]


def _subscribers(conn: psycopg.Connection, schema: Schema, t: Table, row: Row) -> Result:
    """Supabase Realtime's check, per subscriber: the changed row looked up by primary key as
    that subscriber (role and JWT claims). Someone may read it, and not everyone."""
    what = "subscribers only get rows their RLS lets them read"
    if not t.rls_enabled:
        return failed("realtime", t.name, what, "RLS is off: Supabase Realtime sends every change to every subscriber")
    ident = identity(schema)
    where = " AND ".join(f"{quote_ident(c)}::text = {quote_literal(v)}" for c, v in _key(t, row).items())
    sees, blind = [], []
    for actor in _candidates(conn, schema, ident, t, row):
        with conn.transaction(force_rollback=True):
            enter(conn, ident, actor)
            n = conn.execute(f"SELECT count(*) FROM {t.qname} WHERE {where}").fetchone()[0]
        (sees if n else blind).append(actor)
    if sees and blind:
        return passed("realtime", t.name, what, f"{len(sees)} of {len(sees) + len(blind)} subscribers may read "
                      "the new row; PostgreSQL itself sends it to every consumer of the publication")
    if not sees:
        return warned("realtime", t.name, what, f"none of {len(blind)} subscribers may read the new row")
    return warned("realtime", t.name, what, f"all {len(sees)} subscribers may read the new row: its SELECT "
                  "policies do not restrict realtime delivery")
