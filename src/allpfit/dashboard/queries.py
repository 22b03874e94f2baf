"""The dashboard's SQL: every number and table the pages show, computed in PostgreSQL.

No Streamlit here, so each function is tested against a real database. Functions take an open
psycopg connection and plain filter values and return small dataclasses or DataFrames whose
size is bounded by the date range (one row per day, per score, per page of 50), never by the
table: the original app loaded all of conversas_analytics into pandas on every visit.

Definitions (docs/dashboard.md), each written once in SQL by migration 0042 and only read here:
- a *lead conversation* is `conversas_analytics.is_lead` (the contact wrote, and Chatwoot still
  has it): every conversation figure is over lead conversations, so conversations deleted in
  Chatwoot are in no figure or table;
- a CRM customer's signup date is `crm_customers.signup_date`;
- a *sale* ("venda do tráfego") is a row of the view `lead_sales` (a customer matched to a lead
  whose first conversation came before the signup) and belongs to the period containing its
  signup date: the KPI, the funnel, the score chart and the Conversões page count the same rows;
- the date range applies to `conversation_date` (creation day in the business time zone) for
  conversation figures, and to the signup date for sales; it is at most MAX_RANGE_DAYS long
  (`clamp_range` for user input; every query refuses a longer one);
- a visit is *for* day X when its profile has visita_agendada and data_visita = X (the visit
  day the analysis read from the conversation); visits with no known day count for no day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from allpfit.analysis import intent
from allpfit.analysis.profile import fold
from allpfit.analysis.rules import goals_named
from allpfit.errors import InputError

PAGE_SIZE = 50
# The longest period any query accepts: a year of daily bars (leap years included). An open
# link such as ?de=0001-01-01&ate=9999-12-31 once built 3.6 million daily rows per request.
MAX_RANGE_DAYS = 366
# The earliest day a period may start: no conversation or CRM signup of this product is older.
EARLIEST_DAY = date(2000, 1, 1)


@dataclass(frozen=True)
class DateRange:
    """A period after `clamp_range`: valid, at most MAX_RANGE_DAYS, `clamped` if it was cut."""

    start: date
    end: date
    clamped: bool = False


def clamp_range(start: date, end: date, today: date) -> DateRange:
    """Make a user's period safe to query: ordered, within EARLIEST_DAY..today, at most
    MAX_RANGE_DAYS days (keeping the most recent end). `clamped` says whether it changed."""
    first, last = min(start, end), max(start, end)
    last = min(max(last, EARLIEST_DAY), today)
    first = min(max(first, EARLIEST_DAY), last)
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        first = last - timedelta(days=MAX_RANGE_DAYS - 1)
    return DateRange(first, last, clamped=(first, last) != (start, end))


@dataclass(frozen=True)
class LeadFilters:
    """The lead table's filters; empty values mean "no filter". Hashable for st.cache_data."""

    start: date
    end: date
    name: str = ""
    probabilities: tuple[int, ...] = ()
    conditions: tuple[str, ...] = ()
    goal: str = ""
    unanalysed: bool = False  # with `probabilities`: also conversations with no AI profile
    order: str = "recent"  # a key of LEAD_ORDERS


@dataclass(frozen=True)
class OverviewKpis:
    total_contatos: int
    conversas_ia: int
    conversas_humanas: int
    visitas_agendadas: int
    vendas_trafego: int
    vendas_totais: int


@dataclass(frozen=True)
class DailyResults:
    novos_leads: int
    visitas_hoje: int
    vendas_hoje: int
    conversas_hoje: int
    conversas_novas: int
    conversas_reabertas: int


@dataclass(frozen=True)
class Funnel:
    leads: int
    visitas: int
    vendas: int


@dataclass(frozen=True)
class Page:
    """One page of a table plus what the pager needs."""

    rows: pd.DataFrame
    total: int
    page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // PAGE_SIZE)))


def _period(start: date, end: date) -> dict[str, Any]:
    """Query parameters of a period; refuses a reversed or too long one (see clamp_range)."""
    days = (end - start).days + 1
    if days < 1 or days > MAX_RANGE_DAYS:
        raise InputError(
            f"Invalid dashboard period {start.isoformat()}..{end.isoformat()}: it must run "
            f"forwards and cover at most {MAX_RANGE_DAYS} days (it covers {days}).",
            hint="Choose a shorter period; links are clamped by the sidebar.",
        )
    return {"start": start, "end": end}


