"""SQL for publication membership (the `publications` phase, last: a table joins a
publication after its replica identity is set)."""
from __future__ import annotations

from generator.diff.publish import AddToPublication, DropFromPublication
from generator.model.naming import quote_ident
from generator.postgres.render import Statement


def _s(sql: str, comment: str, change) -> list[Statement]:
    return [Statement(sql, comment, "publications", change)]


RENDERERS = {
    AddToPublication: lambda c: _s(
        f"ALTER PUBLICATION {quote_ident(c.publication)} ADD TABLE {c.table.qname};",
        f"publish changes of {c.table.name} ({c.publication})", c),
    DropFromPublication: lambda c: _s(
        f"ALTER PUBLICATION {quote_ident(c.publication)} DROP TABLE {c.table.qname};",
        f"stop publishing {c.table.name} ({c.publication})", c),
}
