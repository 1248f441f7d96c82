"""docs/spec.md documents every key of the spec language: each property name in the published
JSON Schema appears as a YAML key (`key:`) or in code (`key`) in the reference."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def schema_keys(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            out.add(key)
            schema_keys(sub, out)
        for key, sub in node.items():
            if key != "properties":
                schema_keys(sub, out)
    elif isinstance(node, list):
        for sub in node:
            schema_keys(sub, out)
    return out


def test_every_key_of_the_json_schema_is_in_the_spec_reference():
    keys = schema_keys(json.loads((ROOT / "spec" / "gen.schema.json").read_text()), set())
    doc = (ROOT / "docs" / "spec.md").read_text()
    assert len(keys) > 100
    missing = [k for k in sorted(keys)
               if not re.search(r"(^|[\s{,\[])" + re.escape(k) + r":", doc, re.M) and f"`{k}`" not in doc]
    assert not missing, f"keys of spec/gen.schema.json not documented in docs/spec.md: {missing}"


def test_the_check_would_see_an_undocumented_key():
    keys = schema_keys({"properties": {"nowhere_documented_key": {"type": "string"}}}, set())
    doc = (ROOT / "docs" / "spec.md").read_text()
    assert [k for k in keys if f"`{k}`" not in doc and f"{k}:" not in doc] == ["nowhere_documented_key"]
