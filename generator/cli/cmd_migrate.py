"""`gen migrate new|up|down|status|verify|baseline|hash|rm|squash|prove`: versioned migrations.
The work lives in generator.migrate; this module parses, prints and picks exit codes (the
directory-keeping actions run in cmd_migrate_manage)."""
from __future__ import annotations

import argparse
import json
import sys

from generator.cli import add_format, add_server, command_parser
from generator.cli import project as opts
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_OK

EXAMPLES = ("  gen migrate new add_tags --spec spec/chatapp.yaml\n"
            "  gen migrate up --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
            "  gen migrate down 1 --spec spec/chatapp.yaml\n"
            "  gen migrate status                                # spec and URL from gen.toml / $DATABASE_URL\n"
            "  gen migrate verify --spec spec/chatapp.yaml      # CI: replay on a scratch database")


def _spec_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="SPEC", help="the spec file (or directory); default: the one spec of gen.toml")
    p.add_argument("--dir", metavar="DIR", help="migrations directory (default: gen.toml's `migrations`, else "
                   "migrations/<spec name>, or supabase/migrations with layout = \"supabase\")")


def _action(msub, name: str, helptext: str, examples: str, func, url: bool = True) -> argparse.ArgumentParser:
    q = command_parser(msub, name, helptext, examples)
    _spec_dir(q)
    if url:
        opts.add_database_url(q)
    add_format(q)
    q.set_defaults(func=func)
    return q


def register(sub) -> None:
    from generator.cli import cmd_migrate_manage as manage
    p = command_parser(sub, "migrate", "Versioned migrations: write, apply, revert, list and verify them.", EXAMPLES)
    msub = p.add_subparsers(dest="migrate_command", metavar="ACTION")
    new = _action(msub, "new", "Write the next migration from the spec (nothing changed: writes nothing).",
                  "  gen migrate new init --spec spec/chatapp.yaml\n"
                  "  gen migrate new add_tags --spec spec/chatapp.yaml --dir migrations/chatapp\n"
                  "  gen migrate new drop_legacy --allow-destructive\n"
                  "  gen migrate new backfill_stock --empty             # hand-written SQL (data migration)",
                  run_new, url=False)
    new.add_argument("name", help="what it does, e.g. add_tags (becomes the file name slug)")
    new.add_argument("--empty", action="store_true", help="write an empty migration to fill by hand (data "
                     "migrations, custom SQL); then `gen migrate hash`")
    new.add_argument("--allow-destructive", action="store_true",
                     help="accept destructive changes not listed in migrations.allow_destructive")
    up = _action(msub, "up", "Apply pending migrations (all, or the next N).",
                 "  gen migrate up --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
                 "  gen migrate up 1 --dir migrations/chatapp        # only the next one\n"
                 "  gen migrate up --prove                           # prove on a scratch copy first",
                 run_up)
    up.add_argument("count", nargs="?", type=int, metavar="N", help="how many (default: all pending)")
    up.add_argument("--prove", action="store_true", help="first apply them to a scratch copy of the target's "
                    "schema with sample rows (zero drift, no row lost); then refuse if the target changed meanwhile")
    up.add_argument("--fingerprint", metavar="SHA", help="refuse unless the target still has this fingerprint "
                    "(printed by `gen migrate prove`)")
    opts.add_scratch_url(up)
    down = _action(msub, "down", "Revert the last N applied migrations (default 1).",
                   "  gen migrate down --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
                   "  gen migrate down 2 --dir migrations/chatapp      # the last two\n"
                   "  gen migrate down --allow-destructive              # even if it drops tables holding rows",
                   run_down)
    down.add_argument("count", nargs="?", type=int, metavar="N", help="how many (default: 1)")
    down.add_argument("--allow-destructive", action="store_true",
                      help="revert even when a down script drops tables or columns that hold data")
    down.add_argument("--i-know-this-is-production", action="store_true", dest="production",
                      help="revert even on what looks like production (see docs/migrations.md)")
    _action(msub, "status", "List migrations: version, name, applied or pending, when, checksum.",
            "  gen migrate status --spec spec/chatapp.yaml --database-url $DATABASE_URL\n"
            "  gen migrate status --dir migrations/chatapp --format json", run_status)
    ver = _action(msub, "verify", "Replay all migrations on a scratch database; compare with the last snapshot and "
                  "the spec; down to empty and up again.",
                  "  gen migrate verify --spec spec/chatapp.yaml      # embedded PostgreSQL\n"
                  "  gen migrate verify --scratch-url postgresql://postgres@localhost/postgres", run_verify, url=False)
    opts.add_scratch_url(ver)
    ver.add_argument("--database-url", metavar="URL", dest="scratch_url_legacy", help=argparse.SUPPRESS)
    ver.add_argument("--no-roundtrip", action="store_true", help="skip the down-to-empty and up-again check")
    add_server(ver)
    manage.register(msub, _action)
    p.set_defaults(func=lambda args: p.print_help() or EXIT_BAD_INPUT)


