"""The build cache: what a build of a spec made, keyed by everything it was made from (the bytes of
every spec file it read, the files its directory and include globs matched, the targets, the
template files, gen's own code and libraries), each build stored as one file named by that key.
Safe to delete at any time; an entry that does not verify (a missing, truncated or corrupted file)
is a miss, never a wrong answer."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

FORMAT = 2
MAX_ENTRIES = 32   # builds kept (the most recently used); older ones are deleted
# A file modified this close to the record of its directory is compared by content: a file system
# stamps a change with its coarse clock (one tick: a few ms), or in whole seconds (FAT: two).
RACY_NS = 100_000_000
RACY_COARSE_NS = 2_000_000_000
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
    """Fingerprint of gen's own code and built-in templates, the Python and the libraries whose
    answers reach the output (every edit or upgrade of any of them is a new key)."""
    global _code_stamp
    if _code_stamp is None:
        from generator import __version__
        parts = [__version__, sys.version, _library_stamp(), _tree_stamp(_CODE, ("**/*.py", "**/*.json")),
                 _tree_stamp(_builtin_templates(), ("**/*",))]
        _code_stamp = _digest(json.dumps(parts).encode())
    return _code_stamp


_LIBRARIES = ("yaml", "pydantic", "pydantic_core", "jinja2", "markupsafe", "sqlglot", "pglast",
              "confusable_homoglyphs")


def _library_stamp() -> list:
    """Where each library whose answers reach the output is installed (its entry file's size and
    mtime) and the names (with versions) of every distribution installed beside it: an upgrade or
    reinstall of any of them is a new key. Found without importing them."""
    from importlib.util import find_spec
    out, sites = [], set()
    for name in _LIBRARIES:
        spec = find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None or not origin.is_file():
            out.append([name, None])
            continue
        st = origin.stat()
        out.append([name, str(origin), st.st_size, st.st_mtime_ns])
        sites.add(origin.parent.parent if spec.submodule_search_locations else origin.parent)
    for site in sorted(sites):
        try:
            out.append(sorted(n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-info"))))
        except OSError:
            pass
    return out


def _builtin_templates() -> Path:
    """generator.render.BUILTIN_TEMPLATES, found without importing the renderer (tests check both agree)."""
    packaged = _CODE / "_templates"
    return packaged if packaged.is_dir() else _CODE.parent / "templates"


class BuildCache:
    """Entries under DIR/builds/<key>.pack (one file per build, see _pack); DIR/index/ maps how a
    spec was built (path, cwd, targets, templates) to the inputs its last build read."""

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

    def _content_key(self, head: dict, files: list, globs: list, digests: dict | None = None,
                     matched: dict | None = None) -> str | None:
        """The key of `head` built from `files` and `globs`: their bytes and matches on disk now, or,
        for a build just made, as the build read them (`digests`, `matched`: an edit saved during
        the build then makes the entry unreachable instead of wrong)."""
        parts = [FORMAT, code_stamp(), head]
        for name in files:
            try:
                parts.append([name, digests[name] if digests is not None else _digest(Path(name).read_bytes())])
            except (OSError, KeyError):
                return None
        for pattern in globs:  # a spec directory or an include glob: the files it matches
            parts.append([pattern, matched[pattern] if matched is not None and pattern in matched
                          else expand(pattern)])
        return _digest(json.dumps(parts, sort_keys=True).encode())

    # ------------------------------------------------------------ entries

    def _entry_path(self, key: str) -> Path:
        return self.dir / "builds" / f"{key}.pack"

    def get(self, key: str) -> dict | None:
        """The entry for `key` with every file's content, or None (missing, unreadable or corrupt:
        a corrupt entry is removed, so the build that follows stores it anew)."""
        path = self._entry_path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        entry = _unpack(raw)
        if entry is None:
            _unlink(path)
            return None
        try:
            os.utime(path)   # recently used: pruned last
        except OSError:
            pass
        return entry

    def put(self, head: dict, sources: list, name: str, files: dict[str, str | bytes],
            notes: list[str]) -> str | None:
        """Store a build made from `sources` (files read, globs, their digests and matches as
        load_schema reports them), then prune to the MAX_ENTRIES most recently used; returns its
        key. Errors (a read-only or full disk) are ignored: the cache is only a shortcut."""
        read_files, globs, digests, matched = sources
        try:
            key = self._content_key(head, read_files, globs, digests, matched)
            if key is None:
                return None
            _write(self._entry_path(key), _pack(name, files, notes, [read_files, globs]))
            _write(self._index_path(head), json.dumps({"files": read_files, "globs": globs}).encode())
            self._prune()
            return key
        except OSError:
            return None

    # ------------------------------------------------------------ output directories

    def _stamp_path(self, out_root: Path, key: str) -> Path:
        return self.dir / "outputs" / f"{_digest((str(Path(out_root).resolve()) + chr(0) + key).encode())}.json"

    def written(self, out_root: Path, key: str) -> dict | None:
        """What the build `key` left in `out_root` when it last wrote or compared it (its name,
        notes, sources and file names), if the directory is still exactly as it left it: the
        same files with the same size, modification and change times and inode, every one older than the
        record by RACY_NS (RACY_COARSE_NS where the file system keeps whole seconds): a file changed
        within a timestamp tick of the record could keep its time, so, as git does with its index,
        such a file is not trusted. None otherwise."""
        stamp = _read_json(self._stamp_path(out_root, key))
        if not isinstance(stamp, dict) or not isinstance(stamp.get("name"), str) \
                or not isinstance(stamp.get("taken"), int):
            return None
        tree = tree_stat(Path(out_root) / stamp["name"])
        if stamp.get("tree") != tree:
            return None
        coarse = all(m % 1_000_000_000 == 0 and c % 1_000_000_000 == 0 for _, _, m, c, _ in tree)
        margin = RACY_COARSE_NS if coarse else RACY_NS
        if any(max(m, c) >= stamp["taken"] - margin for _, _, m, c, _ in tree):
            return None
        return stamp

    def remember_written(self, out_root: Path, key: str, name: str, notes: list[str], sources: list,
                         names: list[str]) -> None:
        """Record the output directory as the build `key` has just made it (see `written`)."""
        try:
            _write(self._stamp_path(out_root, key), json.dumps({
                "name": name, "notes": notes, "sources": sources, "files": names, "taken": time.time_ns(),
                "tree": tree_stat(Path(out_root) / name)}).encode())
            self._prune("outputs", "*.json")
        except OSError:
            pass

    def _prune(self, folder: str = "builds", pattern: str = "*.pack") -> None:
        entries = []
        for p in (self.dir / folder).glob(pattern):
            try:
                entries.append((p.stat().st_mtime_ns, p))
            except OSError:
                pass
        for _, p in sorted(entries, reverse=True)[MAX_ENTRIES:]:
            _unlink(p)


def _pack(name: str, files: dict[str, str | bytes], notes: list[str], sources: list) -> bytes:
    """One entry as one file: a JSON header line (its last field the SHA-256 of the body), then
    every file's bytes, one after the other."""
    table, chunks = [], []
    for rel, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        table.append([rel, len(data), isinstance(content, str)])
        chunks.append(data)
    body = b"".join(chunks)
    header = {"format": FORMAT, "name": name, "notes": notes, "sources": sources, "files": table,
              "sha256": _digest(body)}
    return json.dumps(header).encode() + b"\n" + body


