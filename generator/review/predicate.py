"""A policy predicate evaluated for one principal class on one table: scope terms (`col = <current
tenant or user>`), the admin call, `auth.role() = '…'`, `<current user> IS NOT NULL` and constants
become true/false/null by what the class is; SQL helper functions are read through, and an EXISTS
over the row's parent (`c.id = conversation_id AND c.owner_id = auth.uid()`) decides by the
parent's scope when the row is scoped through it. Anything else stays a residual condition on the
row. Three-valued (Kleene) AND/OR/NOT, as PostgreSQL evaluates them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.lint.predicates import (admin_call, column_name, conjuncts, deparse, parse_expr, principal_kind,
                                       scope_term, truth, _scalar)
from generator.model import Function, Schema, Table
from generator.review.logic import F, MAYBE, N, T_ALWAYS, TRUE, Value, both, either, negate
from generator.review.principals import Scoping

MAX_DEPTH = 4                  # helper functions read through, nested
_READS_ROWS = re.compile(r"\bEXISTS\b|\bFROM\b", re.IGNORECASE)


@dataclass(frozen=True)
class Facts:
    """Who is asking, relative to the row: `tenant` same/other/None (unset), `user`
    owner/other/None (not signed in), `admin`, and the database `role`."""

    role: str
    tenant: str | None
    user: str | None
    admin: bool


@dataclass(frozen=True)
class Scope:
    """Where a (sub)expression is evaluated: the table whose row it reads, the kinds of scope
    that row shares with the outer row (all of them for the outer row itself), and helper
    function parameters bound to outer columns."""

    table: Table
    kinds: frozenset[str]
    params: tuple[tuple[str, str], ...] = ()
    depth: int = 0


class Evaluator:
    """Evaluates predicates of one schema; results are remembered per (text, table, facts)."""

    def __init__(self, schema: Schema, scoping: Scoping, admin_names: frozenset[str]):
        self.schema, self.scoping, self.admin_names = schema, scoping, admin_names
        self.known = dict(scoping.lint.known)
        self.memo: dict = {}
        self._helpers = [f.name for f in schema.functions if f.language == "sql" and f.name not in admin_names]

    def evaluate(self, text: str | None, table: Table, facts: Facts) -> Value:
        """The value of one SQL predicate (None: no clause, which PostgreSQL treats as true)."""
        if text is None:
            return T_ALWAYS
        # a predicate that reads no other row decides alike on every table with the same scope columns
        reads = _READS_ROWS.search(text) or any(f in text for f in self._helpers)
        key = (text, table.key if reads else tuple(sorted(self.scoping.columns(table).items())), facts)
        if key not in self.memo:
            node = parse_expr(text)
            self.memo[key] = Value(MAYBE, cond=text) if node is None else \
                self._eval(node, Scope(table, frozenset({"tenant", "owner"})), facts)
        return self.memo[key]

    # ------------------------------------------------------------ nodes

    def _eval(self, node, sc: Scope, facts: Facts) -> Value:
        op = _boolop(node)
        if op == "NOT":
            return negate(self._eval(node.args[0], sc, facts))
        if op == "AND":
            return both([self._eval(a, sc, facts) for a in node.args])
        if op == "OR":
            return either([self._eval(a, sc, facts) for a in node.args])
        return self._term(node, sc, facts)

    def _term(self, node, sc: Scope, facts: Facts) -> Value:
        const = truth(node)
        if const is not None:
            return T_ALWAYS if const else F
        if admin_call(node, self.admin_names):
            return Value(TRUE, frozenset({"admin"})) if facts.admin else F
        scoped = scope_term(node, self.known)
        if scoped is not None:
            return self._scope(scoped[0], scoped[1], sc, facts, node)
        for fn in (_role_test, _signed_in_test):
            got = fn(node, facts, self.known)
            if got is not None:
                return got
        got = self._call(node, sc, facts) if sc.depth < MAX_DEPTH else None
        if got is None:
            got = self._exists(node, sc, facts) if sc.depth < MAX_DEPTH else None
        return got if got is not None else Value(MAYBE, cond=deparse(node))

    def _scope(self, column: str, kind: str, sc: Scope, facts: Facts, node) -> Value:
        """`column = <current tenant or user>`: decided when `column` is the table's scope column
        of that kind and the row shares that scope with the outer row, else a condition."""
        if kind not in sc.kinds or self.scoping.columns(sc.table).get(column) != kind:
            return Value(MAYBE, cond=deparse(node))
        state = facts.tenant if kind == "tenant" else facts.user
        if state is None:
            return N                        # the setting is unset: NULL, fail closed
        mine = "same" if kind == "tenant" else "owner"
        return Value(TRUE, frozenset({kind})) if state == mine else F

    # ------------------------------------------------------------ helper functions

    def _call(self, node, sc: Scope, facts: Facts) -> Value | None:
        """A boolean SQL function of the spec: its body, with parameters bound to the
        arguments that are columns of the row."""
        from pglast import ast
        node = _scalar(node)
        if not isinstance(node, ast.FuncCall):
            return None
        f = self._function(getattr(node.funcname[-1], "sval", ""), len(node.args or ()))
        body = _body_expression(f) if f else None
        if body is None:
            return None
        params = []
        for i, (name, arg) in enumerate(zip(_param_names(f), node.args or ())):
            col = self._outer_column(arg, sc)
            if col:
                params += [(name, col), (f"${i + 1}", col)]
        inner = Scope(sc.table, sc.kinds, tuple(params), sc.depth + 1)
        got = self._eval(body, inner, facts)
        return got if got.truth != MAYBE else Value(MAYBE, got.via, deparse(node))

    def _function(self, name: str, arity: int) -> Function | None:
        for f in self.schema.functions:
            if f.name == name and f.language == "sql" and f.returns.strip().lower() in ("boolean", "bool") \
                    and len(_param_names(f)) == arity:
                return f
        return None

    def _outer_column(self, node, sc: Scope) -> str | None:
        """The outer row's column a reference names (directly or through a bound parameter)."""
        from pglast import ast
        node = _scalar(node)
        if isinstance(node, ast.ParamRef):
            return dict(sc.params).get(f"${node.number}")
        if not isinstance(node, ast.ColumnRef) or len(node.fields) != 1:
            return None
        name = column_name(node)
        bound = dict(sc.params).get(name)
        if bound:
            return bound
        return name if not sc.params and sc.table.column(name) is not None else None

    # ------------------------------------------------------------ EXISTS over a parent

    def _exists(self, node, sc: Scope, facts: Facts) -> Value | None:
        """EXISTS (SELECT … FROM parent p WHERE p.key = <the row's reference> AND …): the parent
        row is the one the row points at; its scope terms decide for the kinds the row is
        scoped by through that reference."""
        from pglast import ast
        if not (isinstance(node, ast.SubLink) and int(node.subLinkType) == 0
                and isinstance(node.subselect, ast.SelectStmt) and node.subselect.fromClause):
            return None
        sel = node.subselect
        aliases = self._aliases(sel.fromClause)
        if not aliases:
            return None
        terms = conjuncts(sel.whereClause) + [c for j in _joins(sel.fromClause) for c in conjuncts(j.quals)]
        linked = self._links(terms, aliases, sc)
        values = []
        for term in terms:
            if id(term) in linked:
                values.append(Value(TRUE))                   # the parent exists (the key holds)
                continue
            values.append(self._inner(term, aliases, linked, sc, facts))
        got = both(values)
        return got if got.truth != MAYBE else Value(MAYBE, got.via, deparse(node))

    def _aliases(self, from_clause) -> dict[str, Table]:
        from pglast import ast
        from generator.lint.predicates import walk
        out = {}
        for n in walk(list(from_clause)):
            if isinstance(n, ast.RangeVar):
                t = self.schema.table(n.relname, n.schemaname or "public")
                if t is None:
                    return {}
                out[n.alias.aliasname if n.alias else n.relname] = t
        return out

    def _links(self, terms, aliases: dict[str, Table], sc: Scope) -> dict[int, tuple[str, frozenset[str]]]:
        """Conjuncts `p.col = <outer column>` that follow a foreign key of the outer row to p:
        id(term) -> (alias, the scope kinds the outer row shares with p through that key)."""
        from pglast import ast
        out = {}
        for term in terms:
            if not (isinstance(term, ast.A_Expr) and _operator(term) == "="):
                continue
            for mine, other in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                alias, col = _qualified(mine, aliases)
                outer = self._outer_column(other, sc) if alias and not _inner_name(other, aliases) else None
                if outer is None:
                    continue
                kinds = self._shared_kinds(sc, aliases[alias], outer, col)
                if kinds is not None:
                    out[id(term)] = (alias, kinds)
        return out

    def _shared_kinds(self, sc: Scope, parent: Table, outer: str, col: str) -> frozenset[str] | None:
        """The scope kinds a row shares with the parent its key (outer -> parent.col) points at:
        those it is scoped by through that key (verify's inference), or carries along in it."""
        for fk in sc.table.foreign_keys:
            if (fk.ref_schema, fk.ref_table) != parent.key or (outer, col) not in zip(fk.columns, fk.ref_columns):
                continue
            derived = self.scoping.derived.get(sc.table.key, {})
            kinds = {k for k, ts in derived.items() if ts.derived and fk in ts.via} | set(fk.scope)
            return frozenset(kinds) & sc.kinds
        return None

    def _inner(self, term, aliases: dict[str, Table], linked: dict, sc: Scope, facts: Facts) -> Value:
        """A conjunct inside the EXISTS: a scope term of a linked parent decides; else residual."""
        scoped = scope_term(term, self.known)
        if scoped is not None:
            alias = _alias_of(term, aliases)
            link = next((k for a, k in linked.values() if a == alias), None)
            if alias and link is not None:
                return self._scope(scoped[0], scoped[1], Scope(aliases[alias], link), facts, term)
        if admin_call(term, self.admin_names):
            return Value(TRUE, frozenset({"admin"})) if facts.admin else F
        const = truth(term)
        if const is not None:
            return T_ALWAYS if const else F
        return Value(MAYBE, cond=deparse(term))


