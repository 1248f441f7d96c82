"""The lints' findings stay byte-identical through their speed-ups: every spec in spec/, every
test fixture spec and a generated benchmark spec with seeded defects give the findings recorded
in tests/specs/lint_recorded.json (`python tests/test_lint_same.py --record` rewrites it), and
gen's own scope predicates, read without the parser, get the parser's answers."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generator.diagnostics import GenError  # noqa: E402
from generator.lint import lint  # noqa: E402
from generator.pipeline import load_schema  # noqa: E402

RECORDED = ROOT / "tests" / "specs" / "lint_recorded.json"
SPECS = sorted([*ROOT.glob("spec/*.yaml"),
                *(p for p in (ROOT / "tests").rglob("*.yaml") if "node_modules" not in p.parts)])  # not npm's files
SEEDED = "seeded_bench.yaml"


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def seeded_spec(folder: Path) -> Path:
    """The 120-table benchmark spec with a defect for every rule a spec can trip, plus names and
    overrides that exercise the runner (hidden and look-alike characters, an unknown code)."""
    import generate
    data = yaml.safe_load(generate.to_yaml(generate.build_model(120)))
    ents, first = data["entities"], generate.table_name(1)
    data["enums"]["status_0000"]["values"].append("\ufeffpublished")
    data["enums"]["bıgınt"] = {"values": ["small", "large"]}
    data["roles"] = {"аpp_user": {}, "app_user": {}}
    data["lint"] = {"RL099": "off", "RL014": "error", "RL002": "off"}
    ents[first]["columns"].update({"item": {"type": "text"}, "itern": {"type": "text"}, "rоle": {"type": "text"},
                                   "role": {"type": "text"}})
    ents[first]["policies"] = [
        {"name": "anyone writes", "for": "insert", "check": "'t'::boolean", "to": ["app_user"]},
        {"name": "loose update", "for": "update", "using": "true", "check": "1 = 1"},
        {"name": "bidi", "for": "select", "using": "status::text <> '\u202e'"}]
    ents[first]["lint"] = {"RL012": "checked elsewhere", "RL0X1": "typo",
                           "RL004": {"severity": "warning", "reason": "seeded"}}
    ents["notes\u200b"] = {"columns": {"id": {"type": "uuid", "pk": True}, "owner_id": {"type": "uuid"},
                                      "secret": {"type": "text"}},
                           "rls": False, "grants": {"app_user": ["select", "insert", "truncate"]}}
    ents[first.replace("o", "о", 1)] = {"columns": {"id": {"type": "uuid", "pk": True}}}
    ents["banners"] = {"traits": ["soft_delete"], "columns": {
        "id": {"type": "uuid", "pk": True},
        "parent_id": {"type": "uuid", "ref": {"entity": generate.table_name(2), "on_delete": "cascade"}}},
        "policies": [{"name": "anyone", "for": "all", "using": "true", "check": "true", "public": True}]}
    ents[generate.table_name(5)]["columns"]["other_ref"] = {
        "type": "uuid", "ref": {"entity": generate.table_name(7), "on_delete": "cascade"}}
    data["functions"] = {"member_of": {
        "args": "org uuid", "returns": "boolean", "language": "sql", "volatility": "volatile",
        "security_definer": True, "body": f"SELECT EXISTS (SELECT 1 FROM public.{first} WHERE id = org)"}}
    data["views"] = {"open_rows": {"security_invoker": False,
                                   "query": f"SELECT id, name FROM {first} WHERE status = 'draft'"}}
    path = folder / SEEDED
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def findings(path: Path) -> list[dict] | str:
    """Every finding of every rule (suppressed ones too), or "bad" for a spec that does not load."""
    try:
        schema = load_schema(str(path))
    except GenError:
        return "bad"
    out = []
    for d in lint(schema, source="spec", suppressed=True):
        row = d.to_dict()
        row["file"] = Path(row["file"]).name if row["file"] else None
        out.append(row)
    return out


def current(tmp: Path) -> dict[str, object]:
    got = {_rel(p): findings(p) for p in SPECS}
    got[SEEDED] = findings(seeded_spec(tmp))
    return got


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def test_the_seeded_spec_trips_most_rules(tmp_path, recorded):
    codes = {d["code"] for d in findings(seeded_spec(tmp_path))}
    assert len(codes) >= 11, sorted(codes)
    assert recorded[SEEDED] == findings(seeded_spec(tmp_path))


@pytest.mark.parametrize("path", SPECS, ids=_rel)
def test_findings_are_as_recorded(path, recorded):
    assert _rel(path) in recorded, f"{_rel(path)}: new spec, record it (python tests/test_lint_same.py --record)"
    assert findings(path) == recorded[_rel(path)]


# ---------------------------------------------------------------- gen's scope predicate without the parser

SETTINGS = ("app.tenant_id", "app.user_id", "App.USER_x", "request.jwt.claim.sub", "x")
TYPES = ("uuid", "text", "bigint", "integer")


def _pin(column: str, setting: str = "app.tenant_id", type_name: str = "uuid") -> str:
    return f"{column} = (SELECT NULLIF(current_setting('{setting}', true), '')::{type_name})"


def _corpus() -> list[str]:
    import pglast.keywords as kw
    every = kw.RESERVED_KEYWORDS | kw.COL_NAME_KEYWORDS | kw.TYPE_FUNC_NAME_KEYWORDS | kw.UNRESERVED_KEYWORDS
    texts = [_pin(k) for k in sorted(every)]
    texts += [_pin(c, s, t) for c in ("tenant_id", "owner_id", "user_id", "_x9") for s in SETTINGS for t in TYPES]
    base = _pin("tenant_id")
    texts += [base + " AND true", base + " OR true", base.replace(" = ", "="), base.replace("SELECT", "select"),
              base.replace("::uuid", "::int"), base.replace("true", "TRUE"), "Tenant_id" + base[9:],
              '"tenant_id"' + base[9:], base.replace("(SELECT ", "(").replace("uuid)", "uuid"),
              base.replace("'app.tenant_id'", "'app.tenant''s'"), base + " ", " " + base, "true", "1 = 1", ""]
    return texts


def _known(tenant: str | None, owner: str | None) -> tuple:
    """LintContext.known for these principals, by the parser alone."""
    from generator.lint.predicates import _scalar, deparse, parse_expr
    out = {}
    for text, kind in ((tenant, "tenant"), (owner, "owner")):
        node = parse_expr(text)
        if node is not None:
            out[deparse(_scalar(node))] = kind
    return tuple(sorted(out.items()))


def test_gen_scope_predicates_read_without_the_parser_as_with_it():
    from generator.lint import predicates as p
    texts = _corpus()
    fast = sum(p.gen_pin(t) is not None for t in texts)
    assert fast >= 400 and p.gen_pin(texts[-1]) is None     # most take the fast path, not every one
    principals = [None, "auth.uid()"] + [_pin("c", s, t).partition("(SELECT ")[2][:-1] for s in SETTINGS for t in TYPES]
    for text in principals:
        if p.gen_principal(text) is not None:
            assert p.gen_principal(text) == p.deparse(p._scalar(p.parse_expr(text))), text
    tenant, owner, wide = principals[2], principals[2 + len(TYPES)], principals[-2]
    knowns = [_known(None, None), _known(tenant, None), _known(tenant, owner), _known(tenant, tenant),
              _known(wide, "auth.uid()"), _known(None, owner)]
    for text in texts:
        node = p.parse_expr(text)
        assert p.text_truth(text) == (None if node is None else p.truth(node)), text
        assert p.called(text) == p.parsed_called(text), text
        column = (p.gen_pin(text) or ("tenant_id",))[0]
        for admin in (frozenset(), frozenset({"is_admin", column})):
            assert p.text_admin_only(text, admin) == p.admin_only(node, admin), text
            for known in knowns:
                assert p.scope_terms(text, known) == p.parsed_scope_terms(text, known), (text, known)
                for col in (column, "other"):
                    assert p.text_pins(text, col, admin, known) == p.pins(node, col, admin, dict(known)), (text, col)


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        RECORDED.write_text(json.dumps(current(Path(tmp)), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                            encoding="utf-8")
    print(f"recorded {RECORDED}")
