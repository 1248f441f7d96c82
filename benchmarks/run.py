"""The benchmark: gen against the peer tools on synthetic schemas of N tables, in one run.

    python benchmarks/run.py                          # everything (sizes 100,1000,5000,10000; ~30 min)
    python benchmarks/run.py --sizes 100,1000 --runs 3 --skip-peers   # a quick look at gen alone

Times whole processes (wall time, CPU time and peak RSS from wait4) side by side: for each size,
one warm-up round and then --runs rounds in which every command runs once, the order rotated each
round (benchmarks/rounds.py), so gen and the peers meet the same machine. The commands: `gen
validate`, `gen build --target sql` and `gen build` (all targets; both --no-cache into a fresh
directory), and the peers: Prisma (`prisma migrate diff --from-empty --to-schema-datamodel --script`,
the schema engine's wasm build), drizzle-kit generate, @dbml/cli dbml2sql and PyPI's pydbml, which it
installs itself into benchmarks/.peers/ (pinned in benchmarks/peers/). After the rounds: the builds
through the build cache (unchanged spec, one-table edit), gen's per-stage breakdown (`gen build
--timings --format json`) and `gen diff` of two 1000-table specs with ~5% changes.

gen runs as a user's pip-installed wheel does, from bytecode: the generator package is
byte-compiled first (`python -m compileall -q generator`) and gen's processes, and pydbml's (the
Python peer), run with PYTHONDONTWRITEBYTECODE removed from their environment (a machine that sets
it would otherwise make every process compile gen's ~300 modules from source, ~0.12 s).

Checks every goal of issue 17 (benchmarks/results_md.py; `gen import --sql` and `gen verify` from
what benchmarks/import_time.py and benchmarks/large_db.py last saved in benchmarks/.work/), prints
the table and rewrites the generated part of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
PEERS = HERE / ".peers"
PINS = HERE / "peers"
RESULTS = HERE / "RESULTS.md"
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (benchmarks/generate.py)
from results_md import PEER_NAMES, check_targets, fmt_mib, fmt_s, markdown  # noqa: E402
from rounds import Command, Result, measure, run_once, run_rounds  # noqa: E402

PYDBML = "pydbml==1.2.1"
BEGIN, END = "<!-- results:begin (written by benchmarks/run.py) -->", "<!-- results:end -->"
SKIPPED = "skipped (timed out at a smaller N)"


def with_bytecode(env: dict | None = None, **extra) -> dict:
    """`env` (default: ours) without PYTHONDONTWRITEBYTECODE: a Python process reads and writes
    __pycache__ as on a user's machine."""
    out = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**out, **extra}


def compile_gen() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], env=with_bytecode(),
                   check=True, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------- gen

def gen_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def has_diff() -> bool:
    done = subprocess.run(gen_cmd("diff", "--help"), cwd=ROOT, env=with_bytecode(), capture_output=True, text=True)
    return done.returncode == 0


