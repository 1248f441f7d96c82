"""The catalog queries the inspector runs: one per object kind, each over a whole set of
schemas or relations at once. `%(schemas)s` is a text[]; `%(relids)s` an oid list."""
from __future__ import annotations


def not_extension_member(catalog: str, oid: str) -> str:
    """SQL that is true when the object is not a member of an extension (pg_depend 'e')."""
    return (f"NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass "
            f"AND dep.objid = {oid} AND dep.deptype = 'e')")


TABLES = f"""
SELECT c.oid, n.nspname AS schema, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced, c.relpersistence = 'u' AS unlogged,
       c.reloptions AS options, CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_by,
       c.relispartition AS is_partition, pg_get_expr(c.relpartbound, c.oid) AS bound,
       ARRAY(SELECT CASE WHEN pn.nspname = 'public' THEN quote_ident(p.relname)
                         ELSE quote_ident(pn.nspname) || '.' || quote_ident(p.relname) END
             FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
             JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents,
       c.relreplident AS replident,
       (SELECT ic.relname FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = c.oid AND x.indisreplident LIMIT 1) AS replica_index,
       (SELECT ic.relname FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = c.oid AND x.indisclustered LIMIT 1) AS cluster_on,
       ARRAY(SELECT p.pubname::text FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
             WHERE pr.prrelid = c.oid AND p.pubname = 'supabase_realtime' ORDER BY 1) AS publications
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s)
  AND {not_extension_member('pg_class', 'c.oid')}
"""

COLUMNS = """
SELECT a.attrelid AS relid, a.attnum, a.attname AS name, a.attnotnull AS notnull,
       a.attidentity AS identity, a.attgenerated AS generated, a.attndims AS ndims,
       pg_get_expr(ad.adbin, ad.adrelid) AS expr, col_description(a.attrelid, a.attnum) AS comment,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN
         CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname ELSE cn.nspname || '.' || co.collname END
       END AS collation,
       t.typcategory = 'A' AS is_array, et.typname AS type_name, etn.nspname AS type_schema,
       et.typtype AS type_kind, format_type(et.oid, a.atttypmod) AS type_format,
       EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND x.objid = et.oid
               AND x.deptype = 'e') AS type_in_extension,
       (SELECT ARRAY[s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle::int]
        FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid
        WHERE a.attidentity <> '' AND d.classid = 'pg_class'::regclass AND d.refobjid = a.attrelid
          AND d.refobjsubid = a.attnum AND d.deptype = 'i' LIMIT 1) AS identity_sequence
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
JOIN pg_namespace etn ON etn.oid = et.typnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE a.attrelid = ANY(%(relids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal
ORDER BY a.attrelid, a.attnum
"""


def constraints(nulls_not_distinct: bool) -> str:
    """`nulls_not_distinct` also says PostgreSQL 15+: ON DELETE SET NULL (columns) came with it."""
    nnd = "COALESCE(ci.indnullsnotdistinct, false)" if nulls_not_distinct else "false"
    setcols = ("""ARRAY(SELECT a.attname FROM unnest(con.confdelsetcols) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)"""
               if nulls_not_distinct else "ARRAY[]::name[]")
    return f"""
SELECT con.conrelid AS relid, con.conname AS name, con.contype AS kind,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
       rc.relname AS ref_table, rn.nspname AS ref_schema, con.confdeltype AS on_delete,
       con.confupdtype AS on_update, con.condeferrable AS deferrable, con.condeferred AS deferred,
       pg_get_expr(con.conbin, con.conrelid) AS expr, {nnd} AS nulls_not_distinct,
       con.confmatchtype AS match, con.convalidated AS validated, {setcols} AS delete_columns,
       con.connoinherit AS no_inherit, con.conindid AS index_oid,
       ARRAY(SELECT a.attname FROM unnest(ci.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             WHERE k.ord > ci.indnkeyatts ORDER BY k.ord) AS include,
       ARRAY(SELECT o.oprname FROM unnest(con.conexclop) WITH ORDINALITY k(op, ord)
             JOIN pg_operator o ON o.oid = k.op ORDER BY k.ord) AS operators,
       am.amname AS method, pg_get_expr(ci.indpred, ci.indrelid) AS predicate
FROM pg_constraint con
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_index ci ON ci.indexrelid = con.conindid AND con.contype IN ('u', 'x', 'p')
LEFT JOIN pg_class cic ON cic.oid = ci.indexrelid
LEFT JOIN pg_am am ON am.oid = cic.relam
WHERE con.conrelid = ANY(%(relids)s::oid[]) AND con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND con.conislocal AND con.conparentid = 0
"""


def indexes(nulls_not_distinct: bool) -> str:
    nnd = "i.indnullsnotdistinct" if nulls_not_distinct else "false"
    return f"""
SELECT i.indrelid AS relid, i.indexrelid AS oid, ic.relname AS name, am.amname AS method,
       i.indisunique AS is_unique, {nnd} AS nulls_not_distinct, i.indnkeyatts AS nkeys,
       pg_get_expr(i.indpred, i.indrelid) AS predicate, ic.reloptions AS options,
       obj_description(ic.oid, 'pg_class') AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY(%(relids)s::oid[])
  AND NOT EXISTS (SELECT 1 FROM pg_inherits pi WHERE pi.inhrelid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
"""


