"""The grid of KPI cards the overview and the daily page share: two rows of three."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import texts

Card = tuple[str, int, str]  # label, value, help text


def kpi_grid(cards: list[Card]) -> None:
    for row in (cards[:3], cards[3:]):
        for column, (label, value, help_text) in zip(st.columns(3), row, strict=True):
            column.metric(label, texts.fmt_int(value), help=help_text, border=True)
