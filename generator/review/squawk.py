"""squawk's findings beside the statements they concern, when squawk is installed (PyPI
squawk-cli): each part's up script is written as `gen migrate new` would write it, linted, and
every finding's line mapped back to its statement. Rules gen answers for by design are left out
(EXCLUDED, each with why)."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from generator.migrate.script import script
from generator.postgres.render import Statement
from generator.review.report import WARNING, Finding, PartReview

EXCLUDED = {
    "require-statement-timeout": "gen sets lock_timeout on every migration; how long a statement may run is the "
                                 "operator's call",
    "prefer-robust-stmts": "the statements after the transaction are written to be re-run (IF NOT EXISTS, "
                           "guarded DO blocks); VALIDATE is a no-op once valid",
    "transaction-nesting": "gen writes BEGIN/COMMIT around the transactional part only",
}
TIMEOUT_SECONDS = 120


def available() -> str | None:
    return shutil.which("squawk")


def lint_parts(parts: list[PartReview], statements: list[list[Statement]], pg_version: int) -> str:
    """Add squawk's findings to `parts` (whose up statements are `statements`, part by part);
    returns "ran" or why squawk did not run."""
    exe = available()
    if exe is None:
        return "squawk is not installed (pip install squawk-cli)"
    with tempfile.TemporaryDirectory(prefix="gen-review-") as tmp:
        texts, files = [], []
        for i, stmts in enumerate(statements):
            text = script(f"part{i}", "up", "review", stmts, "5s")
            path = Path(tmp) / f"part{i}.up.sql"
            path.write_text(text, encoding="utf-8")
            texts.append(text)
            files.append(path)
        if not files:
            return "ran"
        try:
            done = subprocess.run([exe, "--reporter", "json", "--pg-version", str(pg_version),
                                   "--exclude", ",".join(sorted(EXCLUDED)), *map(str, files)],
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
            found = json.loads(done.stdout or "[]")
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return f"squawk failed: {exc}"
    by_file = {str(p): i for i, p in enumerate(files)}
    ranges = [_ranges(text, stmts) for text, stmts in zip(texts, statements)]
    for f in found:
        i = by_file.get(f.get("file"))
        if i is None:
            continue
        target = _statement_at(ranges[i], int(f.get("line", 0)))
        if target is not None:
            message = f["message"] + (f" ({f['help']})" if f.get("help") else "")
            parts[i].statements[target].findings.append(Finding("squawk", f["rule_name"], WARNING, message))
    return "ran"


def _ranges(text: str, statements: list[Statement]) -> list[tuple[int, int]]:
    """(first line, last line) of each statement in the script (0-based, as squawk counts)."""
    pos, line, out = 0, 0, []
    for s in statements:
        start = text.find(s.sql, pos)
        if start < 0:
            return out
        line += text.count("\n", pos, start)
        out.append((line, line + s.sql.count("\n")))
        line += s.sql.count("\n")
        pos = start + len(s.sql)
    return out


def _statement_at(ranges: list[tuple[int, int]], line: int) -> int | None:
    """The statement whose lines hold `line`."""
    import bisect
    i = bisect.bisect_right([a for a, _ in ranges], line) - 1
    return i if i >= 0 and ranges[i][0] <= line <= ranges[i][1] else None
