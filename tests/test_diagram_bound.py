"""The docs README's Mermaid diagram is not rendered when its least possible length is over
Mermaid's limit: the bound must stay below the rendered length, and the README the same."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from generator.pipeline import load_schema
from generator.targets.docs import MERMAID_MAX_TEXT, _fitting, least_mermaid_length
from generator.targets.erd_mermaid import render_mermaid

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "spec").glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob("*.yaml"))


def _bench(n: int, tmp: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp / f"n{n}.yaml"
    path.write_text(generate.to_yaml(generate.build_model(n, variant=True)))
    return path


def _schemas(tmp: Path):
    for path in SPECS:
        try:
            yield path.name, load_schema(path, {})
        except Exception:   # specs of the error tests do not load
            continue
    yield "bench300", load_schema(_bench(300, tmp), {})


def test_bound_is_below_the_rendered_length(tmp_path):
    seen = 0
    for name, schema in _schemas(tmp_path):
        tables = list(schema.tables)
        if not tables:
            continue
        every_key = frozenset(t.key for t in tables)
        half = frozenset(t.key for t in tables[::2])
        for keys_only in (frozenset(), half, every_key):
            least = least_mermaid_length(tables, keys_only)
            assert least <= len(render_mermaid(schema, tables, None, keys_only)), (name, len(keys_only))
        seen += 1
    assert seen >= 5


@pytest.mark.parametrize("n", [300, 1000])
def test_readme_diagram_as_when_both_are_rendered(tmp_path, n):
    """A schema too large for a full diagram: the answer is the one rendering both would give."""
    schema = load_schema(_bench(n, tmp_path), {})
    tables = list(schema.tables)
    full = render_mermaid(schema, tables, None, frozenset())
    assert len(full) > MERMAID_MAX_TEXT and least_mermaid_length(tables, frozenset()) > MERMAID_MAX_TEXT
    keys = render_mermaid(schema, tables, None, frozenset(t.key for t in tables))
    expected = keys if len(keys) <= MERMAID_MAX_TEXT else None
    assert _fitting(schema, tables, None, frozenset()) == expected
