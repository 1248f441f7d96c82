"""The spec text of an import: PyYAML for the structure (short mappings and lists in flow
style, like hand-written specs), literal blocks for multi-line SQL, a comment header, and a
re-read that proves the text holds exactly the data."""
from __future__ import annotations

import re

import yaml

FLOW_WIDTH = 100
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: the same data, ~10x faster
ALWAYS_BLOCK = {"entities", "columns", "enums", "functions", "views", "roles", "grants", "auth", "tenancy"}
_PLACEHOLDER = "__gen_literal_{}__"
_PRINTABLE = re.compile(r"^[^\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]*$")


class _Flow(dict):
    pass


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):
        return True


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=False))
_Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=False))


def _dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10 ** 9, indent=2)


# ---------------------------------------------------------------- the direct writer
# PyYAML's emitter takes most of an import's output time. _direct writes the same text for the
# styled documents emit() makes (block mappings and sequences indented by 2, flow collections,
# one-line scalars); each scalar's text in each context is PyYAML's own, asked once and kept.
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
_SCALAR_TYPES = (str, int, float, bool, type(None))
_SHAPES = {  # context -> (document holding the scalar s, the text before and after it)
    "block_key": (lambda s: {s: 0}, "", ": 0\n"),
    "block_value": (lambda s: {"k": s}, "k: ", "\n"),
    "flow_key": (lambda s: _Flow({s: 0}), "{", ": 0}\n"),
    "flow_value": (lambda s: _Flow({"k": s}), "{k: ", "}\n"),
}
_SCALARS: dict = {}


class _Unsupported(Exception):
    """Something _direct does not write: PyYAML's emitter writes the whole document."""


def _scalar(value, context: str) -> str:
    key = (context, type(value), value)
    text = _SCALARS.get(key)
    if text is None:
        if type(value) not in _SCALAR_TYPES or (isinstance(value, str) and _BREAKS.search(value)):
            raise _Unsupported
        make, before, after = _SHAPES[context]
        out = _dump(make(value))
        if not (out.startswith(before) and out.endswith(after)):
            raise _Unsupported
        text = out[len(before):len(out) - len(after)]
        if not text or "\n" in text or text.startswith(("? ", "?\t")):
            raise _Unsupported
        if len(_SCALARS) > 100_000:
            _SCALARS.clear()
        _SCALARS[key] = text
    return text


