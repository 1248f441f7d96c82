"""The security lints: every rule trips on its bad spec (tests/specs/lint/<rule>.yaml, which
states what it expects on its first lines: `# expect: CODE [line:col] [text]`) at the right
place, stays quiet on the fixed spec beside it (<rule>.fixed.yaml), reports the same on a live
database built from the bad spec; overrides need reasons; the CLI's exit codes and formats."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from generator.cli import main
from generator.db.apply import apply_statements
from generator.diagnostics import GenError
from generator.lint import all_rules, lint
from generator.lint.live import inspect_for_lint
from generator.lint.unicode import skeleton
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements
from generator.postgres.shim import SUPABASE_SHIM

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "tests" / "specs" / "lint"
BAD = sorted(p for p in LINT.glob("*.yaml") if not p.name.endswith(".fixed.yaml"))
EXPECT = re.compile(r"# expect: (RL\d{3})(?: (\d+):(\d+))?(?: (.*))?$")


def expectations(path: Path) -> list[tuple[str, int | None, int | None, str]]:
    out = []
    for line in path.read_text().splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        code, ln, col, text = m.groups()
        out.append((code, int(ln) if ln else None, int(col) if col else None, (text or "").strip()))
    assert out, f"{path} must start with '# expect: CODE [line:col] [text]'"
    return out


def test_every_rule_has_a_bad_and_a_fixed_spec():
    tripped = {code for p in BAD for code, *_ in expectations(p)}
    assert tripped == {r.code for r in all_rules()}
    for p in BAD:
        assert p.with_suffix(".fixed.yaml").exists(), f"{p.name} needs its fixed version"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_spec_trips_its_rule_at_the_right_place(path):
    diags = lint(load_schema(path))
    for code, line, col, text in expectations(path):
        hits = [d for d in diags if d.code == code and (not text or text in d.message)]
        hits = [d for d in hits if line is None or (d.loc.line, d.loc.col) == (line, col)]
        assert hits, f"expected {code} {line}:{col} {text!r}, got {[(d.code, str(d.loc), d.message) for d in diags]}"
        d = hits[0]
        assert d.loc.file.endswith(path.name) and d.hint and d.name
        assert d.severity == next(r.severity for r in all_rules() if r.code == code) or code == "RL008"
    expected = {c for c, *_ in expectations(path)}
    assert {d.code for d in diags} == expected, "a bad spec trips only the rule it is about"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_fixed_spec_is_clean(path):
    fixed = path.with_suffix(".fixed.yaml")
    assert lint(load_schema(fixed), suppressed=True) == []


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_live_database_built_from_a_bad_spec_reports_the_same(path, fresh_db, monkeypatch):
    monkeypatch.setenv("PGOPTIONS", "-c gen.citus=skip")     # a Citus spec (RL017) on plain PostgreSQL
    schema = load_schema(path)
    apply_statements(fresh_db, schema_statements(schema),
                     SUPABASE_SHIM if schema.settings.flavor == "supabase" else None)
    live = inspect_for_lint(fresh_db)
    assert live.settings.flavor == schema.settings.flavor, "flavor detected from the auth schema and roles"
    live_rules = {r.code for r in all_rules() if "database" in r.source}   # RL017: placements are the spec's
    declared = {(d.code, d.name) for d in lint(schema) if d.severity != "off" and d.code in live_rules}
    found = lint(live, source="database")
    assert all(d.loc is None and d.name for d in found), "live findings name the object, no file"
    assert declared <= {(d.code, d.name) for d in found}, [(d.code, d.name, d.message) for d in found]


def test_the_live_fixed_spec_is_clean_too(fresh_db):
    """The tenant example with its references, policies and guard: nothing on a live database."""
    schema = load_schema(LINT / "rl005_check_drops_scope.fixed.yaml")
    apply_statements(fresh_db, schema_statements(schema))
    assert lint(inspect_for_lint(fresh_db), source="database") == []


MACHINERY = """spec: 1
name: machinery
roles: {app: {}}
grants: {app: [select, insert, update, delete]}
tenancy: {root: tenant, column: tenant_id, setting: app.tenant_id}
auth:
  user_setting: app.user_id
  roles: [app]
  admin: {entity: users, user_column: id, where: "is_system_admin"}
entities:
  tenant:
    tenant: true
    columns: {id: uuid pk, name: text!}
    audit: true
  users:
    tenant: {required: false}
    columns: {id: uuid pk, email: text!, is_system_admin: boolean! = false}
  notes:
    tenant: true
    owner: user_id
    traits: [soft_delete, versioned]
    audit: true
    columns:
      id: uuid pk
      user_id: uuid! -> users restrict
      body: text!
    policies:
      - {preset: owner, for: [insert, update], restrictive: true}
  notes_seen:
    tenant: true
    columns: {id: uuid pk, note_id: uuid! -> notes restrict}
    policies:
      - {name: seen_by_writers, for: [select], using: "(SELECT public.writes_notes())"}
