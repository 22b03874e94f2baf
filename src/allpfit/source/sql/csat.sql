-- The latest CSAT answer of each conversation (rating 1-5).
-- Reads: scope(id), csat_survey_responses.
SELECT DISTINCT ON (r.conversation_id)
    r.conversation_id,
    r.rating,
    NULLIF(btrim(r.feedback_message), '') AS feedback,
    r.created_at,
    r.updated_at
FROM scope s
JOIN csat_survey_responses r ON r.conversation_id = s.id
ORDER BY r.conversation_id, r.created_at DESC, r.id DESC
