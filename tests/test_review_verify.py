"""`gen review --verify` on a real PostgreSQL: the access matrix computed from the model is what
the database does. Every cell of three examples (reviewed from an empty spec, so every cell is
new) is proven by acting as the class on a fixture row; a widened cell is proven; and a cell
whose expectation is wrong comes out disproven (so the proof can fail)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from generator.pipeline import load_schema
from generator.review import markdown, review
from generator.review.access import DENIED, Cell
from generator.review.access_diff import AccessDiff
from generator.review.prove import prove

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("review") / "empty.yaml"
    path.write_text("spec: 1\nname: empty\nentities: {}\n")
    return str(path)


@pytest.mark.parametrize("example", ["chatapp", "ai_chat", "conversational_commerce"])
def test_every_cell_of_an_example_is_what_the_database_does(pg_url, empty, example):
    r = review(empty, str(SPEC / f"{example}.yaml"), verify_url=pg_url, verify=True)
    disproven = [(c.object, c.principal, c.command, c.after.text, c.proof) for c in r.access.changes
                 if c.proof.startswith("disproven")]
    assert not disproven, disproven
    clients = [c for c in r.access.changes if c.kind == "table" and c.principal != "service role"
               and c.after.level != "conditional"]   # a condition other than public_read's is not probed
    unproven = [(c.object, c.principal, c.command, c.proof) for c in clients if c.proof != "proven"]
    assert not unproven, unproven[:5]
    assert len(clients) > 100
    assert r.verified.startswith(f"{len(clients) + _public_read(r)} proven, 0 disproven")


def _public_read(r) -> int:
    """Conditional cells proven on public_read fixture rows (the matching row shows, the other not)."""
    return sum(1 for c in r.access.changes if c.after.level == "conditional" and c.proof == "proven")


def test_a_widened_cross_tenant_cell_is_proven(pg_url, tmp_path):
    text = (SPEC / "chatapp.yaml").read_text().replace(
        "      created_by: uuid -> users set null\n\n  agent_packages:",
        "      created_by: uuid -> users set null\n    policies:\n      - tenant_isolation\n"
        "      - {name: agents_read_all, for: select, using: \"true\"}\n\n  agent_packages:", 1)
    head = tmp_path / "chatapp.yaml"
    head.write_text(text)
    r = review(str(SPEC / "chatapp.yaml"), str(head), verify_url=pg_url, verify=True)
    cross = next(c for c in r.access.changes if c.cross_tenant)
    assert (cross.object, cross.command, cross.proof) == ("chatapp_agents", "SELECT", "proven")
    assert "(proven)" in markdown.render(r).split("| objects")[0]


def test_a_wrong_expectation_is_disproven(pg_url, empty):
    """Flip what the matrix says for two cells: the database contradicts both."""
    r = review(empty, str(SPEC / "chatapp.yaml"))
    same = next(c for c in r.access.changes if (c.object, c.principal, c.command) ==
                ("chatapp_agents", "same tenant", "SELECT"))
    other = next(c for c in r.access.changes if (c.object, c.principal, c.command) ==
                 ("chatapp_agents", "other tenant", "DELETE"))
    wrong = AccessDiff([replace(same, after=Cell(DENIED, "denied")), replace(other, after=Cell("allowed", "allowed"))],
                       [], [])
    got, summary = prove(load_schema(SPEC / "chatapp.yaml"), wrong, pg_url, lambda _m: None)
    assert got[("chatapp_agents", "same tenant", "SELECT")].startswith("disproven (reached the row")
    assert got[("chatapp_agents", "other tenant", "DELETE")].startswith("disproven (did not reach the row")
    assert summary.startswith("0 proven, 2 disproven")
