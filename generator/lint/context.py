"""What the rules share about one model: where it came from, its flavor, the application roles,
the admin predicate, and each table's scope columns (declared in the spec, or inferred from its
policies on a live database)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

from generator.diagnostics import Location
from generator.lint.predicates import Known, called, deparse, gen_principal, parse_expr, scope_terms, _scalar
from generator.model import Function, Policy, Schema, Table
from generator.model.naming import qualified, quote_ident

SUPABASE_CLIENTS = ("anon", "authenticated")
# Roles that are no attacker: they bypass RLS or own everything anyway.
TRUSTED = frozenset({"service_role", "postgres", "supabase_admin", "supabase_auth_admin"})


@dataclass(frozen=True)
class Finding:
    """One rule's finding before overrides: what, where, and the object whose `lint:` may
    override it (("table"|"view"|"function", schema, name) or None)."""

    message: str
    loc: Location | None
    name: str
    hint: str = ""
    severity: str | None = None          # None: the rule's default
    subject: tuple[str, str, str] | None = field(default=None, compare=False)


@dataclass
class LintContext:
    schema: Schema
    source: str = "spec"                 # spec | database
    _scopes: dict = field(default_factory=dict, repr=False)

    @property
    def flavor(self) -> str:
        return self.schema.settings.flavor

    @property
    def live(self) -> bool:
        return self.source == "database"

    def hint(self, spec: str, sql: str) -> str:
        """The hint for where the model came from: spec keys for a spec, SQL for a live
        database (which has no spec to edit)."""
        return sql if self.live else spec

    @cached_property
    def app_roles(self) -> frozenset[str]:
        """Roles an attacker may connect as: Supabase's clients, and every role a policy names
        (PUBLIC aside, and roles that bypass RLS)."""
        roles = set(SUPABASE_CLIENTS) if self.flavor == "supabase" else set()
        for t in self.schema.tables:
            for p in t.policies:
                roles.update(p.roles)
        return frozenset(roles - {"public"} - TRUSTED)

    @cached_property
    def admin_names(self) -> frozenset[str]:
        """Names of the admin predicate function: the spec's, or on a live database any
        function named like one (`is_admin`, `…_is_admin`)."""
        auth = self.schema.auth
        if auth and auth.admin_function:
            return frozenset({auth.admin_function.rpartition(".")[2]})
        return frozenset(f.name for f in self.schema.functions if f.name.endswith("is_admin"))

    @cached_property
    def known_principals(self) -> dict[str, str]:
        """The spec's own current-tenant and current-user expressions, deparsed -> kind."""
        out: dict[str, str] = {}
        for text, kind in ((self.schema.tenancy.current if self.schema.tenancy else None, "tenant"),
                           (self.schema.auth.current_user if self.schema.auth else None, "owner")):
            fast = gen_principal(text)
            if fast is not None:
                out[fast] = kind
                continue
            node = parse_expr(text)
            if node is not None:
                out[deparse(_scalar(node))] = kind
        return out

    @cached_property
    def names(self) -> list:
        """Every identifier of the model (generator.lint.names), read once for all rules."""
        from generator.lint.names import names
        return list(names(self.schema))

    @cached_property
    def known(self) -> Known:
        return tuple(sorted(self.known_principals.items()))

    def scopes(self, table: Table) -> dict[str, str]:
        """Scope column -> "tenant"/"owner": the spec's tenant and owner columns, plus every
        column a policy pins to the current principal (`col = current_setting(…)`, `auth.uid()`)."""
        if table.key not in self._scopes:
            self._scopes[table.key] = self._compute_scopes(table)
        return self._scopes[table.key]

    def _compute_scopes(self, table: Table) -> dict[str, str]:
        out: dict[str, str] = {}
        if table.meta.tenant_column:
            out[table.meta.tenant_column] = "tenant"
        if table.meta.owner_column:
            out.setdefault(table.meta.owner_column, "owner")
        for p in table.policies:
            for text in (p.using, p.check):
                for column, kind in scope_terms(text, self.known):
                    if table.column(column) is not None:
                        out.setdefault(column, kind)
        return out

    def table(self, schema: str | None, name: str) -> Table | None:
        if schema is None:
            return self.schema.table(name, "public") or next(
                (t for t in self.schema.tables if t.name == name), None)
        return self.schema.table(name, schema)

    def function(self, name: str) -> list[Function]:
        return [f for f in self.schema.functions if f.name == name]

    def policy_functions(self, p: Policy) -> Iterator[Function]:
        seen = set()
        for text in (p.using, p.check):
            for name in called(text):
                for f in self.function(name):
                    if f.key not in seen:
                        seen.add(f.key)
                        yield f


