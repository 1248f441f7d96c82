"""Read the schema objects beyond tables back into the model: sequences (not identity ones),
collations, domains, composite and range types, aggregates and schema facts (comment,
privileges)."""
from __future__ import annotations

from generator.db.inspect_tables import Fetch, strip_outer_parens
from generator.db.queries import not_extension_member
from generator.model import (Aggregate, Collation, CompositeType, Domain, DomainCheck, Namespace, RangeType,
                             Sequence)

SEQUENCES = f"""
SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart AS start,
       s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, s.seqcache AS cache, s.seqcycle AS cycle,
       tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name,
       obj_description(c.oid, 'pg_class') AS comment, c.relpersistence = 'u' AS unlogged
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
LEFT JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_class', 'c.oid')}
  AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid
                  AND i.deptype = 'i')
"""

COLLATIONS = f"""
SELECT n.nspname AS schema, c.collname AS name, c.collprovider AS provider, c.collcollate AS lc_collate,
       c.collctype AS lc_ctype, c.collisdeterministic AS deterministic, {{locale}} AS locale,
       obj_description(c.oid, 'pg_collation') AS comment
FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
WHERE n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_collation', 'c.oid')}
"""

DOMAINS = f"""
SELECT n.nspname AS schema, t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS base,
       t.typnotnull AS not_null, t.typdefault AS "default", obj_description(t.oid, 'pg_type') AS comment,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN co.collname END AS collation,
       ARRAY(SELECT k.conname || ' ' || pg_get_expr(k.conbin, 0) FROM pg_constraint k WHERE k.contypid = t.oid
             AND k.contype = 'c' ORDER BY k.conname) AS checks
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation co ON co.oid = t.typcollation
WHERE t.typtype = 'd' AND n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_type', 't.oid')}
"""

COMPOSITES = f"""
SELECT n.nspname AS schema, t.typname AS name, obj_description(t.oid, 'pg_type') AS comment,
       ARRAY(SELECT ARRAY[a.attname::text, format_type(a.atttypid, a.atttypmod)] FROM pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS attributes
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname = ANY(%(schemas)s)
  AND {not_extension_member('pg_type', 't.oid')}
"""

RANGES = f"""
SELECT n.nspname AS schema, t.typname AS name, format_type(r.rngsubtype, NULL) AS subtype,
       CASE WHEN NOT opc.opcdefault THEN opc.opcname END AS opclass,
       CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN co.collname END AS collation,
       NULLIF(r.rngcanonical, 0)::regproc::text AS canonical, NULLIF(r.rngsubdiff, 0)::regproc::text AS subdiff,
       {{multirange}} AS multirange, obj_description(t.oid, 'pg_type') AS comment
FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type st ON st.oid = r.rngsubtype
LEFT JOIN pg_opclass opc ON opc.oid = r.rngsubopc
LEFT JOIN pg_collation co ON co.oid = r.rngcollation
WHERE n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_type', 't.oid')}
"""

AGGREGATES = f"""
SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
       a.aggtransfn::regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
       NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.agginitval AS initcond,
       NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc, NULLIF(a.aggsortop, 0)::regoperator::text AS sortop,
       p.proparallel AS parallel, a.aggkind AS kind, obj_description(p.oid, 'pg_proc') AS comment
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_proc', 'p.oid')}
"""

NAMESPACES = """
SELECT n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment,
       ARRAY(SELECT ARRAY[CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_get_userbyid(acl.grantee)::text END,
                          acl.privilege_type::text]
             FROM aclexplode(n.nspacl) acl WHERE acl.grantee <> n.nspowner
             ORDER BY 1) AS grants
FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
"""

# Who may use schema public by default: everyone (PostgreSQL), and Supabase's API roles.
PUBLIC_SCHEMA_DEFAULTS = ("public", "pg_database_owner", "anon", "authenticated", "service_role", "postgres")
_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin", "d": "libc"}
_PARALLEL = {"s": "SAFE", "r": "RESTRICTED", "u": "UNSAFE"}


def sequences(fetch: Fetch, schemas: list[str]) -> list[Sequence]:
    out = [Sequence(r["name"], r["schema"], r["type"], r["start"], r["increment"], r["min"], r["max"], r["cache"],
                    r["cycle"], (r["table_schema"], r["table_name"], r["column_name"]) if r["table_name"] else None,
                    r["comment"], unlogged=r["unlogged"]) for r in fetch(SEQUENCES, {"schemas": schemas})]
    return sorted(out, key=lambda s: s.key)


