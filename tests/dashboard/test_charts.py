"""Chart builders: data in, figure out; each chart says so when there is nothing to show."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from allpfit.dashboard import charts, texts
from allpfit.dashboard.queries import Funnel

DAYS = [date(2026, 6, 1) + timedelta(days=i) for i in range(5)]


@pytest.mark.parametrize(
    "figure",
    [
        charts.leads_per_day(pd.DataFrame({"dia": DAYS, "leads": [0] * 5})),
        charts.leads_per_day(pd.DataFrame(columns=["dia", "leads"])),
        charts.by_period(pd.DataFrame({"periodo": ["manhã"], "conversas": [0]})),
        charts.funnel(Funnel(0, 0, 0)),
        charts.conversion_by_score(
            pd.DataFrame(
                {
                    "probabilidade": [0, 1],
                    "conversas": [0, 0],
                    "vendas": [0, 0],
                    "taxa": [None, None],
                }
            )
        ),
    ],
)
def test_every_chart_has_an_empty_state(figure: object) -> None:
    assert charts.is_empty(figure)  # type: ignore[arg-type]
    assert figure.layout.annotations[0].text == texts.NO_DATA  # type: ignore[attr-defined]


def test_leads_per_day_draws_bars_and_a_rising_trend() -> None:
    fig = charts.leads_per_day(pd.DataFrame({"dia": DAYS, "leads": [1, 2, 3, 4, 5]}))
    bars, line = fig.data
    assert list(bars.y) == [1, 2, 3, 4, 5]
    assert list(line.y) == pytest.approx([1, 2, 3, 4, 5])
    assert line.name == texts.CHART_TREND


def test_trend_of_a_single_point_is_the_point() -> None:
    assert list(charts.trend(pd.Series([7]))) == [7]


def test_period_chart_uses_portuguese_labels_in_day_order() -> None:
    frame = pd.DataFrame(
        {"periodo": ["madrugada", "manhã", "tarde", "noite"], "conversas": [0, 2, 2, 1]}
    )
    assert list(charts.by_period(frame).data[0].x) == ["Madrugada", "Manhã", "Tarde", "Noite"]


def test_funnel_stages_in_order() -> None:
    fig = charts.funnel(Funnel(10, 4, 1))
    assert list(fig.data[0].y) == list(texts.FUNNEL_STAGES) and list(fig.data[0].x) == [10, 4, 1]


def test_score_chart_shows_rates_as_percentages() -> None:
    frame = pd.DataFrame(
        {"probabilidade": [0, 5], "conversas": [0, 8], "vendas": [0, 1], "taxa": [None, 0.125]}
    )
    bar = charts.conversion_by_score(frame).data[0]
    assert list(bar.y) == [0.0, 12.5]
    assert bar.text[1] == "12,5%<br>1/8" and bar.text[0] == ""
