-- One definition of "lead", "signup date" and "sale" (issue 9, "One definition of each thing").
--
-- Before this, the dashboard, the analysis and the CRM match each wrote their own rule: eleven
-- copies of `contact_messages > 0`, three signup-date rules, and three different "sales" (the
-- KPI counted customers by signup date, the funnel contacts sold at any date, the score chart
-- every conversation before a signup), so one period showed 18, 14 and 11 sales. Everything
-- now reads these columns and this view. See docs/data-model.md#one-definition.

-- A lead conversation: the contact wrote at least once (a bot broadcast nobody answered is not
-- a lead) and Chatwoot still has it (migration 0040 marks deleted conversations instead of
-- deleting them, so they stay out of every figure, analysis and match). Never NULL
-- (contact_messages is NOT NULL), but declared without NOT NULL: the sync's staging table is
-- `LIKE conversas_analytics`, which copies NOT NULL but not the generation expression.
ALTER TABLE conversas_analytics
    ADD COLUMN is_lead boolean
        GENERATED ALWAYS AS (contact_messages > 0 AND deleted_in_source_at IS NULL) STORED;

-- When a CRM customer signed up: EVO's conversion date (the day a prospect became a member),
-- else the first sale, else the registration (which may predate the purchase: last resort).
ALTER TABLE crm_customers
    ADD COLUMN signup_date date
        GENERATED ALWAYS AS (COALESCE(conversion_date, sale_date, register_date)) STORED;
CREATE INDEX crm_customers_signup_date_idx ON crm_customers (signup_date);

-- A sale ("venda do tráfego"): one CRM customer whose matched lead's first conversation came
-- before the signup (same day included when CRM_SAME_DAY_IS_CONVERSION; `allpfit crm match`
-- decides that and writes only conversions to conversas_crm_match_real). It belongs to the
-- period containing its signup date, on every panel. A match whose conversation is no longer
-- a lead (deleted in Chatwoot since the match) is not a sale.
CREATE VIEW lead_sales AS
SELECT DISTINCT ON (m.crm_customer_id)
       m.crm_customer_id,
       m.conversation_id,
       ca.contact_id,
       m.conversation_date,
       m.crm_signup_date AS signup_date,
       m.days_to_conversion
FROM conversas_crm_match_real m
JOIN conversas_analytics ca ON ca.conversation_id = m.conversation_id
WHERE ca.is_lead
ORDER BY m.crm_customer_id, m.conversation_date, m.conversation_id;

COMMENT ON COLUMN conversas_analytics.is_lead IS
    'Lead conversation: contact_messages > 0 and not deleted in Chatwoot (migration 0042).';
COMMENT ON COLUMN crm_customers.signup_date IS
    'conversion_date, else sale_date, else register_date (migration 0042).';
COMMENT ON VIEW lead_sales IS
    'One row per traffic sale (CRM customer matched to a lead before signup), see 0042.';

-- The dashboard's partial indexes of migration 0031, now on the one lead definition (a
-- conversation deleted in Chatwoot leaves them). Same columns, so index-only scans stay.
DROP INDEX conversas_analytics_dash_leads_idx;
DROP INDEX conversas_analytics_dash_activity_idx;
DROP INDEX conversas_analytics_dash_recent_idx;

CREATE INDEX conversas_analytics_dash_leads_idx ON conversas_analytics (conversation_date)
    INCLUDE (contact_id, conversation_id, is_bot_only, has_human_intervention, is_reopened,
             period_of_day, last_activity_date)
    WHERE is_lead;

CREATE INDEX conversas_analytics_dash_activity_idx ON conversas_analytics (last_activity_date)
    WHERE is_lead;

CREATE INDEX conversas_analytics_dash_recent_idx ON conversas_analytics
    ((COALESCE(last_message_at, last_activity_at, conversation_created_at)) DESC,
     conversation_id DESC)
    WHERE is_lead;
