"""`gen sample SPEC`: realistic sample rows from the spec, loaded with COPY into a database
(whose schema is already applied) or written as files."""
from __future__ import annotations

import json
import os
import time

from generator.cli import command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_OK, Diagnostic, GenError


def register(sub) -> None:
    p = command_parser(
        sub, "sample", "Generate realistic sample rows from a spec and load them (COPY) or write them as files.",
        "  gen sample spec/chatapp.yaml --rows 100000 --database-url postgresql://localhost/chatapp_dev\n"
        "  gen sample spec/ai_chat.yaml --out sample/ --file-format csv     # files + load.sql for psql\n"
        "  gen sample spec/automations.yaml --plan                          # counts per table only\n"
        "the schema must be applied first (gen apply); the same spec, --rows and --seed give the same rows\n"
        "exit: 0 loaded or written, 1 the database refused a row, 2 bad spec or options, 3 no database")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--rows", type=int, default=None, metavar="N",
                   help="about N rows in all (tables without a fixed `rows:` scale together; default: the "
                        "spec's sample.rows, else 10 per top-level table and the ratios below them)")
    p.add_argument("--per-table", type=int, default=None, metavar="N", help="N rows in every table (ignores ratios)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the spec's sample.seed, else 1)")
    p.add_argument("--database-url", metavar="URL", default=os.environ.get("DATABASE_URL"),
                   help="load into this database (default: $DATABASE_URL); needs a superuser or BYPASSRLS role")
    p.add_argument("--out", metavar="DIR", default=None, help="write files into DIR instead of loading")
    p.add_argument("--file-format", choices=("copy", "csv"), default="copy", help="file format with --out")
    p.add_argument("--no-analyze", action="store_true", help="do not ANALYZE the tables after loading")
    p.add_argument("--plan", action="store_true", help="print the row count of every table and stop")
    p.add_argument("--format", choices=("human", "json"), default="human")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from generator.pipeline import load_schema
    from generator.sample import Sampler, load, write_files

    for flag, value in (("--rows", args.rows), ("--per-table", args.per_table)):
        if value is not None and value < 0:
            raise GenError([Diagnostic("CL010", f"{flag} must be 0 or more", hint="e.g. --rows 10000")], EXIT_BAD_INPUT)
    schema = load_schema(args.spec)
    sampler = Sampler(schema, args.rows, args.seed, args.per_table)
    if args.plan:
        return _print_plan(sampler, args.format)
    t0 = time.perf_counter()
    if args.out:
        results, where = write_files(sampler, Path(args.out), args.file_format), args.out
    else:
        if not args.database_url:
            raise GenError([Diagnostic("CL011", "no target: give --database-url URL (or $DATABASE_URL) or --out DIR",
                                       name="sample.target", hint="gen apply the spec to a database first")],
                           EXIT_BAD_INPUT)
        from generator.db.connect import connect, describe
        from generator.cli.ui import progress_callback
        step = progress_callback()
        progress = (lambda m: step(f"gen sample: {m}")) if step else None
        with connect(args.database_url, autocommit=True) as conn:
            results = load(conn, sampler, analyze=not args.no_analyze, progress=progress)
        where = describe(args.database_url)
    seconds = time.perf_counter() - t0
    _print_results(results, where, seconds, sampler.seed, args.format)
    return EXIT_OK


def _print_plan(sampler, fmt: str) -> int:
    counts = {p.table.key: p.count for p in sampler.plans}

    def per(p):
        parent = counts.get((p.parent.ref_schema, p.parent.ref_table)) if p.parent else None
        return round(p.count / parent, 2) if parent else None
    rows = [{"table": p.table.qname, "rows": p.count, "parent": p.parent.ref_table if p.parent else None,
             "per": per(p), "fixed": p.fixed} for p in sampler.plans]
    if fmt == "json":
        print(json.dumps({"seed": sampler.seed, "tables": rows, "total": sum(r["rows"] for r in rows)}, indent=2))
        return EXIT_OK
    from generator.cli.ui import say
    for r in rows:
        how = "fixed" if r["fixed"] else f"{r['per'] or 0:g} per {r['parent']}" if r["parent"] else "top level"
        say(f"{r['table']}: {r['rows']} ({how})")
    say(f"total: {sum(r['rows'] for r in rows)} rows (seed {sampler.seed})")
    return EXIT_OK


def _print_results(results, where: str, seconds: float, seed: int, fmt: str) -> None:
    total = sum(r.rows for r in results)
    if fmt == "json":
        print(json.dumps({"target": where, "seed": seed, "rows": total, "seconds": round(seconds, 3),
                          "tables": [r.__dict__ for r in results]}, indent=2, default=str))
        return
    from generator.cli.ui import say
    for r in results:
        notes = [f"{n} left out: {why}" for why, n in r.dropped.items()]
        notes += [f"{r.short} fewer: a parent's distinct values ran out"] if r.short else []
        say(f"{r.table}: {r.rows} rows" + (f" ({'; '.join(notes)})" if notes else ""))
    rate = f", {total / seconds:,.0f} rows/s" if seconds > 0 else ""
    say(f"{total} rows into {where} in {seconds:.1f} s{rate} (seed {seed})")
