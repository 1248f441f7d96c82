"""Graphviz ER diagrams: DOT text with HTML-like table nodes, FK edges from column port to
column port, clusters per group; and SVG made by the `dot` program, stripped of anything
that varies between runs or machines' Graphviz versions."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic, GenError
from generator.model import Schema, Table
from generator.targets import erd_relations as rel
from generator.targets.escape import dot_string, html_text

DOT_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Row:
    port: str
    name: str
    type: str
    keys: str


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    external: bool
    rows: tuple[Row, ...]
    note: str = ""          # e.g. "(external)" or "(in billing)" beside the title
    faded: bool = False     # drawn grey: external, or a neighbour from another group


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Edge:
    child: str
    child_port: str
    parent: str
    parent_port: str
    tail: str
    head: str
    tooltip: str


def node_id(table: Table) -> str:
    return dot_string(rel.table_label(table))


def _port(table: Table, column: str, side: str) -> str:
    """The port of a column's row: its left cell ("w") or right cell ("e"), with compass."""
    for i, col in enumerate(table.columns):
        if col.name == column:
            return f'"c{i}{side}":{side}'
    return f'"title":{side}'


def _node(schema: Schema, table: Table, shape: str = "full") -> Node:
    """shape: full (every column), keys (primary and unique key columns: a neighbour from
    another group) or title (the overview)."""
    return rel.graph(schema).once(("graphviz", shape, table.key), lambda: _make_node(schema, table, shape))


def _make_node(schema: Schema, table: Table, shape: str) -> Node:
    keys = rel.column_keys(table)
    external = rel.is_external(schema, table)
    shown = [(i, c) for i, c in enumerate(table.columns)
             if shape == "full" or (shape == "keys" and {"PK", "UK"} & set(keys[c.name]))]
    rows = tuple(Row(f"c{i}", html_text(c.name), html_text(rel.short_type(c.type)), " ".join(keys[c.name]))
                 for i, c in shown)
    note = "(external)" if external else (f"(in {html_text(rel.group_of(table))})" if shape == "keys" else "")
    title = rel.table_label(table)
    if shape == "title" and not external:
        title = short_label(table)
    return Node(node_id(table), html_text(title), external, rows, note, external or shape == "keys")


def short_label(table: Table) -> str:
    """The overview names a table by its entity when the table name is a prefix + the entity."""
    entity = table.meta.entity
    if entity and table.name != entity and table.name.endswith(entity) and table.schema == "public":
        return entity
    return rel.table_label(table)


def prefix_note(tables: list[Table]) -> str:
    prefixes = sorted({t.name[: len(t.name) - len(short_label(t))] for t in tables
                       if short_label(t) != rel.table_label(t)})
    return f" (table names: {', '.join(p + '<entity>' for p in prefixes)})" if prefixes else ""


def arrows(edge: rel.Edge) -> tuple[str, str]:
    """Crow's-foot ends (child end, parent end): zero-or-many or zero-or-one at the child;
    exactly one, or zero-or-one when the FK is nullable, at the parent."""
    tail = "teeodot" if edge.one_to_one else "crowodot"
    head = "teeodot" if edge.optional else "teetee"
    return tail, head


def _edge(edge: rel.Edge) -> Edge:
    tail, head = arrows(edge)
    fk = edge.fk
    tip = (f"{fk.name}: ({', '.join(fk.columns)}) -> "
           f"{rel.table_label(edge.parent)}({', '.join(fk.ref_columns)})")
    first = len(fk.columns) - len(fk.own_columns)       # past the scope columns it carries along
    return Edge(node_id(edge.child), _port(edge.child, fk.columns[first], "e"), node_id(edge.parent),
                _port(edge.parent, fk.ref_columns[first], "w"), tail, head, dot_string(tip))


def dot_context(schema: Schema, tables: list[Table], title: str | None = None,
                neighbours: frozenset = frozenset(), overview: bool = False, rankdir: str = "LR") -> dict:
    """Nodes (clustered by group when the schema has groups) and edges for `tables` plus
    the undeclared tables they reference. Tables in `neighbours` (keys) are drawn with their key
    columns only and outside the clusters (a group diagram's links to other groups); the overview
    draws titles only, one edge per pair of tables."""
    edges = rel.graph(schema).edges_from(tables)
    extra = {e.parent.key: e.parent for e in edges if rel.is_external(schema, e.parent)}
    shown = list(tables) + list(extra.values())
    shown_keys = {t.key for t in shown}
    grouped = bool(rel.groups(schema)) and not neighbours
    clusters: dict[str, list[Node]] = {}
    loose: list[Node] = []
    for t in shown:
        node = _node(schema, t, "title" if overview else "keys" if t.key in neighbours else "full")
        if grouped and not node.external:
            clusters.setdefault(rel.group_of(t), []).append(node)
        else:
            loose.append(node)
    drawn = [e for e in edges if e.parent.key in shown_keys and e.child.key not in neighbours]
    return {
        "title": dot_string(title) if title else "",
        "overview": overview,
        "rankdir": rankdir,
        "clusters": [Cluster(dot_string(f"cluster_{g}"), dot_string(g), tuple(ns))
                     for g, ns in clusters.items()],
        "nodes": loose,
        "edges": _overview_edges(drawn) if overview else [_edge(e) for e in drawn],
    }


def _overview_edges(edges: list[rel.Edge]) -> list[Edge]:
    """One plain edge per (child, parent) pair, title to title."""
    seen, out = set(), []
    for e in edges:
        pair = (e.child.key, e.parent.key)
        if pair in seen:
            continue
        seen.add(pair)
        tail, head = arrows(e)
        out.append(Edge(node_id(e.child), "", node_id(e.parent), "", tail, head,
                        dot_string(f"{rel.table_label(e.child)} -> {rel.table_label(e.parent)}")))
    return out


_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)


def clean_svg(svg: str) -> str:
    """Drop XML comments (Graphviz's version banner, node names) so output depends only
    on the drawing."""
    return _COMMENT.sub("", svg)


def dot_program() -> str | None:
    return shutil.which("dot")


_WIDTH = re.compile(r'<svg width="([0-9.]+)pt"')


def svg_width(svg: str) -> float:
    """The drawing's width in points, as Graphviz wrote it."""
    m = _WIDTH.search(svg)
    return float(m.group(1)) if m else 0.0


def render_svg(dot_text: str, program: str) -> str:
    """Run `dot -Tsvg`; a failure is an environment error naming Graphviz's complaint."""
    proc = subprocess.run([program, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                          timeout=DOT_TIMEOUT_SECONDS, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"
        raise GenError([Diagnostic("GV001", f"Graphviz could not draw the ER diagram: {detail}",
                                   name="erd", hint="check the Graphviz install (`dot -V`)")],
                       exit_code=EXIT_ENVIRONMENT)
    return clean_svg(proc.stdout.decode("utf-8"))
