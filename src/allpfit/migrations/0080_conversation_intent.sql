-- Who the conversation is (issue 13): every analysed conversation gets an intent, and only new
-- leads are leads. See docs/analysis.md#intent and docs/data-model.md#one-definition.
--
--   new_lead      someone interested in joining (the only intent that is a lead)
--   member        an existing member: a question about their plan, schedule, payment
--   cancellation  a cancellation request or a complaint (the retention list)
--   opt_out       asked not to be contacted again
--   wrong_number  wrong number, spam, a supplier or a job seeker
--   other         anything else
--
-- Existing profiles become new_lead: before this migration every analysed conversation was
-- treated as a lead, so nothing any panel shows changes until a conversation is (re)analysed.
-- `allpfit analyze --reanalyze` classifies them all now, if wanted.
ALTER TABLE conversas_analytics_ai
    ADD COLUMN intent text NOT NULL DEFAULT 'new_lead'
        CONSTRAINT conversas_analytics_ai_intent_check
        CHECK (intent IN ('new_lead', 'member', 'cancellation', 'opt_out', 'wrong_number',
                          'other'));
COMMENT ON COLUMN conversas_analytics_ai.intent IS
    'Why the contact wrote: new_lead, member, cancellation, opt_out, wrong_number, other (0080).';

-- The profile's intent, copied onto the conversation by the trigger below (never written by
-- the sync: it is not an extracted column), so the one definition of a lead stays a stored
-- generated column on conversas_analytics: every panel, the CRM match, the sales view and the
-- dashboard's partial indexes keep reading `is_lead` and get the new rule with no change.
-- NULL: not analysed yet (such a conversation still counts as a lead).
ALTER TABLE conversas_analytics ADD COLUMN analysed_intent text;
COMMENT ON COLUMN conversas_analytics.analysed_intent IS
    'conversas_analytics_ai.intent of this conversation (trigger, 0080); NULL = not analysed.';

