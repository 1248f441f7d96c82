"""Every object of a model, enumerated independently of the renderers, and how to find each one
in a generated schema.prisma or schema.ts (by reading the file back, not by asking the renderer)."""
from __future__ import annotations

import re

from generator.model import Schema, Table


def prisma_block(text: str, name: str) -> str:
    m = re.search(rf"^(?:model|enum) {name} {{\n(.*?)^}}", text, re.M | re.S)
    assert m, f"no block {name}"
    return m.group(1)


def _prisma_table_block(text: str, table: Table) -> str:
    for m in re.finditer(r"^(model|enum) (\w+) {\n(.*?)^}", text, re.M | re.S):
        body = m.group(3)
        mapped = re.search(r'@@map\("([^"]+)"\)', body)
        schema = re.search(r'@@schema\("([^"]+)"\)', body)
        in_schema = (schema.group(1) if schema else "public") == table.schema
        if (mapped.group(1) if mapped else m.group(2)) == table.name and in_schema:
            return body
    raise AssertionError(f"no model for {table.qname}")


def _prisma_fields(body: str) -> dict[str, tuple[str, str, str]]:
    """DB column name -> (field, type, attributes), read back from the model block."""
    out = {}
    for line in body.splitlines():
        m = re.match(r"^  (\w+)\s+(\S+)\s*(.*)$", line)
        if m and not line.startswith("  @@") and not line.startswith("  ///"):
            mapped = re.search(r'@map\("([^"]+)"\)', m.group(3))
            out[mapped.group(1) if mapped else m.group(1)] = m.groups()
    return out


def _prisma_cols(body: str, fields_list: str) -> tuple[str, ...]:
    by_field = {f: c for c, (f, _, _) in _prisma_fields(body).items()}
    return tuple(by_field[re.match(r"\w+", f.strip()).group(0)] for f in fields_list.split(","))


def prisma_rendered(text: str, kind: str, name: str, obj, table: Table | None) -> bool:
    if kind == "extension":
        return re.search(rf"extensions = \[.*\b{obj.name}\b", text) is not None
    if kind == "enum value":
        enum, value = obj
        return re.search(rf'@@map\("{enum.name}"\)', text) and (f'@map("{value}")' in text or f"\n  {value}\n" in text)
    if kind == "enum":
        return f'@@map("{obj.name}")' in text or f"enum {obj.name} {{" in text
    if table is None:
        return False
    body = _prisma_table_block(text, table)
    fields = _prisma_fields(body)
    if kind == "table":
        return True
    if kind == "column":
        return obj.name in fields
    if kind == "not null":
        return not fields[obj.name][1].endswith(("?", "[]"))
    if kind == "default":
        return "@default(" in fields[obj.name][2]
    if kind == "primary key":
        if len(obj.columns) == 1:
            return "@id" in fields[obj.columns[0]][2]
        return any(_prisma_cols(body, m) == obj.columns for m in re.findall(r"@@id\(\[([^\]]+)\]", body))
    if kind == "foreign key":
        return any(_prisma_cols(body, m) == obj.columns for m in re.findall(r"fields: \[([^\]]+)\]", body))
    if kind in ("unique", "index"):
        attr = "@@unique" if kind == "unique" or obj.unique else "@@index"
        if kind == "unique" and len(obj.columns) == 1 and "@unique" in fields[obj.columns[0]][2]:
            return True
        return any(_prisma_cols(body, m) == obj.columns for m in re.findall(rf"{attr}\(\[([^\]]+)\]", body))
    return False


def _ts_table_block(text: str, table: Table) -> str:
    call = "pgTable" if table.schema == "public" else r"\w+Schema\.table"
    m = re.search(rf'^export const \w+ = {call}\("{table.name}", {{\n(.*?)^}}(.*?)\);$', text, re.M | re.S)
    assert m, f"no pgTable for {table.qname}"
    return m.group(1) + m.group(2)