def _frame(
    conn: psycopg.Connection, query: str | sql.SQL | sql.Composed, params: dict[str, Any]
) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query, params)
        columns = [d.name for d in cur.description or ()]
        return pd.DataFrame(cur.fetchall(), columns=columns)


# Traffic sales of a period: the one rule (view lead_sales, migration 0042), by signup date.
_SALES_IN_PERIOD = "SELECT * FROM lead_sales WHERE signup_date BETWEEN %(start)s AND %(end)s"


def overview_kpis(conn: psycopg.Connection, start: date, end: date) -> OverviewKpis:
    """The six headline numbers of the overview, in one round trip.

    Grouping by contact first (a hash aggregate) is cheaper than COUNT(DISTINCT), which sorts.
    """
    row = conn.execute(
        f"""
        WITH per_contact AS (
            SELECT ca.contact_id,
                   COUNT(*) FILTER (WHERE ca.is_bot_only) AS bot,
                   COUNT(*) FILTER (WHERE ca.has_human_intervention) AS human,
                   COUNT(*) FILTER (WHERE ai.visita_agendada) AS visits
            FROM conversas_analytics ca
            LEFT JOIN conversas_analytics_ai ai USING (conversation_id)
            WHERE ca.is_lead
              AND ca.conversation_date BETWEEN %(start)s AND %(end)s
            GROUP BY ca.contact_id
        )
        SELECT COUNT(contact_id), COALESCE(SUM(bot), 0), COALESCE(SUM(human), 0),
               COALESCE(SUM(visits), 0),
               (SELECT COUNT(*) FROM ({_SALES_IN_PERIOD}) sales),
               (SELECT COUNT(*) FROM crm_customers c
                 WHERE c.signup_date BETWEEN %(start)s AND %(end)s)
        FROM per_contact
        """,
        _period(start, end),
    ).fetchone()
    assert row is not None
    return OverviewKpis(*(int(v) for v in row))


def daily_results(conn: psycopg.Connection, today: date) -> DailyResults:
    """The "today" numbers; `today` is the business date (Settings.timezone), passed in.

    Visits for today are lead conversations whose visit is scheduled for today, however long
    ago it was booked (index conversas_analytics_ai_visit_date_idx).
    """
    row = conn.execute(
        """
        WITH today AS (
            SELECT ca.conversation_id, ca.contact_id, ca.conversation_date, ca.is_reopened,
                   COALESCE(ca.last_activity_date, ca.conversation_date) AS active_on
            FROM conversas_analytics ca
            WHERE ca.is_lead
              AND (ca.conversation_date = %(today)s OR ca.last_activity_date = %(today)s)
        )
        SELECT
            (SELECT COUNT(DISTINCT t.contact_id) FROM today t
              WHERE t.conversation_date = %(today)s
                AND NOT EXISTS (
                    SELECT 1 FROM conversas_analytics p
                    WHERE p.contact_id = t.contact_id AND p.is_lead
                      AND p.conversation_date < %(today)s)),
            (SELECT COUNT(*) FROM conversas_analytics_ai ai
               JOIN conversas_analytics ca USING (conversation_id)
              WHERE ai.visita_agendada AND ai.data_visita = %(today)s AND ca.is_lead),
            (SELECT COUNT(*) FROM crm_customers c WHERE c.signup_date = %(today)s),
            (SELECT COUNT(*) FROM today WHERE active_on = %(today)s),
            (SELECT COUNT(*) FROM today WHERE conversation_date = %(today)s),
            (SELECT COUNT(*) FROM today WHERE is_reopened AND active_on = %(today)s)
        """,
        {"today": today},
    ).fetchone()
    assert row is not None
    return DailyResults(*(int(v) for v in row))


