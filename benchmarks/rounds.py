"""Timing whole processes for benchmarks/run.py: one run (wall, CPU and peak RSS from wait4), a
series of runs of one command, and rounds in which several commands take turns on the same machine.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SLOW_RUN = 20.0          # a first run slower than this (s) is the only run taken


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


def _failure(code, tail: str, timeout: float) -> Result:
    if code == "timeout":
        return Result([], [], [], f"timeout after {timeout:.0f} s")
    return Result([], [], [], f"exit {code}: {tail.strip().splitlines()[-1] if tail.strip() else ''}")


def measure(argv, runs: int, cwd=None, env=None, timeout=300.0, stdout_path=None) -> Result:
    """Median of `runs` runs of one command after a warm-up run. `argv` may be a function that
    prepares each run (e.g. a fresh output directory) and returns its argv."""
    walls, cpus, rss = [], [], []
    for i in range(runs + 1):
        wall, cpu, kb, code, tail = run_once(argv() if callable(argv) else argv, cwd, env, timeout, stdout_path)
        if code == "timeout" or code != 0:
            return _failure(code, tail, timeout)
        if i == 0 and wall < SLOW_RUN:
            continue  # warm-up
        walls.append(wall), cpus.append(cpu), rss.append(kb)
        if i == 0:
            return Result(walls, cpus, rss, note="1 run")
    return Result(walls, cpus, rss)


@dataclass
class Command:
    """One process to time in the rounds: `argv` is a list or a function that prepares a run and
    returns its argv; `after` (untimed) tidies up after each run."""
    name: str
    argv: list | Callable[[], list]
    cwd: Path | None = None
    env: dict | None = None
    stdout_path: Path | None = None
    after: Callable[[], None] | None = None


def run_rounds(commands: list[Command], runs: int, timeout: float, log=None) -> dict[str, Result]:
    """A warm-up round, then `runs` rounds in which every command runs once, the order rotated by
    one place each round, so each command meets the machine as the others do. A command whose
    warm-up run exceeds SLOW_RUN keeps that run as its only one; one that fails or times out drops
    out of the rounds with its error. Returns name -> Result in the commands' order."""
    walls: dict[str, list] = {c.name: [] for c in commands}
    cpus: dict[str, list] = {c.name: [] for c in commands}
    rss: dict[str, list] = {c.name: [] for c in commands}
    done: dict[str, Result] = {}
    active = list(commands)
    for rnd in range(runs + 1):
        turn = rnd % len(active) if active else 0
        for c in active[turn:] + active[:turn]:
            wall, cpu, kb, code, tail = run_once(c.argv() if callable(c.argv) else c.argv, c.cwd, c.env, timeout,
                                                 c.stdout_path)
            if c.after:
                c.after()
            if code == "timeout" or code != 0:
                done[c.name] = _failure(code, tail, timeout)
            elif rnd == 0 and wall >= SLOW_RUN:
                done[c.name] = Result([wall], [cpu], [kb], note="1 run")
            elif rnd > 0:
                walls[c.name].append(wall), cpus[c.name].append(cpu), rss[c.name].append(kb)
            if log:
                log(f"    round {rnd}{' (warm-up)' if rnd == 0 else ''} {c.name:14s} {wall:.3f} s"
                    + (f"  {done[c.name].error or done[c.name].note}" if c.name in done else ""))
        active = [c for c in active if c.name not in done]
    return {c.name: done.get(c.name) or Result(walls[c.name], cpus[c.name], rss[c.name]) for c in commands}
