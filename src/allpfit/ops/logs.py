"""Logging setup: a console handler and a daily rotating file under DATA_DIR/logs.

Every record passes a filter that masks passwords in connection strings and any secret value
the settings hold (API keys, database passwords), with the same function every other output
uses (`allpfit.redaction.redact`), so a secret never reaches a log line.

The file keeps everything: full messages and tracebacks. The console is for a person: warnings
only, one line each, no traceback (`--debug` shows everything). Errors are not echoed there
because they are the command's outcome, which the CLI prints once as `Error: ...` (and the
pipeline and the scheduler print as their summary): one line, once.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from urllib.parse import quote

from allpfit.config import Settings
from allpfit.errors import ConfigError
from allpfit.redaction import first_line, redact, secrets_in

LOG_FILE = "allpfit.log"


class SecretMask(logging.Filter):
    """Rewrites each record's message (and traceback) with every secret masked."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def mask(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts (a driver's error) can echo a DSN: format and mask them now.
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class ConsoleFormatter(logging.Formatter):
    """`LEVEL first line of the message`: no driver detail lines, no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname} {first_line(record.getMessage())}"


def _below_error(record: logging.LogRecord) -> bool:
    return record.levelno < logging.ERROR


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
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, as it may appear in text: each secret setting,
    percent-encoded too, and the password(s) inside each connection string (libpq's parsing)."""
    values = []
    for name, value in settings:
        secret = getattr(value, "get_secret_value", None)
        if secret is not None:
            text = secret()
            if name.endswith("_url"):
                values += secrets_in(text)
            else:
                values += [text, quote(text, safe="")]
    return values


def setup_logging(
    settings: Settings, *, console_level: str | None = None, json_format: bool | None = None
) -> Path:
    """Configure the root logger; return the log file path. `json_format` overrides
    LOG_FORMAT."""
    path = settings.log_dir / LOG_FILE
    try:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = TimedRotatingFileHandler(
            path, when="midnight", backupCount=30, encoding="utf-8"
        )
    except OSError as exc:
        raise ConfigError(
            f"Cannot write the log file {path}: {exc.strerror or exc}. "
            f"DATA_DIR ({settings.data_dir}) must be a folder this user may write.",
            hint="Set DATA_DIR to a writable folder (or fix the owner/permissions of this one).",
        ) from None
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_allpfit", False):
            root.removeHandler(handler)
    mask = SecretMask(secrets_of(settings))
    use_json = settings.log_format == "json" if json_format is None else json_format
    file_handler.setFormatter(
        JsonFormatter()
        if use_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    )
    file_handler.setLevel(settings.log_level)
    console = logging.StreamHandler()
    console.setLevel(console_level or "WARNING")
    if console.level > logging.DEBUG:
        console.setFormatter(ConsoleFormatter())
        console.addFilter(_below_error)
    else:  # --debug: everything, with tracebacks
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handlers: list[logging.Handler] = [file_handler, console]
    for handler in handlers:
        handler.addFilter(mask)
        handler._allpfit = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(file_handler.level, console.level))
    return path
