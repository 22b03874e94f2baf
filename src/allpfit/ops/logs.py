"""Logging setup: a console handler and a daily rotating file under DATA_DIR/logs.

Every record passes a filter that masks passwords in URLs and any secret value the settings
hold (API keys, database passwords), so a secret never reaches a log line.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from allpfit.config import Settings

_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
LOG_FILE = "allpfit.log"


class SecretMask(logging.Filter):
    """Rewrites each record's message with URL passwords and known secrets masked."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        text = _URL_PASSWORD.sub(r"\1***@", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers (`--json` / LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str]:
    values = []
    for name, value in settings:
        secret = getattr(value, "get_secret_value", None)
        if secret is not None:
            values.append(secret())
            if name.endswith("_url"):
                match = re.search(r"://[^:/@\s]*:([^@\s]+)@", secret())
                if match:
                    values.append(match.group(1))
    return values


def setup_logging(
    settings: Settings, *, console_level: str | None = None, json_format: bool | None = None
) -> Path:
    """Configure the root logger; return the log file path. `json_format` overrides
    LOG_FORMAT."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.log_dir / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_allpfit", False):
            root.removeHandler(handler)
    mask = SecretMask(secrets_of(settings))
    file_handler = TimedRotatingFileHandler(path, when="midnight", backupCount=30, encoding="utf-8")
    use_json = settings.log_format == "json" if json_format is None else json_format
    file_handler.setFormatter(
        JsonFormatter()
        if use_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    )
    file_handler.setLevel(settings.log_level)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    console.setLevel(console_level or "WARNING")
    # The CLI logs expected errors for the file and prints them itself: not twice on screen.
    console.addFilter(lambda record: record.name != "allpfit.cli")
    handlers: list[logging.Handler] = [file_handler, console]
    for handler in handlers:
        handler.addFilter(mask)
        handler._allpfit = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(file_handler.level, console.level))
    return path
