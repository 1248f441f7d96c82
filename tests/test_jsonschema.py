"""The published JSON Schema: current, accepts every example spec, rejects a wrong one."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from generator.cli.cmd_schema import json_schema_text

ROOT = Path(__file__).resolve().parent.parent


def _yaml_as_editor_sees_it(path: Path):
    # editors read YAML 1.2-ish: numbers and booleans typed; the schema must accept that too
    return yaml.safe_load(path.read_text())


def test_committed_schema_is_current():
    assert (ROOT / "spec" / "gen.schema.json").read_text() == json_schema_text()


def test_schema_accepts_every_example_and_rejects_a_wrong_one():
    schema = json.loads(json_schema_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((ROOT / "spec").glob("*.yaml")):
        errors = list(validator.iter_errors(_yaml_as_editor_sees_it(path)))
        assert not errors, (path, [e.message for e in errors[:3]])
        assert path.read_text().startswith("# yaml-language-server: $schema=./gen.schema.json")
    wrong = {"spec": 1, "name": "x", "entities": {"t": {"colums": {}}}}
    assert list(validator.iter_errors(wrong))


# -- the compact column pattern ------------------------------------------------------------------

import glob as _glob  # noqa: E402
import re as _re  # noqa: E402

import pytest  # noqa: E402

from generator.resolve.compact_pattern import compact_column_pattern  # noqa: E402


def _compact_strings(data) -> set[str]:
    out = set()
    if isinstance(data, dict):
        for section in ("entities", "traits"):
            entities = data.get(section)
            for entity in (entities.values() if isinstance(entities, dict) else []):
                if isinstance(entity, dict) and isinstance(entity.get("columns"), dict):
                    out |= {v for v in entity["columns"].values() if isinstance(v, str)}
    return out


def written_compact_columns() -> set[str]:
    """Every compact column string in the example specs, the test specs that are not meant to be
    wrong, tests/migrate and the YAML blocks of the docs."""
    found = set()
    files = sorted(_glob.glob(str(ROOT / "spec" / "*.yaml")) + _glob.glob(str(ROOT / "tests" / "specs" / "verify" / "*.yaml"))
                   + _glob.glob(str(ROOT / "tests" / "migrate" / "*.yaml")))
    for f in files:
        found |= _compact_strings(yaml.safe_load(Path(f).read_text()))
    for doc in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        for block in _re.findall(r"```yaml\n(.*?)```", doc.read_text(), _re.S):
            try:
                found |= _compact_strings(yaml.safe_load(block))
            except yaml.YAMLError:
                continue   # a fragment (e.g. one entity), not a whole spec
    return found


PATTERN = _re.compile(compact_column_pattern())


def test_the_pattern_accepts_every_compact_column_written_in_the_repository():
    written = written_compact_columns()
    assert len(written) > 80
    refused = sorted(s for s in written if not PATTERN.search(s))
    assert refused == []


@pytest.mark.parametrize("text", [
    "texxt!", "uuid pk uniq", "strin!", "text! uniq", "uuid! ->", "uuid -> users cascde", "text!!",
    "timestamptzz! = now()", "jsnb", "integer pk pk-", "uuid -> ", "text = ", "vector(1536 )x", "boolen! = false",
])
def test_the_pattern_flags_what_gen_refuses(text):
    from generator.resolve.columns import ColumnSyntaxError, parse_compact, parse_type
    assert not PATTERN.search(text)
    try:        # gen refuses it too (no enum is declared here)
        parse_type(parse_compact(text)["type"], {})
        raise AssertionError(f"gen accepts {text!r}")
    except ColumnSyntaxError:
        pass


@pytest.mark.parametrize("text", [
    "uuid pk", "text! unique", "uuid! -> companies cascade", "uuid -> auth.users(id) set null", "numeric(10, 2)! = 0",
    "timestamptz! = now()", "text[] = '{}'", "user_role! = 'member'", "status", "vector(1536)", "bigserial pk",
    "uuid! index -> knowledge_sources cascade unique", "TEXT!", "jsonb! = '{\"a\": 1}'::jsonb", "citext unique",
])
def test_the_pattern_accepts_what_gen_reads(text):
    assert PATTERN.search(text)


def test_an_editor_flags_a_typo_in_a_spec():
    schema = json.loads(json_schema_text())
    validator = jsonschema.Draft202012Validator(schema)
    spec = {"spec": 1, "name": "x", "entities": {"t": {"columns": {"id": "uuid pk", "name": "texxt!"}}}}
    errors = list(validator.iter_errors(spec))
    assert errors and any("texxt!" in str(e.instance) or "texxt!" in e.message for e in errors)
    spec["entities"]["t"]["columns"]["name"] = "text!"
    assert not list(validator.iter_errors(spec))
