"""PostgreSQL SQL for changes inside existing objects: renames, columns, table constraints,
enum evolution, policies and functions. Work that must not run in the migration's
transaction is put in a step of its own: "pre" (enum values) or "post" (concurrent index
builds and validation of constraints added NOT VALID)."""
from __future__ import annotations

from generator.diff import alter as al
from generator.model import Check, Column, DataType, Exclusion, Index, PrimaryKey, Table, Unique
from generator.model.naming import qualified, quote_ident, quote_literal, shorten
from generator.postgres.render import (Statement, column_sql, exclusion_sql, function_access, function_sql, identity_clause, index_sql,
                                      key_sql, policy_roles, policy_sql, signature)


def _st(sql, comment, phase, change, transactional=True, step="main") -> Statement:
    return Statement(sql, comment, phase, change, transactional, step)


def _cols(names) -> str:
    return ", ".join(quote_ident(n) for n in names)


# ---------------------------------------------------------------- renames

def rename_table(c: al.RenameTable):
    return [_st(f"ALTER TABLE {c.old.qname} RENAME TO {quote_ident(c.new.name)};",
                f"rename table {c.old.name} to {c.new.name}", "renames", c)]


def rename_column(c: al.RenameColumn):
    return [_st(f"ALTER TABLE {c.table.qname} RENAME COLUMN {quote_ident(c.old)} TO {quote_ident(c.new)};",
                f"rename column {c.table.name}.{c.old} to {c.new}", "renames", c)]


def rename_object(c: al.RenameObject):
    new = quote_ident(c.new)
    if c.kind == "INDEX":
        sql = f"ALTER INDEX {qualified(c.table.schema, c.old)} RENAME TO {new};"
    elif c.kind == "CONSTRAINT":
        sql = f"ALTER TABLE {c.table.qname} RENAME CONSTRAINT {quote_ident(c.old)} TO {new};"
    else:
        sql = f"ALTER {c.kind} {quote_ident(c.old)} ON {c.table.qname} RENAME TO {new};"
    return [_st(sql, f"rename {c.kind.lower()} {c.old} to {c.new}", "renames", c)]


def rename_enum(c: al.RenameEnum):
    return [_st(f"ALTER TYPE {c.old.qname} RENAME TO {quote_ident(c.new.name)};",
                f"rename enum {c.old.name} to {c.new.name}", "renames", c)]


def rename_enum_value(c: al.RenameEnumValue):
    return [_st(f"ALTER TYPE {c.enum.qname} RENAME VALUE {quote_literal(c.old)} TO {quote_literal(c.new)};",
                f"rename value {c.old} of enum {c.enum.name} to {c.new}", "renames", c)]


# ---------------------------------------------------------------- columns

def add_column(c: al.AddColumn):
    out = [_st(f"ALTER TABLE {c.table.qname} ADD COLUMN {column_sql(c.column)};",
               f"add column {c.table.name}.{c.column.name}", "columns", c)]
    if c.column.comment is not None:
        out.append(_comment_column(c, c.table, c.column.name, c.column.comment))
    return out


def drop_column(c: al.DropColumn):
    return [_st(f"ALTER TABLE {c.table.qname} DROP COLUMN {quote_ident(c.column.name)};",
                f"drop column {c.table.name}.{c.column.name}", "columns", c)]


def _comment_column(c, t: Table, name: str, text: str | None) -> Statement:
    value = quote_literal(text) if text is not None else "NULL"
    return _st(f"COMMENT ON COLUMN {t.qname}.{quote_ident(name)} IS {value};",
               f"comment on column {t.name}.{name}", "comments", c)


def cast_sql(column: str, old: DataType, new: DataType) -> str | None:
    """The USING clause a type change needs (None when only modifiers change)."""
    if (old.base, old.enum, old.array_dims, old.schema if old.enum else None) == \
            (new.base, new.enum, new.array_dims, new.schema if new.enum else None):
        return None
    via = "::text" + "[]" * old.array_dims if old.enum or new.enum else ""
    return f"{quote_ident(column)}{via}::{new.sql}"


