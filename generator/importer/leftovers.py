"""What the model has no object for, carried as raw SQL objects (`sql:` in the spec) with
their dependencies, so an import loses nothing it can write back: rules, extended statistics,
default privileges, event triggers, publications, comments on constraints and view columns,
and policies and triggers a project puts on tables outside the import (auth.users,
storage.objects). Each is read from the catalog as PostgreSQL prints it."""
from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from generator.model.naming import qualified, quote_ident, quote_literal

RULES = """
SELECT n.nspname AS schema, c.relname AS table_name, r.rulename AS name, pg_get_ruledef(r.oid) AS create
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND n.nspname = ANY(%(schemas)s) ORDER BY 1, 2, 3
"""

STATISTICS = """
SELECT n.nspname AS schema, s.stxname AS name, pg_get_statisticsobjdef(s.oid) AS create,
       tn.nspname AS table_schema, t.relname AS table_name
FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
JOIN pg_class t ON t.oid = s.stxrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname = ANY(%(schemas)s) ORDER BY 1, 2
"""

CONSTRAINT_COMMENTS = """
SELECT n.nspname AS schema, c.relname AS table_name, con.conname AS name,
       obj_description(con.oid, 'pg_constraint') AS comment
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND obj_description(con.oid, 'pg_constraint') IS NOT NULL
  AND con.conparentid = 0
ORDER BY 1, 2, 3
"""

VIEW_COLUMN_COMMENTS = """
SELECT n.nspname AS schema, c.relname AS name, a.attname AS column_name, col_description(c.oid, a.attnum) AS comment
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('v', 'm')
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND col_description(c.oid, a.attnum) IS NOT NULL
ORDER BY 1, 2, a.attnum
"""

DEFAULT_ACL = """
SELECT pg_get_userbyid(d.defaclrole) AS owner, n.nspname AS schema, d.defaclobjtype AS kind,
       ARRAY(SELECT ARRAY[CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                          a.privilege_type]
             FROM aclexplode(d.defaclacl) a WHERE a.grantee <> d.defaclrole ORDER BY 1) AS grants,
       EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a WHERE a.grantee = 0) AS public_kept
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
WHERE d.defaclnamespace = 0 OR n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3
"""

EVENT_TRIGGERS = """
SELECT e.evtname AS name, e.evtevent AS event, e.evttags AS tags, pn.nspname AS fn_schema, p.proname AS fn_name,
       e.evtenabled AS enabled
FROM pg_event_trigger e JOIN pg_proc p ON p.oid = e.evtfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
ORDER BY 1
"""

PUBLICATIONS = """
SELECT p.pubname AS name, p.puballtables AS all_tables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
       ARRAY(SELECT quote_ident(t.schemaname) || '.' || quote_ident(t.tablename) FROM pg_publication_tables t
             WHERE t.pubname = p.pubname ORDER BY 1) AS tables
FROM pg_publication p ORDER BY 1
"""

# Tables of supabase_realtime that the spec says with `realtime: true` (imported, with a primary
# key and a replica identity), as PUBLICATIONS names them.
REALTIME_ENTITIES = """
SELECT quote_ident(t.schemaname) || '.' || quote_ident(t.tablename) FROM pg_publication_tables t
JOIN pg_class c ON c.relname = t.tablename JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = t.schemaname
WHERE t.pubname = 'supabase_realtime' AND t.schemaname = ANY(%(schemas)s) AND c.relreplident <> 'n'
  AND EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
"""

OUTSIDE_POLICIES = """
SELECT schemaname AS schema, tablename AS table_name, policyname AS name, permissive, roles, cmd, qual, with_check
FROM pg_policies WHERE schemaname = ANY(%(schemas)s) ORDER BY 1, 2, 3
"""

OUTSIDE_TRIGGERS = """
SELECT n.nspname AS schema, c.relname AS table_name, t.tgname AS name, pg_get_triggerdef(t.oid) AS create,
       pn.nspname AS fn_schema, p.proname AS fn_name
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND NOT n.nspname = ANY(%(schemas)s) AND pn.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3
"""

