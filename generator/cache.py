"""The build cache: what a build of a spec made, keyed by everything it was made from (the bytes of
every spec file it read, the files its directory and include globs matched, the targets, the
template files and gen's own code), the files stored by content hash. Safe to delete at any time;
an entry that does not verify (a missing or corrupted file) is a miss, never a wrong answer."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from pathlib import Path

FORMAT = 1
_CODE = Path(__file__).resolve().parent


def default_dir() -> Path | None:
    """GEN_CACHE_DIR, else $XDG_CACHE_HOME/gen or ~/.cache/gen; None when GEN_CACHE_DIR is 'off'."""
    given = os.environ.get("GEN_CACHE_DIR")
    if given:
        return None if given.lower() in ("off", "0", "none") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gen"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree_stamp(root: Path, patterns: tuple[str, ...]) -> list:
    """(path, size, mtime) of the files under root: changes whenever a file is edited, added or removed."""
    out = []
    for pattern in patterns:
        for p in sorted(root.glob(pattern)):
            try:
                st = p.stat()
            except OSError:
                continue
            out.append([p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns])
    return out


_code_stamp: str | None = None


def code_stamp() -> str:
    """Fingerprint of gen's own code and built-in templates (every edit of gen is a new key)."""
    global _code_stamp
    if _code_stamp is None:
        from generator import __version__
        from generator.render import BUILTIN_TEMPLATES
        parts = [__version__, _tree_stamp(_CODE, ("**/*.py", "*.json")),
                 _tree_stamp(Path(BUILTIN_TEMPLATES), ("**/*",))]
        _code_stamp = _digest(json.dumps(parts).encode())
    return _code_stamp


class BuildCache:
    """Entries under DIR/builds/<key>.json, file contents under DIR/blobs/<hash>."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)

    # ------------------------------------------------------------ keys

    def _index_path(self, head: dict) -> Path:
        return self.dir / "index" / f"{_digest(json.dumps(head, sort_keys=True).encode())}.json"

    def key(self, head: dict) -> str | None:
        """The content key of the last build of `head` (spec path, cwd, targets, templates), if the
        inputs it read are still there to hash; None when there is nothing to compare against."""
        index = _read_json(self._index_path(head))
        if not isinstance(index, dict) or not isinstance(index.get("files"), list):
            return None
        return self._content_key(head, index["files"], index.get("globs") or [])

    def _content_key(self, head: dict, files: list, globs: list) -> str | None:
        parts = [FORMAT, code_stamp(), head]
        for name in files:
            try:
                parts.append([name, _digest(Path(name).read_bytes())])
            except OSError:
                return None
        for pattern in globs:  # a spec directory or an include glob: the files it matches now
            parts.append([pattern, expand(pattern)])
        return _digest(json.dumps(parts, sort_keys=True).encode())

    # ------------------------------------------------------------ entries

    def get(self, key: str) -> dict | None:
        """The entry for `key` with every file's content, or None (missing, unreadable or corrupt)."""
        entry = _read_json(self.dir / "builds" / f"{key}.json")
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict) \
                or not isinstance(entry.get("notes"), list) or not isinstance(entry.get("sources"), list):
            return None
        files: dict[str, str | bytes] = {}
        for rel, item in entry["files"].items():
            try:
                digest, is_text = item
                data = (self.dir / "blobs" / digest[:2] / digest).read_bytes()
            except (OSError, TypeError, ValueError):
                return None
            if _digest(data) != digest:
                return None  # a corrupted blob: build again
            try:
                files[rel] = data.decode("utf-8") if is_text else data
            except UnicodeDecodeError:
                return None
        entry["files"] = files
        return entry

    def put(self, head: dict, read_files: list[str], globs: list[str], name: str,
            files: dict[str, str | bytes], notes: list[str]) -> None:
        """Store a build; errors (a read-only or full disk) are ignored: the cache is only a shortcut."""
        try:
            key = self._content_key(head, read_files, globs)
            if key is None:
                return
            table = {}
            for rel, content in files.items():
                data = content.encode("utf-8") if isinstance(content, str) else content
                digest = _digest(data)
                blob = self.dir / "blobs" / digest[:2] / digest
                if not blob.is_file():
                    _write(blob, data)
                table[rel] = [digest, isinstance(content, str)]
            _write(self.dir / "builds" / f"{key}.json",
                   json.dumps({"name": name, "files": table, "notes": notes,
                               "sources": [read_files, globs]}).encode())
            _write(self._index_path(head), json.dumps({"files": read_files, "globs": globs}).encode())
        except OSError:
            pass


def expand(pattern: str) -> list[str]:
    """What a spec directory or an include glob stands for: its *.yaml/*.yml files, sorted."""
    from generator.spec.loader import include_matches
    return [str(p) for p in include_matches(pattern)]


def _read_json(path: Path):
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
