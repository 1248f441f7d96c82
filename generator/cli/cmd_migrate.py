"""`gen migrate new|up|down|status|verify`, `gen diff`, `gen drift`, `gen seed` and `gen reset`:
the commands that evolve a database. Work lives in generator.migrate; this module parses,
prints and picks exit codes."""
from __future__ import annotations

import argparse
import json
import os
import sys

from generator.cli import add_format, add_server, command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, Diagnostic, GenError

URL_ENV = "DATABASE_URL"


def register(sub) -> None:
    _migrate(sub)
    _diff(sub)
    _drift(sub)
    _seed(sub)
    _reset(sub)


def _url(p: argparse.ArgumentParser, required_text: str = "") -> None:
    p.add_argument("--database-url", metavar="URL", default=os.environ.get(URL_ENV),
                   help=f"postgresql://user@host:port/dbname (default: ${URL_ENV}){required_text}")


def _spec_dir(p: argparse.ArgumentParser, spec_required: bool = True) -> None:
    p.add_argument("--spec", required=spec_required, metavar="SPEC", help="the spec file (or directory)")
    p.add_argument("--dir", metavar="DIR", help="migrations directory (default: migrations/<spec name>)")


def _migrate(sub) -> None:
    p = command_parser(sub, "migrate", "Versioned migrations: write, apply, revert, list and verify them.",
                       "  gen migrate new add_tags --spec spec/chatapp.yaml\n"
                       "  gen migrate up --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
                       "  gen migrate down 1 --spec spec/chatapp.yaml\n"
                       "  gen migrate status --spec spec/chatapp.yaml\n"
                       "  gen migrate verify --spec spec/chatapp.yaml      # CI: replay on a scratch database")
    msub = p.add_subparsers(dest="migrate_command", metavar="ACTION")
    new = command_parser(msub, "new", "Write the next migration from the spec (nothing changed: writes nothing).",
                         "  gen migrate new init --spec spec/chatapp.yaml\n"
                         "  gen migrate new add_tags --spec spec/chatapp.yaml --dir migrations/chatapp\n"
                         "  gen migrate new drop_legacy --spec spec/chatapp.yaml --allow-destructive")
    new.add_argument("name", help="what it does, e.g. add_tags (becomes the file name slug)")
    _spec_dir(new)
    new.add_argument("--allow-destructive", action="store_true",
                     help="accept destructive changes not listed in migrations.allow_destructive")
    new.set_defaults(func=run_new)
    for name, helptext, func, examples in (
            ("up", "Apply pending migrations (all, or the next N).", run_up,
             "  gen migrate up --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
             "  gen migrate up 1 --dir migrations/chatapp        # only the next one"),
            ("down", "Revert the last N applied migrations (default 1).", run_down,
             "  gen migrate down --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
             "  gen migrate down 2 --dir migrations/chatapp      # the last two")):
        q = command_parser(msub, name, helptext, examples)
        q.add_argument("count", nargs="?", type=int, metavar="N",
                       help="how many (default: " + ("all pending)" if name == "up" else "1)"))
        _spec_dir(q, spec_required=False)
        _url(q)
        q.set_defaults(func=func)
    st = command_parser(msub, "status", "List migrations: version, name, applied or pending, when, checksum.",
                        "  gen migrate status --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
                        "  gen migrate status --dir migrations/chatapp --format json")
    _spec_dir(st, spec_required=False)
    _url(st)
    st.set_defaults(func=run_status)
    ver = command_parser(msub, "verify", "Replay all migrations on a scratch database; compare with the "
                         "last snapshot and the spec; down to empty and up again.",
                         "  gen migrate verify --spec spec/chatapp.yaml      # embedded PostgreSQL\n"
                         "  gen migrate verify --spec spec/chatapp.yaml --database-url postgresql://localhost/postgres")
    _spec_dir(ver)
    _url(ver, "; a server to create the scratch database on, default: an embedded PostgreSQL")
    ver.add_argument("--no-roundtrip", action="store_true", help="skip the down-to-empty and up-again check")
    add_server(ver)
    ver.set_defaults(func=run_verify)
    for q in (new, st, ver) + tuple(msub.choices[n] for n in ("up", "down")):
        add_format(q)
    p.set_defaults(func=lambda args: p.print_help() or EXIT_BAD_INPUT)


