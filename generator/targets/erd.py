"""Target `erd`: ER diagrams as Mermaid (erd.mmd), Graphviz DOT (erd.dot) and SVG (erd.svg,
when `dot` is installed); schemas of more than 40 tables also get one diagram per group."""
from __future__ import annotations

from generator.model import Schema, Table
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets import erd_graphviz as gv
from generator.targets import erd_relations as rel
from generator.targets.escape import slug
from generator.targets.erd_mermaid import render_mermaid

GROUP_DIAGRAMS_ABOVE = 40   # tables; larger schemas also get erd/<group>.* diagrams


def render_dot(schema: Schema, tables: list[Table], override: str | None, title: str | None = None) -> str:
    return render_template("erd/erd.dot.j2", override, **gv.dot_context(schema, tables, title))


def _diagram_set(ctx: BuildContext, stem: str, tables: list[Table], title: str | None,
                 program: str | None) -> list[Artifact]:
    schema, override = ctx.schema, ctx.templates
    dot_text = render_dot(schema, tables, override, title)
    out = [Artifact(f"{stem}.mmd", render_mermaid(schema, tables, override)),
           Artifact(f"{stem}.dot", dot_text)]
    if program:
        out.append(Artifact(f"{stem}.svg", gv.render_svg(dot_text, program)))
    return out


def group_diagrams(schema: Schema) -> list[tuple[str, str, list[Table]]]:
    """(file stem, title, tables) per group: the group's tables plus those they reference.
    Only for schemas above GROUP_DIAGRAMS_ABOVE tables that have groups."""
    if len(schema.tables) <= GROUP_DIAGRAMS_ABOVE:
        return []
    return [(f"erd/{slug(name)}", name, rel.with_referenced(schema, members))
            for name, members in rel.groups(schema).items()]


@register("erd")
def render(ctx: BuildContext) -> list[Artifact]:
    schema = ctx.schema
    program = gv.dot_program()
    if program is None:
        ctx.notes.append("erd: Graphviz `dot` not found, so erd.svg was skipped "
                         "(erd.dot is written; install graphviz to get the SVG)")
    out = _diagram_set(ctx, "erd", list(schema.tables), None, program)
    for stem, title, tables in group_diagrams(schema):
        out += _diagram_set(ctx, stem, tables, title, program)
    return out
