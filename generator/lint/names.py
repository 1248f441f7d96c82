"""Every identifier in a model, with the namespace PostgreSQL looks it up in (names in one
namespace must be told apart), where the spec wrote it and the object that may override a lint;
and every free SQL text, for the characters that hide what it says."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from generator.diagnostics import Location
from generator.model import Schema, Table
from generator.model.naming import qualified, quote_ident


@dataclass(frozen=True)
class Name:
    kind: str                      # table, column, enum label, role, …
    name: str
    namespace: tuple               # names in one namespace must look different
    loc: Location | None
    owner: str                     # dotted name of what holds it ("" for a top-level object)
    subject: tuple[str, str, str] | None = None
    parent: str = ""               # the raw name of what holds it

    @property
    def dotted(self) -> str:
        return f"{self.owner}.{quote_ident(self.name)}" if self.owner else quote_ident(self.name)


def names(schema: Schema) -> Iterator[Name]:
    first_loc = {}
    for t in schema.tables:
        first_loc.setdefault(t.schema, t.loc)
    for s in sorted(set(schema.schemas) | {t.schema for t in schema.tables}):
        yield Name("schema", s, ("schema",), first_loc.get(s), "")
    for e in schema.extensions:
        yield Name("extension", e.name, ("extension",), e.loc, "")
    yield from _roles(schema)
    for e in schema.enums:
        yield Name("enum", e.name, ("type", e.schema), e.loc, _schema(e.schema))
        for label in e.values:
            yield Name("enum label", label, ("label", e.key), e.loc, qualified(e.schema, e.name), parent=e.name)
    for f in schema.functions:
        sub = ("function", f.schema, f.name)
        yield Name("function", f.name, ("function", f.schema), f.loc, _schema(f.schema), sub)
    for v in schema.views:
        sub = ("view", v.schema, v.name)
        for ns in (("relation", v.schema), ("type", v.schema)):
            yield Name("view", v.name, ns, v.loc, _schema(v.schema), sub)
    for t in schema.tables:
        yield from _table(t)


def _schema(name: str) -> str:
    return "" if name == "public" else quote_ident(name)


def _roles(schema: Schema) -> Iterator[Name]:
    for r in schema.roles:
        yield Name("role", r.name, ("role",), r.loc, "")
    for t in schema.tables:
        sub = ("table", t.schema, t.name)
        for p in t.policies:
            for role in p.roles:
                yield Name("role", role, ("role",), p.loc or t.loc, "", sub)
        for g in t.grants:
            yield Name("role", g.role, ("role",), g.loc or t.loc, "", sub)
    for v in schema.views:
        for g in v.grants:
            yield Name("role", g.role, ("role",), g.loc or v.loc, "", ("view", v.schema, v.name))
    for f in schema.functions:
        for role in f.execute or ():
            yield Name("role", role, ("role",), f.loc, "", ("function", f.schema, f.name))


def _table(t: Table) -> Iterator[Name]:
    sub, key, qname, raw = ("table", t.schema, t.name), t.key, t.qname, t.name
    for ns in (("relation", t.schema), ("type", t.schema)):
        yield Name("table", raw, ns, t.loc, _schema(t.schema), sub)
    relation, constraint = ("relation", t.schema), ("constraint", key)
    for c in t.columns:
        yield Name("column", c.name, ("column", key), c.loc or t.loc, qname, sub, raw)
    keyed = [("primary key", t.primary_key)] if t.primary_key else []
    keyed += [("unique constraint", u) for u in t.uniques]
    for kind, obj in keyed:      # backed by an index: a relation name too
        yield Name(kind, obj.name, relation, obj.loc or t.loc, qname, sub, raw)
    for kind, obj in keyed + [("foreign key", f) for f in t.foreign_keys] + [("check", c) for c in t.checks]:
        yield Name(kind, obj.name, constraint, obj.loc or t.loc, qname, sub, raw)
    for i in t.indexes:
        yield Name("index", i.name, relation, i.loc or t.loc, qname, sub, raw)
    for p in t.policies:
        yield Name("policy", p.name, ("policy", key), p.loc or t.loc, qname, sub, raw)
    for tr in t.triggers:
        yield Name("trigger", tr.name, ("trigger", key), tr.loc or t.loc, qname, sub, raw)


@dataclass(frozen=True)
class SqlText:
    what: str                      # "USING of policy p", "body of function f()"
    text: str
    loc: Location | None
    owner: str
    subject: tuple[str, str, str] | None = None


def sql_texts(schema: Schema) -> Iterator[SqlText]:
    """Every free SQL text the model carries into the database."""
    for t in schema.tables:
        sub = ("table", t.schema, t.name)
        for p in t.policies:
            for clause, text in (("USING", p.using), ("WITH CHECK", p.check)):
                if text:
                    yield SqlText(f"{clause} of policy '{p.name}'", text, p.loc or t.loc, t.qname, sub)
        for c in t.columns:
            for what, text in (("default", c.default), ("generated expression", c.generated)):
                if text:
                    yield SqlText(f"{what} of column '{c.name}'", text, c.loc or t.loc, t.qname, sub)
        for ck in t.checks:
            yield SqlText(f"check '{ck.name}'", ck.expression, ck.loc or t.loc, t.qname, sub)
        for i in t.indexes:
            for text in [i.where] + [e.expression for e in i.elements]:
                if text:
                    yield SqlText(f"index '{i.name}'", text, i.loc or t.loc, t.qname, sub)
        for tr in t.triggers:
            if tr.when:
                yield SqlText(f"WHEN of trigger '{tr.name}'", tr.when, tr.loc or t.loc, t.qname, sub)
    for v in schema.views:
        yield SqlText("query", v.query, v.loc, v.qname, ("view", v.schema, v.name))
    for f in schema.functions:
        for what, text in (("arguments", f.args), ("body", f.body)):
            if text:
                yield SqlText(what, text, f.loc, f"{qualified(f.schema, f.name)}()", ("function", f.schema, f.name))
