"""The command line: parses arguments, calls the pipeline, prints results and diagnostics,
and maps outcomes to exit codes. Each command lives in its own module under generator.cli."""
from __future__ import annotations

import argparse
import gc
import importlib
import sys

from generator.diagnostics import EXIT_BAD_INPUT, GenError, format_diagnostics

# Command modules, each with `register(subparsers)`; keep them light (import heavy things lazily).
COMMAND_MODULES = [
    "generator.cli.cmd_init",
    "generator.cli.cmd_validate",
    "generator.cli.cmd_lint",
    "generator.cli.cmd_build",
    "generator.cli.cmd_schema",
    "generator.cli.cmd_import",
    "generator.cli.cmd_database",
    "generator.cli.cmd_migrate",
]

EPILOG = """examples:
  gen validate spec/chatapp.yaml        # shape, references, then the security lints
  gen lint --database-url $URL          # the same lints on a live database
  gen build spec/*.yaml                 # writes out/<name>/...
  gen build spec/*.yaml --check         # CI: exit 1 when out/ is stale
  gen verify spec/chatapp.yaml          # apply + prove on a throw-away PostgreSQL
exit codes: 0 ok, 1 findings/check failed, 2 bad input, 3 environment (e.g. database unreachable)"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gen", description="Schema as code for PostgreSQL: one YAML spec -> DDL, "
                                "RLS, migrations, seed data, Prisma, Drizzle, docs and ER diagrams.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"gen {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def _version() -> str:
    from generator import __version__
    return __version__


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("human", "json", "github"), default="human",
                   help="how to print diagnostics and results (default: human)")


def add_server(p: argparse.ArgumentParser) -> None:
    """--server, the same for every command that needs a PostgreSQL of its own."""
    from generator.db.server import SERVER_HELP
    p.add_argument("--server", metavar="auto|embedded|pg15|URL", default="auto", help=SERVER_HELP)


def command_parser(sub, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=help, epilog="examples:\n" + examples,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def print_diagnostics(diags, fmt: str) -> None:
    out = format_diagnostics(diags, fmt, color=sys.stderr.isatty() and fmt == "human")
    stream = sys.stdout if fmt == "json" else sys.stderr
    print(out, file=stream)


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args) or 0)
    except GenError as e:
        print_diagnostics(e.diagnostics, getattr(args, "format", "human"))
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# Commands whose work is one bounded pass: their process runs without the cyclic collector (it
# would only rescan the heap they build, ~10% of a large build) and is not swept at exit.
NO_GC_COMMANDS = {"build", "validate", "lint", "diff", "schema"}


def run() -> None:
    if sys.argv[1:2] and sys.argv[1] in NO_GC_COMMANDS:
        gc.disable()
    code = main()
    gc.freeze()  # the process ends here: spare it a last full collection over everything the run built
    sys.exit(code)
