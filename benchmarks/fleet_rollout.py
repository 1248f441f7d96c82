"""Benchmark of `gen fleet`: N tenant schemas in one database and M tenant databases on a
throw-away PostgreSQL 16, provisioned at v1 with `gen fleet add`'s code path, then a realistic
second migration (a new table with a key and an index, a column with a default, an index on an
existing table) rolled over them with a canary and waves. Records wall time, the parallelism
and the peak number of connections (pg_stat_activity sampled every 20 ms).

    python benchmarks/fleet_rollout.py                       # 1000 schemas, 50 databases
    python benchmarks/fleet_rollout.py --schemas 100 --databases 10 --parallel 4

Rewrites the fleet block of benchmarks/RESULTS.md. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from generator.db.connect import with_database  # noqa: E402
from generator.db.server import embedded_server  # noqa: E402
from generator.migrate.author import new_migration  # noqa: E402
from generator.migrate.files import MigrationDir  # noqa: E402
from generator.migrate.fleet.config import Fleet, Target  # noqa: E402
from generator.migrate.fleet.provision import provision  # noqa: E402
from generator.migrate.fleet.rollout import up  # noqa: E402
from generator.migrate.project import load_project  # noqa: E402

RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- fleet:begin (written by benchmarks/fleet_rollout.py) -->", "<!-- fleet:end -->"
V1 = """spec: 1
name: crm
{tenancy}auth: {{roles: [app]}}
roles: {{app: {{}}}}
entities:
  customers:
    columns: {{id: uuid pk, name: text!, email: text unique, created_at: timestamptz! = now()}}
    grants: {{app: [select, insert, update, delete]}}
    policies: [{{name: customers_all, for: all, to: [app], using: "true", check: "true", public: true}}]
  deals:
    columns: {{id: uuid pk, customer_id: uuid! -> customers cascade, amount: numeric! = 0, stage: text!}}
    grants: {{app: [select, insert, update, delete]}}
"""
V2 = V1.replace("stage: text!}}", "stage: text!, closed_at: timestamptz, probability: integer! = 10}}\n"
                "    indexes: [[customer_id], [stage, closed_at]]") + """  activities:
    columns: {{id: uuid pk, deal_id: uuid! -> deals cascade, kind: text!, at: timestamptz! = now()}}
    indexes: [[deal_id, at]]
    grants: {{app: [select, insert]}}
"""


class Peak(threading.Thread):
    """Samples the server's client connections (minus this sampler) until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.peak, self.done = url, 0, threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                n = conn.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                 ).fetchone()[0]
                self.peak = max(self.peak, n)
                time.sleep(0.02)


def scenario(base: str, work: Path, kind: str, n: int, parallel: int, wave: int) -> dict:
    work.mkdir()
    tenancy = "tenancy: {mode: schema}\n" if kind == "schemas" else ""
    (work / "app.yaml").write_text(V1.format(tenancy=tenancy))
    migrations = work / "migrations"
    new_migration(load_project(str(work / "app.yaml")), migrations, "init")
    if kind == "schemas":
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("CREATE DATABASE fleet_schemas")
        targets = [Target(f"t_{i:04d}", with_database(base, "fleet_schemas"), f"t_{i:04d}") for i in range(n)]
    else:
        with psycopg.connect(base, autocommit=True) as conn:
            for i in range(n):
                conn.execute(f"CREATE DATABASE fleet_db_{i:03d}")
        targets = [Target(f"db_{i:03d}", with_database(base, f"fleet_db_{i:03d}")) for i in range(n)]
    model, d = load_project(str(work / "app.yaml")).schema, MigrationDir(migrations)
    t0 = time.monotonic()
    for t in targets:
        provision(t, d, model)
    provisioned = time.monotonic() - t0
    (work / "app.yaml").write_text(V2.format(tenancy=tenancy))
    new_migration(load_project(str(work / "app.yaml")), migrations, "deals_pipeline")
    fleet = Fleet(work / "fleet.yaml", work / "app.yaml", migrations, canary=1, wave_size=wave, parallel=parallel)
    peak = Peak(base)
    peak.start()
    t0 = time.monotonic()
    run = up(fleet, targets)
    wall = time.monotonic() - t0
    peak.done.set()
    peak.join()
    migrated = sum(o.state == "migrated" for o in run.outcomes)
    assert run.ok and migrated == n, run.to_dict()["counts"]
    return {"kind": kind, "n": n, "parallel": parallel, "wave": wave, "waves": run.waves, "provision_s": provisioned,
            "rollout_s": wall, "per_target_ms": 1000 * wall / n, "peak": peak.peak}


def write(rows: list[dict]) -> None:
    load = os.getloadavg()
    lines = [BEGIN, "", f"{time.strftime('%Y-%m-%d', time.gmtime())}, PostgreSQL 16 (embedded, pgserver), "
             f"{os.cpu_count()} cores, load average {load[0]:.1f} at the end.", "",
             "| targets | provision (add, serial) | rollout (canary + waves) | per target | waves | parallel | "
             "peak connections |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['n']} tenant {r['kind']} | {r['provision_s']:.1f} s | {r['rollout_s']:.1f} s | "
                     f"{r['per_target_ms']:.0f} ms | {r['waves']} (1 + {r['waves'] - 1} of {r['wave']}) | "
                     f"{r['parallel']} | {r['peak']} |")
    lines += ["", END]
    text = RESULTS.read_text()
    block = "\n".join(lines)
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text += "\n## Fleet rollout (`benchmarks/fleet_rollout.py`)\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemas", type=int, default=1000)
    ap.add_argument("--databases", type=int, default=50)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--wave", type=int, default=100, help="wave size (at most a fifth of the targets)")
    args = ap.parse_args()
    rows = []
    with embedded_server() as base, tempfile.TemporaryDirectory(prefix="gen-fleet-") as tmp:
        for kind, n in (("schemas", args.schemas), ("databases", args.databases)):
            if n:
                rows.append(scenario(base, Path(tmp) / kind, kind, n, args.parallel, min(args.wave, max(1, n // 5))))
                print(rows[-1], flush=True)
    write(rows)


if __name__ == "__main__":
    main()
