"""Publication membership of a table (Supabase Realtime reads the supabase_realtime
publication): the changes, each with its reverse, and the diff of a table's memberships.
Its replica identity is a table property (diff.objects)."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diff.changes import Change
from generator.model import Table


@dataclass(frozen=True)
class AddToPublication(Change):
    table: Table
    publication: str

    def reverse(self):
        return DropFromPublication(self.table, self.publication)


@dataclass(frozen=True)
class DropFromPublication(Change):
    table: Table
    publication: str

    def reverse(self):
        return AddToPublication(self.table, self.publication)


def publication_changes(old: Table | None, new: Table) -> list[Change]:
    """Memberships dropped (named as the table was) and added, by publication name."""
    had = set(old.publications) if old is not None else set()
    out: list[Change] = [DropFromPublication(old, p) for p in sorted(had - set(new.publications))]
    return out + [AddToPublication(new, p) for p in new.publications if p not in had]