def alter_column(c: al.AlterColumn):
    o, n, what = c.old, c.new, c.what
    head = f"ALTER TABLE {c.table.qname} ALTER COLUMN {quote_ident(n.name)}"
    label = f"{c.table.name}.{n.name}"
    out: list[Statement] = []

    def add(action: str, comment: str) -> None:
        out.append(_st(f"{head} {action};", f"{comment} of {label}", "columns", c))

    if "identity" in what and o.identity:
        if n.identity and o.identity != n.identity:
            add(f"SET GENERATED {n.identity.upper()}", "identity")
        elif not n.identity:
            add("DROP IDENTITY", "identity")
    if "identity" in what and o.identity and n.identity and o.identity_options != n.identity_options:
        add(identity_set(o, n), "identity options")
    if "generated" in what and o.generated:
        add("DROP EXPRESSION", "stop generating")
    retype = bool(what & {"type", "collation"})
    if o.default is not None and (retype or ("default" in what and n.default is None)):
        add("DROP DEFAULT", "drop default")
    if retype:
        using = cast_sql(n.name, o.type, n.type)
        collate = f" COLLATE {quote_ident(n.collation)}" if n.collation else ""
        add(f"TYPE {n.type.sql}{collate}" + (f" USING {using}" if using else ""), f"type {o.type.sql} -> {n.type.sql}")
    if o.nullable != n.nullable:
        add("DROP NOT NULL" if n.nullable else "SET NOT NULL", "nullability")
    if n.default is not None and ("default" in what or (retype and o.default is not None)):
        add(f"SET DEFAULT {n.default}", "default")
    if "identity" in what and n.identity and not o.identity:
        add(f"ADD GENERATED {n.identity.upper()} AS IDENTITY{identity_clause(n.identity_options)}", "identity")
        out.append(_st(_restart_identity(c.table, n), f"identity of {label} continues after existing rows",
                       "columns", c))
    if "comment" in what:
        out.append(_comment_column(c, c.table, n.name, n.comment))
    return out


def identity_set(o: Column, n: Column) -> str:
    """ALTER COLUMN ... SET START WITH ... for the options that change (defaults restored too)."""
    from generator.model.objects import sequence_bounds
    new = dict(n.identity_options)
    inc = new.get("increment", 1)
    low, high = sequence_bounds(n.type.base, inc)
    values = {"start": low if inc > 0 else high, "increment": 1, "min": low, "max": high, "cache": 1, "cycle": 0}
    values.update(new)
    changed = {k for k, _ in o.identity_options} | set(new)
    words = {"start": "SET START WITH {}", "increment": "SET INCREMENT BY {}", "min": "SET MINVALUE {}",
             "max": "SET MAXVALUE {}", "cache": "SET CACHE {}"}
    parts = [("SET CYCLE" if values["cycle"] else "SET NO CYCLE") if k == "cycle" else words[k].format(values[k])
             for k in ("start", "increment", "min", "max", "cache", "cycle") if k in changed]
    return " ".join(parts)


def _restart_identity(t: Table, col: Column) -> str:
    q = quote_ident(col.name)
    return (f"SELECT setval(pg_get_serial_sequence({quote_literal(t.qname)}, {quote_literal(col.name)}), "
            f"COALESCE(MAX({q}), 0) + 1, false) FROM {t.qname};")


# ---------------------------------------------------------------- constraints

def _constraint_body(k) -> str:
    if isinstance(k, (PrimaryKey, Unique)):
        return key_sql(k)
    if isinstance(k, Exclusion):
        return exclusion_sql(k)
    return f"CHECK ({k.expression})" + (" NO INHERIT" if k.no_inherit else "")


