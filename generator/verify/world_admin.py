"""Making an admin and a non-admin for the admin probes: a row of the admin table is steered
(any predicate: `role = 'admin'`, `is_system_admin = true`, `role IN (…)`, `coalesce(flags->>'admin',
'') = 'yes'`) until the predicate holds, another until it does not, and the generated admin
function is called as each user to prove it (the function, not our reading of it, decides)."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import psycopg

from generator.model import Function, Policy, Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, Identity, enter, policies_of
from generator.verify.rows import BuildError, RowBuilder
from generator.verify.steer import steer

_ADMIN_BODY = re.compile(r"FROM\s+(?P<table>\S+)\s+WHERE\s+(?P<col>\S+)\s*=\s*(?P<user>.+?)\s+AND\s+"
                         r"\((?P<where>.*)\)\s*\)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_IDENT = re.compile(r'"((?:[^"]|"")+)"|([^."]+)')


@dataclass
class Admin:
    table: Table | None = None
    user_column: str = ""
    where: str = ""
    function: Function | None = None
    admin: str | None = None       # user id of the admin we made
    plain: str | None = None       # user id of a non-admin with a row in the admin table
    reason: str = ""               # why no admin could be made

    def call(self) -> str:
        f = self.function
        return f"{quote_ident(f.schema)}.{quote_ident(f.name)}()" if f else "false"


def _split_qualified(text: str) -> tuple[str, str]:
    parts = [(q.replace('""', '"') if q else b) for q, b in _IDENT.findall(text)]
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[-1])


def admin_function(schema: Schema, policy: Policy) -> Function | None:
    names = re.findall(r'(\w+|"[^"]+")\s*\(\s*\)', policy.using or "")
    wanted = {n.strip('"') for n in names}
    return next((f for f in schema.functions if f.name in wanted), None)


def parse_admin(schema: Schema) -> Admin | None:
    """The admin lookup behind admin_full_access (or the spec's declared admin predicate, which
    guards, soft delete and the audit trail name), or None when there is none."""
    policies = [p for t in schema.tables for p in policies_of(t, "admin_full_access")]
    auth = schema.auth
    if policies:
        fn = admin_function(schema, policies[0])
    elif auth and auth.admin_function:
        sch, _, name = auth.admin_function.partition(".")
        fn = next((f for f in schema.functions if (f.schema, f.name) == (sch, name)), None)
    else:
        return None
    if auth and fn and auth.admin_table and auth.admin_function == f"{fn.schema}.{fn.name}":
        table = schema.table(auth.admin_table[1], auth.admin_table[0])
        if table is not None:
            return Admin(table, auth.admin_user_column or "", auth.admin_where or "", fn)
    match = _ADMIN_BODY.search(fn.body) if fn else None     # imported or hand-written: the generated shape
    if not match:
        return Admin(function=fn, reason="the admin function is not the generated EXISTS lookup")
    sch, name = _split_qualified(match.group("table"))
    table = schema.table(name, sch)
    if table is None:
        return Admin(function=fn, reason=f"admin table {sch}.{name} is not in the spec")
    return Admin(table, _split_qualified(match.group("col"))[1], match.group("where").strip(), fn)


def make_admins(conn: psycopg.Connection, b: RowBuilder, ident: Identity, role: str, adm: Admin) -> None:
    """Build the admin and the non-admin (committed with the world), or say why not."""
    t = adm.table
    user_type = t.column(adm.user_column).type.sql
    admin, plain = str(uuid.uuid4()), str(uuid.uuid4())
    row = b.insert(t, {adm.user_column: f"{quote_literal(admin)}::{user_type}"})
    if not steer(b, row, adm.where, True):
        raise BuildError(f"no values of {t.name}'s columns make `{adm.where}` true")
    row = b.insert(t, {adm.user_column: f"{quote_literal(plain)}::{user_type}"})
    if not steer(b, row, adm.where, False):
        raise BuildError(f"no values of {t.name}'s columns make `{adm.where}` false")
    for user, want in ((admin, True), (plain, False)):
        got = is_admin(conn, ident, Actor(role, user=user), adm)
        if got is not want:
            raise BuildError(f"{adm.call()} returns {got} for the user made to be {'an admin' if want else 'no admin'}")
    adm.admin, adm.plain = admin, plain


def is_admin(conn: psycopg.Connection, ident: Identity, actor: Actor, adm: Admin) -> bool | str:
    """What the admin function says for `actor` (its error text when it cannot be called)."""
    try:
        with conn.transaction() as tx:
            enter(conn, ident, actor)
            got = conn.execute(f"SELECT {adm.call()}").fetchone()[0]
            raise psycopg.Rollback(tx)
    except psycopg.Error as exc:
        return f"cannot call {adm.call()} as {actor.role}: {str(exc).splitlines()[0]}"
    return got
