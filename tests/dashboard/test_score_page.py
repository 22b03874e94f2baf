"""The "Qualidade do score" page (AppTest): no CRM match yet, too few outcomes to judge (said
plainly, with the thresholds), and a judged score with its calibration."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg

from allpfit.config import Settings
from allpfit.crm.match import run_match
from allpfit.dashboard import texts
from tests.dashboard.builder import Rows
from tests.dashboard.test_app import TODAY, app_env, metrics, run  # noqa: F401 (fixture)

PAGE = "app_pages/score.py"


def _month_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


def _leads(local: psycopg.Connection, months: int) -> None:
    """`months` months of 40 leads each, all older than the 30-day window: score 5 (10 leads,
    6 buy 5 days later) and score 1 (30 leads, 2 buy)."""
    rows = Rows(local)
    newest = (TODAY - timedelta(days=40)).replace(day=1)
    cid = 0
    for back in range(months):
        first = _month_before(newest, back)
        for score, count, sales in ((5, 10, 6), (1, 30, 2)):
            for i in range(count):
                cid += 1
                day = first + timedelta(days=i % 5)
                phone = f"+55119{87000000 + cid:08d}"
                rows.conversation(cid, contact_id=cid, day=day, phone=phone)
                rows.profile(cid, probability=score)
                if i < sales:
                    rows.customer(f"Cliente {cid}", phone=phone, conversion=day + timedelta(5))


def test_without_a_crm_match_the_page_says_there_is_nothing_to_judge(app_env: None) -> None:  # noqa: F811
    at = run(PAGE)
    assert not at.error
    assert at.title[0].value == texts.PAGE_SCORE
    assert [i.value for i in at.info] == [texts.SCORE_NO_MATCH]


def test_too_few_outcomes_are_said_plainly_with_the_thresholds(
    app_env: None,  # noqa: F811
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
) -> None:
    rows = Rows(local)
    old = TODAY - timedelta(days=60)
    for cid, score in ((1, 5), (2, 1), (3, 3)):
        phone = f"+5511987650{cid:03d}"
        rows.conversation(cid, contact_id=cid, day=old, phone=phone)
        rows.profile(cid, probability=score)
    rows.customer("Ana", phone="+5511987650001", conversion=old + timedelta(days=3))
    run_match(local_url, settings)

    at = run(PAGE)

    assert not at.error
    shown = metrics(at)
    assert shown[texts.SCORE_LEADS] == "3" and shown[texts.SCORE_SALES] == "1"
    assert shown[texts.SCORE_AUC] == texts.EMPTY  # no AUC of one sale
    warning = at.warning[0].value
    assert warning.startswith(texts.SCORE_TOO_FEW)
    assert "1 venda: são necessárias pelo menos 10 vendas para julgar o score." in warning
    assert "2 leads: são necessários pelo menos 10 leads sem venda" in warning
    assert texts.SCORE_TOO_FEW_MONTHS in warning
    assert not [e for e in at.get("plotly_chart") if "score_reliability" in str(e.proto)]


def test_a_judged_score_shows_its_auc_and_calibration(
    app_env: None,  # noqa: F811
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
) -> None:
    _leads(local, months=3)
    run_match(local_url, settings)

    at = run(PAGE)

    assert not at.error and not at.warning
    shown = metrics(at)
    assert shown[texts.SCORE_LEADS] == "120" and shown[texts.SCORE_SALES] == "24"
    # Score 5 buys at 60%, score 1 at 6.7%: AUC = P(buyer above non-buyer) + ties / 2.
    # Buyers: 18 at 5, 6 at 1; non-buyers: 12 at 5, 84 at 1.
    expected_auc = (18 * 84 + 0.5 * (18 * 12 + 6 * 84)) / (24 * 96)
    assert shown[texts.SCORE_AUC] == texts.fmt_decimal(expected_auc, 2)
    assert any(texts.SCORE_VERDICT_GOOD in m.value for m in at.markdown)
    columns = texts.SCORE_CALIBRATION_COLUMNS
    (table,) = [d.value for d in at.dataframe if columns["probabilidade"] in d.value.columns]
    by_score = dict(zip(table[columns["score"]], table[columns["probabilidade"]], strict=True))
    assert by_score["5"] == "60,0%" and by_score["1"] == "6,7%"  # from the two earlier months
    assert by_score["2"] == texts.fmt_pct(2 / 30 + (0.6 - 2 / 30) / 4)  # between 1 and 5
    assert len(at.get("plotly_chart")) == 2  # rates by score, reliability diagram
