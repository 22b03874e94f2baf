-- Webhooks (issue "Live data and Chatwoot Cloud"): the inbox of Chatwoot account-webhook
-- deliveries, per tenant, and each tenant's webhook credentials.
--
-- The receiver (`allpfit webhooks serve`) only verifies and stores a delivery, answering at
-- once; the worker later refreshes the conversations it names by reading Chatwoot's current
-- state (never the event body as data), so a replayed or out-of-order event changes nothing.
-- The body is kept (jsonb) for diagnosis only.

CREATE TABLE webhook_events (
    tenant_id integer NOT NULL
        DEFAULT COALESCE(NULLIF(current_setting('allpfit.tenant_id', true), '')::integer, 1)
        CONSTRAINT webhook_events_tenant_id_fkey REFERENCES tenants (id),
    id bigserial NOT NULL,
    -- X-Chatwoot-Delivery: the same across Chatwoot's retries; NULL for unsigned (URL-token)
    -- deliveries of old Chatwoot versions, which send no delivery id.
    delivery_id uuid,
    event text NOT NULL CHECK (length(event) BETWEEN 1 AND 100),
    -- Chatwoot's webhook payloads name a conversation by its display_id (the number shown in
    -- the app, unique per account), not by conversations.id; contact_updated names a contact.
    account_id integer,
    conversation_display_ids integer[] NOT NULL DEFAULT '{}',
    contact_id integer,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    error text,
    body jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_events_delivery_key UNIQUE (tenant_id, delivery_id)
);
COMMENT ON TABLE webhook_events IS
    'Chatwoot webhook deliveries waiting for (or done by) the worker; see docs/operations.md.';
COMMENT ON COLUMN webhook_events.tenant_id IS
    'The tenant (business) owning the row; row-level security (migration 0051).';

-- The worker's queue: unprocessed events, oldest first (also the webhook lag of `status`).
CREATE INDEX webhook_events_pending_idx ON webhook_events (tenant_id, next_attempt_at)
    WHERE processed_at IS NULL;
CREATE INDEX webhook_events_received_idx ON webhook_events (tenant_id, received_at DESC);

ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_events FOR ALL
    USING (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer)
    WITH CHECK (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer);

-- The webhook's HMAC secret, as a secret reference (`env:NAME` / `fernet:...`, like the other
-- *_ref columns), and, for Chatwoot versions that sign nothing, the SHA-256 of the secret
-- token carried in the webhook URL (the token itself is shown once and never stored).
ALTER TABLE tenants
    ADD COLUMN webhook_secret_ref text CHECK (webhook_secret_ref ~ '^(env|fernet):.+'),
    ADD COLUMN webhook_token_sha256 text CHECK (webhook_token_sha256 ~ '^[0-9a-f]{64}$');

-- A refresh of the conversations named by webhooks is recorded in the sync's ledger.
ALTER TABLE etl_control DROP CONSTRAINT etl_control_load_type_check;
ALTER TABLE etl_control ADD CONSTRAINT etl_control_load_type_check
    CHECK (load_type IN ('incremental', 'full', 'webhook'));
ALTER TABLE etl_control DROP CONSTRAINT etl_control_triggered_by_check;
ALTER TABLE etl_control ADD CONSTRAINT etl_control_triggered_by_check
    CHECK (triggered_by IN ('manual', 'scheduler', 'api', 'demo', 'webhook'));