def drizzle_rendered(text: str, kind: str, name: str, obj, table: Table | None) -> bool:
    if kind == "enum value":
        return re.search(rf'(pgEnum|\.enum)\("{obj[0].name}", \[[^\]]*"{re.escape(obj[1])}"', text) is not None
    if kind == "enum":
        return re.search(rf'(pgEnum|\.enum)\("{obj.name}"', text) is not None
    if table is None:
        return False
    body = _ts_table_block(text, table)
    line = next((ln for ln in body.splitlines() if obj is not None and f'("{getattr(obj, "name", "")}"' in ln), "")
    checks = {
        "table": lambda: True, "column": lambda: bool(line),
        "not null": lambda: ".notNull()" in line or ".primaryKey()" in line,
        "default": lambda: ".default" in line,
        "generated column": lambda: ".generatedAlwaysAs(" in line,
        "identity": lambda: "AsIdentity()" in line,
        "primary key": lambda: f'primaryKey({{ name: "{obj.name}"' in body or ".primaryKey()" in body,
        "foreign key": lambda: f'foreignKey({{ name: "{obj.name}"' in body or ".references(" in body,
        "unique": lambda: f'unique("{obj.name}")' in body,
        "index": lambda: re.search(rf'(index|uniqueIndex)\("{obj.name}"\)', body) is not None,
        "check": lambda: f'check("{obj.name}"' in body,
        "policy": lambda: f'pgPolicy("{obj.name}"' in body,
        "row level security": lambda: body.endswith(".enableRLS("),
    }
    return checks.get(kind, lambda: False)()


def model_objects(schema: Schema):
    """Every object of the model as (kind, name, object, table), independent of the renderers."""
    for e in schema.extensions:
        yield "extension", e.name, e, None
    for e in schema.enums:
        yield "enum", e.qname, e, None
        yield from (("enum value", f"{e.qname}.{v}", (e, v), None) for v in e.values)
        if e.comment:
            yield "comment", e.qname, e, None
    yield from (("function", f.qname, f, None) for f in schema.functions)
    yield from (("view", v.qname, v, None) for v in schema.views)
    yield from (("grant", f"{v.qname}.{g.role}", g, None) for v in schema.views for g in v.grants)
    yield from (("role", r.name, r, None) for r in schema.roles)
    for t in schema.tables:
        yield from table_objects(t)


def table_objects(t: Table):
    q = t.qname
    yield "table", q, t, t
    if t.comment:
        yield "comment", q, t, t
    for c in t.columns:
        n = f"{q}.{c.name}"
        yield "column", n, c, t
        for kind, present in [("not null", not c.nullable), ("default", c.default), ("comment", c.comment),
                              ("generated column", c.generated), ("identity", c.identity), ("collation", c.collation)]:
            if present:
                yield kind, n, c, t
    if t.primary_key:
        yield "primary key", f"{q}.{t.primary_key.name}", t.primary_key, t
    for fk in t.foreign_keys:
        yield "foreign key", f"{q}.{fk.name}", fk, t
        if fk.deferrable:
            yield "deferrable", f"{q}.{fk.name}", fk, t
    yield from (("unique", f"{q}.{u.name}", u, t) for u in t.uniques)
    yield from (("check", f"{q}.{c.name}", c, t) for c in t.checks)
    for ix in t.indexes:
        yield "index", f"{q}.{ix.name}", ix, t
        if ix.comment:
            yield "comment", f"{q}.{ix.name}", ix, t
    if t.rls_enabled:
        yield "row level security", q, t, t
    if t.rls_forced:
        yield "force row level security", q, t, t
    yield from (("policy", f"{q}.{p.name}", p, t) for p in t.policies)
    yield from (("trigger", f"{q}.{tr.name}", tr, t) for tr in t.triggers)
    yield from (("grant", f"{q}.{g.role}", g, t) for g in t.grants)


RENDERED = {"prisma": prisma_rendered, "drizzle": drizzle_rendered}
