"""The `prisma` target (Prisma 7): prisma/schema.prisma with enums, models, relations and indexes,
already in `prisma format`'s canonical layout, and prisma.config.ts (Prisma 7 keeps the database URL
there); what Prisma cannot hold is listed in a header comment. `prisma6` (opt-in) writes the same
models in Prisma 6's form (URL in the datasource, the prisma-client-js generator)."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.model import Column, Enum, Extension, Index, Schema, Table
from generator.model.naming import shorten
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets.orm_names import Names, pascal, unique_names
from generator.targets.orm_parity import PRISMA_INDEX_TYPES, gaps, has_unique_key, prisma_index_gap, orm_schema
from generator.targets.orm_prisma_fields import ACTIONS, default_attr, enum_value_ident, field_type, prisma_string
from generator.targets.orm_relations import Relation, build_names

BUILTIN_NAMES = frozenset({"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json",
                           "Bytes", "Unsupported", "Prisma", "PrismaClient"})
PREVIEW_EXTENSIONS = "postgresqlExtensions"
CLIENT_OUTPUT = "../generated/prisma"   # Prisma 7's prisma-client generator needs an output directory


@dataclass
class Block:
    """A top-level block: doc lines, rows aligned in columns, then block attributes."""

    keyword: str
    name: str
    docs: list[str] = field(default_factory=list)
    rows: list[tuple[list[str], tuple[str, ...]]] = field(default_factory=list)   # (doc lines, cells)
    attributes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        widths = [max((len(c[i]) for _, c in self.rows if len(c) > i), default=0) for i in range(3)]
        out = []
        for docs, cells in self.rows:
            out += [f"  /// {d}".rstrip() for d in docs]
            padded = [c.ljust(widths[i]) if i < len(cells) - 1 else c for i, c in enumerate(cells)]
            out.append(("  " + " ".join(padded)).rstrip())
        if self.attributes:
            out += ([""] if self.rows else []) + [f"  {a}" for a in self.attributes]
        return out


def _doc(text: str | None) -> list[str]:
    return [line.rstrip() for line in text.splitlines()] if text else []


def _list(items) -> str:
    return "[" + ", ".join(items) + "]"


def _settings(pairs: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in pairs)
    return [f"  {k.ljust(width)} = {v}" for k, v in pairs]


def _default_name(table: str, cols, suffix: str) -> str:
    return shorten(f"{table}_{'_'.join(cols)}_{suffix}" if cols else f"{table}_{suffix}")


def _map_arg(name: str, default: str) -> list[str]:
    return [] if name == default else [f"map: {prisma_string(name)}"]


class PrismaSchema:
    """Builds the blocks of one schema.prisma from the model."""

    def __init__(self, schema: Schema, major: int = 7):
        self.schema = schema
        self.major = major
        self.enum_names = unique_names(schema.enums, lambda s, n: pascal(f"{s}_{n}"), BUILTIN_NAMES)
        self.names = build_names(schema, reserved=BUILTIN_NAMES | set(self.enum_names.values()))
        self.schemas = sorted({t.schema for t in schema.tables} | {e.schema for e in schema.enums}
                              | set(schema.schemas) | {"public"})
        self.multi = len(self.schemas) > 1
        self.ignored = {t.key for t in schema.tables if not has_unique_key(t)}

    # -- generator and datasource ---------------------------------------------------------
    def generator(self) -> list[str]:
        if self.major >= 7:
            pairs = [("provider", '"prisma-client"'), ("output", prisma_string(CLIENT_OUTPUT))]
        else:
            pairs = [("provider", '"prisma-client-js"')]
        if self.schema.extensions:
            pairs.append(("previewFeatures", _list([prisma_string(PREVIEW_EXTENSIONS)])))
        return _settings(pairs)

    def datasource(self) -> list[str]:
        pairs = [("provider", '"postgresql"')] + ([("url", 'env("DATABASE_URL")')] if self.major < 7 else [])
        if self.schema.extensions:
            pairs.append(("extensions", _list(self._extension(e) for e in self.schema.extensions)))
        if self.multi:
            pairs.append(("schemas", _list(prisma_string(s) for s in self.schemas)))
        return _settings(pairs)

    @staticmethod
    def _extension(ext: Extension) -> str:
        ident = enum_value_ident(ext.name)
        args = [f"map: {prisma_string(ext.name)}"] if ident != ext.name else []
        args += [f"schema: {prisma_string(ext.schema)}"] if ext.schema else []
        return f"{ident}({', '.join(args)})" if args else ident

    # -- enums ------------------------------------------------------------------------------
    def enum_idents(self, enum: Enum) -> dict[str, str]:
        taken = Names()
        return {v: taken.take(enum_value_ident(v)) for v in enum.values}

    def enum_block(self, enum: Enum) -> Block:
        name = self.enum_names[enum.key]
        block = Block("enum", name, docs=_doc(enum.comment))
        for value, ident in self.enum_idents(enum).items():
            block.rows.append(([], (ident, f"@map({prisma_string(value)})") if ident != value else (ident,)))
        block.attributes = self._map_attrs(enum.name, name, enum.schema)
        return block

    def _map_attrs(self, db_name: str, prisma_name: str, schema: str, extra: list[str] = ()) -> list[str]:
        """@@map, then `extra`, then @@schema: the order `prisma format` keeps."""
        out = ([f"@@map({prisma_string(db_name)})"] if db_name != prisma_name else []) + list(extra)
        return out + ([f"@@schema({prisma_string(schema)})"] if self.multi else [])

    # -- models -----------------------------------------------------------------------------
    def model_block(self, table: Table) -> Block:
        block = Block("model", self.names.models[table.key], docs=_doc(table.comment))
        singles = self._single_uniques(table)
        for col in table.columns:
            block.rows.append((_doc(col.comment), self._column_cells(table, col, singles)))
        for rel in self._relations(self.names.outgoing(table)):
            block.rows.append(([], self._owning_cells(rel)))
        for rel in self._relations(self.names.incoming(table)):
            block.rows.append(([], self._back_cells(rel)))
        ignore = ["@@ignore"] if table.key in self.ignored else []
        block.attributes = (self._pk_attrs(table) + self._unique_attrs(table, singles)
                            + self._index_attrs(table) + self._map_attrs(table.name, block.name, table.schema, ignore))
        return block

    def _relations(self, rels: list[Relation]) -> list[Relation]:
        return [r for r in rels if r.table.key not in self.ignored and r.target.key not in self.ignored]

    def _column_cells(self, table: Table, col: Column, singles: dict[str, str]) -> tuple[str, ...]:
        enum = self.schema.enum(col.type.base, col.type.schema or "public") if col.type.enum else None
        ptype, native = field_type(col.type, self.enum_names.get(enum.key) if enum else None)
        attrs = []
        pk = table.primary_key
        if pk and pk.columns == (col.name,):
            attrs.append(self._call("@id", _map_arg(pk.name, _default_name(table.name, (), "pkey"))))
        if col.name in singles:
            attrs.append(singles[col.name])
        scalar = "Enum" if enum else ptype
        default = default_attr(col, scalar, self.enum_idents(enum) if enum else None)
        attrs += [default] if default else []
        field_name = self.names.fields[table.key][col.name]
        attrs += [f"@map({prisma_string(col.name)})"] if field_name != col.name else []
        attrs += [native] if native else []
        suffix = "[]" if col.type.is_array and not ptype.startswith("Unsupported") else \
            ("?" if col.nullable else "")
        return (field_name, ptype + suffix, " ".join(attrs))

    @staticmethod
    def _call(attr: str, args: list[str]) -> str:
        return f"{attr}({', '.join(args)})" if args else attr

    def _fields(self, table: Table, cols) -> str:
        return _list(self.names.fields[table.key][c] for c in cols)

    def _owning_cells(self, rel: Relation) -> tuple[str, ...]:
        t, fk = rel.table, rel.fk
        args = [prisma_string(rel.name)] if rel.name else []
        args += [f"fields: {self._fields(t, fk.columns)}", f"references: {self._fields(rel.target, fk.ref_columns)}"]
        if ACTIONS[fk.on_delete] != ("SetNull" if rel.optional else "Restrict"):
            args.append(f"onDelete: {ACTIONS[fk.on_delete]}")
        if ACTIONS[fk.on_update] != "Cascade":
            args.append(f"onUpdate: {ACTIONS[fk.on_update]}")
        args += _map_arg(fk.name, _default_name(t.name, fk.columns, "fkey"))
        model = self.names.models[rel.target.key] + ("?" if rel.optional else "")
        return (rel.field, model, f"@relation({', '.join(args)})")

    def _back_cells(self, rel: Relation) -> tuple[str, ...]:
        model = self.names.models[rel.table.key] + ("?" if rel.one_to_one else "[]")
        return (rel.back_field, model, f"@relation({prisma_string(rel.name)})") if rel.name else \
            (rel.back_field, model)

    def _pk_attrs(self, table: Table) -> list[str]:
        pk = table.primary_key
        if not pk or len(pk.columns) == 1:
            return []
        args = [self._fields(table, pk.columns)] + _map_arg(pk.name, _default_name(table.name, (), "pkey"))
        return [f"@@id({', '.join(args)})"]

    def _unique_sets(self, table: Table) -> list[tuple[str, tuple[str, ...], Index | None]]:
        out = [(u.name, u.columns, None) for u in table.uniques if not u.nulls_not_distinct]
        out += [(ix.name, ix.columns, ix) for ix in table.indexes if ix.unique and prisma_index_gap(ix) is None]
        return out

    def _single_uniques(self, table: Table) -> dict[str, str]:
        out = {}
        for name, cols, ix in self._unique_sets(table):
            plain = ix is None or not (ix.elements[0].descending or ix.elements[0].opclass or ix.method != "btree")
            if len(cols) == 1 and plain and cols[0] not in out:
                out[cols[0]] = self._call("@unique", _map_arg(name, _default_name(table.name, cols, "key")))
        return out

    def _unique_attrs(self, table: Table, singles: dict[str, str]) -> list[str]:
        out = []
        for name, cols, ix in self._unique_sets(table):
            if len(cols) == 1 and singles.get(cols[0]) == self._call(
                    "@unique", _map_arg(name, _default_name(table.name, cols, "key"))):
                continue
            out.append(self._index_attr("@@unique", table, name, ix, cols, "key"))
        return out

    def _index_attrs(self, table: Table) -> list[str]:
        return [self._index_attr("@@index", table, ix.name, ix, ix.columns, "idx")
                for ix in table.indexes if not ix.unique and prisma_index_gap(ix) is None]

    def _index_attr(self, attr: str, table: Table, name: str, ix: Index | None, cols, suffix: str) -> str:
        elements = ix.elements if ix else ()
        items = [self._element(table, e) for e in elements] or [self.names.fields[table.key][c] for c in cols]
        args = [_list(items)] + _map_arg(name, _default_name(table.name, cols, suffix))
        if ix and ix.method != "btree":
            args.append(f"type: {PRISMA_INDEX_TYPES[ix.method]}")
        return f"{attr}({', '.join(args)})"

    def _element(self, table: Table, e) -> str:
        args = ["sort: Desc"] if e.descending else []
        args += [f"ops: raw({prisma_string(e.opclass)})"] if e.opclass else []
        name = self.names.fields[table.key][e.column]
        return f"{name}({', '.join(args)})" if args else name


def schema_text(ctx: BuildContext, major: int) -> str:
    schema = orm_schema(ctx.schema)
    p = PrismaSchema(schema, major)
    blocks = [p.enum_block(e) for e in schema.enums] + [p.model_block(t) for t in schema.tables]
    return render_template("prisma/schema.prisma.j2", ctx.templates, spec=ctx.schema.name,
                           gaps=[g.line for g in gaps(ctx.schema, "prisma")],
                           generator=p.generator(), datasource=p.datasource(), blocks=blocks)


@register("prisma")
def render(ctx: BuildContext) -> list[Artifact]:
    config = render_template("prisma/prisma.config.ts.j2", ctx.templates, spec=ctx.schema.name)
    return [Artifact("prisma/schema.prisma", schema_text(ctx, 7)), Artifact("prisma.config.ts", config)]


@register("prisma6")
def render_prisma6(ctx: BuildContext) -> list[Artifact]:
    return [Artifact("prisma6/schema.prisma", schema_text(ctx, 6))]