def add_constraint(c: al.AddConstraint):
    t, k, name = c.table, c.constraint, quote_ident(c.constraint.name)
    label = f"{type(k).__name__.lower()} {k.name} on {t.name}"
    if not c.existing or isinstance(k, Exclusion) or (not isinstance(k, Check) and (k.deferrable or
                                                                                    getattr(k, "include", ()))):
        return [_st(f"ALTER TABLE {t.qname}\n  ADD CONSTRAINT {name} {_constraint_body(k)};", label, "constraints", c)]
    if isinstance(k, Check):
        return [_st(f"ALTER TABLE {t.qname}\n  ADD CONSTRAINT {name} {_constraint_body(k)} NOT VALID;",
                    f"{label} (checked for new rows now)", "constraints", c),
                validate(c, t, k.name)]
    nnd = " NULLS NOT DISTINCT" if isinstance(k, Unique) and k.nulls_not_distinct else ""
    kind = "PRIMARY KEY" if isinstance(k, PrimaryKey) else "UNIQUE"
    attach = (f"DO $attach$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = "
              f"{quote_literal(t.qname)}::regclass\n                 AND conname = {quote_literal(k.name)}) THEN\n"
              f"    ALTER TABLE {t.qname} ADD CONSTRAINT {name} {kind} USING INDEX {name};\n  END IF;\nEND\n$attach$;")
    return [_st(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {t.qname} ({_cols(k.columns)}){nnd};",
                f"index for {label}, built without blocking writes", "constraints", c, False, "post"),
            _st(attach, f"{label}, from that index (once)", "constraints", c, True, "post")]


def validate(c, t: Table, name: str) -> Statement:
    return _st(f"ALTER TABLE {t.qname} VALIDATE CONSTRAINT {quote_ident(name)};",
               f"validate {name} against existing rows", "constraints", c, True, "post")


def drop_constraint(c: al.DropConstraint):
    guard = "IF EXISTS " if c.existing else ""
    return [_st(f"ALTER TABLE {c.table.qname} DROP CONSTRAINT {guard}{quote_ident(c.constraint.name)};",
                f"drop {type(c.constraint).__name__.lower()} {c.constraint.name}", "constraints", c)]


# ---------------------------------------------------------------- policies, functions, extensions

def alter_policy(c: al.AlterPolicy):
    o, n = c.old, c.new
    sql = f"ALTER POLICY {quote_ident(n.name)} ON {c.table.qname}"
    if o.roles != n.roles:
        sql += f"\n  TO {policy_roles(n)}"
    if o.using != n.using:
        sql += f"\n  USING ({n.using})"
    if o.check != n.check:
        sql += f"\n  WITH CHECK ({n.check})"
    return [_st(sql + ";", f"alter policy {n.name} on {c.table.name}", "policies", c)]


def replace_function(c: al.ReplaceFunction):
    f = c.new
    out = [_st(function_sql(f), f"replace function {f.name}", "functions", c)]
    if c.old.comment != f.comment:
        value = quote_literal(f.comment) if f.comment is not None else "NULL"
        out.append(_st(f"COMMENT ON FUNCTION {signature(f)} IS {value};", f"comment on function {f.name}",
                       "functions", c))
    return out + function_access(f, c.old.execute, c)


def set_extension_schema(c: al.SetExtensionSchema):
    out = []
    if c.old.schema != c.new.schema:
        out.append(_st(f"ALTER EXTENSION {quote_ident(c.new.name)} SET SCHEMA {quote_ident(c.new.schema or 'public')};",
                       f"move extension {c.new.name}", "extensions", c))
    if c.old.version != c.new.version:
        to = f" TO {quote_literal(c.new.version)}" if c.new.version else ""
        out.append(_st(f"ALTER EXTENSION {quote_ident(c.new.name)} UPDATE{to};", f"update extension {c.new.name}",
                       "extensions", c))
    return out


# ---------------------------------------------------------------- enum evolution

def add_enum_values(c: al.AddEnumValues):
    out = []
    for value, before, after in c.adds:
        where = f" BEFORE {quote_literal(before)}" if before else f" AFTER {quote_literal(after)}" if after else ""
        out.append(_st(f"ALTER TYPE {c.before.qname} ADD VALUE IF NOT EXISTS {quote_literal(value)}{where};",
                       f"add value {value} to enum {c.before.name} (committed before use)", "enums", c, False, "pre"))
    return out


