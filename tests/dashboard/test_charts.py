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
    assert bars.hovertext[0] == "01/06/2026: 1 lead" and bars.hovertext[1].endswith("2 leads")


def test_todays_partial_day_is_marked_and_left_out_of_the_trend() -> None:
    # A steady 6 leads a day; today (the last day) has only started: 1 lead so far.
    frame = pd.DataFrame({"dia": DAYS, "leads": [6, 6, 6, 6, 1]})
    fig = charts.leads_per_day(frame, today=DAYS[-1])
    by_name = {trace.name: trace for trace in fig.data}
    assert list(by_name[texts.CHART_LEADS].y) == [6, 6, 6, 6]
    partial = by_name[texts.CHART_TODAY_PARTIAL]
    assert list(partial.y) == [1] and partial.marker.color == charts.MUTED
    assert "parcial" in partial.hovertext[0]
    trend = by_name[texts.CHART_TREND]
    assert list(trend.y) == pytest.approx([6, 6, 6, 6])  # flat, not a collapse
    assert len(trend.x) == 4 and pd.Timestamp(DAYS[-1]) not in list(trend.x)
    # Without today in the range every day is complete.
    past = charts.leads_per_day(frame, today=DAYS[-1] + timedelta(days=1))
    assert [t.name for t in past.data] == [texts.CHART_LEADS, texts.CHART_TREND]
    assert past.data[1].y[-1] < 6  # that last low day is real then, and the trend shows it


def test_a_range_of_only_today_has_no_trend() -> None:
    fig = charts.leads_per_day(pd.DataFrame({"dia": DAYS[:1], "leads": [3]}), today=DAYS[0])
    assert [t.name for t in fig.data] == [texts.CHART_LEADS, texts.CHART_TODAY_PARTIAL]


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


def test_score_chart_shows_conversations_not_analysed_yet() -> None:
    frame = pd.DataFrame(
        {
            "probabilidade": [0, 5, None],
            "conversas": [2, 4, 1],
            "vendas": [0, 1, 1],
            "taxa": [0.0, 0.25, 1.0],
        }
    )
    bar = charts.conversion_by_score(frame).data[0]
    assert list(bar.x) == ["0", "5", texts.SCORE_NONE]
    assert bar.hovertext[1] == "Nota 5: 25,0% (1 venda em 4 conversas)"
