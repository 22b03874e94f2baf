-- Hardening (issue "never lose paid work"): the sync's guards and the one run ledger.
--
-- A run refused before writing anything (MassRemovalRefused: it would mark too many
-- conversations deleted, found none at all, or met a different Chatwoot installation) is
-- recorded with status 'refused'. The three run tables share one ledger (src/allpfit/runs.py),
-- so each accepts the same statuses.
ALTER TABLE etl_control
    DROP CONSTRAINT etl_control_status_check,
    ADD CONSTRAINT etl_control_status_check
        CHECK (status IN ('running', 'success', 'failed', 'interrupted', 'refused'));
ALTER TABLE analysis_runs
    DROP CONSTRAINT analysis_runs_status_check,
    ADD CONSTRAINT analysis_runs_status_check
        CHECK (status IN ('running', 'success', 'failed', 'interrupted', 'refused'));
ALTER TABLE crm_sync_runs
    DROP CONSTRAINT crm_sync_runs_status_check,
    ADD CONSTRAINT crm_sync_runs_status_check
        CHECK (status IN ('running', 'success', 'failed', 'interrupted', 'refused'));

-- Conversations marked deleted earlier that Chatwoot lists again (their mark is cleared).
ALTER TABLE etl_control ADD COLUMN rows_restored integer NOT NULL DEFAULT 0;

-- The Chatwoot installation the table was first synced from (one row). A later run that sees
-- another installation refuses, unless --allow-mass-delete re-records it.
CREATE TABLE source_identity (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    account_ids integer[] NOT NULL,
    first_conversation_id integer,
    first_conversation_created_at timestamptz,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by_run bigint
);

-- `allpfit etl purge-deleted` finds marked rows by age.
CREATE INDEX conversas_analytics_deleted_idx ON conversas_analytics (deleted_in_source_at)
    WHERE deleted_in_source_at IS NOT NULL;
