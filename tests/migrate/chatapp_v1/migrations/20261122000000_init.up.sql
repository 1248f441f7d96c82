-- gen migration 20261122000000_init (up)
-- Written by `gen migrate new` from /tmp/v1m/chatapp.yaml; never edit it once applied (checksums: gen.sum).
SET lock_timeout = '5s';

BEGIN;

-- extension vector
CREATE EXTENSION IF NOT EXISTS vector;

-- enum user_role
CREATE TYPE user_role AS ENUM ('master_admin', 'company_admin', 'support_agent');

-- enum user_status
CREATE TYPE user_status AS ENUM ('active', 'inactive', 'pending', 'suspended');

-- enum agent_status
CREATE TYPE agent_status AS ENUM ('draft', 'active', 'paused', 'archived');

-- enum agent_type
CREATE TYPE agent_type AS ENUM ('support', 'sales', 'general', 'custom');

-- enum conversation_status
CREATE TYPE conversation_status AS ENUM ('active', 'waiting', 'resolved', 'archived');

-- enum message_role
CREATE TYPE message_role AS ENUM ('user', 'assistant', 'system');

-- enum message_type
CREATE TYPE message_type AS ENUM ('text', 'image', 'file', 'system_event');

-- enum channel_type
CREATE TYPE channel_type AS ENUM ('widget', 'whatsapp', 'telegram', 'slack', 'teams', 'email');

-- enum plan_type
CREATE TYPE plan_type AS ENUM ('free', 'starter', 'professional', 'enterprise');

-- enum billing_cycle
CREATE TYPE billing_cycle AS ENUM ('monthly', 'yearly');

-- enum subscription_status
CREATE TYPE subscription_status AS ENUM ('trialing', 'active', 'past_due', 'canceled');

-- enum knowledge_source_type
CREATE TYPE knowledge_source_type AS ENUM ('file', 'url', 'text');

-- enum knowledge_source_status
CREATE TYPE knowledge_source_status AS ENUM ('processing', 'ready', 'error');

-- enum invitation_status
CREATE TYPE invitation_status AS ENUM ('pending', 'accepted', 'expired');

-- enum resolution_type
CREATE TYPE resolution_type AS ENUM ('ai', 'human', 'abandoned');

-- enum integration_type
CREATE TYPE integration_type AS ENUM ('slack', 'zapier', 'salesforce', 'hubspot', 'zendesk', 'custom');

-- enum integration_status
CREATE TYPE integration_status AS ENUM ('active', 'inactive', 'error');

-- table chatapp_subscription_plans
CREATE TABLE chatapp_subscription_plans (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  type plan_type NOT NULL DEFAULT 'free',
  description text,
  price_monthly numeric(10,2) NOT NULL DEFAULT 0,
  price_yearly numeric(10,2) NOT NULL DEFAULT 0,
  features jsonb NOT NULL DEFAULT '{}',
  limits jsonb NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_subscription_plans_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_subscription_plans_slug_key UNIQUE (slug),
  CONSTRAINT chatapp_subscription_plans_price_monthly_price_yearly_check CHECK (price_monthly >= 0 AND price_yearly >= 0)
);

-- table chatapp_companies
CREATE TABLE chatapp_companies (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  domain text,
  logo_url text,
  settings jsonb NOT NULL DEFAULT '{}',
  subscription_plan_id uuid,
  subscription_status subscription_status NOT NULL DEFAULT 'trialing',
  billing_cycle billing_cycle NOT NULL DEFAULT 'monthly',
  trial_ends_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_companies_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_companies_slug_key UNIQUE (slug),
  CONSTRAINT chatapp_companies_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  CONSTRAINT chatapp_companies_subscription_plan_id_fkey FOREIGN KEY (subscription_plan_id) REFERENCES chatapp_subscription_plans (id) ON DELETE SET NULL
);

