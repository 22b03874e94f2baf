-- Per-event and per-day detail for the Chatwoot-style reports (issue 12, "Reports that match
-- Chatwoot's numbers"; docs/reports.md).
--
-- Chatwoot's agent, team, inbox and label reports select reporting events by the time the
-- event was written and messages by the time they were sent, not by the conversation's
-- creation; the per-conversation summary columns (first_response_time_seconds,
-- avg_reply_time_seconds, ...) cannot say when each reply or resolution happened, nor give a
-- true median. Both columns are filled by the sync from the same extraction SQL on both
-- source paths (source/sql/events.sql, source/sql/messages.sql).
--
-- report_events: one object per first_response, reply_time and conversation_resolved event:
--   {"name", "at" (event created_at), "value" and "business" (seconds; business = the
--   event's value_in_business_hours), "user_id", "user_name", "inbox_id"}.
-- report_messages: per day in the business time zone, the incoming and outgoing messages
--   (Chatwoot's message_type 0 and 1, private notes included, as its reports count them) and
--   the outgoing ones per sending user: {"2026-06-01": {"in": 3, "out": 5, "users": {"7": 2}}}.
--
-- Rows synced before this migration hold the empty defaults until their conversation changes
-- in Chatwoot or a full sync runs (`allpfit etl run --full`).
ALTER TABLE conversas_analytics
    ADD COLUMN report_events jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN report_messages jsonb NOT NULL DEFAULT '{}';
