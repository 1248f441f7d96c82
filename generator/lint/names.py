"""Every identifier in a model, with the namespace PostgreSQL looks it up in (names in one
namespace must be told apart), where the spec wrote it and the object that may override a lint;
and every free SQL text, for the characters that hide what it says."""
from __future__ import annotations

from typing import Callable, Iterator, NamedTuple

from generator.diagnostics import Location
from generator.model import Schema, Table
from generator.model.naming import qualified, quote_ident


class Name(NamedTuple):
    """One identifier (a named tuple: a large model has tens of thousands)."""

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


def names(schema: Schema) -> list[Name]:
    first_loc = {}
    for t in schema.tables:
        first_loc.setdefault(t.schema, t.loc)
    out = [Name("schema", s, ("schema",), first_loc.get(s), "")
           for s in sorted(set(schema.schemas) | {t.schema for t in schema.tables})]
    out += [Name("extension", e.name, ("extension",), e.loc, "") for e in schema.extensions]
    out += _roles(schema)
    for e in schema.enums:
        out.append(Name("enum", e.name, ("type", e.schema), e.loc, _schema(e.schema)))
        labels, owner = ("label", e.key), qualified(e.schema, e.name)
        out += [Name("enum label", label, labels, e.loc, owner, None, e.name) for label in e.values]
    for f in schema.functions:
        sub = ("function", f.schema, f.name)
        out.append(Name("function", f.name, ("function", f.schema), f.loc, _schema(f.schema), sub))
    for v in schema.views:
        sub = ("view", v.schema, v.name)
        out += [Name("view", v.name, ns, v.loc, _schema(v.schema), sub) for ns in (("relation", v.schema), ("type", v.schema))]
    for t in schema.tables:
        out += _table(t)
    return out


def _schema(name: str) -> str:
    return "" if name == "public" else quote_ident(name)


def _roles(schema: Schema) -> list[Name]:
    role = ("role",)
    out = [Name("role", r.name, role, r.loc, "") for r in schema.roles]
    for t in schema.tables:
        sub = ("table", t.schema, t.name)
        for p in t.policies:
            out += [Name("role", r, role, p.loc or t.loc, "", sub) for r in p.roles]
        out += [Name("role", g.role, role, g.loc or t.loc, "", sub) for g in t.grants]
    for v in schema.views:
        out += [Name("role", g.role, role, g.loc or v.loc, "", ("view", v.schema, v.name)) for g in v.grants]
    for f in schema.functions:
        out += [Name("role", r, role, f.loc, "", ("function", f.schema, f.name)) for r in f.execute or ()]
    return out


def _table(t: Table) -> list[Name]:
    sub, key, qname, raw, loc = ("table", t.schema, t.name), t.key, t.qname, t.name, t.loc
    relation, constraint, column = ("relation", t.schema), ("constraint", key), ("column", key)
    out = [Name("table", raw, ns, loc, _schema(t.schema), sub) for ns in (relation, ("type", t.schema))]
    out += [Name("column", c.name, column, c.loc or loc, qname, sub, raw) for c in t.columns]
    keyed = [("primary key", t.primary_key)] if t.primary_key else []
    keyed += [("unique constraint", u) for u in t.uniques]
    # backed by an index: a relation name too
    out += [Name(kind, obj.name, relation, obj.loc or loc, qname, sub, raw) for kind, obj in keyed]
    out += [Name(kind, obj.name, constraint, obj.loc or loc, qname, sub, raw)
            for kind, obj in keyed + [("foreign key", f) for f in t.foreign_keys] + [("check", c) for c in t.checks]]
    out += [Name("index", i.name, relation, i.loc or loc, qname, sub, raw) for i in t.indexes]
    policy, trigger = ("policy", key), ("trigger", key)
    out += [Name("policy", p.name, policy, p.loc or loc, qname, sub, raw) for p in t.policies]
    out += [Name("trigger", tr.name, trigger, tr.loc or loc, qname, sub, raw) for tr in t.triggers]
    return out


class SqlText(NamedTuple):
    what: str                      # "USING of policy p", "body of function f()"
    text: str
    loc: Location | None
    owner: str
    subject: tuple[str, str, str] | None = None


def sql_texts(schema: Schema, keep: Callable[[str], bool] | None = None) -> Iterator[SqlText]:
    """Every free SQL text the model carries into the database (with `keep`: those it keeps)."""
    for t in schema.tables:
        sub = ("table", t.schema, t.name)
        for p in t.policies:
            for clause, text in (("USING", p.using), ("WITH CHECK", p.check)):
                if text and (keep is None or keep(text)):
                    yield SqlText(f"{clause} of policy '{p.name}'", text, p.loc or t.loc, t.qname, sub)
        for c in t.columns:
            for what, text in (("default", c.default), ("generated expression", c.generated)):
                if text and (keep is None or keep(text)):
                    yield SqlText(f"{what} of column '{c.name}'", text, c.loc or t.loc, t.qname, sub)
        for ck in t.checks:
            if keep is None or keep(ck.expression):
                yield SqlText(f"check '{ck.name}'", ck.expression, ck.loc or t.loc, t.qname, sub)
        for i in t.indexes:
            for text in [i.where] + [e.expression for e in i.elements]:
                if text and (keep is None or keep(text)):
                    yield SqlText(f"index '{i.name}'", text, i.loc or t.loc, t.qname, sub)
        for tr in t.triggers:
            if tr.when and (keep is None or keep(tr.when)):
                yield SqlText(f"WHEN of trigger '{tr.name}'", tr.when, tr.loc or t.loc, t.qname, sub)
    for v in schema.views:
        if keep is None or keep(v.query):
            yield SqlText("query", v.query, v.loc, v.qname, ("view", v.schema, v.name))
    for f in schema.functions:
        for what, text in (("arguments", f.args), ("body", f.body)):
            if text and (keep is None or keep(text)):
                yield SqlText(what, text, f.loc, f"{qualified(f.schema, f.name)}()", ("function", f.schema, f.name))