# ---------------------------------------------------------------- small AST helpers

def _boolop(node) -> str | None:
    from pglast import ast
    return {0: "AND", 1: "OR", 2: "NOT"}[int(node.boolop)] if isinstance(node, ast.BoolExpr) else None


def _operator(node) -> str:
    from pglast.enums import A_Expr_Kind
    if node.kind == A_Expr_Kind.AEXPR_OP and node.name:
        return getattr(node.name[-1], "sval", "")
    return ""


def _qualified(node, aliases: dict[str, Table]) -> tuple[str | None, str | None]:
    """(alias, column) of `alias.column` (or of a bare column only one inner table has)."""
    from pglast import ast
    node = _scalar(node)
    if not isinstance(node, ast.ColumnRef):
        return None, None
    names = [getattr(f, "sval", None) for f in node.fields]
    if len(names) >= 2 and names[-2] in aliases and aliases[names[-2]].column(names[-1]):
        return names[-2], names[-1]
    return None, None


def _inner_name(node, aliases: dict[str, Table]) -> bool:
    """A bare column name an inner table has (SQL resolves it there, not to the outer row)."""
    from pglast import ast
    node = _scalar(node)
    return isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and any(
        t.column(column_name(node) or "") for t in aliases.values())


def _alias_of(term, aliases: dict[str, Table]) -> str | None:
    from pglast import ast
    for side in (term.lexpr, term.rexpr) if isinstance(term, ast.A_Expr) else ():
        alias, _ = _qualified(side, aliases)
        if alias:
            return alias
    return None


