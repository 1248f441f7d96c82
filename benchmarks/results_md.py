"""The goals of issue 17 checked against one run of benchmarks/run.py (and the latest recorded
results of benchmarks/large_db.py and benchmarks/import_time.py), and the Markdown of RESULTS.md's
generated block.
"""
from __future__ import annotations

import json
from pathlib import Path

from rounds import Result

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
PEER_NAMES = ("prisma", "drizzle-kit", "dbml2sql", "pydbml")
TARGETS_TEXT = {
    "ratio": "SQL build >= 2x faster than the fastest peer, at every N",
    "t100": "SQL build <= 0.15 s at 100 tables",
    "t1000": "SQL build <= 0.35 s at 1000 tables",
    "t5000": "SQL build <= 1.1 s at 5000 tables",
    "linear": "linear growth: t5000 / t1000 <= 5.5 (SQL build)",
    "memory": "peak memory <= 150 MiB at 1000 tables (SQL build)",
    "all": "all targets <= 2x the SQL-only build (cold, wall time; CPU ratio beside), at every N",
    "incr": "one-table edit of 5000 tables, all targets, through the cache <= 0.3 s",
    "incr_all": "all targets <= 1.5x the SQL-only build on incremental builds (one-table edit), at every N",
    "warm": "unchanged spec of 5000 tables, all targets, through the cache (a hit) <= 0.3 s",
    "diff": "`gen diff` of two 1000-table specs <= 0.5 s",
    "validate": "`gen validate` <= 0.3 s at 1000 tables",
    "import": "`gen import --sql` of 1000 tables <= 3 s",
    "verify": "`gen verify` of a 2000-table spec <= 60 s (default-configured PostgreSQL)",
}


# ---------------------------------------------------------------- results recorded by other scripts

