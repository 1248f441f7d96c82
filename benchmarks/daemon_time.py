"""Time gen's commands cold and through `gen daemon`, in alternated pairs, on the benchmark specs.

    python benchmarks/daemon_time.py [--sizes 100,1000,5000] [--pairs 5]

Both sides run from bytecode (as a wheel installs gen) as whole `python -m generator` processes;
builds go into a fresh `--out` with `--no-cache` (every run a first build); the daemon side talks to a
daemon started once in a private directory (after one warm-up command). The outputs of the two sides
(files, exit code, stdout, stderr) are compared byte for byte. Prints a Markdown table of median wall times and writes
benchmarks/.work/daemon_time.json. (The worker's CPU is not the caller's child: wall time only.)
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
from run import compile_gen, gen_cmd, with_bytecode  # noqa: E402


def commands(spec: Path, other: Path, scratch: Path) -> dict:
    return {"validate": lambda out: gen_cmd("validate", str(spec)),
            "build sql": lambda out: gen_cmd("build", str(spec), "--out", str(out), "--no-cache", "--target", "sql"),
            "build all": lambda out: gen_cmd("build", str(spec), "--out", str(out), "--no-cache"),
            "diff": lambda out: gen_cmd("diff", str(spec), str(other))}


def timed(argv, env) -> tuple[float, tuple]:
    """Wall time, and what the command answered: its exit code, stdout and stderr."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True)
    return time.perf_counter() - start, (done.returncode, done.stdout, done.stderr)


def same_tree(a: Path, b: Path) -> bool:
    if not a.exists() and not b.exists():
        return True
    cmp = filecmp.dircmp(a, b)
    files = [p.relative_to(a) for p in a.rglob("*") if p.is_file()]
    return not cmp.left_only and not cmp.right_only and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files) and len(files) == sum(
        1 for p in b.rglob("*") if p.is_file())


def measure(n: int, pairs: int, env_cold: dict, env_warm: dict, scratch: Path) -> dict:
    spec = WORK / f"n{n}" / "spec.yaml"
    other = WORK / f"n{n}b" / "spec.yaml" if (WORK / f"n{n}b" / "spec.yaml").is_file() else spec
    out = {}
    for name, argv in commands(spec, other, scratch).items():
        if name == "diff" and other == spec:
            continue
        cold, warm, same = [], [], True
        for i in range(pairs):
            sides = [("cold", env_cold, cold), ("warm", env_warm, warm)]
            if i % 2:
                sides.reverse()
            dirs = {}
            for side, env, into in sides:
                dirs[side] = scratch / f"{side}{i}"
                took, (code, stdout, stderr) = timed(argv(dirs[side]), env)
                at = str(dirs[side]).encode()
                into.append((took, (code, stdout.replace(at, b"<out>"), stderr.replace(at, b"<out>"))))
            same &= same_tree(dirs["cold"], dirs["warm"]) and cold[-1][1] == warm[-1][1]
            for d in dirs.values():
                shutil.rmtree(d, ignore_errors=True)
        out[name] = {"cold": statistics.median(t for t, _ in cold), "daemon": statistics.median(t for t, _ in warm),
                     "exit": cold[0][1][0], "same": same}
        print(f"  {n:>5} {name:<10} cold {out[name]['cold']:.3f} s  daemon {out[name]['daemon']:.3f} s"
              f"  same output: {same}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        generate.write_size(n, formats=("yaml",))
    if 1000 in sizes:
        generate.write_size(1000, variant=True, formats=("yaml",))
    compile_gen()
    folder = tempfile.mkdtemp(prefix="gdb", dir="/tmp")
    scratch = Path(tempfile.mkdtemp(prefix="gen-daemon-time-"))
    env_warm = with_bytecode(GEN_DAEMON_DIR=folder, GEN_CACHE_DIR="off", PYTHONPATH=str(ROOT))
    env_warm.pop("GEN_DAEMON", None)
    env_cold = dict(env_warm, GEN_DAEMON="0")
    load_before = os.getloadavg()
    try:
        subprocess.run(gen_cmd("daemon", "start"), cwd=ROOT, env=env_warm, check=True, stdout=subprocess.DEVNULL)
        timed(gen_cmd("--version"), env_warm)   # the first command after the start
        rows = {n: measure(n, args.pairs, env_cold, env_warm, scratch) for n in sizes}
        served = subprocess.run(gen_cmd("daemon", "status"), cwd=ROOT, env=env_warm, capture_output=True, text=True)
    finally:
        subprocess.run(gen_cmd("daemon", "stop"), cwd=ROOT, env=env_warm, stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "pairs": args.pairs, "load_before": load_before,
              "load_after": os.getloadavg(), "status": served.stdout.strip(), "rows": rows}
    (WORK / "daemon_time.json").write_text(json.dumps(result, indent=1))
    print(f"\nRun {result['date']}, {args.pairs} alternated pairs, load {load_before[0]:.1f} -> "
          f"{result['load_after'][0]:.1f}; {served.stdout.strip()}\n")
    print("| N | command | cold | through `gen daemon` | daemon / cold | same output and exit |")
    print("|---|---|---|---|---|---|")
    for n, row in rows.items():
        for name, r in row.items():
            print(f"| {n} | gen {name} | {r['cold']:.3f} s | {r['daemon']:.3f} s | {r['daemon'] / r['cold']:.2f} "
                  f"| {'yes' if r['same'] else 'NO'} |")
    return 0 if all(r["same"] for row in rows.values() for r in row.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
