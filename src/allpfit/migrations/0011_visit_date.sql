-- Lead analysis: the date of the scheduled visit / trial class, so the dashboard can count
-- "Visitas para hoje" exactly instead of approximating it by conversations active today.
-- data_visita is a calendar day in the business time zone (Settings.timezone). NULL when no
-- visit is scheduled, or when one is but no date could be determined ("sem data" in the
-- dashboard). Existing profiles keep NULL: they are not re-analysed for this column alone
-- (their content hash is unchanged); `allpfit analyze --reanalyze` fills it for them.
ALTER TABLE conversas_analytics_ai
    ADD COLUMN data_visita date,
    ADD CONSTRAINT conversas_analytics_ai_data_visita_check
        CHECK (data_visita IS NULL OR visita_agendada);

-- "Visits on day X" (the daily results page): only profiles with a scheduled visit.
CREATE INDEX conversas_analytics_ai_visit_date_idx ON conversas_analytics_ai (data_visita)
    WHERE visita_agendada;
