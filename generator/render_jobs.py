"""Render a build's targets on several cores: after resolve, the targets are split into groups
(targets that share work stay together), the groups are spread over `jobs` processes forked from
this one (each child reads the resolved schema the fork gave it, renders its groups and sends the
files back through a pipe), and the parent puts every target's files and notes back in the
targets' order, so the output is the serial build's, byte for byte. A child that fails for any
reason is not trusted: the parent renders its targets itself, and their errors surface as in a
serial build."""
from __future__ import annotations

import os

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
    from generator.forked import can_fork, spread
    parts = plan(names, jobs) if jobs >= 2 and len(names) >= 2 and tables >= MIN_TABLES and can_fork() else []
    if len(parts) < 2:
        return render_some(names)
    done: dict = {}
    for got in spread(render_some, parts):
        done.update(got)
    return done
