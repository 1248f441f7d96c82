"""A fast path for the plain YAML that specs are written in (block mappings and sequences, one-line
flow collections, plain and quoted one-line scalars): the same data and positions as the loader's
PyYAML walk, several times faster. Anything outside that subset, or anything wrong, returns None and
the loader takes PyYAML's full path, which also reports every error at its file:line:col."""
from __future__ import annotations

import re

from generator.diagnostics import Location

# Characters PyYAML reads as plain content; anything else (tabs, CR, controls, NEL, LS/PS, BOM) -> slow path.
_OUTSIDE_ASCII = re.compile("[^\n\x20-\x7e]")
_OUTSIDE = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"  # compiled when needed
_KEY = re.compile(r"([A-Za-z0-9_$][A-Za-z0-9_$.\-]*) *:(?: +|$)")
# `key: plain scalar` without '#': the row most specs are made of (the value may not start with an indicator)
_KEY_PLAIN = re.compile(r"([A-Za-z0-9_$][A-Za-z0-9_$.\-]*) *: +((?:[^\s\-?:,\[\]{}#&*!|>'\"%@`]|-[^\s#])[^#]*?) *$")
_DQ = re.compile(r'"([^"\\]*(?:\\[\\"nt][^"\\]*)*)"')
_DQ_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\t": "\t"}
_DQ_ESCAPE = re.compile(r'\\[\\"nt]')
_SQ = re.compile(r"'((?:[^']|'')*)'")
_FLOW_PLAIN = re.compile(r"(?:-(?=[0-9.]))?[^\s,\[\]{}#&*!|>'\"%@`?:\-][^,\[\]{}:#]*")
_FLOW_KEY = re.compile(r"([A-Za-z0-9_$][A-Za-z0-9_$.\-]*) *: +")
_AFTER = re.compile(r" *(?:(?<= )#.*)?$")  # what may follow a quoted scalar or a flow collection
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NULLS = frozenset(("~", "null", "Null", "NULL"))
_MAX_DEPTH = 100
_LINE, _FILE, _MASK = 24, 48, (1 << 24) - 1   # a packed position: file index << 48 | line << 24 | col


class Positions(dict):
    """path -> Location of a loaded spec. The fast path stores each as a packed int (file index,
    line, column) and makes the Location when it is asked for: a spec has ~120 positions per table
    and a build reads few of them. `files` names the file of each index."""

    __slots__ = ("files",)

    def __init__(self, files=(), *args):
        super().__init__(*args)
        self.files = list(files)

    def _unpack(self, path, v: int) -> Location:
        loc = Location(self.files[v >> _FILE], (v >> _LINE) & _MASK, v & _MASK)
        dict.__setitem__(self, path, loc)
        return loc

    def __getitem__(self, path):
        v = dict.__getitem__(self, path)
        return self._unpack(path, v) if v.__class__ is int else v

    def get(self, path, default=None):
        v = dict.get(self, path, default)
        return self._unpack(path, v) if v.__class__ is int else v

    def pop(self, path, *default):
        v = dict.pop(self, path, *default)
        return Location(self.files[v >> _FILE], (v >> _LINE) & _MASK, v & _MASK) if v.__class__ is int else v

    def values(self):
        return [self[p] for p in self]

    def items(self):
        return [(p, self[p]) for p in self]

    def __eq__(self, other):
        return isinstance(other, dict) and dict(self.items()) == dict(other.items())

    __hash__ = None

    def shifted(self, offset: int) -> dict:
        """The raw entries with file indexes moved by `offset` (for merging into another spec)."""
        extra = offset << _FILE
        return {p: (v + extra if v.__class__ is int else v) for p, v in dict.items(self)}


class _Unsupported(Exception):
    """Internal: outside the fast subset (or an error); the caller falls back to PyYAML."""


def parse(text: str, filename: str) -> tuple[dict, dict, dict] | None:
    """(data, positions, key_positions) as the PyYAML walk would build them, or None."""
    if (_OUTSIDE_ASCII if text.isascii() else re.compile(_OUTSIDE)).search(text):
        return None
    try:
        return _Parser(text, filename).document()
    except (_Unsupported, IndexError, RecursionError):
        return None


