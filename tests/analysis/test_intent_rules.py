"""The offline analyzer classifies why the contact wrote (profile.INTENTS), on hand-written pt-BR
conversations of every class (tests/analysis/data/intents.json), with a per-class accuracy floor.

The floor is below 100 % on purpose: the set holds hard cases (a lead saying "não quero
cancelar nada", an objection and an opt-out in one message), and the test is meant to catch a
lexicon change that breaks a class, not to pin every sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allpfit.analysis.analyzer import Conversation, Message
from allpfit.analysis.profile import INTENTS, NEW_LEAD, LeadProfile, parse_profile
from allpfit.analysis.rules import RuleAnalyzer

CASES = Path(__file__).parent / "data" / "intents.json"
FLOOR = 0.8  # per class; docs/analysis.md#intent states it


def _cases() -> dict[str, list[Conversation]]:
    data = json.loads(CASES.read_text(encoding="utf-8"))
    return {
        intent: [
            Conversation(n, "Contato", tuple(Message(s, t) for s, t in chat))
            for n, chat in enumerate(data[intent], 1)
        ]
        for intent in INTENTS
    }


def test_every_class_has_hand_written_cases() -> None:
    cases = _cases()
    assert set(cases) == set(INTENTS)
    assert all(len(chats) >= 8 for chats in cases.values())


@pytest.mark.parametrize("intent", INTENTS)
def test_each_class_is_recognised(intent: str) -> None:
    analyzer = RuleAnalyzer()
    chats = _cases()[intent]
    got = [analyzer.profile(c).intent for c in chats]
    wrong = [(c.contact_texts, g) for c, g in zip(chats, got, strict=True) if g != intent]
    accuracy = 1 - len(wrong) / len(chats)
    assert accuracy >= FLOOR, f"{intent}: {accuracy:.0%} right; wrong: {wrong}"


def test_an_opt_out_is_never_missed_and_never_invented() -> None:
    """The costly mistakes: messaging someone who asked to stop, or silencing a buyer."""
    analyzer = RuleAnalyzer()
    cases = _cases()
    assert all(analyzer.profile(c).intent == "opt_out" for c in cases["opt_out"])
    others = [c for intent, chats in cases.items() if intent != "opt_out" for c in chats]
    assert not [c.contact_texts for c in others if analyzer.profile(c).intent == "opt_out"]


def test_who_is_not_a_new_lead_scores_zero_and_gets_no_sales_message() -> None:
    analyzer = RuleAnalyzer()
    for intent, chats in _cases().items():
        for chat in chats:
            profile = analyzer.profile(chat)
            if profile.intent == NEW_LEAD:
                continue
            assert profile.probabilidade_conversao == 0
            assert profile.sugestao_disparo.startswith("Não enviar"), (intent, profile)
    opt_out = analyzer.profile(_cases()["opt_out"][0])
    assert "pediu para não ser mais contatado" in opt_out.analise_ia


def test_a_lead_who_enrolled_and_then_asked_about_their_plan_stays_a_new_lead() -> None:
    chat = Conversation(
        1,
        "Ana",
        (
            Message("contact", "quero me matricular no plano anual"),
            Message("agent", "Feito! Bem-vinda."),
            Message("contact", "meu boleto vence quando?"),
        ),
    )
    assert RuleAnalyzer().profile(chat).intent == NEW_LEAD


def test_the_profile_reads_the_intent_loosely_and_refuses_unknown_ones() -> None:
    base = json.loads(Path(__file__).parents[1].joinpath("data/llm/chat_completion.json")
                      .read_text(encoding="utf-8"))["choices"][0]["message"]["content"]  # fmt: skip
    profile = json.loads(base)
    assert parse_profile(json.dumps(profile)).intent == NEW_LEAD  # answers from before intents
    assert parse_profile(json.dumps({**profile, "intent": None})).intent == NEW_LEAD
    member = parse_profile(
        json.dumps({**profile, "intent": "Member", "probabilidade_conversao": 4})
    )
    assert (member.intent, member.probabilidade_conversao) == ("member", 0)
    assert parse_profile(json.dumps({**profile, "intent": "opt-out"})).intent == "opt_out"
    with pytest.raises(ValueError, match="intent: must be one of new_lead"):
        parse_profile(json.dumps({**profile, "intent": "curioso"}))
    assert LeadProfile.model_fields["intent"].default == NEW_LEAD
