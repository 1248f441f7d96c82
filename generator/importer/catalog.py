"""Catalog facts the shared inspector does not read but an import must know about: schemas,
serial sequences, domains, relation kinds, inheritance, constraint flags, column privileges,
trigger arguments, function attributes, view dependencies and other objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

USER_SCHEMAS = """
SELECT n.nspname AS name, n.nspacl::text[] AS acl, obj_description(n.oid, 'pg_namespace') AS comment,
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')) AS tables
FROM pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                  AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY 1
"""

_NOT_EXT = ("NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '{cat}'::regclass "
            "AND x.objid = {oid} AND x.deptype = 'e')")

SEQUENCES = f"""
SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart AS start,
       s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, s.seqcache AS cache, s.seqcycle AS cycle,
       d.deptype AS owned, tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name,
       pg_get_expr(ad.adbin, ad.adrelid) AS column_default
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
WHERE c.relkind = 'S' AND n.nspname = ANY(%(schemas)s) AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}
ORDER BY 1, 2
"""

DOMAIN_COLUMNS = """
SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name, t.typname AS domain,
       tn.nspname AS domain_schema, format_type(t.typbasetype, t.typtypmod) AS base,
       CASE WHEN at.typcategory = 'A' THEN greatest(a.attndims, 1) ELSE 0 END AS dims,
       t.typnotnull AS notnull, t.typdefault AS domain_default,
       ARRAY(SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.contypid = t.oid ORDER BY k.conname)
         AS checks
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type at ON at.oid = a.atttypid
JOIN pg_type t ON t.oid = CASE WHEN at.typcategory = 'A' THEN at.typelem ELSE at.oid END AND t.typtype = 'd'
JOIN pg_namespace tn ON tn.oid = t.typnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, a.attnum
"""

TYPES = f"""
SELECT n.nspname AS schema, t.typname AS name, t.typtype AS kind
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('b', 'c', 'd', 'r', 'm') AND n.nspname = ANY(%(schemas)s)
  AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
  AND {_NOT_EXT.format(cat='pg_type', oid='t.oid')}
ORDER BY 1, 2
"""

RELATIONS = f"""
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relispartition AS partition,
       c.relpersistence AS persistence, c.relreplident AS replident, c.reloptions AS options,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
       pg_get_expr(c.relpartbound, c.oid) AS bound, ts.spcname AS tablespace, c.reloftype <> 0 AS typed,
       ARRAY(SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
             JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents,
       c.relacl::text[] AS acl
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}
ORDER BY 1, 2
"""

CONSTRAINTS = """
SELECT n.nspname AS schema, c.relname AS table_name, con.conname AS name, con.contype AS kind,
       pg_get_constraintdef(con.oid) AS definition, con.condeferrable AS deferrable, con.condeferred AS deferred,
       con.convalidated AS validated, con.connoinherit AS noinherit, con.confmatchtype AS match,
       con.conislocal AS local, obj_description(con.oid, 'pg_constraint') AS comment
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p')
ORDER BY 1, 2, 3
"""

COLUMN_EXTRAS = """
SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name, a.attacl::text[] AS acl,
       a.attislocal AS local, a.attoptions AS options, a.attstorage <> t.typstorage AS storage_changed,
       a.attcompression <> '' AS compression_set,
       coalesce(a.attstattarget, -1) >= 0 AS statistics_set
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY(%(schemas)s)
  AND (a.attacl IS NOT NULL OR NOT a.attislocal OR a.attoptions IS NOT NULL OR a.attstorage <> t.typstorage
       OR a.attcompression <> '' OR coalesce(a.attstattarget, -1) >= 0)
ORDER BY 1, 2, a.attnum
"""

TRIGGERS = """
SELECT n.nspname AS schema, c.relname AS table_name, t.tgname AS name, t.tgnargs AS nargs,
       array_length(t.tgattr::int2[], 1) AS update_columns, t.tgenabled AS enabled,
       t.tgconstraint <> 0 AS constraint_trigger, t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL AS transition,
       pn.nspname AS fn_schema, p.proname AS fn_name, pg_get_triggerdef(t.oid) AS definition,
       n.nspname = ANY(%(schemas)s) AS inside, c.relkind AS relkind
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND (n.nspname = ANY(%(schemas)s) OR pn.nspname = ANY(%(schemas)s))
ORDER BY 1, 2, 3
"""

FUNCTIONS = f"""
SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
       p.prokind AS kind, l.lanname AS language, p.proisstrict AS strict, p.proleakproof AS leakproof,
       p.proparallel AS parallel, p.procost AS cost, p.prorows AS rows, p.proretset AS retset,
       p.proconfig AS config, p.proacl::text[] AS acl, pg_get_userbyid(p.proowner) AS owner
       {{sqlbody}}
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY(%(schemas)s) AND {_NOT_EXT.format(cat='pg_proc', oid='p.oid')}
  AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid
                  AND i.deptype = 'i')
