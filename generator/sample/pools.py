"""What a generated table leaves for the tables below it: the values of every column set a
foreign key references, per row, and each row's tenant and owner, indexed so a child can
pick a parent of its own tenant or owner."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from generator.model import ForeignKey, Schema, Table


@dataclass
class Pool:
    table: Table
    keys: dict[tuple[str, ...], list[tuple]] = field(default_factory=dict)   # ref columns -> per row
    tenant: list = field(default_factory=list)
    owner: list = field(default_factory=list)
    by_tenant: dict = field(default_factory=dict)
    by_owner: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tenant)

    def add(self, row: dict, tenant, owner) -> None:
        i = len(self.tenant)
        for cols, values in self.keys.items():
            values.append(tuple(row.get(c) for c in cols))
        self.tenant.append(tenant)
        self.owner.append(owner)
        if tenant is not None:
            self.by_tenant.setdefault(tenant, []).append(i)
        if owner is not None:
            self.by_owner.setdefault(owner, []).append(i)

    def candidates(self, tenant, owner) -> list[int] | range:
        """Rows a child of this tenant and owner may point at (all rows when unscoped)."""
        if tenant is not None and self.by_tenant:
            return self.by_tenant.get(tenant, [])
        if owner is not None and self.by_owner:
            return self.by_owner.get(owner, [])
        return range(len(self))


def referenced_sets(schema: Schema, extra: list[Table]) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    """For each table, the column tuples that foreign keys (of spec tables) reference."""
    out: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for t in list(schema.tables) + extra:
        for fk in t.foreign_keys:
            out.setdefault((fk.ref_schema, fk.ref_table), set()).add(fk.ref_columns)
    return out


def owner_tables(schema: Schema) -> set[tuple[str, str]]:
    """Tables whose rows are users: what owner columns reference (auth.users, app users)."""
    out = set()
    for t in schema.tables:
        col = t.meta.owner_column
        fk = next((fk for fk in t.foreign_keys if fk.columns == (col,)), None) if col else None
        if fk is not None:
            out.add((fk.ref_schema, fk.ref_table))
        elif col and t.primary_key and t.primary_key.columns == (col,):
            out.add(t.key)                       # a users table that owns itself (owner: id)
    return out


def counts_per_parent(r: random.Random, parents: int, total: int, cap: int | None) -> list[int]:
    """How many children each parent row gets: about total/parents each, uneven (0.3x to
    1.7x) as real data is, never above `cap`."""
    if parents == 0:
        return []
    mean = total / parents
    if cap is not None and mean >= cap:
        return [cap] * parents
    out = []
    for _ in range(parents):
        n = int(mean * (0.3 + 1.4 * r.random()) + r.random())
        out.append(min(n, cap) if cap is not None else n)
    return out


def fk_target(fk: ForeignKey) -> tuple[str, str]:
    return (fk.ref_schema, fk.ref_table)
