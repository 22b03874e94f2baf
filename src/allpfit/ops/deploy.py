"""Deployment files for running the pipeline hourly without `allpfit schedule`.

systemd: a oneshot service running `allpfit pipeline` and a timer at minute SCHEDULE_MINUTE of
every hour (Persistent=true catches up after downtime), plus a service for the dashboard.
cron: one line. Both run in the project directory so `.env` is read as usual.
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


def systemd_units(settings: Settings, workdir: Path, user: str | None = None) -> dict[str, str]:
    exe = executable()
    user_line = f"User={user}\n" if user else ""
    minute = f"{settings.schedule_minute:02d}"
    return {
        "allpfit-pipeline.service": (
            "[Unit]\nDescription=AllpFit Analytics: sync Chatwoot, analyse leads, match CRM\n"
            "After=network-online.target\nWants=network-online.target\n\n"
            f"[Service]\nType=oneshot\n{user_line}WorkingDirectory={workdir}\n"
            f"ExecStart={exe} pipeline --triggered-by scheduler\n"
        ),
        "allpfit-pipeline.timer": (
            "[Unit]\nDescription=Run the AllpFit Analytics pipeline hourly\n\n"
            f"[Timer]\nOnCalendar=*-*-* {hours(settings)}:{minute}:00\nPersistent=true\n"
            "Unit=allpfit-pipeline.service\n\n[Install]\nWantedBy=timers.target\n"
        ),
        "allpfit-dashboard.service": (
            "[Unit]\nDescription=AllpFit Analytics dashboard\nAfter=network-online.target\n\n"
            f"[Service]\n{user_line}WorkingDirectory={workdir}\n"
            f"ExecStart={exe} dashboard --host 127.0.0.1 --port 8501 --no-browser\n"
            "Restart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n"
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