def table_name(t: Table) -> str:
    return t.qname


def column_name(t: Table, column: str) -> str:
    return f"{t.qname}.{quote_ident(column)}"


def policy_name(t: Table, p: Policy) -> str:
    return f"{t.qname}.{quote_ident(p.name)}"


def subject(kind: str, schema: str, name: str) -> tuple[str, str, str]:
    return (kind, schema, name)


def function_name(f: Function) -> str:
    return f"{qualified(f.schema, f.name)}({f.args})"


# ---------------------------------------------------------------- policies

WRITES = ("INSERT", "UPDATE", "DELETE")


def commands(p: Policy) -> tuple[str, ...]:
    """The commands a policy applies to (ALL: every one)."""
    return ("SELECT",) + WRITES if p.command == "ALL" else (p.command,)


def effective_check(p: Policy) -> str | None:
    """What PostgreSQL checks new rows against: WITH CHECK, or for UPDATE/ALL without one, USING."""
    if p.check:
        return p.check
    return p.using if p.command in ("UPDATE", "ALL") else None


def roles_cover(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    """Whether a policy for `outer` roles applies to every role of `inner`."""
    return "public" in outer or set(inner) <= set(outer)


def restrictive_for(t: Table, p: Policy, command: str) -> list[Policy]:
    """The restrictive policies of `t` that apply to `command` for every role `p` names."""
    return [r for r in t.policies if not r.permissive and command in commands(r) and roles_cover(r.roles, p.roles)]


# ---------------------------------------------------------------- references

def scope_column(ctx: LintContext, t: Table, kind: str) -> str | None:
    """The table's tenant (or owner) column: the spec's, else the one its policies pin."""
    declared = t.meta.tenant_column if kind == "tenant" else t.meta.owner_column
    if declared:
        return declared
    found = sorted(c for c, k in ctx.scopes(t).items() if k == kind)
    return found[0] if len(found) == 1 else None


def scoped_references(ctx: LintContext, kind: str):
    """(child, fk, parent, child column, parent column) for every foreign key between two tables
    scoped by `kind` that does not carry the scope column along, where the parent is not the
    scope itself (the tenant root, a users table whose key is the owner)."""
    for t in ctx.schema.tables:
        mine = scope_column(ctx, t, kind)
        if mine is None:
            continue
        for fk in t.foreign_keys:
            parent = ctx.schema.table(fk.ref_table, fk.ref_schema)
            theirs = scope_column(ctx, parent, kind) if parent is not None else None
            if theirs is None or (parent.primary_key and parent.primary_key.columns == (theirs,)):
                continue
            if not _carries(t, fk, mine, theirs):
                yield t, fk, parent, mine, theirs


def _carries(t: Table, fk, mine: str, theirs: str) -> bool:
    """The key (or a key over the same columns plus the scope pair) maps mine -> theirs."""
    pairs = set(zip(fk.columns, fk.ref_columns))
    if (mine, theirs) in pairs:
        return True
    return any((mine, theirs) in set(zip(g.columns, g.ref_columns)) and pairs <= set(zip(g.columns, g.ref_columns))
               for g in t.foreign_keys if (g.ref_schema, g.ref_table) == (fk.ref_schema, fk.ref_table))
