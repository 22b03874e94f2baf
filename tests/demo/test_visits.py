"""Demo visits carry days the rule analyzer resolves, and some fall on the demo's last day, so
the demo dashboard's "Visitas para hoje" is not empty."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from allpfit.analysis.run import run_analysis
from allpfit.analysis.visit_date import resolve_date
from allpfit.config import Settings
from allpfit.dashboard import queries
from allpfit.demo.dialogue import Cast, Dialogue
from allpfit.demo.scripts import visit_day_words
from allpfit.sync.run import run_sync
from tests.demo.conftest import END
from tests.demo.test_generator import Generated

CAST = Cast(bot_id=1, bot_name="Bot", agents=(), teams=())


def test_demo_visits_have_dates_and_some_are_for_the_last_day(
    generated: Generated, local_url: str, settings: Settings
) -> None:
    url, _ = generated
    run_sync(local_url, url)
    run_analysis(local_url, settings, provider="rules")
    last_day = END.replace(tzinfo=UTC).astimezone(ZoneInfo("America/Sao_Paulo")).date()
    with psycopg.connect(local_url) as conn:
        booked, dated, today, ahead = conn.execute(
            """SELECT count(*), count(ai.data_visita),
                      count(*) FILTER (WHERE ai.data_visita = %(day)s),
                      count(*) FILTER (WHERE ai.data_visita - ca.conversation_date
                                       NOT BETWEEN 0 AND 10)
               FROM conversas_analytics_ai ai JOIN conversas_analytics ca USING (conversation_id)
               WHERE ai.visita_agendada AND ca.labels @> ARRAY['aula_experimental']""",
            {"day": last_day},
        ).fetchone()  # type: ignore[misc]
        visits_today = queries.daily_results(conn, last_day).visitas_hoje
    assert booked >= 20
    assert dated == booked  # every demo booking names a day the rules can read
    assert ahead == 0  # ... 0 to 7 days after booking (a booking may come a day or two late)
    assert visits_today >= today >= 2  # SIZE is shared by two businesses: a few each


@pytest.mark.parametrize("seed", range(40))
def test_lead_and_bot_name_the_same_day_within_a_week(seed: int) -> None:
    rng = random.Random(seed)
    end = 1_781_100_000 + rng.randrange(7 * 86400)  # June 2026, any hour of the week
    d = Dialogue(rng, CAST, end - rng.randrange(9 * 86400), end, has_bot=True, lead_name="Ana")
    lead, bot, hour = visit_day_words(d)
    booked = datetime.fromtimestamp(d.t, ZoneInfo("America/Sao_Paulo"))
    day = resolve_date(lead, booked.date())
    assert day is not None and day == resolve_date(bot, booked.date()), (lead, bot)
    assert 0 <= (day - booked.date()).days <= 7
    if day == booked.date():
        assert hour >= booked.hour + 2  # "hoje" only for a later hour


def test_half_of_the_last_weeks_bookings_are_for_the_last_day() -> None:
    rng = random.Random(7)
    end = 1_781_100_000
    end_day = datetime.fromtimestamp(end, ZoneInfo("America/Sao_Paulo")).date()
    hits = 0
    for _ in range(400):
        start = end - rng.randrange(1, 6 * 86400)
        d = Dialogue(rng, CAST, start, end, has_bot=True, lead_name="Ana")
        lead, _, _ = visit_day_words(d)
        booked = datetime.fromtimestamp(d.t, ZoneInfo("America/Sao_Paulo")).date()
        hits += resolve_date(lead, booked) == end_day
    assert 150 <= hits <= 260
