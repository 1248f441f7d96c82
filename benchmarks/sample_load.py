"""Benchmark of `gen sample`: N rows across a spec (default: 1,000,000 across the chatapp
example) made and loaded with COPY into a fresh database of a throw-away PostgreSQL 16, and,
optionally, `gen explain` on the seed-003/004 examples.

    python benchmarks/sample_load.py                          # 1M rows into chatapp (a few minutes)
    python benchmarks/sample_load.py --rows 100000 --spec spec/ai_chat.yaml
    python benchmarks/sample_load.py --explain                # + gen explain of automations, ai_chat,
                                                              #   reports in benchmarks/reports/

Measures the whole load (generation, COPY, index builds after the COPY, ANALYZE) as wall and
CPU time, per table and in total, and rewrites the sample block of benchmarks/RESULTS.md.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from generator.db.apply import apply_statements  # noqa: E402
from generator.db.connect import connect  # noqa: E402
from generator.db.server import embedded_server, scratch_database  # noqa: E402
from generator.pipeline import load_schema  # noqa: E402
from generator.sample import Sampler, load  # noqa: E402
from generator.verify import shim_for, statements  # noqa: E402

RESULTS = HERE / "RESULTS.md"
REPORTS = HERE / "reports"
BEGIN, END = "<!-- sample:begin (written by benchmarks/sample_load.py) -->", "<!-- sample:end -->"


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bench_load(spec: str, rows: int, seed: int) -> list[str]:
    schema = load_schema(spec)
    with embedded_server() as base, scratch_database(base, prefix="gen_bench_") as url:
        apply_statements(url, statements(schema, seed=False), shim_for(schema))
        with connect(url, autocommit=True) as conn:
            t0, c0 = time.perf_counter(), _cpu()
            results = load(conn, Sampler(schema, rows, seed), progress=lambda m: print(m, file=sys.stderr))
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    total = sum(r.rows for r in results)
    lines = [f"`gen sample {spec} --rows {rows}` (seed {seed}): **{total:,} rows in {wall:.0f} s** "
             f"({total / wall:,.0f} rows/s; gen's CPU time {cpu:.0f} s, the server's not included); "
             f"database size afterwards {size}.", "", "| table | rows | seconds |", "|---|---:|---:|"]
    lines += [f"| {r.table} | {r.rows:,} | {r.seconds:.1f} |" for r in sorted(results, key=lambda r: -r.seconds)]
    return lines


def bench_explain(specs: list[str]) -> list[str]:
    from generator.verify.explain import explain
    from generator.verify.queries_report import format_markdown, summary_line

    lines = ["", "`gen explain` (sample data at the scale the proof needs, EXPLAIN ANALYZE as owner and app; "
             "the reports, with every query and plan, in [reports/](reports/)):", ""]
    REPORTS.mkdir(exist_ok=True)
    for spec in specs:
        t0 = time.perf_counter()
        schema = load_schema(spec)
        report = explain(schema, spec)
        (REPORTS / f"{schema.name}.indexes.md").write_text(format_markdown(report))
        lines.append(f"- {summary_line(report)} in {time.perf_counter() - t0:.0f} s")
    return lines


def write(lines: list[str]) -> None:
    load_avg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    head = [BEGIN, f"Run {time.strftime('%Y-%m-%d %H:%M')} on {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores; load average after: {load_avg}.", ""]
    block = "\n".join(head + lines + [END])
    text = RESULTS.read_text()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Sample data (`gen sample`, `gen explain`)\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", default=str(ROOT / "spec" / "chatapp.yaml"))
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--explain", action="store_true", help="also time gen explain on automations and ai_chat")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = p.parse_args()
    lines = bench_load(os.path.relpath(args.spec, ROOT), args.rows, args.seed)
    if args.explain:
        lines += bench_explain([str(Path("spec") / "automations.yaml"), str(Path("spec") / "ai_chat.yaml")])
    print("\n".join(lines))
    if not args.no_write:
        write(lines)


if __name__ == "__main__":
    main()