functions:
  writes_notes:
    returns: boolean
    language: sql
    volatility: stable
    security_definer: true
    search_path: "''"
    execute: [app]
    body: |
      SELECT EXISTS (SELECT 1 FROM public.notes n
                     WHERE n.user_id = NULLIF(current_setting('app.user_id', true), '')::uuid
                       AND n.deleted_at IS NULL)
"""


def test_gens_own_machinery_on_a_live_database_is_judged_as_in_the_spec(tmp_path, fresh_db):
    """The audit table (appended to by SECURITY DEFINER triggers, RLS not forced), the admin
    lookup table, the soft-delete trigger's columns (a helper reading `deleted_at IS NULL` is
    safe: only DELETE sets it) and gen's soft-delete policies: clean in the spec, clean when read
    back."""
    path = tmp_path / "machinery.yaml"
    path.write_text(MACHINERY)
    schema = load_schema(path)
    assert lint(schema) == []
    apply_statements(fresh_db, schema_statements(schema))
    found = lint(inspect_for_lint(fresh_db), source="database")
    assert found == [], [(d.code, d.name, d.message) for d in found]


# ---------------------------------------------------------------- overrides

def _spec(tmp_path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text("spec: 1\nname: t\n" + body)
    return path


TICKETS = """tenancy: {root: companies, column: company_id, setting: app.company_id}
entities:
  companies:
    tenant: true
    columns: {id: uuid pk}
  tickets:
    tenant: true
    rls: {force: false}
    columns: {id: uuid pk}
"""


def test_an_override_with_a_reason_suppresses_and_says_why(tmp_path):
    path = _spec(tmp_path, TICKETS + "    lint: {RL012: \"the nightly export connects as the owner\"}\n")
    schema = load_schema(path)
    assert lint(schema) == []
    (d,) = lint(schema, suppressed=True)
    assert (d.code, d.severity, d.hint) == ("RL012", "off", "suppressed: the nightly export connects as the owner")


def test_an_override_without_a_reason_is_refused(tmp_path):
    path = _spec(tmp_path, TICKETS + "    lint: {RL012: \"\"}\n")
    with pytest.raises(GenError) as info:
        load_schema(path)
    assert [d.code for d in info.value.diagnostics] == ["RS121"]


def test_an_override_may_change_the_severity_and_names_its_reason(tmp_path):
    path = _spec(tmp_path, TICKETS + "    lint: {RL012: {severity: warning, reason: \"read-only replica owner\"}}\n")
    (d,) = lint(load_schema(path))
    assert (d.code, d.severity) == ("RL012", "warning") and "read-only replica owner" in d.hint


def test_spec_wide_severity_then_object_override(tmp_path):
    body = "lint: {RL002: error}\nentities:\n  a: {rls: true, columns: {id: uuid pk}}\n" \
           "  b:\n    rls: true\n    lint: {RL002: {severity: warning, reason: \"filled by the owner only\"}}\n" \
           "    columns: {id: uuid pk}\n"
    got = {d.name: d.severity for d in lint(load_schema(_spec(tmp_path, body)))}
    assert got == {"a": "error", "b": "warning"}


def test_an_override_naming_an_unknown_code_is_a_warning(tmp_path):
    path = _spec(tmp_path, TICKETS + "    lint: {RL012: \"owner export\", RL912: \"typo\"}\n")
    (d,) = lint(load_schema(path))
    assert (d.code, d.severity, d.loc.line) == ("RL000", "warning", 12) and "RL912" in d.message


# ---------------------------------------------------------------- pieces

def test_skeletons_follow_uts39():
    assert skeleton("bıgınt") == skeleton("bigint")          # dotless i
    assert skeleton("аnon") == skeleton("anon")              # Cyrillic а
    assert skeleton("rnodern") == skeleton("modern")         # rn looks like m
    assert skeleton("user_id") != skeleton("userid")


def test_ascii_skeletons_are_the_datas():
    """The ASCII fast path (no NFD, no confusables table) gives what the data gives: its prototype
    table is the ASCII part of the one derived from confusables.json, and every printable ASCII
    name skeletonises as through the full path."""
    import string
    import unicodedata

    from generator.lint.unicode import ASCII_PROTOTYPES, _table, prototypes
    assert ASCII_PROTOTYPES == {c: p for c, p in prototypes().items() if c.isascii()}
    full = lambda t: unicodedata.normalize("NFD", unicodedata.normalize("NFD", t).translate(_table()))  # noqa: E731
    for text in [string.printable, "rnodern", "I1l|0O%", 'a"b`c', "tenant_id", "users_00001"]:
        assert skeleton(text) == full(text), text


def test_skeletons_of_many_names_at_once_are_each_ones():
    """The batch path (ASCII names joined and mapped in one pass, the 1:1 mappings apart from the
    wider ones) gives skeleton() of every name, with every ASCII prototype in play."""
    import random
    import string

    from generator.lint.unicode import ASCII_PROTOTYPES, skeletons
    rng = random.Random(17)
    alphabet = "".join(ASCII_PROTOTYPES) + "rnlO'_ab" + string.printable
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(3000)]
    texts += ["", "bıgınt", "аnon", "rnodern", "modern", "x\ny", "%m\"", "I1l|0O%"]
    assert skeletons(texts) == {t: skeleton.__wrapped__(t) for t in texts}
    full = str.maketrans(ASCII_PROTOTYPES)
    for t in texts:
        if t.isascii():
            mapped = t.translate(full)
            assert skeleton(t) == (mapped if mapped.isascii() else unicodedata.normalize("NFD", mapped)), t


def test_the_examples_have_no_lint_errors_today():
    """The committed examples must stay free of lint errors (warnings are the lead's to fix)."""
    for path in sorted((ROOT / "spec").glob("*.yaml")):
        errors = [d for d in lint(load_schema(path)) if d.severity == "error"]
        assert errors == [], (path.name, [(d.code, d.name) for d in errors])


# ---------------------------------------------------------------- CLI

def run_gen(*args):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True)


