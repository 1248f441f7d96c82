"""The benchmark: gen against the peer tools on synthetic schemas of N tables, in one run.

    python benchmarks/run.py                          # everything (sizes 100,1000,5000,10000; ~25 min)
    python benchmarks/run.py --sizes 100,1000 --runs 3 --skip-peers   # a quick look at gen alone

Times whole processes (median wall time over --runs runs after a warm-up, CPU time, peak RSS from
wait4) of `gen validate`, `gen build --target sql`, `gen build` (all targets; both with --no-cache),
the same builds through the build cache (unchanged spec, one-table edit), `gen diff` of two
1000-table specs with ~5% changes, and the peers: Prisma (`prisma migrate diff --from-empty
--to-schema-datamodel --script`, the schema engine's wasm build), drizzle-kit generate, @dbml/cli
dbml2sql and PyPI's pydbml, which it installs itself into benchmarks/.peers/ (pinned in
benchmarks/peers/). Adds gen's per-stage breakdown (`gen build --timings --format json`), checks
the performance targets, prints the table and rewrites the generated part of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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

PYDBML = "pydbml==1.2.1"
PEER_NAMES = ("prisma", "drizzle-kit", "dbml2sql", "pydbml")
SLOW_RUN = 20.0          # a first run slower than this (s) is the only run taken
BEGIN, END = "<!-- results:begin (written by benchmarks/run.py) -->", "<!-- results:end -->"
TARGETS_TEXT = {
    "ratio": "SQL build >= 2x faster than the fastest peer, at every N",
    "t1000": "SQL build <= 0.35 s at 1000 tables",
    "t5000": "SQL build <= 1.1 s at 5000 tables",
    "all": "all targets <= 2x the SQL-only build (cold), at every N",
    "incr": "one-table edit of 5000 tables, all targets, through the cache <= 0.3 s",
    "incr_all": "all targets <= 1.5x the SQL-only build on incremental builds (one-table edit), at every N",
    "warm": "unchanged spec of 5000 tables, all targets, through the cache (a hit) <= 0.3 s",
    "linear": "linear growth: t5000 / t1000 <= 5.5 (SQL build)",
    "memory": "peak memory <= 150 MiB at 1000 tables (SQL build)",
    "diff": "diff of two 1000-table specs <= 0.5 s",
}


# ---------------------------------------------------------------- running and measuring

class Result:
    def __init__(self, walls, cpus, rss_kb, error=None, note=""):
        self.walls, self.cpus, self.rss_kb, self.error, self.note = walls, cpus, rss_kb, error, note

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls and not self.error else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus and not self.error else None

    @property
    def mib(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb and not self.error else None

    def as_dict(self) -> dict:
        return {"wall_s": self.wall, "cpu_s": self.cpu, "peak_mib": self.mib, "walls": self.walls,
                "error": self.error, "note": self.note}


def run_once(argv, cwd=None, env=None, timeout=300.0, stdout_path=None):
    """One process: (wall seconds, user+sys seconds, peak RSS in KiB, exit status, stderr tail)."""
    with tempfile.TemporaryFile() as err, open(stdout_path or os.devnull, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-600:]
    if wall >= timeout:
        return wall, 0.0, 0, "timeout", tail
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, tail


def measure(argv, runs: int, cwd=None, env=None, timeout=300.0, stdout_path=None) -> Result:
    """Median of `runs` runs after a warm-up run. `argv` may be a function that prepares each run
    (e.g. a fresh output directory) and returns its argv."""
    walls, cpus, rss = [], [], []
    for i in range(runs + 1):
        wall, cpu, kb, code, tail = run_once(argv() if callable(argv) else argv, cwd, env, timeout, stdout_path)
        if code == "timeout":
            return Result([], [], [], f"timeout after {timeout:.0f} s")
        if code != 0:
            return Result([], [], [], f"exit {code}: {tail.strip().splitlines()[-1] if tail.strip() else ''}")
        if i == 0 and wall < SLOW_RUN:
            continue  # warm-up
        walls.append(wall), cpus.append(cpu), rss.append(kb)
        if i == 0:
            return Result(walls, cpus, rss, note="1 run")
    return Result(walls, cpus, rss)


# ---------------------------------------------------------------- gen

def gen_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def has_diff() -> bool:
    done = subprocess.run(gen_cmd("diff", "--help"), cwd=ROOT, capture_output=True, text=True)
    return done.returncode == 0


def stage_breakdown(spec: Path, targets: str | None, timeout: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="gen-stages-"))
    try:
        argv = gen_cmd("build", str(spec), "--out", str(out), "--timings", "--format", "json", "--no-cache")
        if targets:
            argv += ["--target", targets]
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:.0f} s"}
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-300:]}
        return json.loads(done.stdout)[0]["timings"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_gen(paths: dict, runs: int, timeout: float, skip_all: bool = False) -> dict:
    spec = str(paths["yaml"])
    scratch = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    counter = iter(range(10**6))

    def build(*extra):  # a fresh output directory per run and no build cache: every run is a first build
        return lambda: gen_cmd("build", spec, "--out", str(scratch / f"o{next(counter)}"), "--no-cache", *extra)

    try:
        return {"validate": measure(gen_cmd("validate", spec), runs, ROOT, timeout=timeout),
                "sql": measure(build("--target", "sql"), runs, ROOT, timeout=timeout),
                "all": Result([], [], [], "skipped (timed out at a smaller N)") if skip_all else
                measure(build(), runs, ROOT, timeout=timeout)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
        env = dict(os.environ, GEN_CACHE_DIR=str(scratch / "cache"))
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


def peer_commands(paths: dict, scratch: Path) -> dict:
    nm = PEERS / "node_modules"
    node = shutil.which("node") or "node"
    env = dict(os.environ, DATABASE_URL="postgresql://unused@localhost/unused", CHECKPOINT_DISABLE="1",
               PRISMA_HIDE_UPDATE_MESSAGE="1", PRISMA_SCHEMA_ENGINE_BINARY=str(PEERS / "no-native-engine"),
               PRISMA_QUERY_ENGINE_LIBRARY=str(PEERS / "no-native-engine"))
    py_env = dict(os.environ, PYTHONPATH=str(PEERS / "py"))
    pydbml = ("import sys\nfrom pydbml import PyDBML\n"
              "sys.stdout.write(PyDBML(open(sys.argv[1], encoding='utf-8').read()).sql)")
    return {
        "prisma": ([node, str(nm / "prisma/build/index.js"), "migrate", "diff", "--from-empty",
                    "--to-schema-datamodel", str(paths["prisma"]), "--script"], PEERS, env, None),
        "drizzle-kit": ([node, str(nm / "drizzle-kit/bin.cjs"), "generate", "--dialect", "postgresql",
                         "--schema", str(paths["drizzle"]), "--out"], PEERS, None, scratch / "drizzle"),
        "dbml2sql": ([node, str(nm / "@dbml/cli/bin/dbml2sql.js"), str(paths["dbml"]), "--postgres", "-o",
                      str(scratch / "dbml.sql")], PEERS, None, None),
        "pydbml": ([sys.executable, "-c", pydbml, str(paths["dbml"])], PEERS, py_env, None),
    }


def _tables_made(scratch: Path, name: str) -> int:
    """CREATE TABLE statements in what the peer's last run wrote."""
    files = {"drizzle-kit": sorted((scratch / "drizzle").glob("*.sql")), "dbml2sql": [scratch / "dbml.sql"]}
    text = "".join(f.read_text() for f in files.get(name, [scratch / f"{name}.out"]) if f.is_file())
    return len(re.findall(r"CREATE TABLE", text))


