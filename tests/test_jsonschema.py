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
