"""The comparison window and the ▲/▼ text every report and KPI card uses."""

from __future__ import annotations

from datetime import date

import pytest

from allpfit.dashboard import texts
from allpfit.reports.periods import previous_period


def test_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_period(date(2026, 11, 10), date(2026, 11, 16)) == (
        date(2026, 11, 3),
        date(2026, 11, 9),
    )
    # One day (the daily cards' "vs ontem") → yesterday, across a month end.
    assert previous_period(date(2026, 3, 1), date(2026, 3, 1)) == (
        date(2026, 2, 28),
        date(2026, 2, 28),
    )
    # A whole month of 30 days → the 30 days before it, not "the previous month".
    assert previous_period(date(2026, 6, 1), date(2026, 6, 30)) == (
        date(2026, 5, 2),
        date(2026, 5, 31),
    )


def test_previous_period_refuses_a_reversed_period() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        previous_period(date(2026, 6, 2), date(2026, 6, 1))


@pytest.mark.parametrize(
    ("current", "previous", "versus", "text"),
    [
        (112, 100, texts.VERSUS_YESTERDAY, "▲ 12% vs ontem"),
        (95, 100, texts.VERSUS_PREVIOUS, "▼ 5% vs período anterior"),
        (7, 7, texts.VERSUS_YESTERDAY, "= vs ontem"),
        (0, 3, texts.VERSUS_YESTERDAY, "▼ 100% vs ontem"),
        (1004, 1000, texts.VERSUS_YESTERDAY, "▲ 0,4% vs ontem"),
        (13000, 10, texts.VERSUS_YESTERDAY, "▲ 129.900% vs ontem"),
        (12.5, 10.0, texts.VERSUS_PREVIOUS, "▲ 25% vs período anterior"),
        (5, 0, texts.VERSUS_YESTERDAY, "—"),
        (5, None, texts.VERSUS_YESTERDAY, "—"),
        (None, 5, texts.VERSUS_YESTERDAY, "—"),
    ],
)
def test_delta_text(current: float | None, previous: float | None, versus: str, text: str) -> None:
    assert texts.delta(current, previous, versus) == text
