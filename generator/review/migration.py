"""The migration section: the up SQL (and the down) split into the parts `gen migrate new` would
write (before the transaction, the transaction, after it), each statement with the lock it takes
and, beside it, the findings that concern it: gen's migration safety (MG001 destructive, MG002),
data-dependent steps and heavy locks (RV003, RV004), the security lints HEAD adds (RL0xx) and
squawk's (when installed)."""
from __future__ import annotations

import re
from fnmatch import fnmatchcase

from generator.diagnostics import Diagnostic
from generator.diff import alter as al
from generator.diff import changes as ch
from generator.lint.context import policy_name
from generator.migrate import safety
from generator.migrate.script import down_statements, split_parts
from generator.model import Check, Table, Unique
from generator.postgres.render import Statement
from generator.review import locks
from generator.review.report import ERROR, WARNING, Finding, PartReview, StatementReview

# Which statement of a change a safety finding concerns (by its key's kind); else the first.
_RISK_STATEMENT = {"drop_table": r"^DROP TABLE", "drop_column": r"DROP COLUMN", "alter_type": r" TYPE ",
                   "set_not_null": r"SET NOT NULL", "drop_enum_value": r"^DO \$check\$", "MG002": r"ADD COLUMN"}


def parts(changes: list[ch.Change], allow: list[str], new_lints: list[Diagnostic]
          ) -> tuple[list[PartReview], list[Finding], list[list[Statement]]]:
    """The migration's parts with their findings, the security findings no statement concerns,
    and each part's up statements."""
    new_tables = {c.table.key for c in changes if isinstance(c, ch.AddTable)}
    lints = list(new_lints)
    out, ups = [], []
    for part in split_parts(changes):
        ups.append(part.up)
        up = [_statement(s, new_tables) for s in part.up]
        _place_change_findings(part.up, up, allow)
        lints = _place_lints(part.up, up, lints)
        down, irreversible = down_statements(part)
        out.append(PartReview(part.step, all(s.transactional and s.step == "main" for s in part.up), up,
                              [_statement(s, None) for s in down], irreversible))
    return out, [security_finding(d) for d in lints], ups


def _statement(s: Statement, new_tables: set | None) -> StatementReview:
    """A statement with its lock; `new_tables` None: a down statement (no findings)."""
    rule = locks.rule_for(s.sql)
    table, ref = _tables_of(s.change, s.sql)
    exists = table is not None and new_tables is not None and table.key not in new_tables
    heavy = locks.heavy(rule) and exists
    review = StatementReview(s.sql, s.comment, s.step, s.transactional,
                             locks.words(rule, table.name if table else None, ref), rule.kind, heavy)
    if heavy:
        review.findings.append(Finding("review", "RV004", WARNING, f"{rule.lock} on {table.name} for a {rule.duration} "
                                       f"of the table: {'reads and writes' if rule.lock in locks.BLOCKS_READS else 'writes'}"
                                       " wait until it ends", _loc(s.change)))
    return review


def _tables_of(change, sql: str) -> tuple[Table | None, str | None]:
    table = getattr(change, "table", None)
    table = table if isinstance(table, Table) else None
    ref = None
    fk = getattr(change, "fk", None)
    if fk is not None:
        ref = fk.ref_table
    elif isinstance(change, ch.AddTable) and change.table.foreign_keys:
        refs = sorted({f.ref_table for f in change.table.foreign_keys if f.ref_table != change.table.name})
        ref = ", ".join(refs) or None
    return table, ref


def _loc(change):
    for attr in ("column", "new", "policy", "index", "fk", "constraint", "table"):
        got = getattr(change, attr, None)
        if getattr(got, "loc", None) is not None:
            return got.loc
    return None


# ---------------------------------------------------------------- gen's safety and data-dependent steps

def _place_change_findings(statements: list[Statement], reviews: list[StatementReview], allow: list[str]) -> None:
    by_change: dict[int, list[int]] = {}
    for i, s in enumerate(statements):
        by_change.setdefault(id(s.change), []).append(i)
    seen = set()
    for s in statements:
        c = s.change
        if c is None or id(c) in seen:
            continue
        seen.add(id(c))
        for finding, kind in _change_findings(c, allow):
            target = _pick(statements, by_change[id(c)], kind)
            reviews[target].findings.append(finding)


def _change_findings(c: ch.Change, allow: list[str]) -> list[tuple[Finding, str]]:
    out = []
    for r in safety.risks([c]):
        kind = r.key.split(":", 1)[0]
        acked = any(fnmatchcase(r.key, p) for p in allow)
        sev = WARNING if acked or kind == "set_not_null" else ERROR
        message = r.message + (" (acknowledged in migrations.allow_destructive)" if acked else "")
        out.append((Finding("gen", "MG001", sev, message, _loc(c), r.key, acked), kind))
    for d in safety.warnings([c]):
        out.append((Finding("gen", d.code, WARNING, d.message, _loc(c)), d.code))
    out += [(f, "validate") for f in _data_dependent(c)]
    return out


def _data_dependent(c: ch.Change) -> list[Finding]:
    """Steps that fail on a table whose existing rows do not fit (RV003)."""
    def where(t: Table) -> str:
        return t.name if t.schema == "public" else f"{t.schema}.{t.name}"

    if isinstance(c, al.AddConstraint) and c.existing:
        k = c.constraint
        what = "a row breaks the check" if isinstance(k, Check) else \
            "two rows share the key" if isinstance(k, Unique) else "a row breaks the key"
        return [Finding("review", "RV003", WARNING, f"{k.name} on {where(c.table)} fails if {what}", k.loc)]
    if isinstance(c, ch.AddForeignKey) and c.existing and c.fk.validated:
        return [Finding("review", "RV003", WARNING, f"validating {c.fk.name} fails if a row of {where(c.table)} "
                        f"points at no {c.fk.ref_table} row", c.fk.loc)]
    return []


def _pick(statements: list[Statement], indexes: list[int], kind: str) -> int:
    pattern = _RISK_STATEMENT.get(kind) or (r"VALIDATE|CREATE UNIQUE INDEX|ADD CONSTRAINT" if kind == "validate"
                                            else None)
    if pattern:
        for i in indexes:
            if re.search(pattern, statements[i].sql):
                return i
    return indexes[0]


# ---------------------------------------------------------------- security lints

def security_finding(d: Diagnostic) -> Finding:
    return Finding("security", d.code, ERROR if d.severity == "error" else WARNING, d.message, d.loc)


def _place_lints(statements: list[Statement], reviews: list[StatementReview],
                 lints: list[Diagnostic]) -> list[Diagnostic]:
    """Put each new lint finding beside the statement that concerns its object (the policy's own
    statement when it names a policy); return those no statement here concerns."""
    left = []
    for d in lints:
        target = _lint_target(statements, d)
        if target is None:
            left.append(d)
        else:
            reviews[target].findings.append(security_finding(d))
    return left


def _lint_target(statements: list[Statement], d: Diagnostic) -> int | None:
    first = None
    for i, s in enumerate(statements):
        t = getattr(s.change, "table", None)
        if not isinstance(t, Table) or not (d.name == t.qname or d.name.startswith(t.qname + ".")):
            continue
        pol = getattr(s.change, "policy", None) or getattr(s.change, "new", None)
        if pol is not None and hasattr(pol, "using") and d.name == policy_name(t, pol):
            return i
        if first is None:
            first = i
    return first

