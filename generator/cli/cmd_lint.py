"""`gen lint`: the security lints (docs/lints.md) on specs, or on a live database."""
from __future__ import annotations

import json
import sys

from generator.cli import add_format, command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, Diagnostic, GenError, format_diagnostics


def register(sub) -> None:
    p = command_parser(sub, "lint", "Security lints (RLS, grants, SECURITY DEFINER, views, names) on specs or on a "
                       "live database.",
                       "  gen lint spec/chatapp.yaml\n"
                       "  gen lint spec/*.yaml --strict --format github       # warnings fail too\n"
                       "  gen lint --database-url postgresql://localhost/app --schema public\n"
                       "  gen lint --rules                                    # list the rules\n"
                       "exit: 0 clean, 1 a lint error (or a warning, with --strict), 2 bad spec or arguments, "
                       "3 database unreachable")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec file or directory (default: gen.toml's specs)")
    p.add_argument("--database-url", metavar="URL", help="lint this live database instead of specs")
    p.add_argument("--schema", action="append", metavar="NAME", help="schema to lint (repeatable; default: public)")
    p.add_argument("--flavor", choices=("plain", "supabase"),
                   help="live database flavor (default: supabase when the auth schema and the roles anon and "
                        "authenticated exist)")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    p.add_argument("--verbose", action="store_true", help="also list findings that overrides suppressed, with why")
    p.add_argument("--rules", action="store_true", help="list the rules and exit")
    add_format(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.lint import lint

    if args.rules:
        return _list_rules(args.format)
    if not args.specs and not args.database_url:
        from generator.cli import config
        args.specs = config.current().specs          # gen.toml's specs, when it names them
    if bool(args.specs) == bool(args.database_url):
        raise GenError([Diagnostic("CL010", "give either spec files or --database-url", name="lint",
                                   hint="gen lint spec/app.yaml, or gen lint --database-url postgresql://…")],
                       EXIT_BAD_INPUT)
    show_suppressed = args.verbose or args.format == "json"
    if args.database_url:
        from generator.lint.live import inspect_for_lint
        schema = inspect_for_lint(args.database_url, tuple(args.schema or ("public",)), args.flavor)
        diags = lint(schema, source="database", suppressed=show_suppressed)
    else:
        diags = _lint_specs(args.specs, show_suppressed, lint)
    return _report(diags, args)


def _lint_specs(paths: list[str], suppressed: bool, lint) -> list[Diagnostic]:
    from generator.pipeline import load_schema

    bad, out = [], []
    for path in paths:
        try:
            out += lint(load_schema(path), source="spec", suppressed=suppressed)
        except GenError as e:
            bad.extend(e.diagnostics)
    if bad:
        raise GenError(bad, EXIT_BAD_INPUT)
    return out


def _report(diags: list[Diagnostic], args) -> int:
    errors = sum(d.severity == "error" for d in diags)
    warnings = sum(d.severity == "warning" for d in diags)
    suppressed = sum(d.severity == "off" for d in diags)
    text = format_diagnostics(diags, args.format, color=sys.stdout.isatty() and args.format == "human")
    if text:
        print(text)
    if args.format == "human":
        extra = f", {suppressed} suppressed" if suppressed else ""
        print(f"{_n(errors, 'error')}, {_n(warnings, 'warning')}{extra}" if diags else "no lint findings")
    failed = errors or (args.strict and warnings)
    return EXIT_FINDINGS if failed else EXIT_OK


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _list_rules(fmt: str) -> int:
    from generator.lint import all_rules

    rules = all_rules()
    if fmt == "json":
        print(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}
                          for r in rules], indent=2))
    else:
        for r in rules:
            print(f"{r.code}  {r.severity:<7}  {r.name:<28}  {r.summary}")
    return EXIT_OK
