"""Mermaid erDiagram text for a set of tables: entity ids and labels, type tokens Mermaid's
lexer accepts, key markers and crow's-foot cardinalities from foreign keys."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.model import DataType, Schema, Table
from generator.render import render_template
from generator.targets import erd_relations as rel
from generator.targets.escape import (
    MERMAID_ATTRIBUTE_KEYWORDS, mermaid_string, mermaid_word, shorten_text,
)

COMMENT_LIMIT = 60


@dataclass(frozen=True)
class Attribute:
    type: str
    name: str
    keys: str
    comment: str


@dataclass(frozen=True)
class Entity:
    id: str
    alias: str            # escaped label shown instead of the id, "" when the id says it
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class Relationship:
    parent: str
    card: str
    child: str
    label: str


def mermaid_type(dt: DataType) -> str:
    """A type token Mermaid accepts: one word, modifiers joined by '-', '[]' per dimension
    (Mermaid allows no spaces or commas there: numeric(10,2) -> numeric(10-2))."""
    base = rel.short_type_name(dt)
    word = re.sub(r"[^A-Za-z0-9_]+", "_", base).strip("_") or "type"
    if not re.match(r"[A-Za-z_]", word) or word.lower() in MERMAID_ATTRIBUTE_KEYWORDS:
        word = "t_" + word
    mods = f"({'-'.join(str(m) for m in dt.modifiers)})" if dt.modifiers else ""
    return word + mods + "[]" * dt.array_dims


def entity_id(table: Table) -> str:
    return mermaid_word(rel.table_label(table), "t_")


def _attribute(table: Table, col, keys: tuple[str, ...]) -> Attribute:
    name = mermaid_word(col.name, "c_", MERMAID_ATTRIBUTE_KEYWORDS)
    note = shorten_text(col.comment, COMMENT_LIMIT)
    if name != col.name:
        note = f"{col.name}: {note}" if note else col.name
    return Attribute(mermaid_type(col.type), name, ", ".join(keys), mermaid_string(note))


def _entity(schema: Schema, table: Table, keys_only: bool) -> Entity:
    return rel.graph(schema).once(("mermaid", table.key, keys_only), lambda: _make_entity(table, keys_only))


def _make_entity(table: Table, keys_only: bool) -> Entity:
    ident = entity_id(table)
    label = rel.table_label(table)
    keys = rel.column_keys(table)
    attrs = tuple(_attribute(table, c, keys[c.name]) for c in table.columns
                  if not keys_only or keys[c.name])
    return Entity(ident, "" if ident == label else mermaid_string(label), attrs)


def cardinality(edge: rel.Edge) -> str:
    """Parent side: exactly one, or zero-or-one when the FK is nullable; child side: zero or
    more, or zero-or-one when the FK columns are unique. Solid line when identifying."""
    parent = "|o" if edge.optional else "||"
    child = "o|" if edge.one_to_one else "o{"
    line = "--" if edge.identifying else ".."
    return f"{parent}{line}{child}"


def _relationship(edge: rel.Edge) -> Relationship:
    return Relationship(entity_id(edge.parent), cardinality(edge), entity_id(edge.child),
                        mermaid_string(", ".join(edge.fk.own_columns)))


def diagram_context(schema: Schema, tables: list[Table], keys_only: frozenset = frozenset(),
                    focus: Table | None = None) -> dict:
    """Entities for `tables` (plus undeclared tables they reference) and the relationships
    among them (only those of `focus` when given). Tables whose key is in `keys_only` show
    only their key columns."""
    edges = [e for e in rel.graph(schema).edges_from(tables)
             if focus is None or focus.key in (e.child.key, e.parent.key)]
    extra = [e.parent for e in edges if rel.is_external(schema, e.parent)]
    shown = list(tables) + list({t.key: t for t in extra}.values())
    shown_keys = {t.key for t in shown}
    return {
        "entities": [_entity(schema, t, t.key in keys_only) for t in shown],
        "relationships": [_relationship(e) for e in edges if e.parent.key in shown_keys],
    }


def render_mermaid(schema: Schema, tables: list[Table], override: str | None = None,
                   keys_only: frozenset = frozenset(), focus: Table | None = None) -> str:
    return render_template("erd/erd.mmd.j2", override,
                           **diagram_context(schema, tables, keys_only, focus))