-- table chatapp_users
CREATE TABLE chatapp_users (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text,
  avatar_url text,
  role user_role NOT NULL DEFAULT 'support_agent',
  company_id uuid,
  status user_status NOT NULL DEFAULT 'pending',
  settings jsonb NOT NULL DEFAULT '{}',
  last_login_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_users_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_users_email_key UNIQUE (email),
  CONSTRAINT chatapp_users_company_role CHECK (role = 'master_admin' OR company_id IS NOT NULL),
  CONSTRAINT chatapp_users_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_agents
CREATE TABLE chatapp_agents (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  name text NOT NULL,
  description text,
  avatar_url text,
  type agent_type NOT NULL DEFAULT 'support',
  status agent_status NOT NULL DEFAULT 'draft',
  system_prompt text,
  welcome_message text,
  model_config jsonb NOT NULL DEFAULT '{}',
  tools_config jsonb NOT NULL DEFAULT '{}',
  escalation_config jsonb NOT NULL DEFAULT '{}',
  widget_config jsonb NOT NULL DEFAULT '{}',
  created_by uuid,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_agents_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_agents_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_agents_created_by_fkey FOREIGN KEY (created_by) REFERENCES chatapp_users (id) ON DELETE SET NULL
);

-- table chatapp_agent_packages
CREATE TABLE chatapp_agent_packages (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text,
  category text,
  icon text,
  base_prompt text NOT NULL,
  suggested_tools jsonb NOT NULL DEFAULT '[]',
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_agent_packages_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_agent_packages_name_key UNIQUE (name)
);

-- table chatapp_knowledge_sources
CREATE TABLE chatapp_knowledge_sources (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  agent_id uuid,
  name text NOT NULL,
  type knowledge_source_type NOT NULL,
  status knowledge_source_status NOT NULL DEFAULT 'processing',
  file_path text,
  file_type text,
  file_size integer,
  url text,
  content_hash text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_by uuid,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_knowledge_sources_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_knowledge_sources_file_size_check CHECK (file_size IS NULL OR file_size >= 0),
  CONSTRAINT chatapp_knowledge_sources_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES chatapp_agents (id) ON DELETE SET NULL,
  CONSTRAINT chatapp_knowledge_sources_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_knowledge_sources_created_by_fkey FOREIGN KEY (created_by) REFERENCES chatapp_users (id) ON DELETE SET NULL
);

-- table chatapp_knowledge_chunks
CREATE TABLE chatapp_knowledge_chunks (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  source_id uuid NOT NULL,
  content text NOT NULL,
  embedding vector(1536),
  metadata jsonb NOT NULL DEFAULT '{}',
  chunk_index integer NOT NULL DEFAULT 0,
  token_count integer,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_knowledge_chunks_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_knowledge_chunks_source_id_chunk_index_key UNIQUE (source_id, chunk_index),
  CONSTRAINT chatapp_knowledge_chunks_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_knowledge_chunks_source_id_fkey FOREIGN KEY (source_id) REFERENCES chatapp_knowledge_sources (id) ON DELETE CASCADE
);

-- table chatapp_customers
CREATE TABLE chatapp_customers (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  external_id text,
  email text,
  name text,
  phone text,
  avatar_url text,
  metadata jsonb NOT NULL DEFAULT '{}',
  tags text[] NOT NULL DEFAULT '{}',
  first_seen_at timestamp with time zone NOT NULL DEFAULT now(),
  last_seen_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_customers_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_customers_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_conversations
CREATE TABLE chatapp_conversations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  assigned_user_id uuid,
  channel channel_type NOT NULL DEFAULT 'widget',
  channel_conversation_id text,
  status conversation_status NOT NULL DEFAULT 'active',
  priority integer NOT NULL DEFAULT 0,
  tags text[] NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  started_at timestamp with time zone NOT NULL DEFAULT now(),
  resolved_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_conversations_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_conversations_priority_check CHECK (priority BETWEEN 0 AND 10),
  CONSTRAINT chatapp_conversations_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES chatapp_agents (id) ON DELETE RESTRICT,
  CONSTRAINT chatapp_conversations_assigned_user_id_fkey FOREIGN KEY (assigned_user_id) REFERENCES chatapp_users (id) ON DELETE SET NULL,
  CONSTRAINT chatapp_conversations_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_conversations_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES chatapp_customers (id) ON DELETE CASCADE
);

-- table chatapp_messages
CREATE TABLE chatapp_messages (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  role message_role NOT NULL,
  type message_type NOT NULL DEFAULT 'text',
  content text NOT NULL,
  attachments jsonb NOT NULL DEFAULT '[]',
  metadata jsonb NOT NULL DEFAULT '{}',
  tokens_used integer,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_messages_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_messages_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES chatapp_conversations (id) ON DELETE CASCADE
);

-- table chatapp_team_invitations
CREATE TABLE chatapp_team_invitations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  email text NOT NULL,
  role user_role NOT NULL DEFAULT 'support_agent',
  invited_by uuid,
  token text NOT NULL,
  status invitation_status NOT NULL DEFAULT 'pending',
  expires_at timestamp with time zone NOT NULL,
  accepted_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_team_invitations_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_team_invitations_token_key UNIQUE (token),
  CONSTRAINT chatapp_team_invitations_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_team_invitations_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES chatapp_users (id) ON DELETE SET NULL
);

