-- One row per conversation: the shape of the local table conversas_analytics.
-- Reads: scope(id), msgs (messages.sql), events (events.sql), csat (csat.sql), daily (daily.sql)
-- and the Chatwoot tables conversations, inboxes, contacts, contact_inboxes, users, teams.
-- Parameters: %(timezone)s, the business time zone for the date/hour/period columns.
-- Chatwoot stores UTC in "timestamp without time zone": every timestamp is read AT TIME ZONE 'UTC'.
SELECT
    c.id AS conversation_id,
    c.display_id,
    c.account_id,
    c.inbox_id,
    i.name AS inbox_name,
    i.channel_type,
    c.contact_id,
    NULLIF(btrim(ct.name), '') AS contact_name,
    NULLIF(ct.phone_number, '') AS contact_phone,
    NULLIF(ct.email, '') AS contact_email,
    NULLIF(ct.identifier, '') AS contact_identifier,
    ci.source_id AS contact_source_id,
    CASE ct.contact_type WHEN 0 THEN 'visitor' WHEN 1 THEN 'lead' WHEN 2 THEN 'customer' END
        AS contact_type,
    COALESCE(ct.blocked, false) AS contact_blocked,
    ct.created_at AT TIME ZONE 'UTC' AS contact_created_at,
    CASE c.status WHEN 0 THEN 'open' WHEN 1 THEN 'resolved' WHEN 2 THEN 'pending'
        WHEN 3 THEN 'snoozed' END AS status,
    CASE c.priority WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high'
        WHEN 3 THEN 'urgent' END AS priority,
    c.assignee_id,
    COALESCE(NULLIF(btrim(u.display_name), ''), u.name) AS assignee_name,
    c.assignee_agent_bot_id,
    c.team_id,
    t.name AS team_name,
    ARRAY(
        SELECT btrim(label)
        FROM unnest(string_to_array(c.cached_label_list, ',')) AS label
        WHERE btrim(label) <> ''
    ) AS labels,
    c.campaign_id,
    COALESCE(c.custom_attributes, '{}'::jsonb) AS custom_attributes,
    COALESCE(c.additional_attributes, '{}'::jsonb) AS additional_attributes,
    c.created_at AT TIME ZONE 'UTC' AS conversation_created_at,
    c.updated_at AT TIME ZONE 'UTC' AS conversation_updated_at,
    c.last_activity_at AT TIME ZONE 'UTC' AS last_activity_at,
    c.first_reply_created_at AT TIME ZONE 'UTC' AS first_reply_created_at,
    c.waiting_since AT TIME ZONE 'UTC' AS waiting_since,
    c.snoozed_until AT TIME ZONE 'UTC' AS snoozed_until,
    c.contact_last_seen_at AT TIME ZONE 'UTC' AS contact_last_seen_at,
    c.agent_last_seen_at AT TIME ZONE 'UTC' AS agent_last_seen_at,
    COALESCE(m.message_compiled, '[]'::jsonb) AS message_compiled,
    COALESCE(m.total_messages, 0) AS total_messages,
    COALESCE(m.contact_messages, 0) AS contact_messages,
    COALESCE(m.bot_messages, 0) AS bot_messages,
    COALESCE(m.agent_messages, 0) AS agent_messages,
    COALESCE(m.system_messages, 0) AS system_messages,
    COALESCE(m.private_notes, 0) AS private_notes,
    COALESCE(m.activity_messages, 0) AS activity_messages,
    m.first_message_at,
    m.last_message_at,
    m.first_contact_message_at,
    m.last_contact_message_at,
    m.first_bot_message_at,
    m.first_agent_message_at,
    m.last_agent_message_at,
    cs.rating AS csat_rating,
    cs.feedback AS csat_feedback,
    CASE WHEN cs.rating = 5 THEN 'promoter' WHEN cs.rating = 4 THEN 'passive'
        WHEN cs.rating <= 3 THEN 'detractor' END AS csat_nps_category,
    cs.created_at AT TIME ZONE 'UTC' AS csat_responded_at,
    m.csat_survey_sent_at,
    e.first_response_time_seconds,
    e.first_response_time_business_seconds,
    e.resolution_time_seconds,
    e.avg_reply_time_seconds,
    e.bot_handoff_seconds,
    EXTRACT(EPOCH FROM m.first_bot_message_at - (c.created_at AT TIME ZONE 'UTC'))::double precision
        AS bot_first_response_seconds,
    EXTRACT(EPOCH FROM m.last_message_at - m.first_message_at)::double precision
        AS conversation_duration_seconds,
    COALESCE(e.resolutions_count, 0) AS resolutions_count,
    COALESCE(e.reopen_count, 0) AS reopen_count,
    e.last_resolved_at AT TIME ZONE 'UTC' AS last_resolved_at,
    COALESCE(m.agent_messages, 0) > 0 AS has_human_intervention,
    COALESCE(m.bot_messages, 0) > 0 AS has_bot_messages,
    COALESCE(m.bot_messages, 0) > 0 AND COALESCE(m.agent_messages, 0) = 0 AS is_bot_only,
    c.status = 1 AND COALESCE(m.bot_messages, 0) > 0 AND COALESCE(m.agent_messages, 0) = 0
        AND e.bot_handoff_seconds IS NULL AS is_bot_resolved,
    e.bot_handoff_seconds IS NOT NULL AS has_bot_handoff,
    cs.rating IS NOT NULL AS has_csat,
    COALESCE(e.reopen_count, 0) > 0
        OR COALESCE(m.last_contact_message_at > (e.first_resolved_at AT TIME ZONE 'UTC'), false)
        AS is_reopened,
    c.assignee_id IS NOT NULL AS is_assigned,
    COALESCE(m.contact_messages, 0) > 0 AND COALESCE(m.bot_messages, 0) = 0
        AND COALESCE(m.agent_messages, 0) = 0 AS is_unanswered,
    COALESCE(m.private_notes, 0) > 0 AS has_private_notes,
    (lt.created_local)::date AS conversation_date,
    EXTRACT(HOUR FROM lt.created_local)::smallint AS conversation_hour,
    EXTRACT(ISODOW FROM lt.created_local)::smallint AS conversation_weekday,
    EXTRACT(ISODOW FROM lt.created_local) >= 6 AS is_weekend,
    CASE
        WHEN EXTRACT(HOUR FROM lt.created_local) < 6 THEN 'madrugada'
        WHEN EXTRACT(HOUR FROM lt.created_local) < 12 THEN 'manhã'
        WHEN EXTRACT(HOUR FROM lt.created_local) < 18 THEN 'tarde'
        ELSE 'noite'
    END AS period_of_day,
    ((c.last_activity_at AT TIME ZONE 'UTC') AT TIME ZONE %(timezone)s)::date AS last_activity_date,
    GREATEST(
        c.updated_at, ct.updated_at, cs.updated_at, e.last_event_at
    ) AT TIME ZONE 'UTC' AS source_updated_at,
    COALESCE(e.report_events, '[]'::jsonb) AS report_events,
    COALESCE(dm.report_messages, '{}'::jsonb) AS report_messages
FROM scope s
JOIN conversations c ON c.id = s.id
CROSS JOIN LATERAL (
    SELECT (c.created_at AT TIME ZONE 'UTC') AT TIME ZONE %(timezone)s AS created_local
) lt
LEFT JOIN inboxes i ON i.id = c.inbox_id
LEFT JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN contact_inboxes ci ON ci.id = c.contact_inbox_id
LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN teams t ON t.id = c.team_id
LEFT JOIN msgs m ON m.conversation_id = c.id
LEFT JOIN events e ON e.conversation_id = c.id
LEFT JOIN csat cs ON cs.conversation_id = c.id
LEFT JOIN daily dm ON dm.conversation_id = c.id
