"""`gen diff`, `gen drift`, `gen push`, `gen seed` and `gen reset`: comparing specs, and the
commands that change a development database directly. The work lives in generator.migrate."""
from __future__ import annotations

import argparse

from generator.cli import add_format, command_parser
from generator.cli import project as opts
from generator.cli.cmd_migrate import emit, say
from generator.diagnostics import EXIT_FINDINGS, EXIT_OK


def register(sub) -> None:
    p = command_parser(sub, "diff", "Print the migration SQL that turns OLD into NEW (spec files or git:<ref>:<path>).",
                       "  gen diff git:main:spec/chatapp.yaml spec/chatapp.yaml\n"
                       "  gen diff old.yaml new.yaml --exit-code     # CI: exit 1 when they differ")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are changes")
    add_format(p)
    p.set_defaults(func=run_diff)
    _live(sub, "drift", "Compare a live database with the spec; exit 1 listing what differs (and INVALID indexes).",
          "  gen drift spec/chatapp.yaml --database-url $DATABASE_URL\n  gen drift        # spec and URL from gen.toml",
          run_drift)
    push = _live(sub, "push", "Development loop: apply the difference between the spec and a live database "
                 "directly (no migration files); destructive changes refused unless accepted.",
                 "  gen push spec/chatapp.yaml --database-url postgresql://localhost/chatapp_dev\n"
                 "  gen push --dry-run                     # print the SQL only\n"
                 "  gen push --allow-destructive           # accept drops and narrowing type changes", run_push)
    push.add_argument("--dry-run", action="store_true", help="print the SQL it would run; change nothing")
    push.add_argument("--allow-destructive", action="store_true",
                      help="accept destructive changes not listed in migrations.allow_destructive")
    _production(push)
    _live(sub, "seed", "Upsert the spec's seed rows (idempotent: re-running changes nothing).",
          "  gen seed spec/chatapp.yaml --database-url $DATABASE_URL", run_seed)
    reset = _live(sub, "reset", "Drop and recreate the spec's schemas, migrate and seed (development only).",
                  "  gen reset spec/chatapp.yaml --database-url postgresql://localhost/chatapp_dev\n"
                  "refuses what looks like production (GEN_ENV, prod/production/prd/live in the database or host\n"
                  "name, the spec's database.protected) unless --i-know-this-is-production", run_reset)
    reset.add_argument("--dir", metavar="DIR", help="migrations directory (default: from gen.toml or "
                       "migrations/<spec name>; without migrations the full schema is applied)")
    _production(reset)


def _live(sub, name: str, helptext: str, examples: str, func) -> argparse.ArgumentParser:
    p = command_parser(sub, name, helptext, examples)
    p.add_argument("spec", nargs="?", metavar="SPEC", help="the spec (default: the one spec of gen.toml)")
    opts.add_database_url(p)
    add_format(p)
    p.set_defaults(func=func)
    return p


def _production(p: argparse.ArgumentParser) -> None:
    p.add_argument("--i-know-this-is-production", action="store_true", dest="production",
                   help="run even on what looks like production (see docs/migrations.md)")


def _project(args):
    from generator.migrate.project import load_project
    return load_project(opts.one_spec(args.spec))


def run_diff(args) -> int:
    from generator.migrate import safety
    from generator.migrate.author import changes_between
    from generator.migrate.project import load_projects
    from generator.migrate.script import script, split_parts
    old, new = load_projects(args.old, args.new)
    changes = changes_between(old.schema, new.schema)
    for risk in safety.risks(changes):
        say(f"destructive: {risk.key}: {risk.message}")
    texts = [script(f"{args.old} -> {args.new}", f"{part.step} step", args.new, part.up, new.lock_timeout,
                    [part.note], preview=True) for part in split_parts(changes)]
    emit(args, "\n".join(texts) if texts else "-- no changes", {"changes": len(changes), "sql": texts})
    return EXIT_FINDINGS if args.exit_code and changes else EXIT_OK


def run_drift(args) -> int:
    from generator.migrate.database import drift
    proj = _project(args)
    lines = drift(opts.database_url(args), proj.schema)
    if lines and args.format != "json":        # a finding: printed even with --quiet
        print(f"the database differs from {proj.spec} ({len(lines)}); to match the spec it would need:\n"
              + "\n".join(f"  {line}" for line in lines))
    else:
        emit(args, "in sync with the spec", {"in_sync": not lines, "differences": lines})
    return EXIT_FINDINGS if lines else EXIT_OK


def run_push(args) -> int:
    from generator.migrate.push import push
    proj = _project(args)
    result = push(opts.database_url(args), proj, args.allow_destructive, args.dry_run, args.production)
    if not result.statements:
        emit(args, "in sync with the spec: nothing to push", {"applied": False, "statements": []})
        return EXIT_OK
    if args.dry_run:
        risky = [f"-- destructive (refused unless acknowledged): {k}" for k in result.acknowledged]
        emit(args, "\n".join(risky + [f"-- {c}\n{s}" for c, s in zip(result.statements, result.sql)]),
             {"applied": False, "statements": result.statements, "sql": result.sql,
              "destructive": result.acknowledged})
        return EXIT_OK
    lines = [f"pushed {len(result.statements)} statements"] + [f"  {c}" for c in result.statements]
    if result.acknowledged:
        lines.append("acknowledged destructive changes: " + ", ".join(result.acknowledged))
    emit(args, "\n".join(lines), {"applied": True, "statements": result.statements,
                                  "acknowledged": result.acknowledged})
    return EXIT_OK


def run_seed(args) -> int:
    from generator.migrate.database import seed
    tables, rows = seed(opts.database_url(args), _project(args).schema)
    if not tables:
        message = "the spec has no seed rows"
    elif rows:
        message = f"seeded {tables} tables: {rows} rows inserted or updated"
    else:
        message = f"seeded {tables} tables: nothing changed (every row already holds the seed's values)"
    emit(args, message, {"tables": tables, "rows": rows})
    return EXIT_OK


def run_reset(args) -> int:
    from generator.migrate.database import reset
    proj = _project(args)
    result = reset(opts.database_url(args), proj.schema, opts.migrations_dir(args, proj.schema.name),
                   args.production)
    how = (f"migrated ({len(result.migrated)} migrations)" if not result.applied_schema
           else "applied the full schema (no migrations directory)")
    emit(args, f"reset: schemas dropped and recreated, {how}, seeded {result.seeded} tables",
         {"migrated": result.migrated, "applied_schema": result.applied_schema, "seeded": result.seeded})
    return EXIT_OK