-- table chatapp_conversation_analytics
CREATE TABLE chatapp_conversation_analytics (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  agent_id uuid,
  resolution_type resolution_type NOT NULL,
  messages_count integer NOT NULL DEFAULT 0,
  ai_messages_count integer NOT NULL DEFAULT 0,
  human_messages_count integer NOT NULL DEFAULT 0,
  response_time_avg integer,
  duration_seconds integer,
  satisfaction_score integer,
  escalated boolean NOT NULL DEFAULT false,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_conversation_analytics_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_conversation_analytics_conversation_id_key UNIQUE (conversation_id),
  CONSTRAINT chatapp_conversation_analytics_satisfaction_score_check CHECK (satisfaction_score IS NULL OR satisfaction_score BETWEEN 1 AND 5),
  CONSTRAINT chatapp_conversation_analytics_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES chatapp_agents (id) ON DELETE SET NULL,
  CONSTRAINT chatapp_conversation_analytics_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_conversation_analytics_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES chatapp_conversations (id) ON DELETE CASCADE
);

-- table chatapp_daily_analytics
CREATE TABLE chatapp_daily_analytics (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  date date NOT NULL,
  conversations_total integer NOT NULL DEFAULT 0,
  conversations_resolved integer NOT NULL DEFAULT 0,
  conversations_escalated integer NOT NULL DEFAULT 0,
  messages_total integer NOT NULL DEFAULT 0,
  avg_response_time integer,
  avg_satisfaction numeric(3,2),
  tokens_used integer NOT NULL DEFAULT 0,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_daily_analytics_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_daily_analytics_company_id_date_key UNIQUE (company_id, date),
  CONSTRAINT chatapp_daily_analytics_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_integrations
CREATE TABLE chatapp_integrations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  type integration_type NOT NULL,
  name text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}',
  status integration_status NOT NULL DEFAULT 'inactive',
  last_sync_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_integrations_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_integrations_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_webhooks
CREATE TABLE chatapp_webhooks (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  url text NOT NULL,
  events text[] NOT NULL DEFAULT '{}',
  secret text NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  last_triggered_at timestamp with time zone,
  failure_count integer NOT NULL DEFAULT 0,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_webhooks_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_webhooks_url_check CHECK (url ~ '^https?://'),
  CONSTRAINT chatapp_webhooks_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_audit_logs
CREATE TABLE chatapp_audit_logs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid,
  user_id uuid,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id uuid,
  old_values jsonb,
  new_values jsonb,
  ip_address text,
  user_agent text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_audit_logs_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_audit_logs_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_audit_logs_user_id_fkey FOREIGN KEY (user_id) REFERENCES chatapp_users (id) ON DELETE SET NULL
);

