"""The pipeline: load -> validate -> resolve -> render targets -> write. Only this module
(through generator.output) writes files; it never prints."""
from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import Diagnostic, GenError
from generator.model import Schema
from generator.targets import Artifact, BuildContext, get_target, target_names

DEFAULT_TARGETS = ("sql", "rls", "seed", "shim")


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused for one pipeline run: it allocates many small acyclic
    objects, and collector passes over the growing heap cost a third of a large build's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_schema(path: str | Path, timings: dict | None = None) -> Schema:
    """Spec file (or directory) -> resolved model; raises GenError with every problem found."""
    from generator.spec.loader import load_spec
    from generator.spec.validate import validate_shape
    from generator.resolve import resolve

    with paused_gc():
        t0 = time.perf_counter()
        loaded = load_spec(path)
        t1 = time.perf_counter()
        spec = validate_shape(loaded)
        t2 = time.perf_counter()
        schema = resolve(spec, loaded)
        t3 = time.perf_counter()
    if timings is not None:
        timings["load"] = timings.get("load", 0) + t1 - t0
        timings["validate"] = timings.get("validate", 0) + t2 - t1
        timings["resolve"] = timings.get("resolve", 0) + t3 - t2
    return schema


def available_targets() -> list[str]:
    return target_names()


def default_targets() -> list[str]:
    """Every registered target (all of them are on by default)."""
    return target_names()


def render(schema: Schema, targets: list[str], templates: str | None = None,
           timings: dict | None = None) -> tuple[dict[str, str | bytes], list[str]]:
    ctx = BuildContext(schema=schema, templates=templates)
    files: dict[str, str | bytes] = {}
    done = set()
    for name in targets:
        try:
            fn = get_target(name)
        except KeyError:
            raise GenError([Diagnostic("CL001", f"unknown target '{name}'", hint="targets: "
                                       + ", ".join(available_targets()))]) from None
        if fn in done:
            continue
        done.add(fn)
        t0 = time.perf_counter()
        for art in fn(ctx):
            files[art.path] = art.content
        if timings is not None:
            timings[f"target:{name}"] = time.perf_counter() - t0
    return files, ctx.notes


@dataclass
class BuildResult:
    spec: str
    name: str
    directory: Path
    files: dict[str, str | bytes]
    changed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def build(spec_paths: list[str], out: str = "out", targets: list[str] | None = None, check: bool = False,
          templates: str | None = None) -> list[BuildResult]:
    """Build every spec; nothing is written unless every spec resolves and renders."""
    from generator.output import stale, write_tree

    results: list[BuildResult] = []
    errors: list[Diagnostic] = []
    for path in spec_paths:
        timings: dict = {}
        try:
            with paused_gc():
                schema = load_schema(path, timings)
                files, notes = render(schema, list(targets or default_targets()), templates, timings)
        except GenError as e:
            errors.extend(e.diagnostics)
            continue
        results.append(BuildResult(str(path), schema.name, Path(out) / schema.name, files, notes=notes,
                                   timings=timings))
    if errors:
        raise GenError(errors)
    names = [r.name for r in results]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise GenError([Diagnostic("CL002", f"two specs are named '{sorted(dup)[0]}'",
                                   hint="each spec needs its own `name:` (it names out/<name>/)")])
    for r in results:
        t0 = time.perf_counter()
        if check:
            r.stale = stale(r.directory, r.files, owned_prefixes=("",) if targets is None else ())
        else:
            r.changed = write_tree(r.directory, r.files, replace_all=targets is None)
        r.timings["write"] = time.perf_counter() - t0
    return results


def artifacts_of(schema: Schema, targets: list[str]) -> list[Artifact]:
    files, _ = render(schema, targets)
    return [Artifact(p, c) for p, c in files.items()]
