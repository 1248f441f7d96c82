"""Resolve the spec's `sample:` keys (per entity and spec-wide) into model.SampleHints and
model.SampleSettings, and `queries:` into model.NamedQuery, checking every name they use."""
from __future__ import annotations

import difflib
import re

from generator.model import ColumnHint, NamedQuery, SampleHints, SampleSettings, Table
from generator.model.sample import HINT_KINDS
from generator.resolve.context import SUPABASE_TABLES, Ctx
from generator.resolve.expressions import ExpressionError, check_query
from generator.spec.schema import Entity, SampleColumn, SampleTable

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_COMPACT = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$")
_RANGE = re.compile(r"^\s*(-?[\w:.+-]*?)\s*\.\.\s*(-?[\w:.+-]*)\s*$")


def _number(text):
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return str(text)
    return int(value) if value == int(value) else value


def _range(text: str | None) -> tuple | None:
    """`a..b` -> (a, b); `n` -> (n, n); None for None."""
    if text is None:
        return None
    m = _RANGE.match(str(text))
    if m:
        return _number(m.group(1)), _number(m.group(2))
    n = _number(text)
    return n, n


def _kind(ctx: Ctx, kind: str | None, path: tuple) -> bool:
    if kind is None or kind in HINT_KINDS:
        return True
    close = difflib.get_close_matches(kind, HINT_KINDS, n=1)
    ctx.error("RS141", f"unknown sample kind '{kind}'", path,
              f"did you mean '{close[0]}'?" if close else "kinds: " + ", ".join(HINT_KINDS))
    return False


def column_hint(ctx: Ctx, raw, path: tuple) -> ColumnHint | None:
    if isinstance(raw, list):
        return ColumnHint(values=tuple(raw))
    if isinstance(raw, str):
        m = _COMPACT.match(raw)
        if not m:
            ctx.error("RS142", f"sample hint '{raw}' is not `kind` or `kind(min..max)`", path,
                      "e.g. `email`, `text(20..400)`, `int(1..5)`, or a list of values")
            return None
        if not _kind(ctx, m.group(1), path):
            return None
        bounds = _range(m.group(2)) if m.group(2) else None
        return ColumnHint(kind=m.group(1), low=bounds[0] if bounds else None, high=bounds[1] if bounds else None)
    full: SampleColumn = raw
    if not _kind(ctx, full.kind, path + ("kind",)):
        return None
    if full.weights and len(full.weights) != len(full.values):
        ctx.error("RS144", f"sample hint has {len(full.weights)} weights for {len(full.values)} values",
                  path + ("weights",), "give one weight per value")
        return None
    items = _range(full.items)
    return ColumnHint(kind=full.kind, low=_number(full.min), high=_number(full.max), values=tuple(full.values),
                      weights=tuple(full.weights), null=full.nulls,
                      items=(int(items[0] or 0), int(items[1] or 0)) if items else None)


def _columns(ctx: Ctx, spec: SampleTable, names: set[str], where: str, path: tuple) -> tuple:
    out = []
    for col, raw in spec.columns.items():
        p = path + ("columns", col)
        if col not in names:
            close = difflib.get_close_matches(col, sorted(names), n=1)
            ctx.error("RS140", f"sample hint for unknown column '{col}' of {where}", p,
                      f"did you mean '{close[0]}'?" if close else "name a column of the table")
            continue
        hint = column_hint(ctx, raw, p)
        if hint is not None:
            out.append((col, hint))
    return tuple(out)


def sample_hints(ctx: Ctx, key: str, ent: Entity, table: Table) -> SampleHints | None:
    spec = ent.sample
    if spec is None:
        return None
    path = ("entities", key, "sample")
    per, per_table, per_schema = spec.per, None, "public"
    if isinstance(spec.per, dict):
        if len(spec.per) != 1:
            ctx.error("RS143", "sample.per names one parent entity", path + ("per",),
                      "write `per: {parent_entity: n}`")
            return None
        (parent, per), = spec.per.items()
        info = ctx.entities.get(parent)
        target = (info.schema, info.table) if info else tuple(parent.split(".", 1)) if "." in parent else None
        if target is None or not any((fk.ref_schema, fk.ref_table) == target for fk in table.foreign_keys):
            ctx.error("RS143", f"sample.per names '{parent}', which {key} has no foreign key to", path + ("per",),
                      "name an entity this entity references")
            return None
        per_schema, per_table = target
    names = {c.name for c in table.columns}
    return SampleHints(rows=spec.rows, per=per, per_table=per_table, per_schema=per_schema,
                       columns=_columns(ctx, spec, names, f"'{key}'", path))


def sample_settings(ctx: Ctx) -> SampleSettings:
    spec = ctx.spec.sample
    if spec is None:
        return SampleSettings()
    external = []
    for name, table in spec.tables.items():
        path = ("sample", "tables", name)
        key = tuple(name.split(".", 1)) if "." in name else ("public", name)
        cols = SUPABASE_TABLES.get(key) if ctx.flavor == "supabase" else None
        if cols is None:
            ctx.error("RS147", f"sample.tables names '{name}', which is not a known table outside the spec", path,
                      "entities take their own `sample:` key; here only supabase's auth.users")
            continue
        external.append((key, SampleHints(rows=table.rows, per=table.per if not isinstance(table.per, dict) else None,
                                          columns=_columns(ctx, table, set(cols) | {"created_at"}, name, path))))
    return SampleSettings(spec.rows, spec.seed, tuple(external))


def named_queries(ctx: Ctx, by_entity: dict[str, Table]) -> tuple[NamedQuery, ...]:
    out = []
    for name, q in ctx.spec.queries.items():
        path = ("queries", name)
        try:
            check_query(_PARAM.sub("$1", q.sql))         # `:name` parameters parse as $1
        except ExpressionError as e:
            ctx.error("RS145", f"query '{name}': {e}", path + ("sql",), "write one SELECT; mark parameters `:name`")
            continue
        params = []
        for param, source in q.params.items():
            ent, _, col = source.rpartition(".")
            table = by_entity.get(ent)
            if table is None or table.column(col) is None:
                ctx.error("RS146", f"query '{name}': parameter '{param}' takes its value from '{source}', "
                          "which is not entity.column", path + ("params", param), "write e.g. `messages.conversation_id`")
                continue
            params.append((param, (table.schema, table.name, col)))
        out.append(NamedQuery(name, q.sql.strip(), tuple(params), q.uses, q.description, ctx.loc(*path)))
    return tuple(out)
