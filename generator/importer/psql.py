"""Reading SQL files the way psql does: statement by statement (quotes, dollar quotes and
comments respected), `COPY ... FROM stdin` followed by its data up to `\\.`, psql meta-commands
(`\\connect`, `\\restrict` ...) skipped and reported by line, and the statements that cannot
run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM ...) run on
their own. Consecutive ordinary statements are sent together (one round trip), split after
`ALTER TYPE ... ADD VALUE` so a later statement may use the new value, as psql's autocommit
would allow. SET lines stay in force: a file runs on one session."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.importer.sqltext import _literal_end, line_col

_COPY_STDIN = re.compile(r"^\s*COPY\b.*\bFROM\s+STDIN\b", re.IGNORECASE | re.DOTALL)
# Statements PostgreSQL refuses inside a transaction block: each runs alone, in autocommit.
_ALONE = re.compile(r"^\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|"
                    r"REINDEX\b.*\bCONCURRENTLY|VACUUM\b|ALTER\s+SYSTEM\b|CREATE\s+TABLESPACE\b|"
                    r"DROP\s+TABLESPACE\b|ALTER\s+DATABASE\b.*\bSET\s+TABLESPACE\b|CLUSTER\b\s*;?\s*$)",
                    re.IGNORECASE | re.DOTALL)
# Statements about other databases: the import reads the one database it loads, so they are
# skipped and reported (as `\connect`, which would switch to them, is).
_OTHER_DATABASE = re.compile(r"^\s*(?:CREATE|DROP|ALTER)\s+DATABASE\b", re.IGNORECASE)
_COMMIT_AFTER = re.compile(r"^\s*ALTER\s+TYPE\b.*\bADD\s+VALUE\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Piece:
    """kind: "sql" (a statement), "copy" (COPY FROM stdin with `data`), "alone" (outside a
    transaction), "database" (skipped) or "meta" (a psql meta-command line, skipped)."""

    kind: str
    start: int
    end: int
    data: str = ""


def split(text: str) -> list[Piece]:
    """The pieces of a psql script in order."""
    out, i, n = [], 0, len(text)
    while i < n:
        i = _skip_blank(text, i)
        if i >= n:
            break
        if text[i] == "\\":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(Piece("meta", i, end))
            i = end
            continue
        end = _statement_end(text, i)
        sql = text[i:end]
        if _COPY_STDIN.match(sql):
            data_start = text.find("\n", end)
            data_start = n if data_start < 0 else data_start + 1
            stop = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE).search(text, data_start)
            data_end = stop.start() if stop else n
            out.append(Piece("copy", i, end, text[data_start:data_end]))
            i = stop.end() if stop else n
            continue
        kind = "database" if _OTHER_DATABASE.match(sql) else "alone" if _ALONE.match(sql) else "sql"
        out.append(Piece(kind, i, end))
        i = end
    return out


def _skip_blank(text: str, i: int) -> int:
    """Past whitespace and comments."""
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i) or text.startswith("/*", i):
            i = _literal_end(text, i)
        else:
            break
    return i


# The only characters at which a literal, comment or dollar quote (sqltext._literal_end) or the
# end of a statement can start: the scan jumps from one to the next.
_SPECIAL = re.compile(r"""[;'"$/-]""")


def _statement_end(text: str, i: int) -> int:
    """Index just past the ';' ending the statement at i (or the end of the text)."""
    n = len(text)
    while i < n:
        m = _SPECIAL.search(text, i)
        if m is None:
            return n
        i = m.start()
        end = _literal_end(text, i)
        if end is not None:
            i = end
            continue
        if text[i] == ";":
            return i + 1
        i += 1
    return n


@dataclass(frozen=True)
class Batch:
    """What one call sends: consecutive ordinary statements (kind "sql", text[start:end]), or a
    single COPY, alone or skipped piece."""

    kind: str
    start: int
    end: int
    pieces: tuple[Piece, ...]


def batches(text: str, pieces: list[Piece]) -> list[Batch]:
    out: list[Batch] = []
    run: list[Piece] = []

    def flush() -> None:
        if run:
            out.append(Batch("sql", run[0].start, run[-1].end, tuple(run)))
            run.clear()

    for p in pieces:
        if p.kind == "sql":
            run.append(p)
            if _COMMIT_AFTER.match(text[p.start:p.end]):
                flush()
            continue
        flush()
        out.append(Batch(p.kind, p.start, p.end, (p,)))
    flush()
    return out


def skipped_lines(text: str, pieces: list[Piece], kind: str) -> list[int]:
    return [line_col(text, p.start)[0] for p in pieces if p.kind == kind]