_KINDS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}
# What every role gets on new objects of a kind unless the defaults revoke it.
_PUBLIC_DEFAULT = {"f": "EXECUTE", "T": "USAGE"}


def _rows(conn: psycopg.Connection, sql: str, params: dict) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def read_leftovers(conn: psycopg.Connection, schemas: list[str], excluded: list[str], supabase: bool) -> dict:
    """`sql:` entries by name: {create, drop, after}. `excluded` are schemas left out on purpose
    (Supabase's), whose tables may carry the project's policies and triggers."""
    out: dict = {}
    p = {"schemas": schemas}

    def put(name: str, create: str, drop: str, after: list[str]) -> None:
        out[name] = {"create": create.strip().rstrip(";"), "drop": drop, **({"after": after} if after else {})}

    for r in _rows(conn, RULES, p):
        t = qualified(r["schema"], r["table_name"], "")
        put(f"rule {r['schema']}.{r['table_name']}.{r['name']}", r["create"],
            f"DROP RULE {quote_ident(r['name'])} ON {t}", [f"{r['schema']}.{r['table_name']}"])
    if conn.info.server_version >= 140000:
        for r in _rows(conn, STATISTICS, p):
            put(f"statistics {r['schema']}.{r['name']}", r["create"],
                f"DROP STATISTICS {qualified(r['schema'], r['name'], '')}", [f"{r['table_schema']}.{r['table_name']}"])
    for r in _rows(conn, CONSTRAINT_COMMENTS, p):
        t = qualified(r["schema"], r["table_name"], "")
        head = f"COMMENT ON CONSTRAINT {quote_ident(r['name'])} ON {t} IS"
        put(f"comment {r['schema']}.{r['table_name']}.{r['name']}", f"{head} {quote_literal(r['comment'])}",
            f"{head} NULL", [f"{r['schema']}.{r['table_name']}"])
    for r in _rows(conn, VIEW_COLUMN_COMMENTS, p):
        head = f"COMMENT ON COLUMN {qualified(r['schema'], r['name'], '')}.{quote_ident(r['column_name'])} IS"
        put(f"comment {r['schema']}.{r['name']}.{r['column_name']}", f"{head} {quote_literal(r['comment'])}",
            f"{head} NULL", [f"{r['schema']}.{r['name']}"])
    if not supabase:
        _default_privileges(_rows(conn, DEFAULT_ACL, p), put)
        for r in _rows(conn, EVENT_TRIGGERS, {}):
            _event_trigger(r, put)
    for r in _rows(conn, PUBLICATIONS, {}):
        if supabase and r["name"] == SUPABASE_PUBLICATION:
            said = {t for t, in conn.execute(REALTIME_ENTITIES, p).fetchall()}
            _realtime_tables(dict(r, tables=[t for t in r["tables"] if t not in said]), put)
        else:
            _publication(r, put)
    if excluded:
        for r in _rows(conn, OUTSIDE_POLICIES, {"schemas": excluded}):
            _policy(r, put)
        for r in _rows(conn, OUTSIDE_TRIGGERS, p):
            t = qualified(r["schema"], r["table_name"], "")
            put(f"trigger {r['schema']}.{r['table_name']}.{r['name']}", r["create"],
                f"DROP TRIGGER {quote_ident(r['name'])} ON {t}", [f"{r['fn_schema']}.{r['fn_name']}"])
    return out


def default_privilege_roles(conn: psycopg.Connection, schemas: list[str]) -> set[str]:
    roles = set()
    for r in _rows(conn, DEFAULT_ACL, {"schemas": schemas}):
        roles.add(r["owner"])
        roles |= {g[0].strip('"') for g in r["grants"] if g[0] != "PUBLIC"}
    return roles


