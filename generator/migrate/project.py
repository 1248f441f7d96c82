"""What the migration commands read from a spec: the resolved model plus the spec's
`migrations:` settings, from a file or directory, or from git (`git:<ref>:<path>`, a file or a
directory)."""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
from generator.model import Schema


@dataclass
class Project:
    spec: str                                # as the user named it
    schema: Schema
    allow_destructive: list[str] = field(default_factory=list)
    lock_timeout: str = "5s"

    def default_dir(self) -> Path:
        return Path("migrations") / self.schema.name


def load_project(spec: str) -> Project:
    if spec.startswith("git:"):
        return _from_git(spec)
    from generator.resolve import resolve
    from generator.spec.loader import load_spec
    from generator.spec.validate import validate_shape

    loaded = load_spec(spec)
    shape = validate_shape(loaded)
    schema = resolve(shape, loaded)
    return Project(spec, schema, list(shape.migrations.allow_destructive), shape.migrations.lock_timeout)


def load_projects(first: str, second: str) -> tuple[Project, Project]:
    """Two specs (a diff's or a review's base and head), the second loaded in a forked child on
    another core while this process loads the first; if the child fails for any reason, the
    second is loaded here, so errors read as in `load_project(first), load_project(second)`."""
    from generator.forked import can_fork, spread
    from generator.render_jobs import default_jobs
    if not can_fork() or default_jobs() < 2:
        return load_project(first), load_project(second)
    a, b = spread(load_project, [first, second])
    return a, b


def _from_git(spec: str) -> Project:
    """`git:<ref>:<path>`: the spec file (or directory) as committed at <ref> (read with `git show`,
    a directory with `git archive`)."""
    _, _, rest = spec.partition(":")
    ref, sep, path = rest.partition(":")
    if not sep or not ref or not path:
        raise _bad(f"'{spec}' is not git:<ref>:<path>", "e.g. git:main:spec/chatapp.yaml")
    kind = _git(["cat-file", "-t", f"{ref}:{path}"], ref, path).decode().strip()
    with tempfile.TemporaryDirectory(prefix="gen-git-") as tmp:
        if kind == "tree":
            import io
            import tarfile
            data = _git(["archive", "--format=tar", ref, "--", path.rstrip("/")], ref, path)
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(tmp, filter="data")
            target = Path(tmp) / path.rstrip("/")
        else:                       # at its repository path, so locations name it (after the tmp dir)
            target = Path(tmp) / path.lstrip("./")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(["show", f"{ref}:{path}"], ref, path))
        project = load_project(str(target))
    project.spec = spec
    return project


def _git(args: list[str], ref: str, path: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise _bad("git is not installed", "install git or pass the old spec as a file") from None
    if done.returncode != 0:
        raise _bad(f"cannot read {path} at {ref}: {done.stderr.decode(errors='replace').strip()}",
                   "name a committed file or directory (paths are relative to the repository root, or ./ for the "
                   "current dir)")
    return done.stdout


def _bad(message: str, hint: str) -> GenError:
    return GenError([Diagnostic("MG031", message, name="migrate.spec", hint=hint)], EXIT_BAD_INPUT)