def _diff(sub) -> None:
    p = command_parser(sub, "diff", "Print the migration SQL that turns OLD into NEW (spec files or git:<ref>:<path>).",
                       "  gen diff git:main:spec/chatapp.yaml spec/chatapp.yaml\n"
                       "  gen diff old.yaml new.yaml --exit-code     # CI: exit 1 when they differ")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are changes")
    add_format(p)
    p.set_defaults(func=run_diff)


def _drift(sub) -> None:
    p = command_parser(sub, "drift", "Compare a live database with the spec; exit 1 listing what differs.",
                       "  gen drift spec/chatapp.yaml --database-url $DATABASE_URL")
    p.add_argument("spec", metavar="SPEC")
    _url(p)
    add_format(p)
    p.set_defaults(func=run_drift)


def _seed(sub) -> None:
    p = command_parser(sub, "seed", "Upsert the spec's seed rows (idempotent: re-running changes nothing).",
                       "  gen seed spec/chatapp.yaml --database-url $DATABASE_URL")
    p.add_argument("spec", metavar="SPEC")
    _url(p)
    add_format(p)
    p.set_defaults(func=run_seed)


def _reset(sub) -> None:
    p = command_parser(sub, "reset", "Drop and recreate the spec's schemas, migrate and seed (development only).",
                       "  gen reset spec/chatapp.yaml --database-url postgresql://localhost/chatapp_dev\n"
                       "refuses when GEN_ENV is production/prod/live or the host or database name matches\n"
                       "the spec's database.protected patterns, unless --i-know-this-is-production")
    p.add_argument("spec", metavar="SPEC")
    _url(p)
    p.add_argument("--dir", metavar="DIR", help="migrations directory (default: migrations/<spec name>; "
                   "without migrations the full schema is applied)")
    p.add_argument("--i-know-this-is-production", action="store_true", dest="production",
                   help="reset even what looks like a production database")
    add_format(p)
    p.set_defaults(func=run_reset)


# ---------------------------------------------------------------- helpers

def _need_url(args) -> str:
    if not args.database_url:
        raise GenError([Diagnostic("MG018", "no database URL given", name="migrate.url",
                                   hint=f"pass --database-url postgresql://user@host:port/dbname or set ${URL_ENV}")],
                       EXIT_BAD_INPUT)
    return args.database_url


def _directory(args, project=None) -> str:
    if getattr(args, "dir", None):
        return args.dir
    if project is None:
        if not args.spec:
            raise GenError([Diagnostic("MG019", "name the spec (--spec) or the migrations directory (--dir)",
                                       name="migrate.dir")], EXIT_BAD_INPUT)
        project = _project(args.spec)
    return str(project.default_dir())


def _project(spec: str):
    from generator.migrate.project import load_project
    return load_project(spec)


def _say(text: str) -> None:
    from generator.cli.ui import note
    note(text)


def _emit(args, human: str, data: dict) -> None:
    print(json.dumps(data, indent=2, default=str) if args.format == "json" else human)


# ---------------------------------------------------------------- commands

def run_new(args) -> int:
    from generator.diagnostics import format_diagnostics
    from generator.migrate.author import new_migration
    project = _project(args.spec)
    result = new_migration(project, _directory(args, project), args.name, args.allow_destructive)
    if result.warnings:
        print(format_diagnostics(result.warnings, "human"), file=sys.stderr)
    if not result.written:
        _emit(args, f"{result.directory}: no changes: the spec matches the last snapshot; nothing written",
              {"directory": str(result.directory), "written": []})
        return EXIT_OK
    lines = [f"{result.directory}: wrote {len(result.written)} files"] + [f"  {p.name}" for p in result.written]
    if result.acknowledged:
        lines.append("acknowledged destructive changes: " + ", ".join(result.acknowledged))
    _emit(args, "\n".join(lines), {"directory": str(result.directory), "written": [str(p) for p in result.written],
                                   "acknowledged": result.acknowledged})
    return EXIT_OK


