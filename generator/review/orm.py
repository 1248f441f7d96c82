"""ORM impact: what changes in the generated clients, from the same naming and type code the
`prisma`, `drizzle`, `typescript` and `pydantic` targets use: models, table constants and table
types, fields (renamed, removed, retyped, made required or nullable, added without a default),
relation fields and enum values."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.diagnostics import Location
from generator.diff import alter as al
from generator.model import Schema, Table
from generator.targets.client_shapes import table_fields
from generator.targets.drizzle import DrizzleSchema
from generator.targets.prisma import PrismaSchema


@dataclass(frozen=True)
class Field:
    name: str
    type: str                    # Prisma: `String?`; Drizzle: `text("email").notNull()` without the db name
    required_on_create: bool     # a create/insert must give it (no default, not nullable, not generated)
    nullable: bool


@dataclass(frozen=True)
class Model:
    name: str
    columns: dict[str, Field]    # column name -> field
    relations: dict[str, Field]  # relation field name -> field


ALL = "all clients"             # an enum change reaches every client


@dataclass(frozen=True)
class OrmChange:
    client: str                  # Prisma | Drizzle | TypeScript | pydantic | all clients
    model: str
    field: str | None
    what: str                    # model removed, model renamed, field removed, field renamed, type changed,
    #                              now required, now nullable, required field added, relation removed,
    #                              enum value removed, enum renamed, field added, enum value added, model added
    before: str = ""
    after: str = ""
    breaking: bool = True
    loc: Location | None = None

    @property
    def line(self) -> str:
        target = f"{self.model}.{self.field}" if self.field else self.model
        if self.before and self.after:
            return f"{self.client} {target}: {self.what}: {self.before} → {self.after}"
        what = f" ({self.before or self.after})" if self.before or self.after else ""
        return f"{self.client} {target}: {self.what}{what}"


# ---------------------------------------------------------------- the clients' view of a schema

def prisma_models(schema: Schema, only: set | None = None) -> dict[tuple[str, str], Model]:
    p = PrismaSchema(schema)
    out = {}
    for t in _tables(schema, only):
        block = p.model_block(t)
        cells = [c for _, c in block.rows]
        cols = {}
        for col, c in zip(t.columns, cells):
            attrs = c[2] if len(c) > 2 else ""
            optional = c[1].endswith("?")
            cols[col.name] = Field(c[0], c[1], not optional and "@default" not in attrs and not c[1].endswith("[]")
                                   and col.generated is None and col.identity is None, optional)
        rels = {c[0]: Field(c[0], c[1], False, c[1].endswith("?")) for c in cells[len(t.columns):]}
        out[t.key] = Model(block.name, cols, rels)
    return out


_DB_NAME = re.compile(r'\("(?:[^"\\]|\\.)*"(, )?')


def drizzle_models(schema: Schema, only: set | None = None) -> dict[tuple[str, str], Model]:
    d = DrizzleSchema(schema)
    out = {}
    for t in _tables(schema, only):
        decl = d.table_decl(t)
        cols = {}
        for col, (_, text) in zip(t.columns, decl.columns):
            name, _, builder = text.partition(": ")
            kind = _DB_NAME.sub("(", builder, count=1).replace(".references(", " references(")
            kind = kind.split(" references(")[0]
            has_default = ".default" in kind or "Identity()" in kind or ".generatedAlwaysAs(" in kind
            not_null = ".notNull()" in kind or ".primaryKey()" in kind
            cols[col.name] = Field(name, kind, not_null and not has_default, not not_null)
        rel = d.relation_decl(t)
        rels = {}
        for entry in (rel[2] if rel else []):
            fname, _, what = entry.partition(": ")
            rels[fname] = Field(fname, what.split("(")[0], False, False)
        out[t.key] = Model(decl.const, cols, rels)
    return out


def typescript_models(schema: Schema, only: set | None = None) -> dict[tuple[str, str], Model]:
    """types/database.ts: Database[schema]["Tables"][table]["Row" | "Insert"]."""
    from generator.targets.typescript import ts_type
    out = {}
    for t in _tables(schema, only):
        cols = {f.name: Field(f.name, ts_type(f.type) + (" | null" if f.nullable else ""),
                              not f.insert_optional and not f.generated, f.nullable) for f in table_fields(t)}
        out[t.key] = Model(t.name if t.schema == "public" else f"{t.schema}.{t.name}", cols, {})
    return out


def pydantic_models(schema: Schema, only: set | None = None) -> dict[tuple[str, str], Model]:
    """models/<spec>_models.py: <Model>Row / <Model>Insert / <Model>Update."""
    from generator.targets.pydantic_models import Names, field_name
    names = Names(schema)
    out = {}
    for t in _tables(schema, only):
        cols = {}
        for f in table_fields(t):
            py = names.type(f.type)
            cols[f.name] = Field(field_name(f.name), f"Optional[{py}]" if f.nullable else py,
                                 not f.insert_optional and not f.generated, f.nullable)
        out[t.key] = Model(names.models[t.key], cols, {})
    return out


def _tables(schema: Schema, only: set | None) -> list[Table]:
    return [t for t in schema.tables if only is None or t.key in only]


# ---------------------------------------------------------------- comparison

def impact(base: Schema, head: Schema, changes: list) -> list[OrmChange]:
    tables = {c.old.key: c.new.key for c in changes if isinstance(c, al.RenameTable)}
    columns = {(c.table.key, c.old): c.new for c in changes if isinstance(c, al.RenameColumn)}
    touched = None if any(isinstance(c, al.RenameEnum) for c in changes) else _touched(base, head, changes, tables)
    old_keys = None if touched is None else touched | {old for old, new in tables.items() if new in touched}
    out = []
    for client, build in (("Prisma", prisma_models), ("Drizzle", drizzle_models),
                          ("TypeScript", typescript_models), ("pydantic", pydantic_models)):
        out += _compare(client, build(base, old_keys), build(head, touched), tables, columns, head)
    out += _enums(base, head, changes)
    return out


def _touched(base: Schema, head: Schema, changes: list, renamed: dict) -> set:
    """Tables whose generated code may differ: those a change names and the tables related to
    them by a foreign key (their relation fields), on either side; every table when enum or
    naming changes could reach further."""
    keys = set()
    for c in changes:
        for attr in ("table", "new", "old"):
            t = getattr(c, attr, None)
            if isinstance(t, Table):
                keys.add(t.key)
    keys |= {renamed.get(k, k) for k in set(keys)}
    near = set()
    for schema in (base, head):
        for t in schema.tables:
            parents = {(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys}
            if t.key in keys:
                near |= parents                       # their back relation fields
            elif parents & keys:
                near.add(t.key)                       # their relation fields point at a changed model
    return keys | near


def _compare(client: str, before: dict, after: dict, tables: dict, columns: dict, head: Schema) -> list[OrmChange]:
    out = []
    for bkey, bm in before.items():
        hkey = tables.get(bkey, bkey)
        am = after.get(hkey)
        if am is None and head.table(hkey[1], hkey[0]) is not None:
            continue                                   # not built: untouched
        if am is None:
            out.append(OrmChange(client, bm.name, None, "model removed"))
            continue
        t = head.table(hkey[1], hkey[0])
        if am.name != bm.name:
            out.append(OrmChange(client, bm.name, None, "model renamed", bm.name, am.name, True, t.loc))
        out += _fields(client, am.name, bm, am, hkey, columns, t)
    kept = {tables.get(k, k) for k in before}
    for hkey, am in after.items():
        if hkey not in kept:
            t = head.table(hkey[1], hkey[0])
            out.append(OrmChange(client, am.name, None, "model added", "", "", False, t.loc if t else None))
    return out


def _fields(client: str, model: str, bm: Model, am: Model, hkey, columns: dict, t: Table) -> list[OrmChange]:
    out, matched = [], set()
    for col, bf in bm.columns.items():
        now = columns.get((hkey, col), col)
        af = am.columns.get(now)
        loc = t.column(now).loc if t.column(now) else t.loc
        if af is None:
            out.append(OrmChange(client, model, bf.name, "field removed", bf.type, "", True, t.loc))
            continue
        matched.add(now)
        if af.name != bf.name:
            out.append(OrmChange(client, model, bf.name, "field renamed", bf.name, af.name, True, loc))
        if _base_type(af.type) != _base_type(bf.type):
            out.append(OrmChange(client, model, af.name, "type changed", bf.type, af.type, True, loc))
        elif bf.nullable and not af.nullable and af.required_on_create:
            out.append(OrmChange(client, model, af.name, "now required", bf.type, af.type, True, loc))
        elif not bf.nullable and af.nullable:
            out.append(OrmChange(client, model, af.name, "now nullable", bf.type, af.type, True, loc))
    for col, af in am.columns.items():
        if col not in matched:
            c = t.column(col)
            what = "required field added" if af.required_on_create else "field added"
            out.append(OrmChange(client, model, af.name, what, "", af.type, af.required_on_create, c.loc if c else None))
    for name, bf in bm.relations.items():
        if name not in am.relations:
            out.append(OrmChange(client, model, name, "relation removed", bf.type, "", True, t.loc))
    return out


def _base_type(text: str) -> str:
    """The field's type without nullability and defaults: `String?` -> `String`, `string | null`
    -> `string`, `Optional[str]` -> `str`, `text().notNull().default(…)` -> `text()`."""
    text = text.rstrip("?").removesuffix(" | null")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional["):-1]
    for marker in (".notNull()", ".primaryKey()"):
        text = text.replace(marker, "")
    return re.split(r"\.default|\.generated|\.\$default", text)[0]


def _enums(base: Schema, head: Schema, changes: list) -> list[OrmChange]:
    renamed = {c.old.key: c.new.key for c in changes if isinstance(c, al.RenameEnum)}
    value_renames = {(c.enum.name, c.old) for c in changes if isinstance(c, al.RenameEnumValue)}
    out = []
    for e in base.enums:
        now = head.enum(*reversed(renamed.get(e.key, e.key)))
        if now is None:
            continue
        if now.name != e.name:
            out.append(OrmChange(ALL, e.name, None, "enum renamed", e.name, now.name, True, now.loc))
        for v in e.values:
            if v not in now.values:
                what = "enum value renamed" if any(old == v for _, old in value_renames) else "enum value removed"
                out.append(OrmChange(ALL, now.name, None, what, v, "", True, now.loc))
        for v in now.values:
            if v not in e.values and v not in {new for new, _ in now.renamed_values}:
                out.append(OrmChange(ALL, now.name, None, "enum value added", "", v, False, now.loc))
    return out
