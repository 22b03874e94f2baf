"""Which leads the score check judges, from real matches (`crm match`) on real PostgreSQL:
a sale before the conversation never counts, young leads wait, outcomes come from lead_sales."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.crm.match import run_match
from allpfit.crm.score_check import score_check
from tests.dashboard.builder import TZ, Rows

runner = CliRunner()
TODAY = datetime.now(TZ).date()  # the business's day (TIMEZONE), as the check dates it


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.fixture
def leads(local: psycopg.Connection) -> dict[str, int]:
    """Five people, one conversation each, and what the CRM says about them:

    - ana: score 5, talked 60 days ago, signed up 50 days ago -> a sale within 30 days;
    - bia: score 1, talked 60 days ago, but a member since 70 days ago -> a sale BEFORE the
      conversation: not a sale, and not a prospect either (left out);
    - caio: score 4, talked 60 days ago, signed up 10 days ago (50 days later) -> not converted
      within the 30-day window;
    - davi: score 2, talked 10 days ago -> younger than the window (left out);
    - eva: talked 60 days ago, not analysed yet (left out).
    """
    rows = Rows(local)
    people = {
        "ana": (1, "+5511987650001", 60, 5, 50),
        "bia": (2, "+5511987650002", 60, 1, 70),
        "caio": (3, "+5511987650003", 60, 4, 10),
        "davi": (4, "+5511987650004", 10, 2, None),
        "eva": (5, "+5511987650005", 60, None, None),
    }
    for name, (cid, phone, talked, score, signed) in people.items():
        rows.conversation(cid, contact_id=cid, day=ago(talked), phone=phone)
        if score is not None:
            rows.profile(cid, probability=score)
        if signed is not None:
            rows.customer(name.title(), phone=phone, conversion=ago(signed))
    return {name: values[0] for name, values in people.items()}


def test_a_sale_before_the_conversation_never_counts(
    leads: dict[str, int], local: psycopg.Connection, local_url: str, settings: Settings
) -> None:
    run_match(local_url, settings)
    sales = {r[0] for r in local.execute("SELECT conversation_id FROM lead_sales")}
    assert sales == {leads["ana"], leads["caio"]}  # bia's signup predates her conversation

    report = score_check(local_url, settings)

    sample = report.sample
    assert sample.as_of == TODAY and sample.window_days == 30
    judged = {x.lead_id: (x.score, x.converted) for x in sample.leads}
    assert judged == {leads["ana"]: (5, True), leads["caio"]: (4, False)}
    assert dict(sample.left_out) == {"existing": 1, "young": 1, "unscored": 1}
    assert report.quality.sales == 1 and not report.quality.enough


def test_the_outcome_window_is_a_setting(
    leads: dict[str, int], local_url: str, settings: Settings
) -> None:
    run_match(local_url, settings)
    wider = settings.model_copy(update={"score_outcome_days": 55})
    judged = {x.lead_id: x.converted for x in score_check(local_url, wider).sample.leads}
    # caio's signup (50 days after) now counts; leads from 60 days ago are still old enough.
    assert judged == {leads["ana"]: True, leads["caio"]: True}


def test_the_cli_says_plainly_that_there_are_too_few_outcomes(
    leads: dict[str, int], local_url: str, settings: Settings, cli_env: dict[str, str]
) -> None:
    before = runner.invoke(app, ["crm", "score-check"])
    assert before.exit_code == 0, before.output
    assert "No CRM match has succeeded yet" in before.output

    run_match(local_url, settings)
    result = runner.invoke(app, ["crm", "score-check"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "Judged leads: 2, of which sales: 1." in text
    assert "Too few sales to judge the score: 1 (needs 10)." in text
    assert "No calibration: it needs judged leads of at least two months." in text
    assert "AUC" not in text
