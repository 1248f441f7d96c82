"""Rows that grant access to whoever they name: a boolean SQL helper a policy calls (`is_staff()`,
`is_member(org)`) that decides by finding a row of a spec table whose identity columns equal the
current user or tenant (`m.user_id = auth.uid()`). Whoever may write such a row for themselves
grants themselves the access: lint RL018 flags a grant table the application may insert into
freely, and verify tries the self-grant as the application role."""
from __future__ import annotations

from dataclasses import dataclass

from generator.model import Function, Schema, Table
from generator.model.access import (_CURRENT_USER, _aliases, _calls, _op, _parse, _resolve, _tables, _walk,
                                     _walk_list)


@dataclass(frozen=True)
class GrantLookup:
    """`function` is true when a row of `table` has `identity` columns equal to the current user's
    (column -> the SQL expression it is compared with)."""

    function: Function
    table: tuple[str, str]
    identity: tuple[tuple[str, str], ...]

    @property
    def call(self) -> str:
        return f"{self.function.schema}.{self.function.name}()"


def grant_lookups(schema: Schema, owned: bool = True) -> list[GrantLookup]:
    """Argument-less boolean SQL functions that policies call and that look up a row of a spec table
    by the current identity. owned=False leaves out tables whose identity column is their owner
    column (users keeping their own rows is what `owner:` declares)."""
    called: set[str] = set()
    for t in schema.tables:
        for p in t.policies:
            called |= _calls(p.using or "") | _calls(p.check or "")
    tables = _tables(schema)
    out: list[GrantLookup] = []
    for f in schema.functions:
        if f.name not in called or f.language != "sql" or f.args.strip() \
                or f.returns.strip().lower() not in ("boolean", "bool"):
            continue
        for table, identity in _lookups(f.body, tables):
            t = schema.tables_by_key.get(table)
            if t is not None and (owned or not (t.meta.owner_column and t.meta.owner_column in dict(identity))):
                out.append(GrantLookup(f, table, identity))
    return sorted(out, key=lambda g: (g.function.key, g.table))


def _lookups(body: str, tables: dict[str, Table]) -> list[tuple[tuple[str, str], tuple[tuple[str, str], ...]]]:
    """(table key, ((column, current-identity expression), ...)) per table a SELECT of `body` reads."""
    from pglast import ast
    from pglast.stream import RawStream
    tree = _parse(body)
    if tree is None:
        return []
    found: dict[tuple[str, str], dict[str, str]] = {}
    for select in _walk(tree):
        if not (isinstance(select, ast.SelectStmt) and select.fromClause):
            continue
        aliases = _aliases(select.fromClause, tables)
        conditions = [select.whereClause] + [j.quals for j in _walk_list(select.fromClause)
                                             if isinstance(j, ast.JoinExpr)]
        for cond in conditions:
            for node in _walk(cond) if cond is not None else ():
                if not (isinstance(node, ast.A_Expr) and _op(node) in ("=", "IS NOT DISTINCT FROM")):
                    continue
                sides = (node.lexpr, node.rexpr)
                for mine, other in (sides, sides[::-1]):
                    got = _resolve(mine, aliases) if isinstance(mine, ast.ColumnRef) else None
                    if got is None or isinstance(other, ast.ColumnRef):
                        continue
                    try:
                        text = RawStream()(other)
                    except Exception:      # pragma: no cover - pglast prints what it parsed
                        continue
                    if _CURRENT_USER.search(text):
                        found.setdefault(got[0].key, {})[got[1]] = text
    return [(k, tuple(sorted(v.items()))) for k, v in sorted(found.items())]