def leads_per_day(conn: psycopg.Connection, start: date, end: date) -> pd.DataFrame:
    """Columns dia, leads: distinct contacts per day, every day of the range (zeros included).

    The range is bounded (`_period`), so this is at most MAX_RANGE_DAYS rows."""
    return _frame(
        conn,
        """
        WITH pairs AS (
            SELECT DISTINCT conversation_date, contact_id FROM conversas_analytics
            WHERE is_lead AND conversation_date BETWEEN %(start)s AND %(end)s
        ), counts AS (
            SELECT conversation_date, COUNT(contact_id) AS leads FROM pairs
            GROUP BY conversation_date
        )
        SELECT d::date AS dia, COALESCE(counts.leads, 0)::int AS leads
        FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
        LEFT JOIN counts ON counts.conversation_date = d::date
        ORDER BY d
        """,
        _period(start, end),
    )


def conversations_by_period(conn: psycopg.Connection, start: date, end: date) -> pd.DataFrame:
    """Columns periodo, conversas: lead conversations per period of day, in day order."""
    return _frame(
        conn,
        """
        SELECT p.periodo, COUNT(ca.conversation_id)::int AS conversas
        FROM (VALUES ('madrugada', 1), ('manhã', 2), ('tarde', 3), ('noite', 4))
             AS p(periodo, ordem)
        LEFT JOIN conversas_analytics ca
               ON ca.period_of_day = p.periodo AND ca.is_lead
              AND ca.conversation_date BETWEEN %(start)s AND %(end)s
        GROUP BY p.periodo, p.ordem ORDER BY p.ordem
        """,
        _period(start, end),
    )


def funnel(conn: psycopg.Connection, start: date, end: date) -> Funnel:
    """Funnel in people: contacts with a lead conversation in the range → of those, contacts
    with a scheduled visit → traffic sales with signup in the range (the KPI's number).

    The last stage is the one sale rule (lead_sales by signup date), so it equals "Vendas do
    Tráfego"; its lead may have first talked before the range.
    """
    row = conn.execute(
        f"""
        WITH per_contact AS (
            SELECT ca.contact_id, bool_or(COALESCE(ai.visita_agendada, false)) AS visit
            FROM conversas_analytics ca
            LEFT JOIN conversas_analytics_ai ai USING (conversation_id)
            WHERE ca.is_lead
              AND ca.conversation_date BETWEEN %(start)s AND %(end)s
              AND ca.contact_id IS NOT NULL
            GROUP BY ca.contact_id
        )
        SELECT COUNT(*), COUNT(*) FILTER (WHERE visit),
               (SELECT COUNT(*) FROM ({_SALES_IN_PERIOD}) sales)
        FROM per_contact
        """,
        _period(start, end),
    ).fetchone()
    assert row is not None
    return Funnel(*(int(v) for v in row))


def conversion_by_score(conn: psycopg.Connection, start: date, end: date) -> pd.DataFrame:
    """Columns probabilidade (0-5, or NULL = not analysed), conversas, vendas, taxa.

    `vendas`: the period's traffic sales (the KPI's rows, by signup date) by the AI score of the
    sale's conversation (the lead's first conversation). `conversas`: the lead conversations
    created in the period plus the sales' conversations (which may be older), each once, so a
    sale is always one of the conversations it is a rate of. `taxa` = vendas / conversas, NULL
    with no conversations. Scores 0-5 always appear; the NULL row (not analysed yet) only when
    it has any, so the bars' sales add up to the KPI.
    """
    return _frame(
        conn,
        f"""
        WITH sales AS ({_SALES_IN_PERIOD}),
        considered AS (
            SELECT conversation_id FROM conversas_analytics
            WHERE is_lead AND conversation_date BETWEEN %(start)s AND %(end)s
            UNION
            SELECT conversation_id FROM sales
        ), scored AS (
            SELECT ai.probabilidade_conversao AS score, COUNT(*) AS conversas,
                   COUNT(sales.conversation_id) AS vendas
            FROM considered
            LEFT JOIN conversas_analytics_ai ai USING (conversation_id)
            LEFT JOIN sales USING (conversation_id)
            GROUP BY 1
        )
        SELECT s.score::int AS probabilidade,
               COALESCE(scored.conversas, 0)::int AS conversas,
               COALESCE(scored.vendas, 0)::int AS vendas,
               scored.vendas::float8 / NULLIF(scored.conversas, 0) AS taxa
        FROM (SELECT generate_series(0, 5) UNION ALL SELECT NULL) AS s(score)
        LEFT JOIN scored ON scored.score IS NOT DISTINCT FROM s.score
        WHERE s.score IS NOT NULL OR scored.conversas > 0
        ORDER BY s.score NULLS LAST
        """,
        _period(start, end),
    )


