-- gen migration 20261122000000_init (down)
-- Written by `gen migrate new` from /tmp/v1m/chatapp.yaml; never edit it once applied (checksums: gen.sum).
SET lock_timeout = '5s';

BEGIN;

-- drop table chatapp_agent_packages
DROP TABLE chatapp_agent_packages;

-- drop table chatapp_knowledge_chunks
DROP TABLE chatapp_knowledge_chunks;

-- drop table chatapp_knowledge_sources
DROP TABLE chatapp_knowledge_sources;

-- drop table chatapp_messages
DROP TABLE chatapp_messages;

-- drop table chatapp_team_invitations
DROP TABLE chatapp_team_invitations;

-- drop table chatapp_conversation_analytics
DROP TABLE chatapp_conversation_analytics;

-- drop table chatapp_conversations
DROP TABLE chatapp_conversations;

-- drop table chatapp_customers
DROP TABLE chatapp_customers;

-- drop table chatapp_daily_analytics
DROP TABLE chatapp_daily_analytics;

-- drop table chatapp_integrations
DROP TABLE chatapp_integrations;

-- drop table chatapp_webhooks
DROP TABLE chatapp_webhooks;

-- drop table chatapp_audit_logs
DROP TABLE chatapp_audit_logs;

-- drop table chatapp_widget_settings
DROP TABLE chatapp_widget_settings;

-- drop table chatapp_agents
DROP TABLE chatapp_agents;

-- drop table chatapp_canned_responses
DROP TABLE chatapp_canned_responses;

-- drop table chatapp_users
DROP TABLE chatapp_users;

-- drop table chatapp_companies
DROP TABLE chatapp_companies;

-- drop table chatapp_subscription_plans
DROP TABLE chatapp_subscription_plans;

-- drop function chatapp_set_updated_at
DROP FUNCTION chatapp_set_updated_at();

-- drop function chatapp_is_admin
DROP FUNCTION chatapp_is_admin();

-- drop enum integration_status
DROP TYPE integration_status;

-- drop enum integration_type
DROP TYPE integration_type;

-- drop enum resolution_type
DROP TYPE resolution_type;

-- drop enum invitation_status
DROP TYPE invitation_status;

-- drop enum knowledge_source_status
DROP TYPE knowledge_source_status;

-- drop enum knowledge_source_type
DROP TYPE knowledge_source_type;

-- drop enum subscription_status
DROP TYPE subscription_status;

-- drop enum billing_cycle
DROP TYPE billing_cycle;

-- drop enum plan_type
DROP TYPE plan_type;

-- drop enum channel_type
DROP TYPE channel_type;

-- drop enum message_type
DROP TYPE message_type;

-- drop enum message_role
DROP TYPE message_role;

-- drop enum conversation_status
DROP TYPE conversation_status;

-- drop enum agent_type
DROP TYPE agent_type;

-- drop enum agent_status
DROP TYPE agent_status;

-- drop enum user_status
DROP TYPE user_status;

-- drop enum user_role
DROP TYPE user_role;

-- drop extension vector
DROP EXTENSION IF EXISTS vector;

COMMIT;
