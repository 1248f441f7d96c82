"""`gen migrate baseline|hash|rm|squash|prove`: the actions that look after the migrations
directory and a database's history (registered under `gen migrate` by cmd_migrate)."""
from __future__ import annotations

from generator.cli import project as opts
from generator.diagnostics import EXIT_OK


def register(msub, action) -> None:
    action(msub, "baseline", "Mark a live database as being at the spec's state (drift must be empty); without "
           "migrations, write the first one from the spec.",
           "  gen import --database-url $DATABASE_URL -o spec/app.yaml\n"
           "  gen migrate baseline --spec spec/app.yaml --database-url $DATABASE_URL", run_baseline)
    action(msub, "hash", "Record the migration files as they are in gen.sum (after editing one that was "
               "never applied, e.g. a hand-written one).",
               "  gen migrate hash --spec spec/app.yaml\n"
               "  gen migrate hash --dir migrations/app --database-url $DATABASE_URL   # refuse applied edits",
               run_hash)
    rm = action(msub, "rm", "Remove a migration that was never applied (and every later one), e.g. one that failed.",
                "  gen migrate rm --spec spec/app.yaml                # what the last `migrate new` wrote\n"
                "  gen migrate rm 20250301120000 --dir migrations/app", run_rm)
    rm.add_argument("version", nargs="?", metavar="VERSION", help="version or name (default: the last written)")
    sq = action(msub, "squash", "Squash the migrations (up to a version) into one baseline; databases that "
                "applied them are recorded as having applied the squash.",
                "  gen migrate squash --spec spec/app.yaml\n"
                "  gen migrate squash --to 20250301120000 --dir migrations/app", run_squash, url=False)
    sq.add_argument("--to", metavar="VERSION", help="the last migration to squash (default: all)")
    sq.add_argument("--drop-hand-written", action="store_true",
                    help="leave hand-written (data) migrations of the range out instead of refusing")
    pr = action(msub, "prove", "Apply the pending migrations to a scratch copy of the target's schema with sample "
                "rows: zero drift, no row lost; print the target's fingerprint.",
                "  gen migrate prove --spec spec/app.yaml --database-url $DATABASE_URL\n"
                "  gen migrate up --fingerprint sha256:...          # later: refuse if the target changed",
                run_prove)
    opts.add_scratch_url(pr)


def run_baseline(args) -> int:
    from generator.cli.cmd_migrate import directory, emit, project
    from generator.migrate.manage import baseline
    proj = project(args)
    result = baseline(opts.database_url(args), proj, directory(args, proj))
    lines = [f"wrote {p}" for p in result.written] + \
        [f"recorded as applied: {name}" for name in result.recorded] or ["nothing to record: already baselined"]
    emit(args, "\n".join(lines), {"written": [str(p) for p in result.written], "recorded": result.recorded})
    return EXIT_OK


def run_hash(args) -> int:
    from generator.cli.cmd_migrate import directory, emit
    from generator.migrate.manage import rehash
    url = args.database_url or opts.cfg.current().database_url().value
    changed = rehash(directory(args), url)
    emit(args, "gen.sum rewritten: " + (", ".join(changed) if changed else "no entry changed"), {"changed": changed})
    return EXIT_OK


def run_rm(args) -> int:
    from generator.cli.cmd_migrate import directory, emit
    from generator.migrate.manage import remove
    url = args.database_url or opts.cfg.current().database_url().value
    removed = remove(directory(args), args.version, url)
    note = "" if url else "\n(no database given: not checked that it was never applied)"
    emit(args, "removed:\n" + "\n".join(f"  {p}" for p in removed) + note, {"removed": [str(p) for p in removed],
                                                                             "checked_database": bool(url)})
    return EXIT_OK


def run_squash(args) -> int:
    from generator.cli.cmd_migrate import directory, emit, project
    from generator.migrate.squash import squash
    proj = project(args) if args.spec or not args.dir else None
    result = squash(directory(args, proj), args.to, proj.lock_timeout if proj else "5s", proj.spec if proj else "",
                    args.drop_hand_written)
    if not result.written:
        emit(args, f"nothing to squash: {len(result.replaced)} migration(s) up to {result.through}",
             {"written": [], "replaced": result.replaced})
        return EXIT_OK
    lines = [f"squashed {len(result.replaced)} migrations through {result.through} into:"] + \
        [f"  {p}" for p in result.written]
    if result.left_out:
        lines.append("left out (hand-written): " + ", ".join(result.left_out))
    emit(args, "\n".join(lines), {"written": [str(p) for p in result.written], "replaced": result.replaced,
                                  "left_out": result.left_out})
    return EXIT_OK


def run_prove(args) -> int:
    from generator.cli.cmd_migrate import directory, emit, model_or_empty, say
    from generator.migrate.prove import prove
    proof = prove(opts.database_url(args), directory(args), model_or_empty(args), opts.scratch_url(args), say)
    rows = "\n".join(f"  {t}: {b} -> {'dropped' if a is None else a}" for t, (b, a) in sorted(proof.rows.items()))
    emit(args, f"proven: {'; '.join(proof.checks)}\nfingerprint: {proof.fingerprint}" + (f"\nrows:\n{rows}" if rows
                                                                                       else ""),
         {"fingerprint": proof.fingerprint, "pending": proof.pending, "checks": proof.checks,
          "rows": {t: {"before": b, "after": a} for t, (b, a) in proof.rows.items()}})
    return EXIT_OK
