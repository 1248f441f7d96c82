"""`gen schema`: print the JSON Schema of the spec language (for editors)."""
from __future__ import annotations


def register(sub) -> None:
    from generator.cli import command_parser
    p = command_parser(sub, "schema", "Print the JSON Schema of the spec language.",
                       "  gen schema > spec/gen.schema.json")
    p.set_defaults(func=run)


def json_schema_text() -> str:
    import json

    from generator.spec.schema import SpecFile

    schema = SpecFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "gen.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def run(args) -> int:
    print(json_schema_text(), end="")
    return 0
