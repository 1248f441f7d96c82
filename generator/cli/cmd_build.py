"""`gen build SPEC... [--out DIR] [--target NAME,...] [--check] [--watch] [--no-cache]`: render artifacts (through the build cache)."""
from __future__ import annotations

import json
import sys

from generator.cli import add_format, command_parser
from generator.cli.ui import UI, note, progress, say
from generator.diagnostics import EXIT_FINDINGS, EXIT_OK


def register(sub) -> None:
    p = command_parser(sub, "build", "Render every artifact of the specs into OUT/<spec name>/ (atomically).",
                       "  gen build spec/chatapp.yaml\n  gen build spec/*.yaml --target sql,rls\n"
                       "  gen build spec/*.yaml --check    # exit 1 when committed artifacts are stale\n"
                       "  gen build spec/app.yaml --watch  # build again on every save (Ctrl-C stops)")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or directories (default: gen.toml's specs)")
    p.add_argument("--out", default=None, help="output root (default: gen.toml's out, else out)")
    p.add_argument("--target", default=None, help="comma-separated targets (default: all)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if any artifact is stale or missing")
    p.add_argument("--templates", default=None, help="directory of template overrides")
    p.add_argument("--timings", action="store_true", help="print time per stage")
    p.add_argument("--watch", action="store_true", help="keep running: build again whenever a spec file (or a "
                   "file it includes) changes; Ctrl-C stops")
    p.add_argument("--no-cache", action="store_true", help="build from scratch: neither read nor fill the build "
                   "cache (GEN_CACHE_DIR, default ~/.cache/gen; GEN_CACHE_DIR=off disables it)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="processes the targets render in "
                   "(default: GEN_JOBS, else the number of CPUs; 1: one process); the output is the same")
    add_format(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.cli import project as opts

    args.specs, args.out = opts.specs(args.specs), opts.out_dir(args.out)
    if args.watch:
        from generator.cli.watch import watch
        return watch(args, lambda: _run_once(args))
    return _run_once(args)


def build_cache(args):
    from generator.cache import BuildCache, default_dir
    where = None if args.no_cache else default_dir()
    return BuildCache(where) if where is not None else None


def _run_once(args) -> int:
    from generator.pipeline import build

    targets = [t.strip() for t in args.target.split(",") if t.strip()] if args.target else None
    progress(f"gen build: {len(args.specs)} spec(s)" + (" (check only)" if args.check else ""))
    results = build(args.specs, args.out, targets, args.check, args.templates, cache=build_cache(args),
                    jobs=args.jobs)
    if getattr(args, "watch_sources", None) is not None:
        args.watch_sources[:] = [r.sources for r in results if r.sources]
    if args.format == "github":
        _annotate(results, args)
    elif args.format == "json":
        print(json.dumps([{"spec": r.spec, "name": r.name, "directory": str(r.directory),
                           "files": sorted(r.files), "changed": r.changed, "stale": r.stale, "notes": r.notes,
                           "timings": r.timings} for r in results], indent=2))
    else:
        for r in results:
            for text in r.notes:
                note(f"{r.name}: note: {text}")
            if args.check:
                if r.stale:   # a finding: printed even with --quiet
                    print(f"{r.directory}: stale or missing ({len(r.stale)}): " + ", ".join(r.stale)
                          + f"\n  run: gen build {r.spec}" + (f" --out {args.out}" if args.out != "out" else ""))
                else:
                    say(f"{r.directory}: up to date ({len(r.files)} files)")
            else:
                say(f"{r.directory}: {len(r.files)} files, {len(r.changed)} changed")
                if UI.verbose:
                    for rel in r.changed:
                        print(f"  changed {rel}", file=sys.stderr)
            if args.timings:
                print("  " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in r.timings.items()), file=sys.stderr)
    if args.check and any(r.stale for r in results):
        return EXIT_FINDINGS
    return EXIT_OK


def _annotate(results, args) -> None:
    """GitHub workflow commands: one error annotation per stale file, pointing at the file."""
    for r in results:
        for rel in r.stale:
            path = (r.directory / rel.split(" (")[0]).as_posix()
            why = "no longer generated" if rel.endswith("(no longer generated)") else "stale or missing"
            print(f"::error file={path},title=gen build --check::{path} is {why}; run: gen build {r.spec}"
                  + (f" --out {args.out}" if args.out != "out" else ""))
        if not r.stale:
            say(f"{r.directory}: {'up to date' if args.check else 'written'} ({len(r.files)} files)")