def stage_breakdown(spec: Path, targets: str | None, timeout: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="gen-stages-"))
    try:
        argv = gen_cmd("build", str(spec), "--out", str(out), "--timings", "--format", "json", "--no-cache")
        if targets:
            argv += ["--target", targets]
        try:
            done = subprocess.run(argv, cwd=ROOT, env=with_bytecode(), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:.0f} s"}
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-300:]}
        return json.loads(done.stdout)[0]["timings"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


GEN_KEYS = ("validate", "sql", "all")


def gen_commands(paths: dict, scratch: Path) -> dict[str, Command]:
    """gen's commands in the rounds: each build writes into a fresh output directory with no build
    cache (every run is a first build), removed after the run."""
    spec, env = str(paths["yaml"]), with_bytecode()
    counter = iter(range(10**6))
    current: list[Path] = []

    def build(*extra):
        def argv():
            current[:] = [scratch / f"o{next(counter)}"]
            return gen_cmd("build", spec, "--out", str(current[0]), "--no-cache", *extra)
        return argv

    tidy = lambda: [shutil.rmtree(d, ignore_errors=True) for d in current]  # noqa: E731
    return {"validate": Command("gen validate", gen_cmd("validate", spec), ROOT, env),
            "sql": Command("gen build sql", build("--target", "sql"), ROOT, env, after=tidy),
            "all": Command("gen build all", build(), ROOT, env, after=tidy)}


EDIT_NEEDLE = '"Synthetic table 1 of the benchmark."'


def run_incremental(paths: dict, runs: int, timeout: float) -> dict:
    """Builds through the build cache (a fresh GEN_CACHE_DIR) into one output directory per target
    set, after a first build: `warm` = the spec unchanged (a cache hit), `edit` = one table's
    description changed before each run (a miss: built again, only the changed files rewritten).
    Also returns how many files the last all-targets edit rewrote."""
    scratch = Path(tempfile.mkdtemp(prefix="gen-incr-"))
    try:
        src = Path(paths["yaml"])
        spec = scratch / src.name
        shutil.copytree(src, spec) if src.is_dir() else shutil.copy(src, spec)
        edited_file = spec if spec.is_file() else min(spec.glob("*.yaml"))
        original = edited_file.read_text()
        assert EDIT_NEEDLE in original, "benchmarks/generate.py changed its descriptions"
        env = with_bytecode(GEN_CACHE_DIR=str(scratch / "cache"))
        counter = iter(range(1, 10**6))
        out: dict = {}
        for tag, extra in (("sql", ["--target", "sql"]), ("all", [])):
            argv = gen_cmd("build", str(spec), "--out", str(scratch / f"out-{tag}"), "--format", "json", *extra)
            edited_file.write_text(original)
            first = run_once(argv, ROOT, env, timeout)
            if first[3] != 0:
                out[f"warm_{tag}"] = out[f"edit_{tag}"] = Result([], [], [], f"first build: exit {first[3]}")
                continue
            out[f"warm_{tag}"] = measure(argv, runs, ROOT, env, timeout)

            def edited(argv=argv):
                edited_file.write_text(original.replace(
                    EDIT_NEEDLE, f'"Synthetic table 1 of the benchmark, edit {next(counter)}."', 1))
                return argv
            last = scratch / f"last-{tag}.json"
            out[f"edit_{tag}"] = measure(edited, runs, ROOT, env, timeout, stdout_path=last)
            if tag == "all" and out["edit_all"].wall:
                r = json.loads(last.read_text())[0]
                out["rewritten"] = f"{len(r['changed'])} of {len(r['files'])}"
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- peers

def ensure_peers(log) -> dict:
    """Install the pinned peers into benchmarks/.peers/ (npm and pip), once; returns their versions."""
    PEERS.mkdir(exist_ok=True)
    WORK.mkdir(exist_ok=True)
    pins = (PINS / "package.json").read_text()
    stamp = PEERS / ".installed"
    if not stamp.is_file() or stamp.read_text() != pins + PYDBML:
        log("installing peer tools into benchmarks/.peers/ (npm, pip) ...")
        (PEERS / "package.json").write_text(pins)
        lock = PINS / "package-lock.json"
        if lock.is_file():
            shutil.copy(lock, PEERS / "package-lock.json")
        npm = ["npm", "ci" if lock.is_file() else "install", "--ignore-scripts", "--no-audit", "--no-fund"]
        subprocess.run(npm, cwd=PEERS, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(PEERS / "py"), "--upgrade", PYDBML], check=True)
        stamp.write_text(pins + PYDBML)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PEERS / "py")], check=True,
                   stdout=subprocess.DEVNULL)  # pydbml from bytecode, as gen (pip --target compiled it already)
    shutil.copy(PINS / "prisma.config.ts", PEERS / "prisma.config.ts")
    (PEERS / "no-native-engine").touch()
    link = WORK / "node_modules"  # drizzle-kit loads schema.ts, whose imports resolve from its folder
    if not link.exists():
        link.symlink_to(PEERS / "node_modules")
    versions = {}
    for name, pkg in (("prisma", "prisma"), ("drizzle-kit", "drizzle-kit"), ("dbml2sql", "@dbml/cli")):
        meta = PEERS / "node_modules" / pkg / "package.json"
        versions[name] = json.loads(meta.read_text())["version"] if meta.is_file() else "?"
    versions["pydbml"] = PYDBML.split("==")[1]
    return versions