-- table chatapp_widget_settings
CREATE TABLE chatapp_widget_settings (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  agent_id uuid,
  appearance jsonb NOT NULL DEFAULT '{}',
  behavior jsonb NOT NULL DEFAULT '{}',
  launcher jsonb NOT NULL DEFAULT '{}',
  chat_window jsonb NOT NULL DEFAULT '{}',
  embed_code text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_widget_settings_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_widget_settings_company_id_key UNIQUE (company_id),
  CONSTRAINT chatapp_widget_settings_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES chatapp_agents (id) ON DELETE SET NULL,
  CONSTRAINT chatapp_widget_settings_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE
);

-- table chatapp_canned_responses
CREATE TABLE chatapp_canned_responses (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL,
  user_id uuid,
  shortcut text NOT NULL,
  title text NOT NULL,
  content text NOT NULL,
  category text,
  tags text[] NOT NULL DEFAULT '{}',
  is_team boolean NOT NULL DEFAULT false,
  usage_count integer NOT NULL DEFAULT 0,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT chatapp_canned_responses_pkey PRIMARY KEY (id),
  CONSTRAINT chatapp_canned_responses_company_id_shortcut_key UNIQUE (company_id, shortcut),
  CONSTRAINT chatapp_canned_responses_company_id_fkey FOREIGN KEY (company_id) REFERENCES chatapp_companies (id) ON DELETE CASCADE,
  CONSTRAINT chatapp_canned_responses_user_id_fkey FOREIGN KEY (user_id) REFERENCES chatapp_users (id) ON DELETE CASCADE
);

-- index chatapp_companies_subscription_plan_id_idx
CREATE INDEX chatapp_companies_subscription_plan_id_idx ON chatapp_companies (subscription_plan_id);

-- index chatapp_users_company_id_idx
CREATE INDEX chatapp_users_company_id_idx ON chatapp_users (company_id);

-- index chatapp_agents_company_id_idx
CREATE INDEX chatapp_agents_company_id_idx ON chatapp_agents (company_id);

-- index chatapp_agents_created_by_idx
CREATE INDEX chatapp_agents_created_by_idx ON chatapp_agents (created_by);

-- index chatapp_knowledge_sources_agent_id_idx
CREATE INDEX chatapp_knowledge_sources_agent_id_idx ON chatapp_knowledge_sources (agent_id);

-- index chatapp_knowledge_sources_company_id_idx
CREATE INDEX chatapp_knowledge_sources_company_id_idx ON chatapp_knowledge_sources (company_id);

-- index chatapp_knowledge_sources_created_by_idx
CREATE INDEX chatapp_knowledge_sources_created_by_idx ON chatapp_knowledge_sources (created_by);

-- index chatapp_knowledge_chunks_company_id_idx
CREATE INDEX chatapp_knowledge_chunks_company_id_idx ON chatapp_knowledge_chunks (company_id);

-- index chatapp_knowledge_chunks_embedding_idx
CREATE INDEX chatapp_knowledge_chunks_embedding_idx ON chatapp_knowledge_chunks USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 64, m = 16);

-- index chatapp_customers_company_id_email_idx
CREATE INDEX chatapp_customers_company_id_email_idx ON chatapp_customers (company_id, email);

-- index chatapp_customers_tags_idx
CREATE INDEX chatapp_customers_tags_idx ON chatapp_customers USING gin (tags);

-- index chatapp_conversations_agent_id_idx
CREATE INDEX chatapp_conversations_agent_id_idx ON chatapp_conversations (agent_id);

-- index chatapp_conversations_assigned_user_id_idx
CREATE INDEX chatapp_conversations_assigned_user_id_idx ON chatapp_conversations (assigned_user_id);

-- index chatapp_conversations_company_id_status_idx
CREATE INDEX chatapp_conversations_company_id_status_idx ON chatapp_conversations (company_id, status);

-- index chatapp_conversations_customer_id_idx
CREATE INDEX chatapp_conversations_customer_id_idx ON chatapp_conversations (customer_id);

-- index chatapp_conversations_tags_idx
CREATE INDEX chatapp_conversations_tags_idx ON chatapp_conversations USING gin (tags);

-- index chatapp_messages_company_id_idx
CREATE INDEX chatapp_messages_company_id_idx ON chatapp_messages (company_id);

