"""Terminal conventions for every command: colour (NO_COLOR, FORCE_COLOR, a terminal), --quiet and
--verbose, progress lines on stderr, and the one-line report of an internal error."""
from __future__ import annotations

import os
import sys
import time

REPORT_URL = "the gen issue tracker"


class UI:
    """Process-wide output settings, set once from the global options."""

    quiet = False
    verbose = False
    debug = False
    _started = time.monotonic()


def color_enabled(stream=None) -> bool:
    """NO_COLOR (any non-empty value) wins, then FORCE_COLOR (non-empty, not 0), then: a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def say(text: str) -> None:
    """A result line on stdout; --quiet drops it."""
    if not UI.quiet:
        print(text)


def note(text: str) -> None:
    """A note on stderr (warnings of a build, hints); --quiet drops it."""
    if not UI.quiet:
        print(text, file=sys.stderr)


def progress(text: str) -> None:
    """A progress line on stderr for long work: on a terminal, or always with --verbose; never
    with --quiet. Verbose lines carry the seconds since start."""
    if UI.quiet:
        return
    if UI.verbose:
        print(f"[{time.monotonic() - UI._started:6.1f}s] {text}", file=sys.stderr, flush=True)
    elif sys.stderr.isatty():
        print(f"{text}…", file=sys.stderr, flush=True)


def progress_callback():
    """`progress`, or None when nothing would be shown (callers skip the work of describing steps)."""
    if UI.quiet or not (UI.verbose or sys.stderr.isatty()):
        return None
    return progress


def internal_error(exc: BaseException) -> str:
    """One line for a bug in gen (not in the user's input): what broke and what to do."""
    where, tb = "", exc.__traceback__
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    while tb is not None:   # the innermost frame in gen's own code says where the bug is
        path = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if path.startswith(package + os.sep):
            where = f" at generator/{os.path.relpath(path, package)}:{tb.tb_lineno}"
        tb = tb.tb_next
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return (f"gen: internal error: {type(exc).__name__}{where}{': ' + detail if detail else ''} -- this is a bug "
            f"in gen, please report it to {REPORT_URL} with the spec; rerun with --debug for the traceback")
