"""The review as data: findings beside statements, migration parts, risk flags, the verdict and
the whole Review that the renderers (markdown, json, github) print."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.diagnostics import Location

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    """One lint or risk: `source` gen (migration safety), security (gen's lints), squawk or
    review (locks, data-dependent changes); `code` MG001, RL005, ban-drop-column, RV004 …"""

    source: str
    code: str
    severity: str
    message: str
    loc: Location | None = None
    key: str = ""                   # e.g. the allow_destructive key of a destructive change
    acknowledged: bool = False      # listed in the spec's migrations.allow_destructive


@dataclass
class StatementReview:
    sql: str
    comment: str
    step: str                       # pre | main | post
    transactional: bool
    lock: str                       # in words: `ACCESS EXCLUSIVE on users (rewrite)`
    lock_kind: str
    heavy: bool                     # blocks writes beyond a catalog update, on a table that exists
    existing: bool = False          # locks a table that exists before the migration
    governs: str | None = None      # the table or view whose access it changes (policy, grant, RLS)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class PartReview:
    """One migration file's worth: the statements of one step, and what undoes them."""

    step: str
    transactional: bool
    statements: list[StatementReview]
    down: list[StatementReview] = field(default_factory=list)
    irreversible: str | None = None


@dataclass(frozen=True)
class Flag:
    """A risk raised by the change: `name` (destructive, cross-tenant …), its code, the lint codes
    that raised it and one line per instance."""

    code: str
    name: str
    title: str
    codes: tuple[str, ...]
    items: tuple[str, ...]
    locs: tuple[Location | None, ...] = ()


@dataclass(frozen=True)
class Verdict:
    status: str                     # fail | review | pass
    line: str
    failing: tuple[str, ...]        # flag names that make it fail under the policy
    exit_code: int


@dataclass
class Review:
    base: str
    head: str
    name: str
    counts: dict                    # kind -> verb -> n
    objects: list                   # objects.ObjectChange
    flags: list[Flag]
    verdict: Verdict
    parts: list[PartReview]
    unplaced: list[Finding]         # security lint findings no statement concerns
    resolved: list[Finding]         # security lint findings BASE had and HEAD no longer has
    access: object                  # access_diff.AccessDiff
    datamodel: object               # datamodel.DataModelDiff
    orm: list                       # orm.OrmChange
    squawk: str                     # "ran" | why not
    verified: str | None = None     # with --verify: a summary of the proof run
