"""Reading Chatwoot: the read-only connection and the extraction SQL."""
