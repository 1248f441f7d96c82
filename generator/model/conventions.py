"""Naming conventions for the constraints and indexes a spec does not name: gen's own (PostgreSQL's
defaults), Rails (`fk_rails_<hash>`, `index_<table>_on_<a>_and_<b>`), Django
(`<table>_<column>_<hash>_fk_<target>_<column>`, `<table>_<columns>_<hash>`) and Prisma
(`<Table>_<columns>_key` unique indexes). Declared once (`naming: {convention: rails}`), detected
by `gen import`, so imported specs spell out only the names that follow none."""
from __future__ import annotations

import hashlib

from generator.model.naming import constraint_name, shorten

CONVENTIONS = ("gen", "rails", "django", "prisma")
# What a convention makes a unique key as: a constraint (gen, Django) or a unique index (Rails, Prisma).
UNIQUE_AS_INDEX = frozenset({"rails", "prisma"})


def _sha10(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _md5_8(*parts: str) -> str:
    h = hashlib.md5(usedforsecurity=False)
    for p in parts:
        h.update(p.encode())
    return h.hexdigest()[:8]


def primary_key(convention: str, table: str) -> str:
    return shorten(f"{table}_pkey")


def foreign_key(convention: str, table: str, columns, ref_table: str = "", ref_columns=()) -> str:
    cols = list(columns)
    if convention == "rails" and len(cols) == 1:
        return f"fk_rails_{_sha10(f'{table}_{cols[0]}_fk')}"
    if convention == "django" and len(cols) == 1 and ref_columns:
        name = f"{table}_{cols[0]}_{_md5_8(table, cols[0])}_fk_{ref_table}_{list(ref_columns)[0]}"
        if len(name.encode()) <= 63:
            return name
    return constraint_name(table, cols, "fkey")


def index(convention: str, table: str, columns, unique: bool = False) -> str:
    """An index on plain columns."""
    cols = list(columns)
    if convention == "rails":
        name = f"index_{table}_on_{'_and_'.join(cols)}"
        if len(name.encode()) <= 63:
            return name
    if convention == "django" and not unique:
        name = f"{table}_{'_'.join(cols)}_{_md5_8(table, *cols)}"
        if len(name.encode()) <= 63:
            return name
    return constraint_name(table, cols, "key" if unique else "idx")


def unique(convention: str, table: str, columns) -> str:
    """A unique constraint (or, for Rails and Prisma, the unique index they make instead)."""
    cols = list(columns)
    if convention == "rails":
        return index(convention, table, cols, True)
    if convention == "django" and len(cols) > 1:
        name = f"{table}_{'_'.join(cols)}_{_md5_8(table, *cols)}_uniq"
        if len(name.encode()) <= 63:
            return name
    return constraint_name(table, cols, "key")


def check(convention: str, table: str, columns, expression: str = "") -> str:
    if convention == "rails" and expression:
        return f"chk_rails_{_sha10(f'{table}_{expression}_chk')}"
    return constraint_name(table, list(columns), "check")
