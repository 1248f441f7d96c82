"""PostgreSQL SQL for each change: one function per change type, each returning statements
that carry a short comment naming the object, the phase that orders them and the step
(pre / main / post) a migration runs them in. Changes inside existing objects are rendered
by render_alter."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from generator.diff import changes as ch
from generator.model import Column, Exclusion, ForeignKey, Function, Index, Policy, PrimaryKey, Table, Trigger, Unique
from generator.model.naming import qualified, quote_ident, quote_literal

# Phases, in the order a plan applies them (drops run in reverse, before any add).
PHASES = ("session", "extensions", "schemas", "roles", "collations", "renames", "enums", "types", "sequences",
          "early_functions", "tables", "columns", "constraints", "distribution", "foreign_keys", "indexes", "comments", "functions", "aggregates",
          "triggers", "views", "rls", "policies", "grants", "raw", "publications")
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


def collation_name(name: str) -> str:
    """`app.nocase` -> app.nocase (schema-qualified), `en_US` -> "en_US"."""
    from generator.db.types import split_qualified
    schema, bare = split_qualified(name) if "." in name and not name.startswith('"') else (None, name)
    return qualified(schema, bare, default_schema="") if schema else quote_ident(bare)


_IDENTITY_SQL = {"start": "START WITH {}", "increment": "INCREMENT BY {}", "min": "MINVALUE {}",
                 "max": "MAXVALUE {}", "cache": "CACHE {}"}


def identity_clause(options) -> str:
    """` (START WITH 100 INCREMENT BY 5)` for an identity's sequence options ("" for none)."""
    parts = ["CYCLE" if k == "cycle" else _IDENTITY_SQL[k].format(v) for k, v in options if k != "cycle" or v]
    return f" ({' '.join(parts)})" if parts else ""


def column_sql(c: Column) -> str:
    parts = [quote_ident(c.name), c.type.sql]
    if c.collation:
        parts.append(f"COLLATE {collation_name(c.collation)}")
    if c.generated:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) STORED")
    if c.identity:
        parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY{identity_clause(c.identity_options)}")
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


def _deferral(k) -> str:
    if not k.deferrable:
        return ""
    return " DEFERRABLE" + (" INITIALLY DEFERRED" if k.initially_deferred else "")


def key_sql(k: PrimaryKey | Unique) -> str:
    """`PRIMARY KEY (a)` / `UNIQUE NULLS NOT DISTINCT (a) INCLUDE (b) DEFERRABLE` (without the name)."""
    if isinstance(k, PrimaryKey):
        return f"PRIMARY KEY ({_cols(k.columns)}){_deferral(k)}"
    nnd = " NULLS NOT DISTINCT" if k.nulls_not_distinct else ""
    include = f" INCLUDE ({_cols(k.include)})" if k.include else ""
    return f"UNIQUE{nnd} ({_cols(k.columns)}){include}{_deferral(k)}"


def exclusion_sql(x: Exclusion) -> str:
    elems = []
    for e in x.elements:
        part = quote_ident(e.column) if e.column else f"({e.expression})"
        if e.opclass:
            part += f" {e.opclass}"
        if e.descending:
            part += " DESC"
        if e.nulls:
            part += f" NULLS {e.nulls.upper()}"
        elems.append(f"{part} WITH {e.operator}")
    sql = f"EXCLUDE USING {x.using} ({', '.join(elems)})"
    if x.include:
        sql += f" INCLUDE ({_cols(x.include)})"
    if x.where:
        sql += f" WHERE ({x.where})"
    return sql + _deferral(x)


def repeats_key(t: Table, u: Unique) -> bool:
    """A unique constraint over exactly the primary key's columns: CREATE TABLE would fold it."""
    return t.primary_key is not None and u.columns == t.primary_key.columns and not u.include


def create_table_sql(t: Table, inline_fks: tuple[ForeignKey, ...] = ()) -> str:
    lines = [column_sql(c) for c in t.columns]
    if t.primary_key:
        lines.append(f"CONSTRAINT {quote_ident(t.primary_key.name)} {key_sql(t.primary_key)}")
    for u in t.uniques:
        if not repeats_key(t, u):
            lines.append(f"CONSTRAINT {quote_ident(u.name)} {key_sql(u)}")
    for c in t.checks:
        lines.append(f"CONSTRAINT {quote_ident(c.name)} CHECK ({c.expression})" + (" NO INHERIT" if c.no_inherit else ""))
    lines += [f"CONSTRAINT {quote_ident(x.name)} {exclusion_sql(x)}" for x in t.exclusions]
    lines += [fk_sql(fk) for fk in inline_fks]
    body = ",\n".join("  " + line for line in lines)
    head = f"CREATE {'UNLOGGED ' if t.unlogged else ''}TABLE {t.qname}"
    if t.partition_of:
        sql = f"{head} PARTITION OF {t.partition_of}" + (f" (\n{body}\n)" if lines else "") + f"\n{t.partition_bound}"
    else:
        sql = f"{head} (\n{body}\n)"
        if t.inherits:
            sql += f"\nINHERITS ({', '.join(t.inherits)})"
    if t.partition_by:
        sql += f"\nPARTITION BY {t.partition_by}"
    if t.options:
        sql += "\nWITH (" + ", ".join(f"{k} = {v}" for k, v in t.options) + ")"
    return sql + ";"


