"""`gen fmt`: the canonical layout of a spec file, made by moving whole key blocks (with the
comments above them) into the documented key order at the top level and inside each entity and
trait; spacing is tidied (no trailing blanks, at most one empty line, one final newline) outside
block scalars. Entity, column and enum order are the author's and never change. The result must
load to the same data, else it is a bug in gen (checked on every run)."""
from __future__ import annotations

import re
from pathlib import Path

from generator.spec.loader import load_yaml_text
from generator.spec.schema import Entity, SpecFile, Trait

_BLOCK_SCALAR = re.compile(r"(?:^|:|-)\s*[|>][-+0-9]*\s*(#.*)?$")


def _order(model) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


TOP_ORDER = ["include"] + _order(SpecFile)
# path pattern (keys of the mappings above, '*' any key) -> the key order inside it
NESTED_ORDER = {("entities", "*"): _order(Entity), ("traits", "*"): _order(Trait)}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _protected(lines: list[str]) -> set[int]:
    """Indexes of lines inside block scalars (`key: |`): their whitespace is content."""
    out: set[int] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_content(line) and _BLOCK_SCALAR.search(line.split(" #")[0].rstrip() if "'" not in line else line):
            base = _indent(line)
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                out.add(j)
                j += 1
            i = j
            continue
        i += 1
    return out


def _key(line: str) -> str | None:
    text = line.strip()
    if text.startswith(("-", "#", "{", "[")) or ":" not in text:
        return None
    key = text.split(":", 1)[0].strip()
    return key.strip("'\"")


def _split(lines: list[str], indent: int):
    """(head, [(key, block lines)]) of a mapping whose keys sit at `indent`; None when the lines
    are not such a mapping (a sequence, or a key that cannot be read)."""
    starts = [i for i, line in enumerate(lines) if _is_content(line) and _indent(line) == indent]
    if not starts or any(_key(lines[i]) is None for i in starts):
        return None
    head = lines[:starts[0]]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        blocks.append([_key(lines[start]), lines[start:end]])
    # comments and blank lines at the end of a block that are not indented under it belong to the next key
    for n in range(len(blocks) - 1):
        body = blocks[n][1]
        cut = len(body)
        while cut > 1 and (not body[cut - 1].strip() or (body[cut - 1].lstrip().startswith("#")
                                                          and _indent(body[cut - 1]) <= indent)):
            cut -= 1
        blocks[n + 1][1] = body[cut:] + blocks[n + 1][1]
        blocks[n][1] = body[:cut]
    # a comment heading the first key stays with it (head keeps only what precedes the comments)
    return head, blocks


def _reorder(lines: list[str], indent: int, order: list[str], path: tuple) -> list[str]:
    split = _split(lines, indent)
    if split is None:
        return lines
    head, blocks = split
    rank = {k: i for i, k in enumerate(order)}
    if order:
        blocks = sorted(blocks, key=lambda b: rank.get(b[0], len(order)))
    out = list(head)
    for key, body in blocks:
        out += _nested(body, path + (key,))
    return out


def _nested(body: list[str], path: tuple) -> list[str]:
    """Reorder inside a block when its path has a known order (entities.*, traits.*) or leads to one."""
    lead = 0
    while lead < len(body) and not (_is_content(body[lead]) and _key(body[lead]) == path[-1]):
        lead += 1
    if lead >= len(body):
        return body
    children = body[lead + 1:]
    inner = [line for line in children if _is_content(line)]
    if not inner:
        return body
    indent = _indent(inner[0])
    for pattern, order in NESTED_ORDER.items():
        if len(path) == len(pattern) and all(p in ("*", k) for p, k in zip(pattern, path)):
            return body[:lead + 1] + _reorder(children, indent, order, path)
    if any(pattern[:len(path)] == path for pattern in NESTED_ORDER):
        return body[:lead + 1] + _reorder(children, indent, [], path)
    return body


def _tidy(lines: list[str]) -> list[str]:
    protected = _protected(lines)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in protected:
            out.append(line)
            continue
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue   # no leading empty lines, and at most one in a row
        out.append(line)
    while out and not out[-1].strip():   # the file ends after its last line (checked: same data)
        out.pop()
    return out


def format_text(text: str, filename: str = "<spec>") -> str:
    before = load_yaml_text(text, filename).data          # bad YAML: GenError, exit 2
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _tidy(_reorder(_tidy(lines), 0, TOP_ORDER, ()))
    result = "\n".join(lines) + "\n"
    after = load_yaml_text(result, filename).data
    if after != before:
        raise AssertionError(f"gen fmt would change the meaning of {filename}")
    return result


def format_file(path: str | Path) -> str:
    from generator.spec.loader import _read   # same reading rules (encoding, size) as the loader
    p = Path(path)
    return format_text(_read(p, str(path), None), str(path))
