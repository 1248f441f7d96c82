"""Render a build's targets on several cores: after resolve, the targets are split into groups
(targets that share work stay together), the groups are spread over `jobs` processes forked from
this one (each child reads the resolved schema the fork gave it, renders its groups and sends the
files back through a pipe), and the parent puts every target's files and notes back in the
targets' order, so the output is the serial build's, byte for byte. A child that fails for any
reason is not trusted: the parent renders its targets itself, and their errors surface as in a
serial build."""
from __future__ import annotations

import os
import pickle
import sys
import time

# Targets that share work (one plan; one relation graph) render in one process. The weight is
# a target group's share of the rendering time (ms per 1000 tables, benchmarks/RESULTS.md).
GROUPS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("docs", "erd", "dbml"), 850),
    (("drizzle",), 410),
    (("prisma", "prisma6"), 330),
    (("typescript",), 160),
    (("sql", "rls", "seed", "shim"), 150),
    (("pydantic",), 150),
    (("parity",), 80),
)
MIN_TABLES = 20      # below this a fork costs more than it saves


def default_jobs() -> int:
    """GEN_JOBS when set, else the CPUs this process may use."""
    raw = os.environ.get("GEN_JOBS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):     # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def plan(names: list[str], jobs: int) -> list[list[str]]:
    """The targets of each process (the first is this one's), heaviest group first onto the
    least loaded process; groups keep the order of `names`."""
    weight = {}
    group_of = {}
    for members, w in GROUPS:
        for m in members:
            group_of[m] = members
            weight[members] = w
    groups: dict[tuple, list[str]] = {}
    for n in names:
        groups.setdefault(group_of.get(n, (n,)), []).append(n)
    bins: list[list[str]] = [[] for _ in range(max(1, jobs))]
    load = [0] * len(bins)
    for members in sorted(groups, key=lambda g: -weight.get(g, 100)):
        i = load.index(min(load))
        bins[i] += groups[members]
        load[i] += weight.get(members, 100)
    return [b for i, b in enumerate(bins) if b or i == 0]


def render_parallel(render_some, names: list[str], jobs: int, tables: int) -> dict:
    """`render_some(names) -> {name: (files, notes, seconds)}` for every name, run over up to
    `jobs` processes; the answer has every name's entry."""
    if jobs < 2 or len(names) < 2 or tables < MIN_TABLES or not hasattr(os, "fork"):
        return render_some(names)
    parts = plan(names, jobs)
    if len(parts) < 2:
        return render_some(names)
    sys.stdout.flush(), sys.stderr.flush()
    children = [_fork(render_some, part) for part in parts[1:]]
    done = render_some(parts[0])
    for part, (pid, fd) in zip(parts[1:], children):
        got = _collect(pid, fd)
        done.update(got if got is not None else render_some(part))
    return done


def _fork(render_some, part: list[str]) -> tuple[int, int]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # the child: render, send, leave
        code = 1
        try:
            os.close(r)
            data = pickle.dumps(render_some(part), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as f:
                f.write(data)
            code = 0
        except BaseException:                             # the parent renders these targets itself
            pass
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _collect(pid: int, fd: int) -> dict | None:
    """The child's answer, or None when it did not finish well."""
    with os.fdopen(fd, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        return pickle.loads(data)
    except Exception:
        return None


def timed(fn, ctx) -> tuple[list, float]:
    t0 = time.perf_counter()
    arts = fn(ctx)
    return arts, time.perf_counter() - t0
