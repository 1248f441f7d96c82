"""The predicate reading behind the access matrix, term by term: scope terms decide by the
class (NULL, fail closed, when nothing is set), the admin call, auth.role(), IS NOT NULL,
helper functions read through to an EXISTS over the row's parent, and anything else stays a
condition; AND/OR/NOT are three-valued."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.pipeline import load_schema
from generator.review.logic import FALSE, MAYBE, NULL, TRUE
from generator.review.predicate import Evaluator, Facts
from generator.review.principals import Scoping

SPEC = Path(__file__).resolve().parent.parent / "spec"
TENANT = "company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid)"
OWNER = "id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)"
ADMIN = "(SELECT public.chatapp_is_admin())"


@pytest.fixture(scope="module")
def chat():
    schema = load_schema(SPEC / "chatapp.yaml")
    return Evaluator(schema, Scoping(schema), frozenset({"chatapp_is_admin"})), schema.table("chatapp_users")


SAME, OTHER, NOBODY = Facts("app", "same", "owner", False), Facts("app", "other", "other", False), \
    Facts("app", None, None, False)


@pytest.mark.parametrize("text,facts,truth,via,cond", [
    (TENANT, SAME, TRUE, {"tenant"}, None),
    (TENANT, OTHER, FALSE, set(), None),
    (TENANT, NOBODY, NULL, set(), None),                               # fail closed
    (f"NOT ({TENANT})", NOBODY, NULL, set(), None),                    # NOT NULL is NULL
    (f"NOT ({TENANT})", OTHER, TRUE, {"always"}, None),
    (OWNER, SAME, TRUE, {"owner"}, None),
    (f"{TENANT} AND {OWNER}", SAME, TRUE, {"tenant", "owner"}, None),
    (f"{TENANT} OR is_active", OTHER, MAYBE, set(), "is_active"),
    (f"{TENANT} AND status <> 'x'", SAME, MAYBE, {"tenant"}, "status <> 'x'"),
    (f"({TENANT}) OR {ADMIN}", Facts("app", None, "other", True), TRUE, {"admin"}, None),
    (f"({TENANT}) OR {ADMIN}", NOBODY, NULL, set(), None),
    ("true", NOBODY, TRUE, {"always"}, None),
    ("1 = 2", SAME, FALSE, set(), None),
    ("created_by = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)", SAME, MAYBE, set(),
     "created_by = (SELECT CAST(NULLIF(current_setting('app.user_id', TRUE), '') AS uuid))"),
])
def test_terms_for_a_class(chat, text, facts, truth, via, cond):
    ev, users = chat
    v = ev.evaluate(text, users, facts)
    assert (v.truth, set(v.via), v.cond) == (truth, via, cond)


def test_supabase_terms_and_helpers_read_through():
    schema = load_schema(SPEC / "ai_chat.yaml")
    ev = Evaluator(schema, Scoping(schema), frozenset({"is_admin"}))
    messages = schema.table("messages")
    owner, other, anon = Facts("authenticated", None, "owner", False), Facts("authenticated", None, "other", False), \
        Facts("anon", None, None, False)
    helper = "(SELECT public.owns_conversation(conversation_id))"
    assert (ev.evaluate(helper, messages, owner).truth, ev.evaluate(helper, messages, owner).via) == \
        (TRUE, frozenset({"owner"}))
    assert ev.evaluate(helper, messages, other).truth == FALSE
    assert ev.evaluate("auth.role() = 'authenticated'", messages, other).truth == TRUE
    assert ev.evaluate("auth.role() = 'authenticated'", messages, anon).truth == FALSE
    assert ev.evaluate("auth.uid() IS NOT NULL", messages, anon).truth == FALSE
    assert ev.evaluate("auth.uid() IS NOT NULL", messages, other).truth == TRUE
    # an EXISTS over a parent the row is not scoped through stays a condition
    tools = load_schema(SPEC / "automations.yaml")
    ev2 = Evaluator(tools, Scoping(tools), frozenset({"is_admin"}))
    got = ev2.evaluate("EXISTS (SELECT 1 FROM public.automations a WHERE a.id = automation_id AND a.published)",
                       tools.table("automation_tools"), other)
    assert got.truth == MAYBE and got.cond.startswith("EXISTS (SELECT 1 FROM public.automations")
