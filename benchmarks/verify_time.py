"""Time `gen verify` of the example specs, optionally against another checkout of gen, runs
alternated, on one PostgreSQL server; checks both give the same counts and verdicts.

    python benchmarks/verify_time.py [--base /path/to/other/checkout] [--runs 3] [--specs spec/a.yaml,...]
        [--database-url postgresql://...]   (default: an embedded server started once)

Prints a Markdown table: median wall time and child CPU time (user + sys) per spec and tree,
and whether the results (status per check and object, details with UUIDs and timestamps
masked, and the row builders' fresh 'v<n>' values) are identical. CPU includes the worker
processes of `--jobs`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00")
# The row builders' fresh text values ('v<n>', 'V<n>', 'v-<n>'): <n> comes from a counter whose
# ranges differ between versions of gen (since --jobs, a range per table and phase).
FRESH = re.compile(r"(?<![\w-])[vV]-?\d+\b")


def run_once(tree: Path, spec: Path, url: str, extra: tuple = ()) -> tuple[float, float, dict]:
    """One `gen verify --strict --format json` of `spec` with the code of `tree`: wall, CPU, report."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    got = subprocess.run([sys.executable, "-m", "generator", "verify", str(spec), "--strict", "--format", "json",
                          "--database-url", url, *extra], cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if got.returncode not in (0, 1):
        raise SystemExit(f"{tree}: verify {spec} exited {got.returncode}: {got.stderr[-2000:]}")
    return wall, cpu, json.loads(got.stdout)


def verdicts(report: dict) -> list[tuple]:
    return [(r["check"], r["object"], r["what"], r["status"], FRESH.sub("<v>", STAMP.sub("<ts>", UUID.sub("<uuid>", r["detail"]))))
            for r in report["results"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", help="another checkout of gen to compare with (e.g. a `git worktree` of main)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--specs", default="spec/ai_chat.yaml,spec/automations.yaml,spec/chatapp.yaml,spec/commerce.yaml")
    ap.add_argument("--database-url")
    ap.add_argument("--jobs", help="pass --jobs to this tree's gen verify (the base gets none)")
    args = ap.parse_args(argv)
    trees = [ROOT] + ([Path(args.base).resolve()] if args.base else [])
    if args.database_url:
        server = nullcontext(args.database_url)
    else:
        from generator.db.server import embedded_server
        server = embedded_server(logical=True)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\n| spec | proofs | " + " | ".join(f"{t.name} wall / CPU" for t in trees)
          + (" | same verdicts |" if args.base else ""))
    print("|---|---|" + "---|" * len(trees) + ("---|" if args.base else ""))
    with server as url:
        for spec in args.specs.split(","):
            walls = {t: [] for t in trees}
            cpus = {t: [] for t in trees}
            seen = {}
            for _ in range(args.runs):
                for t in trees:
                    wall, cpu, report = run_once(t, Path(spec), url, ("--jobs", args.jobs) if args.jobs and t == ROOT else ())
                    walls[t].append(wall)
                    cpus[t].append(cpu)
                    seen.setdefault(t, (report["counts"], verdicts(report)))
            cells = [f"{statistics.median(walls[t]):.2f} s / {statistics.median(cpus[t]):.2f} s" for t in trees]
            counts = seen[ROOT][0]
            proofs = f"{counts['pass']} pass, {counts['fail']} fail, {counts['warn']} warn, {counts['skip']} skip"
            same = (" | " + ("yes" if seen[ROOT] == seen[trees[-1]] else "**NO**")) if args.base else ""
            print(f"| {spec} | {proofs} | " + " | ".join(cells) + same + " |", flush=True)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
