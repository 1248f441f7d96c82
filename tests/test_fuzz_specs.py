"""Diagnostics never crash: a few hundred seeded random mutations of the example specs (text edits
that break the YAML, and data edits that break the shape or the meaning) each end as exit 0 (or 1:
valid, with lint errors), or exit 2 with every diagnostic of the bad input located (file:line:col), never an internal
error (exit 4) or a traceback; a mutant that validates must also render every text target. Deterministic: the seed
is fixed, so a failure names a case that reproduces."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from generator.pipeline import load_schema, render
from generator.targets import default_target_names

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "spec").glob("*.yaml")) + sorted((ROOT / "tests" / "specs" / "verify").glob("*.yaml"))
SEED = 20261207
CASES_PER_SOURCE = 36          # x 10 sources = 360 mutants
TEXT_TARGETS = [t for t in default_target_names() if t != "erd"]   # erd runs Graphviz: slow, not spec logic
JUNK = [None, "", 0, -1, 10**30, 1.5, True, "x" * 300, [], {}, ["a", "b"], {"k": "v"}, "texxt!", "uuid pk uniq",
        "-> nowhere", "= ", "ownr", "select", "uuid! -> ", "a.b.c", "'; drop table x; --", "\u00e9\u0000", "[[", "{"]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _parent(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


def mutate_data(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    paths = [p for p in _paths(data) if p]
    for _ in range(rng.choice((1, 1, 2, 3))):
        path = rng.choice(paths)
        try:
            parent, key = _parent(data, path), path[-1]
            kind = rng.randrange(6)
            if kind == 0:                                    # a value of another kind
                parent[key] = copy.deepcopy(rng.choice(JUNK))
            elif kind == 1 and isinstance(parent, dict):     # a key dropped
                del parent[key]
            elif kind == 2 and isinstance(parent, dict):     # a key misspelt
                parent[str(key)[:-1] + rng.choice("xz_") if str(key) else "x"] = parent.pop(key)
            elif kind == 3 and isinstance(parent, list):     # an item duplicated
                parent.append(copy.deepcopy(parent[key]))
            elif kind == 4 and isinstance(parent[key], str):   # a string edited
                text = parent[key]
                at = rng.randrange(len(text) + 1)
                parent[key] = text[:at] + rng.choice(["!", " ", "->", "(", "'", "pk", "[]", "= "]) + text[at:]
            else:                                            # a value copied from elsewhere
                parent[key] = copy.deepcopy(_parent(data, (other := rng.choice(paths)))[other[-1]])
        except (KeyError, IndexError, TypeError):
            continue
        paths = [p for p in _paths(data) if p] or [("spec",)]
    return data


def mutate_text(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(6)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == 2:
        lines[i] = " " * rng.choice((1, 3, 5)) + lines[i]
    elif kind == 3:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice([":", "-", "{", "[", "'", '"', "&a", "*a", "!!python/object", "\t", "#"]) \
            + lines[i][at:]
    elif kind == 4:
        return "\n".join(lines[:i])
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def mutants():
    rng = random.Random(SEED)
    for source in SOURCES:
        text = source.read_text()
        data = yaml.safe_load(text)
        for n in range(CASES_PER_SOURCE):
            if n % 3 == 0:
                yield f"{source.stem}-{n}-text", mutate_text(text, rng)
            else:
                yield f"{source.stem}-{n}-data", yaml.safe_dump(mutate_data(data, rng), sort_keys=False,
                                                                 allow_unicode=True)


MUTANTS = list(mutants())


def test_the_mutants_are_many_and_mostly_invalid(tmp_path, capsys):
    assert len(MUTANTS) >= 300 and len({text for _, text in MUTANTS}) > 0.9 * len(MUTANTS)


def test_no_mutant_crashes(tmp_path, capsys):
    outcomes, problems = {0: 0, 1: 0, 2: 0}, []
    for name, text in MUTANTS:
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        code = main(["validate", str(path), "--format", "json"])
        out, err = capsys.readouterr()
        if code == 2:
            diags = json.loads(out)
            unlocated = [d for d in diags if not (d["file"] and d["line"] and d["col"])]
            if not diags or unlocated:
                problems.append(f"{name}: diagnostics without a location: {unlocated or 'none at all'}")
        elif code in (0, 1):                  # 1: a valid spec with lint errors
            try:
                render(load_schema(path), TEXT_TARGETS)
            except Exception as exc:   # noqa: BLE001 - exactly what this test hunts
                problems.append(f"{name}: validates but rendering raised {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{name}: exit {code}: {err.strip()[:300]}")
        outcomes[code] = outcomes.get(code, 0) + 1
        path.unlink()
    assert problems == [], "\n".join(problems[:20]) + f"\n({len(problems)} of {len(MUTANTS)})"
    assert outcomes[2] > len(MUTANTS) / 2 and outcomes[0] + outcomes[1] > 0, outcomes   # they bite, not always


@pytest.mark.parametrize("name", [n for n, _ in MUTANTS[:3]])
def test_a_case_reproduces_by_name(name):
    assert dict(MUTANTS)[name] == dict(mutants())[name]
