"""Pure Plotly figure builders: a small DataFrame (or dataclass) in, a figure out.

Each builder handles the empty case itself, returning a figure that says there is nothing to
show instead of an empty grid, so a page never has to special-case a chart.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from allpfit import ptbr
from allpfit.dashboard import texts
from allpfit.dashboard.queries import Funnel

ACCENT = "#FF6B2C"  # AllpFit orange, as in .streamlit/config.toml
SECOND = "#4CC9F0"
MUTED = "#8A8F98"
LAYOUT = {
    "template": "plotly_dark",
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
    "height": 340,
    "separators": ",.",  # pt-BR: decimal comma, thousands dot
}


def empty_figure(title: str, message: str = texts.NO_DATA) -> go.Figure:
    """A blank figure with `message` in the middle: the empty state of every chart."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": MUTED},
    )
    fig.update_layout(title=title, **LAYOUT)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def is_empty(fig: go.Figure) -> bool:
    """True for figures made by `empty_figure` (used by tests and pages)."""
    return not fig.data


def integer_ticks(values: pd.Series) -> dict[str, object]:
    """Counts are whole numbers: with small maxima, tick every 1 instead of 0,5 steps."""
    return {"dtick": 1} if values.max() <= 6 else {"tickformat": ",d"}


def trend(values: pd.Series) -> np.ndarray:
    """Least-squares straight line through `values` (index = position), same length."""
    y = values.to_numpy(dtype=float)
    x = np.arange(len(y), dtype=float)
    if len(y) < 2:
        return y
    slope, intercept = np.polyfit(x, y, 1)
    return np.asarray(slope * x + intercept)


def leads_per_day(frame: pd.DataFrame, today: date | None = None) -> go.Figure:
    """Bars of leads per day (`dia`, `leads`) with a linear trend line.

    `today` (the business date) is still going on: its bar is drawn apart, muted and named
    "Hoje (parcial)", and the trend is fitted on the complete days only. Counting a day that
    has only started made every short view end in a "collapse".
    """
    if frame.empty or int(frame["leads"].sum()) == 0:
        return empty_figure(texts.CHART_LEADS_PER_DAY)
    days = pd.to_datetime(frame["dia"])
    partial = (
        (frame["dia"] == today).to_numpy() if today is not None else np.zeros(len(frame), bool)
    )
    complete = ~partial
    fig = go.Figure()
    fig.add_bar(
        x=days[complete],
        y=frame["leads"][complete],
        name=texts.CHART_LEADS,
        marker_color=ACCENT,
        hovertext=[
            texts.leads_on(d, n)
            for d, n in zip(days[complete], frame["leads"][complete], strict=True)
        ],
        hoverinfo="text",
    )
    if partial.any():
        fig.add_bar(
            x=days[partial],
            y=frame["leads"][partial],
            name=texts.CHART_TODAY_PARTIAL,
            marker={"color": MUTED, "pattern": {"shape": "/"}},
            hovertext=[
                f"{texts.leads_on(d, n)} ({texts.CHART_TODAY_PARTIAL.lower()})"
                for d, n in zip(days[partial], frame["leads"][partial], strict=True)
            ],
            hoverinfo="text",
        )
    if complete.sum() >= 2:
        fig.add_scatter(
            x=days[complete],
            y=trend(frame["leads"][complete].reset_index(drop=True)),
            name=texts.CHART_TREND,
            mode="lines",
            line={"color": SECOND, "width": 3, "dash": "dash"},
            hoverinfo="skip",
        )
    fig.update_layout(
        title=texts.CHART_LEADS_PER_DAY,
        barmode="overlay",
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        **LAYOUT,
    )
    fig.update_xaxes(tickformat="%d/%m", title=None)
    fig.update_yaxes(title=texts.CHART_LEADS, rangemode="tozero", **integer_ticks(frame["leads"]))
    return fig