class _Parser:
    def __init__(self, text: str, filename: str):
        self.file = filename
        self.positions = Positions([filename])
        self.key_positions = Positions([filename])
        lines = text.split("\n")
        rows = [[number, len(line) - len(content), line]  # (line number, indent, line) of every row with content
                for number, line, content in zip(range(1, len(lines) + 1), lines, [x.lstrip(" ") for x in lines])
                if content and content[0] != "#"]
        if any(row[1] == 0 and (row[2][0] == "%" or row[2][:3] in ("---", "...")) for row in rows):
            raise _Unsupported  # directives and document markers
        self.rows, self.i, self.n = rows, 0, len(rows)

    @staticmethod
    def loc(line: int, col: int) -> int:
        return (line << _LINE) | col  # packed: the Location is made when it is asked for (Positions)

    def document(self) -> tuple[dict, dict, dict]:
        if not self.rows or self._is_item(self.rows[0]):
            raise _Unsupported
        data = self.mapping(self.rows[0][1], (), 0)
        if self.i != self.n:
            raise _Unsupported
        return data, self.positions, self.key_positions

    @staticmethod
    def _is_item(row) -> bool:
        line, at = row[2], row[1]
        return line[at] == "-" and (at + 1 == len(line) or line[at + 1] == " ")

    def block(self, indent: int, path: tuple, depth: int):
        if depth > _MAX_DEPTH:
            raise _Unsupported
        row = self.rows[self.i]
        return self.sequence(indent, path, depth) if self._is_item(row) else self.mapping(indent, path, depth)

    def mapping(self, indent: int, path: tuple, depth: int) -> dict:
        rows, out, n, i = self.rows, {}, self.n, self.i
        positions, key_positions = self.positions, self.key_positions
        if depth > _MAX_DEPTH:
            raise _Unsupported
        positions[path] = self.loc(rows[i][0], indent + 1)
        while i < n:
            number, ind, line = rows[i]
            if ind != indent:
                break
            m = _KEY_PLAIN.match(line, indent)
            if m is not None:  # the common row, `key: plain text`
                key, text = m.group(1, 2)
                if key in out or ": " in text or text[-1] == ":" or (i + 1 < n and rows[i + 1][1] > indent):
                    raise _Unsupported  # a duplicate key, `a: b: c`, or a continuation line: PyYAML's path
                kpath = path + (key,)
                key_positions[kpath] = (number << _LINE) | (indent + 1)
                positions[kpath] = (number << _LINE) | (m.start(2) + 1)
                out[key] = None if text in _NULLS else text
                i += 1
                continue
            m = _KEY.match(line, indent)
            if m is None:
                raise _Unsupported
            key = m.group(1)
            if key in out:
                raise _Unsupported  # duplicate key: PyYAML's path reports it
            kpath = path + (key,)
            key_positions[kpath] = (number << _LINE) | (indent + 1)
            at = m.end()
            if (at == len(line) or line[at] == "#") and i + 1 < n and rows[i + 1][1] > indent \
                    and not self._is_item(rows[i + 1]):  # `key:` and a nested mapping below
                self.i = i + 1
                out[key] = self.mapping(rows[i + 1][1], kpath, depth + 1)
            else:
                self.i = i
                out[key] = self.value(line, at, number, indent, kpath, depth, same_indent_list=True)
            i = self.i
        self.i = i
        if i < n and rows[i][1] > indent:
            raise _Unsupported
        return out

    def sequence(self, indent: int, path: tuple, depth: int) -> list:
        rows, out = self.rows, []
        self.positions[path] = self.loc(rows[self.i][0], indent + 1)
        while self.i < self.n and rows[self.i][1] == indent and self._is_item(rows[self.i]):
            number, _, line = rows[self.i]
            at = indent + 1
            while at < len(line) and line[at] == " ":
                at += 1
            ipath = path + (len(out),)
            if at < len(line) and line[at] != "#" and (
                    self._is_item([number, at, line]) or _KEY.match(line, at) is not None):
                self.rows[self.i] = [number, at, line]  # "- key: v" / "- - x": a block starting mid-line
                out.append(self.block(at, ipath, depth + 1))
            else:
                out.append(self.value(line, at, number, indent, ipath, depth, same_indent_list=False))
        if self.i < self.n and rows[self.i][1] > indent:
            raise _Unsupported
        return out

    def value(self, line: str, at: int, number: int, indent: int, path: tuple, depth: int, same_indent_list: bool):
        """The value after `key:` or `- ` that starts at line[at]: inline, or a block on the next rows."""
        self.i += 1
        if at >= len(line) or line[at] == "#":
            if self.i < self.n:
                nxt = self.rows[self.i]
                if nxt[1] > indent or (same_indent_list and nxt[1] == indent and self._is_item(nxt)):
                    return self.block(nxt[1], path, depth + 1)
            raise _Unsupported  # an empty value (null): left to PyYAML
        value = self.inline(line, at, number, path, depth)
        if self.i < self.n and self.rows[self.i][1] > indent:
            raise _Unsupported  # a continuation line (multi-line scalar) or an error
        return value

    def inline(self, line: str, at: int, number: int, path: tuple, depth: int):
        ch = line[at]
        if ch in "\"'[{":
            value, end = self.flow_value(line, at, number, path, depth)
            if _AFTER.match(line, end) is None:
                raise _Unsupported
            return value
        if ch in _INDICATORS and not (ch == "-" and at + 1 < len(line) and line[at + 1] != " "):
            raise _Unsupported
        cut = line.find(" #", at)
        text = (line[at:] if cut < 0 else line[at:cut]).rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise _Unsupported
        self.positions[path] = self.loc(number, at + 1)
        return None if text in _NULLS else text

    def flow_value(self, line: str, at: int, number: int, path: tuple, depth: int):
        """One scalar or flow collection inside a line; returns (value, index after it)."""
        if depth > _MAX_DEPTH:
            raise _Unsupported
        self.positions[path] = self.loc(number, at + 1)
        ch = line[at]
        if ch == '"':
            m = _DQ.match(line, at)
            if m is None:
                raise _Unsupported
            text = m.group(1)
            return (_DQ_ESCAPE.sub(lambda e: _DQ_ESCAPES[e.group()], text) if "\\" in text else text), m.end()
        if ch == "'":
            m = _SQ.match(line, at)
            if m is None:
                raise _Unsupported
            return m.group(1).replace("''", "'"), m.end()
        if ch == "[":
            return self.flow_sequence(line, at + 1, number, path, depth)
        if ch == "{":
            return self.flow_mapping(line, at + 1, number, path, depth)
        m = _FLOW_PLAIN.match(line, at)
        if m is None:
            raise _Unsupported
        text = m.group().rstrip(" ")
        return (None if text in _NULLS else text), at + len(text)

    @staticmethod
    def _skip(line: str, at: int) -> int:
        while at < len(line) and line[at] == " ":
            at += 1
        return at

    def flow_sequence(self, line: str, at: int, number: int, path: tuple, depth: int):
        out: list = []
        at = self._skip(line, at)
        if line[at] == "]":
            return out, at + 1
        while True:
            value, at = self.flow_value(line, at, number, path + (len(out),), depth + 1)
            out.append(value)
            at = self._skip(line, at)
            if line[at] == "]":
                return out, at + 1
            if line[at] != ",":
                raise _Unsupported
            at = self._skip(line, at + 1)
            if line[at] in ",]":
                raise _Unsupported  # empty entry or trailing comma

    def flow_mapping(self, line: str, at: int, number: int, path: tuple, depth: int):
        out: dict = {}
        at = self._skip(line, at)
        if line[at] == "}":
            return out, at + 1
        while True:
            m = _FLOW_KEY.match(line, at)
            if m is None:
                raise _Unsupported
            key = m.group(1)
            if key in out:
                raise _Unsupported
            kpath = path + (key,)
            self.key_positions[kpath] = self.loc(number, at + 1)
            out[key], at = self.flow_value(line, m.end(), number, kpath, depth + 1)
            at = self._skip(line, at)
            if line[at] == "}":
                return out, at + 1
            if line[at] != ",":
                raise _Unsupported
            at = self._skip(line, at + 1)
            if line[at] in ",}":
                raise _Unsupported
