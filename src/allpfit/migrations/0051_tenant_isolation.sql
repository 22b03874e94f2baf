-- Tenant isolation (issue "Many businesses in one install"): every table holding a tenant's
-- data carries tenant_id, leading its primary key, unique constraints and indexes; foreign
-- keys between them are composite; row-level security lets a session see only the tenant it
-- names in `allpfit.tenant_id`. See docs/architecture.md.
--
-- Existing rows belong to tenant 1 (the default tenant of migration 0050): the column is
-- added with the constant default 1 (no table rewrite, nothing re-analysed), then its default
-- becomes the session's tenant, so code inserting through a tenant connection
-- (allpfit.db.tenant_connection) never names tenant_id. A session with no tenant set (the
-- owner's own connection: migrations, tests, cross-tenant summaries) still inserts into
-- tenant 1, as before this migration.
--
-- dashboard_login_throttle stays global: it counts failed logins per account and client
-- address, not any tenant's data.

-- The view is rebuilt at the end with tenant_id (and the caller's rights).
DROP VIEW lead_sales;

-- Foreign keys first (they hang on the primary keys being replaced).
ALTER TABLE conversas_crm_match_real
    DROP CONSTRAINT conversas_crm_match_real_conversation_id_fkey,
    DROP CONSTRAINT conversas_crm_match_real_crm_customer_id_fkey,
    DROP CONSTRAINT conversas_crm_match_real_pkey;
ALTER TABLE conversas_analytics_ai
    DROP CONSTRAINT conversas_analytics_ai_conversation_id_fkey,
    DROP CONSTRAINT conversas_analytics_ai_pkey;
ALTER TABLE analysis_failures
    DROP CONSTRAINT analysis_failures_conversation_id_fkey,
    DROP CONSTRAINT analysis_failures_run_id_fkey,
    DROP CONSTRAINT analysis_failures_pkey;
ALTER TABLE conversas_analytics DROP CONSTRAINT conversas_analytics_pkey;
ALTER TABLE crm_customers
    DROP CONSTRAINT crm_customers_pkey,
    DROP CONSTRAINT crm_customers_source_external_id_key;
ALTER TABLE analysis_runs DROP CONSTRAINT analysis_runs_pkey;
ALTER TABLE crm_sync_runs DROP CONSTRAINT crm_sync_runs_pkey;
ALTER TABLE etl_control DROP CONSTRAINT etl_control_pkey;
ALTER TABLE source_identity DROP CONSTRAINT source_identity_pkey;

-- The column, existing rows -> tenant 1, then the session's tenant as the default.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['conversas_analytics', 'conversas_analytics_ai', 'analysis_failures',
        'analysis_runs', 'conversas_crm_match_real', 'crm_customers', 'crm_sync_runs',
        'etl_control', 'source_identity']
    LOOP
        EXECUTE format(
            'ALTER TABLE %I ADD COLUMN tenant_id integer NOT NULL DEFAULT 1 '
            'CONSTRAINT %I REFERENCES tenants (id)', t, t || '_tenant_id_fkey');
        EXECUTE format(
            'ALTER TABLE %I ALTER COLUMN tenant_id SET DEFAULT '
            'COALESCE(NULLIF(current_setting(''allpfit.tenant_id'', true), '''')::integer, 1)', t);
        EXECUTE format('COMMENT ON COLUMN %I.tenant_id IS %L', t,
            'The tenant (business) owning the row; row-level security (migration 0051).');
    END LOOP;
END $$;

-- Keys, led by tenant_id.
ALTER TABLE conversas_analytics ADD PRIMARY KEY (tenant_id, conversation_id);
ALTER TABLE crm_customers
    ADD PRIMARY KEY (tenant_id, id),
    ADD CONSTRAINT crm_customers_source_external_id_key UNIQUE (tenant_id, source, external_id);
ALTER TABLE analysis_runs ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE crm_sync_runs ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE etl_control ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE source_identity ADD PRIMARY KEY (tenant_id, id);  -- one row per tenant (id = 1)
ALTER TABLE conversas_analytics_ai
    ADD PRIMARY KEY (tenant_id, conversation_id),
    ADD CONSTRAINT conversas_analytics_ai_conversation_id_fkey
        FOREIGN KEY (tenant_id, conversation_id)
        REFERENCES conversas_analytics (tenant_id, conversation_id);
-- An analysis run is never deleted; the composite key cannot SET NULL one column on every
-- supported PostgreSQL, so it restricts like every other key since migration 0040.
ALTER TABLE analysis_failures
    ADD PRIMARY KEY (tenant_id, conversation_id),
    ADD CONSTRAINT analysis_failures_conversation_id_fkey
        FOREIGN KEY (tenant_id, conversation_id)
        REFERENCES conversas_analytics (tenant_id, conversation_id),
    ADD CONSTRAINT analysis_failures_run_id_fkey
        FOREIGN KEY (tenant_id, run_id) REFERENCES analysis_runs (tenant_id, id);
ALTER TABLE conversas_crm_match_real
    ADD PRIMARY KEY (tenant_id, conversation_id, crm_customer_id),
    ADD CONSTRAINT conversas_crm_match_real_conversation_id_fkey
        FOREIGN KEY (tenant_id, conversation_id)
        REFERENCES conversas_analytics (tenant_id, conversation_id),
    ADD CONSTRAINT conversas_crm_match_real_crm_customer_id_fkey
        FOREIGN KEY (tenant_id, crm_customer_id) REFERENCES crm_customers (tenant_id, id);

-- Indexes, led by tenant_id (same columns after it, same partial predicates).
DROP INDEX conversas_analytics_date_idx;
DROP INDEX conversas_analytics_contact_idx;
DROP INDEX conversas_analytics_phone_idx;
DROP INDEX conversas_analytics_updated_idx;
DROP INDEX conversas_analytics_deleted_idx;
DROP INDEX conversas_analytics_dash_leads_idx;
DROP INDEX conversas_analytics_dash_activity_idx;
DROP INDEX conversas_analytics_dash_recent_idx;
DROP INDEX conversas_analytics_ai_prob_idx;
DROP INDEX conversas_analytics_ai_visit_date_idx;
DROP INDEX conversas_analytics_ai_dash_idx;
DROP INDEX etl_control_success_idx;
DROP INDEX crm_customers_phone_idx;
DROP INDEX crm_customers_signup_date_idx;
DROP INDEX conversas_crm_match_real_signup_idx;

CREATE INDEX conversas_analytics_date_idx ON conversas_analytics (tenant_id, conversation_date);
CREATE INDEX conversas_analytics_contact_idx ON conversas_analytics (tenant_id, contact_id);
CREATE INDEX conversas_analytics_phone_idx ON conversas_analytics (tenant_id, contact_phone);
CREATE INDEX conversas_analytics_updated_idx ON conversas_analytics (tenant_id, etl_updated_at);
CREATE INDEX conversas_analytics_deleted_idx ON conversas_analytics
    (tenant_id, deleted_in_source_at) WHERE deleted_in_source_at IS NOT NULL;
CREATE INDEX conversas_analytics_dash_leads_idx ON conversas_analytics (tenant_id, conversation_date)
    INCLUDE (contact_id, conversation_id, is_bot_only, has_human_intervention, is_reopened,
             period_of_day, last_activity_date)
    WHERE is_lead;
CREATE INDEX conversas_analytics_dash_activity_idx ON conversas_analytics
    (tenant_id, last_activity_date) WHERE is_lead;
CREATE INDEX conversas_analytics_dash_recent_idx ON conversas_analytics
    (tenant_id, (COALESCE(last_message_at, last_activity_at, conversation_created_at)) DESC,
     conversation_id DESC)
    WHERE is_lead;
CREATE INDEX conversas_analytics_ai_prob_idx ON conversas_analytics_ai
    (tenant_id, probabilidade_conversao);
CREATE INDEX conversas_analytics_ai_visit_date_idx ON conversas_analytics_ai
    (tenant_id, data_visita) WHERE visita_agendada;
CREATE INDEX conversas_analytics_ai_dash_idx ON conversas_analytics_ai (tenant_id, conversation_id)
    INCLUDE (probabilidade_conversao, visita_agendada);
CREATE INDEX etl_control_success_idx ON etl_control (tenant_id, id DESC) WHERE status = 'success';
CREATE INDEX crm_customers_phone_idx ON crm_customers (tenant_id, phone_normalized);
CREATE INDEX crm_customers_signup_date_idx ON crm_customers (tenant_id, signup_date);
CREATE INDEX conversas_crm_match_real_signup_idx ON conversas_crm_match_real
    (tenant_id, crm_signup_date);
-- Looking a match up from its customer (the composite foreign key's referencing side).
CREATE INDEX conversas_crm_match_real_customer_idx ON conversas_crm_match_real
    (tenant_id, crm_customer_id);
CREATE INDEX analysis_failures_run_idx ON analysis_failures (tenant_id, run_id);

-- Row-level security: a role that is not the owner sees and writes only the rows of the tenant
-- its session names; with no tenant set, nothing. The owner (migrations, cross-tenant
-- summaries) bypasses it and names tenant_id explicitly.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['conversas_analytics', 'conversas_analytics_ai', 'analysis_failures',
        'analysis_runs', 'conversas_crm_match_real', 'crm_customers', 'crm_sync_runs',
        'etl_control', 'source_identity']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I FOR ALL '
            'USING (tenant_id = NULLIF(current_setting(''allpfit.tenant_id'', true), '''')::integer) '
            'WITH CHECK (tenant_id = NULLIF(current_setting(''allpfit.tenant_id'', true), '''')::integer)',
            t);
    END LOOP;
END $$;

-- A tenant session sees its own tenant row only (its name, time zone; secrets are references).
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants FOR SELECT
    USING (id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer);

-- The one definition of a sale (migration 0042), per tenant. It runs with the caller's rights
-- (security_invoker, PostgreSQL 15+), so the policies above apply to whoever queries it; a
-- plain view would read the tables as its owner and bypass them.
CREATE VIEW lead_sales AS
SELECT DISTINCT ON (m.tenant_id, m.crm_customer_id)
       m.tenant_id,
       m.crm_customer_id,
       m.conversation_id,
       ca.contact_id,
       m.conversation_date,
       m.crm_signup_date AS signup_date,
       m.days_to_conversion
FROM conversas_crm_match_real m
JOIN conversas_analytics ca
  ON ca.tenant_id = m.tenant_id AND ca.conversation_id = m.conversation_id
WHERE ca.is_lead
ORDER BY m.tenant_id, m.crm_customer_id, m.conversation_date, m.conversation_id;
COMMENT ON VIEW lead_sales IS
    'One row per traffic sale (CRM customer matched to a lead before signup), see 0042 and 0051.';
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 150000 THEN
        EXECUTE 'ALTER VIEW lead_sales SET (security_invoker = true)';
    ELSE
        RAISE NOTICE 'PostgreSQL < 15: lead_sales cannot run with the caller''s rights; '
            'tenant isolation of the dashboard needs PostgreSQL 15 or later.';
    END IF;
END $$;

-- The roles the jobs (allpfit_app) and the dashboard (allpfit_reader) work as. NOLOGIN: the
-- configured user takes them with SET ROLE (allpfit.db.tenant_connection), so it must be a
-- member. Creating roles needs CREATEROLE (or a superuser); without it this part is skipped
-- with a NOTICE and a single-tenant install works as before (docs/architecture.md says what
-- to run as a superuser: isolation needs the roles).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['allpfit_app', 'allpfit_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOBYPASSRLS', r);
            EXCEPTION
                WHEN insufficient_privilege THEN
                    RAISE NOTICE 'allpfit: no right to create role % (see docs/architecture.md)', r;
                WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- created meanwhile by a migration of another database
            END;
        END IF;
    END LOOP;
END $$;

-- The grants (tables to roles, roles to the configured user) are applied by
-- allpfit.db.grant_roles after every upgrade, so roles an administrator creates later get
-- them too, and a table added by a later migration is covered by the same one definition.