def run_up(args) -> int:
    from generator.migrate import runner
    done = runner.up(_need_url(args), _directory(args), args.count, _say).done
    _emit(args, f"applied {len(done)} migrations" + "".join(f"\n  {m.name}" for m in done) if done
          else "nothing to apply: the database is up to date", {"applied": [m.name for m in done]})
    return EXIT_OK


def run_down(args) -> int:
    from generator.migrate import runner
    done = runner.down(_need_url(args), _directory(args), args.count or 1, _say).done
    _emit(args, f"reverted {len(done)} migrations" + "".join(f"\n  {m.name}" for m in done),
          {"reverted": [m.name for m in done]})
    return EXIT_OK


def run_status(args) -> int:
    from generator.migrate import runner
    rows = runner.status(_need_url(args), _directory(args))
    _emit(args, runner.status_table(rows),
          {"migrations": [{"version": s.migration.version, "name": s.migration.name, "state": s.state,
                           "applied_at": s.applied.applied_at if s.applied else None, "checksum": s.checksum}
                          for s in rows]})
    return EXIT_OK


def run_verify(args) -> int:
    from generator.migrate.verify import verify
    project = _project(args.spec)
    result = verify(project.schema, _directory(args, project), args.database_url, not args.no_roundtrip,
                    args.server)
    _emit(args, "verified: " + "; ".join(result.checks), {"migrations": result.migrations, "checks": result.checks})
    return EXIT_OK


def run_diff(args) -> int:
    from generator.migrate import safety
    from generator.migrate.author import changes_between
    from generator.migrate.script import part_note, script, split_parts
    old, new = _project(args.old), _project(args.new)
    changes = changes_between(old.schema, new.schema)
    for risk in safety.risks(changes):
        _say(f"destructive: {risk.key}: {risk.message}")
    texts = [script(f"{args.old} -> {args.new}", f"{part.step} step", args.new, part.up, new.lock_timeout,
                    [part_note(part.step)], preview=True) for part in split_parts(changes)]
    _emit(args, "\n".join(texts) if texts else "-- no changes", {"changes": len(changes), "sql": texts})
    return EXIT_FINDINGS if args.exit_code and changes else EXIT_OK


def run_drift(args) -> int:
    from generator.migrate.database import drift
    lines = drift(_need_url(args), _project(args.spec).schema)
    _emit(args, "in sync with the spec" if not lines else
          f"the database differs from {args.spec} ({len(lines)}); to match the spec it would need:\n"
          + "\n".join(f"  {line}" for line in lines), {"in_sync": not lines, "differences": lines})
    return EXIT_FINDINGS if lines else EXIT_OK


def run_seed(args) -> int:
    from generator.migrate.database import seed
    tables, rows = seed(_need_url(args), _project(args.spec).schema)
    if not tables:
        message = "the spec has no seed rows"
    elif rows:
        message = f"seeded {tables} tables: {rows} rows inserted or updated"
    else:
        message = f"seeded {tables} tables: nothing changed (every row already holds the seed's values)"
    _emit(args, message, {"tables": tables, "rows": rows})
    return EXIT_OK


def run_reset(args) -> int:
    from generator.migrate.database import reset
    project = _project(args.spec)
    result = reset(_need_url(args), project.schema, _directory(args, project), args.production)
    how = (f"migrated ({len(result.migrated)} migrations)" if not result.applied_schema
           else "applied the full schema (no migrations directory)")
    _emit(args, f"reset: schemas dropped and recreated, {how}, seeded {result.seeded} tables",
          {"migrated": result.migrated, "applied_schema": result.applied_schema, "seeded": result.seeded})
    return EXIT_OK
