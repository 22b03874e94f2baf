"""The grid of KPI cards the overview and the daily page share: two rows of three."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import streamlit as st

from allpfit.dashboard import texts

Card = tuple[str, int, str]  # label, value, help text


def kpi_grid(cards: list[Card], deltas: Sequence[str | None] | None = None) -> None:
    """Draw the cards; `deltas[i]` (e.g. `texts.delta(...)`, "▲ 12% vs ontem") goes under
    card i. The text carries its own arrow, so Streamlit's is off; a fall is shown in red, a
    rise in green, "—" and "=" in grey."""
    notes = list(deltas) if deltas is not None else [None] * len(cards)
    rows = (
        list(zip(cards[:3], notes[:3], strict=True)),
        list(zip(cards[3:], notes[3:], strict=True)),
    )
    for row in rows:
        for column, ((label, value, help_text), note) in zip(st.columns(3), row, strict=True):
            column.metric(
                label,
                texts.fmt_int(value),
                delta=note,
                delta_color=_color(note),
                delta_arrow="off",
                help=help_text,
                border=True,
            )


def _color(note: str | None) -> Literal["green", "red", "gray"]:
    if note is not None and note.startswith("▲"):
        return "green"
    if note is not None and note.startswith("▼"):
        return "red"
    return "gray"
