"""`gen fmt SPEC... [--check]`: rewrite specs in the canonical layout (keys in the documented
order, comments kept); the work lives in generator.spec.fmt."""
from __future__ import annotations

import sys

from generator.cli import command_parser
from generator.diagnostics import EXIT_FINDINGS, EXIT_OK


def register(sub) -> None:
    p = command_parser(sub, "fmt", "Rewrite specs in the canonical layout (key order, spacing); comments are kept.",
                       "  gen fmt spec/*.yaml\n  gen fmt spec/*.yaml --check      # CI: exit 1 listing files fmt would change\n"
                       "  gen fmt spec/app.yaml --diff      # show what would change")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is not formatted")
    p.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    p.set_defaults(func=run)


def run(args) -> int:
    import difflib
    from pathlib import Path

    from generator.cli.ui import say
    from generator.output import write_file_atomic
    from generator.spec.fmt import format_file

    unformatted = []
    for path in args.specs:
        before = Path(path).read_text(encoding="utf-8") if Path(path).is_file() else None
        after = format_file(path)
        if after == before:
            continue
        unformatted.append(path)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(before.splitlines(True), after.splitlines(True), path, path))
        elif args.check:
            print(f"{path}: not formatted (run: gen fmt {path})")
        else:
            write_file_atomic(Path(path), after)
            say(f"{path}: formatted")
    if not unformatted:
        say(f"{len(args.specs)} file(s) already formatted")
    return EXIT_FINDINGS if unformatted and (args.check or args.diff) else EXIT_OK
