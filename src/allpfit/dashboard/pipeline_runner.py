"""Run the pipeline for one tenant from the dashboard, in the background, and report on it.

A manager's "Sincronizar agora" and the admin page's "Rodar pipeline agora" start the very
command the scheduler and an operator run, `allpfit pipeline --tenant SLUG`, as a child process:
the page run that clicked returns at once, the job keeps its own process (its own connections,
locks, run-ledger rows and log file), and a crash in it cannot take the dashboard down. A
waiter thread reaps the child and records how it ended, so any later page run, of any
session, can show the status.

The registry is per dashboard process and per tenant: a second click while the tenant's run is
alive is refused here, and a run started elsewhere (the scheduler, another dashboard process)
is refused by the job's own per-tenant advisory lock, which the child reports as a failure.
No Streamlit here.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

MAX_SECONDS = 4 * 3600  # a run still alive after this is stopped: no child lives forever
DETAIL_BYTES = 4000  # of the child's output kept for the status: its step table and errors


@dataclass(frozen=True)
class JobStatus:
    """How the latest dashboard-started run of a tenant is doing."""

    tenant_id: int
    slug: str
    started_at: datetime
    finished_at: datetime | None
    returncode: int | None
    detail: str  # the end of what the child printed: its step table, or its error

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class _Job:
    slug: str
    process: subprocess.Popen[bytes]
    output: IO[bytes]
    started_at: datetime
    finished_at: datetime | None = None
    returncode: int | None = None
    detail: str = ""
    ended: threading.Event = field(default_factory=threading.Event)


_jobs: dict[int, _Job] = {}
_lock = threading.Lock()


def command(slug: str) -> list[str]:
    """The command line of a dashboard-started run: the same entry point as the CLI's."""
    return [sys.executable, "-m", "allpfit", "pipeline", "--tenant", slug]


def start(tenant_id: int, slug: str) -> bool:
    """Start the pipeline for the tenant; False when this process already runs one for it.

    Raises OSError when the child cannot be started (the caller shows it)."""
    with _lock:
        current = _jobs.get(tenant_id)
        if current is not None and current.finished_at is None:
            return False
        output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the waiter thread)
        try:
            process = subprocess.Popen(
                command(slug),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=Path.cwd(),
            )
        except OSError:
            output.close()
            raise
        job = _Job(slug=slug, process=process, output=output, started_at=datetime.now(UTC))
        _jobs[tenant_id] = job
    threading.Thread(target=_wait, args=(job,), name=f"pipeline-{slug}", daemon=True).start()
    return True


def _wait(job: _Job) -> None:
    """Reap the child (stopping it after MAX_SECONDS) and record how it ended."""
    try:
        code = job.process.wait(timeout=MAX_SECONDS)
    except subprocess.TimeoutExpired:
        job.process.kill()
        code = job.process.wait()
    detail = _tail(job.output)
    job.output.close()
    with _lock:
        job.detail = detail
        job.returncode = code
        job.finished_at = datetime.now(UTC)
    job.ended.set()


def _tail(output: IO[bytes]) -> str:
    """The end of the child's output (at most DETAIL_BYTES): the CLI's per-tenant step table
    and its one-line, secret-masked "Error: ..." messages."""
    size = output.seek(0, 2)
    output.seek(max(0, size - DETAIL_BYTES))
    text = output.read().decode("utf-8", "replace")
    if size > DETAIL_BYTES:
        text = text.split("\n", 1)[-1]  # drop the cut first line
    return text.strip()


def status(tenant_id: int) -> JobStatus | None:
    """The latest run this process started for the tenant, or None."""
    with _lock:
        job = _jobs.get(tenant_id)
        if job is None:
            return None
        return JobStatus(
            tenant_id=tenant_id,
            slug=job.slug,
            started_at=job.started_at,
            finished_at=job.finished_at,
            returncode=job.returncode,
            detail=job.detail,
        )


def wait(tenant_id: int, timeout: float) -> JobStatus | None:
    """Block until the tenant's run ended or `timeout` seconds passed (tests, shutdown)."""
    with _lock:
        job = _jobs.get(tenant_id)
    if job is not None:
        job.ended.wait(timeout)
    return status(tenant_id)
