"""Visit days from Portuguese text: relative words, weekdays, day of month, explicit dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from allpfit.analysis.visit_date import local_day, resolve_date

WED = date(2026, 6, 10)  # a Wednesday
SAT = date(2026, 6, 13)
NEW_YEARS_EVE = date(2026, 12, 31)  # a Thursday
JAN_31 = date(2026, 1, 31)

CASES = [
    # relative words (slang, no accents, repeated letters)
    ("hoje às 19h", WED, WED),
    ("hj 19h", WED, WED),
    ("amanhã", WED, date(2026, 6, 11)),
    ("amanha de manha", WED, date(2026, 6, 11)),
    ("amnh", WED, date(2026, 6, 11)),
    ("de manhã", WED, None),  # "in the morning", not "tomorrow"
    ("depois de amanhã", WED, date(2026, 6, 12)),
    ("dps de amanha", WED, date(2026, 6, 12)),
    ("amanhã", NEW_YEARS_EVE, date(2027, 1, 1)),
    # weekdays: the next such day, never today
    ("sexta", WED, date(2026, 6, 12)),
    ("sexta-feira", WED, date(2026, 6, 12)),
    ("terça-feira", WED, date(2026, 6, 16)),
    ("terca", WED, date(2026, 6, 16)),
    ("quarta", WED, date(2026, 6, 17)),
    ("sábado", SAT, date(2026, 6, 20)),
    ("sabado", WED, SAT),
    ("sab de manha", WED, SAT),
    ("SÁBADOOO", WED, SAT),
    ("próximo domingo", WED, date(2026, 6, 14)),
    ("segunda que vem", WED, date(2026, 6, 15)),
    ("6ª feira", WED, date(2026, 6, 12)),
    ("sexta", NEW_YEARS_EVE, date(2027, 1, 1)),
    # day of month: the next one, today included
    ("dia 12", WED, date(2026, 6, 12)),
    ("dia 10", WED, WED),
    ("dia 3", WED, date(2026, 7, 3)),
    ("dia 5", NEW_YEARS_EVE, date(2027, 1, 5)),
    ("dia 31", WED, date(2026, 7, 31)),  # June has 30 days
    ("dia 30", JAN_31, date(2026, 3, 30)),  # February has none
    ("dia 45", WED, None),
    # day/month, day/month/year, "3 de dezembro"
    ("12/12", WED, date(2026, 12, 12)),
    ("5/6", WED, date(2027, 6, 5)),  # already past this year
    ("2/1", NEW_YEARS_EVE, date(2027, 1, 2)),
    ("12/12/2026", WED, date(2026, 12, 12)),
    ("12/12/26", WED, date(2026, 12, 12)),
    ("10/06/2025", WED, None),  # an explicit past day is not a booking
    ("10/06/2028", WED, None),  # nor one more than a year ahead
    ("31/02", WED, None),
    ("dia 3 de dezembro", WED, date(2026, 12, 3)),
    ("3 de março", WED, date(2027, 3, 3)),
    ("3 de marco de 2027", WED, date(2027, 3, 3)),
    ("dia 15 de jun", WED, date(2026, 6, 15)),
    # ranges, negation, several expressions, things that are not days
    ("de segunda a sexta das 6h às 22h", WED, None),
    ("hoje não dá, pode ser amanhã?", WED, date(2026, 6, 11)),
    ("não posso sábado, só domingo", WED, date(2026, 6, 14)),
    ("hoje, quarta-feira, às 19h", WED, WED),
    ("sexta, dia 12", WED, date(2026, 6, 12)),
    ("segunda vez que tento", WED, None),
    ("semana que vem", WED, None),
    ("funcionamos 24/7", WED, None),
    ("às 19h", WED, None),
    ("Agendado! ✅ Sua aula experimental é sexta-feira às 7h.", WED, date(2026, 6, 12)),
    ("Perfeito, Ana! Te esperamos dia 12 às 7h.", WED, date(2026, 6, 12)),
]


@pytest.mark.parametrize(("text", "today", "expected"), CASES)
def test_visit_day_is_resolved_from_the_text(text: str, today: date, expected: date | None) -> None:
    assert resolve_date(text, today) == expected


def test_the_day_is_the_business_time_zone_day_of_the_message() -> None:
    late = datetime(2026, 6, 11, 2, 30, tzinfo=UTC)  # 23:30 on June 10 in São Paulo
    assert local_day(late, ZoneInfo("America/Sao_Paulo")) == WED
    assert local_day(late, ZoneInfo("UTC")) == date(2026, 6, 11)
    assert local_day(None, ZoneInfo("UTC")) is None
