"""admin_full_access: an admin (made by steering a row of the admin table until the generated
admin function says so) sees and updates every row; a user the admin predicate rejects sees no
row beyond its own."""
from __future__ import annotations

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.actors import Actor, policies_of
from generator.verify.probe import none_visible, q
from generator.verify.report import Result
from generator.verify.stage import Stage, rls_result
from generator.verify.world import public_conditions


def attacks(st: Stage, t: Table) -> list[Result]:
    pols = policies_of(t, "admin_full_access")
    if not pols:
        return []
    role = st.ident.role_for(pols)
    adm, p = st.world.admin, st.prober
    if adm.admin is None:
        return [rls_result(t, "admin_full_access", ("skip", adm.reason or "no admin could be made"))]
    hidden = " OR ".join(f"({c})" for c in public_conditions(t)) or "false"
    mine = [c for c in (t.meta.owner_column, adm.user_column if t == adm.table else None) if c]
    own = " AND ".join(f"{quote_ident(c)}::text IS DISTINCT FROM '{adm.plain}'" for c in mine) or "true"
    sql = f"SELECT count(*) FROM {q(t)} WHERE NOT coalesce({hidden}, false) AND {own}"
    out = [rls_result(t, "non-admin sees no other rows", none_visible(p.run(Actor(role, user=adm.plain), sql)))]

    def total(conn):
        return conn.execute(f"SELECT count(*) FROM {q(t)}").fetchone()[0]
    probe = p.run(Actor(role, user=adm.admin), f"SELECT count(*) FROM {q(t)}", total)
    o = probe.outcome
    seen = o.rows[0][0] if o.ok else None
    verdict = ("pass", f"{seen} rows") if o.ok and seen == probe.before else \
        ("fail", f"admin sees {seen} of {probe.before} rows" if o.ok else f"query failed: {o.describe()}")
    out.append(rls_result(t, "admin sees every row", verdict))
    c = quote_ident(next(x.name for x in t.columns if not x.generated and x.identity != "always"))
    probe = p.run(Actor(role, user=adm.admin), f"UPDATE {q(t)} SET {c} = {c}", total)
    o = probe.outcome
    verdict = ("pass", "") if o.ok and o.rowcount == probe.before else \
        ("fail", f"admin updated {o.rowcount} of {probe.before} rows" if o.ok else f"refused: {o.describe()}")
    out.append(rls_result(t, "admin updates every row", verdict))
    return out