-- index chatapp_messages_conversation_id_created_at_idx
CREATE INDEX chatapp_messages_conversation_id_created_at_idx ON chatapp_messages (conversation_id, created_at);

-- index chatapp_team_invitations_company_id_idx
CREATE INDEX chatapp_team_invitations_company_id_idx ON chatapp_team_invitations (company_id);

-- index chatapp_team_invitations_invited_by_idx
CREATE INDEX chatapp_team_invitations_invited_by_idx ON chatapp_team_invitations (invited_by);

-- index chatapp_conversation_analytics_agent_id_idx
CREATE INDEX chatapp_conversation_analytics_agent_id_idx ON chatapp_conversation_analytics (agent_id);

-- index chatapp_conversation_analytics_company_id_idx
CREATE INDEX chatapp_conversation_analytics_company_id_idx ON chatapp_conversation_analytics (company_id);

-- index chatapp_integrations_company_id_idx
CREATE INDEX chatapp_integrations_company_id_idx ON chatapp_integrations (company_id);

-- index chatapp_webhooks_company_id_idx
CREATE INDEX chatapp_webhooks_company_id_idx ON chatapp_webhooks (company_id);

-- index chatapp_audit_logs_company_id_created_at_idx
CREATE INDEX chatapp_audit_logs_company_id_created_at_idx ON chatapp_audit_logs (company_id, created_at);

-- index chatapp_audit_logs_user_id_idx
CREATE INDEX chatapp_audit_logs_user_id_idx ON chatapp_audit_logs (user_id);

-- index chatapp_widget_settings_agent_id_idx
CREATE INDEX chatapp_widget_settings_agent_id_idx ON chatapp_widget_settings (agent_id);

-- index chatapp_canned_responses_user_id_idx
CREATE INDEX chatapp_canned_responses_user_id_idx ON chatapp_canned_responses (user_id);

-- comment on table chatapp_subscription_plans
COMMENT ON TABLE chatapp_subscription_plans IS 'Plans a company can subscribe to (managed by master admins).';

-- comment on table chatapp_companies
COMMENT ON TABLE chatapp_companies IS 'A customer of the SaaS; the tenant every other row belongs to.';

-- comment on table chatapp_users
COMMENT ON TABLE chatapp_users IS 'People who sign in; master admins belong to no company.';

-- comment on table chatapp_agents
COMMENT ON TABLE chatapp_agents IS 'An AI agent a company configures.';

-- comment on table chatapp_agent_packages
COMMENT ON TABLE chatapp_agent_packages IS 'Agent templates offered by master admins (Support, Sales, FAQ, …).';

-- comment on table chatapp_knowledge_sources
COMMENT ON TABLE chatapp_knowledge_sources IS 'A file, URL or text a company feeds to its agents.';

-- comment on table chatapp_knowledge_chunks
COMMENT ON TABLE chatapp_knowledge_chunks IS 'A chunk of a knowledge source with its embedding.';

-- comment on table chatapp_customers
COMMENT ON TABLE chatapp_customers IS 'End customers who talk to a company''s agents.';

-- comment on table chatapp_conversations
COMMENT ON TABLE chatapp_conversations IS 'One conversation between a customer and an agent (or a human).';

-- comment on table chatapp_messages
COMMENT ON TABLE chatapp_messages IS 'A message in a conversation.';

-- comment on table chatapp_team_invitations
COMMENT ON TABLE chatapp_team_invitations IS 'An invitation for someone to join a company.';

-- comment on table chatapp_conversation_analytics
COMMENT ON TABLE chatapp_conversation_analytics IS 'Per-conversation metrics, written when a conversation ends.';

-- comment on table chatapp_daily_analytics
COMMENT ON TABLE chatapp_daily_analytics IS 'Per-company daily roll-up.';

-- comment on table chatapp_integrations
COMMENT ON TABLE chatapp_integrations IS 'A connection to a third-party tool.';

-- comment on column chatapp_integrations.config
COMMENT ON COLUMN chatapp_integrations.config IS 'Encrypted by the application before it is stored.';

