"""The command line: parses arguments, calls the pipeline, prints results and diagnostics,
and maps outcomes to exit codes. Each command lives in its own module under generator.cli."""
from __future__ import annotations

import argparse
import gc
import importlib
import sys

from generator.cli.ui import UI, color_enabled, internal_error
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_INTERNAL, GenError, format_diagnostics

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
    "generator.cli.cmd_live",
    "generator.cli.cmd_fleet",
    "generator.cli.cmd_fmt",
    "generator.cli.cmd_completion",
    "generator.cli.cmd_sample",
    "generator.cli.cmd_explain",
    "generator.cli.cmd_review",
    "generator.cli.cmd_daemon",
]
# The commands each module registers: `gen build ...` builds the parser of build alone, sparing the
# imports and argparse set-up of ~40 others (tests/test_cli_help.py holds this equal to registration).
COMMANDS = {"init": "cmd_init", "validate": "cmd_validate", "lint": "cmd_lint", "build": "cmd_build",
            "schema": "cmd_schema", "import": "cmd_import", "apply": "cmd_database", "inspect": "cmd_database",
            "verify": "cmd_database", "migrate": "cmd_migrate", "diff": "cmd_live", "drift": "cmd_live",
            "push": "cmd_live", "seed": "cmd_live", "reset": "cmd_live", "fleet": "cmd_fleet", "fmt": "cmd_fmt",
            "completion": "cmd_completion", "sample": "cmd_sample", "explain": "cmd_explain", "review": "cmd_review",
            "daemon": "cmd_daemon"}

EPILOG = """examples:
  gen validate spec/chatapp.yaml        # shape, references, then the security lints
  gen lint --database-url $URL          # the same lints on a live database
  gen build spec/*.yaml                 # writes out/<name>/...
  gen build spec/*.yaml --check         # CI: exit 1 when out/ is stale
  gen verify spec/chatapp.yaml          # apply + prove on a throw-away PostgreSQL
  gen review git:main:spec/chatapp.yaml spec/chatapp.yaml   # the pull-request comment
exit codes: 0 ok, 1 findings/check failed, 2 bad input, 3 environment (e.g. database unreachable),
  4 internal error (a bug in gen: please report it; --debug shows the traceback)
environment: NO_COLOR=1 no colour, FORCE_COLOR=1 colour even when not a terminal"""


def global_options(p: argparse.ArgumentParser, suppress: bool = False) -> None:
    """--quiet, --verbose and --debug, accepted before the command and after it."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors", **default)
    p.add_argument("-v", "--verbose", action="store_true", help="progress with timings on stderr", **default)
    p.add_argument("--debug", action="store_true", help="show the traceback of an internal error", **default)


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """gen's argument parser; with `command` (one of COMMANDS), with that command's module alone."""
    p = argparse.ArgumentParser(prog="gen", description="Schema as code for PostgreSQL: one YAML spec -> DDL, "
                                "RLS, migrations, seed data, Prisma, Drizzle, docs and ER diagrams.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"gen {_version()}")
    global_options(p)
    p.add_argument("--config", metavar="FILE", help="gen.toml (or pyproject.toml with [tool.gen]) to use instead "
                   "of the nearest one (also $GEN_CONFIG)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    modules = ["generator.cli." + COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    return p


def command_of(argv: list[str]) -> str | None:
    """The command word of `argv`: its first word that is not a global option (or --config's value)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--config":
            skip = True
        elif word == "--" or not word.startswith("-"):
            return None if word == "--" else word
    return None


def _version() -> str:
    from generator import __version__
    return __version__


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("human", "json", "github"), default="human",
                   help="how to print diagnostics and results (default: human)")


def add_server(p: argparse.ArgumentParser) -> None:
    """--server, the same for every command that needs a PostgreSQL of its own."""
    from generator.db import SERVER_HELP
    p.add_argument("--server", metavar="auto|embedded|pg15|URL", default="auto", help=SERVER_HELP)


def command_parser(sub, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    # conflict_handler: a command may give a global option its own help (validate's --verbose
    # also lists suppressed lint findings); its definition then wins
    p = sub.add_parser(name, help=help, description=help, epilog="examples:\n" + examples,
                       formatter_class=argparse.RawDescriptionHelpFormatter, conflict_handler="resolve")
    global_options(p, suppress=True)
    return p


def print_diagnostics(diags, fmt: str) -> None:
    stream = sys.stdout if fmt == "json" else sys.stderr
    out = format_diagnostics(diags, fmt, color=fmt == "human" and color_enabled(stream))
    print(out, file=stream)


def main(argv: list[str] | None = None) -> int:
    p = parser(command_of(sys.argv[1:] if argv is None else argv))
    args = p.parse_args(argv)
    UI.quiet, UI.verbose, UI.debug = args.quiet, args.verbose and not args.quiet, args.debug
    if not getattr(args, "func", None):
        p.print_help()
        return EXIT_BAD_INPUT
    try:
        from generator.cli import config
        config.reset(args.config)           # read lazily, once per run: a command without config never looks
        return int(args.func(args) or 0)
    except GenError as e:
        print_diagnostics(e.diagnostics, getattr(args, "format", "human"))
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `gen schema | head`: the reader left; not an error of gen
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:   # a bug in gen, not bad input: its own exit code, no traceback
        if type(exc).__module__.startswith("psycopg"):
            return _database_error(exc, args)
        if args.debug:
            import traceback
            traceback.print_exc()
        print(internal_error(exc), file=sys.stderr)
        return EXIT_INTERNAL


def _database_error(exc: Exception, args) -> int:
    """A database error no command turned into a diagnostic (the connection dropped midway):
    the environment's, exit 3."""
    from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    print_diagnostics([Diagnostic("DB007", f"database error: {first}", name="db",
                                  hint="check the connection and the server's log")], getattr(args, "format", "human"))
    return EXIT_ENVIRONMENT


# Commands whose work is one bounded pass: their process runs without the cyclic collector (it
# would only rescan the heap they build, ~10% of a large build) and is not swept at exit.
NO_GC_COMMANDS = {"build", "validate", "lint", "diff", "schema"}


def run() -> None:
    if sys.argv[1:2] and sys.argv[1] in NO_GC_COMMANDS:
        gc.disable()
    code = main()
    gc.freeze()  # the process ends here: spare it a last full collection over everything the run built
    sys.exit(code)
