"""PostgreSQL SQL for the objects beyond tables: sequences, collations, domains, composite and
range types, aggregates, schema comments and privileges, raw SQL objects, and table-level
properties (UNLOGGED, storage parameters, CLUSTER ON, REPLICA IDENTITY)."""
from __future__ import annotations

from generator.diff import objects as ob
from generator.model import Aggregate, Collation, CompositeType, Domain, RangeType, Sequence, Table
from generator.model.naming import qualified, quote_ident, quote_literal
from generator.model.objects import sequence_bounds
from generator.postgres.render import Statement


def _st(sql, comment, phase, change, transactional=True, step="main") -> Statement:
    return Statement(sql, comment, phase, change, transactional, step)


# ---------------------------------------------------------------- sequences

def sequence_options(s: Sequence) -> str:
    low, high = sequence_bounds(s.type, s.increment)
    parts = [f"AS {s.type}"]
    if s.increment != 1:
        parts.append(f"INCREMENT BY {s.increment}")
    parts.append(f"MINVALUE {s.min_value}" if s.min_value != low else "NO MINVALUE")
    parts.append(f"MAXVALUE {s.max_value}" if s.max_value != high else "NO MAXVALUE")
    parts.append(f"START WITH {s.start}")
    if s.cache != 1:
        parts.append(f"CACHE {s.cache}")
    parts.append("CYCLE" if s.cycle else "NO CYCLE")
    return " ".join(parts)


def owned_by(s: Sequence) -> str:
    if s.owned_by is None:
        return "NONE"
    schema, table, column = s.owned_by
    return f"{qualified(schema, table)}.{quote_ident(column)}"


def add_sequence(c: ob.AddSequence):
    s = c.sequence
    kind = "UNLOGGED SEQUENCE" if s.unlogged else "SEQUENCE"
    out = [_st(f"CREATE {kind} {s.qname} {sequence_options(s)};", f"sequence {s.name}", "sequences", c)]
    if s.owned_by:
        out.append(_st(f"ALTER SEQUENCE {s.qname} OWNED BY {owned_by(s)};",
                       f"sequence {s.name} belongs to {s.owned_by[1]}.{s.owned_by[2]}", "constraints", c))
    if s.comment is not None:
        out.append(_st(f"COMMENT ON SEQUENCE {s.qname} IS {quote_literal(s.comment)};",
                       f"comment on sequence {s.name}", "comments", c))
    return out


def drop_sequence(c: ob.DropSequence):
    # a sequence owned by a dropped table or column went with it
    return [_st(f"DROP SEQUENCE IF EXISTS {c.sequence.qname};", f"drop sequence {c.sequence.name}", "sequences", c)]


def alter_sequence(c: ob.AlterSequence):
    o, n = c.old, c.new
    out = []
    if (o.type, o.increment, o.min_value, o.max_value, o.start, o.cache, o.cycle) != \
            (n.type, n.increment, n.min_value, n.max_value, n.start, n.cache, n.cycle):
        out.append(_st(f"ALTER SEQUENCE {n.qname} {sequence_options(n)};", f"sequence {n.name} options",
                       "sequences", c))
    if o.unlogged != n.unlogged:
        out.append(_st(f"ALTER SEQUENCE {n.qname} SET {'UNLOGGED' if n.unlogged else 'LOGGED'};",
                       f"sequence {n.name} {'unlogged' if n.unlogged else 'logged'}", "sequences", c))
    if o.owned_by != n.owned_by:
        out.append(_st(f"ALTER SEQUENCE {n.qname} OWNED BY {owned_by(n)};", f"owner of sequence {n.name}",
                       "constraints", c))
    if o.comment != n.comment:
        value = quote_literal(n.comment) if n.comment is not None else "NULL"
        out.append(_st(f"COMMENT ON SEQUENCE {n.qname} IS {value};", f"comment on sequence {n.name}", "comments", c))
    return out


# ---------------------------------------------------------------- collations and types