-- comment on table chatapp_webhooks
COMMENT ON TABLE chatapp_webhooks IS 'Outgoing webhooks of a company.';

-- comment on table chatapp_audit_logs
COMMENT ON TABLE chatapp_audit_logs IS 'Immutable record of who did what (no updated_at).';

-- comment on table chatapp_widget_settings
COMMENT ON TABLE chatapp_widget_settings IS 'How a company''s chat widget looks and behaves (one per company).';

-- comment on table chatapp_canned_responses
COMMENT ON TABLE chatapp_canned_responses IS 'Saved replies; personal when user_id is set, shared when is_team.';

-- function chatapp_is_admin
CREATE OR REPLACE FUNCTION chatapp_is_admin()
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $fn$
  SELECT EXISTS (
    SELECT 1 FROM public.chatapp_users
    WHERE id = NULLIF(current_setting('app.user_id', true), '')::uuid
      AND (role = 'master_admin')
  );
$fn$;

-- comment on function chatapp_is_admin
COMMENT ON FUNCTION chatapp_is_admin() IS 'True when the current user is an admin (generated for the admin_full_access preset).';

-- function chatapp_set_updated_at
CREATE OR REPLACE FUNCTION chatapp_set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$fn$;

-- comment on function chatapp_set_updated_at
COMMENT ON FUNCTION chatapp_set_updated_at() IS 'Trigger function: keeps updated_at at the time of the last update.';

-- trigger chatapp_subscription_plans_set_updated_at on chatapp_subscription_plans
CREATE TRIGGER chatapp_subscription_plans_set_updated_at
BEFORE UPDATE ON chatapp_subscription_plans
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_companies_set_updated_at on chatapp_companies
CREATE TRIGGER chatapp_companies_set_updated_at
BEFORE UPDATE ON chatapp_companies
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_users_set_updated_at on chatapp_users
CREATE TRIGGER chatapp_users_set_updated_at
BEFORE UPDATE ON chatapp_users
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_agents_set_updated_at on chatapp_agents
CREATE TRIGGER chatapp_agents_set_updated_at
BEFORE UPDATE ON chatapp_agents
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_agent_packages_set_updated_at on chatapp_agent_packages
CREATE TRIGGER chatapp_agent_packages_set_updated_at
BEFORE UPDATE ON chatapp_agent_packages
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_knowledge_sources_set_updated_at on chatapp_knowledge_sources
CREATE TRIGGER chatapp_knowledge_sources_set_updated_at
BEFORE UPDATE ON chatapp_knowledge_sources
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_knowledge_chunks_set_updated_at on chatapp_knowledge_chunks
CREATE TRIGGER chatapp_knowledge_chunks_set_updated_at
BEFORE UPDATE ON chatapp_knowledge_chunks
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_customers_set_updated_at on chatapp_customers
CREATE TRIGGER chatapp_customers_set_updated_at
BEFORE UPDATE ON chatapp_customers
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_conversations_set_updated_at on chatapp_conversations
CREATE TRIGGER chatapp_conversations_set_updated_at
BEFORE UPDATE ON chatapp_conversations
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_messages_set_updated_at on chatapp_messages
CREATE TRIGGER chatapp_messages_set_updated_at
BEFORE UPDATE ON chatapp_messages
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_team_invitations_set_updated_at on chatapp_team_invitations
CREATE TRIGGER chatapp_team_invitations_set_updated_at
BEFORE UPDATE ON chatapp_team_invitations
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_conversation_analytics_set_updated_at on chatapp_conversation_analytics
CREATE TRIGGER chatapp_conversation_analytics_set_updated_at
BEFORE UPDATE ON chatapp_conversation_analytics
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_daily_analytics_set_updated_at on chatapp_daily_analytics
CREATE TRIGGER chatapp_daily_analytics_set_updated_at
BEFORE UPDATE ON chatapp_daily_analytics
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_integrations_set_updated_at on chatapp_integrations
CREATE TRIGGER chatapp_integrations_set_updated_at
BEFORE UPDATE ON chatapp_integrations
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_webhooks_set_updated_at on chatapp_webhooks
CREATE TRIGGER chatapp_webhooks_set_updated_at
BEFORE UPDATE ON chatapp_webhooks
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_widget_settings_set_updated_at on chatapp_widget_settings
CREATE TRIGGER chatapp_widget_settings_set_updated_at
BEFORE UPDATE ON chatapp_widget_settings
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- trigger chatapp_canned_responses_set_updated_at on chatapp_canned_responses
CREATE TRIGGER chatapp_canned_responses_set_updated_at
BEFORE UPDATE ON chatapp_canned_responses
FOR EACH ROW
EXECUTE FUNCTION public.chatapp_set_updated_at();

