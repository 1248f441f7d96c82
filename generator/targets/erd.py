"""Target `erd`: ER diagrams as Mermaid (erd.mmd), Graphviz DOT (erd.dot) and SVG (erd.svg,
when `dot` is installed and the schema has at most 150 tables); grouped schemas of more than
12 tables also get diagrams that read at page width: one per group (its tables in full, the
tables of other groups they reference with key columns only) and an overview of every table by
group (names and links only), each with its SVG."""
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

GROUP_DIAGRAMS_ABOVE = 12   # tables; larger grouped schemas also get erd/<group>.* and erd/overview.*
WHOLE_SVG_UP_TO = 150       # tables; Graphviz takes ~15 s to lay out 1000 in one drawing


OVERVIEW = "erd/overview"


def render_dot(schema: Schema, tables: list[Table], override: str | None, title: str | None = None,
               neighbours: frozenset = frozenset(), overview: bool = False, rankdir: str = "LR") -> str:
    return render_template("erd/erd.dot.j2", override,
                           **gv.dot_context(schema, tables, title, neighbours, overview, rankdir))


def group_diagrams(schema: Schema) -> list[tuple[str, str, list[Table], frozenset]]:
    """(file stem, title, tables, neighbours) per group: the group's tables plus the tables of
    other groups they reference (the neighbours, drawn with key columns only). Only for schemas
    above GROUP_DIAGRAMS_ABOVE tables that have groups."""
    if len(schema.tables) <= GROUP_DIAGRAMS_ABOVE:
        return []
    out = []
    for name, members in rel.groups(schema).items():
        own = {t.key for t in members}
        shown = rel.with_referenced(schema, members)
        out.append((f"erd/{slug(name)}", name, shown, frozenset(t.key for t in shown if t.key not in own)))
    return out


def has_overview(schema: Schema) -> bool:
    """The overview (every table by group, names only) reads at page width only up to a point."""
    return bool(group_diagrams(schema)) and len(schema.tables) <= WHOLE_SVG_UP_TO


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
    whole = list(schema.tables)
    # (stem, Mermaid text or None, DOT variants): a group diagram and the overview are laid out
    # left-to-right and top-to-bottom, and the narrower drawing is kept (they must read at page width)
    diagrams = [("erd", render_mermaid(schema, whole, override), [render_dot(schema, whole, override)])]
    diagrams += [(stem, render_mermaid(schema, tables, override, others),
                  [render_dot(schema, tables, override, title, others, rankdir=d) for d in ("LR", "TB")])
                 for stem, title, tables, others in groups]
    if has_overview(schema):
        title = f"{schema.name}: tables by group" + gv.prefix_note(whole)
        diagrams.append((OVERVIEW, None, [render_dot(schema, whole, override, title, overview=True, rankdir=d)
                                          for d in ("LR", "TB")]))
    jobs = [((stem, i), text) for stem, _, texts in diagrams if program and _draws_svg(schema, stem)
            for i, text in enumerate(texts)]
    drawn = dict(zip([key for key, _ in jobs], _draw_all([text for _, text in jobs], program)))
    out = []
    for stem, mmd_text, texts in diagrams:
        pick = min(range(len(texts)), key=lambda i: (gv.svg_width(drawn[(stem, i)]), i)) if (stem, 0) in drawn else 0
        out += ([Artifact(f"{stem}.mmd", mmd_text)] if mmd_text else []) + [Artifact(f"{stem}.dot", texts[pick])]
        if (stem, pick) in drawn:
            out.append(Artifact(f"{stem}.svg", drawn[(stem, pick)]))
    return out
