"""`gen review BASE HEAD`: one pull-request comment from two specs, offline. The pieces live in
small modules: objects (what changed), migration + locks + squawk (the SQL, what it locks and
the lints beside each statement), principals + predicate + logic + access + access_diff (who
may now do what; prove proves it with --verify), datamodel (ER diagram and docs diff), orm
(generated clients), summary (risk flags and the verdict); markdown, json_out and github render
the result."""
from __future__ import annotations

from typing import Callable

from generator.diagnostics import Diagnostic
from generator.review.report import Review

__all__ = ["review", "Review"]


def _key(d: Diagnostic) -> tuple:
    return (d.code, d.name, d.message)


def review(base_spec: str, head_spec: str, fail_on: str | None = None, verify_url: str | None = None,
           verify: bool = False, progress: Callable[[str], None] | None = None, server: str | None = None) -> Review:
    """The review of HEAD against BASE; with `verify`, the changed access cells are proven on a
    scratch database (on `verify_url`, else the `server` choice: auto, embedded, pg15 or a URL)."""
    from generator.lint import lint
    from generator.migrate.author import changes_between
    from generator.migrate.project import load_projects
    from generator.review import access_diff, datamodel, migration, objects, orm, squawk, summary
    from generator.review.access import matrix, object_name
    from generator.diff import alter as al

    say = progress or (lambda _m: None)
    base, head = load_projects(base_spec, head_spec)
    changes = changes_between(base.schema, head.schema)
    say(f"{len(changes)} changes from {base_spec} to {head_spec}")
    base_lints, head_lints = lint(base.schema), lint(head.schema)
    before, after = {_key(d) for d in base_lints}, {_key(d) for d in head_lints}
    added = [d for d in head_lints if _key(d) not in before]
    resolved = [migration.security_finding(d) for d in base_lints if _key(d) not in after]
    parts, unplaced, ups = migration.parts(changes, head.allow_destructive, added, head.schema)
    ran = squawk.lint_parts(parts, ups, head.schema.settings.version) if ups else "nothing to lint"
    renamed = {object_name(c.new): object_name(c.old) for c in changes if isinstance(c, al.RenameTable)}
    access = access_diff.compare(matrix(base.schema), matrix(head.schema), renamed)
    verified = None
    if verify:
        from generator.review.prove import prove
        say("proving the access matrix on a scratch database")
        proofs, verified = prove(head.schema, access, verify_url, say, server)
        access = access_diff.with_proofs(access, proofs)
    migration.attach_access(parts, access)
    found = objects.objects(changes, head.schema)
    impact = orm.impact(base.schema, head.schema, changes)
    flags = summary.flags(parts, unplaced, access, impact, changes)
    return Review(base_spec, head_spec, head.schema.name, objects.counts(found, changes), found, flags,
                  summary.verdict(flags, summary.fail_on(fail_on)), parts, unplaced, resolved, access,
                  datamodel.build(changes, base.schema, head.schema), impact, ran, verified)
