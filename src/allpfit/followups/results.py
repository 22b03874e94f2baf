"""Did the follow-ups work? Reply rate within 48 h and conversions, per step and per variant.

- replied: the lead wrote (a `contact` message of the compiled conversation) within 48 hours
  after the follow-up was sent. The rate counts only follow-ups whose 48 hours are over, or
  that were answered already, so a message sent an hour ago does not lower it.
- converted: a sale (`lead_sales`, the one definition) of the conversation or its contact
  whose signup date is on or after the local day the follow-up was sent; a sale before the
  follow-up is not its result.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import psycopg

REPLY_HOURS = 48

RESULTS_SQL = """
WITH sent AS (
    SELECT f.step, f.variant, f.sent_at,
           EXISTS (
               SELECT 1 FROM conversas_analytics ca,
                             jsonb_array_elements(ca.message_compiled) m
               WHERE ca.tenant_id = f.tenant_id AND ca.conversation_id = f.conversation_id
                 AND m->>'sender' = 'contact'
                 AND (m->>'at')::timestamptz > f.sent_at
                 AND (m->>'at')::timestamptz <= f.sent_at + make_interval(hours => %(hours)s)
           ) AS replied,
           EXISTS (
               SELECT 1 FROM lead_sales ls
               WHERE (ls.conversation_id = f.conversation_id
                      OR (f.contact_id IS NOT NULL AND ls.contact_id = f.contact_id))
                 AND ls.signup_date >= (f.sent_at AT TIME ZONE %(tz)s)::date
           ) AS converted
    FROM followups f
    WHERE f.status = 'sent' AND f.sent_at IS NOT NULL
)
SELECT {group} AS grupo,
       count(*) AS enviados,
       count(*) FILTER (WHERE replied) AS responderam,
       count(*) FILTER (WHERE replied OR sent_at <= %(now)s - make_interval(hours => %(hours)s))
           AS avaliaveis,
       count(*) FILTER (WHERE converted) AS conversoes
FROM sent
GROUP BY 1
ORDER BY 1
"""


def results(
    conn: psycopg.Connection, tz: str, by: str, *, now: datetime | None = None
) -> pd.DataFrame:
    """One row per step (`by="step"`) or variant (`by="variant"`): grupo, enviados,
    responderam, avaliaveis, taxa_resposta (0-1, NaN when nothing is evaluable yet),
    conversoes, taxa_conversao."""
    group = {"step": "step::text", "variant": "variant"}[by]
    rows = conn.execute(
        RESULTS_SQL.format(group=group),
        {"hours": REPLY_HOURS, "tz": tz, "now": now or datetime.now(UTC)},
    ).fetchall()
    frame = pd.DataFrame(
        rows, columns=["grupo", "enviados", "responderam", "avaliaveis", "conversoes"]
    )
    frame["taxa_resposta"] = frame["responderam"] / frame["avaliaveis"].where(
        frame["avaliaveis"] > 0
    )
    frame["taxa_conversao"] = frame["conversoes"] / frame["enviados"].where(frame["enviados"] > 0)
    return frame
