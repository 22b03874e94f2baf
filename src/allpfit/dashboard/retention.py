"""The retention list (Retenção page): contacts the analysis classified as a cancellation or a
complaint (`analysis.intent.RETENTION_INTENT`), for the team to call before they leave.

They are not leads (migration 0080), so no lead panel shows them; this page lists them on their
own, by the day of the conversation's last activity (a complaint in a reopened conversation is
recent even when the conversation is not). The query and the table conversion live here,
without Streamlit, so they are tested on real PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg

from allpfit.analysis.intent import RETENTION_INTENT
from allpfit.dashboard import texts
from allpfit.dashboard.queries import PAGE_SIZE, Page, _clamp_page, _frame, _period

_WHERE = """
    FROM conversas_analytics ca
    JOIN conversas_analytics_ai ai
      ON ai.tenant_id = ca.tenant_id AND ai.conversation_id = ca.conversation_id
    WHERE ca.analysed_intent = %(intent)s AND ca.is_contact_conversation
      AND COALESCE(ca.last_activity_date, ca.conversation_date) BETWEEN %(start)s AND %(end)s
"""
# The contact's own last words: what the person at the phone needs before calling.
_LAST_CONTACT_TEXT = """
    (SELECT btrim(e.m ->> 'text')
     FROM jsonb_array_elements(ca.message_compiled) WITH ORDINALITY AS e(m, ord)
     WHERE e.m ->> 'sender' = 'contact' AND btrim(coalesce(e.m ->> 'text', '')) <> ''
     ORDER BY e.ord DESC LIMIT 1)
"""
LAST_TEXT_CHARS = 300


def count(conn: psycopg.Connection, start: date, end: date) -> int:
    row = conn.execute(
        "SELECT count(*) " + _WHERE, {**_period(start, end), "intent": RETENTION_INTENT}
    ).fetchone()
    assert row is not None
    return int(row[0])


def page(conn: psycopg.Connection, start: date, end: date, number: int) -> Page:
    """Page `number` (1-based, clamped) of 50, latest activity first."""
    total = count(conn, start, end)
    number = _clamp_page(number, total)
    rows = _frame(
        conn,
        f"""
        SELECT ca.conversation_id, ca.contact_name AS nome, ca.contact_phone AS celular,
               COALESCE(ca.last_message_at, ca.last_activity_at, ca.conversation_created_at)
                   AS ultima_atividade,
               {_LAST_CONTACT_TEXT} AS ultima_mensagem,
               ai.analise_ia
        {_WHERE}
        ORDER BY ultima_atividade DESC, ca.conversation_id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            **_period(start, end),
            "intent": RETENTION_INTENT,
            "limit": PAGE_SIZE,
            "offset": (number - 1) * PAGE_SIZE,
        },
    )
    return Page(rows, total, number)


def display(rows: pd.DataFrame, *, tz: str, mask_phones: bool) -> pd.DataFrame:
    """Rows of `page` → the columns `texts.RETENTION_COLUMNS`, all text."""
    columns = list(texts.RETENTION_COLUMNS)
    if rows.empty:
        return pd.DataFrame(columns=columns)

    def text(value: object) -> str:
        return "" if value is None or pd.isna(value) else str(value)

    def cut(value: object) -> str:
        plain = " ".join(text(value).split())
        return plain if len(plain) <= LAST_TEXT_CHARS else plain[: LAST_TEXT_CHARS - 1] + "…"

    return pd.DataFrame(
        {
            columns[0]: [texts.mask_name(text(n), mask=mask_phones) for n in rows["nome"]],
            columns[1]: [texts.format_phone(text(p), mask=mask_phones) for p in rows["celular"]],
            columns[2]: [texts.fmt_datetime(v, tz) for v in rows["ultima_atividade"]],
            columns[3]: [cut(v) for v in rows["ultima_mensagem"]],
            columns[4]: [text(v) for v in rows["analise_ia"]],
        }
    )