def peer_commands(paths: dict, scratch: Path) -> dict[str, Command]:
    nm = PEERS / "node_modules"
    node = shutil.which("node") or "node"
    env = dict(os.environ, DATABASE_URL="postgresql://unused@localhost/unused", CHECKPOINT_DISABLE="1",
               PRISMA_HIDE_UPDATE_MESSAGE="1", PRISMA_SCHEMA_ENGINE_BINARY=str(PEERS / "no-native-engine"),
               PRISMA_QUERY_ENGINE_LIBRARY=str(PEERS / "no-native-engine"))
    py_env = with_bytecode(PYTHONPATH=str(PEERS / "py"))
    pydbml = ("import sys\nfrom pydbml import PyDBML\n"
              "sys.stdout.write(PyDBML(open(sys.argv[1], encoding='utf-8').read()).sql)")
    drizzle = [node, str(nm / "drizzle-kit/bin.cjs"), "generate", "--dialect", "postgresql",
               "--schema", str(paths["drizzle"]), "--out", str(scratch / "drizzle")]

    def fresh_drizzle():  # drizzle-kit writes a migration folder: a fresh one per run
        shutil.rmtree(scratch / "drizzle", ignore_errors=True)
        return drizzle
    return {
        "prisma": Command("prisma", [node, str(nm / "prisma/build/index.js"), "migrate", "diff", "--from-empty",
                                     "--to-schema-datamodel", str(paths["prisma"]), "--script"], PEERS, env,
                          scratch / "prisma.out"),
        "drizzle-kit": Command("drizzle-kit", fresh_drizzle, PEERS),
        "dbml2sql": Command("dbml2sql", [node, str(nm / "@dbml/cli/bin/dbml2sql.js"), str(paths["dbml"]), "--postgres",
                                         "-o", str(scratch / "dbml.sql")], PEERS),
        "pydbml": Command("pydbml", [sys.executable, "-c", pydbml, str(paths["dbml"])], PEERS, py_env,
                          scratch / "pydbml.out"),
    }


def _tables_made(scratch: Path, name: str) -> int:
    """CREATE TABLE statements in what the peer's last run wrote."""
    files = {"drizzle-kit": sorted((scratch / "drizzle").glob("*.sql")), "dbml2sql": [scratch / "dbml.sql"]}
    text = "".join(f.read_text() for f in files.get(name, [scratch / f"{name}.out"]) if f.is_file())
    return len(re.findall(r"CREATE TABLE", text))


def run_size(paths: dict, runs: int, timeout: float, peers: list[str], dropped: set, log) -> tuple[dict, dict]:
    """The rounds of one size: gen's commands and the `peers`, alternated; a command in `dropped`
    (it timed out at a smaller N) is not run. Returns (gen: key -> Result, peers: name -> Result)."""
    expected = len(generate.build_model(int(paths["yaml"].parent.name[1:])).tables)
    scratch = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    try:
        cmds = {**gen_commands(paths, scratch), **{k: v for k, v in peer_commands(paths, scratch).items() if k in peers}}
        got = run_rounds([c for k, c in cmds.items() if k not in dropped], runs, timeout, log)
        by_key = {k: got.get(c.name) or Result([], [], [], SKIPPED) for k, c in cmds.items()}
        for name in peers:  # the peer did the whole job: one CREATE TABLE per table
            made = _tables_made(scratch, name)
            r = by_key[name]
            if not r.error and made != expected:
                r.note = (r.note + ", " if r.note else "") + f"{made} tables in its DDL"
            log(f"    {name:12s} {fmt_s(r)}  {fmt_mib(r)} MiB  ({made} CREATE TABLE)")
        for k in GEN_KEYS:
            log(f"    gen {k:8s} {fmt_s(by_key[k])}  {fmt_mib(by_key[k])} MiB")
        return {k: by_key[k] for k in GEN_KEYS}, {k: by_key[k] for k in peers}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- report

