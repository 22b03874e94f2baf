"""`allpfit db upgrade-embedded`: move an embedded data folder to the current PostgreSQL major.

A PostgreSQL major cannot open another major's data files, and allpfit before 0.2 created its
embedded folder with PostgreSQL 16 (the `pgserver` wheel). That folder keeps working (the new
wheel ships PostgreSQL 16 too), and this one command copies it to PostgreSQL 18:

1. refuse while another process (dashboard, scheduler) holds the server;
2. serve the old folder with its own engine and a new folder with PostgreSQL 18;
3. for every database, PostgreSQL 18's `pg_dump` reads the old one and `pg_restore` writes it;
4. compare the exact row count of every table on both sides;
5. stop both, keep the old folder as `pgdata.pg16` (untouched: the way back), put the new one
   in its place.

Any failure before step 5 leaves the old folder in use and removes the half-made new one.
A dump and restore, not `pg_upgrade`: it never writes into the old folder (`pg_upgrade` from a
folder without data checksums needs them switched on there first).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from allpfit import db, embedded
from allpfit.errors import LocalDatabaseError

log = logging.getLogger(__name__)

STAGING = ".upgrade-embedded"  # DATA_DIR/.upgrade-embedded/pgdata while the copy is made
COPY_TIMEOUT_SECONDS = 6 * 3600  # one database's dump + restore; the demo's take seconds


@dataclass(frozen=True)
class UpgradeResult:
    from_version: int
    to_version: int
    databases: list[str]
    tables: int
    rows: int
    old_dir: Path | None  # None when there was nothing to do


def upgrade_embedded(data_dir: Path) -> UpgradeResult:
    """Copy DATA_DIR/pgdata to PostgreSQL `embedded.CURRENT_VERSION` (see the module doc)."""
    target = embedded.CURRENT_VERSION
    pgdata = embedded.pgdata_dir(data_dir)
    version = embedded.data_version(data_dir)
    if version is None:
        raise LocalDatabaseError(
            f"There is no embedded database in {pgdata}.",
            hint=f"Nothing to upgrade: the next command creates one on PostgreSQL {target}. "
            "Check DATA_DIR if you expected one here.",
        )
    if version == target:
        return UpgradeResult(version, target, [], 0, 0, None)
    _refuse_if_in_use(pgdata)
    staging = data_dir / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # a failed earlier attempt, never the live one
    try:
        old_server = embedded.start(data_dir, version=version)
        new_server = embedded.start(staging, version=target)
        old_admin, new_admin = str(old_server.get_uri()), str(new_server.get_uri())
        with db.connect(new_admin, autocommit=True) as conn:
            db.ensure_roles(conn)  # the copies' grants name them (roles are per server)
        databases = _databases(old_admin)
        counts: dict[str, dict[str, int]] = {}
        for name in databases:
            log.info("copying database %s to PostgreSQL %s", name, target)
            if name != "postgres":
                db.ensure_database(new_admin, name)
            old_url = embedded.with_database(old_admin, name)
            new_url = embedded.with_database(new_admin, name)
            _copy(old_url, new_url, name)
            counts[name] = _row_counts(old_url)
            if _row_counts(new_url) != counts[name]:
                raise LocalDatabaseError(
                    f"The copy of database {name} does not have the same rows as the original.",
                    hint="Nothing changed: the old folder is still in use. Run the command "
                    "again with --debug and report its output.",
                )
        embedded.stop(staging)
        embedded.stop(data_dir)
        _refuse_if_in_use(pgdata)
        # Releasing the last handle stops a server, unless the library's list of handles
        # still names a process that died: stop both explicitly (a no-op when already down).
        for server, folder in ((new_server, staging / "pgdata"), (old_server, pgdata)):
            if (folder / "postmaster.pid").exists():
                server.stop()
        _refuse_if_running(pgdata)
        old_dir = _free_name(data_dir / f"pgdata.pg{version}")
        pgdata.rename(old_dir)
        (staging / "pgdata").rename(pgdata)
    except BaseException:
        embedded.stop(staging)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    embedded.server_url(data_dir)  # the new folder starts on its own
    embedded.stop(data_dir)
    return UpgradeResult(
        from_version=version,
        to_version=target,
        databases=databases,
        tables=sum(len(tables) for tables in counts.values()),
        rows=sum(sum(tables.values()) for tables in counts.values()),
        old_dir=old_dir,
    )


def _databases(admin_url: str) -> list[str]:
    with db.connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate "
            "ORDER BY datname"
        ).fetchall()
    return [row[0] for row in rows]


def _row_counts(url: str) -> dict[str, int]:
    """Exact row count of every table of the database, by schema-qualified name."""
    with db.connect(url) as conn:
        tables = conn.execute(
            """SELECT schemaname, relname FROM pg_stat_user_tables
               ORDER BY schemaname, relname"""
        ).fetchall()
        counts = {}
        for schema, table in tables:
            query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            row = conn.execute(query).fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def _copy(old_url: str, new_url: str, name: str) -> None:
    """pg_dump | pg_restore with the new engine's programs (a newer pg_dump reads older
    servers); the URLs carry no password (trust over the folder's Unix socket)."""
    programs = embedded.bin_dir(embedded.CURRENT_VERSION)
    dump = subprocess.Popen(
        [str(programs / "pg_dump"), "--format=custom", "--dbname", old_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        restore = subprocess.run(
            [str(programs / "pg_restore"), "--exit-on-error", "--no-owner", "--dbname", new_url],
            stdin=dump.stdout,
            capture_output=True,
            timeout=COPY_TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        if dump.stdout is not None:
            dump.stdout.close()
        dump_error = dump.stderr.read() if dump.stderr is not None else b""
        if dump.wait(timeout=60) != 0 and not dump_error:
            dump_error = b"pg_dump failed"
    problem = dump_error.strip() if dump.returncode else restore.stderr.strip()
    if dump.returncode or restore.returncode:
        first = problem.decode(errors="replace").splitlines()[:1] or ["failed"]
        raise LocalDatabaseError(
            f"Could not copy database {name} to PostgreSQL {embedded.CURRENT_VERSION}: {first[0]}",
            hint="Nothing changed: the old folder is still in use. Check free disk space, "
            "then run `allpfit db upgrade-embedded` again.",
        )


def _live_handles(pgdata: Path) -> list[int]:
    """Other processes holding the server (the library's list of handles, dead ones left out)."""
    try:
        pids = json.loads((pgdata / ".handle_pids.json").read_text() or "[]")
    except (OSError, ValueError):
        return []
    alive = []
    for pid in pids:
        if not isinstance(pid, int) or pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass  # exists, owned by someone else
        alive.append(pid)
    return alive


def _refuse_if_in_use(pgdata: Path) -> None:
    others = _live_handles(pgdata)
    if others:
        raise LocalDatabaseError(
            f"The embedded database is in use by process {', '.join(map(str, others))} "
            "(the dashboard, the scheduler or another allpfit command).",
            hint="Stop them (e.g. `systemctl stop allpfit-dashboard allpfit-pipeline.timer`, "
            "or Ctrl+C), then run `allpfit db upgrade-embedded` again.",
        )


def _refuse_if_running(pgdata: Path) -> None:
    """After our handles are released the old server must be down before its folder moves."""
    if (pgdata / "postmaster.pid").exists():
        raise LocalDatabaseError(
            "Another process started using the embedded database during the upgrade.",
            hint="Nothing changed. Stop the other allpfit processes and run "
            "`allpfit db upgrade-embedded` again.",
        )


def _free_name(path: Path) -> Path:
    """`path`, or `path.1`, `path.2`... the first that does not exist (never overwrite)."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
        if n > 1000:
            raise LocalDatabaseError(
                f"Too many old embedded folders beside {path}.",
                hint="Delete the old pgdata.pg* folders you no longer need.",
            )
    return candidate