def index_sql(t: Table, i: Index, concurrently: bool = False) -> str:
    elems = []
    for e in i.elements:
        part = quote_ident(e.column) if e.column else f"({e.expression})"
        if e.collation:
            part += f" COLLATE {collation_name(e.collation)}"
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
    if f.kind == "procedure":
        parts = [f"CREATE OR REPLACE PROCEDURE {f.qname}({f.args})", f"LANGUAGE {f.language}"]
    else:
        parts = [f"CREATE OR REPLACE FUNCTION {f.qname}({f.args})", f"RETURNS {f.returns}", f"LANGUAGE {f.language}"]
    if f.kind == "window":
        parts.append("WINDOW")
    if f.volatility != "VOLATILE" and f.kind != "procedure":
        parts.append(f.volatility)
    for flag, word in ((f.strict, "STRICT"), (f.leakproof, "LEAKPROOF"), (f.security_definer, "SECURITY DEFINER")):
        if flag:
            parts.append(word)
    if f.parallel != "UNSAFE" and f.kind != "procedure":
        parts.append(f"PARALLEL {f.parallel}")
    if f.cost is not None:
        parts.append(f"COST {_number(f.cost)}")
    if f.rows is not None:
        parts.append(f"ROWS {_number(f.rows)}")
    if f.search_path is not None:        # PostgreSQL prints an empty path as ""; SET needs ''
        parts.append(f"SET search_path = {chr(39) * 2 if f.search_path.strip() == chr(34) * 2 else f.search_path}")
    parts += [f"SET {k} = {quote_literal(v)}" for k, v in f.config]
    body = f.body.strip() if f.atomic else f"AS {dollar_quote(f.body)}"
    return "\n".join(parts) + f"\n{body};"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


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
    kind = "CONSTRAINT TRIGGER" if tr.constraint else "TRIGGER"
    extra = f"\n{_deferral(tr).strip()}" if tr.constraint and tr.deferrable else ""
    refs = [f"{w} TABLE AS {quote_ident(n)}" for w, n in (("OLD", tr.old_table), ("NEW", tr.new_table)) if n]
    extra += f"\nREFERENCING {' '.join(refs)}" if refs else ""
    args = ", ".join(quote_literal(a) for a in tr.args)
    return (f"CREATE {kind} {quote_ident(tr.name)}\n{tr.timing} {trigger_events(tr)} ON {t.qname}{extra}\n"
            f"FOR EACH {tr.level}{when}\nEXECUTE FUNCTION {tr.function}({args});")


TRIGGER_FIRING = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}


def trigger_statements(t, tr: Trigger, change) -> list[Statement]:
    out = _s(trigger_sql(t, tr), f"trigger {tr.name} on {t.name}", "triggers", change)
    if tr.enabled in TRIGGER_FIRING:
        what = "VIEW" if getattr(t, "query", None) is not None else "TABLE"
        out += _s(f"ALTER {what} {t.qname} {TRIGGER_FIRING[tr.enabled]} {quote_ident(tr.name)};",
                  f"firing of trigger {tr.name}", "triggers", change)
    return out


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
    from generator.postgres.render_objects import RENDERERS as OBJECTS

    from generator.postgres.render_publish import RENDERERS as PUBLISH
    from generator.postgres.render_citus import RENDERERS as CITUS

    fn = RENDERERS.get(type(c)) or ALTER.get(type(c)) or OBJECTS.get(type(c)) or PUBLISH.get(type(c)) \
        or CITUS.get(type(c))
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
        + (f" WITH SCHEMA {quote_ident(c.extension.schema)}" if c.extension.schema else "")
        + (f" VERSION {quote_literal(c.extension.version)}" if c.extension.version else "") + ";",
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
    ch.AddTable: lambda c, inline: _add_table(c, inline),
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
    ch.DropFunction: lambda c: _s(f"DROP {'PROCEDURE' if c.function.kind == 'procedure' else 'FUNCTION'} "
                                  f"{signature(c.function)};",
                                  f"drop function {c.function.name}", "functions", c),
    ch.AddTrigger: lambda c: trigger_statements(c.table, c.trigger, c),
    ch.DropTrigger: lambda c: _s(f"DROP TRIGGER {quote_ident(c.trigger.name)} ON {c.table.qname};",
                                 f"drop trigger {c.trigger.name}", "triggers", c),
    ch.AddView: lambda c: _add_view(c),
    ch.DropView: lambda c: _s(f"DROP {'MATERIALIZED ' if c.view.materialized else ''}VIEW {c.view.qname};",
                              f"drop view {c.view.name}", "views", c),
    ch.SetRls: lambda c: _rls(c),
    ch.AddPolicy: lambda c: _s(policy_sql(c.table, c.policy), f"policy {c.policy.name} on {c.table.name}",
                               "policies", c),
    ch.DropPolicy: lambda c: _s(f"DROP POLICY {quote_ident(c.policy.name)} ON {c.table.qname};",
                                f"drop policy {c.policy.name}", "policies", c),
    ch.AddGrant: lambda c: _grant(c),
    ch.SetTempTables: lambda c: _s(
        "DO $db$\nBEGIN\n  EXECUTE format('" + ("GRANT" if c.allowed else "REVOKE") + " TEMPORARY ON DATABASE %I "
        + ("TO" if c.allowed else "FROM") + " PUBLIC', current_database());\nEND\n$db$;",
        "temporary tables " + ("allowed" if c.allowed else "refused: they would shadow tables on pooled connections"),
        "roles", c),
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
    out += _s(f"GRANT {grant_privileges(c.grant)} ON {target} TO {who};",
              f"grant on {c.table.name} to {c.grant.role}", "grants", c)
    if c.exact and isinstance(c.table, Table):
        out += _sequences(c)
    return out


