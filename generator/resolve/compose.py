"""Reuse: spec-wide `defaults:` (traits, policies, auditing for every entity or every
tenant-scoped one, with per-entity `skip_defaults`) and what traits carry besides columns
(checks, unique constraints, indexes, triggers, policies, auditing) are folded into each entity
before it is resolved, so a 28-table spec states a rule once. Every contributed item keeps the
location of the trait or default that wrote it."""
from __future__ import annotations

from generator.resolve.columns_pass import trait_for
from generator.resolve.context import Ctx
from generator.spec.schema import Entity, PolicyFull

LISTS = ("checks", "unique", "indexes", "triggers", "policies")


def compose(ctx: Ctx, entities: dict[str, Entity]) -> dict[str, Entity]:
    if not ctx.spec.defaults and not any(_carries(ctx, t) for e in entities.values() for t in e.traits):
        return entities
    return {key: _entity(ctx, key, ent) for key, ent in entities.items()}


def _carries(ctx: Ctx, name: str) -> bool:
    trait = ctx.spec.traits.get(name)
    return trait is not None and (any(getattr(trait, k) for k in LISTS) or trait.audit is not None)


def policy_label(p) -> str:
    """What `skip_defaults` and duplicate detection call a policy: its preset or its name."""
    if isinstance(p, str):
        return p
    return p.name or p.preset or ""


def _entity(ctx: Ctx, key: str, ent: Entity) -> Entity:
    skip = ent.skip_defaults
    names = set(skip) if isinstance(skip, list) else set()
    traits, policies, audit = list(ent.traits), list(ent.policies), ent.audit
    root = ctx.spec.tenancy.root if ctx.spec.tenancy else None
    scoped = bool(ent.tenant) and key != root
    for i, d in enumerate(ctx.spec.defaults if skip is not True else ()):
        if d.for_ == "tenant" and not scoped:
            continue
        for j, t in enumerate(d.traits):
            if t not in names and t not in traits:
                ctx.aliases[("entities", key, "traits", len(traits))] = ("defaults", i, "traits", j)
                traits.append(t)
        have = {policy_label(p) for p in policies}
        for j, p in enumerate(d.policies):
            if policy_label(p) not in names and policy_label(p) not in have:
                ctx.aliases[("entities", key, "policies", len(policies))] = ("defaults", i, "policies", j)
                policies.append(p)
        if d.audit is not None and audit is None and "audit" not in names:
            audit = d.audit
    lists = {k: list(getattr(ent, k)) for k in LISTS}
    lists["policies"] = policies
    for i, name in enumerate(traits):
        trait = trait_for(ctx, name, ("entities", key, "traits", i))
        if trait is None:
            continue
        source = ("traits", name) if name in ctx.spec.traits else ("entities", key, "traits", i)
        for k in LISTS:
            for j, item in enumerate(getattr(trait, k)):
                if k == "policies" and policy_label(item) in {policy_label(p) for p in lists[k]}:
                    continue
                ctx.aliases[("entities", key, k, len(lists[k]))] = source + ((k, j) if name in ctx.spec.traits else ())
                lists[k].append(item)
        if trait.audit is not None and audit is None:
            audit = trait.audit
    return ent.model_copy(update={"traits": traits, "audit": audit, **lists})


__all__ = ["compose", "policy_label", "PolicyFull"]