def _flow(value) -> str:
    """A value in flow context (inside [] or {}), or a flow-styled / empty collection."""
    if isinstance(value, dict):
        return "{" + ", ".join(_scalar(k, "flow_key") + ": " + _flow(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value, "flow_value")


def _is_block(value) -> bool:
    return bool(value) and type(value) in (dict, list)


def _block_value(value, indent: int, head: str, lines: list[str]) -> None:
    """`head` (a key and ':' or a '-') followed by `value`, whose block content is at `indent`."""
    if type(value) is dict and value:
        _block_mapping(value, indent, head + " " if head.endswith("-") else None, lines, head)
    elif type(value) is list and value:
        _block_sequence(value, indent, head + " " if head.endswith("-") else None, lines, head)
    elif isinstance(value, (dict, list)):
        lines.append(head + " " + _flow(value))
    else:
        lines.append(head + " " + _scalar(value, "block_value"))


def _block_mapping(value: dict, indent: int, first: str | None, lines: list[str], head: str = "") -> None:
    """Keys at `indent`; `first`: the text the first key follows on its line (after '- '), else
    `head` ends the line before."""
    if first is None and head:
        lines.append(head)
    pad = " " * indent
    for i, (k, v) in enumerate(value.items()):
        key = _scalar(k, "block_key")
        _block_value(v, indent + 2, (first if i == 0 and first is not None else pad) + key + ":", lines)


def _block_sequence(value: list, indent: int, first: str | None, lines: list[str], head: str = "") -> None:
    if first is None and head:
        lines.append(head)
    pad = " " * indent
    for i, v in enumerate(value):
        _block_value(v, indent + 2, (first if i == 0 and first is not None else pad) + "-", lines)


def _direct(doc: dict) -> str | None:
    """_dump(doc) for a styled document, written directly; None where it cannot be."""
    if type(doc) is not dict or not doc:
        return None
    lines: list[str] = []
    try:
        _block_mapping(doc, 0, None, lines)
    except _Unsupported:
        return None
    return "\n".join(lines) + "\n"


def _has_newline(value) -> bool:
    if isinstance(value, str):
        return "\n" in value
    if isinstance(value, dict):
        return any(_has_newline(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_newline(v) for v in value)
    return False


def _styled(value, key: str | None = None, depth: int = 0):
    """Mark containers that fit on one line (and hold no multi-line text) as flow style."""
    if isinstance(value, dict):
        inner = {k: _styled(v, k, depth + 1) for k, v in value.items()}
        if depth > 0 and key not in ALWAYS_BLOCK and depth != 2 and _fits(inner):
            return _Flow(inner)
        return inner
    if isinstance(value, list):
        inner = [_styled(v, None, depth + 1) for v in value]
        if _fits(inner):
            return _FlowList(inner)
        return inner
    return value


def _fits(value) -> bool:
    if _has_newline(value) or _at_least(value) > FLOW_WIDTH:
        return False
    key = _frozen(value)
    fits = _FITS.get(key)
    if fits is None:  # the same short mapping ({type: uuid, nullable: false}) recurs on many tables
        flow = _Flow(value) if isinstance(value, dict) else _FlowList(value)
        fits = _FITS[key] = len(_dump(flow).strip()) <= FLOW_WIDTH
        if len(_FITS) > 100_000:
            _FITS.clear()
    return fits


_FITS: dict = {}


def _frozen(value):
    """A hashable stand-in that is equal exactly when two values dump to the same text."""
    if isinstance(value, dict):
        return (type(value).__name__, tuple((type(k).__name__, k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (type(value).__name__, tuple(_frozen(v) for v in value))
    return (type(value).__name__, value)


def _at_least(value) -> int:
    """A lower bound of the length of `value` in flow style: its scalars' text, a separator after
    each key and between entries, the brackets (quoting only adds to it)."""
    if isinstance(value, dict):
        return 2 * len(value) + sum(len(str(k)) + _at_least(v) for k, v in value.items())
    if isinstance(value, list):
        return 2 * len(value) + sum(_at_least(v) for v in value)
    return len(value) if isinstance(value, str) else 4 if isinstance(value, bool) else len(str(value))


def _literals(value, found: list[str]):
    """Replace multi-line mapping values (that a literal block can hold) by placeholders."""
    if isinstance(value, dict):
        return type(value)({k: _literal(v, found) if isinstance(v, str) else _literals(v, found)
                            for k, v in value.items()})
    if isinstance(value, list):
        return type(value)(_literals(v, found) for v in value)
    return value


def _literal(text: str, found: list[str]) -> str:
    if "\n" in text and _PRINTABLE.match(text):
        found.append(text)
        return _PLACEHOLDER.format(len(found) - 1)
    return text


def _literal_block(text: str, indent: int) -> str:
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    lines = body.split("\n") + [""] * (trailing - 1 if trailing > 1 else 0)
    pad = " " * indent
    return f"|2{chomp}\n" + "\n".join(pad + line if line else "" for line in lines)


def _fill(text: str, literals: list[str]) -> str:
    out = []
    for line in text.split("\n"):
        m = re.search(r"__gen_literal_(\d+)__$", line)
        if m:
            key_col = len(line) - len(line.lstrip(" -"))
            line = line[: m.start()] + _literal_block(literals[int(m.group(1))], key_col + 2)
        out.append(line)
    return "\n".join(out)


def emit(doc: dict, header: list[str]) -> str:
    """The spec text: `# ` header lines, then the document; checked by reading it back."""
    return with_header(emit_body(doc), header)


def emit_body(doc: dict) -> str:
    """The document's text without the header, checked by reading it back."""
    found: list[str] = []
    styled = _literals(_styled(doc), found)
    body = _fill(_direct(styled) or _dump(styled), found)
    if yaml.load(body, Loader=_SafeLoader) != doc:
        body = _dump(doc)                           # never trade exactness for looks
    return body


def with_header(body: str, header: list[str]) -> str:
    head = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return head + ("#\n" if header else "") + body
