"""The `drizzle` target: drizzle/schema.ts with pgEnum/pgTable declarations, constraints,
indexes, policies and relations(); what Drizzle cannot hold is listed in a header comment."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.model import Column, Index, IndexElement, Policy, Schema, Table
from generator.render import render_template
from generator.targets import Artifact, BuildContext, register
from generator.targets.orm_drizzle_columns import ACTIONS, DRIZZLE_TYPES, builder, custom_sql, js, modifiers, sql
from generator.targets.orm_names import Names, camel, unique_names
from generator.targets.orm_parity import drizzle_index_gap, gaps, orm_schema
from generator.targets.orm_relations import Relation, build_names

TS_RESERVED = frozenset("""break case catch class const continue debugger default delete do else enum export
extends false finally for function if import in instanceof new null return super switch this throw true try
typeof var void while with let static yield await implements interface package private protected public
any boolean number string symbol object undefined t""".split())
PG_CORE = "drizzle-orm/pg-core"
IMPORTED = frozenset({"relations", "sql", "pgSchema", "customType", "pgEnum", "pgTable", "AnyPgColumn", "primaryKey",
                      "foreignKey", "unique", "index", "uniqueIndex", "check", "pgPolicy", "PgTableExtraConfigValue"}
                     | {b for b in DRIZZLE_TYPES.values() if b})


@dataclass
class TableDecl:
    """One `export const x = pgTable(...)` with its columns and extra-config entries."""

    const: str
    call: str
    docs: list[str]
    columns: list[tuple[list[str], str]] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    enable_rls: bool = False


def _docs(text: str | None) -> list[str]:
    return [line.rstrip().replace("*/", "* /") for line in text.splitlines()] if text else []


def _drizzle_fk_name(table: Table, fk) -> str:
    return f"{table.name}_{'_'.join(fk.columns)}_{fk.ref_table}_{'_'.join(fk.ref_columns)}_fk"


class DrizzleSchema:
    """Builds the declarations of one schema.ts and records which imports they use."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.imports: dict[str, set[str]] = {"drizzle-orm": set(), PG_CORE: set()}
        reserved = TS_RESERVED | IMPORTED
        self.names = build_names(schema, const_reserved=reserved)
        taken = Names(reserved | set(self.names.consts.values()))
        self.schema_consts = {s: taken.take(camel(s) + "Schema") for s in self._schemas()}
        self.enum_consts = {k: taken.take(n) for k, n in
                            unique_names(schema.enums, lambda s, n: camel(f"{s}_{n}")).items()}
        customs = sorted({s for t in schema.tables for c in t.columns if (s := custom_sql(c.type))})
        self.custom_consts = {s: taken.take(camel(s.replace("(", "_").replace(")", "")) + "Type") for s in customs}
        self.relation_consts = {t.key: taken.take(self.names.consts[t.key] + "Relations") for t in schema.tables}

    def _schemas(self) -> list[str]:
        used = {t.schema for t in self.schema.tables} | {e.schema for e in self.schema.enums}
        return sorted(used - {"public"})

    def use(self, name: str, module: str = PG_CORE) -> str:
        """Record an import (`type X` for a type-only one) and return the name to write."""
        self.imports[module].add(name)
        return name.removeprefix("type ")

    def import_lines(self) -> list[str]:
        out = []
        for module in ("drizzle-orm", PG_CORE):
            names = sorted(self.imports[module], key=lambda n: n.removeprefix("type ").lower())
            if names:
                out.append(f"import {{ {', '.join(names)} }} from {js(module)};")
        return out

    # -- enums, schemas, custom types -------------------------------------------------------
    def schema_lines(self) -> list[str]:
        return [f"export const {c} = {self.use('pgSchema')}({js(s)});" for s, c in self.schema_consts.items()]

    def custom_lines(self) -> list[str]:
        if self.custom_consts:
            self.use("customType")
        return [f"export const {c} = customType<{{ data: string }}>({{ dataType: () => {js(s)} }});"
                for s, c in self.custom_consts.items()]

    def enum_lines(self) -> list[str]:
        out = []
        for e in self.schema.enums:
            fn = self.use("pgEnum") if e.schema == "public" else f"{self.schema_consts[e.schema]}.enum"
            values = ", ".join(js(v) for v in e.values)
            out.append(f"export const {self.enum_consts[e.key]} = {fn}({js(e.name)}, [{values}]);")
        return out

    # -- tables -----------------------------------------------------------------------------
    def table_decl(self, table: Table) -> TableDecl:
        fn = self.use("pgTable") if table.schema == "public" else f"{self.schema_consts[table.schema]}.table"
        decl = TableDecl(self.names.consts[table.key], f"{fn}({js(table.name)}", _docs(table.comment))
        for col in table.columns:
            decl.columns.append((_docs(col.comment), self._column(table, col)))
        decl.extras = (self._pk(table) + self._fks(table) + self._uniques(table) + self._indexes(table)
                       + self._checks(table) + [self._policy(p) for p in table.policies])
        decl.enable_rls = table.rls_enabled
        if decl.extras:   # annotated so that tables referencing each other type-check
            self.use("type PgTableExtraConfigValue")
        return decl

    def _field(self, table: Table, column: str, var: str = "t") -> str:
        return f"{var}.{self.names.fields[table.key][column]}"

    def _single_pk(self, table: Table, col: Column) -> bool:
        pk = table.primary_key
        return bool(pk and pk.columns == (col.name,) and pk.name == f"{table.name}_pkey")

    def _column(self, table: Table, col: Column) -> str:
        enum = self.schema.enum(col.type.base, col.type.schema or "public") if col.type.enum else None
        custom = custom_sql(col.type)
        if not enum and not custom:
            self.use(DRIZZLE_TYPES[col.type.base])
        head = builder(col, self.enum_consts[enum.key] if enum else None, self.custom_consts.get(custom))
        refs = self._inline_reference(table, col)
        name = self.names.fields[table.key][col.name]
        return f"{name}: {head}{modifiers(col, self._single_pk(table, col))}{refs}"

    def _inline_fks(self, table: Table):
        return [fk for fk in table.foreign_keys if len(fk.columns) == 1 and fk.name == _drizzle_fk_name(table, fk)
                and self.schema.table(fk.ref_table, fk.ref_schema) is not None]

    def _inline_reference(self, table: Table, col: Column) -> str:
        for fk in self._inline_fks(table):
            if fk.columns == (col.name,):
                target = self.schema.table(fk.ref_table, fk.ref_schema)
                ref = self._field(target, fk.ref_columns[0], self.names.consts[target.key])
                opts = self._actions(fk, "{ ", " }")
                return f".references((): {self.use('type AnyPgColumn')} => {ref}{', ' + opts if opts else ''})"
        return ""

    @staticmethod
    def _actions(fk, left: str, right: str) -> str:
        parts = [f"on{k}: {js(ACTIONS[v])}" for k, v in (("Delete", fk.on_delete), ("Update", fk.on_update))
                 if v != "NO ACTION"]
        return left + ", ".join(parts) + right if parts else ""

    def _pk(self, table: Table) -> list[str]:
        pk = table.primary_key
        if not pk or (len(pk.columns) == 1 and pk.name == f"{table.name}_pkey"):
            return []
        cols = ", ".join(self._field(table, c) for c in pk.columns)
        return [f"{self.use('primaryKey')}({{ name: {js(pk.name)}, columns: [{cols}] }})"]

    def _fks(self, table: Table) -> list[str]:
        out, inline = [], self._inline_fks(table)
        for fk in table.foreign_keys:
            target = self.schema.table(fk.ref_table, fk.ref_schema)
            if fk in inline or target is None:
                continue
            var = "t" if target.key == table.key else self.names.consts[target.key]
            cols = ", ".join(self._field(table, c) for c in fk.columns)
            refs = ", ".join(self._field(target, c, var) for c in fk.ref_columns)
            chain = "".join(f".on{k}({js(ACTIONS[v])})" for k, v in (("Delete", fk.on_delete), ("Update", fk.on_update))
                            if v != "NO ACTION")
            out.append(f"{self.use('foreignKey')}({{ name: {js(fk.name)}, columns: [{cols}], "
                       f"foreignColumns: [{refs}] }}){chain}")
        return out

    def _uniques(self, table: Table) -> list[str]:
        return [f"{self.use('unique')}({js(u.name)}).on({', '.join(self._field(table, c) for c in u.columns)})"
                + (".nullsNotDistinct()" if u.nulls_not_distinct else "") for u in table.uniques]

    def _indexes(self, table: Table) -> list[str]:
        return [self._index(table, ix) for ix in table.indexes if drizzle_index_gap(ix) is None]

    def _index(self, table: Table, ix: Index) -> str:
        head = f"{self.use('uniqueIndex' if ix.unique else 'index')}({js(ix.name)})"
        elements = ", ".join(self._element(table, e) for e in ix.elements)
        text = f"{head}.using({js(ix.method)}, {elements})" if ix.method != "btree" else f"{head}.on({elements})"
        if ix.params:
            text += ".with({ " + ", ".join(f"{k}: {v if v.isdigit() else js(v)}" for k, v in ix.params) + " })"
        return text + (f".where({self._sql(ix.where)})" if ix.where else "")

    def _element(self, table: Table, e: IndexElement) -> str:
        if e.expression:
            extra = (f" {e.opclass}" if e.opclass else "") + (" DESC" if e.descending else "") + \
                    (f" NULLS {e.nulls.upper()}" if e.nulls else "")
            return self._sql(f"({e.expression}){extra}" if extra else e.expression)
        text = self._field(table, e.column)
        text += f".op({js(e.opclass)})" if e.opclass else ""
        text += ".desc()" if e.descending else ""
        nulls = e.nulls or ("first" if e.descending else "last")   # drizzle-kit writes NULLS LAST unless told
        return text + (".nullsFirst()" if nulls == "first" else "")

    def _sql(self, expr: str) -> str:
        self.use("sql", "drizzle-orm")
        return sql(expr)

    def _checks(self, table: Table) -> list[str]:
        return [f"{self.use('check')}({js(c.name)}, {self._sql(c.expression)})" for c in table.checks]

    def _policy(self, p: Policy) -> str:
        opts = [] if p.permissive else ['as: "restrictive"']
        opts += [] if p.command == "ALL" else [f"for: {js(p.command.lower())}"]
        roles = [js(r) for r in p.roles]
        opts.append(f"to: {roles[0]}" if len(roles) == 1 else f"to: [{', '.join(roles)}]")
        opts += [f"using: {self._sql(p.using)}"] if p.using else []
        opts += [f"withCheck: {self._sql(p.check)}"] if p.check else []
        return f"{self.use('pgPolicy')}({js(p.name)}, {{ {', '.join(opts)} }})"

    # -- relations --------------------------------------------------------------------------
    def relation_decl(self, table: Table) -> tuple[str, str, list[str]] | None:
        entries, helpers = [], set()
        for rel in self.names.outgoing(table):
            entries.append(f"{rel.field}: one({self._owning_args(rel)})")
            helpers.add("one")
        for rel in self.names.incoming(table):
            kind = "one" if rel.one_to_one else "many"
            extra = f", {{ relationName: {js(rel.name)} }}" if rel.name else ""
            entries.append(f"{rel.back_field}: {kind}({self.names.consts[rel.table.key]}{extra})")
            helpers.add(kind)
        if not entries:
            return None
        self.use("relations", "drizzle-orm")
        args = "{ " + ", ".join(sorted(helpers, key=["one", "many"].index)) + " }"
        const, table_const = self.relation_consts[table.key], self.names.consts[table.key]
        head = f"export const {const} = relations({table_const}, ({args}) => ({{"
        return head, "}));", entries

    def _owning_args(self, rel: Relation) -> str:
        src, dst = self.names.consts[rel.table.key], self.names.consts[rel.target.key]
        fields = ", ".join(self._field(rel.table, c, src) for c in rel.fk.columns)
        refs = ", ".join(self._field(rel.target, c, dst) for c in rel.fk.ref_columns)
        name = f", relationName: {js(rel.name)}" if rel.name else ""
        return f"{dst}, {{ fields: [{fields}], references: [{refs}]{name} }}"


@register("drizzle")
def render(ctx: BuildContext) -> list[Artifact]:
    schema = orm_schema(ctx.schema)
    d = DrizzleSchema(schema)
    tables = [d.table_decl(t) for t in schema.tables]
    relations = [r for t in schema.tables if (r := d.relation_decl(t))]
    enums, customs, schemas = d.enum_lines(), d.custom_lines(), d.schema_lines()
    text = render_template("drizzle/schema.ts.j2", ctx.templates, spec=ctx.schema.name,
                           gaps=[g.line for g in gaps(ctx.schema, "drizzle")], imports=d.import_lines(),
                           schemas=schemas, customs=customs, enums=enums, tables=tables, relations=relations)
    return [Artifact("drizzle/schema.ts", text)]
