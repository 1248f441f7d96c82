"""`gen apply`, `gen inspect` and `gen verify`: the commands that talk to a live PostgreSQL."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from generator.cli import add_format, add_server, command_parser
from generator.cli import project as opts
from generator.diagnostics import EXIT_FINDINGS, EXIT_OK


def register(sub) -> None:
    _apply_parser(sub)
    _inspect_parser(sub)
    _verify_parser(sub)


def _url_option(p: argparse.ArgumentParser, required: bool) -> None:
    """apply/inspect use the application's database (flag, gen.toml, $DATABASE_URL); verify
    never does (it creates a scratch database and roles): it takes a scratch server
    (--scratch-url, gen.toml's scratch_database_url, $GEN_SCRATCH_DATABASE_URL) or starts its own."""
    if required:
        opts.add_database_url(p)
    else:
        opts.add_scratch_url(p)
        p.add_argument("--database-url", metavar="URL", dest="scratch_url_legacy", default=None,
                       help="the same as --scratch-url (kept for compatibility)")


def _apply_parser(sub) -> None:
    p = command_parser(sub, "apply", "Apply a spec's schema (and seed) to a database that has none of it; "
                       "a no-op when it already equals the spec.",
                       "  gen apply spec/chatapp.yaml --database-url postgresql://localhost/chatapp\n"
                       "  gen apply spec/chatapp.yaml --no-seed    # URL from $DATABASE_URL\n"
                       "exit: 0 applied (or already equal: nothing to do), 1 the database holds a different\n"
                       "version of the schema (use gen push or gen migrate), 2 the SQL failed, 3 database unreachable")
    p.add_argument("spec", nargs="?", metavar="SPEC", help="the spec (default: the one spec of gen.toml)")
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
                       "  gen verify spec/chatapp.yaml --scratch-url postgresql://postgres@localhost/postgres\n"
                       "  gen verify spec/chatapp.yaml --format json\n"
                       "exit: 0 all proven, 1 a check failed (or warned or was skipped, with --strict), "
                       "2 bad spec or SQL, 3 no server")
    p.add_argument("spec", nargs="?", metavar="SPEC", help="the spec (default: the one spec of gen.toml)")
    _url_option(p, False)
    p.add_argument("--format", choices=("human", "json"), default="human")
    p.add_argument("--strict", action="store_true",
                   help="warnings (e.g. no violating value found) and skips (each says why) fail too")
    add_server(p)
    p.add_argument("--problems", action="store_true", help="list only what did not pass")
    p.add_argument("--jobs", type=_jobs, metavar="N",
                   help="worker processes for the per-table proofs, each on a copy of the scratch database "
                        "(default: GEN_JOBS, else one per CPU, at most one per 25 tables; 1: one process); "
                        "the results are the same, in the same order")
    p.add_argument("--queries", action="store_true",
                   help="also prove that each index serves its query on sample data (what `gen explain` does)")
    p.set_defaults(func=run_verify)


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, 1 or more: {text!r}")
    return int(text)


def _need_url(args) -> str:
    return opts.database_url(args, "AP002")


def run_apply(args) -> int:
    from generator.db.connect import describe
    from generator.migrate.database import apply_schema
    from generator.pipeline import load_schema

    url = _need_url(args)
    spec = opts.one_spec(args.spec)
    done = apply_schema(url, load_schema(spec), args.seed)
    result = done.result
    if args.format == "json":
        print(json.dumps({"spec": spec, "database": describe(url), "up_to_date": result is None,
                          "shim": bool(result and result.shim), "statements": result.applied if result else [],
                          "transactions": result.transactions if result else 0,
                          "seeded_rows": done.seeded_rows}, indent=2))
    elif result is None:
        print(f"{spec}: {describe(url)} already equals the spec: nothing to apply"
              + (f" (seed: {done.seeded_rows} rows inserted or updated)" if done.seeded_rows else ""))
    else:
        notes = [n for n in ("supabase shim first" if result.shim else "",
                             f"in {result.transactions} transactions" if result.transactions > 1 else "") if n]
        print(f"{spec}: applied {len(result.applied)} statements to {describe(url)}"
              + (f" ({', '.join(notes)})" if notes else ""))
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

    spec = opts.one_spec(args.spec)
    schema = load_schema(spec)
    from generator.cli.ui import progress_callback
    step = progress_callback()
    progress = (lambda msg: step(f"gen verify: {msg}")) if step else None
    scratch = args.scratch_url or args.scratch_url_legacy or opts.scratch_url(args)
    report = verify(schema, spec, scratch, progress, server=args.server, jobs=args.jobs)
    if args.queries:
        from generator.verify.explain import as_results, explain
        report.results += as_results(explain(schema, spec, scratch, progress=progress, server=args.server))
    if args.format == "json":
        print(format_json(report, args.strict))
    else:
        from generator.cli.ui import UI
        table = format_table(report, only_problems=args.problems or UI.quiet)
        if table:
            print(table)
        print(summary_line(report, args.strict))
    return EXIT_OK if report.ok(args.strict) else EXIT_FINDINGS
