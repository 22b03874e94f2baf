"""Both MemberSources (EVO API and spreadsheet) turn the same customer into the same Member."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from allpfit.crm.evo import EvoMemberSource
from allpfit.crm.excel import ExcelMemberSource
from allpfit.crm.members import Member, MemberSource
from tests.crm.conftest import Sleeps, client_for
from tests.crm.test_excel import HEADERS, write_xlsx
from tests.fakes.evo_server import FakeEvo, member, sale

PEOPLE = [
    # id, first, last, cellphone, email, register, conversion
    (1, "Ana", "Souza", "11987654321", "ana@x.test", "2026-01-05", "2026-01-08"),
    (2, "Bruno", "Lima", "(21) 8123-4567", None, "2026-01-10", None),
    (3, "Carla", "Dias", "lixo", None, "2026-01-11", None),
]


def evo_source(evo: FakeEvo, sleeps: Sleeps, tmp_path: Path) -> MemberSource:
    evo.members = [
        member(
            i,
            first,
            last,
            cellphone=cell,
            email=email,
            register=f"{reg}T08:00:00",
            conversion=conv and f"{conv}T19:00:00",
        )
        for i, first, last, cell, email, reg, conv in PEOPLE
    ]
    evo.sales = [sale(50, 2, "2026-01-12T10:00:00")]
    return EvoMemberSource(client_for(evo, sleeps))


def excel_source(evo: FakeEvo, sleeps: Sleeps, tmp_path: Path) -> MemberSource:
    rows: list[list[object]] = [HEADERS + ["Data da venda"]]
    for i, first, last, cell, email, reg, conv in PEOPLE:
        sale_day = "12/01/2026" if i == 2 else None
        rows.append([i, f"{first} {last}", cell, email, reg, conv, sale_day])
    return ExcelMemberSource(write_xlsx(tmp_path / "base.xlsx", rows))


@pytest.mark.parametrize("make", [evo_source, excel_source], ids=["evo", "excel"])
def test_sources_produce_the_same_members(
    make: Callable[[FakeEvo, Sleeps, Path], MemberSource],
    evo: FakeEvo,
    sleeps: Sleeps,
    tmp_path: Path,
) -> None:
    source = make(evo, sleeps, tmp_path)
    found: dict[str, Member] = {m.external_id: m for m in source.members()}
    ana, bruno = found["1"], found["2"]
    assert (ana.name, ana.email, ana.phone.e164) == ("Ana Souza", "ana@x.test", "+5511987654321")
    assert (ana.register_date, ana.conversion_date) == (date(2026, 1, 5), date(2026, 1, 8))
    assert (bruno.phone.e164, bruno.phone.has_ninth_digit) == ("+552181234567", False)
    assert bruno.sale_date == date(2026, 1, 12)
    assert source.source in ("evo", "excel") and all(
        m.source == source.source for m in found.values()
    )
    # Carla's phone is garbage: the spreadsheet rejects the row, the API keeps the member
    if source.source == "excel":
        assert "3" not in found and [r.row for r in source.rejects] == [4]
    else:
        assert not found["3"].phone.ok
