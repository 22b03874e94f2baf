-- Hardening (issue "never lose paid work"): nothing paid for or imported is deleted as a side
-- effect of a sync or a CRM refresh.
--
-- A conversation that disappears from Chatwoot is marked (deleted_in_source_at), not deleted;
-- its AI profile and CRM match stay. Only `allpfit etl purge-deleted` removes such rows, on
-- purpose, deleting their dependants explicitly. A CRM customer missing from a later EVO
-- listing is marked (missing_in_source_at), never deleted.
ALTER TABLE conversas_analytics ADD COLUMN deleted_in_source_at timestamptz;
ALTER TABLE crm_customers ADD COLUMN missing_in_source_at timestamptz;

-- No foreign key cascades a delete into paid or imported data any more: deleting a parent
-- that still has dependants fails instead of silently taking them along.
ALTER TABLE conversas_analytics_ai
    DROP CONSTRAINT conversas_analytics_ai_conversation_id_fkey,
    ADD CONSTRAINT conversas_analytics_ai_conversation_id_fkey
        FOREIGN KEY (conversation_id) REFERENCES conversas_analytics (conversation_id);
ALTER TABLE analysis_failures
    DROP CONSTRAINT analysis_failures_conversation_id_fkey,
    ADD CONSTRAINT analysis_failures_conversation_id_fkey
        FOREIGN KEY (conversation_id) REFERENCES conversas_analytics (conversation_id);
ALTER TABLE conversas_crm_match_real
    DROP CONSTRAINT conversas_crm_match_real_conversation_id_fkey,
    ADD CONSTRAINT conversas_crm_match_real_conversation_id_fkey
        FOREIGN KEY (conversation_id) REFERENCES conversas_analytics (conversation_id),
    DROP CONSTRAINT conversas_crm_match_real_crm_customer_id_fkey,
    ADD CONSTRAINT conversas_crm_match_real_crm_customer_id_fkey
        FOREIGN KEY (crm_customer_id) REFERENCES crm_customers (id);
