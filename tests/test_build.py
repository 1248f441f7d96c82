"""gen build: deterministic, atomic, and --check for CI."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "spec").glob("*.yaml"))


def gen(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True)


def tree(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_build_is_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = gen("build", *map(str, SPECS), "--out", str(out), "--target", "sql,rls,seed,shim")
        assert r.returncode == 0, r.stderr
    assert tree(a) == tree(b)
    assert (a / "chatapp" / "schema.sql").read_text().count("CREATE TABLE") == 18
    assert (a / "ai_chat" / "supabase_shim.sql").exists() and not (a / "chatapp" / "supabase_shim.sql").exists()


def test_check_reports_stale_and_missing(tmp_path):
    out = tmp_path / "out"
    spec = str(ROOT / "spec" / "commerce.yaml")
    assert gen("build", spec, "--out", str(out), "--target", "sql").returncode == 0
    ok = gen("build", spec, "--out", str(out), "--target", "sql", "--check")
    assert ok.returncode == 0 and "up to date" in ok.stdout
    (out / "commerce" / "schema.sql").write_text("-- edited by hand\n")
    stale = gen("build", spec, "--out", str(out), "--target", "sql", "--check")
    assert stale.returncode == 1 and "schema.sql" in stale.stdout
    assert (out / "commerce" / "schema.sql").read_text() == "-- edited by hand\n", "--check writes nothing"
    missing = gen("build", spec, "--out", str(tmp_path / "nothing"), "--target", "sql", "--check")
    assert missing.returncode == 1


def test_failed_build_leaves_previous_artifacts_untouched(tmp_path):
    out = tmp_path / "out"
    spec = tmp_path / "s.yaml"
    spec.write_text("spec: 1\nname: s\nentities:\n  t:\n    columns: {id: uuid pk}\n")
    assert gen("build", str(spec), "--out", str(out), "--target", "sql").returncode == 0
    before = tree(out)
    spec.write_text("spec: 1\nname: s\nentities:\n  t:\n    columns: {id: uuid pk, x: nosuchtype}\n")
    r = gen("build", str(spec), "--out", str(out), "--target", "sql")
    assert r.returncode == 2 and "RS005" in r.stderr
    assert tree(out) == before
    assert [p.name for p in out.iterdir()] == ["s"], "no temporary directories left behind"


def test_write_tree_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    from generator import output

    target = tmp_path / "out" / "x"
    output.write_tree(target, {"a.sql": "one"})
    real_write = Path.write_bytes

    def failing(self, data):
        if self.name == "b.sql":
            raise OSError("disk full")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError):
        output.write_tree(target, {"a.sql": "two", "b.sql": "three"})
    monkeypatch.undo()
    assert tree(target) == {"a.sql": b"one"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["x"]


def test_unknown_target_is_bad_input(tmp_path):
    r = gen("build", str(SPECS[0]), "--out", str(tmp_path), "--target", "nosuch")
    assert r.returncode == 2 and "unknown target" in r.stderr


def test_json_output(tmp_path):
    r = gen("build", str(ROOT / "spec" / "chatapp.yaml"), "--out", str(tmp_path), "--target", "sql",
            "--format", "json")
    data = json.loads(r.stdout)
    assert data[0]["name"] == "chatapp" and data[0]["files"] == ["schema.sql"]
    assert {"load", "validate", "resolve", "write"} <= set(data[0]["timings"])