# ---------------------------------------------------------------- helpers

def project(args):
    from generator.migrate.project import load_project
    return load_project(opts.one_spec(getattr(args, "spec", None)))


def directory(args, proj=None):
    """The migrations directory; the spec is only read when --dir is not given."""
    if getattr(args, "dir", None) or proj is not None:
        return opts.migrations_dir(args, proj.schema.name if proj else None)
    return opts.migrations_dir(args, project(args).schema.name)


def say(text: str) -> None:
    from generator.cli.ui import note
    note(text)


def emit(args, human: str, data: dict) -> None:
    """The result: JSON always (a machine asked for it), the human lines unless --quiet."""
    if args.format == "json":
        print(json.dumps(data, indent=2, default=str))
    else:
        from generator.cli.ui import say as result
        result(human)


def model_or_empty(args):
    """The spec's model when one is named (for the shim and protected names), else empty."""
    from generator.model import Schema
    if getattr(args, "spec", None) or (not getattr(args, "dir", None) and opts.cfg.current().specs):
        return project(args).schema
    return Schema.empty()


# ---------------------------------------------------------------- commands

def run_new(args) -> int:
    from generator.diagnostics import format_diagnostics
    from generator.migrate.author import new_migration
    if args.empty:
        from generator.migrate.manage import new_empty
        proj = project(args) if not args.dir or args.spec else None
        written = new_empty(directory(args, proj), args.name, proj.lock_timeout if proj else "5s")
        emit(args, "wrote an empty migration to fill in, then run `gen migrate hash`:\n" +
             "\n".join(f"  {p}" for p in written), {"written": [str(p) for p in written]})
        return EXIT_OK
    proj = project(args)
    result = new_migration(proj, directory(args, proj), args.name, args.allow_destructive)
    if result.warnings:
        print(format_diagnostics(result.warnings, "human"), file=sys.stderr)
    if not result.written:
        emit(args, f"{result.directory}: no changes: the spec matches the last snapshot; nothing written",
             {"directory": str(result.directory), "written": []})
        return EXIT_OK
    lines = [f"{result.directory}: wrote {len(result.written)} files"] + [f"  {p.name}" for p in result.written]
    if result.acknowledged:
        lines.append("acknowledged destructive changes: " + ", ".join(result.acknowledged))
    emit(args, "\n".join(lines), {"directory": str(result.directory), "written": [str(p) for p in result.written],
                                  "acknowledged": result.acknowledged})
    return EXIT_OK


def run_up(args) -> int:
    from generator.migrate import runner
    from generator.migrate.verify import prepare
    url, d, model = opts.database_url(args), directory(args), model_or_empty(args)
    expect = None
    if args.prove or args.fingerprint:
        from generator.migrate.prove import prove, schemas_for
        schemas = schemas_for(model, d)
        fp = args.fingerprint
        if args.prove:
            proof = prove(url, d, model, opts.scratch_url(args), say)
            say("proven: " + "; ".join(proof.checks) + f" (fingerprint {proof.fingerprint})")
            if args.fingerprint and args.fingerprint != proof.fingerprint:
                from generator.migrate.fingerprint import refuse_changed
                refuse_changed(args.fingerprint, proof.fingerprint)
            fp = proof.fingerprint
        expect = (fp, schemas)
    prepare(url, model)
    done = runner.up(url, d, args.count, say, expect=expect).done
    emit(args, f"applied {len(done)} migrations" + "".join(f"\n  {m.name}" for m in done) if done
         else "nothing to apply: the database is up to date", {"applied": [m.name for m in done]})
    return EXIT_OK


def run_down(args) -> int:
    from generator.migrate import runner
    from generator.migrate.protect import refuse_production
    url, d = opts.database_url(args), directory(args)
    refuse_production(url, model_or_empty(args), "revert migrations on", args.production)
    done = runner.down(url, d, args.count or 1, say, args.allow_destructive).done
    emit(args, f"reverted {len(done)} migrations" + "".join(f"\n  {m.name}" for m in done),
         {"reverted": [m.name for m in done]})
    return EXIT_OK


def run_status(args) -> int:
    from generator.migrate import runner
    rows = runner.status(opts.database_url(args), directory(args))
    emit(args, runner.status_table(rows),
         {"migrations": [{"version": s.migration.version, "name": s.migration.name, "state": s.state,
                          "applied_at": s.applied.applied_at if s.applied else None, "checksum": s.checksum}
                         for s in rows]})
    return EXIT_OK


def run_verify(args) -> int:
    from generator.migrate.verify import verify
    proj = project(args)
    scratch = args.scratch_url or args.scratch_url_legacy or opts.scratch_url(args)
    result = verify(proj.schema, directory(args, proj), scratch, not args.no_roundtrip, args.server)
    emit(args, "verified: " + "; ".join(result.checks), {"migrations": result.migrations, "checks": result.checks})
    return EXIT_OK
