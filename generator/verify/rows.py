"""Build valid rows in a live database from the model: foreign-key parents first (recursively,
sharing one tenant), values from column types, defaults where present, and retries through
candidate values until the insert passes every check. Each attempt runs in a savepoint."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import psycopg

from generator.model import Column, DataType, ForeignKey, Schema, Table
from generator.model.naming import qualified, quote_ident, quote_literal
from generator.verify.session import in_savepoint
from generator.verify.values import NULL, base_values, expression_columns, expression_literals

MAX_ATTEMPTS = 30
MAX_DEPTH = 12
UNIQUE_VIOLATION = "23505"
# One counter for every builder in the process: values from rolled-back rows are never reused,
# so rows built in separate transactions cannot collide on 'v<n>' strings or counters.
_SEQ = itertools.count(1)
# restart(): the ranges of a phase and of one table in it. Every value stays an integer (int4),
# as a unique integer column takes the counter itself. A table drawing more than TABLE values
# runs into the next table's range: harmless, as both tables' rows are rolled back.
PHASE, TABLE, PART = 10**8, 10_000, 500
SEQ_CONSTRAINTS, SEQ_WORLD, SEQ_TABLE_ATTACKS, SEQ_SCHEMA_ATTACKS, SEQ_REALTIME, SEQ_FIXTURES = 1, 2, 3, 4, 5, 6


def restart(phase: int, index: int = 0, part: int = 0) -> None:
    """Builders made from now on draw from a range of their own: `phase` (constraints, the
    world, table attacks, schema attacks ...) and, per table, its position in the schema. A
    table's proofs then get the same values whatever ran before them (in this process or
    another: gen verify --jobs), and the committed world's values are not theirs. `part`: one
    proof of the table (its constraint proofs may run apart)."""
    global _SEQ
    _SEQ = itertools.count(phase * PHASE + index * TABLE + part * PART + 1)


class BuildError(Exception):
    """No valid row could be built; the message says why."""


@dataclass
class Fixture:
    """The tenant and parent rows built ahead (RowBuilder.prepare) for one top-level row of a
    table: what insert() would make for it, keyed by the arguments it would make them with."""

    table: tuple[str, str]
    made: dict = field(default_factory=dict)
    recording: bool = True


@dataclass
class Row:
    """A row that exists (or existed) in the database, as text values per column."""

    table: Table
    values: dict[str, str | None]

    def literal(self, column: str) -> str:
        value = self.values.get(column)
        col = self.table.column(column)
        return NULL if value is None else f"{quote_literal(value)}::{col.type.sql}"

    def where(self) -> str:
        """A condition matching this row: its primary key, else every column's text."""
        cols = self.table.primary_key.columns if self.table.primary_key else [c.name for c in self.table.columns]
        parts = []
        for c in cols:
            value = self.values.get(c)
            parts.append(f"{quote_ident(c)}::text IS NOT DISTINCT FROM "
                         f"{'NULL' if value is None else quote_literal(value)}")
        return " AND ".join(parts)

    def insertable(self) -> dict[str, str]:
        """Column -> SQL value for re-inserting this row (generated and always-identity left out)."""
        return {c.name: self.literal(c.name) for c in self.table.columns
                if not c.generated and c.identity != "always"}


def insert_sql(table: Table, values: dict[str, str]) -> str:
    cols = ", ".join(quote_ident(c) for c in values)
    returning = ", ".join(f"{quote_ident(c.name)}::text" for c in table.columns)
    if not values:
        return f"INSERT INTO {qualified(table.schema, table.name, '')} DEFAULT VALUES RETURNING {returning}"
    return (f"INSERT INTO {qualified(table.schema, table.name, '')} ({cols}) "
            f"VALUES ({', '.join(values.values())}) RETURNING {returning}")


def exists_row(conn: psycopg.Connection, schema: str, table: str, values: dict[str, str]) -> bool:
    where = " AND ".join(f"{quote_ident(c)} = {v}" for c, v in values.items())
    return conn.execute(f"SELECT EXISTS (SELECT 1 FROM {qualified(schema, table, '')} WHERE {where})").fetchone()[0]


