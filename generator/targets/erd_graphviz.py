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


def _node(schema: Schema, table: Table) -> Node:
    return rel.graph(schema).once(("graphviz", table.key), lambda: _make_node(schema, table))


def _make_node(schema: Schema, table: Table) -> Node:
    keys = rel.column_keys(table)
    rows = tuple(Row(f"c{i}", html_text(c.name), html_text(c.type.sql), " ".join(keys[c.name]))
                 for i, c in enumerate(table.columns))
    return Node(node_id(table), html_text(rel.table_label(table)),
                rel.is_external(schema, table), rows)


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


def dot_context(schema: Schema, tables: list[Table], title: str | None = None) -> dict:
    """Nodes (clustered by group when the schema has groups) and edges for `tables` plus
    the undeclared tables they reference."""
    edges = rel.graph(schema).edges_from(tables)
    extra = {e.parent.key: e.parent for e in edges if rel.is_external(schema, e.parent)}
    shown = list(tables) + list(extra.values())
    shown_keys = {t.key for t in shown}
    grouped = bool(rel.groups(schema))
    clusters: dict[str, list[Node]] = {}
    loose: list[Node] = []
    for t in shown:
        node = _node(schema, t)
        if grouped and not node.external:
            clusters.setdefault(rel.group_of(t), []).append(node)
        else:
            loose.append(node)
    return {
        "title": dot_string(title) if title else "",
        "clusters": [Cluster(dot_string(f"cluster_{g}"), dot_string(g), tuple(ns))
                     for g, ns in clusters.items()],
        "nodes": loose,
        "edges": [_edge(e) for e in edges if e.parent.key in shown_keys],
    }


_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)


def clean_svg(svg: str) -> str:
    """Drop XML comments (Graphviz's version banner, node names) so output depends only
    on the drawing."""
    return _COMMENT.sub("", svg)


def dot_program() -> str | None:
    return shutil.which("dot")


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
