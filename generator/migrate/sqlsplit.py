"""Split a SQL script into statements: semicolons end a statement except inside quotes,
quoted identifiers, dollar-quoted bodies and comments."""
from __future__ import annotations

import re

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def split_statements(script: str) -> list[str]:
    """Statements without their trailing semicolon; comment-only chunks are dropped."""
    out, start, i, n = [], 0, 0, len(script)
    while i < n:
        ch = script[i]
        if ch == "-" and script.startswith("--", i):
            i = _until(script, "\n", i + 2)
        elif ch == "/" and script.startswith("/*", i):
            i = _until(script, "*/", i + 2)
        elif ch in "'\"":
            i = _quoted(script, ch, i)
        elif ch == "$" and (m := _DOLLAR.match(script, i)):
            i = _until(script, m.group(0), m.end())
        elif ch == ";":
            out.append(script[start:i])
            i += 1
            start = i
        else:
            i += 1
    out.append(script[start:])
    return [s.strip() for s in out if _has_code(s)]


def _until(text: str, token: str, start: int) -> int:
    """The index just past the next `token` at or after `start` (or the end of text)."""
    end = text.find(token, start)
    return len(text) if end < 0 else end + len(token)


def _quoted(text: str, quote: str, i: int) -> int:
    i += 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _has_code(chunk: str) -> bool:
    without = re.sub(r"--[^\n]*", "", chunk)
    without = re.sub(r"/\*.*?\*/", "", without, flags=re.DOTALL)
    return bool(without.strip())


def describe(statement: str) -> str:
    """A short label: the statement's leading comment, else its first line."""
    for line in statement.splitlines():
        text = line.strip()
        if text.startswith("--"):
            return text[2:].strip()
        if text:
            return text[:100]
    return ""
