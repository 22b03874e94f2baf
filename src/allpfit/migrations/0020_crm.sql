-- CRM (issue "CRM"): customers from the EVO API or an Excel/CSV export, and the crossmatch of
-- conversations to customers. Phones are kept raw (as the CRM gave them) and normalised
-- (E.164, +55...), see crm/phones.py.
CREATE TABLE crm_customers (
    id bigserial PRIMARY KEY,
    source text NOT NULL CHECK (source IN ('evo', 'excel')),
    external_id text NOT NULL,
    name text,
    email text,
    phone_raw text,
    phone_normalized text,
    register_date date,
    conversion_date date,
    sale_date date,
    status text,
    imported_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);

CREATE INDEX crm_customers_phone_idx ON crm_customers (phone_normalized);

CREATE TABLE crm_sync_runs (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    kind text NOT NULL CHECK (kind IN ('evo', 'excel', 'match')),
    status text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'interrupted')),
    rows_read integer NOT NULL DEFAULT 0,
    rows_written integer NOT NULL DEFAULT 0,
    rows_rejected integer NOT NULL DEFAULT 0,
    detail text,
    error_message text
);

-- One row per (conversation, customer) pair that is a real conversion: the lead's first
-- conversation came before the customer's signup date.
CREATE TABLE conversas_crm_match_real (
    conversation_id integer NOT NULL
        REFERENCES conversas_analytics (conversation_id) ON DELETE CASCADE,
    crm_customer_id bigint NOT NULL REFERENCES crm_customers (id) ON DELETE CASCADE,
    contact_phone text,
    crm_customer_phone text,
    crm_customer_name text,
    match_type text NOT NULL,
    match_score numeric(4, 3) NOT NULL,
    conversation_date date NOT NULL,
    crm_signup_date date NOT NULL,
    days_to_conversion integer NOT NULL,
    matched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, crm_customer_id)
);

CREATE INDEX conversas_crm_match_real_signup_idx ON conversas_crm_match_real (crm_signup_date);
