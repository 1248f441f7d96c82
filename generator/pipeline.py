"""The pipeline: load -> validate -> resolve -> render targets -> write. Only this module
(through generator.output) writes files; it never prints."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.diagnostics import Diagnostic, GenError

if TYPE_CHECKING:   # the model and the targets are imported when a build is made (not on a cache hit)
    from generator.model import Schema
    from generator.targets import Artifact

DEFAULT_TARGETS = ("sql", "rls", "seed", "shim")


CITUS_DEFAULT = 13       # the Citus release `--citus` checks against when the spec names none


def load_schema(path: str | Path, timings: dict | None = None, citus: bool = False,
                sources: list | None = None) -> Schema:
    """Spec file (or directory) -> resolved model; raises GenError with every problem found.
    `citus`: resolve it as a Citus deployment even when `database.citus` is unset.
    `sources`, when given, receives the files read, the directory/include globs expanded, the SHA-256
    of each file's bytes as read and the files each glob matched then."""
    from generator.spec.loader import load_spec, paused_gc
    from generator.spec.validate import ShapeError, validate_shape
    from generator.resolve import resolve

    with paused_gc():
        t0 = time.perf_counter()
        loaded = load_spec(path)
        if sources is not None:
            sources[:] = [list(loaded.files), list(loaded.globs), dict(loaded.digests), dict(loaded.matched)]
        t1 = time.perf_counter()
        try:
            spec = validate_shape(loaded)
        except ShapeError as e:
            _raise_with_semantic_errors(e, loaded)
        if citus and spec.database.citus is None:
            spec = spec.model_copy(update={"database": spec.database.model_copy(update={"citus": CITUS_DEFAULT})})
        t2 = time.perf_counter()
        schema = resolve(spec, loaded)
        t3 = time.perf_counter()
    if timings is not None:
        timings["load"] = timings.get("load", 0) + t1 - t0
        timings["validate"] = timings.get("validate", 0) + t2 - t1
        timings["resolve"] = timings.get("resolve", 0) + t3 - t2
    return schema


def _raise_with_semantic_errors(shape, loaded) -> None:
    """Shape errors stop the build, but first check the rest of the spec, so that one run
    reports every error (a compiler does the same)."""
    from generator.diagnostics import sort_diagnostics
    from generator.resolve import resolve
    from generator.spec.validate import follows_from, salvage

    spec, dropped = salvage(loaded, shape)
    more: list[Diagnostic] = []
    if spec is not None:
        try:
            resolve(spec, loaded)
        except GenError as e:
            more = [d for d in e.diagnostics if not follows_from(d, dropped)]
    raise GenError(sort_diagnostics(shape.diagnostics + more))


def available_targets() -> list[str]:
    from generator.targets import target_names
    return target_names()


def default_targets() -> list[str]:
    """Every registered target except the opt-in ones (e.g. prisma6)."""
    from generator.targets import default_target_names
    return default_target_names()


def render(schema: Schema, targets: list[str], templates: str | None = None,
           timings: dict | None = None, jobs: int = 1) -> tuple[dict[str, str | bytes], list[str]]:
    """Every target's files and the notes for the user, in the targets' order; with `jobs` > 1
    the targets render in forked processes (generator.render_jobs), with the same answer."""
    from generator.render_jobs import render_parallel
    from generator.targets import BuildContext, get_target
    chosen: dict[str, object] = {}
    for name in targets:
        try:
            fn = get_target(name)
        except KeyError:
            raise GenError([Diagnostic("CL001", f"unknown target '{name}'", hint="targets: "
                                       + ", ".join(available_targets()))]) from None
        if fn not in chosen.values():
            chosen[name] = fn

    def render_some(names: list[str]) -> dict:
        out = {}
        for name in names:
            ctx = BuildContext(schema=schema, templates=templates)
            t0 = time.perf_counter()
            arts = [(a.path, a.content) for a in chosen[name](ctx)]
            out[name] = (arts, ctx.notes, time.perf_counter() - t0)
        return out

    done = render_parallel(render_some, list(chosen), jobs, len(schema.tables))
    files: dict[str, str | bytes] = {}
    notes: list[str] = []
    for name in chosen:
        arts, more, seconds = done[name]
        files.update(arts)
        notes += more
        if timings is not None:
            timings[f"target:{name}"] = seconds
    return files, notes


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
    sources: tuple = ()          # (files read, directory/include globs): what a rebuild depends on
    key: str | None = None       # its build cache key, when cached
    unchanged: bool = False      # its output directory is already as this build makes it


