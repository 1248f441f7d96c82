"""`gen fleet status|up|drift|add FLEET`: one spec's migrations over many tenant databases or
schemas (docs/scale-out.md). Work lives in generator.migrate.fleet; this module parses, prints
and picks exit codes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from generator.cli import add_format, command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, Diagnostic, GenError


def register(sub) -> None:
    p = command_parser(sub, "fleet", "Roll one spec's migrations over many tenant databases or schemas.",
                       "  gen fleet status fleet.yaml --drift\n"
                       "  gen fleet up fleet.yaml --report rollout.md     # canary, then waves\n"
                       "  gen fleet drift fleet.yaml\n"
                       "  gen fleet add fleet.yaml --schema tenant_0042 --url $FLEET_DB")
    fsub = p.add_subparsers(dest="fleet_command", metavar="ACTION")
    for name, helptext, func in (
            ("status", "Per target: applied version, pending, invalid indexes (and drift with --drift).", run_status),
            ("up", "Migrate the canary, then the other targets in waves; resumable.", run_up),
            ("drift", "Per target: what differs from the snapshot of its version; exit 1 when any.", run_drift),
            ("add", "Create a new tenant at the newest version from the spec (not by replaying history).",
             run_add)):
        q = command_parser(fsub, name, helptext, f"  gen fleet {name} fleet.yaml")
        q.add_argument("fleet", metavar="FLEET", help="the fleet file")
        add_format(q)
        q.set_defaults(func=func)
    fsub.choices["status"].add_argument("--drift", action="store_true", help="also inspect each target for drift")
    fsub.choices["up"].add_argument("--report", metavar="PATH", help="write the report (.md or .json)")
    add = fsub.choices["add"]
    add.add_argument("--schema", help="the new tenant's schema (schema-per-tenant fleets)")
    add.add_argument("--url", help="its database (default: the fleet's first target's database)")
    add.add_argument("--name", help="its name in messages (default: the schema or database name)")
    p.set_defaults(func=lambda args: p.print_help() or EXIT_BAD_INPUT)


def _load(args):
    from generator.migrate.fleet.config import load_fleet
    from generator.migrate.fleet.rollout import resolve_targets
    fleet = load_fleet(args.fleet)
    return fleet, resolve_targets(fleet)


def _emit(args, human: str, data) -> None:
    print(json.dumps(data, indent=2, default=str) if args.format == "json" else human)


def run_status(args) -> int:
    from generator.migrate.fleet.rollout import status
    fleet, targets = _load(args)
    rows = status(fleet, targets, args.drift)
    lines = []
    for r in rows:
        extra = [f"error: {r['error']}"] if "error" in r else [f"version {r['version'] or '-'}", f"{r['pending']} pending"]
        extra += [f"invalid indexes: {', '.join(r['invalid_indexes'])}"] if r.get("invalid_indexes") else []
        extra += [f"drift: {'; '.join(r['drift'])}"] if r.get("drift") else []
        lines.append(f"{r['name']}: " + ", ".join(extra))
    _emit(args, "\n".join(lines), {"targets": rows})
    return EXIT_FINDINGS if any("error" in r or r.get("drift") or r.get("invalid_indexes") for r in rows) else EXIT_OK


def run_drift(args) -> int:
    from generator.migrate.fleet.rollout import status
    fleet, targets = _load(args)
    rows = status(fleet, targets, with_drift=True)
    drifted = [r for r in rows if r.get("drift") or "error" in r]
    human = "\n".join(f"{r['name']}: " + ("; ".join(r.get("drift") or []) or r.get("error", "")) for r in drifted)
    _emit(args, human or f"no drift on {len(rows)} target(s)", {"targets": rows})
    return EXIT_FINDINGS if drifted else EXIT_OK


def run_up(args) -> int:
    from generator.migrate.fleet.report import to_json, to_markdown
    from generator.migrate.fleet.rollout import up
    fleet, targets = _load(args)
    run = up(fleet, targets, progress=lambda line: print(line, file=sys.stderr))
    if args.report:
        Path(args.report).write_text(to_json(run) if args.report.endswith(".json") else to_markdown(run),
                                     encoding="utf-8")
    _emit(args, to_markdown(run), run.to_dict())
    return EXIT_OK if run.ok else EXIT_FINDINGS


def run_add(args) -> int:
    from generator.migrate.files import MigrationDir
    from generator.migrate.fleet.config import Target, dbname, check_schema_name
    from generator.migrate.fleet.provision import provision
    from generator.migrate.project import load_project
    fleet, targets = _load(args)
    url = args.url or (targets[0].url if targets else None)
    if not url:
        raise GenError([Diagnostic("MG087", "no database for the new tenant", name="fleet.add",
                                   hint="pass --url, or list a target in the fleet file")], EXIT_BAD_INPUT)
    schema = check_schema_name(args.schema, fleet.path) if args.schema else None
    target = Target(args.name or schema or dbname(url), url, schema)
    out = provision(target, MigrationDir(fleet.migrations), load_project(str(fleet.spec)).schema)
    _emit(args, f"{target.name}: added at version {out.version} ({out.seconds:.2f} s)", out.to_dict())
    return EXIT_OK
