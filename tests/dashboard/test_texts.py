"""pt-BR formatting, phone masking and conversation rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from allpfit import ptbr
from allpfit.analysis import report
from allpfit.analysis.rules import Signals
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
    ("raw", "shown", "masked"),
    [
        ("+5511967027336", "+55 11 96702-7336", "+55 11 •••••-7336"),
        ("55 (21) 98765-4321", "+55 21 98765-4321", "+55 21 •••••-4321"),
        ("11987654321", "+55 11 98765-4321", "+55 11 •••••-4321"),  # no country: Brazil
        ("+551134567890", "+55 11 3456-7890", "+55 11 ••••-7890"),  # landline
        ("+551183476177", "+55 11 8347-6177", "+55 11 ••••-6177"),  # before the ninth digit
        ("+351912345678", "+351 912 345 678", "+351 ••• ••5 678"),
        ("+16502530000", "+1 650-253-0000", "+1 650-•••-0000"),
        ("123", "123", "•••"),
        ("ramal 12345678", "ramal 12345678", "••••5678"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_one_phone_format_masked_or_not(raw: str | None, shown: str, masked: str) -> None:
    assert texts.format_phone(raw, mask=False) == shown
    assert texts.format_phone(raw, mask=True) == masked


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


def test_a_name_that_is_a_phone_is_shown_like_the_phones() -> None:
    assert texts.mask_name("+5511983476177", mask=True) == "+55 11 •••••-6177"
    assert texts.mask_name("+5511983476177", mask=False) == "+55 11 98347-6177"
    assert texts.mask_name("Ana 2", mask=True) == "Ana 2"
    assert texts.mask_name("", mask=True) == ""


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 mensagens"), (1, "1 mensagem"), (2, "2 mensagens"), (1500, "1.500 mensagens")],
)
def test_plurals_agree_with_the_count(count: int, text: str) -> None:
    assert ptbr.count_of(count, "mensagem", "mensagens") == text


def test_generated_texts_have_no_lazy_plurals() -> None:
    assert texts.leads_count(1, 1, 1) == "1 lead encontrado · página 1 de 1"
    assert texts.leads_count(1234, 2, 25) == "1.234 leads encontrados · página 2 de 25"
    assert texts.leads_on(date(2026, 6, 1), 1) == "01/06/2026: 1 lead"
    assert texts.score_hover("5", 0.125, 1, 8) == "Nota 5: 12,5% (1 venda em 8 conversas)"
    assert (
        texts.score_hover(texts.SCORE_NONE, 1.0, 1, 1)
        == "Sem análise: 100,0% (1 venda em 1 conversa)"
    )


@pytest.mark.parametrize(("messages", "words"), [(1, "1 mensagem"), (3, "3 mensagens")])
def test_rule_analysis_engagement_uses_real_plurals(messages: int, words: str) -> None:
    signals = Signals(contact_messages=messages, words=messages * 5, questions=1)
    text = report.write_analysis(signals)
    assert f"o lead enviou {words}, 1 com pergunta," in text
    assert "(ns)" not in text and "(s)" not in text and "(es)" not in text


def test_no_lazy_plural_is_left_in_portuguese_source_text() -> None:
    root = Path(ptbr.__file__).parent
    for path in [*root.glob("dashboard/**/*.py"), *root.glob("analysis/*.py")]:
        for pattern in ("(ns)", "(es)", "(s) "):
            assert pattern not in path.read_text(encoding="utf-8"), (path, pattern)


def test_follow_up_review_messages_use_real_plurals() -> None:
    assert texts.followups_changed(1, texts.FOLLOWUPS_APPROVED) == "1 follow-up aprovado."
    assert texts.followups_changed(6, texts.FOLLOWUPS_SKIPPED) == "6 follow-ups pulados."
    assert texts.followups_refused(1, "#4: já enviado") == "1 não pôde ser alterado: #4: já enviado"
    assert texts.followups_refused(2, "x").startswith("2 não puderam ser alterados")
