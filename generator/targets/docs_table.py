"""One Markdown page per table for the `docs` target: columns, keys, foreign keys out and in,
constraints, indexes, triggers, policies in plain words and a diagram of its neighbours.
Every value handed to the template is already escaped for Markdown."""
from __future__ import annotations

from generator.model import Column, Index, Schema, Table
from generator.targets import erd_relations as rel
from generator.targets import docs_rls as rls_words
from generator.targets.escape import md_code, md_link, md_paragraphs, md_text, slug
from generator.targets.erd_mermaid import render_mermaid


def page_name(table: Table) -> str:
    """File name of a table's page inside docs/tables/."""
    return slug(rel.table_label(table)) + ".md"


def table_link(schema: Schema, table: Table, prefix: str = "") -> str:
    """A link to the table's page, or its name in code when the spec does not declare it."""
    if rel.is_external(schema, table):
        return md_code(rel.table_label(table))
    return md_link(md_text(rel.table_label(table)), prefix + page_name(table))


def codes(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(md_code(n) for n in names)


def _default(col: Column) -> str:
    if col.identity:
        return f"identity ({md_text(col.identity)})"
    if col.generated:
        return "generated: " + md_code(col.generated)
    return md_code(col.default) if col.default else ""


def _key_cell(schema: Schema, table: Table, col: Column, keys: tuple[str, ...],
              parents: dict[str, rel.Edge]) -> str:
    parts = [k for k in keys if k != "FK"]
    edge = parents.get(col.name)
    if edge is not None:
        ref_col = edge.fk.ref_columns[edge.fk.columns.index(col.name)]
        parts.append(f"FK → {table_link(schema, edge.parent)}.{md_code(ref_col)}")
    return " ".join(parts)


def column_rows(schema: Schema, table: Table, edges: list[rel.Edge]) -> list[list[str]]:
    keys = rel.column_keys(table)
    parents = {c: e for e in edges for c in e.fk.own_columns}
    return [[md_code(c.name), md_code(c.type.sql), "yes" if c.nullable else "no", _default(c),
             _key_cell(schema, table, c, keys[c.name], parents), md_text(c.comment)]
            for c in table.columns]


def fk_out_rows(schema: Schema, edges: list[rel.Edge]) -> list[list[str]]:
    return [[md_code(e.fk.name), codes(e.fk.columns),
             f"{table_link(schema, e.parent)} ({codes(e.fk.ref_columns)})",
             md_text(e.fk.on_delete), md_text(e.fk.on_update),
             "one-to-one" if e.one_to_one else "many-to-one"]
            for e in edges]


def fk_in_rows(schema: Schema, table: Table) -> list[list[str]]:
    return [[table_link(schema, child), md_code(fk.name), codes(fk.columns), codes(fk.ref_columns),
             md_text(fk.on_delete)]
            for child, fk in schema.referencing(table)]


def _index_columns(ix: Index) -> str:
    parts = []
    for e in ix.elements:
        text = e.column or f"({e.expression})"
        extra = " ".join(x for x in (e.opclass, "DESC" if e.descending else None,
                                      f"NULLS {e.nulls.upper()}" if e.nulls else None) if x)
        parts.append(md_code(f"{text} {extra}" if extra else text))
    return ", ".join(parts)


def index_rows(table: Table) -> list[list[str]]:
    return [[md_code(ix.name), md_text(ix.method), _index_columns(ix), "yes" if ix.unique else "",
             md_code(ix.where) if ix.where else "",
             md_text(", ".join(f"{k}={v}" for k, v in ix.params)), md_text(ix.comment)]
            for ix in table.indexes]


def trigger_rows(table: Table) -> list[list[str]]:
    return [[md_code(t.name), md_text(t.timing), md_text(" OR ".join(t.events)),
             md_text(f"for each {t.level.lower()}"), md_code(t.function),
             md_code(t.when) if t.when else ""]
            for t in table.triggers]


def policy_items(schema: Schema, table: Table) -> list[dict]:
    out = []
    for p in table.policies:
        r = rls_words.rule(p, table, schema)
        out.append({
            "name": md_code(p.name, cell=False),
            "meta": md_text(", ".join(x for x in (p.command, f"preset {p.preset}" if p.preset else "",
                                                   "permissive" if p.permissive else "restrictive") if x)),
            "sentence": rls_words.sentence(r, md_text, lambda sql: md_code(sql, cell=False)),
            "description": md_text(p.description),
            "using": md_code(p.using, cell=False) if p.using else "",
            "check": md_code(p.check, cell=False) if p.check else "",
        })
    return out


def facts(table: Table) -> list[list[str]]:
    meta = table.meta
    rls = ("enabled, forced" if table.rls_forced else "enabled") if table.rls_enabled else "off"
    rows = [["schema", md_code(table.schema)], ["row-level security", rls]]
    if table.primary_key:
        pk = table.primary_key
        rows.append(["primary key", f"{md_code(pk.name)} ({codes(pk.columns)})"])
    for label, value in (("group", meta.group), ("tenant column", meta.tenant_column),
                         ("owner column", meta.owner_column), ("soft delete column", meta.soft_delete_column),
                         ("version column", meta.version_column), ("touched on update", meta.touch_column)):
        if value:
            rows.append([label, md_code(value) if label != "group" else md_text(value)])
    if meta.join_table:
        rows.append(["kind", "join table of a many-to-many relation"])
    if table.publications:
        rows.append(["published to", f"{codes(table.publications)} (replica identity {table.replica_identity})"])
    return rows


def page_context(schema: Schema, table: Table, override: str | None) -> dict:
    edges = list(rel.graph(schema).outgoing.get(table.key, ()))
    near = rel.neighbours(schema, table)
    diagram = render_mermaid(schema, [table] + near, override, frozenset(t.key for t in near), table)
    return {
        "title": md_text(rel.table_label(table)),
        "description": md_paragraphs(table.comment),
        "facts": facts(table),
        "columns": column_rows(schema, table, edges),
        "fk_out": fk_out_rows(schema, edges),
        "fk_in": fk_in_rows(schema, table),
        "uniques": [[md_code(u.name), codes(u.columns), "yes" if u.nulls_not_distinct else ""]
                    for u in table.uniques],
        "checks": [[md_code(c.name), md_code(c.expression)] for c in table.checks],
        "indexes": index_rows(table),
        "triggers": trigger_rows(table),
        "policies": policy_items(schema, table),
        "rls_enabled": table.rls_enabled,
        "diagram": diagram,
    }
