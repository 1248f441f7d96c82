"""The `parity` target: PARITY.md, listing per ORM target every object of the model that the
target cannot express and where it lives instead (the same lists head each generated file)."""
from __future__ import annotations

from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets.orm_parity import NOTES, gaps

TARGETS = (("prisma", "Prisma", "prisma/schema.prisma"), ("drizzle", "Drizzle", "drizzle/schema.ts"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@register("parity")
def render(ctx: BuildContext) -> list[Artifact]:
    sections = []
    for key, title, path in TARGETS:
        rows = [tuple(_cell(x) for x in (g.kind, g.name, g.reason, g.where)) for g in gaps(ctx.schema, key)]
        sections.append({"title": title, "path": path, "rows": rows, "notes": NOTES[key]})
    text = render_template("parity/PARITY.md.j2", ctx.templates, spec=ctx.schema.name, sections=sections)
    return [Artifact("PARITY.md", text)]
