"""PostgreSQL SQL for each change: one function per change type, each returning statements
that carry a short comment naming the object, the phase that orders them and the step
(pre / main / post) a migration runs them in. Changes inside existing objects are rendered
by render_alter."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.diff import changes as ch
from generator.model import Column, ForeignKey, Function, Index, Policy, Table, Trigger
from generator.model.naming import qualified, quote_ident, quote_literal

# Phases, in the order a plan applies them (drops run in reverse, before any add).
PHASES = ("extensions", "schemas", "roles", "renames", "enums", "early_functions", "tables", "columns", "constraints",
          "foreign_keys", "indexes", "comments", "functions", "triggers", "views", "rls", "policies", "grants")
# Steps of a migration: "pre" and "post" statements run outside its transaction, before
# (enum values) and after it (concurrent index builds, validation of NOT VALID constraints).
STEPS = ("pre", "main", "post")
PHASE = {name: i for i, name in enumerate(PHASES)}


@dataclass(frozen=True)
class Statement:
    sql: str
    comment: str
    phase: str
    change: object = field(default=None, compare=False, repr=False)
    transactional: bool = True
    step: str = "main"


def _cols(names) -> str:
    return ", ".join(quote_ident(n) for n in names)


def column_sql(c: Column) -> str:
    parts = [quote_ident(c.name), c.type.sql]
    if c.collation:
        parts.append(f"COLLATE {quote_ident(c.collation)}")
    if c.generated:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) STORED")
    if c.identity:
        parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY")
    if not c.nullable and not c.identity:
        parts.append("NOT NULL")
    if c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    return " ".join(parts)


def fk_sql(fk: ForeignKey) -> str:
    sql = (f"CONSTRAINT {quote_ident(fk.name)} FOREIGN KEY ({_cols(fk.columns)}) "
           f"REFERENCES {qualified(fk.ref_schema, fk.ref_table)} ({_cols(fk.ref_columns)})")
    if fk.match == "FULL":
        sql += " MATCH FULL"
    if fk.on_delete != "NO ACTION":
        sql += f" ON DELETE {fk.on_delete}"
        if fk.delete_columns:
            sql += f" ({_cols(fk.delete_columns)})"
    if fk.on_update != "NO ACTION":
        sql += f" ON UPDATE {fk.on_update}"
    if fk.deferrable:
        sql += " DEFERRABLE" + (" INITIALLY DEFERRED" if fk.initially_deferred else "")
    return sql


def create_table_sql(t: Table, inline_fks: tuple[ForeignKey, ...] = ()) -> str:
    lines = [column_sql(c) for c in t.columns]
    if t.primary_key:
        lines.append(f"CONSTRAINT {quote_ident(t.primary_key.name)} PRIMARY KEY ({_cols(t.primary_key.columns)})")
    for u in t.uniques:
        nnd = " NULLS NOT DISTINCT" if u.nulls_not_distinct else ""
        lines.append(f"CONSTRAINT {quote_ident(u.name)} UNIQUE{nnd} ({_cols(u.columns)})")
    for c in t.checks:
        lines.append(f"CONSTRAINT {quote_ident(c.name)} CHECK ({c.expression})")
    lines += [fk_sql(fk) for fk in inline_fks]
    body = ",\n".join("  " + line for line in lines)
    return f"CREATE TABLE {t.qname} (\n{body}\n);"


def index_sql(t: Table, i: Index, concurrently: bool = False) -> str:
    elems = []
    for e in i.elements:
        part = quote_ident(e.column) if e.column else f"({e.expression})"
        if e.collation:
            part += f" COLLATE {quote_ident(e.collation)}"
        if e.opclass:
            part += f" {e.opclass}"
        if e.descending:
            part += " DESC"
        if e.nulls:
            part += f" NULLS {e.nulls.upper()}"
        elems.append(part)
    sql = "CREATE UNIQUE INDEX" if i.unique else "CREATE INDEX"
    if concurrently:
        sql += " CONCURRENTLY IF NOT EXISTS"
    sql += f" {quote_ident(i.name)} ON {t.qname}"
    if i.method != "btree":
        sql += f" USING {i.method}"
    sql += f" ({', '.join(elems)})"
    if i.include:
        sql += f" INCLUDE ({_cols(i.include)})"
    if i.nulls_not_distinct:
        sql += " NULLS NOT DISTINCT"
    if i.params:
        sql += " WITH (" + ", ".join(f"{k} = {v}" for k, v in i.params) + ")"
    if i.where:
        sql += f" WHERE {i.where}"
    return sql + ";"


def dollar_quote(body: str, base: str = "fn") -> str:
    tag, n = f"${base}$", 0
    while tag in body:
        n += 1
        tag = f"${base}{n}$"
    return f"{tag}{body}{tag}"


def function_sql(f: Function) -> str:
    parts = [f"CREATE OR REPLACE FUNCTION {f.qname}({f.args})", f"RETURNS {f.returns}", f"LANGUAGE {f.language}"]
    if f.volatility != "VOLATILE":
        parts.append(f.volatility)
    if f.security_definer:
        parts.append("SECURITY DEFINER")
    if f.search_path is not None:
        parts.append(f"SET search_path = {f.search_path}")
    return "\n".join(parts) + f"\nAS {dollar_quote(f.body)};"


def signature(f: Function) -> str:
    """`schema.name(types)` for GRANT, REVOKE and COMMENT: the argument list without defaults."""
    from generator.db.types import split_top_level
    args = [re.split(r"\s+DEFAULT\s+|\s*=\s*", a.strip(), maxsplit=1, flags=re.IGNORECASE)[0]
            for a in split_top_level(f.args)] if f.args.strip() else []
    return f"{f.qname}({', '.join(args)})"


def function_access(f: Function, old: tuple[str, ...] | None, change) -> list[Statement]:
    """Who may EXECUTE `f`: nothing to do when the spec leaves PostgreSQL's default (PUBLIC);
    otherwise revoke from PUBLIC, the default grantees and the old holders, then grant."""
    target = f"FUNCTION {signature(f)}"
    if f.execute == old:
        return []
    if f.execute is None:        # back to PostgreSQL's default
        return _s(f"GRANT EXECUTE ON {target} TO PUBLIC;", f"anyone may execute {f.name}", "functions", change)
    revoke = [r for r in dict.fromkeys(("public", *f.revoke_from, *(old or ()))) if r not in f.execute]
    out = _s(f"REVOKE ALL ON {target} FROM {', '.join(_grantee(r) for r in revoke)};",
             f"only declared roles may execute {f.name}", "functions", change) if revoke else []
    if f.execute:
        out += _s(f"GRANT EXECUTE ON {target} TO {', '.join(_grantee(r) for r in f.execute)};",
                  f"execute {f.name}: {', '.join(f.execute)}", "functions", change)
    return out


def trigger_events(tr: Trigger) -> str:
    return " OR ".join(f"UPDATE OF {_cols(tr.columns)}" if e == "UPDATE" and tr.columns else e for e in tr.events)


def trigger_sql(t: Table, tr: Trigger) -> str:
    when = f"\nWHEN ({tr.when})" if tr.when else ""
    return (f"CREATE TRIGGER {quote_ident(tr.name)}\n{tr.timing} {trigger_events(tr)} ON {t.qname}\n"
            f"FOR EACH {tr.level}{when}\nEXECUTE FUNCTION {tr.function}();")


def policy_sql(t: Table, p: Policy) -> str:
    sql = f"CREATE POLICY {quote_ident(p.name)} ON {t.qname}"
    if not p.permissive:
        sql += "\n  AS RESTRICTIVE"
    sql += f"\n  FOR {p.command}\n  TO {policy_roles(p)}"
    if p.using is not None:
        sql += f"\n  USING ({p.using})"
    if p.check is not None:
        sql += f"\n  WITH CHECK ({p.check})"
    return sql + ";"


def policy_roles(p: Policy) -> str:
    return ", ".join(r if r == "public" else quote_ident(r) for r in p.roles)


def _role_block(name: str, login: bool) -> str:
    opts = "LOGIN" if login else "NOLOGIN"
    return (f"DO $role$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {quote_literal(name)}) THEN\n"
            f"    CREATE ROLE {quote_ident(name)} {opts};\n  END IF;\nEND\n$role$;")


def render_change(c: ch.Change, inline_fks: tuple[ForeignKey, ...] = ()) -> list[Statement]:
    from generator.postgres.render_alter import RENDERERS as ALTER  # it builds on the helpers here

    fn = RENDERERS.get(type(c)) or ALTER.get(type(c))
    if fn is None:
        raise NotImplementedError(f"no SQL renderer for {type(c).__name__}")
    return fn(c, inline_fks) if isinstance(c, ch.AddTable) else fn(c)


def _s(sql: str, comment: str, phase: str, change, transactional: bool = True, step: str = "main"
       ) -> list[Statement]:
    return [Statement(sql, comment, phase, change, transactional, step)]


def _grantee(role: str) -> str:
    return "PUBLIC" if role == "public" else quote_ident(role)


def _target_name(obj) -> str:
    return obj.qname


RENDERERS = {
    ch.AddExtension: lambda c: _s(
        f"CREATE EXTENSION IF NOT EXISTS {quote_ident(c.extension.name)}"
        + (f" WITH SCHEMA {quote_ident(c.extension.schema)}" if c.extension.schema else "") + ";",
        f"extension {c.extension.name}", "extensions", c),
    ch.DropExtension: lambda c: _s(f"DROP EXTENSION IF EXISTS {quote_ident(c.extension.name)};",
                                   f"drop extension {c.extension.name}", "extensions", c),
    ch.AddSchema: lambda c: _s(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(c.name)};", f"schema {c.name}", "schemas", c),
    ch.DropSchema: lambda c: _s(f"DROP SCHEMA {quote_ident(c.name)};", f"drop schema {c.name}", "schemas", c),
    ch.AddRole: lambda c: _s(_role_block(c.role.name, c.role.login), f"role {c.role.name} (created if missing)",
                             "roles", c),
    ch.DropRole: lambda c: _s(f"-- role {quote_ident(c.role.name)} is cluster-wide and is not dropped",
                              f"role {c.role.name} no longer used", "roles", c),
    ch.AddEnum: lambda c: _s(
        f"CREATE TYPE {c.enum.qname} AS ENUM ({', '.join(quote_literal(v) for v in c.enum.values)});",
        f"enum {c.enum.name}", "enums", c) + (
        _s(f"COMMENT ON TYPE {c.enum.qname} IS {quote_literal(c.enum.comment)};", f"comment on enum {c.enum.name}",
           "comments", c) if c.enum.comment else []),
    ch.DropEnum: lambda c: _s(f"DROP TYPE {c.enum.qname};", f"drop enum {c.enum.name}", "enums", c),
    ch.AddTable: lambda c, inline: _s(create_table_sql(c.table, inline), f"table {c.table.name}", "tables", c),
    ch.DropTable: lambda c: _s(f"DROP TABLE {c.table.qname};", f"drop table {c.table.name}", "tables", c),
    ch.AddForeignKey: lambda c: _add_fk(c),
    ch.DropForeignKey: lambda c: _s(f"ALTER TABLE {c.table.qname} DROP CONSTRAINT {quote_ident(c.fk.name)};",
                                    f"drop foreign key {c.fk.name}", "foreign_keys", c),
    ch.AddIndex: lambda c: _add_index(c),
    ch.DropIndex: lambda c: _s(
        f"DROP INDEX {'CONCURRENTLY IF EXISTS ' if c.concurrently else ''}{qualified(c.table.schema, c.index.name)};",
        f"drop index {c.index.name}", "indexes", c, not c.concurrently, "post" if c.concurrently else "main"),
    ch.SetComment: lambda c: _s(
        f"COMMENT ON {c.kind} {c.target} IS {quote_literal(c.comment) if c.comment is not None else 'NULL'};",
        f"comment on {c.kind.lower()} {c.target}", "comments", c),
    ch.AddFunction: lambda c: _s(function_sql(c.function), f"function {c.function.name}", "functions", c) + (
        _s(f"COMMENT ON FUNCTION {signature(c.function)} IS {quote_literal(c.function.comment)};",
           f"comment on function {c.function.name}", "functions", c) if c.function.comment else [])
        + function_access(c.function, None, c),
    ch.DropFunction: lambda c: _s(f"DROP FUNCTION {signature(c.function)};",
                                  f"drop function {c.function.name}", "functions", c),
    ch.AddTrigger: lambda c: _s(trigger_sql(c.table, c.trigger), f"trigger {c.trigger.name} on {c.table.name}",
                                "triggers", c),
    ch.DropTrigger: lambda c: _s(f"DROP TRIGGER {quote_ident(c.trigger.name)} ON {c.table.qname};",
                                 f"drop trigger {c.trigger.name}", "triggers", c),
    ch.AddView: lambda c: _s(
        f"CREATE VIEW {c.view.qname}" + (" WITH (security_invoker = true)" if c.view.security_invoker else "")
        + f" AS\n{c.view.query};", f"view {c.view.name}", "views", c) + (
        _s(f"COMMENT ON VIEW {c.view.qname} IS {quote_literal(c.view.comment)};", f"comment on view {c.view.name}",
           "views", c) if c.view.comment else []),
    ch.DropView: lambda c: _s(f"DROP VIEW {c.view.qname};", f"drop view {c.view.name}", "views", c),
    ch.SetRls: lambda c: _rls(c),
    ch.AddPolicy: lambda c: _s(policy_sql(c.table, c.policy), f"policy {c.policy.name} on {c.table.name}",
                               "policies", c),
    ch.DropPolicy: lambda c: _s(f"DROP POLICY {quote_ident(c.policy.name)} ON {c.table.qname};",
                                f"drop policy {c.policy.name}", "policies", c),
    ch.AddGrant: lambda c: _grant(c),
    ch.RevokeGrant: lambda c: _s(
        f"REVOKE {grant_privileges(c.grant)} ON {_target_name(c.table)} FROM {_grantee(c.grant.role)};",
        f"revoke on {c.table.name} from {c.grant.role}", "grants", c),
}


def grant_privileges(g) -> str:
    """`SELECT, UPDATE` or, for column privileges, `UPDATE (a, b)`."""
    cols = f" ({_cols(g.columns)})" if g.columns else ""
    return ", ".join(p + cols for p in g.privileges)


def _grant(c: ch.AddGrant) -> list[Statement]:
    """GRANT; on a new table (or view) the first grant revokes from every grantee whatever
    default privileges gave (Supabase grants ALL to anon, authenticated and service_role), so
    exactly the spec's privileges remain."""
    target, who = _target_name(c.table), _grantee(c.grant.role)
    out = []
    if c.exact:
        roles = ", ".join(_grantee(r) for r in dict.fromkeys(g.role for g in c.table.grants))
        out = _s(f"REVOKE ALL ON {target} FROM {roles};", f"{c.table.name}: only the declared privileges",
                 "grants", c)
    return out + _s(f"GRANT {grant_privileges(c.grant)} ON {target} TO {who};",
                    f"grant on {c.table.name} to {c.grant.role}", "grants", c)


