"""The pure pieces of the CSAT, bot and traffic pages: durations, the freshness line, the
colour of a card's "vs ontem"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from allpfit.config import Settings
from allpfit.dashboard import cards, freshness, texts


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (59.4, "59 s"),
        (60, "1 min"),
        (900, "15 min"),
        (3599, "1 h 00 min"),  # 59.98 min rounds to the hour
        (7500, "2 h 05 min"),
        (90000, "1 d 1 h"),
    ],
)
def test_durations_read_in_portuguese(seconds: float | None, shown: str) -> None:
    assert texts.fmt_duration(seconds) == shown


def test_freshness_line_uses_the_schedulers_timetable(settings: Settings) -> None:
    settings = settings.model_copy(update={"schedule_minute": 2, "schedule_every_hours": 1})
    now = datetime(2026, 11, 29, 17, 5, tzinfo=UTC)  # 14:05 in São Paulo
    last = datetime(2026, 11, 29, 16, 2, 30, tzinfo=UTC)
    assert freshness.line(last, settings, "America/Sao_Paulo", now) == (
        "Dados atualizados em 29/11/2026 13:02 · próxima atualização automática às 29/11/2026 15:02"
    )
    at_the_minute = datetime(2026, 11, 29, 17, 2, tzinfo=UTC)  # a run starting now: the next
    assert freshness.next_update(settings, at_the_minute) == datetime(
        2026, 11, 29, 18, 2, tzinfo=UTC
    )
    assert freshness.line(None, settings, "America/Sao_Paulo", now).startswith(
        texts.DATA_NEVER_UPDATED
    )


def test_a_fall_is_red_a_rise_green_nothing_grey() -> None:
    assert cards._color("▲ 12% vs ontem") == "green"
    assert cards._color("▼ 5% vs ontem") == "red"
    assert cards._color("= vs ontem") == "gray"
    assert cards._color("— vs ontem") == "gray"
    assert cards._color(None) == "gray"
