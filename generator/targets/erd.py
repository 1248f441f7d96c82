"""Target `erd`: ER diagrams as Mermaid (erd.mmd), Graphviz DOT (erd.dot) and SVG (erd.svg,
when `dot` is installed and the schema has at most 150 tables); schemas of more than 40 tables
also get one diagram per group, each with its SVG."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from generator.model import Schema, Table
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets import erd_graphviz as gv
from generator.targets import erd_relations as rel
from generator.targets.escape import slug
from generator.targets.erd_mermaid import render_mermaid

GROUP_DIAGRAMS_ABOVE = 40   # tables; larger schemas also get erd/<group>.* diagrams
WHOLE_SVG_UP_TO = 150       # tables; Graphviz takes ~15 s to lay out 1000 in one drawing


def render_dot(schema: Schema, tables: list[Table], override: str | None, title: str | None = None) -> str:
    return render_template("erd/erd.dot.j2", override, **gv.dot_context(schema, tables, title))


def group_diagrams(schema: Schema) -> list[tuple[str, str, list[Table]]]:
    """(file stem, title, tables) per group: the group's tables plus those they reference.
    Only for schemas above GROUP_DIAGRAMS_ABOVE tables that have groups."""
    if len(schema.tables) <= GROUP_DIAGRAMS_ABOVE:
        return []
    return [(f"erd/{slug(name)}", name, rel.with_referenced(schema, members))
            for name, members in rel.groups(schema).items()]


def _draw_all(dot_texts: list[str], program: str) -> list[str]:
    """SVG of each DOT text, in order: one `dot` process each, as many at once as there are CPUs."""
    if len(dot_texts) <= 1:
        return [gv.render_svg(t, program) for t in dot_texts]
    with ThreadPoolExecutor(max_workers=min(len(dot_texts), os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda text: gv.render_svg(text, program), dot_texts))


def _draws_svg(schema: Schema, stem: str) -> bool:
    """Every group diagram gets its SVG; the whole schema's only up to WHOLE_SVG_UP_TO tables."""
    return stem != "erd" or len(schema.tables) <= WHOLE_SVG_UP_TO


@register("erd")
def render(ctx: BuildContext) -> list[Artifact]:
    schema, override = ctx.schema, ctx.templates
    program = gv.dot_program()
    groups = group_diagrams(schema)
    if program is None:
        ctx.notes.append("erd: Graphviz `dot` not found, so erd.svg was skipped "
                         "(erd.dot is written; install graphviz to get the SVG)")
    elif not _draws_svg(schema, "erd"):
        see = " or see erd/<group>.svg" if groups else ""
        ctx.notes.append(f"erd.svg skipped for {len(schema.tables)} tables: "
                         f"render with `dot -Tsvg erd.dot`{see}")
    texts = [(stem, render_mermaid(schema, tables, override), render_dot(schema, tables, override, title))
             for stem, title, tables in [("erd", None, list(schema.tables))] + groups]
    drawn = [(stem, dot_text) for stem, _, dot_text in texts if program and _draws_svg(schema, stem)]
    svgs = dict(zip([stem for stem, _ in drawn], _draw_all([t for _, t in drawn], program)))
    out = []
    for stem, mmd_text, dot_text in texts:
        out += [Artifact(f"{stem}.mmd", mmd_text), Artifact(f"{stem}.dot", dot_text)]
        if stem in svgs:
            out.append(Artifact(f"{stem}.svg", svgs[stem]))
    return out