def _rls(c: ch.SetRls) -> list[Statement]:
    out = []
    q = c.table.qname
    if c.enabled != c.old_enabled:
        verb = "ENABLE" if c.enabled else "DISABLE"
        out += _s(f"ALTER TABLE {q} {verb} ROW LEVEL SECURITY;", f"row level security on {c.table.name}", "rls", c)
    if c.forced != c.old_forced:
        verb = "FORCE" if c.forced else "NO FORCE"
        out += _s(f"ALTER TABLE {q} {verb} ROW LEVEL SECURITY;", f"{verb.lower()} row level security on "
                  f"{c.table.name}", "rls", c)
    return out


def _add_fk(c: ch.AddForeignKey) -> list[Statement]:
    """On a table with rows: add NOT VALID (new rows checked at once) and validate later. A key
    the spec declares NOT VALID stays so (existing rows are never checked)."""
    if not c.existing and c.fk.validated:
        return _s(f"ALTER TABLE {c.table.qname}\n  ADD {fk_sql(c.fk)};", f"foreign key {c.fk.name}", "foreign_keys", c)
    step = "post" if c.late else "main"
    out = _s(f"ALTER TABLE {c.table.qname}\n  ADD {fk_sql(c.fk)} NOT VALID;",
             f"foreign key {c.fk.name} (checked for new rows now)", "foreign_keys", c, True, step)
    if not c.fk.validated:
        return out
    return out + _s(f"ALTER TABLE {c.table.qname} VALIDATE CONSTRAINT {quote_ident(c.fk.name)};",
                    f"validate {c.fk.name} against existing rows", "foreign_keys", c, True, "post")


def _add_index(c: ch.AddIndex) -> list[Statement]:
    """Concurrently (a table with rows): outside the transaction, after it."""
    step = "post" if c.concurrently else "main"
    out = _s(index_sql(c.table, c.index, c.concurrently), f"index {c.index.name}", "indexes", c, not c.concurrently,
             step)
    if c.concurrently and c.index.comment is not None:
        out += _s(f"COMMENT ON INDEX {qualified(c.table.schema, c.index.name)} IS {quote_literal(c.index.comment)};",
                  f"comment on index {c.index.name}", "indexes", c, True, step)
    return out
