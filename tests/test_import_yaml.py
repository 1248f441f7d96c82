"""The import's YAML writer: the direct writer (importer.yamlout._direct) gives PyYAML's text byte
for byte, or declines; emit() always gives text that reads back as the document. And the import's
scratch clusters, copied from one initdb template."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.importer.yamlout import _direct, _dump, _Flow, _FlowList, _styled, emit

AWKWARD = ["", " ", "a ", " a", "yes", "no", "on", "off", "true", "False", "null", "~", "Null", "1", "1.5", "0x1f",
           "1e3", ".inf", "-", "- a", "-a", "? a", "?", ":", "a: b", "a:b", "a #b", "#a", "a#b", "[a]", "{a}", "a, b",
           "&a", "*a", "!a", "|", ">", "'", '"', "'a'", "@a", "`a", "%a", "2024-01-01", "12:30", "€ñ", "tab\there",
           "\x07bell", "\ufeffbom", "nbsp\xa0x", "x" * 200, "=", "= now()", "a\\b", "{}", "[]", ",", "a,", "<<"]
SCALARS = [*AWKWARD, 0, -1, 10 ** 20, 1.5, float("inf"), True, False, None]
KEYS = [k for k in AWKWARD if k and len(k) < 128]      # others are not simple keys: see the last test


def _document() -> dict:
    columns = {f"c{i}": v for i, v in enumerate(SCALARS)}
    return {
        "spec": 1, "name": "x", "database": {"version": 16},
        "entities": {
            "t": {"columns": columns, "unique": [["a", "b"], ["c"]], "checks": ["a >= 0", "b: c"],
                  "indexes": [{"columns": ["a"], "where": "a > 0"}, {"columns": [{"expr": "lower(b)"}]}],
                  "rls": {}, "grants": [], "nested": [[["deep", {"k": [1, {"z": None}]}]]]},
            **{k: {"description": k} for k in KEYS},
        },
        "keys": {k: [k, {k: k}, _Flow({k: _FlowList([k])})] for k in KEYS},
        "empty": {"a": {}, "b": [], "c": [{}], "d": [[]]},
    }


def test_direct_writer_matches_pyyaml_on_awkward_scalars_in_every_context():
    doc = _document()
    for styled in (_styled(doc), doc):
        text = _direct(styled)
        assert text is not None
        assert text == _dump(styled)
        assert yaml.safe_load(text) == doc


def test_direct_writer_matches_pyyaml_for_flow_and_block_nesting():
    doc = {"a": [_Flow({"x": 1, "y": _FlowList(["p", "q r"])}), {"b": [{"c": 1, "d": [2, 3]}], "e": _FlowList([])}],
           "f": [[1, [2, {"g": _Flow({})}]]], "h": _Flow({"i": {"j": ["k", {"l": "m"}]}})}
    assert _direct(doc) == _dump(doc)


def test_direct_writer_declines_what_it_does_not_write():
    assert _direct({"a": ["two\nlines"]}) is None        # a multi-line scalar PyYAML would quote over lines
    assert _direct({"x" * 200: 1}) is None                # a key too long to be a simple key
    assert _direct({"a": _Flow({"": 1})}) is None         # an empty key (PyYAML writes `? ''`)
    assert _direct({"a": {("t",): 1}}) is None            # a key PyYAML cannot write plainly
    assert _direct({"a": object()}) is None


def test_emit_reads_back_as_the_document_with_literal_blocks():
    doc = {"spec": 1, "functions": {"f": {"body": "BEGIN\n  RETURN 1;\nEND\n", "returns": "int"}},
           "views": {"v": {"sql": "SELECT 1\nFROM t", "comment": ["a\nb"]}}}
    text = emit(doc, ["header line", ""])
    assert text.startswith("# header line\n#\n#\n")
    assert yaml.safe_load(text) == doc
    assert "body: |2\n" in text



def test_in_memory_clusters_start_from_one_initdb_template_and_stay_apart():
    """The import's scratch clusters (in_memory) are copies of one initdb template: each works,
    what one holds the next does not, and the template is left as initdb made it."""
    from generator.db import server as srv
    from generator.db.connect import connect

    with srv.embedded_server(in_memory=True) as first, connect(first, autocommit=True) as conn:
        conn.execute("CREATE TABLE only_here (id int)")
        parent = Path(conn.info.host).parent
    templates = {t: t.stat().st_mtime_ns for t in parent.glob("genpg-template-*/PG_VERSION")}
    assert templates
    with srv.embedded_server(in_memory=True) as second, connect(second, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('only_here')").fetchone()[0] is None
        assert conn.execute("SHOW fsync").fetchone()[0] == "off"
    assert {t: t.stat().st_mtime_ns for t in templates} == templates


def test_a_throw_away_server_lives_in_memory_only_when_there_is_room_for_the_schema():
    """gen verify's and gen migrate verify's own servers ask tmpfs for room_for their spec (2 GiB
    and 1 MiB per table); where that much is not free they go to /tmp, on a disk."""
    import os

    from generator.db import server as srv
    if not srv.MEMORY_DIR.is_dir():
        pytest.skip("no /dev/shm here")
    st = os.statvfs(srv.MEMORY_DIR)
    free = st.f_bavail * st.f_frsize
    assert srv.room_for(0) == srv.MEMORY_MIN_FREE and srv.room_for(2000) == srv.MEMORY_MIN_FREE + 2000 * (1 << 20)
    assert srv._parent_dir(True, free + (1 << 30)) == "/tmp"
    assert srv._parent_dir(False, 0) == "/tmp"
    if free >= srv.room_for(10):
        assert srv._parent_dir(True, srv.room_for(10)) == str(srv.MEMORY_DIR)
