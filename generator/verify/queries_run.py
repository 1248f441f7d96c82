"""Run each derived query with EXPLAIN (ANALYZE) as the owner and, where RLS applies, as the
application role of a tenant or owner the rows belong to; read which indexes the plan uses;
judge: the index used, an unused index, a missing index for a foreign key or a policy
predicate, or a policy that defeats the index. When the owner's plan misses the index, the
plan with enable_seqscan=off is shown as extra information only."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

from generator.model import Schema, Table
from generator.model.naming import quote_ident
from generator.verify.actors import Actor, Identity, enter
from generator.verify.queries import QueryShape
from generator.verify.queries_values import Built, build

COMMON = 0.2                 # a prefix matching more rows than this grows by a column
TIMEOUT = "10s"


@dataclass
class QueryResult:
    kind: str                # index | fk | named | policy
    table: str
    name: str
    status: str              # pass | fail | warn | info | skip
    detail: str = ""
    sql: str = ""
    role: str = "owner"
    expect: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    forced: list[str] | None = None     # indexes the plan uses with enable_seqscan=off
    ms: float | None = None
    share: float | None = None
    note: str = ""


def plan_indexes(node: dict) -> tuple[list[str], list[str]]:
    """(index names, scan node types) of a JSON plan, in plan order."""
    names, scans = [], []
    stack = [node]
    while stack:
        n = stack.pop(0)
        if "Index Name" in n:
            names.append(n["Index Name"])
        if "Scan" in n.get("Node Type", ""):
            scans.append(f"{n['Node Type']} on {n.get('Relation Name', n.get('Index Name', '?'))}")
        stack += n.get("Plans", [])
    return list(dict.fromkeys(names)), scans


def explain(conn: psycopg.Connection, sql: str, analyze: bool = True, seqscan: bool = True
            ) -> tuple[list[str], list[str], list[str], float | None]:
    """(indexes used, scans, text plan, execution ms) in a transaction that is rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute(f"SET LOCAL statement_timeout = '{TIMEOUT}'")
        if not seqscan:
            conn.execute("SET LOCAL enable_seqscan = off")
        return _explain(conn, sql, analyze)


def _explain(conn: psycopg.Connection, sql: str, analyze: bool):
    data = conn.execute(f"EXPLAIN (FORMAT JSON{', ANALYZE, TIMING OFF' if analyze else ''}) {sql}").fetchone()[0]
    top = (data if isinstance(data, list) else json.loads(data))[0]
    used, scans = plan_indexes(top["Plan"])
    text = [r[0] for r in conn.execute(f"EXPLAIN (COSTS OFF) {sql}").fetchall()]
    return used, scans, text, top.get("Execution Time")


def explain_as(conn: psycopg.Connection, ident: Identity, actor: Actor, sql: str):
    with conn.transaction(force_rollback=True):
        conn.execute(f"SET LOCAL statement_timeout = '{TIMEOUT}'")
        enter(conn, ident, actor)
        return _explain(conn, sql, True)


