"""The full schema as statements: a migration from the empty model, plus the triggers a
schema puts on tables it does not own. Every target, verify and migrate share this."""
from __future__ import annotations

from generator.diff import database_changes, diff
from generator.diff.changes import AddTrigger
from generator.model import Schema, Table
from generator.postgres.plan import plan


def schema_changes(schema: Schema) -> list:
    """diff(empty, model), plus created_from triggers on external tables (auth.users)."""
    changes = diff(Schema.empty(), schema) + database_changes(Schema.empty(), schema)
    for x in schema.external_triggers:
        changes.append(AddTrigger(Table(name=x.table, columns=(), schema=x.schema), x.trigger))
    return changes


def schema_statements(schema: Schema):
    """The statements of the full schema; planned once per model (the sql and rls targets both ask)."""
    if _LAST[0] is not schema:
        _LAST[:] = [schema, plan(schema_changes(schema)).statements]
    return list(_LAST[1])


_LAST: list = [None, None]  # (model, its statements): models are immutable, so identity decides