INDEX_ELEMENTS = """
SELECT i.indexrelid AS oid, k.ord, a.attname AS column,
       CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END AS expression,
       CASE WHEN NOT opc.opcdefault THEN opc.opcname END AS opclass, k.opt,
       CASE WHEN k.coll <> 0 AND k.coll <> COALESCE(a.attcollation, 100) THEN
         CASE WHEN cn.nspname IN ('pg_catalog', 'public') THEN co.collname ELSE cn.nspname || '.' || co.collname END
       END AS collation
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indoption::int2[], i.indcollation::oid[])
     WITH ORDINALITY AS k(attnum, opclass, opt, coll, ord)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
LEFT JOIN pg_opclass opc ON opc.oid = k.opclass
LEFT JOIN pg_collation co ON co.oid = k.coll
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE i.indexrelid = ANY(%(relids)s::oid[])
ORDER BY i.indexrelid, k.ord
"""

POLICIES = """
SELECT p.polrelid AS relid, p.polname AS name, p.polcmd AS cmd, p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
             FROM unnest(p.polroles) r) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p
WHERE p.polrelid = ANY(%(relids)s::oid[])
"""

def triggers(version: int) -> str:
    """Triggers, not those a partition clones from its parent's (PostgreSQL 13+ marks them)."""
    return TRIGGERS if version >= 130000 else TRIGGERS.replace(" AND t.tgparentid = 0", "")


TRIGGERS = """
SELECT t.tgrelid AS relid, t.tgname AS name, t.tgtype AS type, pn.nspname AS fn_schema,
       p.proname AS fn_name, pg_get_triggerdef(t.oid) AS definition, t.tgnargs AS nargs, t.tgargs AS args,
       t.tgoldtable AS old_table, t.tgnewtable AS new_table, t.tgconstraint <> 0 AS is_constraint,
       t.tgdeferrable AS deferrable, t.tginitdeferred AS deferred, t.tgenabled AS enabled,
       ARRAY(SELECT a.attname FROM unnest(t.tgattr::int2[]) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgrelid = ANY(%(relids)s::oid[]) AND t.tgparentid = 0
"""

GRANTS = """
SELECT c.oid AS relid, CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_get_userbyid(acl.grantee)::text END AS role,
       array_agg(DISTINCT acl.privilege_type::text) AS privileges
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) acl
WHERE c.oid = ANY(%(relids)s::oid[]) AND acl.grantee <> c.relowner
GROUP BY 1, 2
"""

COLUMN_GRANTS = """
SELECT a.attrelid AS relid, CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_get_userbyid(acl.grantee)::text END AS role,
       acl.privilege_type::text AS privilege, array_agg(a.attname::text ORDER BY a.attname) AS columns
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid CROSS JOIN LATERAL aclexplode(a.attacl) acl
WHERE a.attrelid = ANY(%(relids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND acl.grantee <> c.relowner
GROUP BY 1, 2, 3
"""

ENUMS = f"""
SELECT n.nspname AS schema, t.typname AS name, obj_description(t.oid, 'pg_type') AS comment,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_type', 't.oid')}
"""

EXTENSIONS = """
SELECT e.extname AS name, n.nspname AS schema,
       CASE WHEN e.extversion IS DISTINCT FROM (SELECT a.default_version FROM pg_available_extensions a
                                                WHERE a.name = e.extname) THEN e.extversion END AS version
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
"""

VIEWS = f"""
SELECT c.oid, n.nspname AS schema, c.relname AS name, pg_get_viewdef(c.oid, true) AS query,
       c.reloptions AS options, obj_description(c.oid, 'pg_class') AS comment, c.relkind = 'm' AS materialized
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_class', 'c.oid')}
"""


def functions(sql_body: bool) -> str:
    body = ("CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END"
            if sql_body else "p.prosrc")
    atomic = "p.prosqlbody IS NOT NULL" if sql_body else "false"
    return f"""
SELECT n.nspname AS schema, p.proname AS name, pg_get_function_arguments(p.oid) AS args,
       pg_get_function_result(p.oid) AS returns, l.lanname AS language, {body} AS body,
       p.provolatile AS volatility, p.prosecdef AS security_definer, p.proconfig AS config,
       obj_description(p.oid, 'pg_proc') AS comment, p.prokind AS kind, p.proisstrict AS strict,
       p.proleakproof AS leakproof, p.proparallel AS parallel, p.procost AS cost, p.prorows AS rows,
       p.proretset AS retset, {atomic} AS atomic,
       CASE WHEN p.proacl IS NULL THEN NULL ELSE
         ARRAY(SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_get_userbyid(acl.grantee)::text END
               FROM aclexplode(p.proacl) acl WHERE acl.privilege_type = 'EXECUTE' AND acl.grantee <> p.proowner)
       END AS execute
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p', 'w') AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass
    AND i.objid = p.oid AND i.deptype = 'i') AND n.nspname = ANY(%(schemas)s) AND {not_extension_member('pg_proc', 'p.oid')}
"""
