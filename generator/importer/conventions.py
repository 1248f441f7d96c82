"""Which naming convention (gen, Rails, Django, Prisma) the database's constraint and index names
follow: the one whose default names match the most; gen's on a tie. The spec declares it once
(`naming: {convention: ...}`) and spells out only the names that differ."""
from __future__ import annotations

from generator.importer.context import ImportCtx
from generator.model import conventions as names


def detect_convention(ctx: ImportCtx) -> str:
    scores = {c: _score(ctx, c) for c in names.CONVENTIONS}
    best = max(names.CONVENTIONS, key=lambda c: (scores[c], c == "gen"))
    return best if scores[best] > scores["gen"] else "gen"


def _score(ctx: ImportCtx, convention: str) -> int:
    hits = 0
    for t in ctx.model.tables:
        if t.primary_key and t.primary_key.name == names.primary_key(convention, t.name):
            hits += 1
        hits += sum(fk.name == names.foreign_key(convention, t.name, fk.columns, fk.ref_table, fk.ref_columns)
                    for fk in t.foreign_keys)
        hits += sum(u.name == names.unique(convention, t.name, u.columns) for u in t.uniques)
        hits += sum(i.name == names.index(convention, t.name, i.columns, i.unique) for i in t.indexes
                    if i.columns and len(i.columns) == len(i.elements))
    return hits
