"""Escaping of names and free text for the documentation formats (Markdown, Mermaid,
Graphviz DOT and HTML-like labels, DBML) and file-safe slugs; one small function per need."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_WS = re.compile(r"\s+")
# The same names, types and defaults are escaped on every page and diagram of a build, and the
# escapes are pure: the busiest ones keep their recent answers.
_memo = lru_cache(maxsize=1 << 16)


def one_line(text: str | None) -> str:
    """Collapse newlines, tabs and runs of spaces into single spaces."""
    return _WS.sub(" ", text or "").strip()


def shorten_text(text: str | None, limit: int) -> str:
    """One line of at most `limit` characters, ending in an ellipsis when cut."""
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _digest(text: str, size: int = 6) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def slug(name: str) -> str:
    """A file-name-safe, collision-free form of a name: kept as is when already safe,
    otherwise unsafe characters become '-' and a short hash of the original is appended."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}", name) and not name.endswith("."):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "x"
    return f"{cleaned[:40]}-{_digest(name)}"


# --- Markdown (GitHub flavoured) -----------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~#])")
_MD_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")


def _md_escape_underscores(text: str) -> str:
    # Intraword underscores never emphasise in GFM: escape only those at word edges.
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


@_memo
def md_text(text: str | None) -> str:
    """Free text on one line, safe in a paragraph or a table cell: no HTML, links,
    emphasis, code or cell breaks can come out of it."""
    flat = one_line(text)
    out = _MD_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;"))
    out = _md_escape_underscores(out).replace("\\](", "\\]\\(")   # some renderers relink "\](" in labels
    # A leading "-", "+", "=" or "1." would start a list or heading: escape it.
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1),
                              out, count=1)


def md_paragraphs(text: str | None) -> list[str]:
    """Multi-line free text as escaped paragraphs (blank lines separate paragraphs)."""
    blocks = re.split(r"\n\s*\n", (text or "").strip())
    return [md_text(b) for b in blocks if b.strip()]


@_memo
def md_code(text: str | None, cell: bool = True) -> str:
    """An inline code span that survives backticks and newlines; `cell` also escapes pipes,
    which GitHub's tables would otherwise take as cell breaks even inside code."""
    flat = one_line(text)
    if not flat:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    span = f"{fence}{pad}{flat}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span


def md_link(label_md: str, target: str) -> str:
    """A link whose label is already Markdown-escaped and whose target is a slug path."""
    return f"[{label_md}]({target})"


# --- Mermaid -------------------------------------------------------------------------------

# Mermaid's entity codes (#quot; ...) are decoded when the diagram renders.
# An entity alias takes no '%' or '\\' at all, so those are coded too.
_MERMAID_CODES = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"),
                  ("&", "#amp;"), ("%", "#37;"), ("\\", "#92;"))
_MERMAID_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words the erDiagram lexers (Mermaid 10 and 11) take as keywords: never bare entity ids,
# attribute names or types.
MERMAID_ENTITY_KEYWORDS = frozenset("""
erdiagram style classdef class direction acctitle accdescr one many only zero optionally to u end
""".split())
MERMAID_ATTRIBUTE_KEYWORDS = frozenset({"pk", "fk", "uk"})


@_memo
def mermaid_string(text: str | None) -> str:
    """Text for inside a double-quoted Mermaid string (labels, comments)."""
    out = one_line(text)
    for raw, code in _MERMAID_CODES:
        out = out.replace(raw, code)
    return out


def mermaid_word(name: str, prefix: str, keywords: frozenset = MERMAID_ENTITY_KEYWORDS) -> str:
    """A bare Mermaid token for `name`: the name itself when it is a plain word and no
    keyword, otherwise a cleaned form with a short hash (so two odd names never collide)."""
    if _MERMAID_WORD.fullmatch(name) and name.lower() not in keywords:
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    return f"{prefix}{cleaned[:40]}_{_digest(name)}"


# --- Graphviz DOT ----------------------------------------------------------------------------

def dot_string(text: str | None) -> str:
    """A double-quoted DOT string; backslashes are doubled so \\N, \\l etc. stay literal."""
    out = one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{out}"'


@_memo
def html_text(text: str | None) -> str:
    """Text inside a Graphviz HTML-like label (or any HTML/XML text node)."""
    out = one_line(text)
    for raw, ent in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        out = out.replace(raw, ent)
    return out


# --- DBML --------------------------------------------------------------------------------------

_DBML_WORD = re.compile(r"[A-Za-z0-9_]+")


def dbml_name(name: str) -> str:
    """A DBML identifier: bare when a plain word, otherwise double quoted. DBML parsers have
    no escape for '"' inside a quoted name, so it becomes "'" (and newlines spaces)."""
    if _DBML_WORD.fullmatch(name):
        return name
    return '"' + one_line(name).replace('"', "'") + '"'


def dbml_string(text: str | None) -> str:
    """A single-quoted DBML string; newlines kept as \\n escapes."""
    body = (text or "").replace("\\", "\\\\").replace("'", "\\'")
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n").replace("\t", " ")
    return f"'{body}'"


def dbml_expression(sql: str) -> str | None:
    """A backtick DBML expression, or None when the SQL holds a backtick (not expressible)."""
    if "`" in sql:
        return None
    return "`" + one_line(sql) + "`"
