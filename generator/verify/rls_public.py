"""public_read (and any read policy granted to Supabase's anon): a row its condition shows is
visible to the public role (Supabase: anon; plain: the application role with no tenant or
user), a row it does not show is not. A condition on a parent row (`EXISTS (… automations a
WHERE a.id = automation_id AND a.published)`) is met by steering the parent."""
from __future__ import annotations

from generator.model import Table
from generator.verify.actors import Actor
from generator.verify.probe import none_visible, q
from generator.verify.report import Result
from generator.verify.stage import Stage, rls_result
from generator.verify.world import public_policies


def attacks(st: Stage, t: Table) -> list[Result]:
    out = []
    for i, pol in enumerate(public_policies(t)):
        role = st.ident.role_for([pol], public=True)
        if (t.key, f"public{i}") not in st.world.rows:
            why = st.world.problems.get((t.key, "public"), "no row could be built")
            out.append(rls_result(t, f"public read {pol.name}", ("skip", why)))
            continue
        shown = st.world.rows[(t.key, f"public{i}")]
        probe = st.prober.run(Actor(role), f"SELECT count(*) FROM {q(t)} WHERE {shown.where()}")
        o = probe.outcome
        verdict = ("pass", "") if o.ok and o.rows[0][0] == 1 else \
            ("fail", "public row not visible" if o.ok else f"query failed: {o.describe()}")
        out.append(rls_result(t, f"public row visible to {role}", verdict))
        hidden = st.world.rows.get((t.key, f"private{i}"))
        if hidden is not None:
            probe = st.prober.run(Actor(role), f"SELECT count(*) FROM {q(t)} WHERE {hidden.where()}")
            out.append(rls_result(t, f"private row hidden from {role}", none_visible(probe)))
    return out
