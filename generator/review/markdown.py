"""The review as one GitHub comment (Markdown): verdict and flagged access first, then counts and
risk flags, the access matrix diff, the migration with locks and lints per statement, the data
model (Mermaid) and docs diff, and the ORM impact. Short for a small change; long sections fold
into <details>, repeated findings are said once and every list has a cap, so a 200-table change
stays well under GitHub's 65,536-character limit."""
from __future__ import annotations

from generator.review import access_diff as ad
from generator.review.objects import VERBS
from generator.review.principals import COMMANDS
from generator.review.report import ERROR, WARNING, Review
from generator.targets.escape import md_code, md_text

MARKER = "<!-- gen-review -->"          # lets a bot find and update its own comment
MAX_CHARS = 60_000
CAPS = {"flag items": 8, "access rows": 60, "statements": 60, "sql lines": 150, "docs tables": 12,
        "docs lines": 80, "new page lines": 40, "docs chars": 15_000, "orm rows": 60, "new objects": 12, "names": 8}
FOLD = {"access rows": 12, "statements": 15, "orm rows": 10}      # more rows than this: inside <details>
ICON = {ERROR: "❌", WARNING: "⚠️", "info": "ℹ️"}
CHANGE_ICON = {ad.WIDENED: "🔓 widened", ad.NARROWED: "🔒 narrowed", ad.CHANGED: "↔ changed", ad.NEW: "🆕 new"}
PLURAL = {"policy": "policies", "index": "indexes", "row-level security": "row-level security",
          "foreign key": "foreign keys"}
STRUCTURAL = ("table", "column", "foreign key")      # changes the ER diagram shows unfolded
STEP_TITLE = {"pre": "before the transaction (enum values; each statement commits on its own)",
              "main": "in one transaction",
              "post": "after the transaction (each statement commits on its own, re-runnable)"}


def render(r: Review) -> str:
    sections = [_head(r), _flagged(r), _counts(r), _flags(r), _access(r), _migration(r), _datamodel(r, True),
                _orm(r), _footer(r)]
    text = _join(sections)
    if len(text) > MAX_CHARS:                       # drop the heaviest optional parts first
        sections[6] = _datamodel(r, False)
        text = _join(sections)
    if len(text) > MAX_CHARS:
        sections[5] = _migration(r, sql=False)
        text = _join(sections)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS - 200].rsplit("\n", 1)[0] + "\n\n… (cut at the comment size limit; " \
            "`gen review --format json` has everything)\n"
    return text


def _join(sections: list[str]) -> str:
    return "\n\n".join(s.strip("\n") for s in sections if s and s.strip()) + "\n"


