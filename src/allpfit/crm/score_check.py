"""Which leads the score check judges, and whether each became a sale (`allpfit crm
score-check`, the dashboard's "Qualidade do score").

The unit is the CRM match's lead (`crm.match.load_leads`): one person (a phone, its variants
merged), dated by their FIRST lead conversation, scored by that conversation's
`probabilidade_conversao`. A sale is the one definition, the `lead_sales` view (migration 0042:
a CRM customer whose signup came after that first conversation, same day only when
CRM_SAME_DAY_IS_CONVERSION), within SCORE_OUTCOME_DAYS of it. Left out, and counted by reason:

- `young`: the first conversation is less than SCORE_OUTCOME_DAYS before the last successful
  CRM match (`as_of`), so "not converted" would only mean "not yet";
- `existing`: the phone belongs to a CRM customer who signed up BEFORE the conversation (the
  match does not count it as a sale, `match.is_conversion`): a member, not a prospect;
- `ambiguous`: the phone is shared by different CRM people (the match excludes it);
- `unscored`: the first conversation has no AI profile yet.

Leads without a usable phone are not leads of the match (the CRM cannot see them), so they
never enter. Only new leads (intent `new_lead`, migration 0080) are leads at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from allpfit import db
from allpfit.config import Settings
from allpfit.crm.calibration import ScoredLead, ScoreQuality, assess
from allpfit.crm.match import crossmatch, is_conversion, load_customers, load_leads
from allpfit.tenants import Tenant

LAST_MATCH_SQL = """
SELECT max(finished_at) FROM crm_sync_runs WHERE kind = 'match' AND status = 'success'
"""
SCORES_SQL = """
SELECT conversation_id, probabilidade_conversao FROM conversas_analytics_ai
WHERE conversation_id = ANY(%s) AND intent = 'new_lead'
"""
SALES_SQL = "SELECT conversation_id, days_to_conversion FROM lead_sales"


@dataclass(frozen=True)
class ScoreSample:
    """The judged leads of one tenant, as of its last CRM match; None `as_of` = never matched."""

    as_of: date | None
    window_days: int
    leads: list[ScoredLead]
    left_out: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class ScoreReport:
    tenant: Tenant
    sample: ScoreSample
    quality: ScoreQuality


def load_sample(
    conn: psycopg.Connection, *, timezone: str, window: int, same_day: bool
) -> ScoreSample:
    """The tenant's judged leads, on a tenant connection (row-level security). `window` =
    SCORE_OUTCOME_DAYS, `same_day` = CRM_SAME_DAY_IS_CONVERSION (as the match decided)."""
    row = conn.execute(LAST_MATCH_SQL).fetchone()
    last_match: datetime | None = row[0] if row else None
    if last_match is None:
        return ScoreSample(None, window, [])
    as_of = last_match.astimezone(ZoneInfo(timezone)).date()
    cutoff = as_of - timedelta(days=window)
    leads, _, _ = load_leads(conn)
    matches, ambiguous = crossmatch(leads, load_customers(conn))
    existing = {
        m.lead.conversation_id
        for m in matches
        if m.customer.signup is not None and not is_conversion(m, same_day=same_day)
    }
    shared = {a.lead.conversation_id for a in ambiguous}
    ids = [lead.conversation_id for lead in leads.values()]
    scores: dict[int, int] = dict(conn.execute(SCORES_SQL, (ids,)).fetchall())
    sales: dict[int, int] = dict(conn.execute(SALES_SQL).fetchall())
    judged: list[ScoredLead] = []
    left_out: Counter[str] = Counter()
    for lead in leads.values():
        conv = lead.conversation_id
        if conv in existing:
            left_out["existing"] += 1
        elif conv in shared:
            left_out["ambiguous"] += 1
        elif conv not in scores:
            left_out["unscored"] += 1
        elif lead.conversation_date > cutoff:
            left_out["young"] += 1
        else:
            days = sales.get(conv)
            judged.append(
                ScoredLead(
                    lead_id=conv,
                    month=lead.conversation_date.replace(day=1),
                    score=int(scores[conv]),
                    converted=days is not None and days <= window,
                )
            )
    judged.sort(key=lambda x: (x.month, x.lead_id))
    return ScoreSample(as_of, window, judged, left_out)


def score_check(local_url: str, settings: Settings, tenant: Tenant | None = None) -> ScoreReport:
    """Does `tenant`'s score (default: the default tenant's) predict its sales?"""
    chosen = db.resolve_tenant(local_url, tenant)
    with db.tenant_connection(local_url, chosen.id, role="reader") as conn:
        sample = load_sample(
            conn,
            timezone=chosen.tz(settings),
            window=settings.score_outcome_days,
            same_day=settings.crm_same_day_is_conversion,
        )
    return ScoreReport(chosen, sample, assess(sample.leads))
