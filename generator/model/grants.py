"""Rows that grant access to whoever they name: a boolean SQL helper a policy calls (`is_staff()`,
`is_member(org)`) that decides by finding a row of a spec table whose identity columns equal the
current user or tenant (`m.user_id = auth.uid()`). Whoever may write such a row for themselves
grants themselves the access: lint RL019 flags a grant table the application may insert into
freely, the resolver guards its identity columns on UPDATE, and verify tries the self-grant as
the application role. A helper with parameters counts when each parameter is compared with a
foreign-key column of the row (`m.org_id = org`): the row then grants access to an existing
parent, which is what an attacker would point it at."""
from __future__ import annotations

from dataclasses import dataclass

from generator.model import Function, Schema, Table
from generator.model.access import (_CURRENT_USER, _aliases, _calls, _parse, _resolve, _tables, _walk,
                                     conditions, equalities)


@dataclass(frozen=True)
class GrantLookup:
    """`function` is true when a row of `table` has `identity` columns equal to the current user's
    (column -> the SQL expression it is compared with) and, per parameter in order, the column
    `params` names equal to the argument."""

    function: Function
    table: tuple[str, str]
    identity: tuple[tuple[str, str], ...]
    params: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """`public.is_staff()`, `public.is_member(<org_id>)`: for messages."""
        return self.call(tuple(f"<{c}>" for c in self.params))

    def call(self, args: tuple[str, ...] = ()) -> str:
        return f"{self.function.schema}.{self.function.name}({', '.join(args)})"


def grant_lookups(schema: Schema, owned: bool = True) -> list[GrantLookup]:
    """Boolean SQL functions that policies call and that look up a row of a spec table by the
    current identity (and by their parameters, each bound to a foreign-key column of that row).
    owned=False leaves out tables whose identity column is their owner column (users keeping
    their own rows is what `owner:` declares)."""
    called: set[str] = set()
    for t in schema.tables:
        for p in t.policies:
            called |= _calls(p.using or "") | _calls(p.check or "")
    tables = _tables(schema)
    out: list[GrantLookup] = []
    for f in schema.functions:
        if f.name not in called or f.language != "sql" or f.returns.strip().lower() not in ("boolean", "bool"):
            continue
        names = _param_names(f.args)
        for table, identity, bound in _lookups(f.body, tables, names):
            t = schema.tables_by_key.get(table)
            if t is None or (not owned and t.meta.owner_column and t.meta.owner_column in dict(identity)):
                continue
            params = tuple(bound.get(i) for i in range(len(names)))
            fk_cols = {c for fk in t.foreign_keys for c in fk.columns}
            if all(c is not None and c in fk_cols for c in params):
                out.append(GrantLookup(f, table, identity, params))
    return sorted(out, key=lambda g: (g.function.key, g.table))


def _param_names(args: str) -> list[str]:
    """Parameter names in order ('' for an unnamed one) of an argument list such as `org uuid`."""
    out = []
    for part in (a.strip() for a in args.split(",") if a.strip()):
        words = part.split()
        if words and words[0].upper() in ("IN", "INOUT", "VARIADIC"):
            words = words[1:]
        out.append(words[0].strip('"') if len(words) > 1 else "")
    return out


def _lookups(body: str, tables: dict[str, Table], params: list[str]):
    """(table key, ((column, current-identity expression), ...), {parameter index: column}) per
    table a SELECT of `body` reads by the current identity."""
    from pglast import ast
    tree = _parse(body)
    if tree is None:
        return []
    found: dict[tuple[str, str], dict[str, str]] = {}
    bound: dict[tuple[str, str], dict[int, str]] = {}
    for select in _walk(tree):
        if not (isinstance(select, ast.SelectStmt) and select.fromClause):
            continue
        aliases = _aliases(select.fromClause, tables)
        for cond in conditions(select):
            for _mine, (t, col), other in equalities(cond, aliases):
                index = _param_index(other, aliases, params)
                if index is not None:
                    bound.setdefault(t.key, {})[index] = col
                elif not isinstance(other, ast.ColumnRef) and _CURRENT_USER.search(_text(other)):
                    found.setdefault(t.key, {})[col] = _text(other)
    return [(k, tuple(sorted(v.items())), bound.get(k, {})) for k, v in sorted(found.items())]


def _param_index(node, aliases, params: list[str]) -> int | None:
    """The parameter `node` is ($n, or a parameter's name that no table in scope has as a column)."""
    from pglast import ast
    if isinstance(node, ast.ParamRef):
        return node.number - 1
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and _resolve(node, aliases) is None:
        name = getattr(node.fields[0], "sval", None)
        return params.index(name) if name in params else None
    return None


def _text(node) -> str:
    """The SQL of an expression node ('' where pglast cannot print it)."""
    from pglast.stream import RawStream
    try:
        return RawStream()(node)
    except Exception:      # pragma: no cover - pglast prints what it parsed
        return ""
