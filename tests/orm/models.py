"""Models for tests/test_orm_targets.py, built directly with the model dataclasses: a realistic chat
app (enums, every common column type and default, FKs of every shape, indexes, policies, a trigger)
and a model of corner cases (a second schema, name collisions, exotic types and indexes)."""
from __future__ import annotations

from generator.model import (
    Check, Column, DataType, Enum, Extension, ForeignKey, Function, Grant, Index, IndexElement, Policy,
    PrimaryKey, Role, Schema, Table, Trigger, Unique, View,
)
from generator.model import TableMeta

P = "chatapp_"
UUID, TEXT, TSTZ, JSONB = DataType("uuid"), DataType("text"), DataType("timestamp with time zone"), DataType("jsonb")
TENANT = "company_id = current_setting('app.company_id', true)::uuid"


def col(name, type_=TEXT, nullable=True, default=None, **kw) -> Column:
    return Column(name, type_, nullable=nullable, default=default, **kw)


def pk_id() -> Column:
    return col("id", UUID, False, "gen_random_uuid()")


def created() -> Column:
    return col("created_at", TSTZ, False, "now()")


def fk(table, cols, ref, on_delete="NO ACTION", ref_cols=("id",)) -> ForeignKey:
    return ForeignKey(f"{P}{table}_{'_'.join(cols)}_fkey", tuple(cols), P + ref, tuple(ref_cols),
                      on_delete=on_delete)


def table(entity, columns, pk=("id",), **kw) -> Table:
    name = P + entity
    return Table(name, tuple(columns), primary_key=PrimaryKey(f"{name}_pkey", tuple(pk)),
                 meta=TableMeta(entity=entity, join_table=kw.pop("join_table", False)), **kw)


def tenant_policy() -> Policy:
    return Policy("tenant_isolation", "ALL", ("app_user",), TENANT, TENANT, preset="tenant_isolation")


def build_model() -> Schema:
    """A chat app with everything the ORM targets must handle (or list as a gap)."""
    role = DataType("user_role", enum=True)
    status = DataType("message_status", enum=True)
    plans = table("subscription_plans", [
        pk_id(), col("slug", nullable=False), col("name", DataType("character varying", (255,)), False),
        col("price_monthly", DataType("numeric", (10, 2)), False, "0"),
        col("features", JSONB, False, "'{}'::jsonb"), col("is_public", DataType("boolean"), False, "true"),
    ], uniques=(Unique(f"{P}subscription_plans_slug_key", ("slug",)),),
        checks=(Check(f"{P}subscription_plans_price_check", "price_monthly >= 0"),))
    companies = table("companies", [
        pk_id(), col("slug", nullable=False), col("name", DataType("character varying", (255,)), False),
        col("subscription_plan_id", UUID), col("settings", JSONB, False, "'{}'::jsonb"), created(),
        col("updated_at", TSTZ, False, "now()"), col("owner_id", UUID),
    ], foreign_keys=(fk("companies", ["subscription_plan_id"], "subscription_plans", "SET NULL"),
                     fk("companies", ["owner_id"], "users", "SET NULL")),
        uniques=(Unique(f"{P}companies_slug_key", ("slug",)),), comment="Tenants of the chat app.",
        triggers=(Trigger(f"{P}companies_touch", "chatapp_touch_updated_at"),))
    users = table("users", [
        pk_id(), col("company_id", UUID, False), col("email", nullable=False, comment="Login e-mail."),
        col("role", role, False, "'support_agent'::user_role"), col("display_name", default="'x'"),
        col("manager_id", UUID), created(),
    ], foreign_keys=(fk("users", ["company_id"], "companies", "CASCADE"),
                     fk("users", ["manager_id"], "users", "SET NULL")),
        uniques=(Unique(f"{P}users_company_id_email_key", ("company_id", "email")),),
        indexes=(Index(f"{P}users_lower_email_idx", (IndexElement(expression="lower(email)"),)),),
        rls_enabled=True, policies=(tenant_policy(),), grants=(Grant("app_user", ("SELECT", "UPDATE")),))
    profiles = table("user_profiles", [
        pk_id(), col("user_id", UUID, False), col("bio"), col("avatar_url", DataType("character varying", (255,))),
    ], foreign_keys=(fk("user_profiles", ["user_id"], "users", "CASCADE"),),
        uniques=(Unique(f"{P}user_profiles_user_id_key", ("user_id",)),))
    conversations = table("conversations", [
        pk_id(), col("company_id", UUID, False), col("title"),
        col("tags", DataType("text", array_dims=1), False, "'{}'::text[]"),
        created(),
    ], foreign_keys=(fk("conversations", ["company_id"], "companies", "CASCADE"),),
        indexes=(Index(f"{P}conversations_tags_idx", (IndexElement("tags"),), method="gin"),
                 Index(f"{P}conversations_company_id_created_at_idx",
                       (IndexElement("company_id"), IndexElement("created_at", descending=True)))),
        rls_enabled=True, policies=(tenant_policy(),))
    messages = table("messages", [
        pk_id(), col("conversation_id", UUID, False), col("sender_id", UUID), col("recipient_id", UUID),
        col("body", nullable=False), col("status", status, False, "'sent'::message_status"),
        col("sent_at", TSTZ, False, "now()"), col("published", DataType("boolean"), False, "false"),
    ], foreign_keys=(fk("messages", ["conversation_id"], "conversations", "CASCADE"),
                     fk("messages", ["sender_id"], "users", "SET NULL"),
                     fk("messages", ["recipient_id"], "users", "SET NULL")),
        checks=(Check(f"{P}messages_body_check", "length(body) > 0"),),
        indexes=(Index(f"{P}messages_unread_idx", (IndexElement("conversation_id"), IndexElement("sent_at")),
                       where="status <> 'read'::message_status"),
                 Index(f"{P}messages_sender_id_idx", (IndexElement("sender_id"),), method="hash")),
        rls_enabled=True,
        policies=(Policy("read_published", "SELECT", ("public",), "published = true"),))
    chunks = table("knowledge_chunks", [
        pk_id(), col("company_id", UUID, False), col("content", nullable=False),
        col("embedding", DataType("vector", (1536,))), col("metadata", JSONB, False, "'{}'::jsonb"), created(),
    ], foreign_keys=(fk("knowledge_chunks", ["company_id"], "companies", "CASCADE"),),
        indexes=(Index(f"{P}knowledge_chunks_embedding_idx", (IndexElement("embedding", opclass="vector_cosine_ops"),),
                       method="hnsw"),
                 Index(f"{P}knowledge_chunks_metadata_idx", (IndexElement("metadata", opclass="jsonb_path_ops"),),
                       method="gin")))
    participants = table("conversation_participants", [
        col("conversation_id", UUID, False), col("user_id", UUID, False), col("joined_at", TSTZ, False, "now()"),
    ], pk=("conversation_id", "user_id"), join_table=True,
        foreign_keys=(fk("conversation_participants", ["conversation_id"], "conversations", "CASCADE"),
                      fk("conversation_participants", ["user_id"], "users", "CASCADE")))
    touch = Function("chatapp_touch_updated_at", "trigger",
                     "BEGIN NEW.updated_at := now(); RETURN NEW; END;")
    return Schema(
        name="chatapp",
        tables=(plans, companies, users, profiles, conversations, messages, chunks, participants),
        enums=(Enum("user_role", ("master_admin", "company_admin", "support_agent")),
               Enum("message_status", ("sent", "read", "needs-review"), comment="Delivery state.")),
        extensions=(Extension("vector"),), functions=(touch,), roles=(Role("app_user"),),
        views=(View(f"{P}active_users", f"SELECT id, email FROM {P}users"),),
    )


