"""Deployment files for running the pipeline hourly without `allpfit schedule`.

systemd: a oneshot service running `allpfit pipeline` and a timer at minute SCHEDULE_MINUTE of
every hour (Persistent=true catches up after downtime), plus a service for the dashboard, and
`allpfit-schedule.service`, the long-running `allpfit schedule` for those who prefer it to the
timer (enable one or the other). cron: one line. All run in the project directory so `.env` is
read as usual.

Every service restarts on failure, a bounded number of times: `RESTART` seconds apart, at most
`START_LIMIT_BURST` starts in `START_LIMIT_SECONDS` (then systemd marks the unit failed and
stops trying until the next timer run or `systemctl reset-failed`). A failed pipeline run is
retried twice before the next hourly run; `journalctl -u UNIT` shows why it failed.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from allpfit.config import Settings


def executable() -> str:
    """The `allpfit` script beside the running interpreter (the project's venv)."""
    candidate = Path(sys.executable).with_name("allpfit")
    return str(candidate) if candidate.exists() else "allpfit"


def hours(settings: Settings) -> str:
    every = settings.schedule_every_hours
    return "*" if every == 1 else f"0/{every}"


# Restart policy: (seconds between restarts, starts allowed, in this many seconds).
RESTART = {
    "pipeline": (300, 3, 3000),  # a failed hourly run is retried twice, 5 min apart
    "schedule": (30, 5, 600),
    "dashboard": (5, 5, 300),
}


def _restart(kind: str) -> tuple[str, str]:
    """(the [Unit] lines, the [Service] lines) of the restart policy of `kind`."""
    seconds, burst, interval = RESTART[kind]
    return (
        f"StartLimitIntervalSec={interval}\nStartLimitBurst={burst}\n",
        f"Restart=on-failure\nRestartSec={seconds}\n",
    )


def systemd_units(settings: Settings, workdir: Path, user: str | None = None) -> dict[str, str]:
    exe = executable()
    user_line = f"User={user}\n" if user else ""
    minute = f"{settings.schedule_minute:02d}"
    pipeline_unit, pipeline_service = _restart("pipeline")
    schedule_unit, schedule_service = _restart("schedule")
    dashboard_unit, dashboard_service = _restart("dashboard")
    return {
        "allpfit-pipeline.service": (
            "[Unit]\nDescription=AllpFit Analytics: sync Chatwoot, analyse leads, match CRM\n"
            f"After=network-online.target\nWants=network-online.target\n{pipeline_unit}\n"
            f"[Service]\nType=oneshot\n{user_line}WorkingDirectory={workdir}\n"
            f"ExecStart={exe} pipeline --triggered-by scheduler\n{pipeline_service}"
        ),
        "allpfit-pipeline.timer": (
            "[Unit]\nDescription=Run the AllpFit Analytics pipeline hourly\n\n"
            f"[Timer]\nOnCalendar=*-*-* {hours(settings)}:{minute}:00\nPersistent=true\n"
            "Unit=allpfit-pipeline.service\n\n[Install]\nWantedBy=timers.target\n"
        ),
        "allpfit-dashboard.service": (
            "[Unit]\nDescription=AllpFit Analytics dashboard\nAfter=network-online.target\n"
            f"{dashboard_unit}\n"
            f"[Service]\n{user_line}WorkingDirectory={workdir}\n"
            f"ExecStart={exe} dashboard --host 127.0.0.1 --port 8501 --no-browser\n"
            f"{dashboard_service}\n[Install]\nWantedBy=multi-user.target\n"
        ),
        "allpfit-schedule.service": (
            "[Unit]\nDescription=AllpFit Analytics scheduler (instead of allpfit-pipeline.timer)\n"
            f"After=network-online.target\nWants=network-online.target\n{schedule_unit}\n"
            f"[Service]\n{user_line}WorkingDirectory={workdir}\nExecStart={exe} schedule\n"
            f"{schedule_service}\n[Install]\nWantedBy=multi-user.target\n"
        ),
    }


def cron_line(settings: Settings, workdir: Path) -> str:
    every = settings.schedule_every_hours
    hour = "*" if every == 1 else f"*/{every}"
    log = shlex.quote(str((workdir / settings.log_dir / "cron.log").resolve()))
    return (
        f"{settings.schedule_minute} {hour} * * * cd {shlex.quote(str(workdir))} && "
        f"{shlex.quote(executable())} pipeline --triggered-by scheduler >> {log} 2>&1"
    )
