"""YAML loading: spec files become plain data (dict/list/str/None) with the location of every key and
value; owns the YAML safety rules (tags, duplicates, aliases, size, depth) and the multi-file merge."""
from __future__ import annotations

import gc
import glob
import hashlib
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import Collector, Diagnostic, GenError, Location
from generator.spec import fast_yaml


def _yaml():
    """PyYAML and its loader class (libyaml's C parser when available), imported on the slow path
    only: specs in the fast subset never need it (~15 ms of imports)."""
    import yaml
    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 200            # deeper nesting is refused (this also stops self-referencing aliases)
MIN_NODE_BUDGET = 100_000  # alias expansion: at most max(MIN_NODE_BUDGET, ALIAS_FACTOR * distinct nodes)
ALIAS_FACTOR = 20          # node visits during one walk

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "merge", "value")}
_MAP_TAG, _SEQ_TAG, _NULL_TAG, _MERGE_TAG = (_CORE + t for t in ("map", "seq", "null", "merge"))
_NULL_TEXT = {"", "~", "null", "Null", "NULL"}
_YAML_SUFFIXES = (".yaml", ".yml")
_COMPOSE_STACK = 32 * 1024 * 1024  # thread stack for libyaml's recursive composer (~350 bytes per level)
_DEPTH_PRECHECK = 20_000           # above this depth bound, nesting is checked event by event first
_STACK_LOCK = threading.Lock()


@dataclass
class LoadedSpec:
    data: dict
    positions: dict = field(default_factory=dict)      # path -> Location of the value
    key_positions: dict = field(default_factory=dict)  # path -> Location of the mapping key
    files: list[str] = field(default_factory=list)
    globs: list[str] = field(default_factory=list)     # directory and include globs read (include_matches)
    matched: dict = field(default_factory=dict)        # glob -> the files it matched when loaded (str paths)
    digests: dict = field(default_factory=dict)        # file (as in `files`) -> SHA-256 of the bytes read

    def loc(self, path: tuple, key: bool = False) -> Location | None:
        """Location of the value (or key) at path; if path is not recorded, walk up to the nearest recorded ancestor."""
        path = tuple(path)
        found = (key and self.key_positions.get(path)) or self.positions.get(path)
        if found:  # the common case: the path itself is recorded
            return found
        for end in range(len(path) - 1, -1, -1):
            found = (key and self.key_positions.get(path[:end])) or self.positions.get(path[:end])
            if found:
                return found
        return None


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector: loading, validating, resolving and rendering a spec
    allocate many small acyclic objects, and collector passes over the growing heap cost a third of
    the time. Nested pauses leave the collector to the outermost one."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Stop(Exception):
    """Internal: the walk cannot go on (expansion budget or depth exceeded); already reported."""


