"""Plain-text facts about SQL files for `gen import --sql`: psql meta-commands blanked out,
statement boundaries (quotes, dollar quotes and comments respected) and positions as lines."""
from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Span:
    start: int      # index of the statement's first character (after leading blanks/comments)
    end: int        # index just past its terminating ';' (or the end of the text)


def blank_meta_commands(text: str) -> tuple[str, list[int]]:
    """psql meta-command lines (`\\connect`, `\\restrict` …) blanked, keeping line numbers;
    returns the text and the 1-based lines blanked. Lines inside strings are not touched."""
    inside = _inside_literal_mask(text)
    out, blanked, pos = [], [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("\\") and not inside[pos + len(line) - len(line.lstrip())]:
            out.append("")
            blanked.append(number)
        else:
            out.append(line)
        pos += len(line) + 1
    return "\n".join(out), blanked


def _inside_literal_mask(text: str) -> list[bool]:
    """For each index: True when it lies inside a string, identifier, comment or dollar quote."""
    mask = [False] * (len(text) + 1)
    for a, b in _literal_ranges(text):
        for i in range(a, b):
            mask[i] = True
    return mask


def _literal_ranges(text: str) -> list[tuple[int, int]]:
    """Ranges covered by quoted strings, quoted identifiers, comments and dollar quotes."""
    ranges, i = [], 0
    while i < len(text):
        end = _literal_end(text, i)
        if end is not None:
            ranges.append((i, end))
        i = end if end is not None else i + 1
    return ranges


def _literal_end(text: str, i: int) -> int | None:
    """If a string/identifier/comment/dollar quote starts at i, the index just past it."""
    ch = text[i]
    if ch == "'" or ch == '"':
        j = i + 1
        while j < len(text):
            if text[j] == ch:
                if text[j + 1:j + 2] == ch:
                    j += 2
                    continue
                return j + 1
            if ch == "'" and text[j] == "\\" and _is_escape_string(text, i):
                j += 2
                continue
            j += 1
        return len(text)
    if text.startswith("--", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        depth, j = 1, i + 2
        while j < len(text) and depth:
            if text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return j
    if ch == "$" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
        m = _DOLLAR.match(text, i)
        if m:
            close = text.find(m.group(0), m.end())
            return len(text) if close < 0 else close + len(m.group(0))
    return None


def _is_escape_string(text: str, quote: int) -> bool:
    if quote == 0 or text[quote - 1] not in "eE":
        return False
    return quote < 2 or not (text[quote - 2].isalnum() or text[quote - 2] == "_")


def statement_spans(text: str) -> list[Span]:
    """Top-level statements split at ';' outside quotes, comments and dollar quotes."""
    spans, i, n, start = [], 0, len(text), None
    while i < n:
        end = _literal_end(text, i)
        if end is not None:
            if start is None and not (text.startswith("--", i) or text.startswith("/*", i)):
                start = i
            i = end
            continue
        ch = text[i]
        if ch == ";":
            spans.append(Span(i if start is None else start, i + 1))
            start = None
        elif start is None and not ch.isspace():
            start = i
        i += 1
    if start is not None:
        spans.append(Span(start, n))
    return spans


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character index."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def statement_at(text: str, index: int) -> Span | None:
    """The statement holding character `index` (0-based), if any."""
    for span in statement_spans(text):
        if span.start <= index < span.end:
            return span
    return None
