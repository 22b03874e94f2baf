"""Creating a Chatwoot-shaped database for the demo, tests and benchmarks.

`chatwoot_schema.sql` is a verbatim copy of shared/chatwoot/schema.sql (Chatwoot 4.15.1,
db/schema.rb version 2026_06_11_184600); a test keeps the two identical.
"""

from __future__ import annotations

from importlib import resources

import psycopg

SCHEMA_FILE = "chatwoot_schema.sql"


def schema_sql() -> str:
    return (resources.files("allpfit.demo") / SCHEMA_FILE).read_text()


def create_chatwoot_schema(conn: psycopg.Connection) -> None:
    """Create the Chatwoot tables on `conn` unless they already exist."""
    exists = conn.execute("SELECT to_regclass('conversations') IS NOT NULL").fetchone()
    if exists and exists[0]:
        return
    conn.execute(schema_sql().encode())