class _Walker:
    """One pass over a composed node graph: builds plain data and records positions."""

    def __init__(self, filename: str, root, may_alias: bool):
        self.file, self.root, self.diags = filename, root, Collector()
        self.positions: dict = {}
        self.key_positions: dict = {}
        self.visits, self.counted = 0, False
        self.budget = MIN_NODE_BUDGET if may_alias else float("inf")  # no '*' in the text: no aliases

    def walk(self, node, path: tuple, depth: int):
        self.visits += 1
        if self.visits > self.budget:
            self._check_budget(path)
        if depth > MAX_DEPTH:
            self._add("YL004", f"nesting deeper than {MAX_DEPTH} levels", node,
                      "flatten the structure; an alias must not refer to a node that contains it")
            raise _Stop
        m = node.start_mark
        self.positions[path] = Location(self.file, m.line + 1, m.column + 1)
        if node.id == "scalar":
            if node.tag not in _SCALAR_TAGS:
                return self._bad_tag(node)
            if node.tag == _NULL_TAG and not node.style and node.value in _NULL_TEXT:
                return None
            return node.value
        if node.id == "mapping":
            if node.tag != _MAP_TAG:
                self._bad_tag(node)
            return self._mapping(node, path, depth)
        if node.tag != _SEQ_TAG:
            self._bad_tag(node)
        return [self.walk(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        out: dict = {}
        for knode, vnode in node.value:
            if knode.id != "scalar":
                self._add("YL001", "a mapping key must be text, not a mapping or list", knode,
                          "write the key as a single word or a quoted string")
            elif knode.tag == _MERGE_TAG:
                self._add("YL006", "merge key '<<' is not supported", knode,
                          "use traits to share columns and options between entities")
            elif knode.tag not in _SCALAR_TAGS:
                self._bad_tag(knode)
            elif knode.value in out:
                first = self.key_positions[path + (knode.value,)].line
                self._add("YL002", f"duplicate key '{knode.value}' (first defined at line {first})", knode,
                          "remove or rename one of the two entries")
            else:
                kpath = path + (knode.value,)
                self.key_positions[kpath] = self._at(knode)
                out[knode.value] = self.walk(vnode, kpath, depth + 1)
        return out

    def _bad_tag(self, node) -> None:
        shown = "!!" + node.tag[len(_CORE):] if node.tag.startswith(_CORE) else node.tag
        self._add("YL003", f"tag '{shown}' is not allowed", node,
                  "remove the tag; a spec holds only text, lists and mappings (quote a value to keep it text)")

    def _check_budget(self, path: tuple) -> None:
        if not self.counted:  # first time over the floor: count the distinct nodes once
            self.counted = True
            self.budget = max(MIN_NODE_BUDGET, ALIAS_FACTOR * _count_distinct(self.root))
        if self.visits > self.budget:  # report at the top-level key: inner nodes may sit in an anchor
            self.diags.add("YL004", f"aliases under '{path[0]}' expand to more than {self.budget} nodes",
                           self.key_positions[path[:1]],
                           hint="use fewer anchors/aliases; nested aliases multiply ('billion laughs')")
            raise _Stop

    def _at(self, node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _add(self, code: str, message: str, node, hint: str) -> None:
        self.diags.add(code, message, self._at(node), hint=hint)


def _count_distinct(root) -> int:
    """Distinct value nodes (what walk() visits), each aliased node counted once."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.id == "mapping":
            stack.extend(v for _, v in node.value)
        elif node.id == "sequence":
            stack.extend(node.value)
    return len(seen)


# ---------------------------------------------------------------- one document

def load_yaml_text(text: str, filename: str) -> LoadedSpec:
    """Parse one YAML document (includes are not followed) into a LoadedSpec; raises GenError."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise _fail("YL005", f"file is {size} bytes, more than the limit of {MAX_FILE_BYTES}", filename,
                    "split the spec into several files and use 'include'")
    enabled = gc.isenabled()
    gc.disable()  # compose and walk allocate many acyclic objects; collector passes would only cost time
    try:
        fast = fast_yaml.parse(text, filename)  # the plain subset specs use; None: PyYAML's full path below
        if fast is not None:
            return LoadedSpec(*fast, [filename])
        walker = _Walker(filename, _compose(text, filename), "*" in text)
        try:
            data = walker.walk(walker.root, (), 0)
        except _Stop:
            data = None
    finally:
        if enabled:
            gc.enable()
    walker.diags.raise_if_errors()
    return LoadedSpec(data, walker.positions, walker.key_positions, [filename])


def _compose(text: str, filename: str):
    yaml, _ = _yaml()
    try:
        root = _compose_guarded(text, filename)
    except yaml.YAMLError as exc:
        raise GenError([_syntax_diag(exc, text, filename)]) from None
    if root is None or (root.id == "scalar" and root.value == "" and not root.style):
        raise _fail("YL008", "the file is empty; the top level must be a mapping", filename,
                    "start the file with top-level keys such as 'entities:'")
    if root.id != "mapping":
        m = root.start_mark
        raise _fail("YL008", f"the top level must be a mapping, not a {'list' if root.id == 'sequence' else 'value'}",
                    filename, "write the spec as 'key: value' entries at the top level", m.line + 1, m.column + 1)
    return root


def _compose_guarded(text: str, filename: str):
    """yaml.compose, made safe against deep nesting: libyaml's composer recurses in C and segfaults when
    the stack runs out (and is slow on deep flow nesting), so it runs on a thread with a known stack,
    after an exact event-by-event depth check when the cheap bound below is too high."""
    # Upper bound on depth: each flow level opens a bracket; block levels have increasing columns
    # (a list may share its parent key's column), so at most two per column of the longest line.
    yaml, _Loader = _yaml()
    bound = text.count("[") + text.count("{") + 2 * max(map(len, text.split("\n"))) + 2
    if bound > _DEPTH_PRECHECK or _Loader is yaml.SafeLoader:  # pure-Python composer: RecursionError
        _check_depth(text, filename)
    box: dict = {}

    def run() -> None:
        try:
            box["root"] = yaml.compose(text, Loader=_Loader)
        except BaseException as exc:  # re-raised in the calling thread
            box["exc"] = exc

    with _STACK_LOCK:
        old = threading.stack_size(_COMPOSE_STACK)
        try:
            worker = threading.Thread(target=run, name="yaml-compose", daemon=True)
            worker.start()
        finally:
            threading.stack_size(old)
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["root"]


def _check_depth(text: str, filename: str) -> None:
    yaml, _Loader = _yaml()
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                m = event.start_mark
                raise _fail("YL004", f"nesting deeper than {MAX_DEPTH} levels", filename, "flatten the structure",
                            m.line + 1, m.column + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _syntax_diag(exc, text: str, filename: str) -> Diagnostic:
    yaml, _ = _yaml()
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col(text, exc.position)
        return Diagnostic("YL001", f"invalid character in YAML: {exc.reason}", Location(filename, line, col),
                          hint="remove the control character or save the file as plain UTF-8 text")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    loc = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename, 1, 1)
    if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
        return Diagnostic("YL001", "more than one YAML document in the file ('---')", loc,
                          hint="keep one document per file; split the spec into files and use 'include'")
    problem, context = getattr(exc, "problem", None) or str(exc), getattr(exc, "context", None)
    if "maximum nesting depth" in problem:  # libyaml >= 0.2.6 (PyYAML 6.0.4 wheels) has its own limit
        return Diagnostic("YL004", f"nesting deeper than {MAX_DEPTH} levels", loc, hint="flatten the structure")
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Diagnostic("YL001", message, loc, hint="fix the YAML at this position (indentation, quoting, ':')")


def _line_col(text: str, offset: int) -> tuple[int, int]:
    yaml, _Loader = _yaml()
    if not text.isascii() and _Loader is not yaml.SafeLoader:  # libyaml reports byte offsets
        text = text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace")
        offset = len(text)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _fail(code: str, message: str, filename: str, hint: str, line: int = 1, col: int = 1) -> GenError:
    return GenError([Diagnostic(code, message, Location(filename, line, col), hint=hint)])


# ---------------------------------------------------------------- files, includes, merge

def load_spec(path: str | Path) -> LoadedSpec:
    """Load a spec file, or every *.yaml/*.yml of a directory (sorted), with includes; merge; raises GenError."""
    root, diags = Path(path), Collector()
    files = _yaml_files(root) if root.is_dir() else [root]
    if not files:
        raise _fail("YL009", f"no *.yaml or *.yml file in directory '{_display(root)}'", _display(root),
                    "point to a spec file or to a directory that holds spec files")
    parts: list[LoadedSpec] = []
    seen: set[str] = set()
    for file in files:
        _load_tree(file, (), None, parts, seen, diags)
    merged = parts[0] if len(parts) == 1 else _merge(parts, diags)  # an error if no part loaded
    diags.raise_if_errors()
    if root.is_dir():
        merged.globs.insert(0, glob.escape(str(root)))
        merged.matched[glob.escape(str(root))] = [str(f) for f in files]
    return merged


def include_matches(pattern: str) -> list[Path]:
    """The spec files a glob stands for (a directory matched stands for its *.yaml/*.yml files), sorted."""
    found: list[Path] = []
    for match in map(Path, sorted(glob.glob(pattern, recursive=True))):
        found += _yaml_files(match) if match.is_dir() else [match]
    return found


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in _YAML_SUFFIXES and p.is_file())


def _display(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.getcwd()))
    except ValueError:
        return str(path)


