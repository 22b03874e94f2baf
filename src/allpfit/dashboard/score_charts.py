"""The "Qualidade do score" page's figures: conversion by score with Wilson intervals, and the
reliability diagram of the calibrated probabilities. Pure Plotly builders like `charts.py`
(its layout and empty state), fed by `crm.calibration`'s dataclasses.
"""

from __future__ import annotations

import plotly.graph_objects as go

from allpfit import ptbr
from allpfit.crm.calibration import Calibration, ScoreRate
from allpfit.dashboard import texts
from allpfit.dashboard.charts import ACCENT, LAYOUT, MUTED, SECOND, empty_figure


def _errors(points: list[tuple[float, tuple[float, float] | None]]) -> dict[str, object]:
    """Asymmetric error bars (in percent) from each value's interval."""
    plus = [(i[1] - v) * 100 if i else 0 for v, i in points]
    minus = [(v - i[0]) * 100 if i else 0 for v, i in points]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


def rates_by_score(rates: list[ScoreRate]) -> go.Figure:
    """Bars of the conversion rate of each score, with its 95% Wilson interval."""
    shown = [r for r in rates if r.leads]
    if not shown:
        return empty_figure(texts.SCORE_RATES_TITLE)
    values = [r.rate or 0.0 for r in shown]
    fig = go.Figure(
        go.Bar(
            x=[str(r.score) for r in shown],
            y=[v * 100 for v in values],
            error_y=_errors([(v, r.interval) for v, r in zip(values, shown, strict=True)]),
            text=[
                f"{texts.fmt_pct(v)}<br>{r.sales}/{r.leads}"
                for v, r in zip(values, shown, strict=True)
            ],
            textposition="outside",
            marker_color=ACCENT,
            hoverinfo="text",
            hovertext=[
                f"Score {r.score}: {ptbr.count_of(r.sales, *texts.SALE_WORDS)} em "
                f"{ptbr.count_of(r.leads, *texts.LEAD_COUNT_WORDS)} ({texts.fmt_pct(v)})"
                for v, r in zip(values, shown, strict=True)
            ],
        )
    )
    fig.update_layout(title=texts.SCORE_RATES_TITLE, showlegend=False, **LAYOUT)
    fig.update_xaxes(title=texts.SCORE_AXIS, type="category")
    fig.update_yaxes(title=texts.SCORE_RATE_AXIS, ticksuffix="%", rangemode="tozero")
    return fig


def reliability(calibration: Calibration | None) -> go.Figure:
    """Predicted (calibrated on earlier months) vs observed rate in the held-out month, one
    point per score with its Wilson interval; the diagonal is a perfect calibration."""
    if calibration is None or not calibration.reliability:
        return empty_figure(texts.SCORE_RELIABILITY_TITLE.format(mes="—"))
    points = calibration.reliability
    top = max([p.predicted for p in points] + [(p.interval or (0, 0))[1] for p in points]) * 100
    edge = min(100.0, max(5.0, top * 1.1))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, edge],
            y=[0, edge],
            mode="lines",
            line={"dash": "dash", "color": MUTED},
            name=texts.SCORE_RELIABILITY_DIAGONAL,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[p.predicted * 100 for p in points],
            y=[p.observed * 100 for p in points],
            error_y=_errors([(p.observed, p.interval) for p in points]),
            mode="markers+text",
            text=[str(p.score) for p in points],
            textposition="top center",
            marker={"size": 11, "color": SECOND},
            name="Score",
            hoverinfo="text",
            hovertext=[
                texts.SCORE_RELIABILITY_POINT.format(
                    score=p.score,
                    previsto=texts.fmt_pct(p.predicted),
                    observado=texts.fmt_pct(p.observed),
                    leads=ptbr.count_of(p.leads, *texts.LEAD_COUNT_WORDS),
                )
                for p in points
            ],
        )
    )
    month = texts.fmt_date(calibration.held_out_month)[3:]  # "11/2026"
    fig.update_layout(
        title=texts.SCORE_RELIABILITY_TITLE.format(mes=month), showlegend=False, **LAYOUT
    )
    fig.update_xaxes(title=texts.SCORE_RELIABILITY_X, ticksuffix="%", range=[0, edge])
    fig.update_yaxes(title=texts.SCORE_RELIABILITY_Y, ticksuffix="%", rangemode="tozero")
    return fig
