"""Every class of spec error, from bad spec files that state what they expect on line 1:
`# expect: CODE [line:col] [text in the message or hint]`."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.diagnostics import GenError
from generator.pipeline import load_schema

BAD = sorted((Path(__file__).parent / "specs" / "bad").glob("*.yaml"))
ROOT = Path(__file__).resolve().parent.parent


def expectation(path: Path):
    m = re.match(r"# expect: (\w+)(?: (\d+):(\d*))?(?: (.*))?$", path.read_text().splitlines()[0])
    assert m, f"{path} must start with '# expect: CODE line:col text'"
    code, line, col, text = m.groups()
    return code, int(line) if line else None, int(col) if col else None, (text or "").strip()


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_spec_reports_code_and_position(path):
    code, line, col, text = expectation(path)
    with pytest.raises(GenError) as info:
        load_schema(path)
    diags = info.value.diagnostics
    hit = [d for d in diags if d.code == code]
    assert hit, f"expected {code}, got {[(d.code, d.message) for d in diags]}"
    d = hit[0]
    assert d.loc is not None and d.loc.file.endswith(path.name)
    if line is not None:
        assert d.loc.line == line, (d.loc, d.message)
    if col is not None:
        assert d.loc.col == col, (d.loc, d.message)
    if text:
        assert text in d.message + " " + d.hint
    assert d.hint, "every error says what to do"


def test_all_errors_are_collected_at_once(tmp_path):
    spec = tmp_path / "many.yaml"
    spec.write_text("""spec: 1
name: many
entities:
  users:
    traits: [nope]
    columns:
      id: uuid pk
      name: strin
      org_id: uuid -> orgs
    checks: ["1; select 1"]
""")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["RS002", "RS005", "RS020", "RS051"]
    lines = [d.loc.line for d in info.value.diagnostics]
    assert lines == sorted(lines), "diagnostics are sorted by position"


def run_gen(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True)


def test_validate_exit_codes_and_formats(tmp_path):
    ok = run_gen("validate", "spec/chatapp.yaml")
    assert ok.returncode == 0, ok.stderr
    assert "18 tables" in ok.stdout
    bad = run_gen("validate", str(BAD[0]))
    assert bad.returncode == 2
    assert re.search(r"\.yaml:\d+:\d+: error [A-Z]{2}\d{3}", bad.stderr)
    assert "hint:" in bad.stderr
    js = run_gen("validate", "--format", "json", "tests/specs/bad/unknown_type.yaml")
    assert js.returncode == 2
    data = json.loads(js.stdout)
    assert data[0]["code"] == "RS005" and data[0]["line"] == 7 and data[0]["col"] == 13
    assert set(data[0]) >= {"code", "name", "message", "file", "line", "col", "hint"}
    gh = run_gen("validate", "--format", "github", "tests/specs/bad/unknown_type.yaml")
    assert gh.stderr.startswith("::error file=tests/specs/bad/unknown_type.yaml,line=7,col=13,title=RS005::")


def test_bad_spec_writes_nothing(tmp_path):
    out = tmp_path / "out"
    r = run_gen("build", "tests/specs/bad/injection_in_check.yaml", "--out", str(out))
    assert r.returncode == 2
    assert not out.exists()


def test_shape_errors_do_not_hide_semantic_errors(tmp_path):
    spec = tmp_path / "sem.yaml"
    spec.write_text("""spec: 1
name: sem
tenancy: {root: companies, column: company_id, oops: 1}
entities:
  companies:
    tenant: true
    columns: {id: uuid pk}
  users:
    colums: {id: uuid pk}
  notes:
    columns:
      id: uuid pk
      user_id: uuid -> userz
      body: txt
    checks: [nope > 0]
  posts:
    columns:
      id: uuid pk
      author_id: uuid -> users
""")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    got = [(d.code, d.loc.line) for d in info.value.diagnostics]
    # two shape errors and three semantic ones; nothing that only follows from the broken
    # pieces (posts -> users, where users was left out; tenant: true without the tenancy block)
    assert got == [("SP001", 3), ("SP001", 9), ("RS051", 13), ("RS005", 14), ("RS062", 15)]


@pytest.mark.parametrize("default,code", [("draft", "RS008"), ("'nope'", "RS009"), ("hello world", "RS020")])
def test_defaults_postgres_would_reject_are_caught(tmp_path, default, code):
    spec = tmp_path / "d.yaml"
    spec.write_text(f"spec: 1\nname: d\nenums: {{st: [draft, live]}}\nentities:\n  t:\n"
                    f"    columns:\n      id: uuid pk\n      s: st! = {default}\n")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    assert [d.code for d in info.value.diagnostics] == [code]


def test_names_with_control_characters_are_refused(tmp_path):
    spec = tmp_path / "nl.yaml"
    spec.write_text('spec: 1\nname: nl\nentities:\n  "evil\\nCREATE TABLE pwned (x int);\\n":\n'
                    '    columns: {id: uuid pk}\n')
    with pytest.raises(GenError) as info:
        load_schema(spec)
    assert "RS012" in {d.code for d in info.value.diagnostics}


def test_extension_types_need_their_extension(tmp_path):
    spec = tmp_path / "v.yaml"
    spec.write_text("spec: 1\nname: v\nentities:\n  t:\n    columns: {id: uuid pk, e: vector(3)}\n")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    assert [(d.code, d.hint) for d in info.value.diagnostics] == [("RS013", "add it: `extensions: [vector]`")]


def test_seed_enum_values_and_unknown_columns_in_expressions(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("""spec: 1
name: s
enums: {st: [draft, live]}
entities:
  t:
    columns:
      id: uuid pk
      s: st
      c: text
      g: {type: integer, generated: "missing_col + 1"}
    indexes:
      - {columns: [c], where: "ghost IS NULL"}
seed:
  t:
    - {id: 00000000-0000-4000-8000-000000000001, s: bogus}
""")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    assert [d.code for d in info.value.diagnostics] == ["RS062", "RS062", "RS073"]
    assert "'bogus' is not a value of enum st" in info.value.diagnostics[2].message


@pytest.mark.parametrize("columns,where,line_col", [
    ("{id: uuid pk, price: {type: numeric(14,2), nullable: false}}", "type", (5, 53)),
    ("{id: uuid pk, price: numeric(14, 2)}", "price", (5, 47)),
])
def test_a_comma_that_splits_a_type_in_a_flow_mapping_is_named(tmp_path, columns, where, line_col):
    """`{type: numeric(14,2)}` reads as `type: numeric(14` plus a key `2)`: one error at that key
    saying so, and the quoted form as the fix (not 'unknown key' and 'not a mapping')."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"spec: 1\nname: t\nentities:\n  items:\n    columns: {columns}\n")
    with pytest.raises(GenError) as info:
        load_schema(spec)
    [d] = info.value.diagnostics
    assert (d.code, d.loc.line, d.loc.col) == ("SP001", *line_col)
    assert f"the comma of `numeric(14,2)` ends the value of '{where}'" in d.message
    assert f'`{where}: "numeric(14,2)"`' in d.hint
    spec.write_text(spec.read_text().replace("numeric(14,2)", '"numeric(14,2)"').replace("numeric(14, 2)", '"numeric(14, 2)"'))
    load_schema(spec)
