"""Production protection for the commands that destroy (reset, migrate down, push). A database
counts as production when GEN_ENV is production/prod/live, when its database name or host
holds the word prod, production, prd or live (split at anything not a letter or digit:
`shop_production`, `db.prod.internal`; not `delivery`), or when either matches a pattern of
the spec's `database.protected`. --i-know-this-is-production overrides it, explicitly."""
from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase

from generator.db.connect import describe, parse_url
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.model import Schema

PRODUCTION_ENVS = ("production", "prod", "live")
PRODUCTION_WORDS = ("production", "prod", "prd", "live")
_WORD = re.compile(r"[^a-z0-9]+")


def production_reasons(url: str, model: Schema, env: dict | None = None) -> list[str]:
    env = os.environ if env is None else env
    out = []
    if env.get("GEN_ENV", "").strip().lower() in PRODUCTION_ENVS:
        out.append(f"GEN_ENV={env['GEN_ENV']}")
    info = parse_url(url)
    for key, what in (("dbname", "database name"), ("host", "host")):
        value = (info.get(key) or "").lower()
        if not value or value.startswith("/"):          # a unix socket directory is no name
            continue
        words = [w for w in PRODUCTION_WORDS if w in _WORD.split(value)]
        if words:
            out.append(f"{what} '{value}' contains the word '{words[0]}'")
        for pattern in model.settings.protected:
            if fnmatchcase(value, pattern.lower()):
                out.append(f"{what} '{value}' matches database.protected pattern '{pattern}'")
    return out


def refuse_production(url: str, model: Schema, action: str, i_know: bool) -> None:
    """MG040 (exit 1) unless the database does not look like production or `i_know`."""
    reasons = production_reasons(url, model)
    if reasons and not i_know:
        raise GenError([Diagnostic("MG040", f"refusing to {action} {describe(url)}: looks like production ("
                                   + "; ".join(reasons) + ")", name="migrate.production",
                                   hint="this loses data; if you really mean it pass --i-know-this-is-production "
                                        "(the rule: docs/migrations.md, Production protection)")], EXIT_FINDINGS)
