"""Normalize a model.Schema so that a declared model and one inspected from PostgreSQL compare
equal when they mean the same thing: canonical SQL expressions (via sqlglot), type spellings,
defaults PostgreSQL implies, and a deterministic order. Pure: no database."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from functools import lru_cache, reduce
from typing import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from generator.db.types import (canonical_base, normalize_type, split_qualified, split_top_level, split_type,
                                type_text)
from generator.model import (Column, ForeignKey, Function, Grant, Index, IndexElement,
                             Policy, Schema, Table, Trigger, View)
from generator.model.naming import needs_quotes, qualified
from generator.model.types import TYPE_ALIASES

EVENT_ORDER = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
ALL_PRIVILEGES = ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE")
_BTREE_DEFAULTS = frozenset(
    "text_ops varchar_ops bpchar_ops int2_ops int4_ops int8_ops numeric_ops float4_ops float8_ops bool_ops "
    "uuid_ops date_ops timestamp_ops timestamptz_ops time_ops timetz_ops interval_ops enum_ops jsonb_ops "
    "bytea_ops oid_ops network_ops array_ops money_ops char_ops name_ops tsvector_ops record_ops".split())
# Operator classes PostgreSQL (or pgvector) uses when none is named; the inspector omits them.
DEFAULT_OPCLASSES = {
    "btree": _BTREE_DEFAULTS, "hash": _BTREE_DEFAULTS,
    "gin": frozenset({"array_ops", "jsonb_ops", "tsvector_ops"}),
    "gist": frozenset({"tsvector_ops", "range_ops", "point_ops", "box_ops"}),
    "hnsw": frozenset({"vector_l2_ops", "halfvec_l2_ops"}),
    "ivfflat": frozenset({"vector_l2_ops", "halfvec_l2_ops"}),
}
Expr = Callable[[str | None], str | None]
_VARCHAR = {"character varying", "character"}
_OPERATORS = (exp.Binary, exp.Not, exp.In, exp.Between)


# ---------------------------------------------------------------- expressions

def normalize_expression(sql: str | None, varchar_columns: frozenset[str] = frozenset(),
                         view: bool = False, table: str | None = None) -> str | None:
    """Canonical text of a SQL expression (see _normalize_expression), cached by what the answer
    depends on: `table` and `varchar_columns` count only when the text names them (a table's
    default `now()` is the same text on every table)."""
    if sql is None:
        return None
    low = sql.lower()
    if "u&" not in low:  # no Unicode-escaped identifier: a name the text does not spell is not in it
        if table is not None and '"' not in table and table.lower() not in low:
            table = None
        if varchar_columns:
            varchar_columns = frozenset(c for c in varchar_columns if '"' in c or c.lower() in low)
    return _normalize_expression(sql, varchar_columns, view, table)


@lru_cache(maxsize=8192)
def _normalize_expression(sql: str | None, varchar_columns: frozenset[str] = frozenset(),
                          view: bool = False, table: str | None = None) -> str | None:
    """Canonical text of a SQL expression (or, with `view`, a query). `varchar_columns` are
    columns whose `::text` casts PostgreSQL adds on its own; `table` is the table the
    expression belongs to (PostgreSQL qualifies its columns inside subqueries). Unparsable SQL
    is only folded. Runs to a fixed point: sqlglot reads some literals differently once their
    casts are gone."""
    if sql is None:
        return None
    context = _Context(varchar_columns, table)
    text = _once(sql, context, view)
    if text is None:
        return _fold(sql)
    for _ in range(3):
        again = _once(text, context, view)
        if again is None or again == text:
            break
        text = again
    return text


@dataclass(frozen=True)
class _Context:
    varchar_columns: frozenset[str]
    table: str | None


def _once(sql: str, context: _Context, view: bool) -> str | None:
    try:
        tree = sqlglot.parse_one(_protect_operators(sql), read="postgres")
    except SqlglotError:
        return None
    if tree is None:
        return None
    tree = normalize_identifiers(tree, dialect="postgres")
    tree = _rewrite(tree, _unparen)
    tree = _rewrite(tree, _negations)
    tree = _rewrite(tree, lambda n: _canonical(n, context))
    if view:
        tree = _view_top_level(tree)
    else:
        if isinstance(tree, exp.Query):     # `(SELECT f())` whose parentheses were lost
            tree = exp.Subquery(this=tree)
        _drop_subquery_aliases(tree)
    tree = _rewrite(tree, _parenthesize)
    return tree.sql(dialect="postgres", normalize_functions="lower")


_QUOTED = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")
# pgvector's distance operators, which sqlglot would read as MySQL's <=> or not at all.
_CUSTOM_OPERATORS = re.compile(r"(?<![<>=!~#+%@&|^?*/-])(<=>|<#>|<\+>|<~>|<%>)(?![<>=])")


def _protect_operators(sql: str) -> str:
    """Spell operators sqlglot does not know as OPERATOR(op), which it parses faithfully."""
    parts = _QUOTED.split(sql)
    return "".join(p if p[:1] in "'\"" else _CUSTOM_OPERATORS.sub(r" OPERATOR(\1) ", p) for p in parts)


def _fold(sql: str) -> str:
    """Fallback: collapse whitespace and lower-case outside quotes."""
    parts = _QUOTED.split(sql)
    return "".join(p if p[:1] in "'\"" else re.sub(r"\s+", " ", p.lower()) for p in parts).strip()


def _rewrite(node: exp.Expression, fn) -> exp.Expression:
    """Post-order rewrite: children first, then the node itself."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _rewrite(value, fn))
        elif isinstance(value, list):
            node.set(key, [_rewrite(v, fn) if isinstance(v, exp.Expression) else v for v in value])
    return fn(node)


