"""gen's own machinery recognised in any model, declared by a spec or read from a live database:
the audit table (written only by gen's SECURITY DEFINER audit triggers), the columns gen's
soft-delete trigger guards and those its guard triggers keep from INSERT. Lint uses it to judge
a live database as it judges the spec."""
from __future__ import annotations

import re

from generator.model import Function, Schema, Table
from generator.model.naming import shorten

# The columns every audit trigger writes (the tenant column comes first when there is one).
AUDIT_COLUMNS = ("table_name", "operation", "row_key", "old_values", "new_values", "changed_columns", "actor",
                 "row_owner", "actor_role")
_INSERT = re.compile(r'INSERT INTO ((?:"(?:[^"]|"")+"|\w+)(?:\.(?:"(?:[^"]|"")+"|\w+))?) \(([^)]*)\)')
_IDENT = r'(?:"(?:[^"]|"")+"|\w+)'
# the soft-delete trigger's "unchanged" test: the mark (and its `by` column) stay as they were
_UNCHANGED = re.compile(rf"NEW\.({_IDENT}) IS NOT DISTINCT FROM OLD\.\1(?: AND NEW\.({_IDENT}) IS NOT DISTINCT FROM "
                        rf"OLD\.\2)?\s+OR NEW\.\1 IS NULL")


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _target(text: str) -> tuple[str | None, str]:
    parts = re.findall(r'"(?:[^"]|"")+"|\w+', text)
    names = [_unquote(p) for p in parts]
    return (names[0], names[1]) if len(names) == 2 else (None, names[0])


def audit_writers(schema: Schema) -> dict[tuple[str, str], list[Function]]:
    """table key -> the audit trigger functions appending to it: SECURITY DEFINER plpgsql
    trigger functions named `<table>_audit` whose INSERT writes every audit column."""
    out: dict[tuple[str, str], list[Function]] = {}
    for f in schema.functions:
        if not (f.returns.strip().lower() == "trigger" and f.security_definer and f.language == "plpgsql"
                and f.name.endswith("_audit")):
            continue
        m = _INSERT.search(f.body)
        if m is None:
            continue
        columns = {_unquote(c.strip()) for c in m.group(2).split(",")}
        if set(AUDIT_COLUMNS) <= columns:
            schema_name, name = _target(m.group(1))
            out.setdefault((schema_name or f.schema, name), []).append(f)
    return out


def audit_tables(schema: Schema) -> set[tuple[str, str]]:
    """Keys of gen's audit tables: the spec's, or on a live database a table that audit
    triggers append to, holding the audit columns, which no policy lets anyone write."""
    out = {t.key for t in schema.tables if t.meta.audit_table}
    writers = audit_writers(schema)
    for t in schema.tables:
        if t.key not in writers or not set(AUDIT_COLUMNS) | {"occurred_at"} <= {c.name for c in t.columns}:
            continue
        if any(p.command != "SELECT" for p in t.policies):
            continue
        out.add(t.key)
    return out


def soft_delete_trigger(t: Table):
    """gen's soft-delete trigger of `t` (`<table>_soft_delete`, BEFORE INSERT OR UPDATE OR
    DELETE, per row), or None."""
    name = shorten(f"{t.name}_soft_delete")
    return next((tr for tr in t.triggers if tr.name == name and tr.timing == "BEFORE" and tr.level == "ROW"
                 and set(tr.events) == {"INSERT", "UPDATE", "DELETE"}), None)


def soft_delete_columns(schema: Schema, t: Table) -> set[str]:
    """The columns gen's soft delete guards on `t` (the mark, its `by` column and the generated
    flag): the application sets them only by DELETE and clears them only as a restore role.
    From the spec, or on a live database from the soft-delete trigger's function."""
    sd = t.meta.soft_delete
    if sd is not None:
        return {c for c in (sd.column, sd.by, sd.flag) if c}
    tr = soft_delete_trigger(t)
    if tr is None:
        return set()
    schema_name, name = _target(tr.function)
    fn = next((f for f in schema.functions if f.name == name and f.schema == (schema_name or t.schema)
               and f.returns.strip().lower() == "trigger"), None)
    m = _UNCHANGED.search(fn.body) if fn is not None else None
    if m is None:
        return set()
    return {_unquote(g) for g in m.groups() if g}


# gen's guard trigger (`protected:`) refusing a non-default value on INSERT
_INSERT_GUARD = re.compile(rf"TG_OP = 'INSERT' THEN NEW\.({_IDENT}) IS DISTINCT FROM")


def insert_guarded_columns(schema: Schema, t: Table) -> set[str]:
    """The columns of `t` the application cannot set on INSERT (protected `on_insert`): from the
    spec, or on a live database from gen's guard trigger functions (BEFORE INSERT, per row)."""
    if t.meta.protected:
        return {p.column for p in t.meta.protected if p.on_insert}
    out: set[str] = set()
    for tr in t.triggers:
        if tr.timing != "BEFORE" or tr.level != "ROW" or "INSERT" not in tr.events:
            continue
        schema_name, name = _target(tr.function)
        fn = next((f for f in schema.functions if f.name == name and f.schema == (schema_name or t.schema)
                   and f.returns.strip().lower() == "trigger"), None)
        if fn is not None:
            out |= {_unquote(c) for c in _INSERT_GUARD.findall(fn.body)}
    return out


def rls_only_for_soft_delete(t: Table) -> bool:
    """RLS is on only to hide soft-deleted rows: gen's soft-delete trigger, and the one
    permissive policy besides `<table>_mark_deleted` is `<table>_all_rows` (every row, every
    command)."""
    if soft_delete_trigger(t) is None:
        return False
    permissive = [p for p in t.policies if p.permissive and p.name != shorten(f"{t.name}_mark_deleted")]
    return (len(permissive) == 1 and permissive[0].name == shorten(f"{t.name}_all_rows")
            and permissive[0].command == "ALL" and (permissive[0].using or "").strip("() ").lower() == "true")
