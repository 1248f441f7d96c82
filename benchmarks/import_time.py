"""Time `gen import --sql` of the benchmark schema (benchmarks/generate.py's spec built to SQL),
optionally against another checkout of gen, runs alternated; checks both write the same spec.

    python benchmarks/import_time.py [--tables 1000] [--runs 3] [--base /path/to/other/checkout]
        [--work /tmp/gen-import-bench]

Each run is a fresh `python -m generator import --sql schema.sql -o OUT --name bench` (it starts
its own embedded PostgreSQL). Prints per run: wall time, CPU of the gen process (user + sys, its
waited-for children such as initdb included; the server's backends are not), the load average;
then the medians per tree and whether the imported specs are byte-identical. This tree's medians
are saved to benchmarks/.work/import_time.json ({"date", "tables", "wall_s", "cpu_s", "load"}), where
benchmarks/run.py reads the import goal.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAVED = HERE / ".work" / "import_time.json"


def schema_sql(tables: int, work: Path) -> Path:
    """The SQL file of the benchmark spec with `tables` tables (built once, with this tree)."""
    out = work / f"n{tables}" / "out"
    hits = sorted(out.rglob("schema.sql")) if out.is_dir() else []
    if hits:
        return hits[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--sizes", str(tables), "--out", str(work)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "generator", "build", "--target", "sql", "--no-cache",
                    str(work / f"n{tables}" / "spec.yaml"), "--out", str(out)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return sorted(out.rglob("schema.sql"))[0]


def run_once(tree: Path, sql: Path, output: Path) -> tuple[float, float]:
    """One import with the code of `tree`: wall time and the gen process's CPU time."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "generator", "import", "--sql", str(sql), "-o", str(output),
                             "--name", "bench"], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: import exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--base", help="another checkout of gen to compare with")
    ap.add_argument("--work", default="/tmp/gen-import-bench")
    args = ap.parse_args(argv)
    work = Path(args.work)
    sql = schema_sql(args.tables, work)
    trees = ([Path(args.base).resolve()] if args.base else []) + [ROOT]
    label = {t: ("base" if args.base and t == trees[0] else "this") for t in trees}
    print(f"{sql} ({sql.stat().st_size / 1e6:.2f} MB); load average before: "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("\n| run | tree | wall | CPU (gen) | load (1 min) |\n|---|---|---|---|---|")
    walls: dict[Path, list[float]] = {t: [] for t in trees}
    cpus: dict[Path, list[float]] = {t: [] for t in trees}
    for n in range(args.runs):
        for t in (trees if n % 2 == 0 else trees[::-1]):
            wall, cpu = run_once(t, sql, work / f"import-{label[t]}.yaml")
            walls[t].append(wall)
            cpus[t].append(cpu)
            print(f"| {n + 1} | {label[t]} | {wall:.2f} s | {cpu:.2f} s | {os.getloadavg()[0]:.1f} |", flush=True)
    print()
    for t in trees:
        print(f"{label[t]} ({t}): median wall {statistics.median(walls[t]):.2f} s, "
              f"CPU {statistics.median(cpus[t]):.2f} s")
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    SAVED.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "tables": args.tables,
                                 "wall_s": round(statistics.median(walls[ROOT]), 3),
                                 "cpu_s": round(statistics.median(cpus[ROOT]), 3),
                                 "load": round(os.getloadavg()[0], 1)}, indent=2) + "\n")
    if args.base:
        same = (work / "import-base.yaml").read_bytes() == (work / "import-this.yaml").read_bytes()
        print("imported specs byte-identical:", "yes" if same else "**NO**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