def _with_note(note: str, more: str) -> str:
    return note if more in note else (f"{note}, {more}" if note else more)


def _previous_peers() -> dict:
    """The peers' rows, versions and date of the last run (benchmarks/.work/results.json)."""
    try:
        last = json.loads((WORK / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    meta = last.get("meta", {})
    versions = {k: v for k, v in meta.get("versions", {}).items() if k in PEER_NAMES}
    return {"rows": last.get("rows", {}), "versions": versions,
            "date": meta.get("peers_from") or meta.get("date", "?")}


def _reused(previous: dict, n: int, wanted: list[str]) -> dict:
    return {k: _result(v, _with_note(v["note"], "from the last run"))
            for k, v in previous.get("rows", {}).get(str(n), {}).get("peers", {}).items() if k in wanted}


def _result(v: dict, note: str | None = None) -> Result:
    """A Result back from its `as_dict` (median CPU time and peak memory stand for the runs')."""
    return Result(v["walls"], [v["cpu_s"]] if v["cpu_s"] else [], [v["peak_mib"] * 1024] if v["peak_mib"] else [],
                  v["error"], v["note"] if note is None else note)


def saved(meta: dict, stages: dict, diff: Result | None, targets: dict, rows: dict) -> dict:
    """One run as benchmarks/.work/results.json keeps it (read back by render_saved and --reuse-peers)."""
    return {
        "meta": meta, "stages": stages, "diff": diff.as_dict() if diff else None,
        "targets": {k: {"met": m, "measured": v} for k, (m, v) in targets.items()},
        "rows": {n: {"bytes": r["bytes"], "gen": {k: v.as_dict() for k, v in r["gen"].items()},
                     "incremental": {k: v if isinstance(v, str) else v.as_dict() for k, v in r["incr"].items()},
                     "peers": {k: v.as_dict() for k, v in r["peers"].items()}} for n, r in rows.items()}}


def render_saved() -> str:
    """RESULTS.md's block again from the last run's benchmarks/.work/results.json, with the import
    and verify goals read anew from their scripts' saved results (nothing is timed)."""
    last = json.loads((WORK / "results.json").read_text())
    rows = {}
    for n, r in last["rows"].items():
        row = {"bytes": r["bytes"], "gen": {k: _result(v) for k, v in r["gen"].items()},
               "peers": {k: _result(v) for k, v in r["peers"].items()},
               "incr": {k: v if isinstance(v, str) else _result(v) for k, v in r["incremental"].items()}}
        ok = {k: v.wall for k, v in row["peers"].items() if v.wall}
        if ok and row["gen"]["sql"].wall:
            row["fastest"] = min(ok, key=ok.get)
            row["ratio"] = ok[row["fastest"]] / row["gen"]["sql"].wall
        rows[int(n)] = row
    diff = _result(last["diff"]) if last.get("diff") else None
    meta = last["meta"]
    targets = check_targets(rows, diff, meta.get("peers_from"))
    stages = {int(n): v for n, v in last["stages"].items()}
    return markdown(rows, diff, targets, stages, meta)


def write_results(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.is_file() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN not in old:
        old = old.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = old.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    RESULTS.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="gen vs peer tools (see the module docstring)")
    ap.add_argument("--sizes", default="100,1000,5000,10000", help="table counts (default: 100,1000,5000,10000)")
    ap.add_argument("--runs", type=int, default=3, help="measured rounds (every command runs once "
                    "per round), after a warm-up round (default 3)")
    ap.add_argument("--skip-peers", action="store_true", help="time gen only")
    ap.add_argument("--peers", default=",".join(PEER_NAMES), help="which peers (default: all)")
    ap.add_argument("--timeout", type=float, default=180.0, help="per process; a command that times out "
                    "drops out of the rounds and is skipped at larger sizes (default 180 s)")
    ap.add_argument("--reuse-peers", action="store_true", help="take the peers' numbers from the last run "
                    "(benchmarks/.work/results.json) instead of timing them again")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    ap.add_argument("--skip-incremental", action="store_true", help="no builds through the build cache")
    ap.add_argument("--render-saved", action="store_true", help="time nothing: write RESULTS.md's block again "
                    "from the last run (.work/results.json), the import and verify goals read anew from "
                    "import_time.py's and large_db.py's saved results")
    args = ap.parse_args(argv)
    if args.render_saved:
        write_results(render_saved())
        print(f"wrote {RESULTS.relative_to(ROOT)} from .work/results.json", file=sys.stderr)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    load_before = _loadavg()
    versions = {"python": platform.python_version()}
    node = shutil.which("node")
    if node:
        versions["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    wanted = [] if args.skip_peers else [p for p in args.peers.split(",") if p]
    previous = _previous_peers() if args.reuse_peers else {}
    if wanted and not args.reuse_peers:
        versions.update(ensure_peers(log))
    elif previous:
        versions.update(previous.get("versions", {}))
    log("byte-compiling generator/ (gen runs from bytecode, as a pip-installed wheel does) ...")
    compile_gen()
    timed = [] if args.reuse_peers else wanted
    rows: dict = {}
    stages: dict = {}
    dropped: set = set()  # commands that timed out: not run at the larger sizes
    for n in sizes:
        log(f"N={n}: generating specs ...")
        paths = generate.write_size(n)
        log(f"N={n}: rounds of gen{' and ' + ', '.join(timed) if timed else ''} ...")
        g, peers = run_size(paths, args.runs, args.timeout, timed, dropped, log)
        dropped |= {k for k, v in {**g, **peers}.items() if v.error and "timeout" in v.error}
        if args.reuse_peers:
            peers = _reused(previous, n, wanted)
        incr = {} if args.skip_incremental or g["all"].error else run_incremental(paths, args.runs, args.timeout)
        for k, r in incr.items():
            log(f"    gen {k:8s} {r if isinstance(r, str) else fmt_s(r)}")
        # every target when the all-targets build finished in time, else the SQL build alone
        stages[n] = stage_breakdown(paths["yaml"], "sql" if g["all"].error else None, args.timeout)
        spec = paths["yaml"]
        size = sum(f.stat().st_size for f in spec.glob("*.yaml")) if spec.is_dir() else spec.stat().st_size
        row = {"bytes": size, "gen": g, "peers": peers, "incr": incr}
        ok = {k: v.wall for k, v in peers.items() if v.wall}
        if ok and g["sql"].wall:
            fastest = min(ok, key=ok.get)
            row["fastest"], row["ratio"] = fastest, ok[fastest] / g["sql"].wall
        rows[n] = row
    diff = None
    if has_diff():
        a, b = generate.write_size(1000), generate.write_size(1000, variant=True)
        log("diff of two 1000-table specs ...")
        diff = measure(gen_cmd("diff", str(a["yaml"]), str(b["yaml"])), args.runs, ROOT, with_bytecode(), args.timeout)
    peers_from = previous.get("date") if args.reuse_peers and wanted else None
    targets = check_targets(rows, diff, peers_from)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "runs": args.runs, "versions": versions,
            "load": f"{load_before} / {_loadavg()}", "peers_from": peers_from, "peers_skipped": not wanted,
            "bytecode": True}
    text = markdown(rows, diff, targets, stages, meta)
    print(text)
    WORK.mkdir(exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(saved(meta, stages, diff, targets, rows), indent=2))
    if not args.no_write:
        write_results(text)
        log(f"wrote {RESULTS.relative_to(ROOT)} (and .work/results.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
