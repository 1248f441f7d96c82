"""`realtime: true` per entity (supabase flavor): the table joins Supabase Realtime's
publication (supabase_realtime). Its replica identity is the entity's `replica_identity:`
(default: the primary key; `full` sends whole old rows with UPDATE and DELETE)."""
from __future__ import annotations

from generator.model import REALTIME_PUBLICATION, Table, replace
from generator.resolve.context import Ctx
from generator.spec.schema import Entity


def realtime(ctx: Ctx, key: str, ent: Entity, table: Table) -> Table:
    if not ent.realtime:
        return table
    path = ("entities", key, "realtime")
    if ctx.flavor != "supabase":
        ctx.error("RS150", f"realtime on '{key}' needs `database: {{flavor: supabase}}`", path,
                  "Supabase Realtime reads the supabase_realtime publication; on plain PostgreSQL subscribe with "
                  "logical replication instead")
        return table
    if table.primary_key is None:
        ctx.error("RS151", f"realtime on '{key}' needs a primary key", path,
                  "Supabase Realtime looks each changed row up by its primary key to apply RLS per subscriber")
        return table
    if table.replica_identity == "NOTHING":
        ctx.error("RS152", f"realtime on '{key}' with replica_identity: nothing", path,
                  "a published table needs a replica identity, or its UPDATEs and DELETEs fail: drop "
                  "`replica_identity: nothing` (or use full)")
        return table
    return replace(table, publications=(REALTIME_PUBLICATION,))