class Runner:
    def __init__(self, conn: psycopg.Connection, schema: Schema, ident: Identity):
        self.conn, self.schema, self.ident = conn, schema, ident

    def run(self, shape: QueryShape) -> list[QueryResult]:
        if not shape.conds and shape.sql is None:
            return [QueryResult(shape.kind, shape.table.name, shape.name, "info", shape.note, expect=list(shape.expect))]
        shape, built = self._build(shape)
        base = QueryResult(shape.kind, shape.table.name, shape.name, "skip", built.problem, built.sql,
                           expect=list(shape.expect), share=built.share, note=shape.note)
        if built.problem:
            return [base]
        try:
            base.used, scans, base.plan, base.ms = explain(self.conn, built.sql)
        except psycopg.Error as exc:
            base.status, base.detail = "fail", f"the query failed: {str(exc).strip().splitlines()[0]}"
            return [base]
        self._judge(shape, base, scans)
        out = [base]
        if shape.table.rls_enabled and base.status == "pass" and shape.kind in ("index", "named"):
            out.append(self._as_app(shape, built, base))
        return out

    def _build(self, shape: QueryShape) -> tuple[QueryShape, Built]:
        built = build(self.conn, self.schema, shape)
        while built.share is not None and built.share > COMMON and shape.grown() is not None:
            shape = shape.grown()
            built = build(self.conn, self.schema, shape)
        return shape, built

    def _judge(self, shape: QueryShape, r: QueryResult, scans: list[str]) -> None:
        hit = [i for i in r.used if i in shape.expect]
        seq = ", ".join(s for s in scans if s.startswith("Seq Scan")) or ", ".join(scans)
        if hit:
            r.status, r.detail = "pass", f"uses {hit[0]}"
        elif shape.kind == "fk" and not shape.expect:
            r.status = "fail"
            r.detail = f"missing index for foreign key {shape.name}: the lookup scans {shape.table.name} ({seq})"
        elif shape.kind == "named" and not shape.expect:
            r.status, r.detail = ("pass", f"uses {r.used[0]}") if r.used else ("warn", f"no index used ({seq})")
        elif shape.kind == "fk" and r.used:
            r.status, r.detail = "pass", f"served by {r.used[0]}"
        else:
            r.status = "fail" if shape.kind in ("index", "named") else "warn"
            chose = f"uses {', '.join(r.used)}" if r.used else f"chose {seq}"
            r.detail = f"unused index: the planner {chose} instead of {' or '.join(shape.expect)}"
            if r.share is not None:
                r.detail += f" (the value matches {r.share:.0%} of the rows)"
            r.forced = explain(self.conn, r.sql, analyze=False, seqscan=False)[0]

    def _actor(self, t: Table, tenant: str | None, owner: str | None) -> tuple[Actor, str] | None:
        selects = [p for p in t.policies if p.command in ("ALL", "SELECT") and p.permissive]
        if not selects:
            return None
        public = tenant is None and owner is None
        role = self.ident.role_for(selects, public=public)
        return Actor(role, tenant=tenant, user=owner), role

    def _as_app(self, shape: QueryShape, built: Built, owner_run: QueryResult) -> QueryResult:
        got = self._actor(shape.table, built.tenant, built.owner)
        r = QueryResult(shape.kind, shape.table.name, shape.name, "skip", "", built.sql, expect=list(shape.expect))
        if got is None:
            r.detail = "no SELECT policy: the application role sees no rows"
            return r
        actor, r.role = got
        try:
            r.used, scans, r.plan, r.ms = explain_as(self.conn, self.ident, actor, built.sql)
        except psycopg.Error as exc:
            r.status, r.detail = "warn", f"as {r.role}: the query failed: {str(exc).strip().splitlines()[0]}"
            return r
        hit = [i for i in r.used if i in (shape.expect or owner_run.used)]
        if hit:
            r.status, r.detail = "pass", f"as {r.role}: uses {hit[0]}"
        elif r.used:
            r.status, r.detail = "info", f"as {r.role}: uses {', '.join(r.used)} (the policy's predicate) instead"
        else:
            r.status = "warn"
            ops = {"contains": "@>", "like": "ILIKE", "match": "@@"}
            op = next((ops[c.kind] for c in shape.conds if c.kind in ops), None)
            if op:
                r.detail = (f"policy defeats the index: as {r.role} the plan is {', '.join(scans)}; {op} is not "
                            "LEAKPROOF, so PostgreSQL applies the policy first and cannot use it as an index "
                            "condition")
            else:
                r.detail = (f"policy defeats the index: as {r.role} the policy's predicate makes "
                            f"{', '.join(scans)} cheaper; no index leads with the column the policy filters on")
        return r

    def policy_probe(self, t: Table) -> QueryResult | None:
        """`SELECT * FROM t` as a typical tenant or owner: the policy's predicate should use an index."""
        col = t.meta.tenant_column if t.meta.tenant_column and t.name != getattr(self.schema.tenancy, "root", "") \
            else t.meta.owner_column
        if not t.rls_enabled or not col:
            return None
        rows = self.conn.execute(f"SELECT {quote_ident(col)}::text, count(*) FROM {t.qname} WHERE {quote_ident(col)} "
                                 "IS NOT NULL GROUP BY 1 ORDER BY 2, 1").fetchall()
        if not rows:
            return QueryResult("policy", t.name, t.name, "skip", f"no rows with {col}")
        value, count = rows[len(rows) // 2]
        total = sum(n for _, n in rows)
        tenant = value if col == t.meta.tenant_column else None
        owner = value if col == t.meta.owner_column else None
        if tenant and t.meta.owner_column:
            owner = self.conn.execute(f"SELECT {quote_ident(t.meta.owner_column)}::text FROM {t.qname} WHERE "
                                      f"{quote_ident(col)}::text = %s LIMIT 1", (value,)).fetchone()[0]
        got = self._actor(t, tenant, owner)
        serving = [i.name for i in t.indexes if i.columns[:1] == (col,) and not i.where]
        serving += [u.name for u in t.uniques if u.columns[:1] == (col,)]
        serving += [t.primary_key.name] if t.primary_key and t.primary_key.columns[:1] == (col,) else []
        r = QueryResult("policy", t.name, f"{t.name}.{col}", "skip", sql=f"SELECT * FROM {t.qname}",
                        expect=serving, share=count / total if total else None,
                        note=f"the policy's predicate on {col}")
        if got is None:
            r.detail = "no SELECT policy"
            return r
        actor, r.role = got
        r.used, scans, r.plan, r.ms = explain_as(self.conn, self.ident, actor, r.sql)
        if r.used:
            r.status, r.detail = "pass", f"as {r.role}: the policy's predicate uses {r.used[0]}"
        elif not serving:
            r.status, r.detail = "fail", f"missing index for the policy predicate on {col}: every query scans {t.name}"
        else:
            r.status = "warn"
            names = [p.name for p in t.policies if p.permissive and p.command in ("ALL", "SELECT")
                     and (actor.role in p.roles or "public" in p.roles)]
            whose = "tenant" if tenant else "owner"
            if len(names) > 1:
                r.detail = (f"policy defeats the index: as {r.role} the {len(names)} permissive policies are OR'd "
                            f"({'; '.join(names)}), so the predicate on {col} cannot use {serving[0]}: "
                            f"{', '.join(scans)} for {r.share:.1%} of the rows")
            else:
                r.detail = (f"as {r.role}: {', '.join(scans)} though {serving[0]} exists "
                            f"({r.share:.1%} of the rows are this {whose}'s)")
        return r
