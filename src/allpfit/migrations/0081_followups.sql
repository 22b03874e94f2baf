-- Follow-ups into Chatwoot (issue 13, "Close the loop"). See docs/followups.md.
--
-- followup_settings: one row per tenant (absent = the defaults below): the steps after the
-- lead's last message, the weekdays the business is closed (Chatwoot's inbox working hours are
-- not part of what the sync reads, so the business says it here), the daily cap, how a
-- follow-up goes into Chatwoot (an outgoing message, or a private note the agent sends), and
-- the approved WhatsApp template used outside the 24-hour window (none = such a follow-up is
-- not sent, and says why).
CREATE TABLE followup_settings (
    tenant_id integer NOT NULL
        DEFAULT COALESCE(NULLIF(current_setting('allpfit.tenant_id', true), '')::integer, 1)
        CONSTRAINT followup_settings_tenant_id_fkey REFERENCES tenants (id),
    step_days smallint[] NOT NULL DEFAULT '{1,3,7}'
        CHECK (cardinality(step_days) BETWEEN 1 AND 10 AND 1 <= ALL (step_days)
               AND 90 >= ALL (step_days)),
    -- ISO weekdays: 1 = Monday ... 7 = Sunday
    closed_weekdays smallint[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(closed_weekdays) <= 6 AND 1 <= ALL (closed_weekdays)
               AND 7 >= ALL (closed_weekdays)),
    daily_cap integer NOT NULL DEFAULT 50 CHECK (daily_cap BETWEEN 0 AND 10000),
    send_as text NOT NULL DEFAULT 'message' CHECK (send_as IN ('message', 'private_note')),
    template_name text CHECK (template_name ~ '^[a-z0-9_]+$' AND length(template_name) <= 512),
    template_language text CHECK (template_language ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
    template_category text NOT NULL DEFAULT 'MARKETING'
        CHECK (template_category IN ('UTILITY', 'MARKETING')),
    -- The template's body with {{1}}, {{2}}... as WhatsApp shows it (what the message says,
    -- recorded as its content), and what fills each placeholder, in order.
    template_body text CHECK (length(template_body) BETWEEN 1 AND 1024),
    template_params text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(template_params) <= 10
               AND template_params <@ ARRAY['first_name', 'contact_name', 'business_name']),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    PRIMARY KEY (tenant_id),
    CONSTRAINT followup_settings_template_check CHECK (
        template_name IS NULL OR (template_language IS NOT NULL AND template_body IS NOT NULL)
    )
);
COMMENT ON TABLE followup_settings IS
    'Per-tenant follow-up plan and sending rules (allpfit.followups); see docs/followups.md.';
COMMENT ON COLUMN followup_settings.tenant_id IS
    'The tenant (business) owning the row; row-level security (migration 0051).';

-- followups: one row per tenant, conversation and step, written by the plan and never
-- deleted (no foreign key to conversas_analytics: a purged conversation keeps its history;
-- no cascade anywhere; a DELETE is refused by a trigger). The idempotency key is written with
-- the row, before any call to Chatwoot. A send claims the row ('approved' → 'sending',
-- committed) before the call, so two workers never both call; a row left 'sending' (a crash
-- between the call and the write, an answer that never came) is reconciled against the
-- conversation's messages in Chatwoot, never re-sent blindly.
CREATE TABLE followups (
    tenant_id integer NOT NULL
        DEFAULT COALESCE(NULLIF(current_setting('allpfit.tenant_id', true), '')::integer, 1)
        CONSTRAINT followups_tenant_id_fkey REFERENCES tenants (id),
    id bigserial NOT NULL,
    conversation_id integer NOT NULL,  -- conversas_analytics.conversation_id (Chatwoot's id)
    display_id integer NOT NULL,  -- what Chatwoot's API names the conversation by
    contact_id bigint,
    step smallint NOT NULL CHECK (step BETWEEN 1 AND 10),
    step_days smallint NOT NULL CHECK (step_days BETWEEN 1 AND 90),
    anchor_at timestamptz NOT NULL,  -- the lead's last message the step counts from
    due_on date NOT NULL,
    variant text NOT NULL CHECK (variant ~ '^[A-Za-z0-9_.-]{1,40}$'),
    message_text text NOT NULL CHECK (length(message_text) BETWEEN 1 AND 4000),
    edited boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'proposed' CHECK (status IN (
        'proposed', 'approved', 'skipped', 'sending', 'sent', 'unsendable', 'failed',
        'cancelled', 'needs_review')),
    reason text CHECK (length(reason) <= 500),
    idempotency_key uuid NOT NULL DEFAULT gen_random_uuid(),
    send_mode text CHECK (send_mode IN ('message', 'private_note', 'template')),
    sent_text text CHECK (length(sent_text) <= 4000),
    approved_by text CHECK (length(approved_by) <= 300),
    approved_at timestamptz,
    claimed_by text CHECK (length(claimed_by) <= 300),
    claimed_at timestamptz,
    sent_at timestamptz,
    chatwoot_message_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT followups_step_key UNIQUE (tenant_id, conversation_id, step),
    CONSTRAINT followups_idempotency_key UNIQUE (tenant_id, idempotency_key)
);
COMMENT ON TABLE followups IS
    'Planned, approved and sent follow-ups (allpfit.followups); never deleted.';
COMMENT ON COLUMN followups.tenant_id IS
    'The tenant (business) owning the row; row-level security (migration 0051).';

-- The review queue and the daily cap count.
CREATE INDEX followups_status_due_idx ON followups (tenant_id, status, due_on);
CREATE INDEX followups_claimed_idx ON followups (tenant_id, claimed_at) WHERE claimed_at IS NOT NULL;

CREATE FUNCTION followups_never_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'follow-up history is never deleted (followups row %)', OLD.id
        USING HINT = 'Mark it skipped or cancelled instead.';
END;
$$;
CREATE TRIGGER followups_never_delete BEFORE DELETE ON followups
    FOR EACH ROW EXECUTE FUNCTION followups_never_delete();

ALTER TABLE followup_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON followup_settings FOR ALL
    USING (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer)
    WITH CHECK (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer);

ALTER TABLE followups ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON followups FOR ALL
    USING (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer)
    WITH CHECK (tenant_id = NULLIF(current_setting('allpfit.tenant_id', true), '')::integer);

-- The dashboard's role reads the tenant tables only (allpfit.db.grant_roles), but a manager
-- reviews follow-ups there: it may change the review columns of its tenant's follow-ups, and
-- nothing else (no INSERT, no DELETE; row-level security still limits it to its tenant). The
-- sending columns stay the jobs' (allpfit_app).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'allpfit_reader') THEN
        GRANT UPDATE (message_text, edited, status, reason, approved_by, approved_at,
                      updated_at) ON followups TO allpfit_reader;
    END IF;
END;
$$;
