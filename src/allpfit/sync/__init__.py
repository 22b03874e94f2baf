"""Keeping conversas_analytics in step with Chatwoot: extract, load, audit."""
