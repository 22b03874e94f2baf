"""The one-command demo: a generated Chatwoot database and the whole pipeline on it."""
