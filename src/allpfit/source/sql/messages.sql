-- Per-conversation message aggregates: the compiled conversation and its counts.
-- Reads: scope(id), messages. Parameters: %(bot_user_ids)s int[], %(null_sender_is_bot)s bool.
--
-- Sender kinds (docs/data-model.md, "Bot or human"):
--   contact  incoming messages (message_type 0)
--   system   templates (message_type 3: greeting, out-of-office, CSAT prompt) and the CSAT prompt
--            sent as a WhatsApp template (content_type 9); automation rules and campaigns
--   bot      sender AgentBot or Captain::Assistant (Chatwoot's own bot test); a User listed in
--            BOT_SENDER_USER_IDS (bots posting through the API with a user token); any other
--            outgoing message with no sender (integrations) while NULL_SENDER_IS_BOT is on
--   agent    any other User, and echoes sent from the native WhatsApp app (external_echo)
-- Private notes and activity lines get no kind: they stay out of the conversation text.
SELECT
    mk.conversation_id,
    jsonb_agg(
        jsonb_build_object('id', mk.id, 'at', mk.created_at, 'sender', mk.sender, 'text', mk.content)
        ORDER BY mk.created_at, mk.id
    ) FILTER (WHERE mk.sender IS NOT NULL) AS message_compiled,
    count(mk.sender) AS total_messages,
    count(*) FILTER (WHERE mk.sender = 'contact') AS contact_messages,
    count(*) FILTER (WHERE mk.sender = 'bot') AS bot_messages,
    count(*) FILTER (WHERE mk.sender = 'agent') AS agent_messages,
    count(*) FILTER (WHERE mk.sender = 'system') AS system_messages,
    count(*) FILTER (WHERE mk.private) AS private_notes,
    count(*) FILTER (WHERE mk.message_type = 2) AS activity_messages,
    min(mk.created_at) FILTER (WHERE mk.sender IS NOT NULL) AS first_message_at,
    max(mk.created_at) FILTER (WHERE mk.sender IS NOT NULL) AS last_message_at,
    min(mk.created_at) FILTER (WHERE mk.sender = 'contact') AS first_contact_message_at,
    max(mk.created_at) FILTER (WHERE mk.sender = 'contact') AS last_contact_message_at,
    min(mk.created_at) FILTER (WHERE mk.sender = 'bot') AS first_bot_message_at,
    min(mk.created_at) FILTER (WHERE mk.sender = 'agent') AS first_agent_message_at,
    max(mk.created_at) FILTER (WHERE mk.sender = 'agent') AS last_agent_message_at,
    -- The CSAT survey prompt (content_type 9, input_csat), as Chatwoot's CSAT report counts the
    -- surveys sent (`messages.input_csat`): the latest one.
    max(mk.created_at) FILTER (WHERE mk.content_type = 9) AS csat_survey_sent_at
FROM (
    SELECT
        m.conversation_id,
        m.id,
        m.created_at AT TIME ZONE 'UTC' AS created_at,
        m.content,
        m.message_type,
        m.content_type,
        m.private,
        CASE
            WHEN m.private OR m.message_type NOT IN (0, 1, 3) THEN NULL
            WHEN m.message_type = 0 THEN 'contact'
            WHEN m.message_type = 3 OR m.content_type = 9 THEN 'system'
            WHEN m.sender_type IN ('AgentBot', 'Captain::Assistant') THEN 'bot'
            WHEN m.sender_type = 'User' AND m.sender_id = ANY(%(bot_user_ids)s::bigint[]) THEN 'bot'
            WHEN m.sender_type = 'User' THEN 'agent'
            WHEN m.content_attributes ->> 'external_echo' = 'true' THEN 'agent'
            WHEN m.content_attributes ->> 'automation_rule_id' IS NOT NULL
              OR m.additional_attributes ->> 'campaign_id' IS NOT NULL THEN 'system'
            WHEN %(null_sender_is_bot)s::boolean THEN 'bot'
            ELSE 'system'
        END AS sender
    FROM scope s
    JOIN messages m ON m.conversation_id = s.id
) mk
GROUP BY mk.conversation_id
