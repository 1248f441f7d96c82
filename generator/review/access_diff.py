"""The access matrix before and after: only the cells that changed, each judged widened,
narrowed or changed; a new table or view shows all its cells. Widened access comes first,
another tenant's rows and anonymous access before the rest."""
from __future__ import annotations

from dataclasses import dataclass, replace

from generator.review.access import ALLOWED, DENIED, FALLBACK, RANK, Cell, Matrix
from generator.review.principals import CLASSES, COMMANDS

WIDENED, NARROWED, CHANGED, NEW = "widened", "narrowed", "changed", "new"
EXPOSING = ("other tenant", "anon")          # classes whose widened access is flagged at the top


@dataclass(frozen=True)
class CellChange:
    object: str                  # the table or view as HEAD names it
    kind: str                    # table | view
    principal: str
    command: str
    before: Cell | None
    after: Cell | None
    change: str                  # widened | narrowed | changed | new
    old_name: str | None = None  # the object's name in BASE, when renamed
    proof: str | None = None     # with --verify: proven | disproven | not probed (why)

    @property
    def cross_tenant(self) -> bool:
        return self.principal == "other tenant" and self._exposes

    @property
    def public(self) -> bool:
        return self.principal == "anon" and self._exposes

    @property
    def _exposes(self) -> bool:
        return self.change == WIDENED or (self.change == NEW and self.after is not None and self.after.level != DENIED)

    @property
    def flagged(self) -> bool:
        return self.cross_tenant or self.public


@dataclass
class AccessDiff:
    changes: list[CellChange]
    new_objects: list[str]           # tables and views HEAD adds (all their cells are NEW)
    dropped_objects: list[str]

    def widened(self) -> list[CellChange]:
        return [c for c in self.changes if c.change == WIDENED]


def compare(base: Matrix, head: Matrix, renamed: dict[str, str]) -> AccessDiff:
    """`renamed`: HEAD object name -> BASE object name."""
    kept = {renamed.get(name, name) for name in head.cells}
    out: list[CellChange] = []
    new_objects = []
    for name, classes in head.cells.items():
        old = renamed.get(name, name)
        before = base.cells.get(old)
        if before is None:
            new_objects.append(name)
        for c in CLASSES:
            for cmd in COMMANDS:
                after = classes[c][cmd]
                if before is None:
                    if after is not None:
                        out.append(CellChange(name, head.kinds[name], c, cmd, None, after, NEW))
                    continue
                was = _cell_or_fallback(before, c, cmd) if after is not None else before[c][cmd]
                change = judge(was, after)
                if change:
                    out.append(CellChange(name, head.kinds[name], c, cmd, was, after, change,
                                          old if old != name else None))
    dropped = [name for name in base.cells if name not in kept]
    return AccessDiff(sorted(out, key=_order), new_objects, dropped)


def _cell_or_fallback(before: dict, c: str, cmd: str) -> Cell | None:
    """The BASE cell of a class; where the class did not apply then (a table that becomes
    tenant-scoped), the cell of the class it was part of (authenticated)."""
    for name in FALLBACK.get(c, (c,)):
        got = before[name][cmd]
        if got is not None:
            return got
    return before.get("authenticated", {}).get(cmd)


def judge(before: Cell | None, after: Cell | None) -> str | None:
    """widened / narrowed / changed, or None when the cell says the same."""
    if before == after:
        return None
    if before is None or after is None:
        return CHANGED if (before or after) and (before or after).level != DENIED else None
    if before.text == after.text:
        return None
    if RANK[after.level] != RANK[before.level]:
        return WIDENED if RANK[after.level] > RANK[before.level] else NARROWED
    if after.level == DENIED:
        return None                                          # denied for another reason
    if after.level == ALLOWED and (before.except_, before.columns, before.notes) == \
            (after.except_, after.columns, after.notes):
        return None                                          # every row of the relation, for another reason
    score = _columns_score(before, after)
    if score:
        return WIDENED if score > 0 else NARROWED
    return CHANGED


def _columns_score(before: Cell, after: Cell) -> int:
    """+1 when the write reaches more columns (fewer protected, a wider column grant), -1 fewer."""
    if before.rows != after.rows:
        return 0
    b_ex, a_ex = set(before.except_), set(after.except_)
    if b_ex != a_ex and before.columns == after.columns:
        return 1 if a_ex < b_ex else -1 if b_ex < a_ex else 0
    if before.except_ == after.except_ and before.columns != after.columns:
        if not after.columns:
            return 1
        if not before.columns:
            return -1
        return 1 if set(after.columns) > set(before.columns) else -1 if set(after.columns) < set(before.columns) else 0
    return 0


def _order(c: CellChange) -> tuple:
    rank = {WIDENED: 0, NEW: 1, CHANGED: 2, NARROWED: 3}[c.change]
    return (not c.cross_tenant, not c.public, rank, c.object, CLASSES.index(c.principal), COMMANDS.index(c.command))


def with_proofs(diff: AccessDiff, proofs: dict[tuple[str, str, str], str]) -> AccessDiff:
    """Attach --verify's verdicts ((object, class, command) -> proven / disproven …)."""
    return AccessDiff([replace(c, proof=proofs.get((c.object, c.principal, c.command))) for c in diff.changes],
                      diff.new_objects, diff.dropped_objects)
