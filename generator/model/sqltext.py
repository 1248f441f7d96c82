"""Scanning SQL text at the top level: characters outside quoted strings and identifiers,
with their parenthesis depth. The one scanner behind splitting defaults, argument lists and
matching parentheses."""
from __future__ import annotations

from typing import Iterator


def top_level(text: str) -> Iterator[tuple[int, str, int]]:
    """Yield (index, char, depth) for each character outside '…' and "…"; `depth` is the number
    of parentheses open before it (a ')' is reported at the depth it closes to)."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
            continue
        if ch == ")":
            depth -= 1
        yield i, ch, depth
        if ch == "(":
            depth += 1


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` where it stands outside quotes and parentheses; parts are stripped."""
    parts, start = [], 0
    for i, ch, depth in top_level(text):
        if ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    last = text[start:].strip()
    return parts + [last] if last else parts


def closing_paren(text: str) -> int:
    """Index of the parenthesis that closes text[0] (which must be '('), or -1."""
    for i, ch, depth in top_level(text):
        if ch == ")" and depth == 0:
            return i
    return -1