def _unparen(node: exp.Expression) -> exp.Expression:
    """Drop grouping parentheses (re-added canonically later) and doubled subquery parens."""
    if isinstance(node, exp.Paren) and not isinstance(node.parent, exp.Any):
        return node.this
    if isinstance(node, exp.Subquery) and isinstance(node.this, (exp.Subquery, exp.Table)) and not node.alias:
        return node.this                    # ((SELECT ...)) and FROM (a JOIN b ON ...)
    return node


def _negations(node: exp.Expression) -> exp.Expression:
    """NOT BETWEEN -> < OR >, NOT IN (x) -> <>, IS NOT DISTINCT FROM, as PostgreSQL stores them."""
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Between):
        b = node.this
        return exp.Or(this=exp.LT(this=b.this.copy(), expression=b.args["low"]),
                      expression=exp.GT(this=b.this.copy(), expression=b.args["high"]))
    if isinstance(node, exp.Not) and isinstance(node.this, exp.In) and len(node.this.expressions) == 1:
        return exp.NEQ(this=node.this.this, expression=node.this.expressions[0])
    if isinstance(node, exp.Not) and isinstance(node.this, exp.NullSafeNEQ):
        return exp.NullSafeEQ(this=node.this.this, expression=node.this.expression)
    return node


def _is_literal(node: exp.Expression) -> bool:
    if isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
        return True
    if isinstance(node, exp.Neg):
        return isinstance(node.this, exp.Literal)
    if isinstance(node, exp.Array):
        return all(_is_literal(e) for e in node.expressions)
    return False


def _number(text: str) -> exp.Expression | None:
    try:
        float(text)
    except ValueError:
        return None
    body = text.strip()
    if body.startswith("-"):
        return exp.Neg(this=exp.Literal.number(body[1:].strip()))
    return exp.Literal.number(body.lstrip("+"))


def _uncast(node: exp.Cast, context: _Context) -> exp.Expression:
    inner, to = node.this, node.args["to"]
    if _is_literal(inner):
        if isinstance(inner, exp.Literal) and inner.is_string and to.is_type(*exp.DataType.NUMERIC_TYPES):
            return _number(inner.this) or inner
        return inner
    if isinstance(inner, exp.Column) and inner.name in context.varchar_columns and to.is_type(exp.DataType.Type.TEXT):
        return inner
    return node


def _array_elements(node: exp.Expression) -> list[exp.Expression] | None:
    """Elements of ARRAY[...] under ANY(...)/ALL(...), else None."""
    target = node.this if isinstance(node, exp.Any) else None
    if isinstance(node, exp.All) or (isinstance(node, exp.Anonymous) and node.name.upper() == "ALL"):
        target = node.this if isinstance(node, exp.All) else (node.expressions or [None])[0]
    while isinstance(target, exp.Paren):
        target = target.this
    return list(target.expressions) if isinstance(target, exp.Array) else None


