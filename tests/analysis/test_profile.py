"""LeadProfile validation: the range and enum checks that stop a manipulated answer."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from allpfit.analysis.profile import LeadProfile, ProfileInvalid, parse_profile
from tests.fakes.llm_server import valid_profile


def _parse(**overrides: Any) -> LeadProfile:
    return parse_profile(json.dumps(valid_profile(**overrides)))


def test_recorded_answer_is_a_valid_profile() -> None:
    profile = _parse()
    assert profile.probabilidade_conversao == 4
    assert profile.condicao_fisica == "Sedentário"
    assert len(profile.analise_ia.split("\n\n")) == 5


@pytest.mark.parametrize("value", [7, -1, "alta", 3.5, True, None, "5 (alta)"])
def test_probability_outside_0_to_5_or_not_a_whole_number_is_rejected(value: object) -> None:
    with pytest.raises(ProfileInvalid, match="probabilidade_conversao"):
        _parse(probabilidade_conversao=value)


@pytest.mark.parametrize("value,expected", [(3, 3), ("3", 3), (5.0, 5), (0, 0)])
def test_probability_accepts_whole_numbers_in_range(value: object, expected: int) -> None:
    assert _parse(probabilidade_conversao=value).probabilidade_conversao == expected


@pytest.mark.parametrize(
    "given,expected",
    [
        ("sedentario", "Sedentário"),
        ("AVANÇADO", "Avançado"),
        ("intermediário", "Intermediário"),
        (None, None),
        ("não informado", None),
    ],
)
def test_condition_is_mapped_onto_the_portuguese_enum(given: str | None, expected: str) -> None:
    assert _parse(condicao_fisica=given).condicao_fisica == expected


def test_unknown_condition_and_goal_are_rejected() -> None:
    with pytest.raises(ProfileInvalid) as err:
        _parse(condicao_fisica="Atleta olímpico", objetivo="Ficar rico")
    assert "condicao_fisica" in str(err.value) and "objetivo" in str(err.value)


@pytest.mark.parametrize(
    "given,expected",
    [
        ("saude/bem-estar", "Saúde/bem-estar"),
        ("Perda de Peso", "Perda de peso"),
        ("outro", "Outro"),
    ],
)
def test_goal_is_mapped_onto_the_fixed_list(given: str, expected: str) -> None:
    assert _parse(objetivo=given).objetivo == expected


def test_analysis_must_have_five_paragraphs() -> None:
    with pytest.raises(ProfileInvalid, match="5 paragraphs"):
        _parse(analise_ia="Perfil: um parágrafo só, sem engajamento, interesses nem nada mais.")


def test_five_lines_without_blank_lines_are_accepted_as_paragraphs() -> None:
    text = "\n".join(f"{t}: texto suficiente para um parágrafo." for t in "ABCDE")
    assert _parse(analise_ia=text).analise_ia.count("\n\n") == 4


def test_fenced_json_is_parsed_and_prose_is_rejected() -> None:
    fenced = "Claro!\n```json\n" + json.dumps(valid_profile()) + "\n```"
    assert parse_profile(fenced).nome_mapeado_bot == "Ana Paula"
    with pytest.raises(ProfileInvalid, match="not a JSON object"):
        parse_profile("A probabilidade é alta.")
    with pytest.raises(ProfileInvalid, match="not valid JSON"):
        parse_profile('{"probabilidade_conversao": 4,}')


def test_errors_do_not_repeat_free_text_that_may_hold_personal_data() -> None:
    with pytest.raises(ProfileInvalid) as err:
        _parse(nome_mapeado_bot="X" * 200, probabilidade_conversao=9)
    assert "XXXX" not in str(err.value)
    assert "got 9" in str(err.value)


def test_visit_date_is_an_iso_date_when_a_visit_is_scheduled() -> None:
    profile = _parse(visita_agendada=True, data_visita="2026-06-12")
    assert profile.data_visita == date(2026, 6, 12)
    assert _parse(visita_agendada=True, data_visita=None).data_visita is None
    assert _parse(visita_agendada=True, data_visita="null").data_visita is None
    assert _parse().data_visita is None  # answers and fixtures without the field stay valid
    old = valid_profile()
    del old["data_visita"]
    assert parse_profile(json.dumps(old)).data_visita is None


@pytest.mark.parametrize(
    "value", ["12/06/2026", "amanhã", "2026-6-12", "2026-02-30", "2026-06-12T19:00:00", 20260612]
)
def test_malformed_visit_date_is_rejected(value: object) -> None:
    with pytest.raises(ProfileInvalid, match="data_visita: must be an ISO date") as err:
        _parse(visita_agendada=True, data_visita=value)
    assert repr(value)[:20] in str(err.value)


def test_visit_date_without_a_scheduled_visit_is_dropped() -> None:
    profile = _parse(visita_agendada=False, data_visita="2026-06-12")
    assert profile.visita_agendada is False and profile.data_visita is None
    stored = profile.model_dump()
    assert stored["data_visita"] is None
