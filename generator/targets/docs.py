"""Target `docs`: Markdown documentation of the schema, docs/README.md (overview, enums,
tenancy and RLS summary, ER diagram, table list) and docs/tables/<table>.md per table."""
from __future__ import annotations

from generator.model import Schema
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets import erd_relations as rel
from generator.targets import docs_rls as rls_words
from generator.targets.docs_table import codes, page_context, page_name, table_link
from generator.targets.escape import md_code, md_paragraphs, md_text, shorten_text
from generator.targets.erd_mermaid import render_mermaid

ONE_DIAGRAM_UP_TO = 12     # tables; larger grouped schemas get one README diagram per group (as erd does)
SUMMARY_LIMIT = 100        # characters of a description shown in the table list
MERMAID_MAX_TEXT = 50_000  # Mermaid's default maxTextSize: larger diagrams are not drawn


def counts(schema: Schema) -> list[list[str]]:
    tables = schema.tables
    rows = [("tables", len(tables)), ("enums", len(schema.enums)),
            ("foreign keys", sum(len(t.foreign_keys) for t in tables)),
            ("indexes", sum(len(t.indexes) for t in tables)),
            ("tables with row-level security", sum(t.rls_enabled for t in tables)),
            ("policies", sum(len(t.policies) for t in tables)),
            ("triggers", sum(len(t.triggers) for t in tables)),
            ("views", len(schema.views)), ("functions", len(schema.functions))]
    return [[label, str(n)] for label, n in rows]


def table_rows(schema: Schema) -> list[list[str]]:
    return [[table_link(schema, t, "tables/"), str(len(t.columns)),
             md_text(rel.group_of(t)) if t.meta.group else "",
             md_text(shorten_text(t.comment, SUMMARY_LIMIT))]
            for t in schema.tables]


def enum_rows(schema: Schema) -> list[list[str]]:
    return [[md_code(e.qname), codes(e.values), md_text(e.comment)] for e in schema.enums]


def tenancy_lines(schema: Schema) -> list[str]:
    ten = schema.tenancy
    if ten is None:
        return []
    scoped = [t for t in schema.tables if t.meta.tenant_column]
    root = schema.table(ten.root)
    lines = [f"Tenant root table: {table_link(schema, root, 'tables/') if root else md_code(ten.root)}.",
             f"Tenant column on scoped tables: {md_code(ten.column)}; the current tenant is "
             f"{md_code(ten.current)}" + (f" (setting {md_code(ten.setting)})." if ten.setting else ".")]
    if scoped:
        listed = ", ".join(table_link(schema, t, "tables/") for t in scoped)
        lines.append(f"Tenant-scoped tables: {listed}.")
    return lines


def rls_rows(schema: Schema) -> list[list[str]]:
    rows = []
    for t in schema.tables:
        for r in rls_words.table_rules(t, schema):
            rows.append([table_link(schema, t, "tables/"), md_text(r.command), md_text(r.who),
                         rls_words.which_rows(r, md_text, md_code),
                         md_code(r.policy.name) if r.policy else "",
                         md_text(r.policy.preset) if r.policy and r.policy.preset else ""])
    return rows


def _fitting(schema: Schema, tables: list, override: str | None, keys_only: frozenset) -> str | None:
    """A Mermaid diagram under Mermaid's text limit: in full, else key columns only, else None."""
    text = render_mermaid(schema, tables, override, keys_only)
    if len(text) > MERMAID_MAX_TEXT:
        text = render_mermaid(schema, tables, override, frozenset(t.key for t in tables))
    return text if len(text) <= MERMAID_MAX_TEXT else None


def diagrams(schema: Schema, override: str | None) -> list[tuple[str, str | None]]:
    """(heading, Mermaid text or None when too large): one for the whole schema, or one per
    group when it is large and grouped."""
    groups = rel.groups(schema)
    if len(schema.tables) <= ONE_DIAGRAM_UP_TO or not groups:
        return [("", _fitting(schema, list(schema.tables), override, frozenset()))]
    out = []
    for name, members in groups.items():
        shown = rel.with_referenced(schema, members)
        own = {t.key for t in members}
        others = frozenset(t.key for t in shown if t.key not in own)
        out.append((md_text(name), _fitting(schema, shown, override, others)))
    return out


def drawings(schema: Schema) -> list[list[str]]:
    """Links from docs/README.md to the SVGs of the `erd` target: [label, relative path]."""
    from generator.targets.erd import OVERVIEW, WHOLE_SVG_UP_TO, group_diagrams, has_overview
    out = [["whole schema", "../erd.svg"]] if len(schema.tables) <= WHOLE_SVG_UP_TO else []
    groups = group_diagrams(schema)
    if has_overview(schema):
        out.append(["tables by group (overview)", f"../{OVERVIEW}.svg"])
    return out + [[md_text(title), f"../{stem}.svg"] for stem, title, _, _ in groups]


def readme_context(schema: Schema, override: str | None) -> dict:
    return {
        "title": md_text(schema.name),
        "description": md_paragraphs(schema.description),
        "counts": counts(schema),
        "tables": table_rows(schema),
        "enums": enum_rows(schema),
        "tenancy": tenancy_lines(schema),
        "rls": rls_rows(schema),
        "diagrams": diagrams(schema, override),
        "drawings": drawings(schema),
        "extensions": [md_code(e.name) for e in schema.extensions],
        "views": [[md_code(v.qname), md_text(v.comment)] for v in schema.views],
        "functions": [[md_code(f"{f.qname}({f.args})"), md_code(f.returns), md_text(f.comment)]
                      for f in schema.functions],
    }


def _markdown(name: str, override: str | None, **context) -> str:
    """Render a Markdown template; the file ends in exactly one newline."""
    return render_template(name, override, **context).rstrip("\n") + "\n"


@register("docs")
def render(ctx: BuildContext) -> list[Artifact]:
    schema, override = ctx.schema, ctx.templates
    out = [Artifact("docs/README.md", _markdown("docs/readme.md.j2", override,
                                                **readme_context(schema, override)))]
    for t in schema.tables:
        page = _markdown("docs/table.md.j2", override, index_link="../README.md",
                         **page_context(schema, t, override))
        out.append(Artifact(f"docs/tables/{page_name(t)}", page))
    return out
