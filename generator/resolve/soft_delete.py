"""Soft delete with database semantics. For every soft-deleting table:

- DELETE by the application roles marks the row: a BEFORE DELETE trigger sets the column to the
  deleting transaction's timestamp (and `by` to the current user), soft-deletes or blocks on the
  children as declared, and skips the physical delete. The table owner, superusers, BYPASSRLS
  roles and the declared `purge` roles delete for real.
- Normal reads do not see deleted rows: a RESTRICTIVE SELECT policy `col IS NULL OR col =
  transaction_timestamp()`. The second half is what avoids PostgreSQL's trap: an UPDATE with a
  WHERE clause must leave a row its SELECT policies still show, so marking a row deleted under a
  plain `col IS NULL` policy fails; a row marked in this transaction stays visible to it until
  commit, and to nobody after. The `restore` roles see deleted rows.
- The mark can only be set that way (NULL -> this transaction's timestamp, by the current user)
  and cleared only by the `restore` roles: the same trigger guards INSERT and UPDATE of it, and
  skips any UPDATE of a row deleted earlier by anyone else (an UPDATE without WHERE reads no
  column, so the hiding policy alone would not keep it from rewriting deleted rows).
- Unique constraints ignore deleted rows: they become partial unique indexes `WHERE col IS NULL`
  (a constraint a foreign key references stays whole: PostgreSQL needs it so).
- A user who may delete a row may mark it (an UPDATE policy whose check keeps the row where the
  DELETE policy could reach it), so DELETE works even where the spec grants no UPDATE."""
from __future__ import annotations

from dataclasses import replace

from generator.model import Function, Index, IndexElement, LintOverride, Policy, Schema, SoftDelete, Table, Trigger
from generator.model.naming import quote_ident, quote_literal, shorten
from generator.resolve.context import Ctx
from generator.resolve.protection import PRIVILEGED

RLS_ONLY_FOR_SOFT_DELETE = "RLS is on only to hide soft-deleted rows; the owner restores and purges"


def soft_delete(ctx: Ctx, schema: Schema) -> Schema:
    if not any(t.meta.soft_delete for t in schema.tables):
        return schema
    admin = schema.auth.admin_function if schema.auth else None
    referenced = {(fk.ref_schema, fk.ref_table, frozenset(fk.ref_columns)) for t in schema.tables
                  for fk in t.foreign_keys}
    tables, functions = [], list(schema.functions)
    for t in schema.tables:
        sd = t.meta.soft_delete
        if sd is None:
            tables.append(t)
            continue
        if t.primary_key is None:
            ctx.diags.add("RS130", f"soft delete on '{t.name}' needs a primary key", t.loc,
                          f"entities.{t.meta.entity}", "give the entity a primary key")
            tables.append(t)
            continue
        fn = _function(ctx, schema, t, sd, admin)
        functions.append(fn)
        t = _partial_uniques(t, sd, referenced)
        t = _policies(ctx, t, sd, admin)
        trigger = Trigger(shorten(f"{t.name}_soft_delete"), f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}",
                          "BEFORE", ("INSERT", "UPDATE", "DELETE"), "ROW", loc=t.loc)
        tables.append(replace(t, triggers=tuple(sorted(t.triggers + (trigger,), key=lambda x: x.name))))
    return replace(schema, tables=tuple(tables), functions=tuple(sorted(functions, key=lambda f: f.key)))


def _who(roles: tuple[str, ...], admin: str | None, catalog: str = "pg_catalog.",
         wrap=lambda e: f"(SELECT {e})") -> str:
    """SQL true for the given roles (`admin`: the admin predicate); `catalog` qualifies
    pg_has_role in function bodies (empty search_path), not in policies (PostgreSQL prints it bare)."""
    parts = []
    for r in roles:
        if r == "admin":
            if admin:
                sch, _, name = admin.partition(".")
                parts.append(wrap(f"{quote_ident(sch)}.{quote_ident(name)}()"))
        else:
            parts.append(f"{catalog}pg_has_role(current_user, {quote_literal(r)}, 'MEMBER')")
    return " OR ".join(parts) or "false"


def _match(cols, other, prefix: str) -> str:
    return " AND ".join(f"{quote_ident(c)} = {prefix}.{quote_ident(o)}" for c, o in zip(cols, other))


