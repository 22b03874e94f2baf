"""The embedded PostgreSQL used when no local database server is configured.

It is a real PostgreSQL 16 (the binaries ship inside the `pgserver` wheel), kept under
`DATA_DIR/pgdata` and reached through a Unix socket, so nothing listens on the network. Every
process that uses it holds a handle; the server stops when the last one exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allpfit.errors import LocalDatabaseError

log = logging.getLogger(__name__)
_servers: dict[Path, Any] = {}


def server_url(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir` and return its admin URL."""
    pgdata = (data_dir / "pgdata").resolve()
    server = _servers.get(pgdata)
    if server is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                import pgserver

                server = pgserver.get_server(pgdata, cleanup_mode="stop")
            except Exception as exc:  # pgserver raises bare subprocess/assert errors
                raise LocalDatabaseError(
                    f"Could not start the embedded PostgreSQL in {pgdata}: {exc}",
                    hint="Check that the folder is writable, or set DATABASE_URL to use a "
                    "PostgreSQL server of your own.",
                ) from exc
        _servers[pgdata] = server
        log.debug("embedded PostgreSQL ready in %s", pgdata)
    return str(server.get_uri())


def with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name` (query string, e.g. the socket host, kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def stop(data_dir: Path) -> None:
    """Release this process's handle on the embedded server (it stops when no process
    holds one). Used by tests before they delete the folder."""
    server = _servers.pop((data_dir / "pgdata").resolve(), None)
    if server is not None:
        server._cleanup()