def by_period(frame: pd.DataFrame) -> go.Figure:
    """Bars of conversations per period of day (`periodo`, `conversas`)."""
    if frame.empty or int(frame["conversas"].sum()) == 0:
        return empty_figure(texts.CHART_PERIOD)
    labels = [texts.PERIODS.get(p, p) for p in frame["periodo"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=frame["conversas"],
            marker_color=ACCENT,
            text=frame["conversas"],
            textposition="outside",
            hovertext=[
                f"{label}: {ptbr.count_of(n, 'conversa', 'conversas')}"
                for label, n in zip(labels, frame["conversas"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    fig.update_layout(title=texts.CHART_PERIOD, showlegend=False, **LAYOUT)
    fig.update_xaxes(title=None)
    fig.update_yaxes(
        title=texts.CHART_CONVERSATIONS, rangemode="tozero", **integer_ticks(frame["conversas"])
    )
    return fig


def funnel(stages: Funnel) -> go.Figure:
    """Funnel lead → scheduled visit → sale, with percentages of the first stage."""
    if stages.leads == 0:
        return empty_figure(texts.CHART_FUNNEL)
    fig = go.Figure(
        go.Funnel(
            y=list(texts.FUNNEL_STAGES),
            x=[stages.leads, stages.visitas, stages.vendas],
            textinfo="value+percent initial",
            marker={"color": [ACCENT, "#FF9F1C", SECOND]},
        )
    )
    fig.update_layout(title=texts.CHART_FUNNEL, **LAYOUT)
    return fig


def conversion_by_score(frame: pd.DataFrame) -> go.Figure:
    """Conversion rate per AI probability score (`probabilidade`, `conversas`, `vendas`, `taxa`)."""
    if frame.empty or int(frame["conversas"].sum()) == 0:
        return empty_figure(texts.CHART_SCORE)
    rates = frame["taxa"].astype(float).fillna(0.0)
    labels = [
        f"{texts.fmt_pct(r)}<br>{texts.fmt_int(v)}/{texts.fmt_int(c)}" if c else ""
        for r, v, c in zip(rates, frame["vendas"], frame["conversas"], strict=True)
    ]
    scores = [texts.SCORE_NONE if pd.isna(p) else str(int(p)) for p in frame["probabilidade"]]
    fig = go.Figure(
        go.Bar(
            x=scores,
            y=rates * 100,
            text=labels,
            textposition="outside",
            marker_color=ACCENT,
            hovertext=[
                texts.score_hover(label, r, v, c)
                for label, r, v, c in zip(
                    scores, rates, frame["vendas"], frame["conversas"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    fig.update_layout(title=texts.CHART_SCORE, showlegend=False, **LAYOUT)
    fig.update_xaxes(title=texts.CHART_SCORE_AXIS, type="category")
    fig.update_yaxes(title=texts.CHART_RATE, ticksuffix="%", rangemode="tozero")
    return fig


# --- CSAT, bot and traffic reports --------------------------------------------------------


def csat_distribution(by_rating: tuple[int, ...]) -> go.Figure:
    """Bars of CSAT responses per rating 1-5 (`CsatSummary.by_rating`), with each bar's share."""
    total = sum(by_rating)
    if total == 0:
        return empty_figure(texts.CHART_CSAT)
    labels = [texts.CSAT_RATING_LABELS[r] for r in range(1, 6)]
    counts = list(by_rating)
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            marker_color=["#E63946", "#F4A261", MUTED, "#90BE6D", "#43AA8B"],
            text=[f"{texts.fmt_int(n)} ({texts.fmt_pct(n / total)})" for n in counts],
            textposition="outside",
            hoverinfo="skip",
        )
    )
    fig.update_layout(title=texts.CHART_CSAT, showlegend=False, **LAYOUT)
    fig.update_xaxes(title=texts.CSAT_FILTER_RATING, type="category")
    fig.update_yaxes(
        title=texts.CSAT_RESPONSES, rangemode="tozero", **integer_ticks(pd.Series(counts))
    )
    return fig


def bot_per_day(frame: pd.DataFrame) -> go.Figure:
    """Bars per day (`dia`) of the bot's conversations: only the bot, handed off, resolved."""
    if frame.empty or int(frame["conversas"].sum()) == 0:
        return empty_figure(texts.CHART_BOT_DAYS)
    days = pd.to_datetime(frame["dia"])
    fig = go.Figure()
    for column, color in (("so_bot", ACCENT), ("transferidas", SECOND), ("resolvidas_bot", MUTED)):
        fig.add_bar(x=days, y=frame[column], name=texts.BOT_SERIES[column], marker_color=color)
    fig.update_layout(
        title=texts.CHART_BOT_DAYS,
        barmode="group",
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        **LAYOUT,
    )
    fig.update_xaxes(tickformat="%d/%m", title=None)
    fig.update_yaxes(
        title=texts.CHART_CONVERSATIONS, rangemode="tozero", **integer_ticks(frame["conversas"])
    )
    return fig


def traffic_heatmap(grid: pd.DataFrame) -> go.Figure:
    """Weekday (rows, Monday first) × hour (columns 0-23) heatmap of conversation counts."""
    if grid.empty or int(grid.to_numpy().sum()) == 0:
        return empty_figure(texts.CHART_HEATMAP)
    days = [texts.WEEKDAY_NAMES[int(d)] for d in grid.index]
    hours = [f"{int(h):02d}h" for h in grid.columns]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=hours,
            y=days,
            colorscale=[[0, "rgba(255,107,44,0.04)"], [1, ACCENT]],
            hovertemplate="%{y} %{x}: %{z}<extra></extra>",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(title=texts.CHART_HEATMAP, **{**LAYOUT, "height": 360})
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return fig


def first_response_buckets(totals: dict[str, int]) -> go.Figure:
    """Bars of first responses per Chatwoot bucket (`traffic.bucket_totals`)."""
    if sum(totals.values()) == 0:
        return empty_figure(texts.CHART_FRT)
    labels = [texts.FRT_BUCKET_LABELS[k] for k in totals]
    values = list(totals.values())
    fig = go.Figure(
        go.Bar(x=labels, y=values, marker_color=ACCENT, text=values, textposition="outside")
    )
    fig.update_layout(title=texts.CHART_FRT, showlegend=False, **LAYOUT)
    fig.update_xaxes(title=None, type="category")
    fig.update_yaxes(
        title=texts.CHART_CONVERSATIONS, rangemode="tozero", **integer_ticks(pd.Series(values))
    )
    return fig