def _default_privileges(rows: list[dict], put) -> None:
    for r in rows:
        kind = _KINDS.get(r["kind"])
        if kind is None:
            continue
        scope = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(r['owner'])}"
        if r["schema"]:
            scope += f" IN SCHEMA {quote_ident(r['schema'])}"
        by_role: dict[str, list[str]] = {}
        for grantee, priv in r["grants"]:
            if grantee != "PUBLIC" or r["kind"] not in _PUBLIC_DEFAULT:
                by_role.setdefault(grantee, []).append(priv)
        creates, drops = [], []
        if r["kind"] in _PUBLIC_DEFAULT and not r["public_kept"]:
            creates.append(f"{scope} REVOKE {_PUBLIC_DEFAULT[r['kind']]} ON {kind} FROM PUBLIC")
            drops.append(f"{scope} GRANT {_PUBLIC_DEFAULT[r['kind']]} ON {kind} TO PUBLIC")
        for role, privs in sorted(by_role.items()):
            creates.append(f"{scope} GRANT {', '.join(privs)} ON {kind} TO {role}")
            drops.append(f"{scope} REVOKE {', '.join(privs)} ON {kind} FROM {role}")
        if creates:
            name = f"default privileges {r['owner']}{'.' + r['schema'] if r['schema'] else ''} {kind.lower()}"
            after = [f"schema {r['schema']}"] if r["schema"] else []
            put(name, ";\n".join(creates), ";\n".join(drops), after)


def _event_trigger(r: dict, put) -> None:
    when = f" WHEN TAG IN ({', '.join(quote_literal(t) for t in r['tags'])})" if r["tags"] else ""
    fn = qualified(r["fn_schema"], r["fn_name"], "")
    create = f"CREATE EVENT TRIGGER {quote_ident(r['name'])} ON {r['event']}{when} EXECUTE FUNCTION {fn}()"
    if r["enabled"] == "D":
        create += f";\nALTER EVENT TRIGGER {quote_ident(r['name'])} DISABLE"
    put(f"event trigger {r['name']}", create, f"DROP EVENT TRIGGER {quote_ident(r['name'])}",
        [f"{r['fn_schema']}.{r['fn_name']}"])


def _publication(r: dict, put) -> None:
    target = " FOR ALL TABLES" if r["all_tables"] else (f" FOR TABLE {', '.join(r['tables'])}" if r["tables"] else "")
    ops = [w for w, k in (("insert", "pubinsert"), ("update", "pubupdate"), ("delete", "pubdelete"),
                          ("truncate", "pubtruncate")) if r[k]]
    with_ = "" if len(ops) == 4 else f" WITH (publish = {quote_literal(', '.join(ops))})"
    after = [t.replace('"', "") for t in r["tables"]]
    put(f"publication {r['name']}", f"CREATE PUBLICATION {quote_ident(r['name'])}{target}{with_}",
        f"DROP PUBLICATION {quote_ident(r['name'])}", after)


SUPABASE_PUBLICATION = "supabase_realtime"


def _realtime_tables(r: dict, put) -> None:
    """Supabase creates supabase_realtime itself: a project only adds its tables to it."""
    if not r["tables"]:
        return
    head = f"ALTER PUBLICATION {SUPABASE_PUBLICATION}"
    put(f"publication {SUPABASE_PUBLICATION} tables", f"{head} ADD TABLE {', '.join(r['tables'])}",
        f"{head} DROP TABLE {', '.join(r['tables'])}", [t.replace('"', "") for t in r["tables"]])


def _policy(r: dict, put) -> None:
    t = qualified(r["schema"], r["table_name"], "")
    roles = ", ".join("PUBLIC" if x == "public" else quote_ident(x) for x in r["roles"])
    sql = f"CREATE POLICY {quote_ident(r['name'])} ON {t}"
    if r["permissive"] != "PERMISSIVE":
        sql += " AS RESTRICTIVE"
    sql += f" FOR {r['cmd']} TO {roles}"
    if r["qual"] is not None:
        sql += f" USING ({r['qual']})"
    if r["with_check"] is not None:
        sql += f" WITH CHECK ({r['with_check']})"
    put(f"policy {r['schema']}.{r['table_name']}.{r['name']}", sql,
        f"DROP POLICY {quote_ident(r['name'])} ON {t}", [])
