"""`gen schema`: print the JSON Schema of the spec language (for editors)."""
from __future__ import annotations


def register(sub) -> None:
    from generator.cli import command_parser
    p = command_parser(sub, "schema", "Print the JSON Schema of the spec language.",
                       "  gen schema > spec/gen.schema.json")
    p.set_defaults(func=run)


def json_schema_text() -> str:
    import json

    from generator.resolve.compact_pattern import compact_column_pattern
    from generator.spec.schema import SpecFile

    schema = SpecFile.model_json_schema(by_alias=True)
    schema["$defs"]["CompactColumn"] = {
        "type": "string", "pattern": compact_column_pattern(),
        "description": "compact column: <type>[!] [pk] [unique] [index] [-> entity[(column)] [cascade|set null|"
                       "restrict|set default|no action]] [= default]; the type is a PostgreSQL type or an enum "
                       "declared under enums: (a name one letter away from a built-in type is taken for a typo)"}
    schema = _with_refs(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "gen.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _with_refs(node):
    """The compact-column marker becomes a reference to the one definition holding the pattern."""
    if isinstance(node, dict):
        if node.get("x-gen") == "compact-column":
            return {"$ref": "#/$defs/CompactColumn"}
        return {k: _with_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_refs(v) for v in node]
    return node


def run(args) -> int:
    print(json_schema_text(), end="")
    return 0