def _read(path: Path, shown: str, origin: Location | None, digests: dict | None = None) -> str:
    """The text of a spec file; `digests`, when given, receives the SHA-256 of its bytes under `shown`."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail("YL005", f"file is {size} bytes, more than the limit of {MAX_FILE_BYTES}", shown,
                        "split the spec into several files and use 'include'")
        raw = path.read_bytes()
    except OSError as exc:
        raise GenError([Diagnostic("YL009", f"cannot read '{shown}': {exc.strerror or exc}",
                                   origin or Location(shown, 1, 1),
                                   hint="check the path; the file must exist and be readable")]) from None
    if digests is not None:
        digests[shown] = hashlib.sha256(raw).hexdigest()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail("YL009", f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", shown,
                    "save the file as UTF-8", line, col) from None


def _load_tree(path: Path, chain: tuple, origin: Location | None, parts: list, seen: set,
               diags: Collector) -> None:
    """Load one file (each file once), then the files its 'include' names; collects errors."""
    real, shown = os.path.realpath(path), _display(path)
    if real in chain:
        cycle = " -> ".join(_display(Path(p)) for p in chain[chain.index(real):] + (real,))
        diags.add("YL007", f"include cycle: {cycle}", origin, hint="remove one of the includes in the cycle")
        return
    if real in seen:
        return
    seen.add(real)
    digests: dict = {}
    try:
        part = load_yaml_text(_read(path, shown, origin, digests), shown)
    except GenError as exc:
        diags.extend(exc.diagnostics)
        return
    part.digests.update(digests)
    parts.append(part)
    for target, loc in _includes(part, path.parent, diags):
        _load_tree(target, chain + (real,), loc, parts, seen, diags)


def _includes(part: LoadedSpec, base: Path, diags: Collector) -> list[tuple[Path, Location]]:
    """Remove the top-level 'include' from part; resolve its globs (relative to base, sorted) to files."""
    if "include" not in part.data:
        return []
    value, where = part.data.pop("include"), part.positions.pop(("include",))
    part.key_positions.pop(("include",))
    if value is not None and not isinstance(value, (str, list)):
        diags.add("YL007", "'include' must be a list of file names or glob patterns", where,
                  hint="write for example  include: [enums.yaml, tables/*.yaml]")
    found = []
    for i, pattern in enumerate([value] if isinstance(value, str) else value if isinstance(value, list) else []):
        loc = part.positions.pop(("include", i), where)
        if not isinstance(pattern, str) or not pattern:
            diags.add("YL007", "an include entry must be a file name or glob pattern", loc,
                      hint="write each entry as a path relative to this file, e.g. tables/*.yaml")
            continue
        full = os.path.join(glob.escape(str(base)), pattern)
        part.globs.append(full)
        if not glob.glob(full, recursive=True):
            diags.add("YL007", f"include '{pattern}' matches no file", loc,
                      hint=f"include paths are relative to the including file's directory '{_display(base)}'")
        matches = include_matches(full)
        part.matched[full] = [str(f) for f in matches]
        found += [(f, loc) for f in matches]
    return found


def _merge(parts: list[LoadedSpec], diags: Collector) -> LoadedSpec:
    """Top-level mappings merge key by key, lists concatenate, any other value may be set in one file only."""
    out = LoadedSpec({}, fast_yaml.Positions(), fast_yaml.Positions(), [])
    out.positions.files = out.key_positions.files = out.files  # one list: the file of each packed position
    for part in parts:
        offset = len(out.files)
        out.files += part.files
        out.globs += part.globs
        out.matched.update(part.matched)
        out.digests.update(part.digests)
        shifts: dict = {}
        for key, value in part.data.items():
            if key not in out.data:
                out.data[key] = value
                continue
            prev = out.data[key]
            if isinstance(prev, dict) and isinstance(value, dict):
                for name, entry in value.items():
                    if name in prev:
                        _conflict(diags, f"'{name}' in '{key}'", out, part, (key, name),
                                  "define each entry in one file only")
                    else:
                        prev[name] = entry
            elif isinstance(prev, list) and isinstance(value, list):
                shifts[key] = len(prev)
                prev.extend(value)
            else:
                _conflict(diags, f"top-level '{key}'", out, part, (key,),
                          "set it in one file only; only mappings merge and lists concatenate across files")
        _merge_positions(out, part, shifts, offset)
    return out


def _conflict(diags: Collector, what: str, out: LoadedSpec, part: LoadedSpec, path: tuple, hint: str) -> None:
    first, here = out.key_positions[path], part.key_positions[path]
    diags.add("YL002", f"{what} is defined in both {first.file}:{first.line} and {here.file}:{here.line}",
              here, hint=hint)


def _merge_positions(out: LoadedSpec, part: LoadedSpec, shifts: dict, offset: int) -> None:
    """Add part's positions (packed ones re-pointed at the part's file in out.files), moving entries
    of concatenated lists by their offset; the root and the top-level keys keep the location from the
    first file that has them."""
    for table, source in ((out.positions, part.positions), (out.key_positions, part.key_positions)):
        keep = {p: table[p] for p in [()] + [(k,) for k in part.data] if p in table}
        raw = source.shifted(offset) if isinstance(source, fast_yaml.Positions) else dict(source)
        if shifts:
            raw = {(p[0], p[1] + shifts[p[0]], *p[2:]) if len(p) > 1 and p[0] in shifts else p: loc
                   for p, loc in raw.items()}
        dict.update(table, raw)
        table.update(keep)
