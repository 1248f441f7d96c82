"""Decode the messages of PostgreSQL's logical replication plugin `pgoutput` (protocol 1), as
pg_logical_slot_get_binary_changes returns them: relations, and the inserts, updates and
deletes of their rows with column values as text."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field


@dataclass
class Relation:
    oid: int
    schema: str
    name: str
    replica_identity: str          # d default, f full, i index, n nothing
    columns: list[str]


@dataclass
class Change:
    kind: str                      # insert | update | delete
    relation: Relation
    new: dict[str, str | None] = field(default_factory=dict)
    old: dict[str, str | None] = field(default_factory=dict)
    old_kind: str = ""             # K: the key columns only, O: the whole old row, "": none sent


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def byte(self) -> str:
        self.pos += 1
        return chr(self.data[self.pos - 1])

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos:end].decode()
        self.pos = end + 1
        return text

    def tuple(self, columns: list[str]) -> dict[str, str | None]:
        out = {}
        for name in columns[: self.take("!h")]:
            kind = self.byte()
            if kind == "t":
                size = self.take("!i")
                out[name] = self.data[self.pos:self.pos + size].decode()
                self.pos += size
            elif kind == "n":
                out[name] = None
        return out


def decode(messages: list[bytes]) -> list[Change]:
    """The row changes in a stream of pgoutput messages (begin/commit and the rest skipped)."""
    relations: dict[int, Relation] = {}
    out: list[Change] = []
    for data in messages:
        r = _Reader(bytes(data))
        tag = r.byte()
        if tag == "R":
            oid, schema, name, ident = r.take("!I"), r.string(), r.string(), r.byte()
            columns = []
            for _ in range(r.take("!h")):
                r.byte()
                columns.append(r.string())
                r.take("!Ii")
            relations[oid] = Relation(oid, schema or "public", name, ident, columns)
        elif tag in "IUD":
            rel = relations[r.take("!I")]
            out.append(_change(tag, rel, r))
    return out


def _change(tag: str, rel: Relation, r: _Reader) -> Change:
    if tag == "I":
        r.byte()                                   # 'N'
        return Change("insert", rel, new=r.tuple(rel.columns))
    kind = r.byte()
    old, old_kind = {}, ""
    if kind in "KO":
        old, old_kind = r.tuple(rel.columns), kind
        if tag == "U":
            kind = r.byte()
    if tag == "D":
        return Change("delete", rel, old=old, old_kind=old_kind)
    return Change("update", rel, new=r.tuple(rel.columns), old=old, old_kind=old_kind)
