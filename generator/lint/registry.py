"""The lint rules as data: one module per rule under generator.lint.rules, each with CODE,
NAME, SEVERITY, a docstring (what, why, a bad and a good example) and `check(ctx)`."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

# In code order; a code, once published, keeps its meaning (docs/lints.md, `lint:` overrides).
RULE_MODULES = (
    "rl001_rls_missing",
    "rl002_rls_no_policy",
    "rl003_policy_rls_off",
    "rl004_policy_always_true",
    "rl005_check_drops_scope",
    "rl006_writable_condition",
    "rl007_definer_search_path",
    "rl008_definer_execute",
    "rl009_view_not_invoker",
    "rl010_hidden_characters",
    "rl011_confusable_name",
    "rl012_rls_not_forced",
    "rl013_client_privileges",
    "rl014_cross_tenant_reference",
    "rl015_owner_reference_undeclared",
    "rl016_cascade_purges_soft_deleted",
    "rl017_writable_reference_table",
    "rl018_reference_to_soft_deleted_key",
    "rl019_self_granted_access",
)

# Not a rule: a `lint:` override naming a code no rule has.
UNKNOWN_CODE = "RL000"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str                        # error | warning: the default
    doc: str
    check: Callable[..., Iterator]
    source: tuple[str, ...] = ("spec", "database")   # where it applies

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip()


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    out = []
    for name in RULE_MODULES:
        mod = importlib.import_module(f"generator.lint.rules.{name}")
        out.append(Rule(mod.CODE, mod.NAME, mod.SEVERITY, mod.__doc__ or "", mod.check,
                        getattr(mod, "SOURCE", ("spec", "database"))))
    return tuple(out)


def rule(code: str) -> Rule | None:
    return next((r for r in all_rules() if r.code == code), None)