def build_edge_model() -> Schema:
    """Corner cases: a second schema, name collisions, odd enum values, identity/generated columns,
    custom types, a composite and a deferrable FK, a table without any key, exotic indexes."""
    kind = DataType("event_kind", enum=True, schema="audit")
    accounts = Table("accounts", (
        col("id", DataType("bigint"), False, identity="always"), col("region", nullable=False, default="'eu'"),
        col("created_at", TSTZ, False, "CURRENT_TIMESTAMP"), col("createdAt", DataType("date")),
        col("2fa_code", DataType("character", (6,)), collation="C"),
        col("handle", DataType("character varying", (40,)), False),
        col("handle_lower", DataType("text"), generated="lower((handle)::text)"),
        col("search", DataType("tsvector")), col("ranges", DataType("int4range")), col("balance", DataType("money")),
        col("avatar", DataType("bytea")), col("ip", DataType("inet")), col("flags", DataType("bit varying", (8,))),
        col("grid", DataType("integer", array_dims=2)), col("score", DataType("double precision"), False, "1.5"),
        col("ratio", DataType("real")), col("big", DataType("bigint"), default="42"),
        col("day_time", DataType("time without time zone", (0,))), col("wait", DataType("interval")),
    ), primary_key=PrimaryKey("accounts_pk", ("id", "region")),
        uniques=(Unique("accounts_handle_key", ("handle",), nulls_not_distinct=True),),
        indexes=(Index("accounts_handle_idx", (IndexElement("handle", descending=True, nulls="last"),),
                       include=("region",)),
                 Index("accounts_region_uidx", (IndexElement("region"), IndexElement("handle")), unique=True,
                       where="big > 0"),
                 Index("accounts_search_idx", (IndexElement("search"),), method="gin",
                       params=(("fastupdate", "off"),))))
    events = Table("users", (
        col("id", UUID, False, "gen_random_uuid()"), col("account_id", DataType("bigint"), False),
        col("account_region", nullable=False), col("kind", kind, False, "'1st'::audit.event_kind"),
        col("parent_id", UUID),
    ), schema="audit", primary_key=PrimaryKey("users_pkey", ("id",)),
        foreign_keys=(ForeignKey("users_account_fkey", ("account_id", "account_region"), "accounts", ("id", "region"),
                                 on_delete="RESTRICT", on_update="CASCADE"),
                      ForeignKey("users_parent_id_fkey", ("parent_id",), "users", ("id",), ref_schema="audit",
                                 deferrable=True, initially_deferred=True)),
        rls_enabled=True, rls_forced=True,
        policies=(Policy("no_updates", "UPDATE", ("public",), "false", permissive=False),
                  Policy("insert_own", "INSERT", ("public",), None, "account_id > 0")))
    users = Table("users", (col("id", UUID, False), col("name"), col("owner_id", UUID)),
                  primary_key=PrimaryKey("users_pkey", ("id",)),   # FK named as Drizzle would: .references()
                  foreign_keys=(ForeignKey("users_owner_id_users_id_fk", ("owner_id",), "users", ("id",),
                                           on_delete="CASCADE"),))
    logs = Table("log_lines", (col("line"), col("account_id", DataType("bigint"))))
    return Schema(
        name="edge", tables=(accounts, events, users, logs), schemas=("audit",),
        enums=(Enum("event_kind", ("1st", "needs-review", "a b", "ok"), schema="audit"),),
    )


MODELS = {"chatapp": build_model, "edge": build_edge_model}
