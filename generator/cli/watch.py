"""`gen build --watch`: build, then poll the spec files (and every file they include, and the
directories given) and build again when one is saved; errors are printed and the watch goes on."""
from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.2


def watch(args, once) -> int:
    """Run `once()` (one build; it fills args.watch_sources) now and after every change, until Ctrl-C."""
    from generator.cli import print_diagnostics
    from generator.cli.ui import say
    from generator.diagnostics import GenError

    args.watch_sources = []
    try:
        while True:
            read = _stamp(args.specs, args.watch_sources)   # taken before the build: a save during it is seen
            try:
                once()
            except GenError as e:
                print_diagnostics(e.diagnostics, getattr(args, "format", "human"))
            gc.collect()   # a long-running process: clear what the build left (the command runs without gc)
            sys.stdout.flush()
            before = {p: read.get(p, st) for p, st in _stamp(args.specs, args.watch_sources).items()}
            say(f"gen build --watch: watching {len(before)} file(s); Ctrl-C stops")
            sys.stdout.flush()
            while _stamp(args.specs, args.watch_sources) == before:
                time.sleep(POLL_SECONDS)
            say("gen build --watch: change seen, building")
    except KeyboardInterrupt:
        return 0


def _stamp(specs: list[str], sources: list) -> dict:
    """path -> (inode, size, mtime) of every file a build reads: the specs given (a directory: its
    *.yaml/*.yml files), the files the last build read and what its include globs match now."""
    from generator.cache import expand

    paths: set[str] = set()
    for spec in specs:
        paths |= set(expand(str(Path(spec)))) if Path(spec).is_dir() else {spec}
    for files, globs in sources:
        paths |= set(files)
        for pattern in globs:
            paths |= set(expand(pattern))
    out = {}
    for p in sorted(paths):
        try:
            st = os.stat(p)
            out[p] = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            out[p] = None
    return out