def exists(conn: psycopg.Connection, schema: str, table: str, column: str, value: str) -> bool:
    sql = f"SELECT EXISTS (SELECT 1 FROM {qualified(schema, table, '')} WHERE {quote_ident(column)} = {value})"
    return conn.execute(sql).fetchone()[0]


class RowBuilder:
    """Inserts rows as the connection's role (the owner or a superuser, so RLS is no obstacle)."""

    def __init__(self, conn: psycopg.Connection, schema: Schema, fixtures: list[Fixture] | None = None):
        self.conn = conn
        self.schema = schema
        self.seq = _SEQ     # read when the builder is made: restart() takes effect for new builders
        # Parents built ahead for the top-level rows of one table, taken one per row in order;
        # the row being given its parents from one of them (depth 0 only).
        self.fixtures = fixtures
        self._memo: Fixture | None = None
        # Referenced rows this build (one top-level insert) saw or made: a build only adds rows.
        self._seen: set | None = None
        self.adopted = 0        # rows taken over (_adopt) instead of made

    # ------------------------------------------------------------ public

    def insert(self, table: Table, overrides: dict[str, str] | None = None, tenant: str | None = None,
               fill: tuple[str, ...] = (), keep: bool = True, depth: int = 0) -> Row:
        """Insert a valid row; `overrides` are SQL values; `tenant` (SQL) goes to the tenant
        column and to tenant-scoped parents; `fill` columns get a value even when nullable.
        With keep=False the row is rolled back after it was proven insertable."""
        if depth > MAX_DEPTH:
            raise BuildError(f"foreign keys nest deeper than {MAX_DEPTH} levels from {table.name}")
        values = dict(overrides or {})
        if depth > 0:
            tenant = self._tenant(table, values, tenant, depth)
            self._parents(table, values, tenant, fill, depth)
            return self._attempts(table, values, fill, keep, (tenant, depth))
        if self.fixtures and not overrides and tenant is None and self.fixtures[0].table == table.key:
            self._memo = self.fixtures.pop(0)
        self._seen = set()
        try:
            tenant = self._tenant(table, values, tenant, depth)
            self._parents(table, values, tenant, fill, depth)
            self._memo = None
            return self._attempts(table, values, fill, keep, (tenant, depth))
        finally:
            self._memo, self._seen = None, None

    def prepare(self, table: Table, fill: tuple[str, ...]) -> Fixture:
        """Build the tenant and parent rows a top-level row of `table` takes (`fill` columns
        filled), but not the row itself; a builder given the result takes them instead of
        making its own whenever it would make the same ones (same key, tenant, known values)."""
        self._memo, self._seen = (memo := Fixture(table.key)), set()
        try:
            values: dict[str, str] = {}
            tenant = self._tenant(table, values, None, 0)
            self._parents(table, values, tenant, fill, 0)
        finally:
            self._memo, self._seen = None, None
        memo.recording = False
        return memo

    def parent_for(self, fk: ForeignKey, tenant: str | None = None, overrides: dict[str, str] | None = None,
                   depth: int = 0) -> dict[str, str]:
        """Create a row in the table `fk` references; returns {fk column: SQL value}."""
        target = self.schema.table(fk.ref_table, fk.ref_schema)
        if tenant is not None and not overrides and self._is_root_key(target, fk):
            return {fk.columns[0]: tenant}          # the current tenant is that row
        if target is None:
            got = self._external(fk, overrides or {})
        else:
            row = self.insert(target, overrides, tenant if target.meta.tenant_column else None, depth=depth + 1)
            got = {rc: row.literal(rc) for rc in fk.ref_columns}
        return {c: got[rc] for c, rc in zip(fk.columns, fk.ref_columns)}

    def ensure_parents(self, table: Table, values: dict[str, str], tenant: str | None = None) -> None:
        """For FKs whose every column is given, create the referenced row when none exists
        (a tenant-consistent key: a parent of that tenant with that id)."""
        for fk in sorted(table.foreign_keys, key=lambda f: -len(f.columns)):
            if any(c not in values or values[c] == NULL for c in fk.columns):
                continue
            if fk.ref_table == table.name and fk.ref_schema == table.schema:
                continue
            wanted = {rc: values[c] for c, rc in zip(fk.columns, fk.ref_columns)}
            key = (fk.ref_schema, fk.ref_table, tuple(sorted(wanted.items())))
            if self._seen is not None and key in self._seen:
                continue
            if not exists_row(self.conn, fk.ref_schema, fk.ref_table, wanted):
                self.parent_for(fk, tenant, wanted)
            if self._seen is not None:
                self._seen.add(key)

    # ------------------------------------------------------------ steps

    def _is_root_key(self, target: Table | None, fk: ForeignKey) -> bool:
        """Does `fk` point at the primary key of the tenancy root?"""
        ten = self.schema.tenancy
        return (target is not None and ten is not None and target.name == ten.root and len(fk.columns) == 1
                and target.primary_key is not None and fk.ref_columns == target.primary_key.columns)

    def _tenant(self, table: Table, values: dict[str, str], tenant: str | None, depth: int) -> str | None:
        """Put the tenant into the row; a required tenant column with no tenant given gets a new
        tenant (a parent whose tenant column may be NULL would otherwise hand its NULL down the
        tenant-consistent key). Returns the tenant the row's parents belong to."""
        col = table.meta.tenant_column
        ten = self.schema.tenancy
        if not col or table.column(col) is None:
            return tenant
        if col in values:
            return values[col] if values[col] != NULL else tenant
        if tenant is None and not table.column(col).nullable and ten is not None and table.name != ten.root:
            root = self.schema.table(self.schema.tenancy.root)
            if root is not None and root.primary_key is not None and len(root.primary_key.columns) == 1:
                tenant = self._shared(depth, ("tenant",), lambda: self.insert(root, depth=depth + 1)
                                      .literal(root.primary_key.columns[0]))
        if tenant is not None:
            values[col] = tenant
        return tenant

    def _parents(self, table: Table, values: dict[str, str], tenant, fill, depth: int) -> None:
        """Wider keys first: a tenant-consistent key sets the tenant column and its own column
        together from one parent, which the plain keys over those columns then accept."""
        self.ensure_parents(table, values, tenant)
        for fk in sorted(table.foreign_keys, key=lambda f: -len(f.columns)):
            if all(c in values for c in fk.columns):
                continue
            cols = [table.column(c) for c in fk.own_columns]    # a tenant column alone calls for no parent
            if all(c.nullable for c in cols) and not any(c.name in fill for c in cols):
                continue
            if fk.ref_table == table.name and fk.ref_schema == table.schema and not any(c.nullable for c in cols):
                raise BuildError(f"{table.name}.{fk.name} is a required reference to its own table")
            known = {rc: values[c] for c, rc in zip(fk.columns, fk.ref_columns) if c in values}
            if fk.shared and fk.shared[0] in values and values[fk.shared[0]] != NULL:
                known[fk.shared[1]] = values[fk.shared[0]]     # same_tenant: shared: a parent of this tenant
                got = self._parent(fk, tenant, known, depth)
                values.update({c: v for c, v in got.items() if c in fk.columns})
                continue
            values.update(self._parent(fk, tenant, known, depth))

    def _parent(self, fk: ForeignKey, tenant, known: dict[str, str], depth: int) -> dict[str, str]:
        key = ("parent", fk.name, tenant, tuple(sorted(known.items())))
        return dict(self._shared(depth, key, lambda: self.parent_for(fk, tenant, known, depth)))

    def _shared(self, depth: int, key: tuple, build):
        """build(), or the fixture's answer to the same call at depth 0 (a recording fixture
        keeps what build() made)."""
        memo = self._memo if depth == 0 else None
        if memo is None or (key not in memo.made and not memo.recording):
            return build()
        if key not in memo.made:
            memo.made[key] = build()
        return memo.made[key]

    def _external(self, fk: ForeignKey, overrides: dict[str, str]) -> dict[str, str]:
        """A row in a table outside the spec (auth.users): only the referenced columns given."""
        fake = Table(fk.ref_table, tuple(Column(c, DataType("text")) for c in fk.ref_columns), schema=fk.ref_schema)
        try:
            with self.conn.transaction():
                got = self.conn.execute(insert_sql(fake, overrides)).fetchone()
        except psycopg.Error as exc:
            raise BuildError(f"cannot create a row in {fk.ref_schema}.{fk.ref_table}: {_message(exc)}") from None
        return {rc: overrides.get(rc) or f"{quote_literal(v)}::{_ref_type(self.conn, fk, rc)}"
                for rc, v in zip(fk.ref_columns, got)}

    def _attempts(self, table: Table, fixed: dict[str, str], fill, keep: bool, context) -> Row:
        choices = {c.name: self._choices(table, c, c.name in fill) for c in self._free(table, fixed)}
        index = {name: 0 for name in choices}
        last = ""
        for _ in range(MAX_ATTEMPTS):
            values = dict(fixed)
            values.update({n: vs[index[n] % len(vs)] for n, vs in choices.items() if vs})
            try:
                return self._try(table, values, keep)
            except psycopg.Error as exc:
                last = _message(exc)
                key = self._given_key(table, exc, fixed)
                if key:             # e.g. a sign-up trigger already made this very row
                    return self._adopt(table, fixed, key, keep)
                blamed = self._blame(table, exc, choices)
                widened = self._widen(table, exc, fixed, choices, index, context)
                if not blamed and not widened:
                    break
                for n in blamed:
                    if exc.sqlstate == UNIQUE_VIOLATION:   # fresh values of the same kind
                        choices[n] = self._choices(table, table.column(n), n in fill)
                    index[n] += 1
        raise BuildError(f"no valid row for {table.name}: {last}")

    def _widen(self, table: Table, exc: psycopg.Error, fixed: dict, choices: dict, index: dict, context) -> bool:
        """A check names columns we left alone (a nullable reference left NULL, a default):
        give the reference a parent row and the defaulted column candidate values."""
        check = next((c for c in table.checks if c.name == exc.diag.constraint_name), None)
        if check is None:
            return False
        tenant, depth = context
        widened = False
        for name in expression_columns(check.expression, [c.name for c in table.columns]):
            col = table.column(name)
            if name in fixed or name in choices or col.generated or col.identity:
                continue
            fk = next((fk for fk in table.foreign_keys if name in fk.columns), None)
            if fk is not None and fk.ref_table != table.name:
                fixed.update(self.parent_for(fk, tenant, None, depth))
            else:
                choices[name], index[name] = self._choices(table, col, True), 0
            widened = True
        return widened

    def _given_key(self, table: Table, exc: psycopg.Error, fixed: dict[str, str]) -> tuple[str, ...]:
        """The columns of a violated unique key when we were told every one of their values."""
        if exc.sqlstate != UNIQUE_VIOLATION:
            return ()
        name = exc.diag.constraint_name
        keys = [u.columns for u in table.uniques if u.name == name]
        keys += [i.columns for i in table.indexes if i.name == name and i.columns and not i.where]
        sd = table.meta.soft_delete           # a live-row unique index: the live row is the one
        keys += [i.columns for i in table.indexes if i.name == name and i.columns and sd
                 and i.where == f"{quote_ident(sd.column)} IS NULL"]
        if table.primary_key and table.primary_key.name == name:
            keys.append(table.primary_key.columns)
        return next((k for k in keys if all(c in fixed and fixed[c] != NULL for c in k)), ())

    def _adopt(self, table: Table, fixed: dict[str, str], key: tuple[str, ...], keep: bool) -> Row:
        """The existing row with that key, given the other values we were told."""
        self.adopted += 1
        where = " AND ".join(f"{quote_ident(c)} = {fixed[c]}" for c in key)
        if table.meta.soft_delete:
            where += f" AND {quote_ident(table.meta.soft_delete.column)} IS NULL"
        sets = ", ".join(f"{quote_ident(c)} = {v}" for c, v in fixed.items() if c not in key)
        returning = ", ".join(f"{quote_ident(c.name)}::text" for c in table.columns)
        target = qualified(table.schema, table.name, "")
        try:
            with self.conn.transaction() as tx:
                if sets:
                    self.conn.execute(f"UPDATE {target} SET {sets} WHERE {where}")
                got = self.conn.execute(f"SELECT {returning} FROM {target} WHERE {where}").fetchone()
                if got is None:
                    raise BuildError(f"{table.name} already has a row with that key (no longer live)")
                row = Row(table, {c.name: v for c, v in zip(table.columns, got)})
                if not keep:
                    raise psycopg.Rollback(tx)
        except psycopg.Error as exc:
            raise BuildError(f"{table.name} already has a row with that key, and it cannot take our "
                             f"values: {_message(exc)}") from None
        return row

    def _try(self, table: Table, values: dict[str, str], keep: bool) -> Row:
        got = in_savepoint(self.conn, insert_sql(table, values), undo=not keep).rows[0]
        return Row(table, {c.name: v for c, v in zip(table.columns, got)})

    def _free(self, table: Table, fixed: dict[str, str]) -> list[Column]:
        """Columns we choose values for: not given, not generated, no identity, no default,
        and not a nullable foreign key column left empty."""
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        sd = table.meta.soft_delete            # a live row: the soft-delete mark stays NULL
        marks = {sd.column, sd.by} if sd else set()
        # protected columns keep their default, as an application's own rows would
        marks |= {p.column for p in table.meta.protected
                  if (c := table.column(p.column)) is not None and (c.nullable or c.default is not None)}
        return [c for c in table.columns if c.name not in fixed and not c.generated and not c.identity
                and c.default is None and c.name not in fk_cols and c.name not in marks]

    def _choices(self, table: Table, col: Column, must: bool) -> list[str]:
        hints = [lit for chk in table.checks if col.name in expression_columns(chk.expression, [col.name])
                 for lit in expression_literals(chk.expression)]
        unique = self._unique_columns(table)
        values = base_values(col.type, self.schema, next(self.seq), hints, col.name in unique)
        return values + ([NULL] if col.nullable and not must else [])

    def _unique_columns(self, table: Table) -> set[str]:
        cols = {c for u in table.uniques for c in u.columns}
        cols |= {c for i in table.indexes if i.unique for c in i.columns}
        return cols | (set(table.primary_key.columns) if table.primary_key else set())

    def _blame(self, table: Table, exc: psycopg.Error, choices: dict) -> list[str]:
        """Columns whose next (or a fresh) candidate might make the insert pass."""
        diag = exc.diag
        if diag.column_name and diag.column_name in choices:
            return [diag.column_name]
        for chk in table.checks:
            if chk.name == diag.constraint_name:
                return expression_columns(chk.expression, list(choices))
        groups = [u.columns for u in table.uniques if u.name == diag.constraint_name]
        groups += [i.columns for i in table.indexes if i.name == diag.constraint_name]
        if table.primary_key and table.primary_key.name == diag.constraint_name:
            groups.append(table.primary_key.columns)
        if groups:    # a key violated: only fresh values of its free columns can help
            return [c for g in groups for c in g if c in choices]
        return list(choices)


def _message(exc: psycopg.Error) -> str:
    diag = exc.diag
    return (diag.message_primary if diag and diag.message_primary else str(exc).splitlines()[0]).strip()


def _ref_type(conn: psycopg.Connection, fk: ForeignKey, column: str) -> str:
    sql = ("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
           "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s")
    got = conn.execute(sql, (f"{quote_ident(fk.ref_schema)}.{quote_ident(fk.ref_table)}", column)).fetchone()
    return got[0] if got else "text"
