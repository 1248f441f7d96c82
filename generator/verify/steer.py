"""Change an existing row until a condition holds (or stops holding) for it: used to build a
row that a public_read policy shows or hides, a row a partial index covers, an admin and a
non-admin. A condition that looks at a parent row (`EXISTS (SELECT 1 FROM automations a WHERE
a.id = automation_id AND a.published)`) is steered through the parent (and its parents)."""
from __future__ import annotations

import re

import psycopg

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.rows import Row, RowBuilder
from generator.verify.session import in_savepoint
from generator.verify.values import NULL, base_values, expression_columns, expression_literals, json_hints

MAX_ANCESTORS = 3


def reload(conn: psycopg.Connection, row: Row) -> Row:
    t = row.table
    cols = ", ".join(f"{quote_ident(c.name)}::text" for c in t.columns)
    got = conn.execute(f"SELECT {cols} FROM {_q(t)} WHERE {row.where()}").fetchone()
    return Row(t, dict(zip((c.name for c in t.columns), got))) if got else row


def _q(t: Table) -> str:
    return f"{quote_ident(t.schema)}.{quote_ident(t.name)}"


def _holds(conn: psycopg.Connection, row: Row, cond: str) -> bool:
    return conn.execute(_holds_sql(row, cond)).fetchone()[0]


def _holds_sql(row: Row, cond: str) -> str:
    return f"SELECT coalesce(({cond}), false) FROM {_q(row.table)} WHERE {row.where()}"


def steer(b: RowBuilder, row: Row, cond: str, want: bool, only: list[str] | None = None) -> bool:
    """Update columns of `row` (not its key), or of the parent rows `cond` looks at, until
    `cond` is `want` for `row`; True on success."""
    conn = b.conn
    if _holds(conn, row, cond) == want:
        return True
    targets = [(row, only or expression_columns(cond, _free(row.table)))]
    if only is None:
        targets += [(p, expression_columns(cond, _free(p.table))) for p in ancestors(b, row, cond)]
    hints = list(dict.fromkeys(expression_literals(cond) + quoted_strings(cond)))
    for target, cols in targets:
        for col in cols:
            for value in _candidates(b, target.table, col, hints):
                got = _try_value(conn, target, {col: value}, row, cond, want)
                if got is True:
                    return True
                if got and _with_check(b, target, col, value, got, row, cond, want, hints):
                    return True
    return False


def _with_check(b: RowBuilder, target: Row, col: str, value: str, check_name: str, judged: Row, cond: str,
                want: bool, hints: list[str]) -> bool:
    """The value tripped a check (`is_system = (tenant_id IS NULL)`): try it together with
    values of the other columns that check names."""
    check = next((c for c in target.table.checks if c.name == check_name), None)
    if check is None:
        return False
    others = [c for c in expression_columns(check.expression, _free(target.table)) if c != col]
    for other in others:
        for extra in _candidates(b, target.table, other, hints + expression_literals(check.expression)):
            if _try_value(b.conn, target, {col: value, other: extra}, judged, cond, want) is True:
                return True
    return False


def quoted_strings(cond: str) -> list[str]:
    """Every '...' literal, also those a parser turns into something else (a JSON path)."""
    return [m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", cond)]


def _free(t: Table) -> list[str]:
    keys = set(t.primary_key.columns) if t.primary_key else set()
    return [c.name for c in t.columns if not c.generated and c.identity != "always" and c.name not in keys]


def _candidates(b: RowBuilder, t: Table, col: str, hints: list[str]) -> list[str]:
    """Values to try for `col`: the condition's literals, then those of the checks on that
    column (`tier IN ('free', 'pro')`), then values of its type."""
    hints = hints + [lit for chk in t.checks if col in expression_columns(chk.expression, [col])
                     for lit in expression_literals(chk.expression) + quoted_strings(chk.expression)]
    hints = list(dict.fromkeys(hints))
    typ = t.column(col).type
    parents = [_parent_values(b, t, fk, col) for fk in t.foreign_keys if col in fk.own_columns
               and len(fk.own_columns) == 1]
    values = [v for vs in parents for v in vs] + base_values(typ, b.schema, next(b.seq), hints)
    if typ.base in ("json", "jsonb") and not typ.is_array:
        values = [f"{v}::{typ.sql}" for v in json_hints(hints)] + values
    return values + [NULL]


def _parent_values(b: RowBuilder, t: Table, fk, col: str) -> list[str]:
    """Keys of existing rows the reference may point at (a plan's id), as SQL."""
    ref = fk.ref_columns[fk.columns.index(col)]
    target = f"{quote_ident(fk.ref_schema)}.{quote_ident(fk.ref_table)}"
    return [f"(SELECT {quote_ident(ref)} FROM {target} ORDER BY {quote_ident(ref)} LIMIT 1 OFFSET {k})"
            for k in range(3)]


def ancestors(b: RowBuilder, row: Row, cond: str) -> list[Row]:
    """Parent rows (and theirs, a few levels up) of tables the condition names."""
    named = set(re.findall(r"[A-Za-z_][\w$]*", cond))
    out, frontier = [], [row]
    for _ in range(MAX_ANCESTORS):
        nxt = []
        for child in frontier:
            for fk in child.table.foreign_keys:
                parent = b.schema.table(fk.ref_table, fk.ref_schema)
                if parent is None or parent.key == child.table.key:
                    continue
                values = [child.values.get(c) for c in fk.columns]
                if any(v is None for v in values):
                    continue
                where = " AND ".join(f"{quote_ident(rc)}::text = {_lit(v)}" for rc, v in zip(fk.ref_columns, values))
                cols = ", ".join(f"{quote_ident(c.name)}::text" for c in parent.columns)
                got = b.conn.execute(f"SELECT {cols} FROM {_q(parent)} WHERE {where}").fetchone()
                if got is None:
                    continue
                found = Row(parent, dict(zip((c.name for c in parent.columns), got)))
                nxt.append(found)
                if parent.name in named and found not in out:
                    out.append(found)
        frontier = nxt
    return out


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _try_value(conn, target: Row, values: dict[str, str], judged: Row, cond: str, want: bool):
    """True when setting `values` makes `cond` what we want; the name of the check it violated
    instead (so the caller can try the check's other columns too); False otherwise."""
    sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in values.items())
    update = f"UPDATE {_q(target.table)} SET {sets} WHERE {target.where()}"
    try:
        answer = in_savepoint(conn, f"{update}; {_holds_sql(judged, cond)}", undo=lambda a: a.rows[0][0] != want)
    except psycopg.errors.CheckViolation as exc:
        return exc.diag.constraint_name or False
    except psycopg.Error:
        return False
    return answer.rows[0][0] == want
