"""Large schemas on a live, default-configured PostgreSQL: the commands that talk to a database,
on the N-table benchmark spec (default 2000), each run once as a whole process.

    python benchmarks/large_db.py                    # N = 2000, every command (~12 min on 2 cores)
    python benchmarks/large_db.py --size 500 --skip-verify

Starts an embedded PostgreSQL 16 (pgserver) with the defaults that matter here
(max_locks_per_transaction = 64, max_connections = 100: a lock table of 6400 entries shared by
every session), prints a table, rewrites the block between the markers in RESULTS.md and saves
the rows in benchmarks/.work/large_db.json (benchmarks/run.py reads the `gen verify` goal there).
gen's processes run with bytecode (PYTHONDONTWRITEBYTECODE removed), as a pip-installed gen does.
`gen verify` runs as a user runs it, on the throw-away server it starts itself (the same PostgreSQL
16 and settings, on tmpfs when that has room); `--verify-on-disk` runs it on this script's server.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
SAVED = HERE / ".work" / "large_db.json"
BEGIN, END = "<!-- large-db:begin (written by benchmarks/large_db.py) -->", "<!-- large-db:end -->"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import generate  # noqa: E402  (benchmarks/generate.py)


def run(what: str, *args, cwd: Path) -> tuple[str, float, int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[-1]
    print(f"{what}: {took:.1f} s, exit {done.returncode}: {last[:160]}", flush=True)
    return what, took, done.returncode, last


def main(argv=None) -> None:
    from generator.db.connect import connect
    from generator.db.server import embedded_server, scratch_database

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--skip-verify", action="store_true", help="leave out `gen verify` (the slowest, ~8 min)")
    ap.add_argument("--verify-on-disk", action="store_true", help="`gen verify --scratch-url` on this script's "
                    "server (on disk) rather than on the server gen verify starts (on tmpfs when it has room)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="gen-large-"))
    spec = generate.write_size(args.size, work, formats=("yaml",))["yaml"]
    rows = []
    with embedded_server() as base:
        with connect(base, autocommit=True) as conn:
            settings = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in ("max_locks_per_transaction",
                                                                              "max_connections")}
        with scratch_database(base, prefix="gen_large_") as url:
            m = work / "migrations"
            rows.append(run("gen apply (empty database)", "apply", spec, "--database-url", url, "--no-seed",
                            cwd=work))
            rows.append(run("gen apply again (no-op)", "apply", spec, "--database-url", url, "--no-seed", cwd=work))
            rows.append(run("gen drift", "drift", spec, "--database-url", url, cwd=work))
            rows.append(run("gen migrate new init", "migrate", "new", "init", "--spec", spec, "--dir", m, cwd=work))
            rows.append(run("gen migrate baseline", "migrate", "baseline", "--spec", spec, "--dir", m,
                            "--database-url", url, cwd=work))
            rows.append(run("gen reset (drop all, migrate)", "reset", spec, "--dir", m, "--database-url", url,
                            cwd=work))
            rows.append(run("gen migrate verify", "migrate", "verify", "--spec", spec, "--dir", m,
                            "--scratch-url", base, cwd=work))
            parts = len(list(m.glob("*.up.sql")))
        if not args.skip_verify and args.verify_on_disk:
            rows.append(run("gen verify", "verify", spec, "--scratch-url", base, cwd=work))
    if not args.skip_verify and not args.verify_on_disk:   # as a user runs it: on a server of its own
        rows.append(run("gen verify", "verify", spec, "--server", "embedded", cwd=work))
    text = _table(args.size, settings, parts, rows)
    print(text)
    _save(args.size, settings, parts, rows)
    if not args.no_write:
        _write(text)


def _table(size: int, settings: dict, parts: int, rows) -> str:
    when = time.strftime("%Y-%m-%d %H:%M")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"Run {when}, N = {size} tables, embedded PostgreSQL 16 with its defaults "
             f"(max_locks_per_transaction = {settings['max_locks_per_transaction']}, max_connections = "
             f"{settings['max_connections']}); load average after: {load}. `gen migrate new` wrote the first "
             f"migration in {parts} transactional parts.", "",
             "| command | wall time | exit | last line of output |", "|---|---|---|---|"]
    for what, took, code, last in rows:
        lines.append(f"| {what} | {took:.1f} s | {code} | {re.sub(r'[|]', '/', last)[:110]} |")
    return "\n".join(lines)


def _save(size: int, settings: dict, parts: int, rows) -> None:
    SAVED.parent.mkdir(exist_ok=True)
    SAVED.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M"), "size": size, "settings": settings, "parts": parts,
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "rows": [{"what": what, "wall_s": round(took, 3), "exit": code, "last": last} for what, took, code, last in rows],
    }, indent=2))


def _write(text: str) -> None:
    current = RESULTS.read_text()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in current:
        current = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, current, flags=re.DOTALL)
    else:
        current += "\n## Large schemas on a live PostgreSQL (`benchmarks/large_db.py`)\n\n" + block + "\n"
    RESULTS.write_text(current)


if __name__ == "__main__":
    main()
