-- Ids of the conversations whose analytics row may have changed since %(since)s (UTC).
-- Chatwoot does not bump conversations.updated_at for every change we show, so each table
-- that feeds a column is asked on its own: a new or edited message, a CSAT answer, a renamed
-- contact, a reporting event (resolution, reopen, handoff), a label applied. Renamed agents,
-- inboxes and teams are found by comparing names with the local table (sync/changes.py).
-- Each branch is a plain range on one timestamp column, so an index on it turns a read of the
-- whole table into a read of the changed rows: Chatwoot indexes messages.created_at and
-- reporting_events.created_at; the others are the optional ones of source/indexes.py
-- (`allpfit source index`). Without them each branch reads its table whole.
SELECT id FROM conversations WHERE updated_at >= %(since)s
UNION
SELECT conversation_id FROM messages WHERE updated_at >= %(since)s OR created_at >= %(since)s
UNION
SELECT conversation_id FROM csat_survey_responses WHERE updated_at >= %(since)s
UNION
SELECT conversation_id FROM reporting_events
WHERE created_at >= %(since)s AND conversation_id IS NOT NULL
UNION
SELECT c.id FROM contacts ct JOIN conversations c ON c.contact_id = ct.id
WHERE ct.updated_at >= %(since)s
UNION
SELECT tg.taggable_id FROM taggings tg
WHERE tg.taggable_type = 'Conversation' AND tg.context = 'labels' AND tg.created_at >= %(since)s
