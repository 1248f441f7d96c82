"""`gen explain SPEC`: load sample data on a throw-away PostgreSQL and prove, with EXPLAIN,
that each declared index serves the query it exists for (report in Markdown and JSON)."""
from __future__ import annotations

from generator.cli import add_server, command_parser
from generator.diagnostics import EXIT_FINDINGS, EXIT_OK


def register(sub) -> None:
    p = command_parser(
        sub, "explain", "Prove that each index serves its query: sample data, EXPLAIN ANALYZE, a report.",
        "  gen explain spec/automations.yaml                       # embedded PostgreSQL, removed after\n"
        "  gen explain spec/ai_chat.yaml --out reports/            # + reports/ai_chat.indexes.md and .json\n"
        "  gen explain spec/chatapp.yaml --format markdown > INDEXES.md\n"
        "exit: 0 every index is used for its query, 1 an index is unused or missing (or a warning, with "
        "--strict), 2 bad spec, 3 no server")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--database-url", metavar="URL", default=None,
                   help="a superuser URL of a throw-away server (a scratch database is made and dropped); "
                        "without it an embedded PostgreSQL is started and removed")
    add_server(p)
    p.add_argument("--rows", type=int, default=None, metavar="N",
                   help="sample rows in all (default: enough that every indexed table has 2000, vector tables 9000)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the sample data")
    p.add_argument("--out", metavar="DIR", default=None, help="also write <name>.indexes.md and .json into DIR")
    p.add_argument("--format", choices=("human", "json", "markdown"), default="human")
    p.add_argument("--strict", action="store_true", help="warnings (e.g. a policy that defeats an index) fail too")
    p.add_argument("--problems", action="store_true", help="list only what did not pass")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from generator.output import write_file_atomic
    from generator.pipeline import load_schema
    from generator.verify.explain import explain
    from generator.verify.queries_report import format_json, format_markdown, format_table, summary_line

    schema = load_schema(args.spec)
    from generator.cli.ui import progress_callback
    step = progress_callback()
    progress = (lambda msg: step(f"gen explain: {msg}")) if step else None
    report = explain(schema, args.spec, args.database_url, args.rows, args.seed, progress, args.server)
    if args.out:
        out = Path(args.out)
        write_file_atomic(out / f"{schema.name}.indexes.md", format_markdown(report))
        write_file_atomic(out / f"{schema.name}.indexes.json", format_json(report, args.strict) + "\n")
    if args.format == "json":
        print(format_json(report, args.strict))
    elif args.format == "markdown":
        print(format_markdown(report), end="")
    else:
        from generator.cli.ui import say
        table = format_table(report, only_problems=args.problems)
        if table:
            say(table)
        say(summary_line(report, args.strict))
    return EXIT_OK if report.ok(args.strict) else EXIT_FINDINGS
