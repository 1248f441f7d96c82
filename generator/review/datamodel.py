"""The data model diff: a Mermaid ER diagram of the changed tables and their neighbours with
added, changed, renamed and dropped tables, columns and relations marked in their labels (so it
parses in Mermaid 10 and 11 and GitHub renders it inline), the same drawing as Graphviz DOT (for
the SVG), and each changed table's docs page as a unified diff."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from generator.diff import alter as al
from generator.diff import changes as ch
from generator.model import Schema, Table
from generator.render import render_template
from generator.targets import erd_relations as rel
from generator.targets.docs_table import page_context
from generator.targets.erd_mermaid import cardinality, entity_id, mermaid_type
from generator.targets.escape import MERMAID_ATTRIBUTE_KEYWORDS, dot_string, html_text, mermaid_string, mermaid_word

MERMAID_MAX_TEXT = 25_000       # half Mermaid's default maxTextSize (50,000): a comment stays readable
DIAGRAM_MAX_TABLES = 60         # beyond this the diagram shows the changed tables only (keys only past 2x)
SVG_MAX_TABLES = 150            # as the erd target: Graphviz takes long to lay out more
MARKS = {"added": "+", "changed": "~", "dropped": "-", "renamed": "»"}
COLORS = {"added": "#d9f2d9", "changed": "#fff1c2", "dropped": "#f8d0d0", "renamed": "#e3dcf5", "": "#eeeeee"}


@dataclass
class TableMark:
    state: str = ""                                   # added | changed | dropped | renamed | "" (neighbour)
    note: str = ""                                    # e.g. "from old_name"
    columns: dict[str, str] = field(default_factory=dict)   # column -> added | changed: … | renamed from … | dropped


@dataclass
class DocsDiff:
    table: str
    state: str                                        # added | changed | dropped
    diff: str                                         # unified diff (or the new page)
    lines: int


@dataclass
class DataModelDiff:
    mermaid: str | None                               # None: nothing changed, or too large to draw
    dot: str | None
    shown: int                                        # tables in the diagram
    note: str = ""
    docs: list[DocsDiff] = field(default_factory=list)


def marks(changes: list[ch.Change], base: Schema, head: Schema) -> dict[tuple[str, str], TableMark]:
    """HEAD table key (or BASE key for a dropped table) -> what happened to it and its columns."""
    out: dict[tuple[str, str], TableMark] = {}

    def mark(t: Table) -> TableMark:
        here = head.table(t.name, t.schema)
        return out.setdefault(here.key if here else t.key, TableMark("changed"))

    for c in changes:
        if isinstance(c, ch.AddTable):
            out[c.table.key] = TableMark("added")
        elif isinstance(c, ch.DropTable):
            out[c.table.key] = TableMark("dropped")
    for c in changes:
        t = getattr(c, "table", None)
        if isinstance(c, al.RenameTable):
            m = out.setdefault(c.new.key, TableMark())
            m.state, m.note = "renamed", f"from {c.old.name}"
        elif isinstance(t, Table) and out.get(t.key, TableMark()).state not in ("added", "dropped"):
            m = mark(t)
            if isinstance(c, al.AddColumn):
                m.columns[c.column.name] = "added"
            elif isinstance(c, al.DropColumn):
                m.columns[c.column.name] = "dropped"
            elif isinstance(c, al.RenameColumn):
                m.columns[c.new] = f"renamed from {c.old}"
            elif isinstance(c, al.AlterColumn):
                m.columns.setdefault(c.new.name, "changed: " + ", ".join(sorted(c.what)))
    return out


def build(changes: list[ch.Change], base: Schema, head: Schema) -> DataModelDiff:
    m = marks(changes, base, head)
    if not m:
        return DataModelDiff(None, None, 0)
    changed = [t for t in head.tables if t.key in m]
    dropped = [t for t in base.tables if m.get(t.key, TableMark()).state == "dropped"]
    near: list[Table] = []
    note = ""
    if len(changed) + len(dropped) <= DIAGRAM_MAX_TABLES:
        keys = {t.key for t in changed}
        for t in changed:
            near += [n for n in rel.neighbours(head, t) if n.key not in keys and n not in near]
    else:
        note = f"{len(changed) + len(dropped)} tables changed: the diagram leaves out their neighbours"
    keys_only = len(changed) + len(dropped) > 2 * DIAGRAM_MAX_TABLES
    shown = len(changed) + len(near) + len(dropped)
    dot = _dot(head, base, changed, near, dropped, m) if shown <= SVG_MAX_TABLES else None
    mermaid = _mermaid(head, base, changed, near, dropped, m, keys_only)
    if len(mermaid) > MERMAID_MAX_TEXT:
        mermaid = _mermaid(head, base, changed, [], dropped, m, True)
        note = "the diagram shows the changed tables' key columns only (Mermaid's size limit)"
        shown = len(changed) + len(dropped)
    if len(mermaid) > MERMAID_MAX_TEXT:
        mermaid, note = None, f"{len(changed) + len(dropped)} tables changed: too large to draw inline" + \
            (" (see the SVG)" if dot else "")
    return DataModelDiff(mermaid, dot, shown if mermaid else 0, note, docs(changes, base, head, m))


# ---------------------------------------------------------------- Mermaid

def _attr_name(name: str) -> str:
    return mermaid_word(name, "c_", MERMAID_ATTRIBUTE_KEYWORDS)


def _entity_lines(t: Table, mark: TableMark | None, base_t: Table | None, keys_only: bool, ident: str) -> list[str]:
    keys = rel.column_keys(t)
    label = rel.table_label(t)
    state = mark.state if mark else ""
    title = f"{MARKS[state]} {label} ({state}{', ' + mark.note if mark and mark.note else ''})" if state else label
    lines = [f'  {ident}["{mermaid_string(title)}"] {{']
    cols = list(t.columns)
    for col in cols:
        what = (mark.columns.get(col.name) if mark else None) or ""
        if keys_only and not keys[col.name] and not what:
            continue
        lines.append(_attr(col.name, col.type, keys[col.name], what, col.comment))
    if mark and base_t is not None:
        for name, what in mark.columns.items():
            old = base_t.column(name)
            if what == "dropped" and old is not None:
                lines.append(_attr(name, old.type, (), "dropped", None))
    if len(lines) == 1:
        return [f'  {ident}["{mermaid_string(title)}"]']
    return lines + ["  }"]


def _attr(name: str, dt, keys, what: str, comment: str | None) -> str:
    tag = f"{MARKS[what.split(':')[0].split(' ')[0]]} {what}" if what else ""
    text = tag or (comment or "")
    if _attr_name(name) != name:
        text = f"{name}: {text}" if text else name
    key = f" {', '.join(keys)}" if keys else ""
    return f"    {mermaid_type(dt)} {_attr_name(name)}{key}" + (f' "{mermaid_string(text[:80])}"' if text else "")


def _mermaid(head: Schema, base: Schema, changed, near, dropped, m, keys_only: bool) -> str:
    lines = ["erDiagram"]
    ids: dict[tuple[str, str], str] = {}
    for t in changed + near:
        ids[t.key] = entity_id(t)
        mark = m.get(t.key)
        base_t = base.table(t.name, t.schema) or _renamed(base, mark, t)
        lines += _entity_lines(t, mark, base_t, keys_only or mark is None, ids[t.key])
    for t in dropped:
        ident = entity_id(t)
        ident = ident + "_dropped" if ident in ids.values() else ident
        ids[("dropped",) + t.key] = ident
        lines += _entity_lines(t, TableMark("dropped"), None, True, ident)
    lines += _relationships(head, base, changed + near, dropped, ids)
    return "\n".join(lines) + "\n"


def _renamed(base: Schema, mark: TableMark | None, t: Table) -> Table | None:
    if mark and mark.state == "renamed" and mark.note.startswith("from "):
        return base.table(mark.note[5:], t.schema)
    return None


def _relationships(head: Schema, base: Schema, shown: list[Table], dropped: list[Table], ids: dict) -> list[str]:
    out = []
    shown_keys = {t.key for t in shown}
    head_fks = {(t.key, fk.name) for t in head.tables for fk in t.foreign_keys}
    base_fks = {}
    for t in base.tables:
        for fk in t.foreign_keys:
            base_fks[(t.key, fk.name)] = (t, fk)
    for e in rel.graph(head).edges_from(shown):
        if e.parent.key not in shown_keys:
            continue
        new = (e.child.key, e.fk.name) not in base_fks and base.table(e.child.name, e.child.schema) is not None
        label = ", ".join(e.fk.own_columns) + (" (+ added)" if new else "")
        out.append(f'  {ids[e.parent.key]} {cardinality(e)} {ids[e.child.key]} : "{mermaid_string(label)}"')
    dropped_keys = {t.key for t in dropped}
    for (tkey, name), (t, fk) in base_fks.items():
        if (tkey, name) in head_fks and tkey not in dropped_keys:
            continue
        child = ids.get(("dropped",) + tkey) if tkey in dropped_keys else ids.get(tkey)
        pkey = (fk.ref_schema, fk.ref_table)
        parent = ids.get(("dropped",) + pkey) if pkey in dropped_keys else ids.get(pkey)
        if child and parent:
            out.append(f'  {parent} |o..o{{ {child} : "{mermaid_string(", ".join(fk.own_columns) + " (- dropped)")}"')
    return out


# ---------------------------------------------------------------- Graphviz (for the SVG)

def _dot(head: Schema, base: Schema, changed, near, dropped, m) -> str:
    lines = ["digraph review {", '  graph [rankdir=LR, fontname="DejaVu Sans", fontsize=12, nodesep=0.4, ranksep=1.0];',
             '  node [shape=plaintext, fontname="DejaVu Sans", fontsize=11];',
             '  edge [color="#555555", arrowsize=0.8];']
    for t, state in [(t, m.get(t.key, TableMark()).state) for t in changed + near] + [(t, "dropped") for t in dropped]:
        mark = m.get(t.key) if state != "dropped" else TableMark("dropped")
        rows = []
        for col in t.columns:
            what = (mark.columns.get(col.name) if mark else "") or ""
            if not what and not rel.column_keys(t)[col.name] and mark is None:
                continue
            color = COLORS.get(what.split(":")[0].split(" ")[0], "#ffffff") if what else "#ffffff"
            rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{color}">{html_text(col.name)}</TD>'
                        f'<TD ALIGN="LEFT">{html_text(col.type.sql)}</TD><TD ALIGN="LEFT">{html_text(what)}</TD></TR>')
        base_t = base.table(t.name, t.schema) or _renamed(base, mark, t) if state not in ("", "dropped") else None
        for name, what in (mark.columns.items() if mark and base_t is not None else ()):
            old = base_t.column(name)
            if what == "dropped" and old is not None:
                rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{COLORS["dropped"]}"><S>{html_text(name)}</S></TD>'
                            f'<TD ALIGN="LEFT">{html_text(old.type.sql)}</TD><TD ALIGN="LEFT">dropped</TD></TR>')
        title = rel.table_label(t) + (f" ({state})" if state else "")
        node = dot_string(("dropped:" if state == "dropped" else "") + rel.table_label(t))
        style = ' STYLE="dashed"' if state == "dropped" else ""
        lines.append(f'  {node} [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"{style}>'
                     f'<TR><TD COLSPAN="3" BGCOLOR="{COLORS[state]}"><B>{html_text(title)}</B></TD></TR>'
                     + "".join(rows) + "</TABLE>>];")
    shown = {t.key for t in changed + near}
    for e in rel.graph(head).edges_from(changed + near):
        if e.parent.key in shown:
            lines.append(f"  {dot_string(rel.table_label(e.child))} -> {dot_string(rel.table_label(e.parent))} "
                         f"[tooltip={dot_string(e.fk.name)}];")
    return "\n".join(lines) + "\n}\n"


# ---------------------------------------------------------------- docs pages

DOCS_MAX_LINES = 80             # diff lines shown per table


def _page(schema: Schema, t: Table) -> list[str]:
    text = render_template("docs/table.md.j2", None, index_link="../README.md", **page_context(schema, t, None))
    return text.rstrip("\n").splitlines()


def docs(changes: list[ch.Change], base: Schema, head: Schema, m: dict) -> list[DocsDiff]:
    """Each marked table's page before and after (all of BASE's pages first, then HEAD's: the
    docs code keeps one schema's relations at a time)."""
    pairs = []
    for key, mark in m.items():
        t = head.table(key[1], key[0]) if mark.state != "dropped" else None
        old = base.table(t.name, t.schema) or _renamed(base, mark, t) if t is not None else None
        pairs.append((key, mark, t, old))
    before = {key: _page(base, old) for key, _, _, old in pairs if old is not None}
    after = {key: _page(head, t) for key, _, t, _ in pairs if t is not None}
    out = []
    for key, mark, t, old in pairs:
        if mark.state == "dropped":
            out.append(DocsDiff(rel.display_name(*key), "dropped", "", 0))
        elif t is None:
            continue
        elif old is None:
            out.append(DocsDiff(rel.table_label(t), "added", "\n".join(after[key]), len(after[key])))
        else:
            diff = list(difflib.unified_diff(before[key], after[key], f"a/{page_file(old)}", f"b/{page_file(t)}",
                                             n=1, lineterm=""))
            if diff:
                out.append(DocsDiff(rel.table_label(t), "changed", "\n".join(diff), len(diff)))
    return out


def page_file(t: Table) -> str:
    from generator.targets.docs_table import page_name
    return f"docs/tables/{page_name(t)}"