def recorded(name: str) -> dict | None:
    """benchmarks/.work/<name>.json as its script last wrote it, or None."""
    try:
        data = json.loads((WORK / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _verify_goal(data: dict | None) -> tuple[bool | None, str]:
    """From benchmarks/.work/large_db.json: {"date", "size", "rows": [{"what", "wall_s", "exit", ...}]}."""
    row = next((r for r in (data or {}).get("rows", []) if r.get("what") == "gen verify"), None)
    if row is None:
        return None, "see benchmarks/large_db.py (no recorded `gen verify` run)"
    size, wall, code = data.get("size"), row.get("wall_s"), row.get("exit")
    where = f"benchmarks/large_db.py, run {data.get('date', '?')}, N={size}, not this run"
    if not isinstance(size, int) or size < 2000 or not isinstance(wall, (int, float)):
        return None, f"{where}: needs N >= 2000"
    return (code in (0, 1) and wall <= 60), f"{wall:.1f} s, exit {code} ({where})"


def _import_goal(data: dict | None) -> tuple[bool | None, str]:
    """From benchmarks/.work/import_time.json: {"date", "tables", "wall_s" (median), "cpu_s"}."""
    if not data or not isinstance(data.get("wall_s"), (int, float)):
        return None, "see benchmarks/import_time.py (no recorded run)"
    tables, wall, cpu = data.get("tables"), data["wall_s"], data.get("cpu_s")
    where = f"benchmarks/import_time.py, run {data.get('date', '?')}, {tables} tables, not this run"
    if not isinstance(tables, int) or tables < 1000:
        return None, f"{where}: needs 1000 tables"
    return wall <= 3, f"{wall:.2f} s" + (f", CPU {cpu:.2f} s" if isinstance(cpu, (int, float)) else "") + f" ({where})"


# ---------------------------------------------------------------- the goals

def _limit(r: Result | None, limit: float, missing: str = "not run") -> tuple[bool | None, str]:
    return (r.wall <= limit, f"{r.wall:.3f} s") if r is not None and r.wall else (None, missing)


def check_targets(rows: dict, diff: Result | None, peers_from: str | None = None) -> dict:
    """Target name -> (met: bool | None, the measurement that decides it)."""
    out = {}
    gen = lambda n, k: rows.get(n, {}).get("gen", {}).get(k)  # noqa: E731
    ratios = {n: row["ratio"] for n, row in rows.items() if row.get("ratio") is not None}
    note = f" (peers from the run of {peers_from}, not side by side)" if peers_from and ratios else ""
    out["ratio"] = (all(r >= 2 for r in ratios.values()) if ratios else None,
                    (", ".join(f"N={n}: {r:.1f}x" for n, r in ratios.items()) or "no peer ran") + note)
    for key, n, limit in (("t100", 100, 0.15), ("t1000", 1000, 0.35), ("t5000", 5000, 1.1)):
        out[key] = _limit(gen(n, "sql"), limit)
    s1, s5 = gen(1000, "sql"), gen(5000, "sql")
    out["linear"] = ((s5.wall / s1.wall <= 5.5, f"{s5.wall / s1.wall:.2f}") if s1 and s5 and s1.wall and s5.wall
                     else (None, "needs N=1000 and 5000"))
    out["memory"] = ((s1.mib <= 150, f"{s1.mib:.0f} MiB") if s1 and s1.mib else (None, "not run"))
    walls, cpus = {}, {}
    for n in rows:
        sql, all_ = gen(n, "sql"), gen(n, "all")
        if sql and all_ and sql.wall and all_.wall:
            walls[n] = all_.wall / sql.wall
            cpus[n] = all_.cpu / sql.cpu if all_.cpu and sql.cpu else None
    out["all"] = (all(v <= 2 for v in walls.values()) if walls else None,
                  ", ".join(f"N={n}: {v:.1f}x" + (f" (CPU {cpus[n]:.1f}x)" if cpus[n] else "")
                            for n, v in walls.items()) or "not run")
    incr = {n: row.get("incr", {}) for n, row in rows.items()}
    met, measured = _limit(incr.get(5000, {}).get("edit_all"), 0.3, "needs N=5000")
    rewritten = incr.get(5000, {}).get("rewritten")
    out["incr"] = (met, measured + (f", {rewritten} files rewritten" if rewritten and met is not None else ""))
    out["warm"] = _limit(incr.get(5000, {}).get("warm_all"), 0.3, "needs N=5000")
    ratios = {n: i["edit_all"].wall / i["edit_sql"].wall for n, i in incr.items()
              if i.get("edit_all") and i.get("edit_sql") and i["edit_all"].wall and i["edit_sql"].wall}
    out["incr_all"] = (all(v <= 1.5 for v in ratios.values()) if ratios else None,
                       ", ".join(f"N={n}: {v:.1f}x" for n, v in ratios.items()) or "not run")
    if diff is None:
        out["diff"] = (None, "`gen diff` does not exist yet")
    else:
        out["diff"] = (diff.wall <= 0.5, f"{diff.wall:.3f} s") if diff.wall else (False, diff.error or "?")
    out["validate"] = _limit(gen(1000, "validate"), 0.3, "needs N=1000")
    out["import"] = _import_goal(recorded("import_time"))
    out["verify"] = _verify_goal(recorded("large_db"))
    return out


# ---------------------------------------------------------------- Markdown

def fmt_s(r: Result | None) -> str:
    if r is None:
        return "–"
    if r.error:
        return r.error if len(r.error) < 40 else r.error[:37] + "..."
    return f"{r.wall:.3f} s" + (f" ({r.note})" if r.note else "")


def fmt_cpu(r: Result | None) -> str:
    return f"{r.cpu:.3f} s" if r is not None and r.cpu is not None else "–"


def fmt_mib(r: Result | None) -> str:
    return f"{r.mib:.0f}" if r is not None and r.mib is not None else "–"


def _head(meta: dict) -> list[str]:
    rounds = f"{meta['runs']} round" + ("" if meta["runs"] == 1 else "s")
    lines = [f"Run {meta['date']} on {meta['machine']}. One warm-up round, then {rounds} in which "
             "every command below ran once, the order rotated each round (gen and the peers alternated on the "
             "same machine); median whole-process wall time. gen and pydbml ran from bytecode (compiled first, "
             "PYTHONDONTWRITEBYTECODE removed from their environment), as from a pip-installed wheel. "
             f"Load average before / after: {meta['load']}."]
    if meta.get("peers_from"):
        lines.append(f"**The peers were not timed in this run** (`--reuse-peers`): their numbers are those of the run "
                     f"of {meta['peers_from']}, marked \"from the last run\", and the \"fastest peer / sql\" "
                     "column compares two runs.")
    elif meta.get("peers_skipped"):
        lines.append("The peers were not timed in this run (`--skip-peers`).")
    return [" ".join(lines), ""]


def _table(head: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]


def markdown(rows: dict, diff: Result | None, targets: dict, stages: dict, meta: dict) -> str:
    lines = _head(meta)
    peers = [p for p in PEER_NAMES if any(p in r["peers"] for r in rows.values())]
    keys = ("validate", "sql", "all")
    head = ["N", "spec", "gen validate", "gen build sql", "gen build all"] + peers
    size = lambda row: f"{row['bytes'] / 1e6:.2f} MB"  # noqa: E731
    lines += _table(head + ["fastest peer / sql"], [
        [str(n), size(row)] + [fmt_s(row["gen"].get(k)) for k in keys] + [fmt_s(row["peers"].get(p)) for p in peers]
        + [f"{row['ratio']:.1f}x ({row['fastest']})" if row.get("ratio") else "–"] for n, row in rows.items()])
    lines += ["", "CPU time (user + sys, median; less disturbed than wall time by other load on the machine):", ""]
    lines += _table(head, [[str(n), size(row)] + [fmt_cpu(row["gen"].get(k)) for k in keys]
                           + [fmt_cpu(row["peers"].get(p)) for p in peers] for n, row in rows.items()])
    lines += ["", "Peak memory (MiB, RSS of the process):", ""]
    lines += _table(["N"] + head[2:], [[str(n)] + [fmt_mib(row["gen"].get(k)) for k in keys]
                                       + [fmt_mib(row["peers"].get(p)) for p in peers] for n, row in rows.items()])
    if any(row.get("incr") for row in rows.values()):
        lines += ["", "Incremental builds (whole process, through the build cache, the same `--out` each run, after a "
                  "first build; the cold columns repeat the table above: `--no-cache` into a fresh directory):", ""]
        lines += _table(["N", "cold sql", "warm sql (unchanged)", "one-table edit sql", "cold all", "warm all (unchanged)",
                         "one-table edit all", "files rewritten by the edit"], [
            [str(n), fmt_s(row["gen"].get("sql")), fmt_s(i.get("warm_sql")), fmt_s(i.get("edit_sql")),
             fmt_s(row["gen"].get("all")), fmt_s(i.get("warm_all")), fmt_s(i.get("edit_all")), i.get("rewritten", "–")]
            for n, row in rows.items() for i in [row.get("incr") or {}]])
    lines += ["", "`gen diff` of two 1000-table specs (~5% changed): "
              + ("missing: `gen diff` does not exist yet" if diff is None else fmt_s(diff))
              + (f", {fmt_mib(diff)} MiB" if diff is not None and diff.mib else ""), ""]
    if stages:
        names = []
        for st in stages.values():
            names += [k for k in st if k not in names and not k.startswith("error")]
        lines += ["Per-stage breakdown, ms (`gen build --timings --format json`, one run, all targets; "
                  "SQL only where the all-targets build timed out):", ""]
        lines += _table(["stage"] + [f"N={n}" for n in stages],
                        [[k] + [f"{st[k] * 1000:.1f}" if k in st else "–" for st in stages.values()] for k in names])
        lines.append("")
    lines += ["Targets (the goals of issue 17):", ""]
    lines += _table(["target", "met", "measured"], [
        [TARGETS_TEXT[key], "yes" if met else "n/a" if met is None else "**no**", measured]
        for key, (met, measured) in targets.items()])
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), ""]
    return "\n".join(lines)
