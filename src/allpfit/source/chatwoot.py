"""The only module that connects to Chatwoot's PostgreSQL.

The connection is read-only by construction: the session starts with
`default_transaction_read_only=on` and psycopg marks every transaction READ ONLY, so even a
mistaken write is refused by the server. The session clock is UTC, the zone Chatwoot stores.
`ddl_connection` is the single exception, used only by `allpfit source deploy-views` and
`allpfit source index --apply`, on the administrator's explicit request.
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict

from allpfit.config import mask_url
from allpfit.errors import SourceError
from allpfit.redaction import first_line, redact, secrets_in
from allpfit.source.queries import REQUIRED_COLUMNS

_SESSION = "-c TimeZone=UTC -c DateStyle=ISO -c application_name=allpfit"


def connect(url: str) -> psycopg.Connection:
    """A read-only session on the Chatwoot database (REPEATABLE READ: one snapshot per run)."""
    conn = _open(url, _SESSION + " -c default_transaction_read_only=on")
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def ddl_connection(url: str) -> psycopg.Connection:
    """A writable session, for creating the optional views and indexes only."""
    return _open(url, _SESSION)


def _open(url: str, options: str) -> psycopg.Connection:
    try:
        # The URL's own `options` (the API source's mirror sets its search_path there) come
        # first, so ours, read-only above all, win over anything it says.
        own = conninfo_to_dict(url).get("options")
        if own:
            options = f"{own} {options}"
        return psycopg.connect(url, options=options, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise SourceError(
            f"Cannot connect to the Chatwoot database at {mask_url(url)}: {str(exc).strip()}",
            hint="Check SOURCE_DATABASE_URL / SOURCE_DB_* and that the server accepts "
            "connections from this machine.",
        ) from None
    except psycopg.ProgrammingError as exc:  # libpq cannot parse the URL; its text may echo it
        raise SourceError(
            "The Chatwoot database URL cannot be parsed: "
            + redact(first_line(str(exc)), secrets_in(url)),
            hint="Check SOURCE_DATABASE_URL: percent-encode special characters of the password "
            "(# → %23, / → %2F, ? → %3F, @ → %40, % → %25).",
        ) from None


def check_schema(conn: psycopg.Connection) -> None:
    """Fail with one clear message listing every table or column the extraction needs but
    the Chatwoot database lacks (an older or customised Chatwoot)."""
    tables = list(REQUIRED_COLUMNS)
    rows = conn.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = ANY(%s)""",
        (tables,),
    ).fetchall()
    present = {(t, c) for t, c in rows}
    missing = [
        f"{table}.{column}"
        for table, columns in REQUIRED_COLUMNS.items()
        for column in columns
        if (table, column) not in present
    ]
    if missing:
        raise SourceError(
            "The Chatwoot database is missing " + ", ".join(missing) + ".",
            hint="Point SOURCE_DATABASE_URL at a Chatwoot database (4.x schema); "
            "see docs/data-model.md for what is read.",
        )
