-- Tenants (issue "Many businesses in one install"): a tenant is one business served from this
-- install. It reads one Chatwoot account (optionally only some of its inboxes) and owns every
-- row of the analytics tables that carry its tenant_id (migration 0051 adds them, with
-- row-level security).
--
-- Tenant 1 is the zero-configuration default: with no tenant defined it covers
-- SOURCE_ACCOUNT_ID / SOURCE_INBOX_IDS from the settings (account_id NULL = every account), and
-- every row that existed before this migration belongs to it.
--
-- Secrets are never stored in clear: evo_token_ref / llm_api_key_ref hold either `env:NAME`
-- (read from the environment at run time) or `fernet:<token>` (encrypted with
-- TENANT_SECRET_KEY), see allpfit/tenants.py.
CREATE TABLE tenants (
    id serial PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    account_id integer CHECK (account_id > 0),
    inbox_ids integer[] NOT NULL DEFAULT '{}',
    timezone text,
    crm_source text NOT NULL DEFAULT 'spreadsheet' CHECK (crm_source IN ('evo', 'spreadsheet')),
    evo_dns text,
    evo_token_ref text CHECK (evo_token_ref ~ '^(env|fernet):.+'),
    analysis_provider text CHECK (analysis_provider IN ('auto', 'openai', 'rules')),
    analysis_model text,
    llm_api_key_ref text CHECK (llm_api_key_ref ~ '^(env|fernet):.+'),
    business_description text NOT NULL DEFAULT '' CHECK (length(business_description) <= 4000),
    llm_monthly_budget numeric(12, 2) CHECK (llm_monthly_budget >= 0),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One account is served by at most one enabled tenant: two tenants reading the same account
-- would each hold a copy of the same people's data.
CREATE UNIQUE INDEX tenants_account_idx ON tenants (account_id) WHERE enabled AND account_id IS NOT NULL;

INSERT INTO tenants (id, slug, name) VALUES (1, 'default', 'Default');
SELECT setval(pg_get_serial_sequence('tenants', 'id'), 1);
