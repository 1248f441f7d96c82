"""Migration files as text: a change list becomes up to three parts (enum values before the
transaction, the transactional main part, concurrent index builds and validation after it),
each with an up script and the down script that undoes exactly that part."""
from __future__ import annotations

from generator.render import oneline

from dataclasses import dataclass, replace

from generator.diff import alter as al
from generator.diff import changes as ch
from generator.diff import reverse_changes
from generator.migrate import chunks
from generator.migrate.files import IRREVERSIBLE, NO_TRANSACTION
from generator.model.naming import quote_literal
from generator.postgres.plan import plan
from generator.postgres.render import STEPS, Statement, render_change

SUFFIX = {"pre": "_enum_values", "main": "", "post": "_concurrently"}
NOTE = {
    "pre": "Adds enum values outside a transaction, committed before any migration uses them.",
    "main": "",
    "post": "Builds indexes concurrently and validates constraints outside a transaction: "
            "each statement commits on its own and can be re-run.",
}


@dataclass
class Part:
    step: str
    changes: list[ch.Change]
    up: list[Statement]
    number: int = 0         # 1..count when a large main part is split (see chunks.py)
    count: int = 0

    @property
    def suffix(self) -> str:
        return SUFFIX[self.step] + (f"_part{self.number}" if self.count > 1 else "")

    @property
    def note(self) -> str:
        if self.count > 1:
            return (f"Part {self.number} of {self.count}: the change takes more locks than one transaction "
                    "should hold, so each part is a transaction of its own.")
        return NOTE[self.step]


def part_of(c: ch.Change) -> str:
    """pre / post when every statement of the change runs there, else main."""
    steps = {s.step for s in render_change(c)} if not isinstance(c, ch.AddTable) else {"main"}
    return steps.pop() if len(steps) == 1 else "main"


def split_parts(changes: list[ch.Change]) -> list[Part]:
    statements = plan(changes).statements
    parts = []
    for step in STEPS:
        mine = [c for c in changes if part_of(c) == step]
        up = [s for s in statements if s.step == step]
        if not up:
            continue
        pieces = chunks.split(mine, up) if step == "main" else [(mine, up)]
        parts += [Part(step, c, u, i, len(pieces)) for i, (c, u) in enumerate(pieces, 1)]
    return parts


def blocking(c: ch.Change) -> ch.Change:
    """In a down script everything stays in one transaction (atomic): no concurrent builds."""
    if isinstance(c, (ch.AddIndex, ch.DropIndex)) and c.concurrently:
        return replace(c, concurrently=False)
    if isinstance(c, (al.AddConstraint, ch.AddForeignKey)) and c.existing:
        return replace(c, existing=False)
    return c


def down_statements(part: Part) -> tuple[list[Statement], str | None]:
    """Statements undoing `part`, or (, reason) when a change has no reverse."""
    try:
        undo = reverse_changes(part.changes)
    except NotImplementedError as exc:
        return [], f"{exc} cannot be reversed"
    if part.step == "main":
        undo = [blocking(c) for c in undo]
    return plan(undo).statements, None


def _header(name: str, direction: str, spec: str, notes: list[str], preview: bool = False) -> str:
    origin = (f"-- What `gen migrate new` would write for {spec} (a preview by `gen diff`)." if preview else
              f"-- Written by `gen migrate new` from {spec}; never edit it once applied (checksums: gen.sum).")
    lines = [f"-- gen migration {name} ({direction})", origin]
    return "\n".join(lines + [f"-- {n}" for n in notes if n]) + "\n"


def script(name: str, direction: str, spec: str, statements: list[Statement], lock_timeout: str,
           notes: list[str] = (), preview: bool = False, wrap: bool = True) -> str:
    """A migration file. `wrap`: write BEGIN/COMMIT around a transactional script (gen's runner
    owns the transaction either way; the Supabase CLI opens its own, so its layout omits them)."""
    transactional = all(s.transactional and s.step == "main" for s in statements)
    head = ([] if transactional else [NO_TRANSACTION]) + [_header(name, direction, spec, list(notes), preview)]
    head[-1] = head[-1].rstrip("\n")
    parts = ["\n".join(head) + "\n", f"SET lock_timeout = {quote_literal(lock_timeout)};\n"]
    if not statements:
        return "".join(parts) + "\n-- nothing to do\n"
    if transactional and wrap:
        parts.append("\nBEGIN;\n")
    parts += [f"\n-- {oneline(s.comment)}\n{s.sql}\n" for s in statements]
    if transactional and wrap:
        parts.append("\nCOMMIT;\n")
    return "".join(parts)


def irreversible_script(name: str, spec: str, reason: str) -> str:
    message = quote_literal(f"migration {name} cannot be reverted: {reason}")
    return (f"{IRREVERSIBLE} {reason}\n" + _header(name, "down", spec, []) +
            f"\nDO $irreversible$\nBEGIN\n  RAISE EXCEPTION {message};\nEND\n$irreversible$;\n")


def part_note(step: str) -> str:
    return NOTE[step]
