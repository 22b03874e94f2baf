"""One contract, both analyzers: a Conversation in, an Analysis with a valid LeadProfile out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from allpfit.analysis.analyzer import Analysis, Analyzer, Conversation, Message
from allpfit.analysis.llm import LlmAnalyzer
from allpfit.analysis.profile import CONDICOES, OBJETIVOS, LeadProfile
from allpfit.analysis.rules import RuleAnalyzer
from tests.fakes.llm_server import FakeLLM, serve

CONVERSATIONS = [
    Conversation(1, "Ana", (Message("contact", "oi"),)),
    Conversation(2, None, (Message("contact", "quero emagrecer, qnto custa?"),
                           Message("bot", "R$ 99 por mês"), Message("contact", "caro demais"))),
    Conversation(3, "5511999990000", (Message("bot", "Olá!"), Message("contact", "👍"))),
]  # fmt: skip


@pytest.fixture(params=["rules", "openai"])
def analyzer(request: pytest.FixtureRequest) -> Iterator[Analyzer]:
    if request.param == "rules":
        yield RuleAnalyzer()
        return
    with serve(FakeLLM()) as fake:
        yield LlmAnalyzer(api_key="sk-test", model="fake-model", base_url=fake.url, timeout=5)


def test_analyzer_contract(analyzer: Analyzer) -> None:
    async def go() -> list[Analysis]:
        try:
            return [await analyzer.analyze(c) for c in CONVERSATIONS]
        finally:
            await analyzer.aclose()

    results = asyncio.run(go())
    assert analyzer.provider in {"rules", "openai"} and analyzer.model
    assert [r.conversation_id for r in results] == [1, 2, 3]
    for result in results:
        profile = result.profile
        assert isinstance(profile, LeadProfile)
        LeadProfile.model_validate(profile.model_dump())  # still valid when re-read
        assert 0 <= profile.probabilidade_conversao <= 5
        assert profile.condicao_fisica in (*CONDICOES, None)
        assert profile.objetivo in (*OBJETIVOS, None)
        assert len(profile.analise_ia.split("\n\n")) == 5
        assert len(profile.sugestao_disparo) >= 10
        assert result.usage.prompt_tokens >= 0 and result.usage.cost_usd >= 0