CREATE FUNCTION conversas_analytics_ai_copy_intent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Runs with the writer's rights: a tenant session updates its own conversation only.
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE conversas_analytics SET analysed_intent = NULL
        WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.conversation_id
          AND analysed_intent IS NOT NULL
          AND (TG_OP = 'DELETE' OR OLD.tenant_id <> NEW.tenant_id
               OR OLD.conversation_id <> NEW.conversation_id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    UPDATE conversas_analytics SET analysed_intent = NEW.intent
    WHERE tenant_id = NEW.tenant_id AND conversation_id = NEW.conversation_id
      AND analysed_intent IS DISTINCT FROM NEW.intent;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION conversas_analytics_ai_copy_intent() IS
    'Keeps conversas_analytics.analysed_intent equal to the profile''s intent (0080).';

CREATE TRIGGER conversas_analytics_ai_copy_intent
    AFTER INSERT OR DELETE OR UPDATE OF intent, tenant_id, conversation_id
    ON conversas_analytics_ai
    FOR EACH ROW EXECUTE FUNCTION conversas_analytics_ai_copy_intent();

UPDATE conversas_analytics ca SET analysed_intent = ai.intent
FROM conversas_analytics_ai ai
WHERE ai.tenant_id = ca.tenant_id AND ai.conversation_id = ca.conversation_id;

-- A contact conversation: the contact wrote at least once and Chatwoot still has it (the
-- old `is_lead` of migration 0042). The analysis reads every one of them, whatever its intent,
-- so a conversation classified member or opt_out is classified again when its text changes.
-- A lead: a contact conversation whose intent is new_lead or not known yet.
-- (Generated columns cannot read each other, so the first two terms are written twice, here.)
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        -- One table rewrite; the dashboard's partial indexes (WHERE is_lead) are rebuilt and
        -- the views reading is_lead (lead_sales, any later one) keep working.
        -- (EXECUTE: PL/pgSQL checks every statement's syntax when the block is compiled,
        -- and PostgreSQL 15/16 do not know SET EXPRESSION.)
        EXECUTE $sql$
        ALTER TABLE conversas_analytics
            ADD COLUMN is_contact_conversation boolean
                GENERATED ALWAYS AS (contact_messages > 0 AND deleted_in_source_at IS NULL) STORED,
            ALTER COLUMN is_lead SET EXPRESSION AS (
                contact_messages > 0 AND deleted_in_source_at IS NULL
                AND coalesce(analysed_intent, 'new_lead') = 'new_lead')
        $sql$;
    ELSE
        -- PostgreSQL 15/16 cannot change a generation expression: drop what reads the column
        -- and build it again (the same view and indexes as migration 0051).
        DROP VIEW lead_sales;
        ALTER TABLE conversas_analytics DROP COLUMN is_lead;
        ALTER TABLE conversas_analytics
            ADD COLUMN is_contact_conversation boolean
                GENERATED ALWAYS AS (contact_messages > 0 AND deleted_in_source_at IS NULL) STORED,
            ADD COLUMN is_lead boolean
                GENERATED ALWAYS AS (contact_messages > 0 AND deleted_in_source_at IS NULL
                                     AND coalesce(analysed_intent, 'new_lead') = 'new_lead') STORED;
        CREATE INDEX conversas_analytics_dash_leads_idx ON conversas_analytics
            (tenant_id, conversation_date)
            INCLUDE (contact_id, conversation_id, is_bot_only, has_human_intervention,
                     is_reopened, period_of_day, last_activity_date)
            WHERE is_lead;
        CREATE INDEX conversas_analytics_dash_activity_idx ON conversas_analytics
            (tenant_id, last_activity_date) WHERE is_lead;
        CREATE INDEX conversas_analytics_dash_recent_idx ON conversas_analytics
            (tenant_id, (COALESCE(last_message_at, last_activity_at, conversation_created_at)) DESC,
             conversation_id DESC)
            WHERE is_lead;
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
        IF current_setting('server_version_num')::integer >= 150000 THEN
            ALTER VIEW lead_sales SET (security_invoker = true);
        END IF;
    END IF;
END $$;
COMMENT ON COLUMN conversas_analytics.is_contact_conversation IS
    'The contact wrote and Chatwoot still has it: what the analysis reads (migration 0080).';
COMMENT ON COLUMN conversas_analytics.is_lead IS
    'Lead conversation: is_contact_conversation and intent new_lead or not analysed (0042, 0080).';

-- The one definition of an active opt-out: a contact whose (latest) conversation classified
-- opt_out is still in force, i.e. the contact has not written again on their own since, in any
-- other conversation. opted_out_at is the contact's last message in that conversation; if the
-- contact writes again in the same conversation the moment moves with it (still opted out)
-- until the analysis reads the new text and classifies the conversation again. A deleted
-- conversation's opt-out still holds (the request was made); a deleted later conversation does
-- not lift it. Conversations without a contact cannot be keyed and are left out (they are not
-- leads either). Nothing may be suggested or sent to a contact listed here.
CREATE INDEX conversas_analytics_opt_out_idx ON conversas_analytics (tenant_id, contact_id)
    WHERE analysed_intent = 'opt_out';

CREATE VIEW contact_opt_outs_active AS
SELECT o.tenant_id, o.contact_id, o.opted_out_at, o.conversation_id
FROM (
    SELECT DISTINCT ON (ca.tenant_id, ca.contact_id)
           ca.tenant_id,
           ca.contact_id,
           coalesce(ca.last_contact_message_at, ca.last_message_at, ca.conversation_created_at)
               AS opted_out_at,
           ca.conversation_id
    FROM conversas_analytics ca
    WHERE ca.analysed_intent = 'opt_out' AND ca.contact_id IS NOT NULL
    ORDER BY ca.tenant_id, ca.contact_id,
             coalesce(ca.last_contact_message_at, ca.last_message_at, ca.conversation_created_at)
                 DESC,
             ca.conversation_id DESC
) o
WHERE NOT EXISTS (
    SELECT 1 FROM conversas_analytics later
    WHERE later.tenant_id = o.tenant_id
      AND later.contact_id = o.contact_id
      AND later.conversation_id <> o.conversation_id
      AND later.deleted_in_source_at IS NULL
      AND later.last_contact_message_at > o.opted_out_at
);
COMMENT ON VIEW contact_opt_outs_active IS
    'Contacts who asked not to be contacted and have not written since (migration 0080).';
-- With the caller's rights, like lead_sales (0051): the tenant policies apply to the reader.
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 150000 THEN
        EXECUTE 'ALTER VIEW contact_opt_outs_active SET (security_invoker = true)';
    END IF;
END $$;
