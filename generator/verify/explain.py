"""`gen explain`: prove that the declared indexes serve their queries. On a scratch database
(of a given server, or an embedded one started for the run): apply the spec, load sample
rows at a scale where the planner prefers an index, ANALYZE, then derive and EXPLAIN every
query (verify.queries*), as the owner and as the application."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from generator.db.apply import apply_statements
from generator.db.connect import connect, describe
from generator.db.server import scratch_database
from generator.model import Schema
from generator.verify import _require_extensions, _require_superuser, _server, shim_for, statements
from generator.verify.actors import identity, prepare_roles
from generator.verify.queries import derive
from generator.verify.queries_run import QueryResult, Runner
from generator.verify.report import Result
from generator.verify.sync import spec_schemas

MIN_ROWS = 2000              # rows in every table with an index (a seq scan of fewer is often cheaper)
MIN_TENANTS = 100            # tenants, so that one tenant's rows are a small share of a table
BASE_ROWS = 10000            # rows spread by the spec's ratios before the minimums above
MIN_VECTOR_ROWS = 9000       # big vectors live in TOAST, so a seq scan looks cheap until about this
TOASTED_DIMS = 500           # vectors above ~2 kB (500 float4) are stored out of line


@dataclass
class ExplainReport:
    spec: str
    server: str = ""
    rows: dict[str, int] = field(default_factory=dict)      # table -> rows loaded
    results: list[QueryResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("pass", "fail", "warn", "info", "skip")}
        for r in self.results:
            out[r.status] += 1
        return out

    def ok(self, strict: bool = False) -> bool:
        bad = ("fail", "warn") if strict else ("fail",)
        return not any(r.status in bad for r in self.results)


def scale(schema: Schema) -> dict[tuple[str, str], int]:
    """At least MIN_ROWS rows in every indexed table, more where vectors are big; as many users
    (what owner columns reference) and MIN_TENANTS tenants, so one owner's or tenant's rows
    are as small a share of a table as in production."""
    from generator.sample.pools import owner_tables

    out = {key: MIN_ROWS for key in owner_tables(schema)}
    root = schema.table(schema.tenancy.root) if schema.tenancy else None
    if root is not None:
        out[root.key] = MIN_TENANTS
    for t in schema.tables:
        if not t.indexes and not t.foreign_keys:
            continue
        big = any(i.method in ("hnsw", "ivfflat") and any(
            (c := t.column(e.column)) is not None and c.type.modifiers and c.type.modifiers[0] > TOASTED_DIMS
            for e in i.elements if e.column) for i in t.indexes)
        out[t.key] = max(out.get(t.key, 0), MIN_VECTOR_ROWS if big else MIN_ROWS)
    return out


def explain(schema: Schema, spec: str = "", database_url: str | None = None, rows: int | None = None,
            seed: int | None = None, progress: Callable[[str], None] | None = None,
            server: str | None = None) -> ExplainReport:
    from generator.sample import Sampler, load

    say = progress or (lambda _m: None)
    report = ExplainReport(spec or schema.name)
    with _server(database_url, schema, server) as base:
        _require_superuser(base)
        _require_extensions(base, schema, embedded=not database_url)
        report.server = describe(base) if database_url else "embedded PostgreSQL (removed afterwards)"
        with scratch_database(base, prefix="gen_explain_") as url:
            say("applying schema")
            apply_statements(url, statements(schema), shim_for(schema))
            with connect(url, autocommit=True) as conn:
                say("loading sample rows")
                sampler = Sampler(schema, rows or BASE_ROWS, seed, at_least=None if rows else scale(schema))
                report.rows = {r.table: r.rows for r in load(conn, sampler)}
                ident = identity(schema)
                with conn.transaction():
                    prepare_roles(conn, {ident.app_role, ident.public_role}, spec_schemas(schema))
                say("explaining queries")
                runner = Runner(conn, schema, ident)
                for shape in derive(schema):
                    report.results += runner.run(shape)
                for t in schema.tables:
                    probe = runner.policy_probe(t)
                    if probe is not None:
                        report.results.append(probe)
    return report


def as_results(report: ExplainReport) -> list[Result]:
    """The index proof as verify results (`gen verify --queries`): notes count as passes."""
    status = {"pass": "pass", "info": "pass", "fail": "fail", "warn": "warn", "skip": "skip"}
    return [Result("index", f"{r.table}.{r.name}", f"{r.kind} query as {r.role}", status[r.status],
                   "" if r.status == "pass" else r.detail) for r in report.results]
