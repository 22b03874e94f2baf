-- Chatwoot's Application API as a source (issue "Live data and Chatwoot Cloud").
--
-- A tenant reads Chatwoot either from its PostgreSQL database (source_kind 'database', the
-- only way before this migration: SOURCE_DATABASE_URL) or through its API ('api': Chatwoot
-- Cloud, or a host that will not open the database). An API tenant names the installation's
-- base URL and a reference to its access token (`env:NAME` or `fernet:...`, like
-- evo_token_ref: never the token itself). Its account is tenants.account_id, as for a
-- database tenant.
--
-- What the API returns is copied into a mirror, one schema per tenant in this database
-- (chatwoot_mirror_t<tenant id>, Chatwoot's own tables, created by allpfit.source.api_mirror),
-- and the ordinary sync reads the mirror as its source. The mirror schemas are owned by the
-- configured user and granted to neither allpfit_app nor allpfit_reader, so no tenant session
-- (jobs, dashboard) can read any of them: they are the sync's input, not tenant-visible data.
ALTER TABLE tenants
    ADD COLUMN source_kind text NOT NULL DEFAULT 'database'
        CONSTRAINT tenants_source_kind_check CHECK (source_kind IN ('database', 'api')),
    ADD COLUMN chatwoot_url text
        CONSTRAINT tenants_chatwoot_url_check CHECK (chatwoot_url ~ '^https?://[^[:space:]]+$'),
    ADD COLUMN chatwoot_token_ref text
        CONSTRAINT tenants_chatwoot_token_ref_check CHECK (chatwoot_token_ref ~ '^(env|fernet):.+'),
    ADD CONSTRAINT tenants_api_source_check CHECK (
        source_kind = 'database'
        OR (chatwoot_url IS NOT NULL AND chatwoot_token_ref IS NOT NULL AND account_id IS NOT NULL)
    );

-- One account of one installation is served by at most one enabled tenant. Account ids are
-- per installation, so two API tenants of two different Chatwoots may both read account 1.
DROP INDEX tenants_account_idx;
CREATE UNIQUE INDEX tenants_account_idx ON tenants (account_id, COALESCE(chatwoot_url, ''))
    WHERE enabled AND account_id IS NOT NULL;

-- Where the API backfill of a tenant stands, committed with each page of the mirror, so a
-- backfill killed at any moment resumes at the page after the last one committed instead of
-- starting over. Conversations are listed oldest first (sort_on_created_at), an order in which
-- new conversations only add pages at the end, so a finished page stays finished.
--   backfill_page        the last listing page whose conversations (with their messages) are
--                        in the mirror; 0 = none yet
--   conversations_done   how many conversations those pages held (for the progress bar)
--   backfill_started_at  when the current backfill began (NULL = never)
--   backfill_done_at     when it finished (NULL = not finished: the next run resumes it)
--   refresh_started_at   when the last successful refresh (backfill or incremental) started:
--                        the next incremental refresh asks for conversations active since
--                        then minus SYNC_OVERLAP_MINUTES
CREATE TABLE api_sync_state (
    tenant_id integer NOT NULL
        DEFAULT COALESCE(NULLIF(current_setting('allpfit.tenant_id', true), '')::integer, 1)
        CONSTRAINT api_sync_state_tenant_id_fkey REFERENCES tenants (id),
    backfill_page integer NOT NULL DEFAULT 0 CHECK (backfill_page >= 0),
    conversations_done integer NOT NULL DEFAULT 0 CHECK (conversations_done >= 0),
    backfill_started_at timestamptz,
    backfill_done_at timestamptz,
    refresh_started_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE api_sync_state IS
    'Progress of the Chatwoot API backfill and refreshes of a tenant (allpfit.source.api_mirror).';
COMMENT ON COLUMN api_sync_state.tenant_id IS
    'The tenant (business) owning the row; row-level security (migration 0051).';

ALTER TABLE api_sync_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_sync_state FOR ALL
    USING (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer)
    WITH CHECK (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer);
