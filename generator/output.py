"""Writing artifacts atomically: everything goes to a temporary directory beside the target
and is moved into place only when complete (into an existing directory, only the files whose
content changed, each renamed into place once all are written); `stale()` compares without writing."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def stale(directory: Path, files: dict[str, str | bytes], owned_prefixes: tuple[str, ...] = ()) -> list[str]:
    """Relative paths that are missing or differ (and, under owned prefixes, files that should not exist)."""
    out = []
    for rel, content in sorted(files.items()):
        p = directory / rel
        if not p.is_file() or p.read_bytes() != _as_bytes(content):
            out.append(rel)
    for rel in _existing(directory, owned_prefixes):
        if rel not in files:
            out.append(f"{rel} (no longer generated)")
    return out


def _existing(directory: Path, prefixes: tuple[str, ...]) -> list[str]:
    if not prefixes or not directory.is_dir():
        return []
    return [rel for rel in _files_under(directory)
            if any(rel == pre or rel.startswith(pre.rstrip("/") + "/") for pre in prefixes)]


def _files_under(directory: Path, folders: list[str] | None = None) -> list[str]:
    """Relative paths (posix) of every file below `directory` (symlinks included, not followed),
    sorted; `folders`, when given, receives the relative paths of the folders."""
    found = []
    for root, dirs, names in os.walk(directory):
        base = Path(root).relative_to(directory).as_posix()
        prefix = "" if base == "." else base + "/"
        found += [prefix + n for n in names]
        for d in dirs:
            if os.path.islink(os.path.join(root, d)):
                found.append(prefix + d)
            elif folders is not None:
                folders.append(prefix + d)
    return sorted(found)


def write_tree(directory: Path, files: dict[str, str | bytes], replace_all: bool = True) -> list[str]:
    """Write `files` under `directory` atomically. With replace_all, the directory becomes
    exactly these files (old generated files vanish); else files are merged into it.
    Returns the relative paths whose content changed."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    changed = stale(directory, files)
    if directory.is_dir():
        _update_tree(directory, files, changed, replace_all)
        return changed
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; the result should look like any directory
    try:
        if not replace_all and directory.is_dir():
            shutil.copytree(directory, tmp, dirs_exist_ok=True)
        for rel, content in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(_as_bytes(content))
        backup = None
        if directory.exists():
            backup = directory.parent / f".{directory.name}.old-{os.getpid()}"
            os.rename(directory, backup)
        os.rename(tmp, directory)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return changed


def _update_tree(directory: Path, files: dict[str, str | bytes], changed: list[str], replace_all: bool) -> None:
    """Rewrite only the changed files of an existing directory: all are written beside it first,
    then each is renamed into place (a failed write changes nothing); with replace_all, files no
    longer generated are removed."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent)) if changed else None
    try:
        for rel in changed:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(_as_bytes(files[rel]))
        for rel in changed:
            p = directory / rel
            for parent in list(Path(rel).parents)[-2::-1]:  # a file where a folder is now needed
                if (directory / parent).is_file():
                    (directory / parent).unlink()
            if p.is_dir():
                shutil.rmtree(p)
            p.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, p)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if replace_all:
        folders: list[str] = []
        for rel in _files_under(directory, folders):
            if rel not in files:
                (directory / rel).unlink()
        for rel in sorted(folders, key=lambda r: -r.count("/")):   # deepest first
            if not any((directory / rel).iterdir()):
                (directory / rel).rmdir()


def write_file_atomic(path: Path, content: str | bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_as_bytes(content))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