def test_validate_runs_the_lints_and_exits_1_on_an_error():
    bad = run_gen("validate", "tests/specs/lint/rl012_rls_not_forced.yaml")
    assert bad.returncode == 1
    assert "rl012_rls_not_forced.yaml:10:5: error RL012" in bad.stderr
    ok = run_gen("validate", "tests/specs/lint/rl012_rls_not_forced.fixed.yaml")
    assert ok.returncode == 0 and ": ok (" in ok.stdout
    gh = run_gen("validate", "--format", "github", "tests/specs/lint/rl012_rls_not_forced.yaml")
    assert "::error file=" in gh.stderr and "line=10,col=5,title=RL012::" in gh.stderr


def test_lint_strict_fails_on_warnings_and_json_lists_suppressed(tmp_path):
    warn = "tests/specs/lint/rl014_cross_tenant_reference.yaml"
    assert main(["lint", warn]) == 0
    assert main(["lint", "--strict", warn]) == 1
    path = _spec(tmp_path, TICKETS + "    lint: {RL012: \"the nightly export connects as the owner\"}\n")
    js = run_gen("lint", "--format", "json", str(path))
    assert js.returncode == 0
    (d,) = json.loads(js.stdout)
    assert d["severity"] == "off" and d["hint"] == "suppressed: the nightly export connects as the owner"


def test_lint_needs_specs_or_a_url_and_lists_its_rules(capsys):
    assert main(["lint"]) == 2
    assert main(["lint", "--rules", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in listed] == [r.code for r in all_rules()]


def test_lint_database_url_exit_codes(fresh_db, capsys):
    schema = load_schema(LINT / "rl012_rls_not_forced.yaml")
    apply_statements(fresh_db, schema_statements(schema))
    assert main(["lint", "--database-url", fresh_db, "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert "::error title=RL012::table tickets has row-level security enabled but not forced" in out
    [d] = lint(inspect_for_lint(fresh_db), source="database")
    assert d.hint.startswith("`ALTER TABLE tickets FORCE ROW LEVEL SECURITY`"), "a live database gets SQL, not spec keys"
    assert "rls: {force: false}" in lint(schema)[0].hint
    assert main(["lint", "--database-url", fresh_db.rsplit("/", 1)[0] + "/gen_no_such_db"]) == 3


# ---------------------------------------------------------------- docs

def test_docs_lints_md_is_rendered_from_the_rules():
    from generator.lint.docs import render
    assert (ROOT / "docs" / "lints.md").read_text() == render(), \
        "regenerate: python -m generator.lint.docs > docs/lints.md"
    for r in all_rules():
        doc = r.doc
        assert "**What it catches.**" in doc and "**Why.**" in doc, r.code
        assert doc.count("```") >= 4, f"{r.code}: a bad and a good example"
    for page in ("README.md", "docs/spec.md"):
        assert "lints.md" in (ROOT / page).read_text(), f"{page} links docs/lints.md"