def _details(summary: str, body: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _capped(rows: list, cap: str) -> tuple[list, int]:
    limit = CAPS[cap]
    return (rows, 0) if len(rows) <= limit else (rows[:limit], len(rows) - limit)


def _more(hidden: int, sep: str = "\n\n") -> str:
    return f"{sep}… and {hidden} more (`--format json` lists all)" if hidden else ""


def _names(names: list[str]) -> str:
    shown, hidden = _capped(names, "names")
    return ", ".join(md_code(n) for n in shown) + (f" and {hidden} more" if hidden else "")


def _cell(c) -> str:
    return md_text(c.text) if c is not None else "—"


# ---------------------------------------------------------------- top

def _head(r: Review) -> str:
    return (f"{MARKER}\n## gen review: {md_text(r.name)}\n\n**{md_text(r.verdict.line)}**\n\n"
            f"<sub>{md_code(r.base, cell=False)} → {md_code(r.head, cell=False)}</sub>")


def _flagged(r: Review) -> str:
    """Cross-tenant and anonymous access first: the reviewer must see these (one line per object
    and class, its commands together)."""
    groups: dict[tuple, list] = {}
    for c in r.access.changes:
        if c.flagged:
            groups.setdefault((c.object, c.cross_tenant, c.before, c.after, c.proof), []).append(c.command)
    if not groups:
        return ""
    rows, hidden = _capped(list(groups.items()), "flag items")
    lines = ["> [!CAUTION]", "> **Widened access**"]
    for (obj, cross, before, after, proof), commands in rows:
        who = "another tenant" if cross else "anyone not signed in"
        was = f"{_cell(before)} → " if before is not None else "new: "
        lines.append(f"> - {md_code(obj)}: **{who}** may now {', '.join(commands)} — {was}**{_cell(after)}**"
                     + (f" ({md_text(proof)})" if proof else ""))
    return "\n".join(lines) + _more(hidden, "\n> ")


def _counts(r: Review) -> str:
    if not r.counts:
        return "No schema changes."
    rows = [[md_text(PLURAL.get(kind, kind + "s"))] + [str(n.get(v) or "") for v in VERBS]
            for kind, n in r.counts.items()]
    return _table(["objects"] + list(VERBS), rows)


def _flags(r: Review) -> str:
    if not r.flags:
        return ""
    fail = set(r.verdict.failing)
    rows = []
    for f in r.flags:
        items, hidden = _capped(_tally(f.items), "flag items")
        text = "<br>".join(md_text(i) for i in items) + (f"<br>… {hidden} more" if hidden else "")
        icon = "❌" if f.name in fail else "⚠️"
        rows.append([f"{icon} **{f.name}**", f.code, ", ".join(md_code(c) for c in f.codes), text])
    return "### Risk flags\n\n" + _table(["flag", "code", "lint codes", "what"], rows)


def _tally(items) -> list[str]:
    """Repeated lines once, with how many times (×3)."""
    counts: dict[str, int] = {}
    for i in items:
        counts[i] = counts.get(i, 0) + 1
    return [f"{i} (×{n})" if n > 1 else i for i, n in counts.items()]


# ---------------------------------------------------------------- access

def _access(r: Review) -> str:
    a = r.access
    if not a.changes and not a.dropped_objects:
        return "### Access\n\nNo change in who may read or write what." if r.counts else ""
    existing = [c for c in a.changes if c.change != ad.NEW]
    new = [c for c in a.changes if c.change == ad.NEW]
    proofs = any(c.proof for c in a.changes)
    parts = ["### Access matrix (changed cells)"]
    if existing:
        rows, hidden = _capped(existing, "access rows")
        table = _table(["object", "who", "command", "before", "after", "change"] + (["proof"] if proofs else []),
                       [[md_code(c.object), md_text(c.principal), c.command, _cell(c.before), _cell(c.after),
                         ("**" + CHANGE_ICON[c.change] + "**") if c.change == ad.WIDENED else CHANGE_ICON[c.change]]
                        + ([md_text(c.proof or "")] if proofs else []) for c in rows]) + _more(hidden)
        parts.append(table if len(existing) <= FOLD["access rows"] else
                     _details(f"{len(existing)} changed cells ({len(a.widened())} widened)", table, True))
    if new:
        parts.append(_new_objects(new, proofs))
    if a.dropped_objects:
        parts.append("Dropped: " + _names(a.dropped_objects) + ".")
    return "\n\n".join(parts)


def _new_objects(new: list, proofs: bool) -> str:
    """New tables and views, those with the same matrix together: one row per class, the four
    commands as columns."""
    by_obj: dict[str, dict[str, dict[str, str]]] = {}
    for c in new:
        cell = _cell(c.after) + (f" ({md_text(c.proof)})" if proofs and c.proof else "")
        by_obj.setdefault(c.object, {}).setdefault(c.principal, {})[c.command] = cell
    alike: dict[tuple, list[str]] = {}
    for obj, classes in by_obj.items():
        key = tuple((who, tuple(cmds.get(k, "—") for k in COMMANDS)) for who, cmds in classes.items())
        alike.setdefault(key, []).append(obj)
    groups, hidden = _capped(list(alike.items()), "new objects")
    blocks = []
    for key, objs in groups:
        rows = [[md_text(who)] + list(cells) for who, cells in key]
        blocks.append(f"{_names(objs)}\n\n" + _table(["who"] + list(COMMANDS), rows))
    body = "\n\n".join(blocks) + (f"\n\n… and {hidden} more groups" if hidden else "")
    return _details(f"Access to {len(by_obj)} new table(s)/view(s)", body, len(by_obj) <= 2)


# ---------------------------------------------------------------- migration

def _findings(st, seen: set) -> str:
    """Findings beside a statement; one said before in this migration is named by its code only."""
    out = []
    for f in st.findings:
        key = (f.source, f.code, f.message)
        text = f"{ICON.get(f.severity, '')} {md_code(f.code) if f.code else ''}".strip()
        if key in seen:
            out.append(text + " (as above)")
            continue
        seen.add(key)
        out.append(f"{text} {md_text(f.message)}" + (" *(squawk)*" if f.source == "squawk" else ""))
    return "<br>".join(out)


def _migration(r: Review, sql: bool = True) -> str:
    if not r.parts:
        return ""
    out = ["### Migration"]
    seen: set = set()
    for i, p in enumerate(r.parts, 1):
        numbered = list(enumerate(p.statements, 1))
        flagged = [(n, st) for n, st in numbered if st.findings]
        title = f"**Part {i} of {len(r.parts)}: {STEP_TITLE[p.step]}, {len(p.statements)} statement(s)**"
        repeats: dict[str, int] = {}
        if len(p.statements) <= FOLD["statements"]:
            rows, hidden = numbered, 0
        else:
            fresh = []
            for n, st in numbered:
                keys = {(f.source, f.code, f.message) for f in st.findings}
                if st.findings and keys <= seen_keys(seen, fresh):
                    for f in st.findings:
                        repeats[f.code] = repeats.get(f.code, 0) + 1
                elif st.findings or st.existing:
                    fresh.append((n, st))
            rows, hidden = _capped(fresh, "statements")
        table = _table(["#", "statement", "locks", "findings"],
                       [[str(n), md_text(st.comment), md_text(st.lock), _findings(st, seen)] for n, st in rows])
        if repeats:
            table += "\n\n" + ", ".join(f"{md_code(code)} again on {k} more statement(s)" for code, k in repeats.items())
        if len(p.statements) > FOLD["statements"]:
            summary = f"{len(rows) + hidden} of {len(p.statements)} statements: those with findings or locking a " \
                "table that exists (the others create new objects: see the SQL)"
            table = _details(summary, table + _more(hidden), bool(flagged)) if rows else \
                f"No findings on its {len(p.statements)} statements, none locks an existing table."
        out.append(f"{title}\n\n{table}")
        if sql:
            out.append(_details(f"up SQL (part {i})", _sql_block([st.sql for st in p.statements])))
            down = [f"-- irreversible: {p.irreversible}"] if p.irreversible else \
                [st.sql for st in p.down] or ["-- nothing"]
            out.append(_details(f"down SQL (part {i})", _sql_block(down)))
    if r.unplaced:
        out.append("**Security lints HEAD adds** (no statement of this migration concerns them)\n\n"
                   + "\n".join(f"- {ICON.get(f.severity, '')} {md_code(f.code)} {md_text(f.message)}"
                               for f in r.unplaced))
    if r.resolved:
        out.append(f"Resolved security lints: {', '.join(md_code(f.code) for f in r.resolved)}.")
    return "\n\n".join(out)


def seen_keys(seen: set, rows: list) -> set:
    """Findings said before this part's rows, and in the rows kept so far."""
    return seen | {(f.source, f.code, f.message) for _, st in rows for f in st.findings}


def _sql_block(statements: list[str]) -> str:
    lines = "\n\n".join(statements).splitlines()
    limit = CAPS["sql lines"]
    cut = f"\n-- … {len(lines) - limit} more lines (`gen diff` prints them all)" if len(lines) > limit else ""
    body = "\n".join(lines[:limit]) + cut
    fence = "````" if "```" in body else "```"
    return f"{fence}sql\n{body}\n{fence}"


# ---------------------------------------------------------------- data model, ORM, footer

def _datamodel(r: Review, docs: bool) -> str:
    d = r.datamodel
    if d is None or (d.mermaid is None and not d.note):
        return ""
    out = ["### Data model"]
    if d.mermaid:
        legend = "`+` added · `~` changed · `»` renamed · `-` dropped; unmarked tables are neighbours (keys only)"
        diagram = f"```mermaid\n{d.mermaid.rstrip()}\n```\n\n<sub>{legend}</sub>"
        structural = any(o.kind in STRUCTURAL for o in r.objects)
        out.append(diagram if structural and d.shown <= 12 else _details(f"ER diagram ({d.shown} tables)", diagram))
    if d.note:
        out.append(f"<sub>{md_text(d.note)}</sub>")
    if docs and d.docs:
        blocks, used, left = [], 0, len(d.docs)
        for doc in d.docs[:CAPS["docs tables"]]:
            block = _docs_block(doc)
            if used + len(block) > CAPS["docs chars"]:
                break
            blocks.append(block)
            used += len(block)
            left -= 1
        out.append("**Docs diff**\n\n" + "\n\n".join(blocks) + _more(left))
    return "\n\n".join(out)


def _docs_block(doc) -> str:
    if doc.state == "dropped":
        return f"- {md_code(doc.table)}: page removed"
    lines = doc.diff.splitlines()
    cut = lines[:CAPS["docs lines"] if doc.state == "changed" else CAPS["new page lines"]]
    tail = f"\n… {len(lines) - len(cut)} more lines" if len(lines) > len(cut) else ""
    kind = "diff" if doc.state == "changed" else "markdown"
    fence = "````" if "```" in doc.diff else "```"
    return _details(f"{md_code(doc.table, cell=False)} ({doc.state}, {doc.lines} lines)",
                    f"{fence}{kind}\n" + "\n".join(cut) + f"\n{fence}{tail}")


def _orm(r: Review) -> str:
    if not r.orm:
        return ""
    breaking = [o for o in r.orm if o.breaking]
    rows = [["💥" if o.breaking else "", md_text(o.client), md_code(f"{o.model}.{o.field}" if o.field else o.model),
             md_text(o.what), md_code(o.before) if o.before else "", md_code(o.after) if o.after else ""]
            for o in sorted(r.orm, key=lambda o: not o.breaking)]
    rows, hidden = _capped(rows, "orm rows")
    table = _table(["", "client", "model / field", "change", "before", "after"], rows) + _more(hidden)
    title = f"### ORM impact ({len(breaking)} breaking)"
    return title + "\n\n" + (table if len(r.orm) <= FOLD["orm rows"] else
                             _details(f"{len(r.orm)} changes in the generated clients", table, bool(breaking)))


def _footer(r: Review) -> str:
    bits = [f"squawk: {r.squawk}"]
    if r.verified:
        bits.append(f"verify: {r.verified}")
    return "<sub>gen review · " + md_text(" · ".join(bits)) + "</sub>"
