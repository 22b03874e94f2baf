-- Monthly LLM budgets in reais (issue 13, "Budgets"). The gym's staff thinks in R$, the LLM
-- service bills in US dollars: analysis_runs keeps recording what each run cost in USD (the
-- price list is in USD), and the budget, the spend of the month and its projection are shown
-- in reais, converted at USD_BRL_RATE (a setting the user keeps current, docs/configuration.md).
--
-- Existing budgets are kept, not converted here: a migration has no business fixing an
-- exchange rate. The old column becomes llm_monthly_budget_usd and stays readable; while a
-- tenant has no budget in reais, its USD budget still applies, converted at the current
-- USD_BRL_RATE (allpfit.tenant_budget.budget_brl). `allpfit tenant edit SLUG --budget N` sets
-- the budget in reais and clears the USD one; `--no-budget` clears both.
ALTER TABLE tenants RENAME COLUMN llm_monthly_budget TO llm_monthly_budget_usd;
ALTER TABLE tenants
    ADD COLUMN llm_monthly_budget_brl numeric(12, 2) CHECK (llm_monthly_budget_brl >= 0);

COMMENT ON COLUMN tenants.llm_monthly_budget_usd IS
    'Monthly LLM budget in US dollars set before migration 0082; applies (at USD_BRL_RATE) only '
    'while llm_monthly_budget_brl is NULL.';
COMMENT ON COLUMN tenants.llm_monthly_budget_brl IS
    'Monthly LLM budget in reais (migration 0082); NULL = the USD budget, if any, else no cap.';
