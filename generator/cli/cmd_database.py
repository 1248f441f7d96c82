"""`gen apply`, `gen inspect` and `gen verify`: the commands that talk to a live PostgreSQL."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from generator.cli import add_format, add_server, command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, Diagnostic, GenError

URL_ENV = "DATABASE_URL"


def register(sub) -> None:
    _apply_parser(sub)
    _inspect_parser(sub)
    _verify_parser(sub)


def _url_option(p: argparse.ArgumentParser, required: bool) -> None:
    """apply/inspect fall back to $DATABASE_URL; verify never does (it would create a scratch
    database and a role on whatever server that names): without a URL it starts its own."""
    if required:
        p.add_argument("--database-url", metavar="URL", default=os.environ.get(URL_ENV),
                       help=f"postgresql://user@host:port/dbname (default: ${URL_ENV})")
    else:
        p.add_argument("--database-url", metavar="URL", default=None,
                       help="a superuser URL of a throw-away server; without it an embedded PostgreSQL "
                            "is started and removed ($DATABASE_URL is not used)")


def _apply_parser(sub) -> None:
    p = command_parser(sub, "apply", "Apply a spec's schema (and seed) to a database in one transaction.",
                       "  gen apply spec/chatapp.yaml --database-url postgresql://localhost/chatapp\n"
                       "  gen apply spec/chatapp.yaml --no-seed    # URL from $DATABASE_URL\n"
                       "exit: 0 applied, 2 the SQL failed (nothing changed), 3 database unreachable")
    p.add_argument("spec", metavar="SPEC")
    _url_option(p, True)
    p.add_argument("--seed", action=argparse.BooleanOptionalAction, default=True,
                   help="also upsert the spec's seed rows (default: on)")
    add_format(p)
    p.set_defaults(func=run_apply)


def _inspect_parser(sub) -> None:
    p = command_parser(sub, "inspect", "Read a live database back into gen's model and print it.",
                       "  gen inspect --database-url postgresql://localhost/chatapp\n"
                       "  gen inspect --database-url $URL --schema public --schema app --format sql\n"
                       "  gen inspect --format json > model.json")
    _url_option(p, True)
    p.add_argument("--schema", action="append", metavar="NAME", help="schema to read (repeatable; default: public)")
    p.add_argument("--format", choices=("summary", "sql", "json"), default="summary",
                   help="summary: counts per table; sql: DDL as gen renders it; json: the model")
    p.set_defaults(func=run_inspect)


def _verify_parser(sub) -> None:
    p = command_parser(sub, "verify", "Prove a spec on a real PostgreSQL: synced, constraints, and RLS attacked as the "
                       "application's own roles.",
                       "  gen verify spec/chatapp.yaml                 # embedded PostgreSQL, removed after\n"
                       "  gen verify spec/chatapp.yaml --database-url postgresql://postgres@localhost/postgres\n"
                       "  gen verify spec/chatapp.yaml --format json\n"
                       "exit: 0 all proven, 1 a check failed (or warned or was skipped, with --strict), "
                       "2 bad spec or SQL, 3 no server")
    p.add_argument("spec", metavar="SPEC")
    _url_option(p, False)
    p.add_argument("--format", choices=("human", "json"), default="human")
    p.add_argument("--strict", action="store_true",
                   help="warnings (e.g. no violating value found) and skips (each says why) fail too")
    add_server(p)
    p.add_argument("--problems", action="store_true", help="list only what did not pass")
    p.add_argument("--queries", action="store_true",
                   help="also prove that each index serves its query on sample data (what `gen explain` does)")
    p.set_defaults(func=run_verify)


def _need_url(args) -> str:
    if not args.database_url:
        raise GenError([Diagnostic("AP002", "no database URL given", name="db.url",
                                   hint=f"pass --database-url postgresql://user@host:port/dbname or set ${URL_ENV}")],
                       EXIT_BAD_INPUT)
    return args.database_url


def run_apply(args) -> int:
    from generator.db.apply import apply_statements
    from generator.db.connect import describe
    from generator.pipeline import load_schema
    from generator.postgres.ddl import schema_statements
    from generator.postgres.seed import seed_statements
    from generator.postgres.shim import SUPABASE_SHIM

    url = _need_url(args)
    schema = load_schema(args.spec)
    statements = list(schema_statements(schema)) + (seed_statements(schema) if args.seed else [])
    shim = SUPABASE_SHIM if schema.settings.flavor == "supabase" else None
    result = apply_statements(url, statements, shim)
    if args.format == "json":
        print(json.dumps({"spec": args.spec, "database": describe(url), "shim": result.shim,
                          "statements": result.applied}, indent=2))
    else:
        shim_note = " (supabase shim first)" if result.shim else ""
        print(f"{args.spec}: applied {len(result.applied)} statements to {describe(url)}{shim_note}")
    return EXIT_OK


def run_inspect(args) -> int:
    from generator.db.inspect import inspect

    schema = inspect(_need_url(args), schemas=tuple(args.schema or ("public",)))
    if args.format == "json":
        print(json.dumps(asdict(schema), indent=2, default=str))
    elif args.format == "sql":
        from generator.postgres.plan import render_script
        from generator.targets.sql import schema_statements
        print(render_script(schema_statements(schema), "-- inspected by gen", transaction=True), end="")
    else:
        print(inspect_summary(schema))
    return EXIT_OK


def inspect_summary(schema) -> str:
    lines = []
    for t in schema.tables:
        rls = "rls forced" if t.rls_forced else "rls" if t.rls_enabled else "no rls"
        lines.append(f"{t.qname}: {len(t.columns)} columns, {len(t.indexes)} indexes, "
                     f"{len(t.policies)} policies, {rls}")
    total = (f"{len(schema.tables)} tables, {sum(len(t.columns) for t in schema.tables)} columns, "
             f"{sum(len(t.indexes) for t in schema.tables)} indexes, "
             f"{sum(len(t.policies) for t in schema.tables)} policies, {len(schema.enums)} enums, "
             f"{len(schema.functions)} functions, {len(schema.views)} views, {len(schema.extensions)} extensions")
    return "\n".join(lines + [total])


def run_verify(args) -> int:
    from generator.pipeline import load_schema
    from generator.verify import verify
    from generator.verify.report import format_json, format_table, summary_line

    schema = load_schema(args.spec)
    from generator.cli.ui import progress_callback
    step = progress_callback()
    progress = (lambda msg: step(f"gen verify: {msg}")) if step else None
    report = verify(schema, args.spec, args.database_url, progress, server=args.server)
    if args.queries:
        from generator.verify.explain import as_results, explain
        report.results += as_results(explain(schema, args.spec, args.database_url, progress=progress,
                                             server=args.server))
    if args.format == "json":
        print(format_json(report, args.strict))
    else:
        from generator.cli.ui import UI
        table = format_table(report, only_problems=args.problems or UI.quiet)
        if table:
            print(table)
        print(summary_line(report, args.strict))
    return EXIT_OK if report.ok(args.strict) else EXIT_FINDINGS
