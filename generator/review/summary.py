"""Risk flags and the verdict: each flag (as data: name, code, title) is raised by the findings,
access cells and ORM changes that carry it, with their lint codes; the verdict fails when a flag
of the `--fail-on` policy is raised, asks for review when any other is, and passes otherwise."""
from __future__ import annotations

from generator.diagnostics import EXIT_FINDINGS, EXIT_OK
from generator.diff import changes as ch
from generator.review_flags import BY_NAME, DEFAULT_FAIL_ON, FLAG_KINDS, FlagKind, fail_on  # noqa: F401 - the review's API
from generator.review.report import ERROR, Flag, Verdict


def flags(parts, unplaced, access, orm, changes) -> list[Flag]:
    found: dict[str, list[tuple[str, str, object]]] = {k.name: [] for k in FLAG_KINDS}

    def add(name: str, code: str, text: str, loc=None) -> None:
        found[name].append((code, text, loc))

    for part in parts:
        for st in part.statements:
            for f in st.findings:
                _statement_flags(f, add)
    for f in unplaced:
        if f.severity == ERROR:
            add("lint", f.code, f.message, f.loc)
    for c in access.changes:
        where = f"{c.object}: {c.principal} {c.command}: {_cell_words(c)}"
        if c.cross_tenant:
            add("cross-tenant", "RV007", where)
        if c.public:
            add("public-access", "RV008", where)
        if c.change == "widened":
            add("access-widened", "RV006", where)
    for c in changes:
        text = _weakening(c)
        if text:
            add("rls-weakened", "RV009", text)
    for o in orm:
        if o.breaking:
            add("orm-breaking", "RV005", o.line, o.loc)
    out = []
    for k in FLAG_KINDS:
        items = found[k.name]
        if items:
            codes = tuple(dict.fromkeys(code for code, _, _ in items))
            out.append(Flag(k.code, k.name, k.title, codes, tuple(t for _, t, _ in items),
                            tuple(loc for _, _, loc in items)))
    return out


def _statement_flags(f, add) -> None:
    for name in flags_of(f):
        text = f"{f.key}: {f.message}" if name == "unacknowledged" else f.message
        add(name, f.code, text, f.loc)


def flags_of(f) -> list[str]:
    """The flags a finding beside a statement raises (access findings are raised by the matrix)."""
    if f.source == "gen" and f.code == "MG001":
        kind = f.key.split(":", 1)[0]
        if kind == "set_not_null":
            return ["data-dependent"]
        out = ["destructive"] + (["data-dependent"] if kind in ("drop_enum_value", "alter_type") else [])
        return out + (["unacknowledged"] if not f.acknowledged else [])
    if f.source == "gen" or (f.source == "review" and f.code == "RV003"):
        return ["data-dependent"]
    if f.source == "review" and f.code == "RV004":
        return ["lock-heavy"]
    if f.source == "security":
        return ["lint"] if f.severity == ERROR else []
    if f.source == "squawk":
        return ["squawk"]
    return []


def _cell_words(c) -> str:
    before = c.before.text if c.before else "—"
    after = c.after.text if c.after else "—"
    return f"{before} → {after}"


def _weakening(c: ch.Change) -> str | None:
    """Structural weakenings of row-level security, whatever the matrix says."""
    from generator.diff import alter as al
    if isinstance(c, ch.SetRls):
        if c.old_enabled and not c.enabled:
            return f"row-level security disabled on {c.table.name}"
        if c.old_forced and not c.forced:
            return f"row-level security no longer forced on {c.table.name} (its owner skips the policies)"
    if isinstance(c, ch.AddView) and not c.view.security_invoker:
        return f"view {c.view.name} runs as its owner (security_invoker off): the caller's RLS does not apply"
    if isinstance(c, ch.DropPolicy) and not c.policy.permissive:
        return f"restrictive policy {c.policy.name} dropped from {c.table.name}"
    if isinstance(c, al.AlterPolicy) and not c.new.permissive and c.new.using != c.old.using:
        return f"restrictive policy {c.new.name} on {c.table.name} changed"
    if isinstance(c, ch.SetTempTables) and c.allowed and not c.old:
        return "PUBLIC may create temporary tables again (they can shadow tables on pooled connections)"
    return None


def verdict(found: list[Flag], policy: tuple[str, ...]) -> Verdict:
    raised = [f.name for f in found]
    failing = tuple(n for n in raised if n in policy)
    if failing:
        return Verdict("fail", f"❌ Changes requested: {', '.join(failing)} (policy: fail on {', '.join(policy)})",
                       failing, EXIT_FINDINGS)
    if raised:
        return Verdict("review", f"⚠️ Needs a careful review: {', '.join(raised)}", (), EXIT_OK)
    return Verdict("pass", "✅ No risk found", (), EXIT_OK)