def collation_sql(x: Collation) -> str:
    parts = [f"provider = {x.provider}"]
    if x.locale is not None:
        parts.append(f"locale = {quote_literal(x.locale)}")
    else:
        parts += [f"lc_collate = {quote_literal(x.lc_collate or 'C')}", f"lc_ctype = {quote_literal(x.lc_ctype or 'C')}"]
    if not x.deterministic:
        parts.append("deterministic = false")
    return f"CREATE COLLATION {x.qname} ({', '.join(parts)});"


def domain_sql(d: Domain) -> str:
    sql = f"CREATE DOMAIN {d.qname} AS {d.base}"
    if d.collation:
        sql += f" COLLATE {quote_ident(d.collation)}"
    if d.default is not None:
        sql += f" DEFAULT {d.default}"
    if d.not_null:
        sql += " NOT NULL"
    for k in d.checks:
        sql += f"\n  CONSTRAINT {quote_ident(k.name)} CHECK ({k.expression})"
    return sql + ";"


def composite_sql(t: CompositeType) -> str:
    body = ",\n".join(f"  {quote_ident(n)} {typ}" for n, typ in t.attributes)
    return f"CREATE TYPE {t.qname} AS (\n{body}\n);"


def range_sql(r: RangeType) -> str:
    parts = [f"subtype = {r.subtype}"]
    for key in ("subtype_opclass", "collation", "canonical", "subtype_diff"):
        value = getattr(r, key)
        if value:
            parts.append(f"{key} = {value}")
    if r.multirange:
        parts.append(f"multirange_type_name = {quote_ident(r.multirange)}")
    return f"CREATE TYPE {r.qname} AS RANGE ({', '.join(parts)});"


def type_sql(t) -> tuple[str, str, str]:
    """(CREATE statement, DROP keyword, label) of a domain, composite or range type."""
    if isinstance(t, Domain):
        return domain_sql(t), "DOMAIN", "domain"
    if isinstance(t, CompositeType):
        return composite_sql(t), "TYPE", "composite type"
    return range_sql(t), "TYPE", "range type"


def add_type(c: ob.AddType):
    sql, keyword, label = type_sql(c.type)
    out = [_st(sql, f"{label} {c.type.name}", "types", c)]
    if c.type.comment is not None:
        out.append(_st(f"COMMENT ON {keyword} {c.type.qname} IS {quote_literal(c.type.comment)};",
                       f"comment on {label} {c.type.name}", "comments", c))
    return out


def drop_type(c: ob.DropType):
    _, keyword, label = type_sql(c.type)
    return [_st(f"DROP {keyword} {c.type.qname};", f"drop {label} {c.type.name}", "types", c)]


def add_collation(c: ob.AddCollation):
    out = [_st(collation_sql(c.collation), f"collation {c.collation.name}", "collations", c)]
    if c.collation.comment is not None:
        out.append(_st(f"COMMENT ON COLLATION {c.collation.qname} IS {quote_literal(c.collation.comment)};",
                       f"comment on collation {c.collation.name}", "comments", c))
    return out


def drop_collation(c: ob.DropCollation):
    return [_st(f"DROP COLLATION {c.collation.qname};", f"drop collation {c.collation.name}", "collations", c)]


# ---------------------------------------------------------------- aggregates

def aggregate_sql(a: Aggregate) -> str:
    parts = [f"SFUNC = {a.sfunc}", f"STYPE = {a.stype}"] + [f"{k} = {v}" for k, v in a.options]
    return f"CREATE AGGREGATE {a.qname}({a.args}) (\n  " + ",\n  ".join(parts) + "\n);"


def add_aggregate(c: ob.AddAggregate):
    a = c.aggregate
    out = [_st(aggregate_sql(a), f"aggregate {a.name}", "aggregates", c)]
    if a.comment is not None:
        out.append(_st(f"COMMENT ON AGGREGATE {a.qname}({a.args}) IS {quote_literal(a.comment)};",
                       f"comment on aggregate {a.name}", "aggregates", c))
    return out


def drop_aggregate(c: ob.DropAggregate):
    a = c.aggregate
    return [_st(f"DROP AGGREGATE {a.qname}({a.args});", f"drop aggregate {a.name}", "aggregates", c)]


# ---------------------------------------------------------------- schemas (namespaces)