def _joins(from_clause):
    from pglast import ast
    from generator.lint.predicates import walk
    return [n for n in walk(list(from_clause)) if isinstance(n, ast.JoinExpr) and n.quals is not None]


def _param_names(f: Function) -> list[str]:
    from generator.db.types import split_top_level
    if not f.args.strip():
        return []
    out = []
    for a in split_top_level(f.args):
        words = a.strip().split()
        if words and words[0].upper() in ("IN", "INOUT", "OUT", "VARIADIC"):
            words = words[1:]
        out.append(words[0].strip('"') if len(words) > 1 else "")
    return out


def _body_expression(f: Function):
    """The boolean expression of a `SELECT <expr>` body (no FROM), or None."""
    from pglast import ast, parse_sql
    try:
        stmts = parse_sql(f.body)
    except Exception:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        return None
    sel = stmts[0].stmt
    if sel.fromClause or sel.whereClause or not sel.targetList or len(sel.targetList) != 1:
        return None
    return sel.targetList[0].val


_ROLE_CALL = re.compile(r"^\s*auth\.role\(\)\s*=\s*'([^']*)'\s*$|^\s*'([^']*)'\s*=\s*auth\.role\(\)\s*$",
                        re.IGNORECASE)


def _role_test(node, facts: Facts, known) -> Value | None:
    """`auth.role() = 'authenticated'` (Supabase): true for that role only."""
    m = _ROLE_CALL.match(deparse(node))
    if not m:
        return None
    return Value(TRUE, frozenset({"role"})) if facts.role == (m.group(1) or m.group(2)) else F


def _signed_in_test(node, facts: Facts, known) -> Value | None:
    """`<current user or tenant> IS [NOT] NULL`."""
    from pglast import ast
    if not isinstance(node, ast.NullTest):
        return None
    kind = principal_kind(node.arg, known)
    if kind is None:
        return None
    present = (facts.tenant if kind == "tenant" else facts.user) is not None
    is_null = int(node.nulltesttype) == 0
    return Value(TRUE, frozenset({"role"})) if present != is_null else F
