"""Synthetic schemas for the benchmark: one deterministic model of N tables, written in gen's
YAML (long form) and, for the same schema, in DBML, Prisma and Drizzle form.

    python benchmarks/generate.py --sizes 100,1000 [--out benchmarks/.work]

Every table has ~10 columns of mixed types, one of N/20 enums, two foreign keys to earlier
tables (so there are no cycles), a unique column, a composite unique, composite and FK
indexes and a check; every other table is tenant-scoped (tenant column, FK to the tenant
root and a tenant-isolation RLS policy, where the format can say so). `variant=True` makes
the second spec of the diff benchmark: ~5% of the tables changed, added or removed.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
WORDS = ("accounts", "orders", "invoices", "shipments", "tickets", "projects", "events", "payments",
         "products", "reviews", "sessions", "devices", "contracts", "articles", "campaigns", "tasks")
ENUM_VALUES = ("draft", "active", "paused", "archived")
TENANT_SETTING = "app.tenant_id"
TABLES_PER_FILE = 5000  # larger specs are split into files of this many entities (gen's 8 MiB per-file limit)


@dataclass
class Col:
    name: str
    type: str                   # PostgreSQL spelling: uuid, text, varchar(64), numeric(12,2), <enum>, ...
    nullable: bool = True
    default: str | None = None  # SQL expression
    pk: bool = False
    unique: bool = False
    index: bool = False
    ref: str | None = None      # referenced table (its id)
    on_delete: str | None = None


@dataclass
class Tbl:
    name: str
    enum: str
    tenant: bool
    columns: list[Col]
    description: str
    uniques: list[list[str]] = field(default_factory=list)
    indexes: list[list[str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


@dataclass
class Model:
    name: str
    enums: list[str]
    tables: list[Tbl]


def table_name(i: int) -> str:
    return "tenants" if i == 0 else f"{WORDS[i % len(WORDS)]}_{i:05d}"


def _earlier(i: int, salt: int) -> int:
    """A deterministic pseudo-random table before i (0 is the tenant root)."""
    return (i * 7919 + salt * 104729) % i if i > 1 else 0


def _table(i: int, n_enums: int, changed: str | None = None, name: str | None = None) -> Tbl:
    enum = f"status_{i % n_enums:04d}"
    tenant = i % 2 == 1
    cols = [
        Col("id", "uuid", False, "gen_random_uuid()", pk=True),
        Col("name", "text", False),
        Col("slug", "varchar(64)", False, unique=True),
        Col("status", enum, False, "'draft'"),
        Col("amount", "numeric(12,2)", False, "0"),
        Col("quantity", "integer", False, "1" if changed == "default" else "0"),
        Col("is_active", "boolean", False, "true"),
        Col("metadata", "jsonb", False, "'{}'"),
        Col("created_at", "timestamptz", False, "now()"),
        Col("parent_id", "uuid", True, ref=table_name(_earlier(i, 1)), on_delete="set null"),
        Col("ref_id", "uuid", False, ref=table_name(_earlier(i, 2)), on_delete="cascade", index=True),
    ]
    if changed == "column":
        cols.append(Col("note", "text", True))
    indexes = [["tenant_id", "created_at"] if tenant else ["status", "created_at"]]
    if changed == "index":
        indexes.append(["name"])
    return Tbl(name or table_name(i), enum, tenant, cols, f"Synthetic table {i} of the benchmark.",
               uniques=[["parent_id", "name"]], indexes=indexes,
               checks=[] if changed == "check" else ["amount >= 0"])


def build_model(n: int, variant: bool = False) -> Model:
    """n tables (table 0 is the tenant root). The variant changes ~5% of them: a column added,
    an index added, a default changed or a check dropped (1% each), 0.5% dropped, 0.5% added."""
    n_enums = max(1, n // 20)
    root = Tbl("tenants", "status_0000", False, [
        Col("id", "uuid", False, "gen_random_uuid()", pk=True),
        Col("name", "text", False),
        Col("slug", "varchar(64)", False, unique=True),
        Col("created_at", "timestamptz", False, "now()"),
    ], "The tenant root.")
    tables = [root]
    step = 100  # 1% of the tables per kind of change
    drop = max(1, n // 200) if variant else 0
    for i in range(1, n - drop):
        changed = None
        if variant:
            changed = {7: "column", 31: "index", 53: "default", 79: "check"}.get(i % step)
        tables.append(_table(i, n_enums, changed))
    for k in range(drop):  # dropped: the last tables (nothing refers to them); added: new ones
        tables.append(_table(n - drop + k, n_enums, name=f"added_{k:05d}"))
    return Model(f"bench{n}" + ("b" if variant else ""), [f"status_{k:04d}" for k in range(n_enums)], tables)


# ---------------------------------------------------------------- gen YAML (long form)

def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(text)


def to_yaml(m: Model, tables: slice = slice(None), header: bool = True) -> str:
    """The spec (or, for a spec split into files, the part with `tables`; the header in the first)."""
    out = [f"# Synthetic benchmark spec: {len(m.tables)} tables (benchmarks/generate.py; do not edit)."]
    if header:
        out += ["spec: 1", f"name: {m.name}", "description: Synthetic schema for the performance benchmark.",
                "database:", "  dialect: postgres", "  version: 16", "tenancy:", "  root: tenants",
                "  column: tenant_id", f"  setting: {TENANT_SETTING}", "enums:"]
        for e in m.enums:
            out.append(f"  {e}:")
            out.append("    values: [" + ", ".join(ENUM_VALUES) + "]")
    out.append("entities:")
    for t in m.tables[tables]:
        out += [f"  {t.name}:", f"    description: {_q(t.description)}"]
        if t.tenant:
            out.append("    tenant: true")
        out.append("    columns:")
        for c in t.columns:
            out.append(f"      {c.name}:")
            out.append(f"        type: {c.type}")
            if c.pk:
                out.append("        pk: true")
            elif not c.nullable:
                out.append("        nullable: false")
            if c.default is not None and not c.pk:
                out.append(f"        default: {_q(c.default)}")
            if c.unique:
                out.append("        unique: true")
            if c.index:
                out.append("        index: true")
            if c.ref:
                out.append("        ref:")
                out.append(f"          entity: {c.ref}")
                out.append(f"          on_delete: {c.on_delete}")
        if t.uniques:
            out.append("    unique:")
            out += [f"      - columns: [{', '.join(u)}]" for u in t.uniques]
        if t.checks:
            out.append("    checks:")
            out += [f"      - expression: {_q(c)}" for c in t.checks]
        if t.indexes:
            out.append("    indexes:")
            for ix in t.indexes:
                out.append(f"      - columns: [{', '.join(ix)}]")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- DBML

def _dbml_default(c: Col) -> str:
    d = c.default
    if d is None:
        return ""
    if d.startswith("'"):
        return f"default: {d}"
    if d in ("true", "false") or d.replace(".", "").isdigit():
        return f"default: {d}"
    return f"default: `{d}`"


def to_dbml(m: Model) -> str:
    out = [f"// Synthetic benchmark schema: {len(m.tables)} tables (benchmarks/generate.py)", ""]
    for e in m.enums:
        out.append(f"Enum {e} {{\n" + "".join(f"  {v}\n" for v in ENUM_VALUES) + "}\n")
    refs = []
    for t in m.tables:
        out.append(f"Table {t.name} {{")
        for c in _with_tenant(t):
            settings = []
            if c.pk:
                settings.append("pk")
            elif not c.nullable:
                settings.append("not null")
            if c.unique:
                settings.append("unique")
            if _dbml_default(c):
                settings.append(_dbml_default(c))
            typ = f'"{c.type}"' if "(" in c.type and "," in c.type else c.type
            out.append(f"  {c.name} {typ}" + (f" [{', '.join(settings)}]" if settings else ""))
            if c.ref:
                refs.append(f"Ref: {t.name}.{c.name} > {c.ref}.id [delete: {c.on_delete}]")
        ixs = [f"    ({', '.join(u)}) [unique]" for u in t.uniques]
        ixs += [f"    {c.name}" for c in t.columns if c.index]
        ixs += [f"    ({', '.join(ix)})" for ix in t.indexes]
        if ixs:
            out += ["", "  indexes {"] + ixs + ["  }"]
        out.append("}\n")
    return "\n".join(out + refs) + "\n"


def _with_tenant(t: Tbl) -> list[Col]:
    """The columns as gen resolves them: the tenant column goes right after `id`."""
    if not t.tenant:
        return t.columns
    tenant = Col("tenant_id", "uuid", False, ref="tenants", on_delete="cascade")
    return t.columns[:1] + [tenant] + t.columns[1:]


# ---------------------------------------------------------------- Prisma

_PRISMA_TYPES = {"uuid": ("String", "@db.Uuid"), "text": ("String", ""), "varchar(64)": ("String", "@db.VarChar(64)"),
                 "numeric(12,2)": ("Decimal", "@db.Decimal(12, 2)"), "integer": ("Int", ""),
                 "boolean": ("Boolean", ""), "jsonb": ("Json", ""), "timestamptz": ("DateTime", "@db.Timestamptz")}
_PRISMA_ACTIONS = {"cascade": "Cascade", "set null": "SetNull", "restrict": "Restrict"}


def _prisma_default(c: Col) -> str:
    d = c.default
    if d is None:
        return ""
    if d == "now()":
        return "@default(now())"
    if d == "gen_random_uuid()":
        return '@default(dbgenerated("gen_random_uuid()"))'
    if d.startswith("'"):
        inner = d[1:-1]
        return f"@default({inner})" if c.type.startswith("status_") else f"@default({json.dumps(inner)})"
    return f"@default({d})"


def to_prisma(m: Model) -> str:
    out = [f"// Synthetic benchmark schema: {len(m.tables)} tables (benchmarks/generate.py)",
           'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}', ""]
    for e in m.enums:
        out.append(f"enum {e} {{\n" + "".join(f"  {v}\n" for v in ENUM_VALUES) + "}\n")
    back: dict[str, list[str]] = {}
    for t in m.tables:
        for c in _with_tenant(t):
            if c.ref:
                back.setdefault(c.ref, []).append(f"  {t.name}_{c.name}_back {t.name}[] @relation(\"{t.name}_{c.name}\")")
    for t in m.tables:
        out.append(f"model {t.name} {{")
        for c in _with_tenant(t):
            typ, native = _PRISMA_TYPES.get(c.type, (c.type, ""))
            attrs = [a for a in ("@id" if c.pk else "", "@unique" if c.unique else "", _prisma_default(c), native) if a]
            out.append(f"  {c.name} {typ}{'?' if c.nullable else ''}" + (" " + " ".join(attrs) if attrs else ""))
        for c in _with_tenant(t):
            if c.ref:
                out.append(f"  {c.name}_rel {c.ref}{'?' if c.nullable else ''} @relation(\"{t.name}_{c.name}\", "
                           f"fields: [{c.name}], references: [id], onDelete: {_PRISMA_ACTIONS[c.on_delete]})")
        out += back.get(t.name, [])
        out += [f"  @@unique([{', '.join(u)}])" for u in t.uniques]
        out += [f"  @@index([{c.name}])" for c in t.columns if c.index]
        out += [f"  @@index([{', '.join(ix)}])" for ix in t.indexes]
        out.append("}\n")
    return "\n".join(out)


# ---------------------------------------------------------------- Drizzle

def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _drizzle_col(c: Col) -> str:
    if c.type.startswith("status_"):
        expr = f'{_camel(c.type)}("{c.name}")'
    else:
        expr = {"uuid": 'uuid("{n}")', "text": 'text("{n}")', "varchar(64)": 'varchar("{n}", {{ length: 64 }})',
                "numeric(12,2)": 'numeric("{n}", {{ precision: 12, scale: 2 }})', "integer": 'integer("{n}")',
                "boolean": 'boolean("{n}")', "jsonb": 'jsonb("{n}")',
                "timestamptz": 'timestamp("{n}", {{ withTimezone: true }})'}[c.type].format(n=c.name)
    if c.pk:
        expr += ".primaryKey()"
    elif not c.nullable:
        expr += ".notNull()"
    if c.unique:
        expr += ".unique()"
    if c.default is not None:
        d = c.default
        if d == "now()":
            expr += ".defaultNow()"
        elif d == "gen_random_uuid()":
            expr += ".defaultRandom()"
        elif d in ("true", "false") or d.isdigit():
            expr += f".default({json.dumps(d) if c.type.startswith('numeric') else d})"
        else:
            expr += f".default({json.dumps(d[1:-1])})"
    if c.ref:
        expr += f".references((): AnyPgColumn => {_camel(c.ref)}.id, {{ onDelete: \"{c.on_delete}\" }})"
    return f"  {_camel(c.name)}: {expr},"


def to_drizzle(m: Model) -> str:
    out = [f"// Synthetic benchmark schema: {len(m.tables)} tables (benchmarks/generate.py)",
           'import { sql } from "drizzle-orm";',
           'import { type AnyPgColumn, boolean, check, index, integer, jsonb, numeric, pgEnum, pgPolicy, pgTable, '
           'text, timestamp, unique, uuid, varchar } from "drizzle-orm/pg-core";', ""]
    for e in m.enums:
        out.append(f'export const {_camel(e)} = pgEnum("{e}", [{", ".join(json.dumps(v) for v in ENUM_VALUES)}]);')
    out.append("")
    for t in m.tables:
        out.append(f'export const {_camel(t.name)} = pgTable("{t.name}", {{')
        out += [_drizzle_col(c) for c in _with_tenant(t)]
        extras = [f'  unique("{t.name}_{"_".join(u)}_key").on({", ".join("t." + _camel(x) for x in u)}),'
                  for u in t.uniques]
        extras += [f'  index("{t.name}_{c.name}_idx").on(t.{_camel(c.name)}),' for c in t.columns if c.index]
        extras += [f'  index("{t.name}_{"_".join(ix)}_idx").on({", ".join("t." + _camel(x) for x in ix)}),'
                   for ix in t.indexes]
        extras += [f'  check("{t.name}_amount_check", sql`{ck}`),' for ck in t.checks]
        if t.tenant:
            cond = f"tenant_id = (SELECT NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid)"
            extras.append(f'  pgPolicy("{t.name}_tenant_isolation", {{ as: "permissive", for: "all", to: "public", '
                          f'using: sql`{cond}`, withCheck: sql`{cond}` }}),')
        if extras:
            out.append("}, (t) => [")
            out += extras
            out.append("]);")
        else:
            out.append("});")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- files

FORMATS = {"yaml": ("spec.yaml", to_yaml), "dbml": ("schema.dbml", to_dbml), "prisma": ("schema.prisma", to_prisma),
           "drizzle": ("schema.ts", to_drizzle)}


def write_size(n: int, out: Path = WORK, variant: bool = False, formats=tuple(FORMATS)) -> dict[str, Path]:
    """Write the schema of n tables in each format under out/n<N>[b]/; unchanged files are not rewritten."""
    model = build_model(n, variant)
    folder = out / (f"n{n}" + ("b" if variant else ""))
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in formats:
        fname, emit = FORMATS[fmt]
        if fmt == "yaml" and len(model.tables) > TABLES_PER_FILE:
            paths[fmt] = _write_parts(model, folder / "spec")
            continue
        paths[fmt] = _write(folder / fname, emit(model))
    return paths


def _write(path: Path, text: str) -> Path:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def _write_parts(model: Model, folder: Path) -> Path:
    """A spec too large for one file (gen reads at most 8 MiB per file): a directory of files of
    TABLES_PER_FILE entities each, which gen merges (the way a large team would split it)."""
    folder.mkdir(exist_ok=True)
    count = (len(model.tables) + TABLES_PER_FILE - 1) // TABLES_PER_FILE
    for k in range(count):
        part = slice(k * TABLES_PER_FILE, (k + 1) * TABLES_PER_FILE)
        _write(folder / f"part_{k:02d}.yaml", to_yaml(model, part, header=k == 0))
    return folder


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000,10000")
    ap.add_argument("--out", default=str(WORK))
    ap.add_argument("--variant", action="store_true", help="also write the changed spec for the diff benchmark")
    args = ap.parse_args(argv)
    for n in (int(s) for s in args.sizes.split(",")):
        for variant in (False, True) if args.variant else (False,):
            for fmt, path in write_size(n, Path(args.out), variant).items():
                print(f"{path}  {path.stat().st_size:>10,} bytes")


if __name__ == "__main__":
    main()
