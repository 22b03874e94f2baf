-- CSAT: when the survey was sent, for the CSAT report's response rate (answers over surveys
-- sent, as Chatwoot's CSAT report computes it from `messages.input_csat`).
--
-- csat_survey_sent_at is the latest message of the conversation with content_type input_csat
-- (9): the survey prompt, written by Chatwoot as a template (message_type 3) or, on WhatsApp,
-- as an outgoing template message. NULL: no survey was sent. Both source paths (the Chatwoot
-- database and the API mirror) fill it through the same extraction SQL (source/sql).
-- Rows synced before this migration keep NULL until the sync reads them again: the nightly
-- full reload (SCHEDULE_FULL_HOUR) or `allpfit etl run --full` fills every row.
ALTER TABLE conversas_analytics ADD COLUMN csat_survey_sent_at timestamptz;

-- The CSAT report selects answers and surveys by their time (docs/reports.md): small partial
-- indexes (only conversations with an answer / a survey), tenant first like every index.
CREATE INDEX conversas_analytics_csat_answered_idx
    ON conversas_analytics (tenant_id, csat_responded_at) WHERE csat_rating IS NOT NULL;
CREATE INDEX conversas_analytics_csat_sent_idx
    ON conversas_analytics (tenant_id, csat_survey_sent_at) WHERE csat_survey_sent_at IS NOT NULL;