# --- CRM conversions ---------------------------------------------------------------------

# One row per traffic sale of the period (lead_sales), with what the Conversões table shows.
_CONVERSIONS = f"""
    SELECT s.crm_customer_id, m.crm_customer_name AS cliente,
           COALESCE(m.crm_customer_phone, m.contact_phone) AS celular,
           ca.contact_name AS lead, s.conversation_date AS primeira_conversa,
           s.signup_date AS matricula, s.days_to_conversion AS dias,
           m.match_type AS tipo_match, m.match_score::float8 AS score_match,
           ai.probabilidade_conversao AS probabilidade
    FROM ({_SALES_IN_PERIOD}) s
    JOIN conversas_crm_match_real m USING (conversation_id, crm_customer_id)
    JOIN conversas_analytics ca USING (conversation_id)
    LEFT JOIN conversas_analytics_ai ai USING (conversation_id)
"""


def conversions_summary(
    conn: psycopg.Connection, start: date, end: date
) -> tuple[int, float | None, float | None]:
    """(customers, mean days, median days) of traffic conversions signed up in the range."""
    row = conn.execute(
        f"""
        SELECT COUNT(*), AVG(dias)::float8,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY dias)::float8
        FROM ({_CONVERSIONS}) conv
        """,
        _period(start, end),
    ).fetchone()
    assert row is not None
    return int(row[0]), row[1], row[2]


