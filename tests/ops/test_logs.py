"""Logging: daily rotating file under DATA_DIR/logs, secrets masked, optional JSON lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

import pytest

from allpfit.config import Settings
from allpfit.ops.logs import setup_logging


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        source_database_url="postgresql://reader:Src-Pa55@db.example:5432/chatwoot",
        openai_api_key="sk-live-abcdef123456",
        dashboard_password="painel-secreto",
    )
    yield settings
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_allpfit", False)]:
        root.removeHandler(handler)
        handler.close()


def _log_everything() -> None:
    log = logging.getLogger("allpfit.test")
    log.warning("connecting to %s", "postgresql://reader:Src-Pa55@db.example:5432/chatwoot")
    log.warning("key sk-live-abcdef123456 and password painel-secreto")
    log.warning("other url postgresql://bob:hunter22@localhost/x")


def test_file_rotates_daily_and_masks_every_secret(configured: Settings) -> None:
    path = setup_logging(configured)
    _log_everything()
    assert path == configured.data_dir / "logs" / "allpfit.log"
    text = path.read_text()
    for secret in ("Src-Pa55", "sk-live-abcdef123456", "painel-secreto", "hunter22"):
        assert secret not in text
    assert "postgresql://reader:***@db.example:5432/chatwoot" in text
    assert "postgresql://bob:***@localhost/x" in text
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, TimedRotatingFileHandler)]
    assert [(h.when, h.backupCount) for h in handlers] == [("MIDNIGHT", 30)]


def test_json_format_writes_one_parseable_object_per_line(configured: Settings) -> None:
    path = setup_logging(configured, json_format=True)
    _log_everything()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(entries) == 3
    assert entries[0]["level"] == "WARNING" and entries[0]["logger"] == "allpfit.test"
    assert entries[1]["message"] == "key *** and password ***"
    assert set(entries[0]) == {"time", "level", "logger", "pid", "message"}


def test_cli_json_option_and_log_format_setting(
    configured: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from allpfit.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "cli-data"))
    result = CliRunner().invoke(app, ["--json", "etl", "run"])
    assert result.exit_code == 2  # no source configured: an expected, logged failure
    lines = (tmp_path / "cli-data" / "logs" / "allpfit.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries[-1]["level"] == "ERROR"
    assert "The Chatwoot source database is not configured." in entries[-1]["message"]


def test_console_shows_warnings_on_one_line_and_leaves_errors_to_the_cli(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = setup_logging(configured)
    log = logging.getLogger("allpfit.test")
    log.warning("first line\nsecond line of a driver message")
    try:
        raise ValueError("bad DSN host=db password=Tr4ceback-Secret dbname=x")
    except ValueError:
        log.error("it broke", exc_info=True)
    assert capsys.readouterr().err == "WARNING first line\n"
    text = path.read_text()
    assert "second line of a driver message" in text  # the file keeps the full text
    assert "it broke" in text and "Traceback (most recent call last)" in text
    assert "Tr4ceback-Secret" not in text and "password=***" in text


def test_a_data_dir_in_the_way_is_a_config_error(tmp_path: Path) -> None:
    from allpfit.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = Settings(_env_file=None, data_dir=blocker)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="DATA_DIR") as caught:
        setup_logging(settings)
    assert caught.value.hint and "writable" in caught.value.hint
