"""Targets rendered in forked processes give the serial build's answer byte for byte: the same
files in the same order and the same notes, also when a child dies; the plan keeps targets that
share work together and places every target once."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import render_jobs
from generator.pipeline import build, default_targets
from generator.render_jobs import GROUPS, plan

ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "spec" / "conversational_commerce.yaml", ROOT / "spec" / "chatapp.yaml"]


@pytest.fixture
def forks(monkeypatch):
    """Count the children forked (and let every spec size fork)."""
    from generator import forked
    made = []
    real = forked._fork

    def counted(work, part):
        made.append(list(part))
        return real(work, part)
    monkeypatch.setattr(render_jobs, "MIN_TABLES", 0)
    monkeypatch.setattr(forked, "_fork", counted)
    return made


def _built(tmp_path: Path, tag: str, jobs: int) -> list[tuple]:
    results = build([str(s) for s in SPECS], str(tmp_path / tag), None, jobs=jobs)
    return [(r.name, list(r.files.items()), r.notes) for r in results]


def test_parallel_render_is_the_serial_one(tmp_path, forks):
    serial = _built(tmp_path, "one", 1)
    assert forks == []
    for jobs in (2, 3):
        forks.clear()
        assert _built(tmp_path, f"j{jobs}", jobs) == serial
        assert len(forks) == len(SPECS) * (jobs - 1)        # every spec rendered in jobs processes
    on_disk = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}  # noqa: E731
    assert on_disk(tmp_path / "j2") == on_disk(tmp_path / "one")


def test_a_child_that_dies_is_replaced_by_the_parent(tmp_path, forks, monkeypatch):
    serial = _built(tmp_path, "one", 1)
    parent = os.getpid()
    from generator import targets

    victim = plan(default_targets(), 2)[1][0]         # a target the child renders
    real = targets.get_target(victim)

    def dies_in_a_child(ctx):
        if os.getpid() != parent:
            os._exit(7)
        return real(ctx)
    monkeypatch.setitem(targets._REGISTRY, victim, dies_in_a_child)
    assert _built(tmp_path, "two", 2) == serial
    assert any(victim in part for part in forks)              # it was sent to a child, which died


def test_plan_places_each_target_once_and_keeps_groups_together():
    names = default_targets()
    for jobs in (1, 2, 3, 8):
        parts = plan(names, jobs)
        placed = [n for part in parts for n in part]
        assert sorted(placed) == sorted(names) and len(placed) == len(set(placed))
        assert len(parts) == min(jobs, len({g for g, _ in GROUPS if set(g) & set(names)}))
        for members, _ in GROUPS:
            homes = {i for i, part in enumerate(parts) for n in part if n in members}
            assert len(homes) <= 1, (members, parts)
    assert plan(names, 2) == plan(list(names), 2)
    assert plan(["sql", "custom"], 2) == [["sql"], ["custom"]] or plan(["sql", "custom"], 2) == [["custom"], ["sql"]]


def test_render_errors_surface_as_in_a_serial_build(tmp_path, forks):
    from generator.diagnostics import GenError
    with pytest.raises(GenError) as one:
        build([str(SPECS[0])], str(tmp_path / "x"), ["sql", "nonsense"], jobs=2)
    assert "CL001" in str(one.value.diagnostics[0].code)


def test_two_specs_load_on_two_cores_as_on_one(tmp_path, monkeypatch):
    """`gen diff`/`gen review` load the head in a forked child: the same projects as one by one,
    and a broken spec reports the same errors whichever process met them."""
    from generator.diagnostics import GenError
    from generator.migrate.project import load_project, load_projects
    monkeypatch.setenv("GEN_JOBS", "2")
    a, b = str(SPECS[1]), str(SPECS[0])
    pair = load_projects(a, b)
    assert pair == (load_project(a), load_project(b))
    broken = tmp_path / "broken.yaml"
    broken.write_text(SPECS[1].read_text().replace("entities:", "entities:\n  bad:\n    columns: {id: nosuchtype pk}", 1))
    for order in ((a, str(broken)), (str(broken), a)):
        with pytest.raises(GenError) as serial:
            load_project(str(broken))
        with pytest.raises(GenError) as forked:
            load_projects(*order)
        assert [str(d) for d in forked.value.diagnostics] == [str(d) for d in serial.value.diagnostics]


def test_children_are_stopped_and_reaped_when_this_process_fails(monkeypatch):
    """When this process's own part raises, the children are stopped and reaped (none left behind,
    not even as zombies: a long-running `--watch` would collect them), and the error is this part's."""
    import time

    from generator import forked
    pids = []
    real = forked._fork

    def recorded(work, part):
        child = real(work, part)
        pids.append(child.pid)
        return child
    monkeypatch.setattr(forked, "_fork", recorded)

    def work(part):
        if part == "here":
            raise ValueError("this part failed")
        time.sleep(60)
        return part
    started = time.monotonic()
    with pytest.raises(ValueError, match="this part failed"):
        forked.spread(work, ["here", "there", "elsewhere"])
    assert time.monotonic() - started < 30 and len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert forked.spread(lambda p: p * 2, [1, 2, 3]) == [2, 4, 6]
