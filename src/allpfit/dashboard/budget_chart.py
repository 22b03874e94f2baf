"""The admin page's LLM spend per day (R$) of one tenant, with its budget's daily share.

A pure Plotly builder like `charts.py` (a `MonthSpend` in, a figure out), kept apart so the
budget's figure lives next to nothing else and `charts.py` stays the sales pages' library.
"""

from __future__ import annotations

import plotly.graph_objects as go

from allpfit.dashboard import texts
from allpfit.dashboard.charts import ACCENT, LAYOUT, MUTED, empty_figure
from allpfit.tenant_budget import MonthSpend


def spend_per_day(spend: MonthSpend | None) -> go.Figure:
    """Bars of R$ spent per day of the month so far; a dashed line at budget / days in the
    month (the pace that spends exactly the budget) when the tenant has one."""
    if spend is None or not spend.days:
        return empty_figure(texts.BUDGET_DAILY_TITLE)
    days = [texts.fmt_date(day) for day, _ in spend.days]
    values = [float(brl) for _, brl in spend.days]
    fig = go.Figure(
        go.Bar(
            x=days,
            y=values,
            marker_color=ACCENT,
            hovertext=[
                f"{d}: R$ {texts.fmt_decimal(v, 2)}" for d, v in zip(days, values, strict=True)
            ],
            hoverinfo="text",
            name=texts.BUDGET_AXIS,
        )
    )
    if spend.budget_brl is not None:
        share = float(spend.budget_brl) / spend.days_in_month
        fig.add_hline(
            y=share,
            line_dash="dash",
            line_color=MUTED,
            annotation_text=texts.BUDGET_LINE,
            annotation_position="top left",
        )
    fig.update_layout(title=texts.BUDGET_DAILY_TITLE, showlegend=False, **LAYOUT)
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=texts.BUDGET_AXIS, rangemode="tozero", tickprefix="R$ ")
    return fig