def collations(fetch: Fetch, schemas: list[str], version: int) -> list[Collation]:
    locale = ("c.colliculocale" if version < 170000 else "c.colllocale") if version >= 150000 else "NULL::text"
    out = []
    for r in fetch(COLLATIONS.replace("{locale}", locale), {"schemas": schemas}):
        provider = _PROVIDERS.get(r["provider"], "libc")
        same = r["lc_collate"] == r["lc_ctype"]
        loc = r["locale"] if provider != "libc" else (r["lc_collate"] if same else None)
        out.append(Collation(r["name"], r["schema"], provider, loc,
                             None if loc is not None else r["lc_collate"], None if loc is not None else r["lc_ctype"],
                             r["deterministic"], r["comment"]))
    return sorted(out, key=lambda c: c.key)


def domains(fetch: Fetch, schemas: list[str]) -> list[Domain]:
    out = []
    for r in fetch(DOMAINS, {"schemas": schemas}):
        checks = tuple(DomainCheck(x.split(" ", 1)[0], strip_outer_parens(x.split(" ", 1)[1])) for x in r["checks"])
        out.append(Domain(r["name"], r["base"], r["schema"], r["not_null"], r["default"], checks, r["collation"],
                          r["comment"]))
    return sorted(out, key=lambda d: d.key)


def composites(fetch: Fetch, schemas: list[str]) -> list[CompositeType]:
    out = [CompositeType(r["name"], tuple((a[0], a[1]) for a in r["attributes"]), r["schema"], r["comment"])
           for r in fetch(COMPOSITES, {"schemas": schemas})]
    return sorted(out, key=lambda t: t.key)


def ranges(fetch: Fetch, schemas: list[str], version: int) -> list[RangeType]:
    multi = ("(SELECT m.typname FROM pg_type m WHERE m.oid = r.rngmultitypid)" if version >= 140000
             else "NULL::name")
    out = []
    for r in fetch(RANGES.replace("{multirange}", multi), {"schemas": schemas}):
        default_multi = _default_multirange(r["name"])
        out.append(RangeType(r["name"], r["subtype"], r["schema"], r["opclass"], r["collation"], r["canonical"],
                             r["subdiff"], None if r["multirange"] in (None, default_multi) else r["multirange"],
                             r["comment"]))
    return sorted(out, key=lambda t: t.key)


def _default_multirange(name: str) -> str:
    """PostgreSQL's multirange name for a range type: `range` becomes `multirange`, else `_multirange` appended."""
    return name.replace("range", "multirange", 1) if "range" in name else f"{name}_multirange"


def aggregates(fetch: Fetch, schemas: list[str]) -> list[Aggregate]:
    out = []
    for r in fetch(AGGREGATES, {"schemas": schemas}):
        options = {"FINALFUNC": r["finalfunc"], "COMBINEFUNC": r["combinefunc"],
                   "SORTOP": _operator(r["sortop"]),
                   "INITCOND": None if r["initcond"] is None else "'" + r["initcond"].replace("'", "''") + "'",
                   "PARALLEL": None if r["parallel"] == "u" else _PARALLEL[r["parallel"]]}
        out.append(Aggregate(r["name"], r["args"], r["sfunc"], r["stype"], r["schema"],
                             tuple(sorted((k, v) for k, v in options.items() if v is not None)), r["comment"]))
    return sorted(out, key=lambda a: a.key)


def _operator(text: str | None) -> str | None:
    """`>(integer,integer)` -> `OPERATOR(>)`-free spelling CREATE AGGREGATE accepts: `>`."""
    return text.split("(", 1)[0] if text else None


def namespaces(fetch: Fetch, schemas: list[str]) -> list[Namespace]:
    out = []
    for r in fetch(NAMESPACES, {"schemas": schemas}):
        grants: dict[str, list[str]] = {}
        for role, priv in r["grants"] or ():
            if r["name"] == "public" and role in PUBLIC_SCHEMA_DEFAULTS and priv in ("USAGE", "CREATE"):
                continue            # PostgreSQL's (and Supabase's) own defaults on public
            grants.setdefault(role, []).append(priv)
        comment = None if (r["name"], r["comment"]) == ("public", "standard public schema") else r["comment"]
        ns = Namespace(r["name"], comment, tuple((k, tuple(sorted(v))) for k, v in sorted(grants.items())))
        if ns != Namespace(r["name"]):
            out.append(ns)
    return sorted(out, key=lambda n: n.name)
