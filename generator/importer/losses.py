"""What an import could not represent in the spec language, and how each thing is carried
instead: recorded as data, listed in the spec's header and used to explain differences."""
from __future__ import annotations

from dataclasses import dataclass

Obj = tuple[str, ...]   # ("table", schema, name), ("function", schema, name), ("extension", name), ...


@dataclass(frozen=True)
class Loss:
    obj: Obj
    part: str | None      # "column id", "index t_a_idx", ... ; None: the whole object
    what: str             # the feature the spec language lacks
    carried: str          # how it is carried: "not imported", "kept as a raw default", ...
    listed: bool = True   # False: explains differences but is not worth a header line

    def line(self) -> str:
        where = label(self.obj) + (f", {self.part}" if self.part else "")
        return f"{where}: {self.what} -> {self.carried}"


def sort_key(x) -> tuple:
    """Order for losses and differences: object, then part (whole object first), then text."""
    return (x.obj, x.part or "", str(x))


def label(obj: Obj) -> str:
    kind, *names = obj
    return f"{kind} {'.'.join(names)}" if names else kind


def explains(loss: Loss, obj: Obj, part: str | None) -> bool:
    return loss.obj == obj and (loss.part is None or loss.part == part)


def header(losses: list[Loss], width: int = 100) -> list[str]:
    """Comment lines (without '# ') listing every loss, wrapped."""
    if not any(x.listed for x in losses):
        return ["Everything found was represented in the spec language."]
    unique = sorted({x for x in losses if x.listed}, key=sort_key)
    lines = [f"Not representable in the spec language ({len(unique)}), and how each is carried:"]
    for loss in unique:
        lines += _wrap(f"- {loss.line()}", width)
    return lines


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    return out + [line]