def _sequences(c: ch.AddGrant) -> list[Statement]:
    """The sequences behind a new table's identity and serial columns: default privileges
    (Supabase grants ALL on new sequences to anon and authenticated) would let those roles read
    `last_value` (how many rows everyone inserted) and burn values with nextval(). Revoked from
    the grantees; a serial column's sequence gets USAGE back for the roles that INSERT (an
    identity column needs none)."""
    t = c.table
    cols = [col for col in t.columns if col.identity or (col.default or "").startswith("nextval(")]
    if not cols:
        return []
    roles = ", ".join(_grantee(r) for r in dict.fromkeys(g.role for g in t.grants))
    inserting = ", ".join(_grantee(r) for r in dict.fromkeys(
        g.role for g in t.grants if "INSERT" in g.privileges and not g.columns))
    table = quote_literal(f"{quote_ident(t.schema)}.{quote_ident(t.name)}")
    out = []
    for col in cols:
        seq = f"pg_catalog.pg_get_serial_sequence({table}, {quote_literal(col.name)})"
        lines = ["DO $seq$", f"DECLARE s text := {seq};", "BEGIN", "  IF s IS NOT NULL THEN",
                 f"    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM {roles}', s);"]
        if not col.identity and inserting:
            lines.append(f"    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {inserting}', s);")
        lines += ["  END IF;", "END", "$seq$;"]
        out += _s("\n".join(lines), f"sequence of {t.name}.{col.name}: only what the grantees need", "grants", c)
    return out


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
    if not c.existing and c.fk.validated:        # a new table: nothing to check yet
        return _s(f"ALTER TABLE {c.table.qname}\n  ADD {fk_sql(c.fk)};", f"foreign key {c.fk.name}", "foreign_keys", c,
                  True, "post" if c.late else "main")
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


def _add_table(c: ch.AddTable, inline: tuple[ForeignKey, ...]) -> list[Statement]:
    t = c.table
    out = _s(create_table_sql(t, inline), f"table {t.name}", "tables", c)
    for u in t.uniques:
        if repeats_key(t, u):
            out += _s(f"ALTER TABLE {t.qname} ADD CONSTRAINT {quote_ident(u.name)} {key_sql(u)};",
                      f"unique {u.name} on {t.name} (repeats the primary key)", "constraints", c)
    return out


def _add_view(c: ch.AddView) -> list[Statement]:
    v = c.view
    options = dict(v.options)
    if v.security_invoker and not v.materialized:
        options["security_invoker"] = "true"
    with_ = " WITH (" + ", ".join(f"{k} = {val}" for k, val in sorted(options.items())) + ")" if options else ""
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    out = _s(f"CREATE {kind} {v.qname}{with_} AS\n{v.query};", f"view {v.name}", "views", c)
    for i in v.indexes:
        out += _s(index_sql(v, i), f"index {i.name} on {v.name}", "views", c)
    for tr in v.triggers:
        out += [replace(s, phase="views") for s in trigger_statements(v, tr, c)]
    if v.comment:
        out += _s(f"COMMENT ON {kind} {v.qname} IS {quote_literal(v.comment)};", f"comment on view {v.name}",
                  "views", c)
    return out
