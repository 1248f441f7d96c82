"""A fingerprint of what a migration run starts from: the target's schema (inspected and
normalized), its migration history and the checksums of the pending files. `gen migrate up
--prove` proves the plan on a copy of that state and the real run refuses if the fingerprint
changed in between (someone altered the schema or applied something meanwhile)."""
from __future__ import annotations

import hashlib

import psycopg

from generator.db.inspect import inspect
from generator.migrate import history
from generator.migrate.files import Migration
from generator.migrate.snapshot import to_json
from generator.model import Schema
from generator.postgres.normalize import normalize


def fingerprint(live: Schema, done: dict, pending: list[Migration]) -> str:
    h = hashlib.sha256(to_json(normalize(live)).encode("utf-8"))
    for version, row in sorted(done.items()):
        h.update(f"applied {version} {row.checksum}\n".encode())
    for m in pending:
        h.update(f"pending {m.version} {m.up_checksum()}\n".encode())
    return "sha256:" + h.hexdigest()


def of_database(conn: psycopg.Connection, schemas: tuple[str, ...], done: dict, pending: list[Migration]) -> str:
    return fingerprint(inspect(conn, schemas), done, pending)


def refuse_changed(expected: str, actual: str) -> None:
    from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
    if expected != actual:
        raise GenError([Diagnostic("MG062", f"the target changed since the plan was proven (fingerprint {expected}, "
                                   f"now {actual}): its schema, history or the pending files differ",
                                   name="migrate.fingerprint",
                                   hint="prove the plan again (`gen migrate prove` or `gen migrate up --prove`)")],
                       EXIT_FINDINGS)


__all__ = ["fingerprint", "of_database", "refuse_changed", "history"]