def _unpack(raw: bytes) -> dict | None:
    """The entry of `_pack`, or None when anything in it does not verify."""
    line, sep, body = raw.partition(b"\n")
    try:
        header = json.loads(line)
        if not sep or header.get("format") != FORMAT or header.get("sha256") != _digest(body):
            return None
        name, notes, sources, table = header["name"], header["notes"], header["sources"], header["files"]
        if not (isinstance(name, str) and isinstance(notes, list) and isinstance(sources, list)
                and len(sources) == 2 and isinstance(table, list)):
            return None
        files: dict[str, str | bytes] = {}
        at = 0
        for rel, size, is_text in table:
            data = body[at:at + size]
            at += size
            files[rel] = data.decode("utf-8") if is_text else data
        if at != len(body):
            return None
    except (ValueError, TypeError, KeyError, AttributeError):   # UnicodeDecodeError is a ValueError
        return None
    return {"name": name, "notes": notes, "sources": sources, "files": files}


def tree_stat(directory: Path) -> list:
    """[relative path, size, mtime_ns, ctime_ns, inode] of every file below `directory`, sorted
    (ctime: no tool can set it back, as `touch -r` or `cp -p` set the modification time)."""
    out = []
    stack = [(str(directory), "")]
    while stack:
        path, prefix = stack.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                stack.append((e.path, prefix + e.name + "/"))
            else:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                out.append([prefix + e.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return sorted(out)


class LazyFiles(Mapping):
    """A build's files by path, their contents read from the cache entry only when asked for
    (a build whose output directory is already as it made it needs only the names)."""

    def __init__(self, names: list[str], load):
        self._names, self._load, self._files = list(names), load, None
        self._known = frozenset(self._names)

    def _content(self) -> dict:
        if self._files is None:
            files = self._load()
            self._files = {k: files[k] for k in self._names}
        return self._files

    def __getitem__(self, key):
        if key not in self._known:
            raise KeyError(key)
        return self._content()[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, key) -> bool:
        return key in self._known


def expand(pattern: str) -> list[str]:
    """What a spec directory or an include glob stands for: its *.yaml/*.yml files, sorted."""
    from generator.spec.loader import include_matches
    return [str(p) for p in include_matches(pattern)]


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


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