-- row level security on chatapp_subscription_plans
ALTER TABLE chatapp_subscription_plans ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_subscription_plans
ALTER TABLE chatapp_subscription_plans FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_companies
ALTER TABLE chatapp_companies ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_companies
ALTER TABLE chatapp_companies FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_users
ALTER TABLE chatapp_users ENABLE ROW LEVEL SECURITY;

-- row level security on chatapp_agents
ALTER TABLE chatapp_agents ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_agents
ALTER TABLE chatapp_agents FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_agent_packages
ALTER TABLE chatapp_agent_packages ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_agent_packages
ALTER TABLE chatapp_agent_packages FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_knowledge_sources
ALTER TABLE chatapp_knowledge_sources ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_knowledge_sources
ALTER TABLE chatapp_knowledge_sources FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_knowledge_chunks
ALTER TABLE chatapp_knowledge_chunks ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_knowledge_chunks
ALTER TABLE chatapp_knowledge_chunks FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_customers
ALTER TABLE chatapp_customers ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_customers
ALTER TABLE chatapp_customers FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_conversations
ALTER TABLE chatapp_conversations ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_conversations
ALTER TABLE chatapp_conversations FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_messages
ALTER TABLE chatapp_messages ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_messages
ALTER TABLE chatapp_messages FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_team_invitations
ALTER TABLE chatapp_team_invitations ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_team_invitations
ALTER TABLE chatapp_team_invitations FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_conversation_analytics
ALTER TABLE chatapp_conversation_analytics ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_conversation_analytics
ALTER TABLE chatapp_conversation_analytics FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_daily_analytics
ALTER TABLE chatapp_daily_analytics ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_daily_analytics
ALTER TABLE chatapp_daily_analytics FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_integrations
ALTER TABLE chatapp_integrations ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_integrations
ALTER TABLE chatapp_integrations FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_webhooks
ALTER TABLE chatapp_webhooks ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_webhooks
ALTER TABLE chatapp_webhooks FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_audit_logs
ALTER TABLE chatapp_audit_logs ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_audit_logs
ALTER TABLE chatapp_audit_logs FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_widget_settings
ALTER TABLE chatapp_widget_settings ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_widget_settings
ALTER TABLE chatapp_widget_settings FORCE ROW LEVEL SECURITY;

-- row level security on chatapp_canned_responses
ALTER TABLE chatapp_canned_responses ENABLE ROW LEVEL SECURITY;

-- force row level security on chatapp_canned_responses
ALTER TABLE chatapp_canned_responses FORCE ROW LEVEL SECURITY;

-- policy chatapp_subscription_plans_admin_all on chatapp_subscription_plans
CREATE POLICY chatapp_subscription_plans_admin_all ON chatapp_subscription_plans
  FOR ALL
  TO public
  USING ((SELECT public.chatapp_is_admin()))
  WITH CHECK ((SELECT public.chatapp_is_admin()));

-- policy chatapp_subscription_plans_public_read on chatapp_subscription_plans
CREATE POLICY chatapp_subscription_plans_public_read ON chatapp_subscription_plans
  FOR SELECT
  TO public
  USING (is_active);

-- policy chatapp_companies_admin_all on chatapp_companies
CREATE POLICY chatapp_companies_admin_all ON chatapp_companies
  FOR ALL
  TO public
  USING ((SELECT public.chatapp_is_admin()))
  WITH CHECK ((SELECT public.chatapp_is_admin()));

