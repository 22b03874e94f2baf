-- Per-conversation metrics from reporting_events, the table Chatwoot's own reports average.
-- Reads: scope(id), reporting_events. Values are seconds.
--   first_response          one per conversation: the first human reply (Chatwoot's FRT)
--   conversation_resolved   one per resolution, measured from creation; the latest one is kept
--   reply_time              each later human reply; averaged
--   conversation_bot_handoff  bot -> human handoff, at most one
--   conversation_opened     value > 0 = seconds since the previous resolution: a reopen
-- report_events keeps each first_response, reply_time and conversation_resolved event with
-- its own time, user and inbox: the reports select events by when they were written, as
-- Chatwoot's do (docs/reports.md). The user's name is kept for agents no conversation is
-- assigned to any more.
SELECT
    re.conversation_id,
    (array_agg(re.value ORDER BY re.created_at, re.id)
        FILTER (WHERE re.name = 'first_response'))[1] AS first_response_time_seconds,
    (array_agg(re.value_in_business_hours ORDER BY re.created_at, re.id)
        FILTER (WHERE re.name = 'first_response'))[1] AS first_response_time_business_seconds,
    (array_agg(re.value ORDER BY re.created_at DESC, re.id DESC)
        FILTER (WHERE re.name = 'conversation_resolved'))[1] AS resolution_time_seconds,
    count(*) FILTER (WHERE re.name = 'conversation_resolved') AS resolutions_count,
    min(COALESCE(re.event_end_time, re.created_at))
        FILTER (WHERE re.name = 'conversation_resolved') AS first_resolved_at,
    max(COALESCE(re.event_end_time, re.created_at))
        FILTER (WHERE re.name = 'conversation_resolved') AS last_resolved_at,
    avg(re.value) FILTER (WHERE re.name = 'reply_time') AS avg_reply_time_seconds,
    min(re.value) FILTER (WHERE re.name = 'conversation_bot_handoff') AS bot_handoff_seconds,
    count(*) FILTER (WHERE re.name = 'conversation_opened' AND re.value > 0) AS reopen_count,
    max(re.created_at) AS last_event_at,
    COALESCE(jsonb_agg(
        jsonb_build_object(
            'name', re.name, 'at', re.created_at AT TIME ZONE 'UTC', 'value', re.value,
            'business', re.value_in_business_hours, 'user_id', re.user_id,
            'user_name', COALESCE(NULLIF(btrim(u.display_name), ''), u.name),
            'inbox_id', re.inbox_id
        ) ORDER BY re.created_at, re.id
    ) FILTER (WHERE re.name IN ('first_response', 'reply_time', 'conversation_resolved')),
        '[]'::jsonb) AS report_events
FROM scope s
JOIN reporting_events re ON re.conversation_id = s.id
LEFT JOIN users u ON u.id = re.user_id
GROUP BY re.conversation_id
