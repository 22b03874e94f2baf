-- Messages per conversation and day in the business time zone, as Chatwoot's reports count
-- them (docs/reports.md): incoming = message_type 0, outgoing = message_type 1 (private notes
-- included: Chatwoot's `outgoing` scope is the message type alone), and the outgoing ones per
-- sending User (an agent's "messages sent").
-- Reads: scope(id), messages. Parameters: %(timezone)s.
-- Result: {"2026-06-01": {"in": 3, "out": 5, "users": {"7": 2}}} per conversation.
SELECT
    d.conversation_id,
    jsonb_object_agg(d.day, d.counts) AS report_messages
FROM (
    SELECT
        x.conversation_id,
        x.day::text AS day,
        jsonb_build_object(
            'in', COALESCE(sum(x.n) FILTER (WHERE x.message_type = 0), 0),
            'out', COALESCE(sum(x.n) FILTER (WHERE x.message_type = 1), 0),
            'users', COALESCE(jsonb_object_agg(x.sender_id::text, x.n)
                FILTER (WHERE x.message_type = 1 AND x.sender_type = 'User'
                    AND x.sender_id IS NOT NULL), '{}'::jsonb)
        ) AS counts
    FROM (
        SELECT
            m.conversation_id,
            ((m.created_at AT TIME ZONE 'UTC') AT TIME ZONE %(timezone)s)::date AS day,
            m.message_type,
            m.sender_type,
            m.sender_id,
            count(*) AS n
        FROM scope s
        JOIN messages m ON m.conversation_id = s.id
        WHERE m.message_type IN (0, 1)
        GROUP BY 1, 2, 3, 4, 5
    ) x
    GROUP BY x.conversation_id, x.day
) d
GROUP BY d.conversation_id