def conversions_page(conn: psycopg.Connection, start: date, end: date, page: int) -> Page:
    """One page (50) of traffic conversions, latest signup first; one row per customer."""
    total, _, _ = conversions_summary(conn, start, end)
    page = _clamp_page(page, total)
    rows = _frame(
        conn,
        f"""
        SELECT * FROM ({_CONVERSIONS}) conv
        ORDER BY matricula DESC, crm_customer_id
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {**_period(start, end), "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    )
    return Page(rows.drop(columns="crm_customer_id"), total, page)


# --- Lead table ------------------------------------------------------------------------------

LEAD_SELECT = (
    sql.SQL("""
    SELECT ca.conversation_id, ca.contact_name AS nome, ai.nome_mapeado_bot,
           ca.contact_phone AS celular, ai.condicao_fisica, ai.objetivo,
           COALESCE(ca.first_contact_message_at, ca.conversation_created_at) AS primeiro_contato,
           COALESCE(ca.last_message_at, ca.last_activity_at, ca.conversation_created_at)
               AS ultima_conversa,
           ca.message_compiled, ai.analise_ia, ai.sugestao_disparo,
           ai.probabilidade_conversao AS probabilidade, ai.visita_agendada, ai.data_visita,
""")
    + intent.opted_out("ca")
    + sql.SQL(" AS opted_out\n")
)  # no suggestion for them (0080)
# The lead table's sort orders (the "Ordenar por" box); every one ends in the conversation id,
# so pages never overlap or skip a row. The CSV is written in the table's order.
_LAST = "COALESCE(ca.last_message_at, ca.last_activity_at, ca.conversation_created_at) DESC"
LEAD_ORDERS: dict[str, sql.SQL] = {
    "recent": sql.SQL(f" ORDER BY {_LAST}, ca.conversation_id DESC "),
    "first": sql.SQL(
        " ORDER BY COALESCE(ca.first_contact_message_at, ca.conversation_created_at) DESC, "
        "ca.conversation_id DESC "
    ),
    "probability": sql.SQL(
        f" ORDER BY ai.probabilidade_conversao DESC NULLS LAST, {_LAST}, ca.conversation_id DESC "
    ),
}
LEAD_ORDER = LEAD_ORDERS["recent"]


def lead_order(filters: LeadFilters) -> sql.SQL:
    """ORDER BY of the lead table; an unknown key (a hand-edited link) is the default order."""
    return LEAD_ORDERS.get(filters.order, LEAD_ORDER)


_ACCENTED = "áàâãäéèêëíìîïóòôõöúùûüçñ"
_PLAIN = "aaaaaeeeeiiiiooooouuuucn"


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def lead_where(filters: LeadFilters) -> tuple[sql.Composable, dict[str, Any]]:
    """FROM + WHERE of the lead table for these filters, with only the active conditions."""
    conditions: list[sql.Composable] = [
        sql.SQL("ca.is_lead"),
        sql.SQL("ca.conversation_date BETWEEN %(start)s AND %(end)s"),
    ]
    params: dict[str, Any] = _period(filters.start, filters.end)
    name = filters.name.strip()
    if name:
        params["name"] = _like(name)
        alternatives = "ca.contact_name ILIKE %(name)s OR ai.nome_mapeado_bot ILIKE %(name)s"
        digits = "".join(ch for ch in name if ch.isdigit())
        if len(digits) >= 3:
            params["phone"] = _like(digits)
            alternatives += " OR regexp_replace(ca.contact_phone, '\\D', '', 'g') LIKE %(phone)s"
        conditions.append(sql.SQL("(" + alternatives + ")"))
    scores = []
    if filters.probabilities:
        params["probabilities"] = list(filters.probabilities)
        scores.append("ai.probabilidade_conversao = ANY(%(probabilities)s)")
    if filters.unanalysed:  # "Sem análise": no AI profile yet
        scores.append("ai.conversation_id IS NULL")
    if scores:
        conditions.append(sql.SQL("(" + " OR ".join(scores) + ")"))
    if filters.conditions:
        params["conditions"] = list(filters.conditions)
        conditions.append(sql.SQL("ai.condicao_fisica = ANY(%(conditions)s)"))
    goal = filters.goal.strip()
    if goal:
        # The categories the words name, read with the rule analyzer's goal lexicon
        # ("emagrecer" → "Perda de peso"), or the typed text inside the stored value, both
        # without regard to accents or case.
        params["goals"] = list(goals_named(goal))
        params["goal"] = _like(fold(goal))
        conditions.append(
            sql.SQL(
                "(ai.objetivo = ANY(%(goals)s) OR translate(lower(ai.objetivo), {from_}, {to}) "
                "LIKE %(goal)s)"
            ).format(from_=sql.Literal(_ACCENTED), to=sql.Literal(_PLAIN))
        )
    query = sql.SQL(
        "FROM conversas_analytics ca LEFT JOIN conversas_analytics_ai ai USING (conversation_id) "
        "WHERE "
    ) + sql.SQL(" AND ").join(conditions)
    return query, params


def count_leads(conn: psycopg.Connection, filters: LeadFilters) -> int:
    where, params = lead_where(filters)
    row = conn.execute(sql.SQL("SELECT COUNT(*) ") + where, params).fetchone()
    assert row is not None
    return int(row[0])


def _clamp_page(page: int, total: int) -> int:
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(1, page), pages)


def leads_page(conn: psycopg.Connection, filters: LeadFilters, page: int) -> Page:
    """Page `page` (1-based, clamped) of 50 lead conversations in the filters' order."""
    total = count_leads(conn, filters)
    page = _clamp_page(page, total)
    where, params = lead_where(filters)
    # Pick the 50 ids first, then read the wide columns (conversation JSON) of those only.
    query = (
        sql.SQL("WITH page AS (SELECT ca.conversation_id ")
        + where
        + lead_order(filters)
        + sql.SQL("LIMIT %(limit)s OFFSET %(offset)s) ")
        + LEAD_SELECT
        + sql.SQL(
            "FROM page JOIN conversas_analytics ca USING (conversation_id) "
            "LEFT JOIN conversas_analytics_ai ai USING (conversation_id) "
        )
        + lead_order(filters)
    )
    params |= {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    return Page(_frame(conn, query, params), total, page)


def iter_leads(
    conn: psycopg.Connection, filters: LeadFilters, chunk_size: int = 2000
) -> Iterator[pd.DataFrame]:
    """Yield the whole filtered lead set as DataFrames of `chunk_size` rows (server cursor).

    `conn` must not be in autocommit mode: a named cursor lives inside a transaction.
    """
    where, params = lead_where(filters)
    query = LEAD_SELECT + where + lead_order(filters)
    with conn.cursor(name="allpfit_leads_export", row_factory=dict_row) as cur:
        cur.itersize = chunk_size
        cur.execute(query, params)
        columns = [d.name for d in cur.description or ()]
        while True:
            rows = cur.fetchmany(chunk_size)
            if not rows:
                break
            yield pd.DataFrame(rows, columns=columns)


# --- One lead (the lead page) ----------------------------------------------------------------


@dataclass(frozen=True)
class CrmStatus:
    """A CRM customer matched to one of the lead's conversations."""

    name: str | None
    phone: str | None
    signup_date: date | None
    status: str | None
    source: str
    match_type: str
    traffic_sale: bool  # a row of lead_sales: the lead talked before signing up


@dataclass(frozen=True)
class LeadDetail:
    """Everything the lead page shows about one lead conversation.

    `profile` is the whole conversas_analytics_ai row as a dict (None: not analysed yet), read
    with to_jsonb so a column added by a later migration shows without a change here.
    `tenant_chatwoot_url` is the tenant's own Chatwoot (tenants.chatwoot_url), for the link.
    """

    conversation_id: int
    display_id: int | None
    account_id: int | None
    contact_id: int | None
    contact_name: str | None
    contact_phone: str | None
    inbox_name: str | None
    status: str | None
    assignee_name: str | None
    first_contact: Any
    last_contact: Any
    messages: list[dict[str, Any]]
    profile: dict[str, Any] | None
    crm: list[CrmStatus]
    tenant_chatwoot_url: str | None
    # The contact asked not to be contacted (analysis.intent): no follow-up is shown.
    opted_out: bool = False


MAX_CRM_ROWS = 10  # customers shown for one lead (a phone matches one; a few at most)


def lead_detail(conn: psycopg.Connection, conversation_id: int) -> LeadDetail | None:
    """The lead conversation `conversation_id` of the connection's tenant, or None.

    Run on a tenant connection (row-level security), an id of another tenant's conversation
    finds nothing: the page says "not found" and shows none of it. A conversation that is not
    a lead (no contact message, or deleted in Chatwoot) is not found either, as in the table.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            sql.SQL("""
            SELECT ca.conversation_id, ca.display_id, ca.account_id, ca.contact_id,
                   ca.contact_name, ca.contact_phone, ca.inbox_name, ca.status,
                   ca.assignee_name,
                   COALESCE(ca.first_contact_message_at, ca.conversation_created_at)
                       AS first_contact,
                   COALESCE(ca.last_message_at, ca.last_activity_at, ca.conversation_created_at)
                       AS last_contact,
                   ca.message_compiled AS messages,
                   CASE WHEN ai.conversation_id IS NOT NULL THEN to_jsonb(ai) END AS profile,
                   t.chatwoot_url AS tenant_chatwoot_url,
                   {opted_out} AS opted_out
            FROM conversas_analytics ca
            LEFT JOIN conversas_analytics_ai ai
                   ON ai.tenant_id = ca.tenant_id AND ai.conversation_id = ca.conversation_id
            LEFT JOIN tenants t ON t.id = ca.tenant_id
            WHERE ca.conversation_id = %(id)s AND ca.is_lead
            """).format(opted_out=intent.opted_out("ca")),
            {"id": conversation_id},
        ).fetchone()
        if row is None:
            return None
        crm = cur.execute(
            """
            SELECT DISTINCT ON (c.id) c.name, c.phone_normalized AS phone, c.signup_date,
                   c.status, c.source, m.match_type,
                   EXISTS (SELECT 1 FROM lead_sales s
                           WHERE s.crm_customer_id = c.id
                             AND s.conversation_id = m.conversation_id) AS traffic_sale
            FROM conversas_crm_match_real m
            JOIN conversas_analytics mc
              ON mc.tenant_id = m.tenant_id AND mc.conversation_id = m.conversation_id
            JOIN crm_customers c ON c.tenant_id = m.tenant_id AND c.id = m.crm_customer_id
            WHERE m.conversation_id = %(id)s
               OR (%(contact)s::bigint IS NOT NULL AND mc.contact_id = %(contact)s::bigint)
            ORDER BY c.id, m.conversation_date
            LIMIT %(limit)s
            """,
            {"id": conversation_id, "contact": row["contact_id"], "limit": MAX_CRM_ROWS},
        ).fetchall()
    messages = row.pop("messages")
    return LeadDetail(
        **row,
        messages=[m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else [],
        crm=[CrmStatus(**c) for c in crm],
    )