def rebuild_enum(c: al.RebuildEnum):
    """New type beside the old one, every column cast over, old type dropped."""
    e, aside = c.new, shorten(f"{c.new.name}_old")
    old_q = qualified(e.schema, aside)
    values = ", ".join(quote_literal(v) for v in e.values)
    out = [_st(f"ALTER TYPE {c.old.qname} RENAME TO {quote_ident(aside)};",
               f"rebuild enum {e.name}: set the old type aside", "enums", c),
           _st(f"CREATE TYPE {e.qname} AS ENUM ({values});", f"enum {e.name} with its new values", "enums", c)]
    if e.comment:
        out.append(_st(f"COMMENT ON TYPE {e.qname} IS {quote_literal(e.comment)};", f"comment on enum {e.name}",
                       "enums", c))
    out += [_st(sql, comment, "enums", c) for sql, comment in (_drop_dependent(t, x) for t, x in c.dependents)]
    for t, col in c.uses:
        out += _recast(c, t, col, e, c.removed)
    out += [_st(sql, comment, "enums", c) for sql, comment in (_create_dependent(t, x) for t, x in c.dependents)]
    out.append(_st(f"DROP TYPE {old_q};", f"drop the old {e.name}", "enums", c))
    return out


def _drop_dependent(t: Table, x) -> tuple[str, str]:
    if isinstance(x, Check):
        return f"ALTER TABLE {t.qname} DROP CONSTRAINT {quote_ident(x.name)};", f"drop check {x.name} (uses the enum)"
    if isinstance(x, Index):
        return f"DROP INDEX {qualified(t.schema, x.name)};", f"drop index {x.name} (uses the enum)"
    return f"DROP POLICY {quote_ident(x.name)} ON {t.qname};", f"drop policy {x.name} (uses the enum)"


def _create_dependent(t: Table, x) -> tuple[str, str]:
    if isinstance(x, Check):
        return (f"ALTER TABLE {t.qname}\n  ADD CONSTRAINT {quote_ident(x.name)} CHECK ({x.expression});",
                f"check {x.name} again")
    if isinstance(x, Index):
        return index_sql(t, x), f"index {x.name} again"
    return policy_sql(t, x), f"policy {x.name} again"


def _recast(c, t: Table, col: Column, e, removed: tuple[str, ...]) -> list[Statement]:
    q, head = quote_ident(col.name), f"ALTER TABLE {t.qname} ALTER COLUMN {quote_ident(col.name)}"
    label = f"{t.name}.{col.name}"
    out = []
    if removed:
        arr = "[]" * col.type.array_dims
        lits = ", ".join(quote_literal(v) for v in removed)
        test = f"{q}::text{arr} && ARRAY[{lits}]" if arr else f"{q}::text IN ({lits})"
        msg = quote_literal(f"{label} holds a value removed from enum {e.name} ({', '.join(removed)})")
        out.append(_st(f"DO $check$\nBEGIN\n  IF EXISTS (SELECT FROM {t.qname} WHERE {test}) THEN\n"
                       f"    RAISE EXCEPTION {msg};\n  END IF;\nEND\n$check$;",
                       f"refuse if a row of {label} holds a removed value", "enums", c))
    target = DataType(e.name, (), col.type.array_dims, True, e.schema)
    out.append(_st(f"{head} DROP DEFAULT;", f"drop default of {label} (it names the old type)", "enums", c))
    out.append(_st(f"{head} TYPE {target.sql} USING {q}::text{'[]' * col.type.array_dims}::{target.sql};",
                   f"cast {label} to the new {e.name}", "enums", c))
    if col.default is not None:
        out.append(_st(f"{head} SET DEFAULT {col.default};", f"default of {label}", "enums", c))
    return out


RENDERERS = {
    al.RenameTable: rename_table, al.RenameColumn: rename_column, al.RenameObject: rename_object,
    al.RenameEnum: rename_enum, al.RenameEnumValue: rename_enum_value,
    al.AddColumn: add_column, al.DropColumn: drop_column, al.AlterColumn: alter_column,
    al.AddConstraint: add_constraint, al.DropConstraint: drop_constraint,
    al.AlterPolicy: alter_policy, al.ReplaceFunction: replace_function, al.SetExtensionSchema: set_extension_schema,
    al.AddEnumValues: add_enum_values, al.RebuildEnum: rebuild_enum,
}