def run_peers(paths: dict, runs: int, timeout: float, skip: set, log) -> dict:
    expected = len(generate.build_model(int(paths["yaml"].parent.name[1:])).tables)
    scratch = Path(tempfile.mkdtemp(prefix="gen-peers-"))
    out = {}
    try:
        for name, (argv, cwd, env, out_dir) in peer_commands(paths, scratch).items():
            if name in skip:
                continue
            stdout = scratch / f"{name}.out"
            if out_dir is not None:  # drizzle-kit writes a migration folder: a fresh one per run
                def fresh(argv=argv, out_dir=out_dir):
                    shutil.rmtree(out_dir, ignore_errors=True)
                    return argv + [str(out_dir)]
                out[name] = measure(fresh, runs, cwd, env, timeout, stdout)
            else:
                out[name] = measure(argv, runs, cwd, env, timeout, stdout)
            made = _tables_made(scratch, name)  # the peer did the whole job: one CREATE TABLE per table
            if not out[name].error and made != expected:
                out[name].note = (out[name].note + ", " if out[name].note else "") + f"{made} tables in its DDL"
            log(f"    {name:12s} {_fmt_s(out[name])}  {_fmt_mib(out[name])} MiB  ({made} CREATE TABLE)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


# ---------------------------------------------------------------- report

def _fmt_s(r: Result | None) -> str:
    if r is None:
        return "–"
    if r.error:
        return r.error if len(r.error) < 40 else r.error[:37] + "..."
    return f"{r.wall:.3f} s" + (f" ({r.note})" if r.note else "")


def _fmt_cpu(r: Result | None) -> str:
    return f"{r.cpu:.3f} s" if r is not None and r.cpu is not None else "–"


def _fmt_mib(r: Result | None) -> str:
    return f"{r.mib:.0f}" if r is not None and r.mib is not None else "–"


def _with_note(note: str, more: str) -> str:
    return note if more in note else (f"{note}, {more}" if note else more)


def _previous_peers() -> dict:
    try:
        last = json.loads((WORK / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    versions = {k: v for k, v in last.get("meta", {}).get("versions", {}).items() if k in PEER_NAMES}
    return {"rows": last.get("rows", {}), "versions": versions}


def check_targets(rows: dict, diff: Result | None) -> dict:
    """Target name -> (met: bool | None, the measurement that decides it)."""
    out = {}
    ratios = {n: row["ratio"] for n, row in rows.items() if row.get("ratio") is not None}
    out["ratio"] = (all(r >= 2 for r in ratios.values()) if ratios else None,
                    ", ".join(f"N={n}: {r:.1f}x" for n, r in ratios.items()) or "no peer ran")
    for key, n, limit in (("t1000", 1000, 0.35), ("t5000", 5000, 1.1)):
        sql = rows.get(n, {}).get("gen", {}).get("sql")
        out[key] = (sql.wall <= limit, f"{sql.wall:.3f} s") if sql and sql.wall else (None, "not run")
    alls = {}
    for n, row in rows.items():
        sql, all_ = row["gen"].get("sql"), row["gen"].get("all")
        if sql and all_ and sql.wall and all_.wall:
            alls[n] = all_.wall / sql.wall
    out["all"] = (all(v <= 2 for v in alls.values()) if alls else None,
                  ", ".join(f"N={n}: {v:.1f}x" for n, v in alls.items()) or "not run")
    incr = {n: row.get("incr", {}) for n, row in rows.items()}
    for key, kind in (("incr", "edit_all"), ("warm", "warm_all")):
        r = incr.get(5000, {}).get(kind)
        out[key] = (r.wall <= 0.3, f"{r.wall:.3f} s") if r and r.wall else (None, "needs N=5000")
    ratios = {n: i["edit_all"].wall / i["edit_sql"].wall for n, i in incr.items()
              if i.get("edit_all") and i.get("edit_sql") and i["edit_all"].wall and i["edit_sql"].wall}
    out["incr_all"] = (all(v <= 1.5 for v in ratios.values()) if ratios else None,
                       ", ".join(f"N={n}: {v:.1f}x" for n, v in ratios.items()) or "not run")
    s1, s5 = rows.get(1000, {}).get("gen", {}).get("sql"), rows.get(5000, {}).get("gen", {}).get("sql")
    out["linear"] = ((s5.wall / s1.wall <= 5.5, f"{s5.wall / s1.wall:.2f}") if s1 and s5 and s1.wall and s5.wall
                     else (None, "needs N=1000 and 5000"))
    out["memory"] = ((s1.mib <= 150, f"{s1.mib:.0f} MiB") if s1 and s1.mib else (None, "not run"))
    if diff is None:
        out["diff"] = (None, "`gen diff` does not exist yet")
    else:
        out["diff"] = ((diff.wall <= 0.5, f"{diff.wall:.3f} s") if diff.wall else (False, diff.error or "?"))
    return out


def markdown(rows: dict, diff: Result | None, targets: dict, stages: dict, meta: dict) -> str:
    lines = [f"Run {meta['date']} on {meta['machine']}; median of {meta['runs']} runs after a warm-up; "
             f"whole-process wall time. Load average before / after: {meta['load']}.", ""]
    peers = [p for p in PEER_NAMES if any(p in r["peers"] for r in rows.values())]
    head = ["N", "spec", "gen validate", "gen build sql", "gen build all"] + peers + ["fastest peer / sql"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n, row in rows.items():
        g = row["gen"]
        cells = [str(n), f"{row['bytes'] / 1e6:.2f} MB", _fmt_s(g.get("validate")), _fmt_s(g.get("sql")),
                 _fmt_s(g.get("all"))] + [_fmt_s(row["peers"].get(p)) for p in peers]
        cells.append(f"{row['ratio']:.1f}x ({row['fastest']})" if row.get("ratio") else "–")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "CPU time (user + sys, median; less disturbed than wall time by other load on the machine):", ""]
    lines += ["| " + " | ".join(head[:-1]) + " |", "|" + "---|" * (len(head) - 1)]
    for n, row in rows.items():
        g = row["gen"]
        cells = [str(n), f"{row['bytes'] / 1e6:.2f} MB"] + [_fmt_cpu(g.get(k)) for k in ("validate", "sql", "all")]
        lines.append("| " + " | ".join(cells + [_fmt_cpu(row["peers"].get(p)) for p in peers]) + " |")
    lines += ["", "Peak memory (MiB, RSS of the process):", ""]
    head = ["N", "gen validate", "gen build sql", "gen build all"] + peers
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n, row in rows.items():
        g = row["gen"]
        lines.append("| " + " | ".join([str(n), _fmt_mib(g.get("validate")), _fmt_mib(g.get("sql")),
                                        _fmt_mib(g.get("all"))] + [_fmt_mib(row["peers"].get(p)) for p in peers])
                     + " |")
    if any(row.get("incr") for row in rows.values()):
        lines += ["", "Incremental builds (whole process, through the build cache, the same `--out` each run, after a "
                  "first build; the cold columns repeat the table above: `--no-cache` into a fresh directory):", "",
                  "| N | cold sql | warm sql (unchanged) | one-table edit sql | cold all | warm all (unchanged) "
                  "| one-table edit all | files rewritten by the edit |", "|---|---|---|---|---|---|---|---|"]
        for n, row in rows.items():
            i, g = row.get("incr") or {}, row["gen"]
            lines.append("| " + " | ".join([str(n), _fmt_s(g.get("sql")), _fmt_s(i.get("warm_sql")),
                                            _fmt_s(i.get("edit_sql")), _fmt_s(g.get("all")), _fmt_s(i.get("warm_all")),
                                            _fmt_s(i.get("edit_all")), i.get("rewritten", "–")]) + " |")
    lines += ["", f"`gen diff` of two 1000-table specs (~5% changed): "
              + ("missing: `gen diff` does not exist yet" if diff is None else _fmt_s(diff))
              + (f", {_fmt_mib(diff)} MiB" if diff is not None and diff.mib else ""), ""]
    if stages:
        keys = []
        for st in stages.values():
            keys += [k for k in st if k not in keys and not k.startswith("error")]
        lines += ["Per-stage breakdown, ms (`gen build --timings --format json`, one run, all targets; "
                  "SQL only where the all-targets build timed out):", "",
                  "| stage | " + " | ".join(f"N={n}" for n in stages) + " |",
                  "|---|" + "---|" * len(stages)]
        for k in keys:
            lines.append(f"| {k} | " + " | ".join(f"{st[k] * 1000:.1f}" if k in st else "–" for st in stages.values())
                         + " |")
        lines.append("")
    lines += ["Targets:", "", "| target | met | measured |", "|---|---|---|"]
    for key, (met, measured) in targets.items():
        lines.append(f"| {TARGETS_TEXT[key]} | {'yes' if met else 'n/a' if met is None else '**no**'} | {measured} |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), ""]
    return "\n".join(lines)


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
    ap.add_argument("--runs", type=int, default=3, help="measured runs per command, after a warm-up (default 3)")
    ap.add_argument("--skip-peers", action="store_true", help="time gen only")
    ap.add_argument("--peers", default=",".join(PEER_NAMES), help="which peers (default: all)")
    ap.add_argument("--timeout", type=float, default=180.0, help="per process; a peer that times out is "
                    "skipped at larger sizes (default 180 s)")
    ap.add_argument("--reuse-peers", action="store_true", help="take the peers' numbers from the last run "
                    "(benchmarks/.work/results.json) instead of timing them again")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    ap.add_argument("--skip-incremental", action="store_true", help="no builds through the build cache")
    args = ap.parse_args(argv)
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
    rows: dict = {}
    stages: dict = {}
    timed_out: set = set(PEER_NAMES) - set(wanted)
    all_timed_out = False
    for n in sizes:
        log(f"N={n}: generating specs ...")
        paths = generate.write_size(n)
        log(f"N={n}: gen ...")
        g = run_gen(paths, args.runs, args.timeout, skip_all=all_timed_out)
        all_timed_out = all_timed_out or bool(g["all"].error and "timeout" in g["all"].error)
        for k, r in g.items():
            log(f"    gen {k:8s} {_fmt_s(r)}  {_fmt_mib(r)} MiB")
        incr = {} if args.skip_incremental or g["all"].error else run_incremental(paths, args.runs, args.timeout)
        for k, r in incr.items():
            log(f"    gen {k:8s} {r if isinstance(r, str) else _fmt_s(r)}")
        # every target when the all-targets build finished in time, else the SQL build alone
        stages[n] = stage_breakdown(paths["yaml"], "sql" if g["all"].error else None, args.timeout)
        peers = {}
        if args.reuse_peers:
            peers = {k: Result(v["walls"], [v["cpu_s"]] if v["cpu_s"] else [], [v["peak_mib"] * 1024] if v["peak_mib"]
                               else [], v["error"], _with_note(v["note"], "from the last run"))
                     for k, v in previous.get("rows", {}).get(str(n), {}).get("peers", {}).items() if k in wanted}
        elif wanted:
            log(f"N={n}: peers ...")
            peers = run_peers(paths, args.runs, args.timeout, timed_out, log)
            for name in sorted(set(wanted) & timed_out - set(peers)):
                peers[name] = Result([], [], [], "skipped (timed out at a smaller N)")
            timed_out |= {k for k, v in peers.items() if v.error and "timeout" in v.error}
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
        diff = measure(gen_cmd("diff", str(a["yaml"]), str(b["yaml"])), args.runs, ROOT, timeout=args.timeout)
    targets = check_targets(rows, diff)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "runs": args.runs, "versions": versions,
            "load": f"{load_before} / {_loadavg()}"}
    text = markdown(rows, diff, targets, stages, meta)
    print(text)
    WORK.mkdir(exist_ok=True)
    (WORK / "results.json").write_text(json.dumps({
        "meta": meta, "stages": stages, "diff": diff.as_dict() if diff else None,
        "targets": {k: {"met": m, "measured": v} for k, (m, v) in targets.items()},
        "rows": {n: {"bytes": r["bytes"], "gen": {k: v.as_dict() for k, v in r["gen"].items()},
                     "incremental": {k: v if isinstance(v, str) else v.as_dict() for k, v in r["incr"].items()},
                     "peers": {k: v.as_dict() for k, v in r["peers"].items()}} for n, r in rows.items()}},
        indent=2))
    if not args.no_write:
        write_results(text)
        log(f"wrote {RESULTS.relative_to(ROOT)} (and .work/results.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
