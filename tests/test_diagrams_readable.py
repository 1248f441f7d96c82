"""ER diagrams a person can read at page width: every grouped example above 12 tables gets one
drawing per group and an overview; each is rendered to PNG by Graphviz and must be at most
1600 px wide at 96 dpi, so on a 1000 px wide page its 11 pt labels stay at 9 px or more (the whole
18-table drawing is not: that is why the group drawings exist). Every table is drawn in full in
exactly one group drawing, and the generated docs front page links every drawing."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from generator.pipeline import load_schema, render

ROOT = Path(__file__).resolve().parent.parent
GROUPED = sorted(p.stem for p in (ROOT / "spec").glob("*.yaml")                 # grouped examples above 12 tables
                 if len(load_schema(p).tables) > 12 and any(t.meta.group for t in load_schema(p).tables))
PAGE_WIDTH_PX = 1600
DOT_TIMEOUT = 300   # only stops a hung dot


def png_size(dot_text: str, tmp_path: Path, name: str) -> tuple[int, int]:
    if not shutil.which("dot"):
        pytest.fail("Graphviz `dot` is needed (setup.sh installs graphviz)", pytrace=False)
    path = tmp_path / f"{name}.png"
    subprocess.run(["dot", "-Tpng", "-o", str(path)], input=dot_text.encode(), check=True, timeout=DOT_TIMEOUT)
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("name", GROUPED)
def test_group_drawings_and_the_overview_read_at_page_width(name, tmp_path):
    assert len(GROUPED) >= 3
    schema = load_schema(ROOT / "spec" / f"{name}.yaml")
    assert len(schema.tables) > 12
    files, _ = render(schema, ["erd", "docs"])
    drawings = sorted(p for p in files if p.startswith("erd/") and p.endswith(".dot"))
    groups = {t.meta.group for t in schema.tables}
    assert len(drawings) == len(groups) + 1 and "erd/overview.dot" in drawings
    for rel in drawings:
        width, _ = png_size(files[rel], tmp_path, rel.replace("/", "_"))
        assert width <= PAGE_WIDTH_PX, f"{rel} is {width} px wide"
    # each table in full (all its columns) in exactly one group drawing
    for t in schema.tables:
        full = [rel for rel in drawings if rel != "erd/overview.dot"
                and all(f'>{c.name}</TD>' in files[rel] for c in t.columns)
                and re.search(rf'<B>{re.escape(t.name)}</B></TD>', files[rel])]
        assert len(full) == 1, (t.name, full)
    # the docs front page links every drawing, and the drawings exist
    readme = files["docs/README.md"]
    for rel in drawings:
        svg = rel.replace(".dot", ".svg")
        assert f"](../{svg})" in readme and svg in files


def test_the_whole_drawing_of_18_tables_does_not_and_the_check_can_fail(tmp_path):
    files, _ = render(load_schema(ROOT / "spec" / "chatapp.yaml"), ["erd"])
    width, _ = png_size(files["erd.dot"], tmp_path, "whole")
    assert width > PAGE_WIDTH_PX


def test_committed_drawings_are_the_chosen_layout():
    """The committed SVG of each group is the narrower of its two layouts (LR, TB)."""
    for name in GROUPED:
        for svg in (ROOT / "out" / name / "erd").glob("*.svg"):
            dot = svg.with_suffix(".dot").read_text()
            assert re.search(r"rankdir=(LR|TB)", dot)
            width = float(re.search(r'<svg width="([0-9.]+)pt"', svg.read_text()).group(1))
            assert width * 96 / 72 <= PAGE_WIDTH_PX + 1, (svg, width)