def _in(this: exp.Expression, items: list[exp.Expression], negate: bool) -> exp.Expression:
    if len(items) == 1:
        return (exp.NEQ if negate else exp.EQ)(this=this, expression=items[0])
    node = exp.In(this=this, expressions=items)
    return exp.Not(this=node) if negate else node


def _flatten(node: exp.Connector) -> exp.Expression:
    operands: list[exp.Expression] = []
    for side in (node.this, node.expression):
        operands.extend(side.flatten() if type(side) is type(node) else [side])
    return reduce(lambda left, right: type(node)(this=left, expression=right), operands)


def _canonical(node: exp.Expression, context: _Context) -> exp.Expression:
    """One node: strip casts PostgreSQL adds, IN <-> = ANY, BETWEEN -> >= AND <=, identifiers."""
    if isinstance(node, exp.Cast):
        return _uncast(node, context)
    if isinstance(node, exp.Interval):
        unit = node.args.get("unit")
        return exp.Literal.string(f"{node.this.name} {unit.name}".lower() if unit else node.this.name.lower())
    if isinstance(node, exp.Between):
        return exp.And(this=exp.GTE(this=node.this.copy(), expression=node.args["low"]),
                       expression=exp.LTE(this=node.this.copy(), expression=node.args["high"]))
    if isinstance(node, exp.In) and not node.args.get("query") and len(node.expressions) == 1:
        return _in(node.this, list(node.expressions), negate=False)
    if isinstance(node, (exp.EQ, exp.NEQ)):
        items = _array_elements(node.expression)
        if items is not None and isinstance(node, exp.EQ) == isinstance(node.expression, exp.Any):
            return _in(node.this, items, negate=isinstance(node, exp.NEQ))
    if isinstance(node, exp.Connector):
        return _flatten(node)
    if isinstance(node, exp.SimilarTo):        # PostgreSQL stores it as a regex match
        escape = exp.Anonymous(this="similar_to_escape", expressions=[node.expression])
        return exp.RegexpLike(this=node.this, expression=escape)
    if isinstance(node, exp.Operator):
        node.set("operator", node.args["operator"].removeprefix("public.").removeprefix("pg_catalog."))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "transaction_timestamp" and not node.expressions:
        return exp.CurrentTimestamp()
    if isinstance(node, exp.Table) and node.args.get("db") and node.args["db"].name == "public":
        node.set("db", None)
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) and node.this.name == "public" \
            and isinstance(node.expression, exp.Func):
        return node.expression               # public.f() -> f(), as PostgreSQL prints it
    if isinstance(node, exp.Column) and context.table and node.table == context.table and not node.args.get("db"):
        node.set("table", None)              # own-table qualifier PostgreSQL adds in subqueries
    if isinstance(node, exp.Identifier):
        node.set("quoted", needs_quotes(node.name))
    return node


def _parenthesize(node: exp.Expression) -> exp.Expression:
    """Wrap operator operands that are operators themselves, so the text is unambiguous."""
    if isinstance(node, _OPERATORS) and not isinstance(node, exp.Dot):
        for key in ("this", "expression"):
            child = node.args.get(key)
            chained = key == "this" and isinstance(node, exp.Connector) and type(child) is type(node)
            if isinstance(child, _OPERATORS) and not isinstance(child, exp.Dot) and not chained:
                node.set(key, exp.Paren(this=child))
    return node


def _drop_subquery_aliases(tree: exp.Expression) -> None:
    """Output names of a scalar/EXISTS subquery mean nothing; PostgreSQL adds `AS name`."""
    for select in tree.find_all(exp.Select):
        select.set("expressions", [p.this if isinstance(p, exp.Alias) else p for p in select.expressions])


def _auto_name(node: exp.Expression) -> str | None:
    """The column name PostgreSQL gives an unaliased select item, where easy to tell."""
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return type(node).sql_names()[0].lower()
    return None


def _view_top_level(tree: exp.Expression) -> exp.Expression:
    """In a view's outer SELECT: drop redundant aliases and, with a single table and no
    joins, the table qualifier PostgreSQL leaves off."""
    if not isinstance(tree, exp.Select):
        return tree
    tree.set("expressions", [p.this if isinstance(p, exp.Alias) and _auto_name(p.this) == p.alias else p
                             for p in tree.expressions])
    source = tree.args.get("from_")
    if source and isinstance(source.this, exp.Table) and not tree.args.get("joins"):
        names = {source.this.name, source.this.alias_or_name}
        for column in tree.find_all(exp.Column):
            if column.table in names and column.find_ancestor(exp.Select) is tree:
                column.set("table", None)
    return tree


