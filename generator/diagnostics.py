"""Diagnostics as data: locations, coded findings, the exception that carries them,
exit codes, and the one formatter that prints them (human, json, github)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

# Exit codes live here and nowhere else.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 4     # a bug in gen (an exception no check turned into a diagnostic)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a source file; line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a code (two letters, three digits), a dotted name, a message,
    where it is and what to do about it."""

    code: str
    message: str
    loc: Location | None = None
    name: str = ""
    hint: str = ""
    severity: str = "error"  # error | warning | off (a lint finding an override suppressed)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "name": self.name,
            "message": self.message,
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "col": self.loc.col if self.loc else None,
            "hint": self.hint or None,
        }


class GenError(Exception):
    """Raised with every diagnostic collected so far; carries the exit code to use."""

    def __init__(self, diagnostics: Iterable[Diagnostic], exit_code: int = EXIT_BAD_INPUT):
        self.diagnostics = list(diagnostics)
        self.exit_code = exit_code
        super().__init__("; ".join(d.message for d in self.diagnostics))


def error(code: str, message: str, loc: Location | None = None, name: str = "", hint: str = "") -> GenError:
    """Shorthand for raising a single-diagnostic error of bad input."""
    return GenError([Diagnostic(code, message, loc, name, hint)])


@dataclass
class Collector:
    """Collects diagnostics like a compiler, so a spec reports every error at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, code: str, message: str, loc: Location | None = None, name: str = "", hint: str = "",
            severity: str = "error") -> None:
        self.items.append(Diagnostic(code, message, loc, name, hint, severity))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise GenError(sort_diagnostics(self.items))


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic):
        loc = d.loc or Location("", 0, 0)
        return (loc.file, loc.line, loc.col, d.code, d.message)

    unique = list(dict.fromkeys(diags))
    return sorted(unique, key=key)


def format_diagnostics(diags: Iterable[Diagnostic], fmt: str = "human", color: bool = False) -> str:
    diags = list(diags)
    if fmt == "json":
        return json.dumps([d.to_dict() for d in diags], indent=2)
    if fmt == "github":
        lines = []
        for d in diags:
            kind = {"error": "error", "off": "notice"}.get(d.severity, "warning")
            props = []
            if d.loc:
                props += [f"file={d.loc.file}", f"line={d.loc.line}", f"col={d.loc.col}"]
            props.append(f"title={d.code}")
            msg = d.message + (f" (hint: {d.hint})" if d.hint else "")
            msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::{kind} {','.join(props)}::{msg}")
        return "\n".join(lines)
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if color else ("", "", "", "")
    lines = []
    for d in diags:
        where = f"{d.loc}: " if d.loc else ""
        name = f" [{d.name}]" if d.name else ""
        sev = (f"{red}error{reset}" if d.severity == "error" else f"{dim}suppressed{reset}" if d.severity == "off"
               else f"{yellow}warning{reset}")
        lines.append(f"{where}{sev} {d.code}{name} {d.message}")
        if d.hint:
            lines.append(f"  {dim}hint: {d.hint}{reset}")
    return "\n".join(lines)