def _child_action(sd: SoftDelete, fk) -> str:
    """What marking the parent does to one child: the key's own declaration wins where it says
    more than the default — `restrict` blocks (the parent may not go while live children point at
    it), `set null`/`set default` leave the children (the parent row stays, only hidden);
    otherwise (CASCADE, NO ACTION) `children:` decides."""
    if fk.on_delete == "RESTRICT":
        return "block"
    if fk.on_delete in ("SET NULL", "SET DEFAULT"):
        return "leave"
    return sd.children


def _children(schema: Schema, t: Table, sd: SoftDelete, user: str) -> tuple[list[str], list[str]]:
    """(checks before marking, updates after) of the soft-delete branch, for the soft-deletable
    children of `t`."""
    checks, out = [], []
    for child, fk in schema.referencing(t):
        csd = child.meta.soft_delete
        how = _child_action(sd, fk)
        if csd is None or how == "leave" or child.key == t.key:
            continue
        where = _match(fk.columns, fk.ref_columns, "OLD") + f" AND {quote_ident(csd.column)} IS NULL"
        if how == "block":
            checks.append(f"  IF EXISTS (SELECT 1 FROM {_full(child)} WHERE {where}) THEN\n"
                       f"    RAISE EXCEPTION '% has rows in {child.name} that are not deleted', TG_TABLE_NAME\n"
                       f"      USING ERRCODE = '23503', HINT = 'delete them first (soft delete children: block)';\n"
                       f"  END IF;\n")
        else:
            sets = f"{quote_ident(csd.column)} = transaction_timestamp()"
            sets += f", {quote_ident(csd.by)} = {user}" if csd.by else ""
            out.append(f"  UPDATE {_full(child)} SET {sets} WHERE {where};\n")
    return checks, out


def _function(ctx: Ctx, schema: Schema, t: Table, sd: SoftDelete, admin: str | None) -> Function:
    col, by = quote_ident(sd.column), quote_ident(sd.by) if sd.by else None
    user = f"({ctx.current_user_expr()})"
    pk = _match(t.primary_key.columns, t.primary_key.columns, "OLD")
    sets = f"{col} = transaction_timestamp()" + (f", {by} = {user}" if by else "")
    marked = f"NEW.{col} IS NOT DISTINCT FROM OLD.{col}" + (f" AND NEW.{by} IS NOT DISTINCT FROM OLD.{by}" if by else "")
    marking = (f"OLD.{col} IS NULL AND NEW.{col} = transaction_timestamp()"
               + (f" AND NEW.{by} IS NOT DISTINCT FROM {user}" if by else ""))
    same = _unchanged(t, sd)        # marking changes the mark and nothing else (not a way to rewrite a row)
    restoring = f"NEW.{col} IS NULL" + (f" AND NEW.{by} IS NULL" if by else "")
    fresh = f"NEW.{col} IS NULL" + (f" AND NEW.{by} IS NULL" if by else "")
    message = quote_literal(f"rows of {t.name} are soft-deleted: % may not set {sd.column} that way")
    checks, cascades = _children(schema, t, sd, user)
    body = (
        f"\nBEGIN\n  IF {PRIVILEGED} THEN\n    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n  END IF;\n"
        f"  IF TG_OP = 'DELETE' THEN\n"
        f"    IF {_who(sd.purge, admin)} THEN\n      RETURN OLD;\n    END IF;\n"
        f"    IF OLD.{col} IS NOT NULL THEN\n      RETURN NULL;\n    END IF;\n"
        + f"    UPDATE {_full(t)} SET {sets} WHERE {pk};\n"
        + "    RETURN NULL;\n  END IF;\n"
        f"  IF TG_OP = 'UPDATE' AND OLD.{col} IS DISTINCT FROM transaction_timestamp() AND OLD.{col} IS NOT NULL\n"
        f"      AND NOT ({_who(sd.restore, admin)}) THEN\n"
        f"    RETURN NULL;           -- deleted earlier: only the restore roles touch it (a blind UPDATE skips it)\n"
        f"  END IF;\n"
        f"  IF TG_OP = 'UPDATE' AND {marking} AND {same} THEN\n"
        + "".join("  " + line for s in checks for line in s.splitlines(True))
        + "".join("  " + line for s in cascades for line in s.splitlines(True))
        + "    RETURN NEW;\n  END IF;\n"
        f"  IF TG_OP = 'INSERT' AND {fresh} OR TG_OP = 'UPDATE' AND ({marked}\n"
        f"      OR {restoring} AND ({_who(sd.restore, admin)})) THEN\n    RETURN NEW;\n  END IF;\n"
        f"  RAISE EXCEPTION {message}, current_user\n"
        f"    USING ERRCODE = '42501', HINT = 'DELETE the row to soft-delete it; only "
        f"{', '.join(sd.restore) or 'the owner'} may restore it';\nEND;\n")
    return Function(name=shorten(f"{t.name}_soft_delete"), returns="trigger", body=body, schema=t.schema,
                    language="plpgsql", search_path="''",
                    comment=f"Trigger function: DELETE marks rows of {t.name} ({sd.column}); guards the mark.")


