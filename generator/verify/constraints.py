"""Prove constraints behave on the live database: every foreign key rejects an orphan and acts
on delete as declared, every unique constraint rejects a duplicate, every check rejects a
violating row. Each proof runs in its own rolled-back transaction, as the owner/superuser."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import psycopg

from generator.model import ForeignKey, Index, Schema, Table
from generator.model.naming import qualified, quote_ident
from generator.verify.after_delete import defaults, found, judge
from generator.verify.isolate import isolate, preload
from generator.verify.attempt import CHECK_VIOLATION, FK_VIOLATION, UNIQUE_VIOLATION, attempt
from generator.verify.report import Result, failed, passed, skipped, warned
from generator.verify.rows import SEQ_CONSTRAINTS, BuildError, Row, RowBuilder, restart
from generator.verify.fixtures import fixtures, shares
from generator.verify.session import savepoint, scratch as scratch_tx
from generator.verify.steer import reload, steer
from generator.verify.tenant_deletes import batchable, tenant_deletes
from generator.verify.values import NULL, base_values, expression_columns, expression_literals, orphan_value

MAX_CHECK_TRIES = 200
MAX_VALUES = 12            # candidate values per column when hunting a violation


@contextmanager
def scratch(conn: psycopg.Connection):
    """A transaction that is always rolled back, with deferred constraints made immediate."""
    with scratch_tx(conn, "SET CONSTRAINTS ALL IMMEDIATE"):
        yield


def _q(t: Table) -> str:
    return qualified(t.schema, t.name, "")


def _name(t: Table, constraint: str) -> str:
    return f"{t.name}.{constraint}"


Pick = Callable[[Table, ForeignKey | None], bool]


def check_constraints(conn: psycopg.Connection, schema: Schema,
                      only: set[tuple[str, str]] | None = None) -> list[Result]:
    return [r for _, _, r in prove_constraints(conn, schema, only)]


def prove_constraints(conn: psycopg.Connection, schema: Schema, only: set[tuple[str, str]] | None = None,
                      pick: Pick | None = None) -> list[tuple[int, int, Result]]:
    """(table position, proof position, result) of each proof of the tables in `only` (all
    when None) that `pick(table, the key whose parent it deletes or None)` wants, in order. The
    tenant keys' ON DELETE proofs go in batches first (verify/tenant_deletes.py); a table's
    other proofs share one rolled-back transaction, each in a savepoint of it, their rows'
    parents built once ahead (verify/fixtures.py). Each proof draws its values from a range
    of its own, so any subset gives the same results."""
    todo = []
    for i, t in enumerate(schema.tables):
        if only is None or t.key in only:
            todo.append((i, t, [(n, p) for n, p in enumerate(_proofs(t)) if pick is None or pick(t, p[4])]))
    preload(conn, [t for _, t, chosen in todo if any(p[0] == "fk" for _, p in chosen)])
    done = tenant_deletes(conn, schema, [(i, n, t, p[4]) for i, t, chosen in todo for n, p in chosen
                                         if p[4] is not None and batchable(schema, t, p[4])])
    out = [(i, n, r) for (i, n), r in done.items()]
    for i, t, chosen in todo:
        rest = [(n, p) for n, p in chosen if (i, n) not in done]
        if rest:
            out += _table_proofs(conn, schema, i, t, rest)
    return sorted(out, key=lambda x: x[:2])


def _table_proofs(conn, schema: Schema, i: int, t: Table, chosen: list) -> list[tuple[int, int, Result]]:
    out = []
    with scratch(conn):
        made = fixtures(conn, schema, i, t, _fills(t)) if any(shares(schema, p[4]) for _, p in chosen) else []
        for n, (check, constraint, what, proof, deletes) in chosen:
            restart(SEQ_CONSTRAINTS, i, n)
            b = RowBuilder(conn, schema, list(made) if shares(schema, deletes) else None)
            out.append((i, n, _guard(b, check, t, constraint, what, proof)))
    return out


def _fills(t: Table) -> list[tuple[str, ...]]:
    """The columns filled in a proof's first row (those of every key: the key proofs fill
    theirs), and in the second row only a unique proof builds (those of its key)."""
    first = {c for fk in t.foreign_keys for c in fk.columns}
    second = {c for _, cols, index in _unique_sets(t) for c in _key_columns(t, cols, index)}
    return [tuple(c.name for c in t.columns if c.name in wanted) for wanted in (first, second)]


def _proofs(t: Table) -> list[tuple]:
    """(check, constraint, what, proof, the key whose parent the proof deletes) in order."""
    out = []
    for fk in t.foreign_keys:
        out.append(("fk", fk.name, "orphan rejected", lambda b, fk=fk: fk_orphan(b, t, fk), None))
        out.append(("fk", fk.name, f"ON DELETE {fk.on_delete}", lambda b, fk=fk: fk_on_delete(b, t, fk), fk))
    for name, cols, index in _unique_sets(t):
        out.append(("unique", name, "duplicate rejected",
                    lambda b, name=name, cols=cols, index=index: unique_rejects(b, t, name, cols, index), None))
    for chk in t.checks:
        out.append(("check", chk.name, "violating row rejected",
                    lambda b, chk=chk: check_rejects(b, t, chk.name, chk.expression), None))
    return out


def _guard(b: RowBuilder, check: str, t: Table, constraint: str, what: str, proof) -> Result:
    """Run one proof in a savepoint rolled back afterwards; a row we cannot build is a skip."""
    obj = _name(t, constraint)
    try:
        with savepoint(b.conn, "gen_proof"):
            status, detail = proof(b)
    except BuildError as exc:
        return skipped(check, obj, what, f"cannot build a row: {exc}")
    return {"pass": passed, "fail": failed, "warn": warned, "skip": skipped}[status](check, obj, what, detail)


def _unique_sets(t: Table) -> list[tuple[str, tuple[str, ...], Index | None]]:
    sets = [(t.primary_key.name, t.primary_key.columns, None)] if t.primary_key else []
    sets += [(u.name, u.columns, None) for u in t.uniques]
    sets += [(i.name, i.columns, i) for i in t.indexes if i.unique]
    return sets


# ---------------------------------------------------------------- foreign keys

def fk_orphan(b: RowBuilder, t: Table, fk: ForeignKey):
    """The key's own columns get a value no parent has (a tenant-consistent key keeps its
    tenant column, so the orphan is a parent that is missing, not a tenant)."""
    child = b.insert(t, fill=fk.columns)
    isolate(b.conn, t, fk)
    own = fk.own_columns
    values = [orphan_value(t.column(c).type) for c in own]
    if any(v is None for v in values):
        return "skip", f"no orphan value for type {t.column(own[0]).type.sql}"
    sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in zip(own, values))
    got = attempt(b.conn, f"UPDATE {_q(t)} SET {sets} WHERE {child.where()}")
    if got.sqlstate == FK_VIOLATION and got.constraint == fk.name:
        return "pass", ""
    if got.ok:
        return "fail", "orphan accepted"
    return "warn", f"refused for another reason: {got.describe()}"


def _own_parent(b: RowBuilder, t: Table, fk: ForeignKey, child: Row) -> Row:
    """The child with `fk` pointed at a parent row of its own when another key of the child names
    the same row (a SET NULL key to the tenant root beside the tenant column's CASCADE key:
    deleting the shared row would act through the other key too, and the proof would judge
    that). Keys that share columns with `fk`, or a key in the primary key, are left as built."""
    others = [o for o in t.foreign_keys if o.name != fk.name]
    pk = set(t.primary_key.columns) if t.primary_key else set()
    if any(set(o.columns) & set(fk.columns) for o in others) or set(fk.columns) & pk:
        return child
    mine = [child.values.get(c) for c in fk.columns]
    if not any((o.ref_schema, o.ref_table, tuple(o.ref_columns)) == (fk.ref_schema, fk.ref_table, tuple(fk.ref_columns))
               and [child.values.get(c) for c in o.columns] == mine for o in others):
        return child
    try:
        values = b.parent_for(fk)
    except BuildError:
        return child
    sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in values.items())
    back = ", ".join(f"{quote_ident(c)}::text" for c in fk.columns)
    got = attempt(b.conn, f"UPDATE {_q(t)} SET {sets} WHERE {child.where()} RETURNING {back}")
    if not got.ok or not got.rows:
        return child
    return Row(t, {**child.values, **dict(zip(fk.columns, got.rows[0]))})


def _parent_where(fk: ForeignKey, child: Row) -> str:
    return " AND ".join(f"{quote_ident(rc)} = {child.literal(c)}" for c, rc in zip(fk.columns, fk.ref_columns))


def fk_on_delete(b: RowBuilder, t: Table, fk: ForeignKey):
    child = _own_parent(b, t, fk, b.insert(t, fill=fk.columns))
    isolate(b.conn, t, fk, deleting=True)
    spot = found(b.conn, t, child)
    if spot is None:
        if t.primary_key is None:
            return "skip", "the child row cannot be told from others but by the key's columns"
        spot = child.where(), 1      # its primary key, although the action may change it
    where, copies = spot
    expected = defaults(b.conn, t, fk) if fk.on_delete == "SET DEFAULT" else None
    parent = qualified(fk.ref_schema, fk.ref_table, "")
    got = attempt(b.conn, f"DELETE FROM {parent} WHERE {_parent_where(fk, child)}")
    cols = ", ".join(f"{quote_ident(c)}::text" for c in fk.columns)
    left = b.conn.execute(f"SELECT {cols} FROM {_q(t)} WHERE {where}").fetchall()
    return judge(t, fk, child, got, left, copies, expected)


# ---------------------------------------------------------------- unique

def _key_columns(t: Table, cols: tuple[str, ...], index: Index | None) -> list[str]:
    """Columns a duplicate must copy: the key's columns, those its expressions use, and those
    its WHERE uses (so the copy is covered by a partial index too)."""
    names = [c.name for c in t.columns]
    out = list(cols)
    for text in [e.expression for e in (index.elements if index else ()) if e.expression] + \
            ([index.where] if index is not None and index.where else []):
        out += [c for c in expression_columns(text, names) if c not in out]
    return out


def unique_rejects(b: RowBuilder, t: Table, name: str, cols: tuple[str, ...], index: Index | None):
    copy = _key_columns(t, cols, index)
    if not copy:
        return "skip", "the index names no column a duplicate could copy"
    first = b.insert(t, fill=tuple(copy))
    if index is not None and index.where and not steer(b, first, index.where, True):
        return "skip", f"no row matches the partial index's WHERE {index.where}"
    first = reload(b.conn, first)
    if any(first.values[c] is None for c in cols):
        return "skip", "a column of the key is NULL in the built row"
    values = b.insert(t, fill=tuple(copy), keep=False).insertable()
    values.update({c: first.literal(c) for c in copy})
    got = attempt(b.conn, _insert(t, values))
    if got.sqlstate == UNIQUE_VIOLATION and got.constraint != name:
        # the prepared row clashed elsewhere (a trigger made it already): change a real row instead
        second = b.insert(t, fill=tuple(copy))
        sets = ", ".join(f"{quote_ident(c)} = {first.literal(c)}" for c in copy)
        got = attempt(b.conn, f"UPDATE {_q(t)} SET {sets} WHERE {second.where()}")
    if got.sqlstate == UNIQUE_VIOLATION and got.constraint == name:
        return "pass", ""
    narrower = {n for n, c, _ in _unique_sets(t) if n != name and set(c) < set(cols)}
    if got.sqlstate == UNIQUE_VIOLATION and got.constraint in narrower:
        # a key on fewer of these columns already refuses the copy: this one holds whenever it does
        return "pass", f"implied by {got.constraint}"
    if got.ok:
        return "fail", "duplicate accepted"
    return "warn", f"refused for another reason: {got.describe()}"


def _insert(t: Table, values: dict[str, str]) -> str:
    cols = ", ".join(quote_ident(c) for c in values)
    return f"INSERT INTO {_q(t)} ({cols}) VALUES ({', '.join(values.values())})"


# ---------------------------------------------------------------- checks

def violation_candidates(b: RowBuilder, t: Table, column: str, expression: str) -> list[str]:
    col = t.column(column)
    values = base_values(col.type, b.schema, next(b.seq), expression_literals(expression))
    return values[:MAX_VALUES] + [NULL]


def _assignments(candidates: dict[str, list[str]]):
    """One column at a time first, then pairs of columns (for `a = 'x' OR b IS NOT NULL`)."""
    cols = list(candidates)
    for c in cols:
        for v in candidates[c]:
            yield ((c, v),)
    for i, c1 in enumerate(cols):
        for c2 in cols[i + 1:]:
            for v1 in candidates[c1]:
                for v2 in candidates[c2]:
                    yield ((c1, v1), (c2, v2))


def check_rejects(b: RowBuilder, t: Table, name: str, expression: str):
    row = b.insert(t)
    updatable = [c.name for c in t.columns if not c.generated and c.identity != "always"]
    cols = expression_columns(expression, updatable)
    if not cols:
        return "warn", "no violating value found (the check names no column we can set)"
    candidates = {c: violation_candidates(b, t, c, expression) for c in cols}
    tries = 0
    for assignment in _assignments(candidates):
        tries += 1
        if tries > MAX_CHECK_TRIES:
            break
        sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in assignment)
        got = attempt(b.conn, f"UPDATE {_q(t)} SET {sets} WHERE {row.where()}", undo=True)
        if got.sqlstate == CHECK_VIOLATION and got.constraint == name:
            return "pass", ", ".join(f"{c} = {v}" for c, v in assignment)
    return "warn", f"no violating value found (tried {min(tries, MAX_CHECK_TRIES)} rows varying {', '.join(cols)})"
