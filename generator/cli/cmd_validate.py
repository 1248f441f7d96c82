"""`gen validate SPEC...`: load, check and resolve specs, then lint them; print every problem at once."""
from __future__ import annotations

import json

from generator.cli import add_format, command_parser, print_diagnostics
from generator.cli.ui import say
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, GenError


def register(sub) -> None:
    p = command_parser(sub, "validate", "Check specs: shape, references, names, SQL expressions, then the "
                       "security lints (docs/lints.md).",
                       "  gen validate spec/chatapp.yaml\n  gen validate spec/*.yaml --format json\n"
                       "  gen validate spec/*.yaml --format github    # annotations in a pull request\n"
                       "  gen validate --citus spec/*.yaml            # also the rules of a Citus deployment\n"
                       "exit: 0 valid (warnings allowed), 1 a lint error, 2 a bad spec")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec file or directory (default: gen.toml's specs)")
    p.add_argument("--verbose", action="store_true", help="also list lint findings that overrides suppressed")
    p.add_argument("--citus", action="store_true", help="check the specs as Citus deployments (docs/scale-out.md), "
                                                        "as if they said `database: {citus: 13}`")
    add_format(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.cli import project as opts
    from generator.lint import lint
    from generator.pipeline import load_schema

    bad, found, summary = [], [], []
    for path in opts.specs(args.specs):
        try:
            s = load_schema(path, citus=args.citus)
        except GenError as e:
            bad.extend(e.diagnostics)
            continue
        diags = list(s.warnings) + lint(s, source="spec", suppressed=args.verbose or args.format == "json")
        found.extend(diags)
        errors = sum(d.severity == "error" for d in diags)
        warnings = sum(d.severity == "warning" for d in diags)
        summary.append({"spec": path, "name": s.name, "tables": len(s.tables), "enums": len(s.enums),
                        "policies": sum(len(t.policies) for t in s.tables), "errors": errors,
                        "warnings": warnings, "diagnostics": [d.to_dict() for d in diags]})
    if bad:
        print_diagnostics(bad + found, args.format)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        if found:
            print_diagnostics(found, args.format)
        if args.format == "human":
            for s in summary:
                counts = "".join(f", {n} {word}{'s' if n != 1 else ''}" for n, word in
                                 ((s["errors"], "lint error"), (s["warnings"], "warning")) if n)
                verdict = "lint errors" if s["errors"] else "ok"
                say(f"{s['spec']}: {verdict} ({s['tables']} tables, {s['enums']} enums, "
                    f"{s['policies']} policies{counts})")
    return EXIT_FINDINGS if any(s["errors"] for s in summary) else EXIT_OK
