"""`gen init [DIR]`: write a starter spec and the JSON Schema next to it."""
from __future__ import annotations

from pathlib import Path

from generator.cli import command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_OK

STARTER = """\
# yaml-language-server: $schema=./gen.schema.json
spec: 1
name: {name}
database: {{dialect: postgres, version: 16, flavor: {flavor}}}
extensions: []

enums:
  user_role: [admin, member]

entities:
  users:
    description: People who sign in.
    traits: [timestamps]
    columns:
      id: uuid pk
      email: text! unique
      name: text
      role: user_role! = 'member'

  notes:
    description: A note written by a user.
    traits: [timestamps]
    owner: user_id
    columns:
      id: uuid pk
      user_id: uuid! -> users cascade
      title: text!
      body: text
    checks:
      - char_length(title) BETWEEN 1 AND 200
    policies:
      - owner

seed:
  users:
    - {{email: dev@example.com, name: Developer, role: admin}}
"""


def register(sub) -> None:
    p = command_parser(sub, "init", "Write a starter spec (and its JSON Schema) to start from.",
                       "  gen init                     # spec/app.yaml\n  gen init db --name shop --flavor supabase")
    p.add_argument("directory", nargs="?", default="spec")
    p.add_argument("--name", default="app", help="spec name (default: app)")
    p.add_argument("--flavor", choices=("plain", "supabase"), default="plain")
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.cli.cmd_schema import json_schema_text
    from generator.output import write_file_atomic

    target = Path(args.directory) / f"{args.name}.yaml"
    if target.exists():
        print(f"{target} exists; not overwriting it")
        return EXIT_BAD_INPUT
    write_file_atomic(target, STARTER.format(name=args.name, flavor=args.flavor))
    write_file_atomic(Path(args.directory) / "gen.schema.json", json_schema_text())
    print(f"wrote {target} and {Path(args.directory) / 'gen.schema.json'}\nnext: gen build {target}")
    return EXIT_OK
