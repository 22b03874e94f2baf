-- Dashboard (issue "Dashboard"): indexes that let its aggregates read narrow index pages
-- instead of the wide conversas_analytics rows (message_compiled makes a row ~1 KB).
-- No column changes. Partial on contact_messages > 0: every dashboard figure is over lead
-- conversations. See dashboard/queries.py and bench/dashboard.py.

-- KPIs, leads per day, periods, funnel, daily results: index-only scans by date range.
CREATE INDEX conversas_analytics_dash_leads_idx ON conversas_analytics (conversation_date)
    INCLUDE (contact_id, conversation_id, is_bot_only, has_human_intervention, is_reopened,
             period_of_day, last_activity_date)
    WHERE contact_messages > 0;

-- "Today" figures: conversations active today that were created earlier.
CREATE INDEX conversas_analytics_dash_activity_idx ON conversas_analytics (last_activity_date)
    WHERE contact_messages > 0;

-- Lead table: latest activity first, read in index order and stopped after 50 rows.
CREATE INDEX conversas_analytics_dash_recent_idx ON conversas_analytics
    ((COALESCE(last_message_at, last_activity_at, conversation_created_at)) DESC,
     conversation_id DESC)
    WHERE contact_messages > 0;

-- The AI columns the aggregates need, without reading the analysis texts.
CREATE INDEX conversas_analytics_ai_dash_idx ON conversas_analytics_ai (conversation_id)
    INCLUDE (probabilidade_conversao, visita_agendada);