ORDER BY 1, 2, 3
"""

VIEW_DEPENDENCIES = """
SELECT DISTINCT vn.nspname AS schema, v.relname AS name, rn.nspname AS ref_schema, rc.relname AS ref_name
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_class rc ON rc.oid = d.refobjid
JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
  AND vn.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3, 4
"""

VIEW_COLUMN_COMMENTS = """
SELECT n.nspname AS schema, c.relname AS name, a.attname AS column_name
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('v', 'm')
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND col_description(c.oid, a.attnum) IS NOT NULL
ORDER BY 1, 2, 3
"""

EXTENSIONS = """
SELECT e.extname AS name, e.extversion AS version, a.default_version, n.nspname AS schema
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_available_extensions a ON a.name = e.extname
WHERE e.extname <> 'plpgsql'
ORDER BY 1
"""

MISC = f"""
SELECT 'rule' AS kind, schemaname || '.' || tablename || ' ' || rulename AS name FROM pg_rules
  WHERE schemaname = ANY(%(schemas)s)
UNION ALL SELECT 'event trigger', evtname FROM pg_event_trigger
UNION ALL SELECT 'publication', pubname FROM pg_publication
UNION ALL SELECT 'collation', n.nspname || '.' || c.collname FROM pg_collation c
  JOIN pg_namespace n ON n.oid = c.collnamespace WHERE n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXT.format(cat='pg_collation', oid='c.oid')}
UNION ALL SELECT 'statistics object', n.nspname || '.' || s.stxname FROM pg_statistic_ext s
  JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = ANY(%(schemas)s)
UNION ALL SELECT 'default privileges', coalesce(n.nspname, '(all schemas)') || ' for '
  || pg_get_userbyid(d.defaclrole) FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  WHERE d.defaclnamespace = 0 OR n.nspname = ANY(%(schemas)s)
UNION ALL SELECT 'operator', n.nspname || '.' || o.oprname FROM pg_operator o
  JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXT.format(cat='pg_operator', oid='o.oid')}
UNION ALL SELECT 'text search configuration', n.nspname || '.' || c.cfgname FROM pg_ts_config c
  JOIN pg_namespace n ON n.oid = c.cfgnamespace WHERE n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXT.format(cat='pg_ts_config', oid='c.oid')}
ORDER BY 1, 2
"""

OUTSIDE_POLICIES = """
SELECT n.nspname AS schema, c.relname AS table_name, p.polname AS name
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3
"""

ROLES = """
SELECT rolname AS name, rolcanlogin AS login FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1
"""


@dataclass
class Catalog:
    """Rows of every query above, for the schemas being imported."""

    schemas: list[dict] = field(default_factory=list)        # every user schema, imported or not
    sequences: list[dict] = field(default_factory=list)
    domain_columns: list[dict] = field(default_factory=list)
    types: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    constraints: list[dict] = field(default_factory=list)
    column_extras: list[dict] = field(default_factory=list)
    triggers: list[dict] = field(default_factory=list)
    functions: list[dict] = field(default_factory=list)
    view_dependencies: list[dict] = field(default_factory=list)
    view_column_comments: list[dict] = field(default_factory=list)
    extensions: list[dict] = field(default_factory=list)
    misc: list[dict] = field(default_factory=list)
    outside_policies: list[dict] = field(default_factory=list)  # policies on tables in excluded schemas
    roles: list[dict] = field(default_factory=list)


def _rows(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _for_version(sql: str, version: int) -> str:
    """attcompression exists from PostgreSQL 14 on."""
    return sql if version >= 140000 else sql.replace("a.attcompression <> ''", "false")


def user_schemas(conn: psycopg.Connection) -> list[dict]:
    return _rows(conn, USER_SCHEMAS, {})


def read_catalog(conn: psycopg.Connection, schemas: list[str], excluded: list[str]) -> Catalog:
    """Every query run for `schemas`; `excluded` are schemas left out on purpose (Supabase's)."""
    p = {"schemas": schemas}
    sqlbody = (", p.prosqlbody IS NOT NULL AS sql_standard_body" if conn.info.server_version >= 140000
               else ", false AS sql_standard_body")
    return Catalog(
        schemas=user_schemas(conn), sequences=_rows(conn, SEQUENCES, p),
        domain_columns=_rows(conn, DOMAIN_COLUMNS, p), types=_rows(conn, TYPES, p),
        relations=_rows(conn, RELATIONS, p), constraints=_rows(conn, CONSTRAINTS, p),
        column_extras=_rows(conn, _for_version(COLUMN_EXTRAS, conn.info.server_version), p),
        triggers=_rows(conn, TRIGGERS, p),
        functions=_rows(conn, FUNCTIONS.replace("{sqlbody}", sqlbody), p),
        view_dependencies=_rows(conn, VIEW_DEPENDENCIES, p),
        view_column_comments=_rows(conn, VIEW_COLUMN_COMMENTS, p), extensions=_rows(conn, EXTENSIONS, {}),
        misc=_rows(conn, MISC, p), outside_policies=_rows(conn, OUTSIDE_POLICIES, {"schemas": excluded}),
        roles=_rows(conn, ROLES, {}))
