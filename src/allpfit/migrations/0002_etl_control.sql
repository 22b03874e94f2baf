-- etl_control: one row per sync run, the audit trail and the home of the watermark.
-- A run inserts its row as 'running'; the same transaction that writes the data sets it to
-- 'success' with the new watermark, so the watermark can never run ahead of the data.
CREATE TABLE etl_control (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    triggered_by text NOT NULL CHECK (triggered_by IN ('manual', 'scheduler', 'api', 'demo')),
    load_type text NOT NULL CHECK (load_type IN ('incremental', 'full')),
    status text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'interrupted')),
    watermark_start timestamptz,
    watermark_end timestamptz,
    rows_extracted integer NOT NULL DEFAULT 0,
    rows_inserted integer NOT NULL DEFAULT 0,
    rows_updated integer NOT NULL DEFAULT 0,
    rows_unchanged integer NOT NULL DEFAULT 0,
    rows_deleted integer NOT NULL DEFAULT 0,
    extract_seconds double precision,
    load_seconds double precision,
    total_seconds double precision,
    error_message text,
    host text,
    pid integer
);

CREATE INDEX etl_control_success_idx ON etl_control (id DESC) WHERE status = 'success';
