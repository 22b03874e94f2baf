-- Lead analysis (issue "Lead analysis"): one validated profile per analysed conversation.
-- Only valid profiles live here; failures are recorded in analysis_failures, runs in
-- analysis_runs. content_hash is the hash of the conversation text the profile was made from:
-- a conversation is re-analysed only when its hash changes (or on --reanalyze).
CREATE TABLE conversas_analytics_ai (
    conversation_id integer PRIMARY KEY
        REFERENCES conversas_analytics (conversation_id) ON DELETE CASCADE,
    nome_mapeado_bot text,
    condicao_fisica text
        CHECK (condicao_fisica IN ('Sedentário', 'Iniciante', 'Intermediário', 'Avançado')),
    objetivo text,
    probabilidade_conversao smallint NOT NULL CHECK (probabilidade_conversao BETWEEN 0 AND 5),
    visita_agendada boolean NOT NULL DEFAULT false,
    analise_ia text NOT NULL,
    sugestao_disparo text NOT NULL,
    provider text NOT NULL,
    modelo_ia text NOT NULL,
    analisado_em timestamptz NOT NULL DEFAULT now(),
    content_hash text NOT NULL,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
    run_id bigint
);

CREATE INDEX conversas_analytics_ai_prob_idx ON conversas_analytics_ai (probabilidade_conversao);

CREATE TABLE analysis_runs (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    provider text NOT NULL,
    model text NOT NULL,
    triggered_by text NOT NULL DEFAULT 'manual',
    status text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'interrupted')),
    conversations_selected integer NOT NULL DEFAULT 0,
    conversations_analyzed integer NOT NULL DEFAULT 0,
    conversations_failed integer NOT NULL DEFAULT 0,
    prompt_tokens bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    cost_usd numeric(14, 6) NOT NULL DEFAULT 0,
    total_seconds double precision,
    error_message text
);

CREATE TABLE analysis_failures (
    conversation_id integer PRIMARY KEY
        REFERENCES conversas_analytics (conversation_id) ON DELETE CASCADE,
    run_id bigint REFERENCES analysis_runs (id) ON DELETE SET NULL,
    content_hash text NOT NULL,
    error_message text NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    failed_at timestamptz NOT NULL DEFAULT now()
);
