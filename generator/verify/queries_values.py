"""Turn a QueryShape into SQL with values from the loaded rows: a typical value (one of median
frequency, so the query is as selective as most real ones), a real array or JSON pair for
containment, a stored vector for nearest-neighbour; named queries' `:param`s likewise. Also
who may see the matching rows (their tenant and owner), for running the query as the app."""
from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from generator.model import Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.queries import Cond, QueryShape

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass
class Built:
    sql: str
    share: float | None = None       # share of the table's rows the WHERE matches (eq shapes)
    tenant: str | None = None        # tenant and owner of a matching row, for the app-role run
    owner: str | None = None
    problem: str = ""                # why no query could be built (no rows to take values from)


def _q(t: Table) -> str:
    return f"{quote_ident(t.schema)}.{quote_ident(t.name)}"


def _typed(value: str, type_sql: str) -> str:
    return f"{quote_literal(value)}::{type_sql}" if type_sql else quote_literal(value)


def _median(rows: list) -> tuple | None:
    return rows[len(rows) // 2] if rows else None


def _eq_values(conn: psycopg.Connection, t: Table, conds: list[Cond], where: str | None) -> tuple | None:
    exprs = [c.expr for c in conds]
    cols = ", ".join(f"({e})::text, pg_typeof({e})::text" for e in exprs)
    filt = " AND ".join(([f"({where})"] if where else []) + [f"({e}) IS NOT NULL" for e in exprs])
    groups = ", ".join(str(i + 1) for i in range(2 * len(exprs)))
    rows = conn.execute(f"SELECT {cols}, count(*) AS n FROM {_q(t)} WHERE {filt} GROUP BY {groups} "
                        f"ORDER BY n, {groups}").fetchall()
    return _median(rows)


def _median_of(conn: psycopg.Connection, t: Table, expr: str, where: list[str]) -> str | None:
    cond = " AND ".join(where) or "true"
    got = conn.execute(f"SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY {expr}))::text FROM {_q(t)} "
                       f"WHERE {cond}").fetchone()
    return got[0] if got else None


def _special(conn: psycopg.Connection, t: Table, c: Cond, where: str | None) -> str | None:
    pred = f"({where}) AND " if where else ""
    if c.kind == "nearest":
        order = ", ".join(quote_ident(x) for x in t.primary_key.columns) if t.primary_key else "1"
        got = conn.execute(f"SELECT {c.expr}::text FROM {_q(t)} WHERE {pred}{c.expr} IS NOT NULL "
                           f"ORDER BY {order} LIMIT 1").fetchone()
    elif c.kind == "contains" and c.type_sql == "jsonb":
        rows = conn.execute(f"SELECT jsonb_build_object(j.k, j.v)::text, count(*) FROM {_q(t)}, "
                            f"jsonb_each({c.expr}) AS j(k, v) WHERE {pred}jsonb_typeof({c.expr}) = 'object' "
                            "AND jsonb_typeof(j.v) IN ('number', 'string', 'boolean') GROUP BY 1 ORDER BY 2, 1"
                            ).fetchall()
        got = _median(rows)
    elif c.kind == "contains":
        got = conn.execute(f"SELECT {c.expr}::text FROM {_q(t)} WHERE {pred}cardinality({c.expr}) >= 2 "
                           f"ORDER BY md5({c.expr}::text) LIMIT 1").fetchone() or conn.execute(
            f"SELECT {c.expr}::text FROM {_q(t)} WHERE {pred}cardinality({c.expr}) >= 1 "
            f"ORDER BY md5({c.expr}::text) LIMIT 1").fetchone()
    elif c.kind == "match":
        got = conn.execute(f"SELECT word FROM ts_stat('SELECT {c.expr} FROM {_q(t)}') ORDER BY ndoc, word "
                           "LIMIT 1").fetchone()
    elif c.kind == "like":
        got = conn.execute(f"SELECT substr({c.expr}, 2, 5) FROM {_q(t)} WHERE {pred}length({c.expr}) >= 7 "
                           f"ORDER BY md5({c.expr}) LIMIT 1").fetchone()
    else:
        return None
    return got[0] if got else None


def build(conn: psycopg.Connection, schema: Schema, shape: QueryShape) -> Built:
    if shape.sql is not None:
        return _named(conn, schema, shape)
    t = shape.table
    where: list[str] = [f"({shape.where})"] if shape.where else []
    order: list[str] = []
    eqs = [c for c in shape.conds if c.kind == "eq"]
    if eqs:
        got = _eq_values(conn, t, eqs, shape.where)
        if got is None:
            return Built("", problem="no rows to take values from")
        for i, c in enumerate(eqs):
            where.append(f"{c.expr} = {_typed(got[2 * i], c.type_sql or got[2 * i + 1])}")
    for c in shape.conds:
        if c.kind == "order":
            order.append(f"{c.expr}{' DESC' if c.desc else ''}")
            if eqs:          # the recent half of the group: a range only this index serves too
                low = _median_of(conn, t, c.expr, where)
                if low is not None:
                    where.append(f"{c.expr} >= {_typed(low, c.type_sql)}")
        elif c.kind != "eq":
            value = _special(conn, t, c, shape.where)
            if value is None:
                return Built("", problem=f"no value of {c.expr} to search for")
            if c.kind == "nearest":
                order.append(f"{c.expr} {c.op} {_typed(value, c.type_sql)}")
            elif c.kind == "contains":
                where.append(f"{c.expr} @> {_typed(value, c.type_sql)}")
            elif c.kind == "match":
                where.append(f"{c.expr} @@ to_tsquery('simple', {quote_literal(value)})")
            else:
                where.append(f"{c.expr} ILIKE {quote_literal('%' + value + '%')}")
    sql = f"SELECT * FROM {_q(t)}"
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    sql += f" ORDER BY {', '.join(order)}" if order else ""
    sql += f" LIMIT {shape.limit}" if shape.limit else ""
    return _with_scope(conn, t, sql, where, bool(eqs))


def _with_scope(conn: psycopg.Connection, t: Table, sql: str, where: list[str], eq: bool) -> Built:
    cond = " AND ".join(where) or "true"
    share = None
    if eq:
        n, total = conn.execute(f"SELECT count(*) FILTER (WHERE {cond}), count(*) FROM {_q(t)}").fetchone()
        share = n / total if total else None
    scope = [c for c in (t.meta.tenant_column, t.meta.owner_column) if c]
    tenant = owner = None
    if scope:
        got = conn.execute(f"SELECT {', '.join(f'{quote_ident(c)}::text' for c in scope)} FROM {_q(t)} "
                           f"WHERE {cond} LIMIT 1").fetchone()
        if got:
            values = dict(zip(scope, got))
            tenant, owner = values.get(t.meta.tenant_column), values.get(t.meta.owner_column)
    return Built(sql, share, tenant, owner)


def _named(conn: psycopg.Connection, schema: Schema, shape: QueryShape) -> Built:
    sources = dict(shape.params)
    values: dict[str, str] = {}
    tenant = owner = None
    for name in dict.fromkeys(_PARAM.findall(shape.sql)):
        src = sources.get(name) or _infer(schema, shape.sql, name)
        if src is None:
            return Built("", problem=f"parameter :{name} names no column; add `params: {{{name}: entity.column}}`")
        t = schema.table(src[1], src[0])
        col = t.column(src[2])
        rows = conn.execute(f"SELECT {quote_ident(col.name)}::text, count(*) FROM {_q(t)} WHERE "
                            f"{quote_ident(col.name)} IS NOT NULL GROUP BY 1 ORDER BY 2, 1").fetchall()
        if not rows:
            return Built("", problem=f"no rows of {t.name} to take :{name} from")
        value = _median(rows)[0]
        values[name] = _typed(value, col.type.sql)
        if tenant is None and owner is None:
            scope = _with_scope(conn, t, "", [f"{quote_ident(col.name)} = {values[name]}"], False)
            tenant, owner = scope.tenant, scope.owner
    sql = _PARAM.sub(lambda m: values[m.group(1)], shape.sql)
    return Built(sql, None, tenant, owner)


def _infer(schema: Schema, sql: str, name: str) -> tuple[str, str, str] | None:
    """A parameter named like a column of a table the query mentions takes that column."""
    words = set(re.findall(r"\w+", sql))
    for t in schema.tables:
        if t.name in words and t.column(name) is not None:
            return (t.schema, t.name, name)
    return None