-- policy chatapp_companies_tenant_isolation on chatapp_companies
CREATE POLICY chatapp_companies_tenant_isolation ON chatapp_companies
  FOR ALL
  TO public
  USING (id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_users_admin_all on chatapp_users
CREATE POLICY chatapp_users_admin_all ON chatapp_users
  FOR ALL
  TO public
  USING ((SELECT public.chatapp_is_admin()))
  WITH CHECK ((SELECT public.chatapp_is_admin()));

-- policy chatapp_users_owner_select on chatapp_users
CREATE POLICY chatapp_users_owner_select ON chatapp_users
  FOR SELECT
  TO public
  USING (id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid));

-- policy chatapp_users_tenant_isolation on chatapp_users
CREATE POLICY chatapp_users_tenant_isolation ON chatapp_users
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_agents_tenant_isolation on chatapp_agents
CREATE POLICY chatapp_agents_tenant_isolation ON chatapp_agents
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_agent_packages_admin_all on chatapp_agent_packages
CREATE POLICY chatapp_agent_packages_admin_all ON chatapp_agent_packages
  FOR ALL
  TO public
  USING ((SELECT public.chatapp_is_admin()))
  WITH CHECK ((SELECT public.chatapp_is_admin()));

-- policy chatapp_agent_packages_public_read on chatapp_agent_packages
CREATE POLICY chatapp_agent_packages_public_read ON chatapp_agent_packages
  FOR SELECT
  TO public
  USING (is_active);

-- policy chatapp_knowledge_sources_tenant_isolation on chatapp_knowledge_sources
CREATE POLICY chatapp_knowledge_sources_tenant_isolation ON chatapp_knowledge_sources
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_knowledge_chunks_tenant_isolation on chatapp_knowledge_chunks
CREATE POLICY chatapp_knowledge_chunks_tenant_isolation ON chatapp_knowledge_chunks
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_customers_tenant_isolation on chatapp_customers
CREATE POLICY chatapp_customers_tenant_isolation ON chatapp_customers
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_conversations_tenant_isolation on chatapp_conversations
CREATE POLICY chatapp_conversations_tenant_isolation ON chatapp_conversations
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_messages_tenant_isolation on chatapp_messages
CREATE POLICY chatapp_messages_tenant_isolation ON chatapp_messages
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_team_invitations_tenant_isolation on chatapp_team_invitations
CREATE POLICY chatapp_team_invitations_tenant_isolation ON chatapp_team_invitations
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_conversation_analytics_tenant_isolation on chatapp_conversation_analytics
CREATE POLICY chatapp_conversation_analytics_tenant_isolation ON chatapp_conversation_analytics
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_daily_analytics_tenant_isolation on chatapp_daily_analytics
CREATE POLICY chatapp_daily_analytics_tenant_isolation ON chatapp_daily_analytics
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_integrations_tenant_isolation on chatapp_integrations
CREATE POLICY chatapp_integrations_tenant_isolation ON chatapp_integrations
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_webhooks_tenant_isolation on chatapp_webhooks
CREATE POLICY chatapp_webhooks_tenant_isolation ON chatapp_webhooks
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_audit_logs_admin_all on chatapp_audit_logs
CREATE POLICY chatapp_audit_logs_admin_all ON chatapp_audit_logs
  FOR ALL
  TO public
  USING ((SELECT public.chatapp_is_admin()))
  WITH CHECK ((SELECT public.chatapp_is_admin()));

-- policy chatapp_audit_logs_tenant_isolation on chatapp_audit_logs
CREATE POLICY chatapp_audit_logs_tenant_isolation ON chatapp_audit_logs
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_widget_settings_tenant_isolation on chatapp_widget_settings
CREATE POLICY chatapp_widget_settings_tenant_isolation ON chatapp_widget_settings
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

-- policy chatapp_canned_responses_tenant_isolation on chatapp_canned_responses
CREATE POLICY chatapp_canned_responses_tenant_isolation ON chatapp_canned_responses
  FOR ALL
  TO public
  USING (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid))
  WITH CHECK (company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid));

COMMIT;
