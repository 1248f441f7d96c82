"""The risk flags a review can raise, as data (name, code, title), and the `--fail-on` policy:
light enough for the CLI to list them without importing the review."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlagKind:
    name: str
    code: str
    title: str


FLAG_KINDS = (
    FlagKind("cross-tenant", "RV007", "another tenant's rows become reachable"),
    FlagKind("public-access", "RV008", "reachable without signing in"),
    FlagKind("rls-weakened", "RV009", "row-level security weakened"),
    FlagKind("lint", "RV010", "security lint errors added"),
    FlagKind("unacknowledged", "RV002", "destructive, not acknowledged in migrations.allow_destructive"),
    FlagKind("destructive", "RV001", "loses data"),
    FlagKind("data-dependent", "RV003", "may fail on existing rows"),
    FlagKind("lock-heavy", "RV004", "blocks writes on an existing table beyond a catalog update"),
    FlagKind("orm-breaking", "RV005", "breaks code using the generated Prisma/Drizzle/TypeScript types"),
    FlagKind("access-widened", "RV006", "access widened"),
    FlagKind("squawk", "RV011", "squawk findings"),
)
BY_NAME = {k.name: k for k in FLAG_KINDS}
DEFAULT_FAIL_ON = ("cross-tenant", "rls-weakened", "lint", "unacknowledged")


def fail_on(spec: str | None) -> tuple[str, ...]:
    """`--fail-on` value -> flag names: a comma list, `none`, `all` or `default`."""
    if spec is None or spec.strip() == "default":
        return DEFAULT_FAIL_ON
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if names == ["none"]:
        return ()
    if names == ["all"]:
        return tuple(k.name for k in FLAG_KINDS)
    unknown = [n for n in names if n not in BY_NAME and n != "default"]
    if unknown:
        from generator.diagnostics import Diagnostic, GenError
        raise GenError([Diagnostic("RV012", f"--fail-on: unknown flag '{unknown[0]}'", name="review.fail_on",
                                   hint="flags: " + ", ".join(k.name for k in FLAG_KINDS) + "; or none, all")])
    out = []
    for n in names:
        out += list(DEFAULT_FAIL_ON) if n == "default" else [n]
    return tuple(dict.fromkeys(out))
