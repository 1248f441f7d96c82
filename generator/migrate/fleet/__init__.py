"""Fleets: one spec's migrations rolled over many tenant databases or tenant schemas (canary,
waves, failure budget, resumable), per-target drift and status, and new tenants provisioned
from the spec (docs/scale-out.md)."""