def build(spec_paths: list[str], out: str = "out", targets: list[str] | None = None, check: bool = False,
          templates: str | None = None, cache=None, jobs: int | None = None) -> list[BuildResult]:
    """Build every spec; nothing is written unless every spec resolves and renders. With `cache`
    (a generator.cache.BuildCache), a spec whose inputs are unchanged is not built again. `jobs`:
    processes the targets render in (None: GEN_JOBS, else the CPUs; 1: this process only)."""
    from generator.output import stale, write_tree
    from generator.render_jobs import default_jobs

    jobs = default_jobs() if jobs is None else max(1, jobs)

    _check_paths(out, templates)
    results: list[BuildResult] = []
    errors: list[Diagnostic] = []
    for path in spec_paths:
        try:
            results.append(_build_one(path, out, list(targets) if targets else None, templates, cache, jobs,
                                      check))
        except GenError as e:
            errors.extend(e.diagnostics)
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
        elif not r.unchanged:
            r.changed = write_tree(r.directory, r.files, replace_all=targets is None)
        if cache is not None and r.key is not None and not check and not r.unchanged:
            cache.remember_written(Path(out), r.key, r.name, r.notes, list(r.sources), list(r.files))
        r.timings["write"] = time.perf_counter() - t0
    return results


def _build_one(path, out: str, targets: list[str] | None, templates: str | None, cache,
               jobs: int = 1, check: bool = False) -> BuildResult:
    """One spec, from the cache when its inputs are unchanged; `targets` None: the default ones (which
    they are is a fact of gen's code, part of every cache key, so a hit need not import the targets).
    A hit whose output directory is still as the cache recorded it (not with --check, which
    always compares contents) reads neither the entry nor the files."""
    timings: dict = {}
    t0 = time.perf_counter()
    head = _cache_head(path, targets or ["(default)"], templates) if cache is not None else None
    key = cache.key(head) if cache is not None else None
    stamp = cache.written(Path(out), key) if key is not None and not check else None
    if stamp is not None:
        from generator.cache import LazyFiles
        timings["cache"] = time.perf_counter() - t0
        directory = Path(out) / stamp["name"]
        return BuildResult(str(path), stamp["name"], directory,
                           LazyFiles(stamp["files"], lambda: _entry_files(cache, key, directory)),
                           notes=stamp["notes"], timings=timings, sources=tuple(stamp["sources"]), key=key,
                           unchanged=True)
    entry = cache.get(key) if key is not None else None
    if entry is not None:
        timings["cache"] = time.perf_counter() - t0
        return BuildResult(str(path), entry["name"], Path(out) / entry["name"], entry["files"],
                           notes=entry["notes"], timings=timings, sources=tuple(entry["sources"]), key=key)
    from generator.spec.loader import paused_gc
    targets = targets or default_targets()
    sources: list = []
    with paused_gc():
        schema = load_schema(path, timings, sources=sources)
        files, notes = render(schema, targets, templates, timings, jobs)
    notes = [f"{d.loc}: warning {d.code} {d.message} (hint: {d.hint})" for d in schema.warnings] + notes
    key = None
    if cache is not None:
        t1 = time.perf_counter()
        key = cache.put(head, sources, schema.name, files, notes)
        timings["cache"] = time.perf_counter() - t1
    return BuildResult(str(path), schema.name, Path(out) / schema.name, files, notes=notes, timings=timings,
                       sources=tuple(sources[:2]), key=key)


def _entry_files(cache, key: str, directory: Path) -> dict:
    """The files of cache entry `key`; if it is gone (pruned, deleted), as they are on disk, which
    the cache has just found exactly as that build wrote them."""
    entry = cache.get(key)
    if entry is not None:
        return entry["files"]
    from generator.cache import tree_stat
    out: dict = {}
    for rel, *_ in tree_stat(directory):
        data = (directory / rel).read_bytes()
        try:
            out[rel] = data.decode("utf-8")
        except UnicodeDecodeError:
            out[rel] = data
    return out


def _cache_head(path, targets: list[str], templates: str | None) -> dict:
    """What a build depends on besides the spec files' bytes: how the spec was named (positions
    print it), the working directory, the targets, the template overrides and Graphviz (erd.svg)."""
    import os
    import shutil

    head = {"spec": str(path), "cwd": os.getcwd(), "targets": targets, "templates": None, "dot": None}
    if templates is not None:
        import hashlib
        root = Path(templates)
        head["templates"] = [str(root.resolve())] + [
            [p.relative_to(root).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()]
            for p in sorted(root.rglob("*")) if p.is_file()]
    if ("erd" in targets or "(default)" in targets) and shutil.which("dot"):
        st = os.stat(shutil.which("dot"))
        head["dot"] = [shutil.which("dot"), st.st_size, st.st_mtime_ns]
    return head


def _check_paths(out: str, templates: str | None) -> None:
    problems = []
    if Path(out).exists() and not Path(out).is_dir():
        problems.append(Diagnostic("CL003", f"--out {out} is a file, not a directory",
                                   hint="name a directory (it is created when missing)"))
    if templates is not None and not Path(templates).is_dir():
        problems.append(Diagnostic("CL004", f"--templates {templates} is not a directory",
                                   hint="name a directory holding template overrides (same paths as templates/)"))
    if problems:
        raise GenError(problems)


def artifacts_of(schema: Schema, targets: list[str]) -> list[Artifact]:
    from generator.targets import Artifact
    files, _ = render(schema, targets)
    return [Artifact(p, c) for p, c in files.items()]
