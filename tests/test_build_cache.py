"""The build cache is never wrong: after each scripted edit of a spec, a build through the cache
writes byte for byte what a build from scratch writes (also when the cache is deleted or
corrupted midway); `gen build` rewrites only the files that changed; `gen build --watch` builds
again when a spec file is saved."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cache import BuildCache
from generator.pipeline import build

TARGETS = None  # every default target; the output directory becomes exactly the files made

SPEC = """\
spec: 1
name: shop
naming: {table_prefix: shop_}
tenancy: {root: companies, column: company_id}
enums:
  status: [draft, active, archived]
traits:
  timestamps:
    columns:
      created_at: timestamptz! = now()
entities:
  companies:
    traits: [timestamps]
    columns:
      id: uuid pk
      name: text!
  products:
    tenant: true
    traits: [timestamps]
    columns:
      id: uuid pk
      title: text!
      status: status! = 'draft'
  orders:
    tenant: true
    traits: [timestamps]
    columns:
      id: uuid pk
      product_id: uuid! -> products cascade
      status: status! = 'draft'
    policies:
      - {name: read_active, for: select, to: [public], using: "status <> 'archived'"}
  notes:
    columns:
      id: uuid pk
      body: text
      status: status
"""

# Each edit is (old text, new text) applied to the current spec.
EDITS = [
    ("rename a table", ("  notes:\n", "  remarks:\n")),
    ("add a column", ("      title: text!\n", "      title: text!\n      price: numeric(10,2)! = 0\n")),
    ("change a policy", ("status <> 'archived'", "status = 'active'")),
    ("change an enum many tables use", ("[draft, active, archived]", "[draft, active, paused, archived]")),
    ("edit a trait", ("      created_at: timestamptz! = now()\n",
                      "      created_at: timestamptz! = now()\n      updated_at: timestamptz! = now()\n")),
    ("change the naming prefix", ("table_prefix: shop_", "table_prefix: store_")),
]


def tree(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()} \
        if d.is_dir() else {}


def _same_as_cold(spec: Path, tmp_path: Path, cache: BuildCache, tag: str) -> list:
    warm, cold = tmp_path / "warm", tmp_path / f"cold-{tag}"
    results = build([str(spec)], str(warm), TARGETS, cache=cache)
    build([str(spec)], str(cold), TARGETS)
    assert tree(warm) == tree(cold), tag
    return results


def test_cached_builds_match_cold_builds_through_edits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    cache = BuildCache(tmp_path / "cache")
    first = _same_as_cold(spec, tmp_path, cache, "first")
    assert "load" in first[0].timings, "a first build is made"
    again = _same_as_cold(spec, tmp_path, cache, "again")
    assert "load" not in again[0].timings and again[0].changed == [], "unchanged inputs: taken from the cache"
    for tag, (old, new) in EDITS:
        text = spec.read_text()
        assert old in text, tag
        spec.write_text(text.replace(old, new))
        r = _same_as_cold(spec, tmp_path, cache, tag)
        assert "load" in r[0].timings, f"{tag}: an edit is a miss"
        assert r[0].changed and len(r[0].changed) < len(r[0].files) + 2, tag
    # back to an earlier text: a hit, and the same files as a cold build
    spec.write_text(SPEC)
    r = _same_as_cold(spec, tmp_path, cache, "undo")
    assert "load" not in r[0].timings

    # the cache deleted midway: built again
    import shutil
    shutil.rmtree(tmp_path / "cache")
    r = _same_as_cold(spec, tmp_path, cache, "deleted")
    assert "load" in r[0].timings

    # a corrupted entry (a changed byte of a file, a cut-off file, a broken header): a miss, never a wrong file.
    # The records of output directories are set aside first, so that each build reads the entry.
    def entry() -> Path:
        shutil.rmtree(tmp_path / "cache" / "outputs", ignore_errors=True)
        (found,) = (tmp_path / "cache" / "builds").glob("*.pack")
        return found

    data = entry().read_bytes()
    at = data.index(b"CREATE TABLE")
    entry().write_bytes(data[:at] + b"create table" + data[at + 12:])
    r = _same_as_cold(spec, tmp_path, cache, "a changed byte")
    assert "load" in r[0].timings
    entry().write_bytes(entry().read_bytes()[:-100])
    r = _same_as_cold(spec, tmp_path, cache, "cut off")
    assert "load" in r[0].timings
    entry().write_bytes(b"{not json" + entry().read_bytes())
    r = _same_as_cold(spec, tmp_path, cache, "broken header")
    assert "load" in r[0].timings
    entry()
    r = _same_as_cold(spec, tmp_path, cache, "mended")
    assert "load" not in r[0].timings


def test_a_save_during_a_build_makes_no_wrong_entry(tmp_path, monkeypatch):
    """The entry is keyed by the bytes the build read, not by what is on disk when it is stored."""
    import generator.pipeline
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    saved = SPEC.replace("      body: text\n", "      body: text\n      pinned: boolean\n")
    real_render = generator.pipeline.render

    def render_while_saved(*args, **kwargs):   # the user saves (an edit, a new file) while gen renders
        spec.write_text(saved)
        return real_render(*args, **kwargs)

    cache = BuildCache(tmp_path / "cache")
    monkeypatch.setattr(generator.pipeline, "render", render_while_saved)
    build([str(spec)], str(tmp_path / "warm"), TARGETS, cache=cache)
    monkeypatch.setattr(generator.pipeline, "render", real_render)
    r = _same_as_cold(spec, tmp_path, cache, "after the save")
    assert "pinned" in r[0].files["schema.sql"]


def test_included_files_and_spec_directories_are_inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = BuildCache(tmp_path / "cache")
    head, _, rest = SPEC.partition("entities:\n")
    (tmp_path / "parts").mkdir()
    (tmp_path / "main.yaml").write_text(head + "include: [parts/*.yaml]\nentities:\n" + rest)
    (tmp_path / "parts" / "a.yaml").write_text("entities:\n  tags:\n    columns:\n      id: uuid pk\n")
    _same_as_cold(tmp_path / "main.yaml", tmp_path, cache, "include")
    (tmp_path / "parts" / "a.yaml").write_text("entities:\n  tags:\n    columns:\n      id: uuid pk\n      x: text\n")
    r = _same_as_cold(tmp_path / "main.yaml", tmp_path, cache, "included file edited")
    assert "load" in r[0].timings
    (tmp_path / "parts" / "b.yaml").write_text("entities:\n  labels:\n    columns:\n      id: uuid pk\n")
    r = _same_as_cold(tmp_path / "main.yaml", tmp_path, cache, "a new file the glob matches")
    assert "load" in r[0].timings and any("labels" in f for f in r[0].files)
    # a spec directory: a new file in it is a new input
    d = tmp_path / "dir"
    d.mkdir()
    (d / "a.yaml").write_text(SPEC)
    _same_as_cold(d, tmp_path, cache, "dir")
    (d / "b.yaml").write_text("entities:\n  labels:\n    columns:\n      id: uuid pk\n")
    r = _same_as_cold(d, tmp_path, cache, "dir grew")
    assert "load" in r[0].timings


def test_targets_templates_and_gens_own_code_are_inputs(tmp_path, monkeypatch):
    import generator.cache
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    cache = BuildCache(tmp_path / "cache")

    def once(tag, targets=None, templates=None):
        warm, cold = tmp_path / f"warm-{tag}", tmp_path / f"cold-{tag}"
        r = build([str(spec)], str(warm), targets, templates=templates, cache=cache)[0]
        build([str(spec)], str(cold), targets, templates=templates)
        assert tree(warm) == tree(cold), tag
        return r

    assert "load" in once("all").timings
    assert "load" not in once("all again").timings
    r = once("sql", ["sql"])
    assert "load" in r.timings and sorted(r.files) == ["schema.sql"], "other targets: another entry"
    # a template override: its files' contents are inputs
    over = tmp_path / "over" / "docs"
    over.mkdir(parents=True)
    (over / "readme.md.j2").write_text("# overridden {{ title }}\n")
    r = once("templates", templates=str(tmp_path / "over"))
    assert "load" in r.timings and r.files["docs/README.md"].startswith("# overridden shop")
    assert "load" not in once("templates again", templates=str(tmp_path / "over")).timings
    (over / "readme.md.j2").write_text("# changed {{ title }}\n")
    r = once("template edited", templates=str(tmp_path / "over"))
    assert "load" in r.timings and r.files["docs/README.md"].startswith("# changed shop")
    # gen itself changed (an edit of its code or templates, a new version or library): every entry is stale
    monkeypatch.setattr(generator.cache, "_code_stamp", "another gen")
    assert "load" in once("another gen").timings


def test_the_cache_keeps_the_most_recently_used_builds(tmp_path, monkeypatch):
    import generator.cache
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(generator.cache, "MAX_ENTRIES", 2)
    cache = BuildCache(tmp_path / "cache")
    spec = tmp_path / "shop.yaml"
    texts = [SPEC, SPEC.replace("body: text", "body: varchar"), SPEC.replace("body: text", "body: jsonb")]
    for text in texts:
        spec.write_text(text)
        build([str(spec)], "out", ["sql"], cache=cache)
        time.sleep(0.01)
    assert len(list((tmp_path / "cache" / "builds").glob("*.pack"))) == 2
    spec.write_text(texts[0])
    assert "load" in build([str(spec)], "out", ["sql"], cache=cache)[0].timings, "the oldest was pruned"
    spec.write_text(texts[2])
    assert "load" not in build([str(spec)], "out", ["sql"], cache=cache)[0].timings, "a recent one was kept"


def test_the_cache_finds_the_templates_the_renderer_uses():
    from generator.cache import _builtin_templates
    from generator.render import BUILTIN_TEMPLATES
    assert _builtin_templates() == Path(BUILTIN_TEMPLATES)


def test_gen_build_uses_the_cache_it_is_given(tmp_path):
    """End to end: GEN_CACHE_DIR names the cache, a second build of an unchanged spec is taken from
    it byte for byte, --no-cache and GEN_CACHE_DIR=off build from scratch and leave it alone."""
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    root = str(Path(__file__).resolve().parent.parent)

    def gen_build(out, *extra, cache="c"):
        env = dict(os.environ, GEN_CACHE_DIR=str(tmp_path / cache) if cache != "off" else "off", PYTHONPATH=root)
        done = subprocess.run([sys.executable, "-m", "generator", "build", "shop.yaml", "--out", out, "--format",
                               "json", *extra], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        import json
        return json.loads(done.stdout)[0]

    first = gen_build("oa")
    assert "load" in first["timings"] and len(list((tmp_path / "c" / "builds").glob("*.pack"))) == 1
    second = gen_build("ob")
    assert "load" not in second["timings"] and "cache" in second["timings"]
    assert tree(tmp_path / "ob") == tree(tmp_path / "oa") and second["files"] == first["files"]
    entries = sorted((tmp_path / "c").rglob("*"))
    assert "load" in gen_build("oc", "--no-cache")["timings"]
    assert "load" in gen_build("od", cache="off")["timings"]
    assert sorted((tmp_path / "c").rglob("*")) == entries and not (tmp_path / "off").exists()
    assert tree(tmp_path / "oc") == tree(tmp_path / "od") == tree(tmp_path / "oa")


def test_only_changed_files_are_rewritten(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    build([str(spec)], str(out), TARGETS)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    inodes = {p: p.stat().st_ino for p in stamps}
    time.sleep(0.05)
    spec.write_text(SPEC.replace("      body: text\n", "      body: text\n      pinned: boolean\n"))
    r = build([str(spec)], str(out), TARGETS)[0]
    touched = sorted(p.relative_to(out / "shop").as_posix() for p in stamps
                     if p.stat().st_mtime_ns != stamps[p] or p.stat().st_ino != inodes[p])
    assert touched == sorted(r.changed) and "schema.sql" in touched
    assert "docs/shop_companies.md" not in touched and len(touched) < len(stamps)


def test_watch_builds_again_on_save(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out" / "shop" / "schema.sql"
    env = dict(os.environ, GEN_CACHE_DIR="off", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", str(spec), "--out", str(tmp_path / "out"),
                             "--target", "sql", "--watch"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: out.is_file(), proc, "the first build")
        spec.write_text(SPEC.replace("      body: text\n", "      body: text\n      pinned: boolean\n"))
        _wait(lambda: "pinned boolean" in out.read_text(), proc, "a build after the save")
        spec.write_text(SPEC.replace("title: text!", "title: txet!"))      # a bad edit: reported, still watching
        _wait(lambda: proc.poll() is None and b"RS005" in _log(tmp_path, proc), proc, "the error", expect_log=True)
        spec.write_text(SPEC.replace("      body: text\n", "      body: text\n      archived: boolean\n"))
        _wait(lambda: "archived boolean" in out.read_text(), proc, "a build after the fix")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)   # a loaded machine: as long as each step may take
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0


_LOGS: dict = {}


def _log(tmp_path, proc) -> bytes:
    """What the watcher printed so far (read without blocking)."""
    import fcntl
    fd = proc.stdout.fileno()
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        chunk = os.read(fd, 1 << 16)
    except BlockingIOError:
        chunk = b""
    _LOGS[proc.pid] = _LOGS.get(proc.pid, b"") + chunk
    return _LOGS[proc.pid]


def _wait(ok, proc, what: str, timeout: float = 60.0, expect_log: bool = False) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the watcher exited ({proc.returncode}) before {what}")
        try:
            if ok():
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"no {what} within {timeout:.0f} s; the watcher printed: {_log(None, proc).decode(errors='replace')[-2000:]}")


def test_an_output_directory_as_the_cache_left_it_is_not_read_again(tmp_path, monkeypatch):
    """A hit whose output directory is exactly as the cache recorded it (names, sizes, times,
    inodes, each file older than the record by RACY_NS) reads neither the entry nor the files; any
    change to the directory, including one that keeps a file's size and puts its modification
    time back, goes the whole way and is repaired; --check always compares contents."""
    import generator.cache as gc_
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gc_, "RACY_NS", 0)            # no waiting for the file system's clock tick
    monkeypatch.setattr(gc_, "RACY_COARSE_NS", 0)
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    cache = BuildCache(tmp_path / "cache")
    out = tmp_path / "out"
    build([str(spec)], str(out), TARGETS, cache=cache)
    cold = tmp_path / "cold"
    build([str(spec)], str(cold), TARGETS)
    reads = []
    real_get = BuildCache.get
    monkeypatch.setattr(BuildCache, "get", lambda self, key: reads.append(key) or real_get(self, key))

    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert r.unchanged and r.changed == [] and reads == [], "the directory as recorded: no entry read"
    assert sorted(r.files) == sorted(tree(cold / "shop"))
    assert {k: r.files[k] for k in r.files} == {k: v.decode() for k, v in tree(cold / "shop").items()}
    assert len(reads) == 1, "contents are read from the entry only when asked for"

    # an edit that keeps the size and puts the modification time back: seen (ctime), repaired
    victim = out / "shop" / "schema.sql"
    st = victim.stat()
    victim.write_bytes(victim.read_bytes().replace(b"CREATE", b"CREATX", 1))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert not r.unchanged and r.changed == ["schema.sql"] and tree(out / "shop") == tree(cold / "shop")
    # a file added or removed: seen
    (out / "shop" / "stray.txt").write_text("x")
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert not r.unchanged and not (out / "shop" / "stray.txt").exists()
    (out / "shop" / "schema.sql").unlink()
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert not r.unchanged and tree(out / "shop") == tree(cold / "shop")

    # the entry deleted: the names and contents come from the directory the cache found intact
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    import shutil
    shutil.rmtree(tmp_path / "cache" / "builds")
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert r.unchanged and dict(r.files) == {k: v.decode() for k, v in tree(cold / "shop").items()}

    # --check never trusts the record: a hand edit with the times put back is reported stale
    st = victim.stat()
    victim.write_bytes(victim.read_bytes().replace(b"CREATE", b"CREATX", 1))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = build([str(spec)], str(out), TARGETS, check=True, cache=cache)[0]
    assert r.stale == ["schema.sql"]


def test_a_file_changed_within_the_racy_window_is_compared(tmp_path, monkeypatch):
    """Files as new as the record (within RACY_NS: a minute here, to stand for a clock tick) are
    compared by content by the next build, so an edit within the tick is never missed; a file
    system that keeps whole seconds gets RACY_COARSE_NS."""
    import generator.cache as gc_
    monkeypatch.setattr(gc_, "RACY_NS", 60_000_000_000)
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    cache = BuildCache(tmp_path / "cache")
    out = tmp_path / "out"
    build([str(spec)], str(out), TARGETS, cache=cache)
    r = build([str(spec)], str(out), TARGETS, cache=cache)[0]
    assert not r.unchanged and r.changed == []          # compared by content: the files are racy
    monkeypatch.setattr(gc_, "RACY_NS", 0)
    assert build([str(spec)], str(out), TARGETS, cache=cache)[0].unchanged
    for p in sorted(out.rglob("*")):                     # whole seconds: the coarse margin applies
        if p.is_file():
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns // 10**9 * 10**9))
    build([str(spec)], str(out), TARGETS, cache=cache)   # recorded again (the times changed)
    tree_ = gc_.tree_stat(out / "shop")
    if all(c % 10**9 == 0 for _, _, _, c, _ in tree_):   # only where ctimes are whole seconds too
        assert not build([str(spec)], str(out), TARGETS, cache=cache)[0].unchanged
