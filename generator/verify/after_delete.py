"""What an ON DELETE proof's delete left of its child: the row found by what no key's action can
change (its primary key, else every column outside its keys), and judged by the key's columns:
gone, NULL, the spec's defaults, or unchanged (the parent refused)."""
from __future__ import annotations

import psycopg

from generator.model import ForeignKey, Table
from generator.model.naming import qualified, quote_ident, quote_literal
from generator.verify.attempt import FK_VIOLATION, Outcome, attempt
from generator.verify.rows import Row


def locate(t: Table, child: Row) -> tuple[str, bool]:
    """(condition matching the child whatever a delete's actions do to its keys' columns,
    whether it may match other rows too, to be counted): its primary key when that has none
    of them, else every other column but the generated ones (which may follow them)."""
    keys = {c for fk in t.foreign_keys for c in fk.columns}
    pk = t.primary_key.columns if t.primary_key else ()
    if pk and not set(pk) & keys:
        return child.where(), False
    parts = [f"{quote_ident(c.name)}::text IS NOT DISTINCT FROM "
             f"{'NULL' if child.values.get(c.name) is None else quote_literal(child.values[c.name])}"
             for c in t.columns if c.name not in keys and not c.generated]
    return " AND ".join(parts) or "TRUE", True


def count(conn: psycopg.Connection, t: Table, where: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {qualified(t.schema, t.name, '')} WHERE {where}").fetchone()[0]


def found(conn: psycopg.Connection, t: Table, child: Row) -> tuple[str, int] | None:
    """(condition, copies): locate()'s condition and how many rows it matches now (the child and
    its identical copies); None when it matches other rows too."""
    where, loose = locate(t, child)
    if not loose:
        return where, 1
    copies = count(conn, t, where)
    return (where, copies) if copies == count(conn, t, child.where()) else None


def defaults(conn: psycopg.Connection, t: Table, fk: ForeignKey) -> dict[str, str | None] | None:
    """The values SET DEFAULT gives the key's columns by the spec (a column without a default:
    NULL), as text; None when a default does not evaluate to one steady value (volatile)."""
    out: dict[str, str | None] = {}
    for c in fk.columns:
        col = t.column(c)
        if col.default is None:
            out[c] = None
            continue
        expr = f"({col.default})::{col.type.sql}::text"
        got = attempt(conn, f"SELECT {expr}, {expr}", undo=True)
        if not got.ok or got.rows[0][0] != got.rows[0][1]:
            return None
        out[c] = got.rows[0][0]
    return out


def judge(t: Table, fk: ForeignKey, child: Row, got: Outcome, left: list, copies: int,
          expected: dict[str, str | None] | None) -> tuple[str, str]:
    """The verdict of the delete `got`, `left` being the key's columns of the rows the child's
    condition matches afterwards (`copies` of the child matched it before: a table without a
    primary key may hold identical rows, which go or stay together); `expected`: defaults()
    for SET DEFAULT."""
    action = fk.on_delete
    if left and len(left) != copies:
        return "fail", f"{len(left)} of the child's {copies} identical row(s) left"
    if left and len(set(left)) > 1:
        return "fail", "identical children treated differently"
    if action in ("RESTRICT", "NO ACTION"):
        if got.sqlstate == FK_VIOLATION and got.constraint == fk.name and left:
            return "pass", ""
        return ("fail", "parent deleted although children exist") if got.ok else \
            ("warn", f"refused for another reason: {got.describe()}")
    if not got.ok:
        return ("fail" if got.constraint == fk.name else "warn"), f"delete of the parent refused: {got.describe()}"
    if action == "CASCADE":
        return ("pass", "") if not left else ("fail", "child row still there")
    cleared = [i for i, c in enumerate(fk.columns) if not fk.delete_columns or c in fk.delete_columns]
    kept = bool(left) and all(left[0][i] == child.values[c] for i, c in enumerate(fk.columns) if i not in cleared)
    if action == "SET NULL":
        ok = bool(left) and all(left[0][i] is None for i in cleared)
        return ("pass", "") if ok and kept else ("fail", "child not set to NULL" if not ok else
                                                   "columns outside SET NULL (…) changed too")
    old = tuple(child.values[c] for c in fk.columns)
    if expected is None:      # a volatile default: at least a new value
        ok = bool(left) and tuple(left[0]) != old and all(left[0][i] is not None for i in cleared)
    else:
        ok = bool(left) and all(left[0][i] == expected[fk.columns[i]] for i in cleared)
    return ("pass", "") if ok and kept else ("fail", "child not set to its default" if not ok else
                                               "columns outside SET DEFAULT (…) changed too")
