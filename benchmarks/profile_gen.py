"""Where the time of one gen command goes: import cost per top-level module (python -X importtime)
and the top functions by own time (cProfile), for a synthetic spec of N tables.

    python benchmarks/profile_gen.py --size 1000                 # gen build --target sql
    python benchmarks/profile_gen.py --size 1000 --target docs   # one other target
    python benchmarks/profile_gen.py --size 1000 --command validate
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402


def import_costs(argv: list[str]) -> list[tuple[str, float]]:
    """(top-level module, ms) of one run, from -X importtime, largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "generator", *argv], cwd=ROOT,
                          capture_output=True, text=True)
    costs = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and not m.group(2):
            costs.append((m.group(3), int(m.group(1)) / 1000))
    return sorted(costs, key=lambda c: -c[1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--command", choices=("build", "validate"), default="build")
    ap.add_argument("--target", default="sql", help="target(s) for build (default sql; 'all' for every target)")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    spec = str(generate.write_size(args.size, formats=("yaml",))["yaml"])
    with tempfile.TemporaryDirectory() as out:
        def gen_args(sub: str) -> list[str]:
            extra = ["--out", f"{out}/{sub}"] if args.command == "build" else []
            if args.command == "build" and args.target != "all":
                extra += ["--target", args.target]
            return [args.command, spec] + extra

        costs = import_costs(gen_args("a"))
        print(f"imports: {sum(c for _, c in costs):.0f} ms in all (-X importtime adds its own overhead)")
        for name, ms in costs[:12]:
            print(f"  {ms:8.1f} ms  {name}")
        sys.path.insert(0, str(ROOT))
        from generator.cli import main as gen_main
        prof = cProfile.Profile()
        prof.enable()
        try:
            gen_main(gen_args("b"))
        finally:
            prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(args.top)
    print("\n".join(line[:150] for line in text.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