# ---------------------------------------------------------------- functions and names

_ARG_DEFAULT = re.compile(r"\s+DEFAULT\s+|\s*=\s*", re.IGNORECASE)
_MODES = ("in", "out", "inout", "variadic")


def normalize_args(args: str) -> str:
    """`IN p_id uuid, n int default 10` -> `p_id uuid, n integer DEFAULT 10`."""
    out = []
    for arg in split_top_level(args):
        pieces = _ARG_DEFAULT.split(arg, maxsplit=1)
        head, default = pieces[0], pieces[1] if len(pieces) > 1 else None
        words = head.split()
        mode = words.pop(0).upper() + " " if words and words[0].lower() in _MODES and len(words) > 1 else ""
        mode = "" if mode == "IN " else mode
        whole = " ".join(words)
        if " ".join(split_type(whole)[0].lower().split()) in TYPE_ALIASES or len(words) == 1:
            text = type_text(whole)
        else:
            text = f"{words[0]} {type_text(' '.join(words[1:]))}"
        if default is not None:
            text += " DEFAULT " + normalize_expression(default)
        out.append(mode + text)
    return ", ".join(out)


def _returns(text: str) -> str:
    stripped = text.strip()
    if stripped.lower().startswith("setof "):
        return "SETOF " + type_text(stripped[6:])
    if stripped.lower().startswith("table") and stripped.endswith(")"):
        return "TABLE(" + normalize_args(stripped[stripped.index("(") + 1:-1]) + ")"
    return type_text(stripped)


def _body(body: str) -> str:
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").split("\n")]
    return textwrap.dedent("\n".join(lines)).strip()


def _search_path(value: str | None) -> str | None:
    if value is None:
        return None
    return ", ".join(p for p in (x.strip().strip("'\"") for x in value.split(",")) if p)


def _function_name(name: str) -> str:
    schema, fn = split_qualified(name.strip().removesuffix("()"))
    return qualified(schema, fn)


