"""pt-BR formatting, phone masking and conversation rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from allpfit.dashboard import texts


def test_numbers_dates_and_percentages_in_brazilian_format() -> None:
    assert texts.fmt_int(1234567) == "1.234.567"
    assert texts.fmt_int(None) == texts.EMPTY
    assert texts.fmt_pct(0.125) == "12,5%"
    assert texts.fmt_decimal(1234.5) == "1.234,5"
    assert texts.fmt_date(date(2026, 11, 25)) == "25/11/2026"
    assert (
        texts.fmt_datetime(datetime(2026, 11, 25, 2, 30, tzinfo=UTC), "America/Sao_Paulo")
        == "24/11/2026 23:30"
    )


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+5511987654321", "+55 11 •••••-4321"),
        ("55 (21) 98765-4321", "+55 21 •••••-4321"),
        ("+351912345678", "••••••••5678"),
        ("123", "•••"),
        (None, ""),
    ],
)
def test_phone_masking_keeps_area_code_and_last_four(raw: str | None, masked: str) -> None:
    assert texts.mask_phone(raw) == masked


def test_conversation_text_names_each_speaker_and_skips_system_messages() -> None:
    messages = [
        {"sender": "contact", "text": "Oi\nquero  treinar"},
        {"sender": "system", "text": "Conversa atribuída"},
        {"sender": "bot", "text": "Olá!"},
        {"sender": "agent", "text": None},
        {"sender": "agent", "text": "Sou a Júlia"},
    ]
    assert (
        texts.conversation_text(messages, None)
        == "Lead: Oi quero treinar / Bot: Olá! / Atendente: Sou a Júlia"
    )
    short = texts.conversation_text(messages, 12)
    assert short == "Lead: Oi qu…" and len(short) == 12
    assert texts.conversation_text([], 10) == ""


def test_a_name_that_is_a_phone_is_masked_with_the_phones() -> None:
    assert texts.mask_name("+551183476177", mask=True) == "+55 11 •••••-6177"
    assert texts.mask_name("+551183476177", mask=False) == "+551183476177"
    assert texts.mask_name("Ana 2", mask=True) == "Ana 2"
    assert texts.mask_name("", mask=True) == ""
