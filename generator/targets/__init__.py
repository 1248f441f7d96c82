"""Output targets as plugins: each module registers a render function by name; it takes the
resolved model and returns files, never writing or printing."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from generator.model import Schema


@dataclass(frozen=True)
class Artifact:
    """One generated file; `path` is relative to out/<spec name>/."""

    path: str
    content: str | bytes


@dataclass
class BuildContext:
    schema: Schema
    templates: str | None = None          # user override directory for templates
    notes: list[str] = field(default_factory=list)   # messages for the user (e.g. "SVG skipped")


Renderer = Callable[[BuildContext], list[Artifact]]

# Target name -> module that registers it. Modules are imported only when a target runs,
# so `gen validate` and `gen build --target sql` never pay for the others.
TARGET_MODULES: dict[str, str] = {
    "sql": "generator.targets.sql",
    "rls": "generator.targets.sql",
    "seed": "generator.targets.sql",
    "shim": "generator.targets.sql",
    "docs": "generator.targets.docs",
    "erd": "generator.targets.erd",
    "dbml": "generator.targets.dbml",
    "prisma": "generator.targets.prisma",
    "drizzle": "generator.targets.drizzle",
    "parity": "generator.targets.parity",
    "typescript": "generator.targets.typescript",
    "pydantic": "generator.targets.pydantic_models",
    "prisma6": "generator.targets.prisma",
}
# Registered but built only when named with --target (not part of a default build).
OPT_IN = frozenset({"prisma6"})

_REGISTRY: dict[str, Renderer] = {}


def register(name: str) -> Callable[[Renderer], Renderer]:
    def deco(fn: Renderer) -> Renderer:
        _REGISTRY[name] = fn
        return fn
    return deco


def target_names() -> list[str]:
    return list(TARGET_MODULES)


def default_target_names() -> list[str]:
    return [name for name in TARGET_MODULES if name not in OPT_IN]


def get_target(name: str) -> Renderer:
    if name not in _REGISTRY:
        module = TARGET_MODULES.get(name)
        if module is None:
            raise KeyError(name)
        importlib.import_module(module)
    return _REGISTRY[name]
