"""Brazilian Portuguese for generated text: whole numbers and plurals.

Text the gym's staff reads (the dashboard, the offline analysis) says "1 mensagem" and
"3 mensagens", never "1 mensagem(ns)". Portuguese uses the plural for zero ("0 mensagens").
Pure functions, no I/O; used by `dashboard.texts` and `analysis.report`.
"""

from __future__ import annotations


def number(value: float) -> str:
    """1234 → "1.234": a whole number with the pt-BR thousands separator."""
    return f"{round(value):,}".replace(",", ".")


def plural(count: float, singular: str, plural: str) -> str:
    """The word for `count` things: singular for exactly one, else the plural (zero included).

    Both forms are given: Portuguese plurals are too irregular to derive ("mensagem" →
    "mensagens", "visita" → "visitas", "real" → "reais")."""
    return singular if round(count) == 1 else plural


def count_of(count: float, singular: str, plural_form: str) -> str:
    """1 → "1 mensagem", 2 → "2 mensagens", 1500 → "1.500 mensagens"."""
    return f"{number(count)} {plural(count, singular, plural_form)}"
