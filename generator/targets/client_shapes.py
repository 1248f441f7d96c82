"""What typed clients need to know about each column, view and function: the Row / Insert / Update
shape of a table (nullable, optional on insert, never written), view columns traced to the table
columns they select, and function arguments split from their SQL text. Shared by `typescript`
and `pydantic`; the type maps themselves live beside each target."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.model import Column, DataType, Function, Schema, Table, View


@dataclass(frozen=True)
class Field:
    name: str
    type: DataType | None       # None: not known statically (an expression in a view)
    nullable: bool
    insert_optional: bool       # has a default, identity or may be NULL
    generated: bool             # GENERATED ALWAYS: never written
    comment: str | None = None  # the column's description: a contract such as optimistic locking's


def table_fields(table: Table) -> list[Field]:
    return [column_field(c) for c in table.columns]


def column_field(c: Column) -> Field:
    generated = c.generated is not None or c.identity == "always"
    optional = c.nullable or c.default is not None or c.identity is not None or generated
    return Field(c.name, c.type, c.nullable, optional, generated, c.comment)


def view_fields(schema: Schema, view: View) -> list[Field]:
    """Columns of a view's select list; a column traced to a table column keeps its type (views
    make every column nullable, as PostgreSQL reports them); anything else has type None."""
    try:
        import sqlglot
        from sqlglot import exp
        tree = sqlglot.parse_one(view.query, read="postgres")
    except Exception:   # the resolver parsed it already; a failure here only loses the types
        return []
    if not isinstance(tree, exp.Select):
        return []
    aliases = {}
    from_ = tree.args.get("from") or tree.args.get("from_")     # sqlglot renamed the key in 30.x
    for source in [from_] + list(tree.args.get("joins") or []):
        table_expr = source.this if source is not None else None
        if isinstance(table_expr, exp.Table):
            found = schema.table(table_expr.name, table_expr.db or view.schema)
            if found is not None:
                aliases[table_expr.alias_or_name] = found
    out: list[Field] = []
    for item in tree.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            qualifier = item.table if isinstance(item, exp.Column) else ""
            for alias, t in aliases.items():
                if not qualifier or qualifier == alias:
                    out += [Field(c.name, c.type, True, True, False) for c in t.columns]
            continue
        name = item.alias_or_name
        inner = item.this if isinstance(item, exp.Alias) else item
        out.append(Field(name, _traced_type(inner, aliases), True, True, False))
    return out


def _traced_type(node, aliases: dict[str, Table]) -> DataType | None:
    """A column's type; count(...) is bigint, min/max their argument's, sum/avg numeric."""
    from sqlglot import exp
    if isinstance(node, exp.Count):
        return DataType("bigint")
    if isinstance(node, (exp.Max, exp.Min)):
        return _traced_type(node.this, aliases)
    if isinstance(node, (exp.Sum, exp.Avg)):
        return DataType("numeric")
    if not isinstance(node, exp.Column):
        return None
    tables = [aliases[node.table]] if node.table in aliases else list(aliases.values())
    for t in tables:
        col = t.column(node.name)
        if col is not None:
            return col.type
    return None


@dataclass(frozen=True)
class Argument:
    name: str
    type_sql: str
    optional: bool


def function_args(fn: Function) -> list[Argument]:
    """`a uuid, b text DEFAULT 'x'` -> arguments; unnamed or OUT arguments are left out."""
    out = []
    for part in _split_top(fn.args):
        words = part.strip()
        if not words:
            continue
        mode = re.match(r"(?i)^(in|out|inout|variadic)\s+", words)
        if mode and mode.group(1).lower() == "out":
            continue
        words = words[mode.end():] if mode else words
        default = re.search(r"(?i)\s+(default\s|=)", words)
        optional = default is not None
        head = words[:default.start()] if default else words
        name, _, type_sql = head.strip().partition(" ")
        if type_sql:
            out.append(Argument(name.strip('"'), type_sql.strip(), optional))
    return out


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def client_functions(schema: Schema) -> list[Function]:
    """Functions a client can call: not trigger functions."""
    return [f for f in schema.functions if f.returns.strip().lower() != "trigger"]


def parse_type(sql: str, schema: Schema) -> DataType | None:
    """A function's argument or return type as a DataType (enums found in the schema); None when
    it is not one gen knows (a table type, a record, a pseudo-type)."""
    from generator.model.types import TYPE_ALIASES
    text = sql.strip().lower()
    dims = 0
    while text.endswith("[]"):
        text, dims = text[:-2].strip(), dims + 1
    text = re.sub(r"\(.*\)$", "", text).strip()
    if text in TYPE_ALIASES:
        return DataType(TYPE_ALIASES[text], array_dims=dims)
    name = text.strip('"')
    sch, _, base = name.rpartition(".")
    enum = schema.enum(base, sch or "public")
    return DataType(enum.name, array_dims=dims, enum=True, schema=enum.schema) if enum else None


def schemas_of(schema: Schema) -> list[str]:
    """Every schema a client type lists: public first, then the others in order."""
    names = {t.schema for t in schema.tables} | {e.schema for e in schema.enums} | {"public"}
    names |= {v.schema for v in schema.views} | {f.schema for f in client_functions(schema)}
    return ["public"] + sorted(names - {"public"})