def _collation(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip().strip('"')
    return None if name.lower() == "default" else name


# ---------------------------------------------------------------- objects

def _grants(grants: tuple[Grant, ...], version: int) -> tuple[Grant, ...]:
    """One table grant per role (ALL spelled out), one column grant per role and privilege."""
    every = ALL_PRIVILEGES + (("MAINTAIN",) if version >= 17 else ())
    merged: dict[str, set[str]] = {}
    columns: dict[tuple[str, str], set[str]] = {}
    for g in grants:
        role = "public" if g.role.upper() == "PUBLIC" else g.role
        for p in g.privileges:
            p = " ".join(p.upper().split())
            if g.columns:
                columns.setdefault((role, p), set()).update(g.columns)
            else:
                merged.setdefault(role, set()).update(every if p in ("ALL", "ALL PRIVILEGES") else (p,))
    out = [Grant(r, tuple(sorted(ps))) for r, ps in merged.items()]
    out += [Grant(r, (p,), tuple(sorted(cs))) for (r, p), cs in columns.items()]
    return tuple(sorted(out, key=lambda g: (g.role, bool(g.columns), g.privileges, g.columns)))


def _element(e: IndexElement, expr: Expr, method: str) -> IndexElement:
    expression, column = expr(e.expression), e.column
    if expression is not None and re.fullmatch(r"[a-z_][a-z0-9_$]*|\"(?:[^\"]|\"\")+\"", expression):
        column, expression = split_qualified(expression)[1], None
    opclass = e.opclass.lower() if e.opclass else None
    nulls = e.nulls.lower() if e.nulls else None
    if nulls == ("first" if e.descending else "last"):
        nulls = None
    return IndexElement(column=column, expression=expression,
                        opclass=None if opclass in DEFAULT_OPCLASSES.get(method, ()) else opclass,
                        descending=e.descending, nulls=nulls, collation=_collation(e.collation))


def _index(i: Index, expr: Expr) -> Index:
    method = i.method.lower()
    return replace(i, method=method, elements=tuple(_element(e, expr, method) for e in i.elements),
                   where=expr(i.where),
                   params=tuple(sorted((str(k).lower(), str(v).lower()) for k, v in i.params)))


def _policy(p: Policy, expr: Expr) -> Policy:
    roles = sorted({"public" if r.upper() == "PUBLIC" else r for r in p.roles})
    roles = ["public"] if "public" in roles else roles     # PostgreSQL ignores the others
    return replace(p, command=p.command.upper(), roles=tuple(roles),
                   using=expr(p.using), check=expr(p.check))


def _trigger(t: Trigger, expr: Expr) -> Trigger:
    events = {e.upper() for e in t.events}
    return replace(t, function=_function_name(t.function), timing=" ".join(t.timing.upper().split()),
                   events=tuple(e for e in EVENT_ORDER if e in events), level=t.level.upper(),
                   when=expr(t.when))


def _column(c: Column, pk: set[str], expr: Expr) -> Column:
    default = None if c.default is None or c.default.strip().lower() == "null" else c.default
    return replace(c, type=normalize_type(c.type),
                   nullable=c.nullable and c.name not in pk and not c.identity,
                   default=expr(default), generated=expr(c.generated),
                   identity=" ".join(c.identity.lower().split()) if c.identity else None,
                   collation=_collation(c.collation))


def _action(action: str) -> str:
    return " ".join(action.upper().split())


def _foreign_key(fk: ForeignKey) -> ForeignKey:
    return replace(fk, on_delete=_action(fk.on_delete), on_update=_action(fk.on_update), match=fk.match.upper())


def _by_name(items) -> tuple:
    return tuple(sorted(items, key=lambda x: x.name))


def normalize_table(t: Table, version: int = 16) -> Table:
    varchar = frozenset(c.name for c in t.columns if canonical_base(c.type.base) in _VARCHAR and not c.type.enum)
    pk = set(t.primary_key.columns) if t.primary_key else set()

    def expr(sql: str | None) -> str | None:
        return normalize_expression(sql, varchar, table=t.name)

    return replace(
        t, columns=tuple(_column(c, pk, expr) for c in t.columns),
        foreign_keys=_by_name(_foreign_key(fk) for fk in t.foreign_keys), uniques=_by_name(t.uniques),
        checks=_by_name(replace(c, expression=expr(c.expression)) for c in t.checks),
        indexes=_by_name(_index(i, expr) for i in t.indexes),
        policies=_by_name(_policy(p, expr) for p in t.policies),
        triggers=_by_name(_trigger(tr, expr) for tr in t.triggers), grants=_grants(t.grants, version))


def normalize_function(f: Function) -> Function:
    execute = None if f.execute is None else tuple(sorted({"public" if r.upper() == "PUBLIC" else r
                                                           for r in f.execute}))
    return replace(f, returns=_returns(f.returns), body=_body(f.body), args=normalize_args(f.args),
                   language=f.language.lower(), volatility=f.volatility.upper(),
                   search_path=_search_path(f.search_path), execute=execute)


def normalize_view(v: View, version: int = 16) -> View:
    def expr(sql: str | None) -> str | None:
        return normalize_expression(sql, table=v.name)

    return replace(v, query=normalize_expression(v.query.strip().rstrip(";"), view=True),
                   grants=_grants(v.grants, version), indexes=_by_name(_index(i, expr) for i in v.indexes),
                   triggers=_by_name(_trigger(tr, expr) for tr in v.triggers),
                   security_invoker=v.security_invoker and not v.materialized)


def normalize(schema: Schema) -> Schema:
    """The canonical form of `schema` for comparison. The name is blanked and roles dropped
    (roles are cluster-wide); metadata fields that never compare are left as they are."""
    version = schema.settings.version
    return replace(
        schema, name="normalized", roles=(),
        tables=tuple(sorted((normalize_table(t, version) for t in schema.tables), key=lambda t: t.key)),
        enums=tuple(sorted(schema.enums, key=lambda e: e.key)),
        extensions=tuple(sorted((replace(e, name=e.name.lower(), schema=None if e.schema == "public" else e.schema)
                                 for e in schema.extensions), key=lambda e: e.name)),
        functions=tuple(sorted((normalize_function(f) for f in schema.functions), key=lambda f: f.key)),
        views=tuple(sorted((normalize_view(v, version) for v in schema.views), key=lambda v: v.key)),
        schemas=tuple(sorted(set(schema.schemas) - {"public"})))
