"""`gen validate SPEC...`: load, check and resolve specs; print every problem at once."""
from __future__ import annotations

import json

from generator.cli import add_format, command_parser, print_diagnostics
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_OK, GenError


def register(sub) -> None:
    p = command_parser(sub, "validate", "Check specs: shape, references, names, SQL expressions.",
                       "  gen validate spec/chatapp.yaml\n  gen validate spec/*.yaml --format json")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec file or directory")
    add_format(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.pipeline import load_schema

    diags, summary = [], []
    for path in args.specs:
        try:
            s = load_schema(path)
            if s.warnings:
                print_diagnostics(s.warnings, args.format if args.format != "json" else "human")
            summary.append({"spec": path, "name": s.name, "tables": len(s.tables), "enums": len(s.enums),
                            "policies": sum(len(t.policies) for t in s.tables)})
        except GenError as e:
            diags.extend(e.diagnostics)
    if diags:
        print_diagnostics(diags, args.format)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    elif args.format == "human":
        for s in summary:
            print(f"{s['spec']}: ok ({s['tables']} tables, {s['enums']} enums, {s['policies']} policies)")
    return EXIT_OK