def set_namespace(c: ob.SetNamespace):
    o, n, q = c.old, c.new, quote_ident(c.new.name)
    out = []
    if o.comment != n.comment:
        value = quote_literal(n.comment) if n.comment is not None else "NULL"
        out.append(_st(f"COMMENT ON SCHEMA {q} IS {value};", f"comment on schema {n.name}", "comments", c))
    before, after = dict(o.grants), dict(n.grants)
    for role in sorted(set(before) | set(after)):
        who = "PUBLIC" if role == "public" else quote_ident(role)
        gone = [p for p in before.get(role, ()) if p not in after.get(role, ())]
        new = [p for p in after.get(role, ()) if p not in before.get(role, ())]
        if gone:
            out.append(_st(f"REVOKE {', '.join(gone)} ON SCHEMA {q} FROM {who};", f"revoke on schema {n.name}",
                           "grants", c))
        if new:
            out.append(_st(f"GRANT {', '.join(new)} ON SCHEMA {q} TO {who};", f"grant on schema {n.name}",
                           "grants", c))
    return out


# ---------------------------------------------------------------- raw SQL

def add_raw(c: ob.AddRaw):
    return [_st(c.raw.sql.strip().rstrip(";") + ";", f"raw SQL {c.raw.name}", "raw", c)]


def drop_raw(c: ob.DropRaw):
    if c.raw.drop is None:
        from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
        raise GenError([Diagnostic("PG020", f"raw SQL object '{c.raw.name}' has no `drop:` SQL, so removing or "
                                   "changing it cannot be planned", name=f"sql.{c.raw.name}",
                                   hint="give it `drop:` (the SQL that undoes it)")], EXIT_BAD_INPUT)
    return [_st(c.raw.drop.strip().rstrip(";") + ";", f"undo raw SQL {c.raw.name}", "raw", c)]


# ---------------------------------------------------------------- table properties

def alter_table(c: ob.AlterTable):
    o, n, q = c.old, c.new, c.new.qname
    out = []
    if o.unlogged != n.unlogged:
        out.append(_st(f"ALTER TABLE {q} SET {'UNLOGGED' if n.unlogged else 'LOGGED'};",
                       f"{n.name} {'unlogged' if n.unlogged else 'logged'}", "columns", c))
    if o.options != n.options:
        out += table_options(c, n, dict(o.options))
    if o.replica_identity != n.replica_identity:
        out.append(_st(replica_identity_sql(n), f"replica identity of {n.name}", "comments", c))
    if o.cluster_on != n.cluster_on:
        sql = f"ALTER TABLE {q} CLUSTER ON {quote_ident(n.cluster_on)};" if n.cluster_on else \
            f"ALTER TABLE {q} SET WITHOUT CLUSTER;"
        out.append(_st(sql, f"cluster {n.name}", "comments", c))
    return out


def table_options(c, t: Table, old: dict) -> list[Statement]:
    new = dict(t.options)
    gone = [k for k in old if k not in new]
    out = []
    if gone:
        out.append(_st(f"ALTER TABLE {t.qname} RESET ({', '.join(gone)});", f"storage parameters of {t.name}",
                       "columns", c))
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        out.append(_st(f"ALTER TABLE {t.qname} SET ({', '.join(f'{k} = {v}' for k, v in changed.items())});",
                       f"storage parameters of {t.name}", "columns", c))
    return out


def replica_identity_sql(t: Table) -> str:
    ri = t.replica_identity
    what = "DEFAULT" if ri is None else ri if ri in ("FULL", "NOTHING") else f"USING INDEX {quote_ident(ri)}"
    return f"ALTER TABLE {t.qname} REPLICA IDENTITY {what};"


RENDERERS = {
    ob.AddSequence: add_sequence, ob.DropSequence: drop_sequence, ob.AlterSequence: alter_sequence,
    ob.AddCollation: add_collation, ob.DropCollation: drop_collation,
    ob.AddType: add_type, ob.DropType: drop_type,
    ob.AddAggregate: add_aggregate, ob.DropAggregate: drop_aggregate,
    ob.SetNamespace: set_namespace, ob.AddRaw: add_raw, ob.DropRaw: drop_raw, ob.AlterTable: alter_table,
}
