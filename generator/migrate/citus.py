"""`gen migrate new` on a Citus spec: refuse (MG070) what Citus cannot do in a migration gen
writes: distribution columns change type or go away, tables change placement, Citus is turned
on for tables that already exist. Each needs a hand-written migration (docs/scale-out.md)."""
from __future__ import annotations

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.diff.citus import refusals
from generator.model import Schema


def refuse(old: Schema, new: Schema, spec: str) -> None:
    found = refusals(old, new)
    if found:
        raise GenError([Diagnostic("MG070", f"{spec}: Citus cannot do this in a migration: {what}",
                                   name="migrate.citus",
                                   hint="nothing was written; see docs/scale-out.md (migrations on Citus) for the "
                                        "hand-written steps (alter_distributed_table, a new column and a backfill)")
                        for what in found], EXIT_FINDINGS)
