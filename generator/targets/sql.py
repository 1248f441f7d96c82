"""The PostgreSQL target: schema.sql (a migration from the empty model), rls.sql (the RLS
part alone, for review), seed.sql (idempotent upserts) and, for supabase specs,
supabase_shim.sql."""
from __future__ import annotations

from generator.postgres.ddl import schema_changes, schema_statements  # noqa: F401 (re-exported)
from generator.postgres.seed import seed_statements
from generator.postgres.shim import SUPABASE_SHIM
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register

RLS_PHASES = ("rls", "policies")


def _script(ctx: BuildContext, title: str, statements, notes=(), transaction=True) -> str:
    return render_template("sql/script.sql.j2", ctx.templates, title=title, spec_name=ctx.schema.name,
                           statements=statements, notes=list(notes), transaction=transaction)


@register("sql")
def render_sql(ctx: BuildContext) -> list[Artifact]:
    s = ctx.schema
    notes = ["Runs on an empty database in one transaction; a second run fails on the first",
             "existing object and rolls back, changing nothing (use `gen migrate` to evolve a database)."]
    if s.settings.flavor == "supabase":
        notes.append("Supabase flavor: on plain PostgreSQL run supabase_shim.sql first.")
    return [Artifact("schema.sql", _script(ctx, f"schema of {s.name}", schema_statements(s), notes))]


@register("rls")
def render_rls(ctx: BuildContext) -> list[Artifact]:
    stmts = [st for st in schema_statements(ctx.schema) if st.phase in RLS_PHASES]
    notes = ["Row-level security only, for review; schema.sql already contains all of it."]
    return [Artifact("rls.sql", _script(ctx, f"row-level security of {ctx.schema.name}", stmts, notes, False))]


@register("seed")
def render_seed(ctx: BuildContext) -> list[Artifact]:
    if not ctx.schema.seeds:
        return []
    notes = ["Idempotent: rows are upserted on their key and only changed rows are updated."]
    return [Artifact("seed.sql", _script(ctx, f"seed data of {ctx.schema.name}", seed_statements(ctx.schema), notes))]


@register("shim")
def render_shim(ctx: BuildContext) -> list[Artifact]:
    if ctx.schema.settings.flavor != "supabase":
        return []
    return [Artifact("supabase_shim.sql", SUPABASE_SHIM)]
