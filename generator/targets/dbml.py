"""Target `dbml`: schema.dbml for dbdiagram.io and the DBML tool family: project, enums,
tables with column settings, indexes, table groups and Ref lines with their actions."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.model import Column, Enum, Index, Schema, Table
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets import erd_relations as rel
from generator.targets.escape import dbml_expression, dbml_name, dbml_string, one_line

DBML_INDEX_TYPES = {"btree", "hash", "gist", "gin", "spgist", "brin"}
_BARE_TYPE = re.compile(r"[A-Za-z0-9_]+(\(\d+(,\d+)*\))?|[A-Za-z0-9_]+\[\]")


@dataclass(frozen=True)
class Line:
    """One DBML element: a head (name and type, or index subject) and its [settings]."""

    head: str
    settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableBlock:
    name: str
    settings: tuple[str, ...]
    columns: tuple[Line, ...]
    indexes: tuple[Line, ...]


def qualified_name(schema: str, name: str) -> str:
    return dbml_name(name) if schema == "public" else f"{dbml_name(schema)}.{dbml_name(name)}"


def column_type(col: Column) -> str:
    dt = col.type
    if dt.enum:
        return qualified_name(dt.schema or "public", dt.base) + "[]" * dt.array_dims
    text = rel.short_type(dt)
    return text if _BARE_TYPE.fullmatch(text) else '"' + text.replace('"', "'") + '"'


def _column_note(col: Column, default_lost: bool) -> str | None:
    parts = [col.comment] if col.comment else []
    if col.generated:
        parts.append(f"generated always as ({col.generated}) stored")
    if default_lost:
        parts.append(f"default: {col.default}")
    return "\n".join(parts) or None


def _column(table: Table, col: Column) -> Line:
    pk = table.primary_key.columns if table.primary_key else ()
    settings = []
    if pk == (col.name,):
        settings.append("pk")
    if col.identity:
        settings.append("increment")
    if not col.nullable:
        settings.append("not null")
    if any(u.columns == (col.name,) for u in table.uniques):
        settings.append("unique")
    default = dbml_expression(col.default) if col.default else None
    if default:
        settings.append(f"default: {default}")
    note = _column_note(col, bool(col.default) and default is None)
    if note:
        settings.append(f"note: {dbml_string(note)}")
    return Line(f"{dbml_name(col.name)} {column_type(col)}", tuple(settings))


def _subject(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def _index_note(ix: Index) -> str | None:
    parts = []
    if ix.method not in DBML_INDEX_TYPES:
        parts.append(f"using {ix.method}")
    for e in ix.elements:
        extra = " ".join(x for x in (e.opclass, "DESC" if e.descending else None,
                                      f"NULLS {e.nulls.upper()}" if e.nulls else None) if x)
        if extra:
            parts.append(f"{e.column or e.expression} {extra}")
    if ix.include:
        parts.append("include (" + ", ".join(ix.include) + ")")
    if ix.params:
        parts.append("with (" + ", ".join(f"{k} = {v}" for k, v in ix.params) + ")")
    if ix.where:
        parts.append(f"where {ix.where}")
    if ix.comment:
        parts.append(ix.comment)
    return "; ".join(parts) or None


def _index(ix: Index) -> Line | None:
    subjects = [dbml_name(e.column) if e.column else dbml_expression(e.expression or "")
                for e in ix.elements]
    if not subjects or None in subjects:
        return None     # an expression holding a backtick cannot be written in DBML
    settings = [f"name: {dbml_string(ix.name)}"]
    if ix.unique:
        settings.append("unique")
    if ix.method in DBML_INDEX_TYPES and ix.method != "btree":     # btree is DBML's default
        settings.append(f"type: {ix.method}")
    note = _index_note(ix)
    if note:
        settings.append(f"note: {dbml_string(note)}")
    return Line(_subject(subjects), tuple(settings))


def _key_lines(table: Table) -> list[Line]:
    out = []
    pk = table.primary_key
    if pk and len(pk.columns) > 1:
        out.append(Line(_subject([dbml_name(c) for c in pk.columns]),
                        ("pk", f"name: {dbml_string(pk.name)}")))
    for u in table.uniques:
        if len(u.columns) > 1:
            out.append(Line(_subject([dbml_name(c) for c in u.columns]),
                            ("unique", f"name: {dbml_string(u.name)}")))
    return out


def _table_note(table: Table) -> str | None:
    parts = [table.comment] if table.comment else []
    parts += [f"check {c.name}: {c.expression}" for c in table.checks]
    return "\n".join(parts) or None


def table_block(table: Table) -> TableBlock:
    note = _table_note(table)
    indexes = _key_lines(table) + [line for ix in table.indexes if (line := _index(ix))]
    return TableBlock(qualified_name(table.schema, table.name),
                      (f"note: {dbml_string(note)}",) if note else (),
                      tuple(_column(table, c) for c in table.columns), tuple(indexes))


@dataclass(frozen=True)
class EnumBlock:
    name: str
    values: tuple[str, ...]
    comment: str          # one line, written as a // comment (DBML enums take no note)


def enum_block(enum: Enum) -> EnumBlock:
    return EnumBlock(qualified_name(enum.schema, enum.name), tuple(dbml_name(v) for v in enum.values),
                     one_line(enum.comment))


def _ref_end(table: Table, columns: tuple[str, ...]) -> str:
    return f"{qualified_name(table.schema, table.name)}.{_subject([dbml_name(c) for c in columns])}"


def ref_line(edge: rel.Edge) -> str:
    """`Ref name: child.(cols) > parent.(cols) [delete: ..., update: ...]`; '-' for one-to-one."""
    fk = edge.fk
    child = _ref_end(edge.child, fk.columns)
    parent = _ref_end(edge.parent, fk.ref_columns)
    kind = "-" if edge.one_to_one else ">"
    actions = f"[delete: {fk.on_delete.lower()}, update: {fk.on_update.lower()}]"
    return f"Ref {dbml_name(fk.name)}: {child} {kind} {parent} {actions}"


def dbml_context(schema: Schema) -> dict:
    tables = list(schema.tables) + rel.external_tables(schema)
    return {
        "project": dbml_name(schema.name),
        "project_note": dbml_string(schema.description) if schema.description else "",
        "enums": [enum_block(e) for e in schema.enums],
        "tables": [table_block(t) for t in tables],
        "groups": [(dbml_name(g), [qualified_name(t.schema, t.name) for t in members])
                   for g, members in rel.groups(schema).items()],
        "refs": [ref_line(e) for e in rel.all_edges(schema)],
    }


@register("dbml")
def render(ctx: BuildContext) -> list[Artifact]:
    text = render_template("dbml/schema.dbml.j2", ctx.templates, **dbml_context(ctx.schema))
    return [Artifact("schema.dbml", text)]