def _unchanged(t: Table, sd: SoftDelete) -> str:
    """SQL true when an UPDATE leaves every column but the mark (and what gen's own BEFORE UPDATE
    triggers keep: the touched and version columns, generated columns) as it was."""
    skip = {sd.column, sd.by, t.meta.touch_column, t.meta.version_column}
    cols = [quote_ident(c.name) for c in t.columns if c.name not in skip and not c.generated]
    if not cols:
        return "true"
    return (f"ROW({', '.join('NEW.' + c + '::text' for c in cols)}) IS NOT DISTINCT FROM "
            f"ROW({', '.join('OLD.' + c + '::text' for c in cols)})")   # ::text: json has no equality


def _partial_uniques(t: Table, sd: SoftDelete, referenced: set) -> Table:
    """Unique constraints no foreign key references become unique indexes over live rows."""
    keep, moved = [], []
    where = f"{quote_ident(sd.column)} IS NULL"
    for u in t.uniques:
        if (t.schema, t.name, frozenset(u.columns)) in referenced:
            keep.append(u)
            continue
        moved.append(Index(u.name, tuple(IndexElement(column=c) for c in u.columns), unique=True, where=where,
                           nulls_not_distinct=u.nulls_not_distinct,
                           comment=f"unique among rows that are not soft-deleted", loc=u.loc))
    indexes = [replace(i, where=f"({i.where}) AND {where}" if i.where else where) if i.unique and
               sd.column not in i.columns else i for i in t.indexes]
    return replace(t, uniques=tuple(keep), indexes=tuple(sorted(indexes + moved, key=lambda i: i.name)))


def _policies(ctx: Ctx, t: Table, sd: SoftDelete, admin: str | None) -> Table:
    col = quote_ident(sd.column)
    roles = tuple(sorted(ctx.default_roles()))
    visible = f"{col} IS NULL OR {col} = transaction_timestamp()"
    restore = _who(sd.restore, admin, catalog="", wrap=ctx.wrap)
    hide = Policy(shorten(f"{t.name}_hide_deleted"), "SELECT", roles,
                  visible + (f" OR {restore}" if restore != "false" else ""), None, permissive=False,
                  preset="soft_delete", description=f"rows whose {sd.column} is set are hidden (but from "
                  f"{', '.join(sd.restore) or 'the owner'})", loc=t.loc)
    policies = list(t.policies)
    extra: dict = {}
    if not policies:     # RLS was off: every row stays reachable, deleted ones excepted
        policies.append(Policy(shorten(f"{t.name}_all_rows"), "ALL", roles, "true", "true", preset="soft_delete",
                               description="RLS is on only to hide soft-deleted rows", public=True, loc=t.loc))
        extra = {"rls_enabled": True, "rls_forced": False}
        overrides = t.meta.lint + tuple(LintOverride(code, "off", RLS_ONLY_FOR_SOFT_DELETE)
                                        for code in ("RL012",))
        extra["meta"] = replace(t.meta, lint=overrides)
    deleting = [p for p in policies if p.permissive and p.command in ("ALL", "DELETE") and p.using]
    if deleting:
        reach = " OR ".join(f"({p.using})" for p in deleting)
        policies.append(Policy(shorten(f"{t.name}_mark_deleted"), "UPDATE",
                               tuple(sorted({r for p in deleting for r in p.roles})), reach,
                               f"{col} = transaction_timestamp() AND ({reach})", preset="soft_delete",
                               description="who may delete a row may mark it deleted (and it stays where they "
                                           "could delete it)", public=any(p.public for p in deleting), loc=t.loc))
    policies.append(hide)
    return replace(t, policies=tuple(sorted(policies, key=lambda p: p.name)), **extra)


def _full(t: Table) -> str:
    """Schema-qualified always: these bodies run with an empty search_path."""
    return f"{quote_ident(t.schema)}.{quote_ident(t.name)}"
