"""Make one table's sample rows: spread over its main parent's rows, in the parent's tenant
and owner; other references picked from the same tenant/owner; values from the column
generators; CHECKs evaluated and unique keys kept (k-th distinct values within a parent);
a row that cannot be made valid is left out and counted."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Iterator

from generator.model import ForeignKey, Schema, Table
from generator.sample.checks import REF_TIME, Compiled, passes
from generator.sample.columns import TIME_KEY, ColumnGen
from generator.sample.plan import TablePlan, fk_core, folded_keys, one_per_parent, unique_keys
from generator.sample.pools import Pool, counts_per_parent, fk_target

RETRIES = 25
STARTS = 40             # k-th dates of a parent's rows begin up to this many steps back
TIME_BASES = ("date", "timestamp with time zone", "timestamp without time zone")
CHECK_RETRIES = 100      # a check between two columns (reserved <= quantity) may need many draws
FK_NULL = 0.2          # share of NULL in a nullable reference without a hint
YEAR = dt.timedelta(days=365)


@dataclass
class Stats:
    made: int = 0
    dropped: dict[str, int] = field(default_factory=dict)     # reason -> rows left out
    short: int = 0          # rows a parent did not get: its distinct values for a unique key ran out

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


@dataclass
class Key:
    columns: tuple[str, ...]
    group: tuple[str, ...]          # the main parent's columns in it
    free: tuple[str, ...]           # the rest, enumerated k-th within the group
    nulls_distinct: bool = True
    fold: bool = False              # compare case-insensitively (a unique index on lower(col))
    seen: set = field(default_factory=set)

    def value(self, row: dict) -> tuple:
        if self.fold:
            return tuple(v.lower() if isinstance(v, str) else v for v in (row.get(c) for c in self.columns))
        return tuple(row.get(c) for c in self.columns)


class TableMaker:
    def __init__(self, schema: Schema, p: TablePlan, gens: dict[str, ColumnGen], checks: list[Compiled],
                 pools: dict, seed: int, owner_targets: set, root: tuple[str, str] | None):
        self.schema, self.p, self.t = schema, p, p.table
        self.gens, self.checks, self.pools = gens, [c for c in checks if c.test], pools
        self.r = random.Random(f"{seed}:{self.t.schema}.{self.t.name}")
        self.owner_targets, self.root = owner_targets, root
        self.stats = Stats()
        self.fk_cols = {c for fk in self.t.foreign_keys for c in fk.columns}
        self.columns = [c.name for c in self.t.columns if not c.generated]
        self.keys = self._keys()
        kmode = {c for k in self.keys if k.group for c in k.free}
        self.kmode = kmode
        self.single = {k.columns[0] for k in self.keys if len(k.columns) == 1 and not k.group}
        order = sorted(self.columns, key=lambda c: gens[c].column.name != "created_at" if c in gens else True)
        self.order = [c for c in order if c in gens and c not in self.fk_cols]
        self.index = 0
        self.once = {fk.name: {} for fk in self.t.foreign_keys if fk is not p.parent and one_per_parent(self.t, fk)}

    # ------------------------------------------------------------ setup

    def _keys(self) -> list[Key]:
        main = set(self.p.parent.columns) if self.p.parent else set()
        core = fk_core(self.t, self.p.parent) if self.p.parent else set()
        nnd = {u.columns for u in self.t.uniques if u.nulls_not_distinct}
        out = []
        for cols in unique_keys(self.t):
            group = tuple(c for c in cols if c in main) if core and core <= set(cols) else ()
            out.append(Key(cols, group, tuple(c for c in cols if c not in group), cols not in nnd))
        out += [Key(cols, (), cols, True, True) for cols in folded_keys(self.t)]
        return out

    # ------------------------------------------------------------ rows

    def rows(self) -> Iterator[dict]:
        p = self.p
        if p.parent is None:
            for k in range(p.count):
                row = self._row(None, k, {})
                if row is not None:
                    yield row
            return
        parent = self.pools[fk_target(p.parent)]
        counts = counts_per_parent(self.r, len(parent), p.count, p.cap)
        for pi, n in enumerate(counts):
            perms: dict = {}
            for k in range(n):
                row = self._row(pi, k, perms)
                if row is _EXHAUSTED:
                    self.stats.short += n - k
                    break
                if row is not None:
                    yield row

    def _row(self, pi: int | None, k: int, perms: dict) -> dict | None:
        t, r = self.t, self.r
        row: dict = {TIME_KEY: REF_TIME - YEAR * r.random()}
        tenant = owner = None
        if pi is not None:
            parent = self.pools[fk_target(self.p.parent)]
            values = parent.keys[self.p.parent.ref_columns][pi]
            row.update(zip(self.p.parent.columns, values))
            tenant, owner = parent.tenant[pi], parent.owner[pi]
        tenant, owner = self._scope(row, tenant, owner)
        if tenant is False:
            return self._fail("no tenant to put it in")
        for fk in t.foreign_keys:
            if fk is self.p.parent or all(c in row for c in fk.columns):
                continue
            got = self._reference(fk, row, tenant, owner, k, perms)
            if got is _EXHAUSTED:
                return _EXHAUSTED
            if not got:
                return self._fail(f"no row of {fk.ref_table} for {fk.name}")
        for c in self.order:
            value = self._value(c, row, k, perms)
            if value is _EXHAUSTED:
                if c in self.kmode:
                    return _EXHAUSTED
                return self._fail(f"unique values of {c} used up")
            row[c] = value
        if not self._checks(row) or not self._unique(row):
            return None
        if t.key == self.root:
            tenant = row[t.primary_key.columns[0]]
        if t.key in self.owner_targets and t.primary_key and owner is None:
            owner = row[t.primary_key.columns[0]]
        self.pools[t.key].add(row, tenant, owner)
        self.stats.made += 1
        self.index += 1
        return row

    def _fail(self, reason: str) -> None:
        self.stats.drop(reason)
        return None

    def _scope(self, row: dict, tenant, owner):
        """The row's tenant and owner: inherited from the main parent, else picked; set into
        the tenant and owner columns. tenant False: a tenant was needed and none exists."""
        t = self.t
        tcol, ocol = t.meta.tenant_column, t.meta.owner_column
        if tcol and t.key != self.root:
            if row.get(tcol) is not None:
                tenant = row[tcol]
            elif tenant is None:
                roots = self.pools.get(self.root)
                if not roots:
                    return (None if t.column(tcol).nullable else False), owner
                tenant = roots.tenant[self.r.randrange(len(roots))]
            row[tcol] = tenant
        if ocol and ocol not in row and t.key not in self.owner_targets:
            fk = next((fk for fk in t.foreign_keys if fk.columns == (ocol,)), None)
            users = self.pools.get(fk_target(fk)) if fk else None
            if owner is None and users:
                pick = users.candidates(tenant, None)
                owner = users.owner[pick[self.r.randrange(len(pick))]] if len(pick) else None
            if owner is not None:
                row[ocol] = owner
        elif ocol and ocol in row:
            owner = row[ocol]
        return tenant, owner

    def _reference(self, fk: ForeignKey, row: dict, tenant, owner, k: int, perms: dict):
        cols = [c for c in fk.columns if c not in row]
        nullable = all(self.t.column(c).nullable for c in cols)
        target = fk_target(fk)
        pool = self.pools.get(target)
        hint = self._hint_null(fk)
        if pool is None or (nullable and not self._keyed(fk) and self.r.random() < hint):
            row.update((c, None) for c in cols)
            return nullable
        picks = self._picks(pool, fk, row, tenant, owner)
        if not len(picks):
            row.update((c, None) for c in cols)
            return _EXHAUSTED if self._keyed(fk) and not nullable else nullable
        if fk.name in self.once:              # a 1:1 reference: each parent row once
            scope = ("t", tenant) if tenant is not None and pool.by_tenant else \
                ("o", owner) if owner is not None and pool.by_owner else None
            left = self.once[fk.name].get(scope)
            if left is None:
                left = self.once[fk.name][scope] = self.r.sample(list(picks), len(picks))
            if not left:
                row.update((c, None) for c in cols)
                return nullable
            i = left.pop()
        elif self._keyed(fk):
            j = self._distinct(perms.setdefault(fk.name, set()), len(picks))
            if j is None:
                return _EXHAUSTED
            i = picks[j]
        else:
            i = picks[self.r.randrange(len(picks))]
        row.update(zip(fk.columns, pool.keys[fk.ref_columns][i]))
        return True

    def _distinct(self, used: set, n: int) -> int | None:
        """A position in 0..n-1 not used yet in this parent's group (None when all are)."""
        if len(used) >= n:
            return None
        for _ in range(8):
            j = self.r.randrange(n)
            if j not in used:
                used.add(j)
                return j
        j = self.r.choice([x for x in range(n) if x not in used])
        used.add(j)
        return j

    def _picks(self, pool: Pool, fk: ForeignKey, row: dict, tenant, owner):
        target = fk_target(fk)
        if target == self.root and tenant is not None:
            return [i for i in pool.candidates(tenant, None)]
        if target in self.owner_targets and owner is not None and pool.by_owner.get(owner):
            return pool.by_owner[owner]
        picks = pool.candidates(tenant, owner)
        fixed = [(j, row[c]) for j, c in enumerate(fk.columns) if c in row]
        if fixed:                                   # a composite key shares columns with the row
            keys = pool.keys[fk.ref_columns]
            picks = [i for i in picks if all(keys[i][j] == v for j, v in fixed)]
        return picks

    def _keyed(self, fk: ForeignKey) -> bool:
        return any(c in self.kmode for c in fk.columns)

    def _hint_null(self, fk: ForeignKey) -> float:
        hints = self.t.meta.sample
        hint = hints.hint(fk.columns[0]) if hints and len(fk.columns) == 1 else None
        return hint.null if hint and hint.null is not None else FK_NULL

    def _value(self, c: str, row: dict, k: int, perms: dict):
        gen = self.gens[c]
        col = gen.column
        if c in self.kmode and gen.nth is not None:
            if col.type.base in TIME_BASES:     # each parent's dates start at its own point in the year
                k += perms.setdefault("\0start", self.r.randrange(STARTS))
            value = gen.nth(self.r, row, k)
            return _EXHAUSTED if value is None else value
        if col.identity:
            return self.index + 1
        if gen.null and self.r.random() < gen.null:
            return None
        if c in self.single and gen.nth is not None:
            value = gen.nth(self.r, row, self.index)
            return _EXHAUSTED if value is None else value
        return gen.draw(self.r, row)

    def _checks(self, row: dict) -> bool:
        for _ in range(CHECK_RETRIES):
            bad = next((c for c in self.checks if not passes(c, row)), None)
            if bad is None:
                return True
            free = [c for c in bad.columns if c in self.gens and c not in self.fk_cols and c not in self.kmode
                    and c not in self.single]
            if not free:
                break
            for c in free:
                row[c] = self._redraw(c, row)
        self.stats.drop(f"check {bad.name}")
        return False

    def _redraw(self, c: str, row: dict):
        gen = self.gens[c]
        if gen.null and self.r.random() < 0.5:
            return None
        return gen.draw(self.r, row)

    def _unique(self, row: dict) -> bool:
        for key in self.keys:
            for _ in range(RETRIES):
                value = key.value(row)
                if key.nulls_distinct and None in value:
                    break
                if value not in key.seen:
                    break
                free = [c for c in key.free if c in self.gens and c not in self.fk_cols and c not in self.kmode]
                if not free:
                    self.stats.drop(f"duplicate {', '.join(key.columns)}")
                    return False
                for c in free:
                    row[c] = self.gens[c].draw(self.r, row)
                if not all(passes(ch, row) for ch in self.checks):
                    continue
            else:
                self.stats.drop(f"duplicate {', '.join(key.columns)}")
                return False
        for key in self.keys:
            value = key.value(row)
            if not (key.nulls_distinct and None in value):
                key.seen.add(value)
        return True


_EXHAUSTED = object()
