"""benchmarks/rounds.py: the rounds alternate the commands, rotate their order, and drop out a
command that fails, times out or is slow, as benchmarks/run.py relies on."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rounds  # noqa: E402
from rounds import Command, run_rounds  # noqa: E402


def _mark(log: Path, name: str, then: str = "") -> list[str]:
    return ["sh", "-c", f"printf '{name} ' >> '{log}'{'; ' + then if then else ''}"]


def test_every_command_once_per_round_order_rotated(tmp_path):
    log, tidied = tmp_path / "log", []
    cmds = [Command(n, _mark(log, n), after=lambda n=n: tidied.append(n)) for n in "abc"]
    got = run_rounds(cmds, runs=3, timeout=30)
    assert log.read_text().split() == list("abc" "bca" "cab" "abc")  # warm-up, then rounds 1-3
    assert [len(got[n].walls) for n in "abc"] == [3, 3, 3]  # the warm-up is not counted
    assert all(got[n].wall is not None and got[n].error is None for n in "abc")
    assert tidied.count("a") == 4


def test_failed_and_timed_out_commands_drop_out(tmp_path):
    log = tmp_path / "log"
    cmds = [Command("ok", _mark(log, "ok")), Command("fails", _mark(log, "fails", "exit 3")),
            Command("hangs", _mark(log, "hangs", "sleep 5"))]
    got = run_rounds(cmds, runs=2, timeout=0.5)
    assert log.read_text().split() == ["ok", "fails", "hangs", "ok", "ok"]
    assert got["fails"].error.startswith("exit 3") and got["fails"].wall is None
    assert got["hangs"].error.startswith("timeout")
    assert len(got["ok"].walls) == 2


def test_a_slow_first_run_is_the_only_run(tmp_path, monkeypatch):
    monkeypatch.setattr(rounds, "SLOW_RUN", 0.3)
    log = tmp_path / "log"
    got = run_rounds([Command("fast", _mark(log, "fast")), Command("slow", _mark(log, "slow", "sleep 0.4"))],
                     runs=2, timeout=30)
    assert log.read_text().split() == ["fast", "slow", "fast", "fast"]
    assert got["slow"].note == "1 run" and len(got["slow"].walls) == 1 and got["slow"].wall >= 0.3
    assert got["fast"].note == "" and len(got["fast"].walls) == 2


def test_goals_measured_by_other_scripts_read_their_saved_results(tmp_path, monkeypatch):
    import json

    import results_md
    monkeypatch.setattr(results_md, "WORK", tmp_path)
    goals = results_md.check_targets({}, None)
    assert goals["verify"] == (None, "see benchmarks/large_db.py (no recorded `gen verify` run)")
    assert goals["import"][0] is None and "benchmarks/import_time.py" in goals["import"][1]
    rows = [{"what": "gen apply (empty database)", "wall_s": 18.9, "exit": 0},
            {"what": "gen verify", "wall_s": 54.2, "exit": 0}]
    (tmp_path / "large_db.json").write_text(json.dumps({"date": "d", "size": 2000, "rows": rows}))
    (tmp_path / "import_time.json").write_text(json.dumps({"date": "d", "tables": 1000, "wall_s": 4.5, "cpu_s": 2}))
    goals = results_md.check_targets({}, None)
    assert goals["verify"][0] is True and goals["verify"][1].startswith("54.2 s, exit 0")
    assert goals["import"][0] is False and goals["import"][1].startswith("4.50 s, CPU 2.00 s")
    (tmp_path / "large_db.json").write_text(json.dumps({"date": "d", "size": 500, "rows": rows}))
    assert results_md.check_targets({}, None)["verify"][0] is None  # a smaller spec decides nothing


def test_the_block_renders_again_from_the_saved_run(tmp_path, monkeypatch):
    """`run.py --render-saved` writes the block the run wrote, with the verify goal read anew."""
    import json

    import results_md
    import run
    from rounds import Result
    monkeypatch.setattr(results_md, "WORK", tmp_path)
    monkeypatch.setattr(run, "WORK", tmp_path)
    gen = {"validate": Result([0.9, 1.0], [0.9], [90_000]), "sql": Result([1.0, 0.95, 1.1], [0.97], [95_000]),
           "all": Result([2.4], [3.3], [120_000])}
    peers = {"prisma": Result([1.7], [2.5], [220_000]), "drizzle-kit": Result([1.6, 1.5], [2.1], [190_000]),
             "pydbml": Result([], [], [], "timeout after 180 s")}
    incr = {"warm_all": Result([0.1], [0.1], [50_000]), "edit_all": Result([2.5], [2.4], [118_000]),
            "rewritten": "7 of 1012"}
    rows = {1000: {"bytes": 1_220_000, "gen": gen, "peers": peers, "incr": incr}}
    rows[1000]["fastest"], rows[1000]["ratio"] = "drizzle-kit", 1.55 / gen["sql"].wall
    diff = Result([1.3], [1.9], [105_000])
    stages = {1000: {"load": 150.0, "resolve": 300.0}}
    meta = {"date": "2026-12-07 20:48", "machine": "m", "runs": 3, "versions": {"python": "3.11"},
            "load": "0.3 / 1.4", "peers_from": None, "peers_skipped": False, "bytecode": True}
    before = results_md.markdown(rows, diff, results_md.check_targets(rows, diff), stages, meta)
    (tmp_path / "results.json").write_text(json.dumps(run.saved(meta, stages, diff, {}, rows)))
    assert run.render_saved() == before
    assert "| `gen verify` of a 2000-table spec <= 60 s (default-configured PostgreSQL) | n/a |" in before
    rows_db = [{"what": "gen verify", "wall_s": 100.5, "exit": 0}]
    (tmp_path / "large_db.json").write_text(json.dumps({"date": "d", "size": 2000, "rows": rows_db}))
    again = run.render_saved()
    assert "| **no** | 100.5 s, exit 0" in again and again.replace("100.5", "") != before.replace("100.5", "")
