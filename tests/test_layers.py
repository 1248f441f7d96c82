"""Holds the package to its layer order: a module may import only from lower layers or
from its own package; siblings on one layer do not import each other."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "generator"

# Top to bottom. A name is a subpackage or top-level module of `generator`.
LAYERS = [
    {"__main__"},
    {"launch"},
    {"cli"},
    {"pipeline"},
    {"review"},
    {"cache"},
    {"targets", "migrate", "verify", "importer", "lint"},
    {"postgres", "sample"},
    {"resolve", "diff", "db"},
    {"render"},
    {"model", "spec", "output", "render_jobs", "review_flags"},
    {"diagnostics", "forked", "resident", "__init__"},
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def unit_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_units(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names if node.module == "generator"]
        for n in names:
            parts = n.split(".")
            if parts[0] == "generator" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_every_unit_has_a_layer():
    units = {unit_of(p) for p in PKG.rglob("*.py")}
    missing = sorted(u for u in units if u not in LEVEL)
    assert not missing, f"add these to LAYERS: {missing}"


def test_imports_go_down_only():
    problems = []
    for path in sorted(PKG.rglob("*.py")):
        me = unit_of(path)
        for other in imported_units(path):
            if other == me or other == "__version__":
                continue
            if other not in LEVEL:
                continue
            if LEVEL[other] <= LEVEL[me]:
                problems.append(f"{path.relative_to(PKG)} imports generator.{other}")
    assert not problems, "\n".join(problems)
