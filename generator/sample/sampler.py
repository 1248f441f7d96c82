"""The sample run: column generators and compiled checks for every table, the plan (order,
counts), then each table's rows in order, so a table's parents are complete before it starts.
Deterministic: the same spec, counts and seed give the same rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from generator.diagnostics import Diagnostic, GenError
from generator.model import Schema, Table
from generator.sample.checks import compile_check
from generator.sample.columns import ColumnGen, Unsampleable, build
from generator.sample.generate import Stats, TableMaker
from generator.sample.plan import TablePlan, plan, tables_in_order
from generator.sample.pools import Pool, owner_tables, referenced_sets
from generator.sample.steer import steer_for

DEFAULT_SEED = 1


@dataclass
class TableSample:
    """One table's rows (made while iterated: consume them before the next table)."""

    plan: TablePlan
    columns: list[str]
    rows: Iterator[dict]
    stats: Stats = field(default_factory=Stats)

    @property
    def table(self) -> Table:
        return self.plan.table


def _generators(schema: Schema, t: Table, external: bool) -> dict[str, ColumnGen]:
    hints = schema.sample.for_external(t.key) if external else t.meta.sample
    steer = steer_for([c.expression for c in t.checks])
    out = {}
    for col in t.columns:
        if col.generated:
            continue
        try:
            out[col.name] = build(col, t, schema, hints.hint(col.name) if hints else None, steer.get(col.name))
        except Unsampleable as exc:
            raise GenError([Diagnostic(
                "SM002", f"cannot make sample values for {t.name}.{col.name}: {exc}", col.loc, "sample.columns",
                f"give it a hint: `sample: {{columns: {{{col.name}: {{values: [...]}}}}}}` in the entity")]) from None
    return out


class Sampler:
    def __init__(self, schema: Schema, total: int | None = None, seed: int | None = None,
                 rows_per_table: int | None = None, at_least: dict | None = None):
        self.schema = schema
        self.seed = seed if seed is not None else (schema.sample.seed if schema.sample.seed is not None
                                                   else DEFAULT_SEED)
        ordered = tables_in_order(schema)
        self.gens = {t.key: _generators(schema, t, ext) for t, ext in ordered}
        domains = {k: {c: g.domain for c, g in gens.items()} for k, gens in self.gens.items()}
        total = total if total is not None else schema.sample.rows
        self.plans = plan(schema, domains, total, rows_per_table, at_least)
        extra = [t for t, ext in ordered if ext]
        refs = referenced_sets(schema, extra)
        self.pools = {p.table.key: Pool(p.table, {cols: [] for cols in refs.get(p.table.key, ())})
                      for p in self.plans}
        self.owner_targets = owner_tables(schema)
        root = schema.table(schema.tenancy.root) if schema.tenancy else None
        self.root = root.key if root is not None else None

    def tables(self) -> Iterator[TableSample]:
        for p in self.plans:
            t = p.table
            checks = [compile_check(c.name, c.expression, [col.name for col in t.columns]) for c in t.checks]
            maker = TableMaker(self.schema, p, self.gens[t.key], checks, self.pools, self.seed,
                               self.owner_targets, self.root)
            yield TableSample(p, [c.name for c in t.columns if not c.generated], maker.rows(), maker.stats)

    def unchecked(self) -> list[str]:
        """Checks whose expression sample data cannot evaluate (the database will)."""
        out = []
        for p in self.plans:
            for c in p.table.checks:
                if compile_check(c.name, c.expression, [col.name for col in p.table.columns]).test is None:
                    out.append(f"{p.table.name}.{c.name}")
        return out


def generate(schema: Schema, rows_per_table: int | None = None, seed: int | None = None,
             total: int | None = None) -> dict[tuple[str, str], list[dict]]:
    """Every table's rows as lists of {column: Python value}, keyed by (schema, table): for
    small sets (tests, `migrate up --prove`). Big sets stream through Sampler.tables()."""
    out = {}
    for ts in Sampler(schema, total, seed, rows_per_table).tables():
        out[ts.table.key] = [{c: row.get(c) for c in ts.columns} for row in ts.rows]
    return out
