"""Differences between two normalized schemas (a database and a spec, or two databases), per
object and part, so each one can be reported and matched against the losses of an import."""
from __future__ import annotations

from dataclasses import dataclass, fields

from generator.model import Schema, Table


@dataclass(frozen=True)
class Difference:
    obj: tuple[str, ...]
    part: str | None
    detail: str

    def line(self) -> str:
        from generator.importer.losses import label
        return f"{label(self.obj)}{', ' + self.part if self.part else ''}: {self.detail}"


def differences(a: Schema, b: Schema, labels: tuple[str, str] = ("database", "spec")) -> list[Difference]:
    """Everything that differs between normalized schemas `a` and `b`."""
    out: list[Difference] = []
    out += _named(("extension",), a.extensions, b.extensions, lambda e: (e.name,), labels)
    out += _named(("schema",), [(s,) for s in a.schemas], [(s,) for s in b.schemas], lambda s: s, labels)
    out += _named(("enum",), a.enums, b.enums, lambda e: e.key, labels)
    out += _named(("function",), a.functions, b.functions, lambda f: f.key[:2], labels, many=True)
    out += _named(("view",), a.views, b.views, lambda v: v.key, labels)
    for kind, attr in (("sequence", "sequences"), ("collation", "collations"), ("domain", "domains"),
                       ("type", "composites"), ("range", "ranges"), ("aggregate", "aggregates")):
        out += _named((kind,), getattr(a, attr), getattr(b, attr), lambda x: x.key, labels)
    out += _named(("schema",), a.namespaces, b.namespaces, lambda n: (n.name,), labels)
    tb = {t.key: t for t in b.tables}
    ta = {t.key: t for t in a.tables}
    for key in sorted(set(ta) | set(tb)):
        obj = ("table",) + key
        if key not in tb:
            out.append(Difference(obj, None, f"only in the {labels[0]}"))
        elif key not in ta:
            out.append(Difference(obj, None, f"only in the {labels[1]}"))
        else:
            out += table_differences(obj, ta[key], tb[key], labels)
    from generator.importer.losses import sort_key
    return sorted(set(out), key=sort_key)


def _named(kind, xs, ys, key, labels, many: bool = False) -> list[Difference]:
    out = []
    ax, bx = _group(xs, key), _group(ys, key)
    for k in sorted(set(ax) | set(bx)):
        obj = kind + tuple(k)
        if k not in bx:
            out.append(Difference(obj, None, f"only in the {labels[0]}"))
        elif k not in ax:
            out.append(Difference(obj, None, f"only in the {labels[1]}"))
        elif ax[k] != bx[k]:
            detail = _fields(ax[k][0], bx[k][0]) if len(ax[k]) == len(bx[k]) == 1 else "overloads differ"
            out.append(Difference(obj, None, detail))
    return out


def _group(items, key) -> dict:
    out: dict = {}
    for x in items:
        out.setdefault(key(x), []).append(x)
    return {k: sorted(v, key=repr) for k, v in out.items()}


def _fields(x, y) -> str:
    """`field: a != b` for each compared field that differs (values shortened)."""
    parts = []
    for f in fields(x):
        if f.compare and getattr(x, f.name) != getattr(y, f.name):
            parts.append(f"{f.name}: {_short(getattr(x, f.name))} != {_short(getattr(y, f.name))}")
    return "; ".join(parts) or "differs"


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 120 else text[:117] + "..."


_PARTS = (("foreign key", "foreign_keys"), ("unique", "uniques"), ("check", "checks"), ("index", "indexes"),
          ("policy", "policies"), ("trigger", "triggers"), ("exclusion", "exclusions"))
_PROPERTIES = ("unlogged", "options", "partition_by", "partition_of", "partition_bound", "inherits", "cluster_on",
               "replica_identity", "publications")


def table_differences(obj, a: Table, b: Table, labels=("database", "spec")) -> list[Difference]:
    out = []
    if a.comment != b.comment:
        out.append(Difference(obj, "comment", f"{_short(a.comment)} != {_short(b.comment)}"))
    if (a.rls_enabled, a.rls_forced) != (b.rls_enabled, b.rls_forced):
        out.append(Difference(obj, "rls", f"enabled/forced {a.rls_enabled}/{a.rls_forced} != "
                                          f"{b.rls_enabled}/{b.rls_forced}"))
    for p in _PROPERTIES:
        if getattr(a, p) != getattr(b, p):
            out.append(Difference(obj, p.replace("_", " "), f"{_short(getattr(a, p))} != {_short(getattr(b, p))}"))
    out += _columns(obj, a, b, labels)
    if a.primary_key != b.primary_key:
        out.append(Difference(obj, "primary key", f"{_short(a.primary_key)} != {_short(b.primary_key)}"))
    for word, attr in _PARTS:
        out += _parts(obj, word, getattr(a, attr), getattr(b, attr), lambda x: x.name, labels)
    out += _parts(obj, "grant", a.grants, b.grants, lambda g: g.role, labels)
    return out


def _columns(obj, a: Table, b: Table, labels) -> list[Difference]:
    out = _parts(obj, "column", a.columns, b.columns, lambda c: c.name, labels)
    common_a = [c.name for c in a.columns if b.column(c.name)]
    common_b = [c.name for c in b.columns if a.column(c.name)]
    if common_a != common_b:
        out.append(Difference(obj, "column order", f"{common_a} != {common_b}"))
    return out


def _parts(obj, word, xs, ys, key, labels) -> list[Difference]:
    out = []
    ax, bx = {key(x): x for x in xs}, {key(y): y for y in ys}
    for k in sorted(set(ax) | set(bx)):
        part = f"{word} {k}"
        if k not in bx:
            out.append(Difference(obj, part, f"only in the {labels[0]}"))
        elif k not in ax:
            out.append(Difference(obj, part, f"only in the {labels[1]}"))
        elif ax[k] != bx[k]:
            out.append(Difference(obj, part, _fields(ax[k], bx[k])))
    return out


def unexplained(diffs: list[Difference], losses) -> list[Difference]:
    """Differences no loss accounts for (same object, and the same part unless the loss is whole)."""
    from generator.importer.losses import explains
    return [d for d in diffs if not any(explains(loss, d.obj, d.part) for loss in losses)]
