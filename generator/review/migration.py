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
from generator.model import Check, Schema, Table, Unique
from generator.postgres.render import Statement
from generator.review import locks
from generator.review.report import ERROR, WARNING, Finding, PartReview, StatementReview

# Which statement of a change a safety finding concerns (by its key's kind); else the first.
_RISK_STATEMENT = {"drop_table": r"^DROP TABLE", "drop_column": r"DROP COLUMN", "alter_type": r" TYPE ",
                   "set_not_null": r"SET NOT NULL", "drop_enum_value": r"^DO \$check\$", "MG002": r"ADD COLUMN"}


def parts(changes: list[ch.Change], allow: list[str], new_lints: list[Diagnostic], head: Schema
          ) -> tuple[list[PartReview], list[Finding], list[list[Statement]]]:
    """The migration's parts with their findings, the security findings no statement concerns,
    and each part's up statements."""
    new_tables = {c.table.key for c in changes if isinstance(c, ch.AddTable)}
    where = {t.key: t.loc for t in head.tables}          # for the findings of drops
    lints = list(new_lints)
    out, ups = [], []
    for part in split_parts(changes):
        ups.append(part.up)
        up = [_statement(s, new_tables, where) for s in part.up]
        _place_change_findings(part.up, up, allow, where)
        lints = _place_lints(part.up, up, lints)
        down, irreversible = down_statements(part)
        out.append(PartReview(part.step, all(s.transactional and s.step == "main" for s in part.up), up,
                              [_statement(s, None, where) for s in down], irreversible))
    return out, [security_finding(d) for d in lints], ups


def _statement(s: Statement, new_tables: set | None, where: dict) -> StatementReview:
    """A statement with its lock; `new_tables` None: a down statement (no findings)."""
    rule = locks.rule_for(s.sql)
    table, ref = _tables_of(s.change, s.sql)
    exists = table is not None and new_tables is not None and table.key not in new_tables
    heavy = locks.heavy(rule) and exists
    existing = exists and rule.lock is not None or bool(rule.referenced and ref and new_tables is not None and
                                                        _existing_ref(s.change, new_tables))
    review = StatementReview(s.sql, s.comment, s.step, s.transactional,
                             locks.words(rule, table.name if table else None, ref), rule.kind, heavy, existing,
                             _governs(s.change))
    if heavy:
        review.findings.append(Finding("review", "RV004", WARNING, f"{rule.lock} on {table.name} for a {rule.duration} "
                                       f"of the table: {'reads and writes' if rule.lock in locks.BLOCKS_READS else 'writes'}"
                                       " wait until it ends", _loc(s.change, where)))
    return review


ACCESS_CHANGES = (ch.AddPolicy, ch.DropPolicy, al.AlterPolicy, ch.SetRls, ch.AddGrant, ch.RevokeGrant,
                  ch.AddView, ch.DropView)


def _governs(change) -> str | None:
    if not isinstance(change, ACCESS_CHANGES):
        return None
    obj = getattr(change, "table", None) or getattr(change, "view", None)
    return obj.name if obj.schema == "public" else f"{obj.schema}.{obj.name}"


def attach_access(parts: list[PartReview], access) -> None:
    """Beside each statement that changes a table's policies, grants or RLS: the access it widens
    there (RV007 another tenant, RV008 anonymous, RV006 the rest)."""
    from generator.review.access_diff import WIDENED
    by_object: dict[str, list] = {}
    for c in access.changes:
        if c.flagged or c.change == WIDENED:
            by_object.setdefault(c.object, []).append(c)
    for part in parts:
        for st in part.statements:
            for c in by_object.get(st.governs or "", []):
                code = "RV007" if c.cross_tenant else "RV008" if c.public else "RV006"
                before = c.before.text if c.before else "—"
                st.findings.append(Finding("review", code, ERROR if c.cross_tenant else WARNING,
                                           f"{c.principal} may now {c.command} {c.object}: {before} → {c.after.text}"))


def _existing_ref(change, new_tables: set) -> bool:
    """A statement of a new table (or key) that locks a table referenced by it which exists."""
    fks = [change.fk] if getattr(change, "fk", None) is not None else \
        list(change.table.foreign_keys) if isinstance(change, ch.AddTable) else []
    return any((fk.ref_schema, fk.ref_table) not in new_tables for fk in fks)


def _tables_of(change, sql: str) -> tuple[Table | None, str | None]:
    table = change.old if isinstance(change, al.RenameTable) else getattr(change, "table", None)
    table = table if isinstance(table, Table) else None
    ref = None
    fk = getattr(change, "fk", None)
    if fk is not None:
        ref = fk.ref_table
    elif isinstance(change, ch.AddTable) and change.table.foreign_keys:
        refs = sorted({f.ref_table for f in change.table.foreign_keys if f.ref_table != change.table.name})
        ref = ", ".join(refs) or None
    return table, ref


_DROPS = (al.DropColumn, al.DropConstraint, ch.DropForeignKey, ch.DropIndex, ch.DropPolicy, ch.DropTrigger,
          ch.RevokeGrant, ch.DropTable)


def _loc(change, where: dict):
    """Where HEAD declares what the change concerns; for a drop, the table it was dropped from
    (`where`: HEAD's table locations), never the line BASE had."""
    if isinstance(change, _DROPS):
        return where.get(change.table.key)
    for attr in ("column", "new", "policy", "index", "fk", "constraint", "table"):
        got = getattr(change, attr, None)
        if getattr(got, "loc", None) is not None:
            return got.loc
    return None


# ---------------------------------------------------------------- gen's safety and data-dependent steps

def _place_change_findings(statements: list[Statement], reviews: list[StatementReview], allow: list[str],
                           where: dict) -> None:
    by_change: dict[int, list[int]] = {}
    for i, s in enumerate(statements):
        by_change.setdefault(id(s.change), []).append(i)
    seen = set()
    for s in statements:
        c = s.change
        if c is None or id(c) in seen:
            continue
        seen.add(id(c))
        for finding, kind in _change_findings(c, allow, where):
            target = _pick(statements, by_change[id(c)], kind)
            reviews[target].findings.append(finding)


def _change_findings(c: ch.Change, allow: list[str], where: dict) -> list[tuple[Finding, str]]:
    out = []
    for r in safety.risks([c]):
        kind = r.key.split(":", 1)[0]
        acked = any(fnmatchcase(r.key, p) for p in allow)
        sev = WARNING if acked or kind == "set_not_null" else ERROR
        message = r.message + (" (acknowledged in migrations.allow_destructive)" if acked else "")
        out.append((Finding("gen", "MG001", sev, message, _loc(c, where), r.key, acked), kind))
    for d in safety.warnings([c]):
        out.append((Finding("gen", d.code, WARNING, d.message, _loc(c, where)), d.code))
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

