"""The CSAT report, as Chatwoot's CSAT report computes it: the one definition of its figures.

Chatwoot (`Api::V1::Accounts::CsatSurveyResponsesController#metrics` and the dashboard's
`store/modules/csat.js`, docs/reports.md):

- responses: CSAT answers (`csat_survey_responses`) given in the period (their `created_at`);
- rating distribution: responses per rating 1 to 5;
- satisfaction score: responses rated 4 or 5 ÷ responses;
- response rate: responses ÷ surveys sent, a survey being a message with `content_type`
  input_csat (9) created in the period;
- filters: agent (the response's `assigned_agent_id`), inbox, rating.

Our rows hold one conversation each, with its latest answer (`csat_rating`,
`csat_responded_at`) and its latest survey (`csat_survey_sent_at`, migration 0071), so a
conversation surveyed twice counts once; the agent is the conversation's assignee as last
synced. Period, agent and inbox filters apply to every figure; the rating and text filters
narrow only the comment list (a satisfaction score of the 5-rated answers alone says nothing).

Pure SQL and Python, no Streamlit: the dashboard page and the exports use these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from allpfit.reports.scope import IN_CHATWOOT, period_params

RATINGS = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)  # Chatwoot's positive ratings (getSatisfactionScore)
COMMENTS_PAGE = 50
TEXT_LIMIT = 200


@dataclass(frozen=True)
class CsatFilters:
    """The page's filters; empty values mean "no filter". Hashable for st.cache_data.

    `agents` are Chatwoot user ids (assignees), `inboxes` inbox ids; `ratings` and `text`
    apply to the comment list only."""

    start: date
    end: date
    tz: str
    agents: tuple[int, ...] = ()
    inboxes: tuple[int, ...] = ()
    ratings: tuple[int, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class CsatSummary:
    responses: int
    by_rating: tuple[int, int, int, int, int]  # responses rated 1, 2, 3, 4, 5
    surveys_sent: int

    @property
    def satisfaction(self) -> float | None:
        """Share of responses rated 4 or 5 (None: no response)."""
        if not self.responses:
            return None
        return sum(self.by_rating[r - 1] for r in SATISFIED) / self.responses

    @property
    def response_rate(self) -> float | None:
        """Responses ÷ surveys sent in the period (None: no survey sent). Like Chatwoot's, it
        can pass 100% when answers arrive in the period for surveys sent before it."""
        if not self.surveys_sent:
            return None
        return self.responses / self.surveys_sent


def _params(filters: CsatFilters) -> dict[str, Any]:
    return {
        **period_params(filters.start, filters.end, filters.tz),
        "agents": list(filters.agents),
        "inboxes": list(filters.inboxes),
    }


# Responses and surveys of the period, with the agent and inbox filters.
_ANSWERED = (
    "csat_rating IS NOT NULL AND csat_responded_at >= %(since)s AND csat_responded_at < %(until)s"
)
_SENT = "csat_survey_sent_at >= %(since)s AND csat_survey_sent_at < %(until)s"
_WHERE = f"""
    {IN_CHATWOOT}
    AND (cardinality(%(agents)s::integer[]) = 0 OR assignee_id = ANY(%(agents)s::integer[]))
    AND (cardinality(%(inboxes)s::integer[]) = 0 OR inbox_id = ANY(%(inboxes)s::integer[]))
    AND (({_ANSWERED}) OR ({_SENT}))
"""


_PER_RATING = ", ".join(
    f"count(*) FILTER (WHERE {_ANSWERED} AND csat_rating = {r})" for r in RATINGS
)


def summary(conn: psycopg.Connection, filters: CsatFilters) -> CsatSummary:
    """Responses, their ratings and the surveys sent in the period."""
    row = conn.execute(
        f"""
        SELECT count(*) FILTER (WHERE {_ANSWERED}),
               {_PER_RATING},
               count(*) FILTER (WHERE {_SENT})
        FROM conversas_analytics WHERE {_WHERE}
        """,
        _params(filters),
    ).fetchone()
    assert row is not None
    counts = tuple(int(v) for v in row)
    return CsatSummary(counts[0], counts[1:6], counts[6])  # type: ignore[arg-type]


GROUPS = {
    # group -> (id column, name column)
    "agent": ("assignee_id", "assignee_name"),
    "inbox": ("inbox_id", "inbox_name"),
}


def by_group(conn: psycopg.Connection, filters: CsatFilters, group: str) -> pd.DataFrame:
    """The summary per agent or per inbox: columns id, nome, respostas, satisfeitas,
    satisfacao, enviadas, taxa_resposta, nota_media; most responses first. An agent of NULL
    is the conversations with no assignee."""
    id_col, name_col = (sql.Identifier(c) for c in GROUPS[group])
    query = sql.SQL(
        """
        SELECT {id_col} AS id, max({name_col}) AS nome,
               count(*) FILTER (WHERE {answered})::int AS respostas,
               count(*) FILTER (WHERE {answered} AND csat_rating >= 4)::int AS satisfeitas,
               count(*) FILTER (WHERE {sent})::int AS enviadas,
               avg(csat_rating) FILTER (WHERE {answered})::float8 AS nota_media
        FROM conversas_analytics WHERE {where}
        GROUP BY {id_col}
        ORDER BY respostas DESC, enviadas DESC, nome NULLS LAST
        """
    ).format(
        id_col=id_col,
        name_col=name_col,
        answered=sql.SQL(_ANSWERED),
        sent=sql.SQL(_SENT),
        where=sql.SQL(_WHERE),
    )
    with conn.cursor() as cur:
        cur.execute(query, _params(filters))
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])
    if frame.empty:
        frame["satisfacao"] = frame["taxa_resposta"] = []
        return frame
    frame["satisfacao"] = [
        s / r if r else None for s, r in zip(frame["satisfeitas"], frame["respostas"], strict=True)
    ]
    frame["taxa_resposta"] = [
        r / e if e else None for r, e in zip(frame["respostas"], frame["enviadas"], strict=True)
    ]
    return frame


def _comment_where(filters: CsatFilters) -> tuple[str, dict[str, Any]]:
    params = _params(filters)
    params["ratings"] = list(filters.ratings)
    text = filters.text.strip()[:TEXT_LIMIT]
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params["text"] = f"%{escaped}%" if text else None
    where = f"""
        {_WHERE} AND {_ANSWERED} AND csat_feedback IS NOT NULL
        AND (cardinality(%(ratings)s::integer[]) = 0 OR csat_rating = ANY(%(ratings)s::integer[]))
        AND (%(text)s::text IS NULL OR csat_feedback ILIKE %(text)s::text)
    """
    return where, params


def comments_count(conn: psycopg.Connection, filters: CsatFilters) -> int:
    """How many answers with a written comment match every filter."""
    where, params = _comment_where(filters)
    row = conn.execute(f"SELECT count(*) FROM conversas_analytics WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0


def comments(
    conn: psycopg.Connection, filters: CsatFilters, *, limit: int = COMMENTS_PAGE, offset: int = 0
) -> pd.DataFrame:
    """Answers with a written comment (Chatwoot's `feedback_message`), newest first: columns
    respondida_em, nota, comentario, contato, atendente, caixa, display_id, account_id."""
    where, params = _comment_where(filters)
    params.update(limit=limit, offset=offset)
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT csat_responded_at AS respondida_em, csat_rating AS nota,
                   csat_feedback AS comentario, contact_name AS contato,
                   assignee_name AS atendente, inbox_name AS caixa, display_id, account_id
            FROM conversas_analytics WHERE {where}
            ORDER BY csat_responded_at DESC, conversation_id DESC
            LIMIT %(limit)s OFFSET %(offset)s
            """,
            params,
        )
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])


def options(
    conn: psycopg.Connection, start: date, end: date, tz: str
) -> dict[str, list[tuple[int, str]]]:
    """The agents and inboxes with a response or a survey in the period, for the filters:
    {"agent": [(id, name)], "inbox": [(id, name)]}, by name."""
    params = {**period_params(start, end, tz), "agents": [], "inboxes": []}
    found: dict[str, list[tuple[int, str]]] = {}
    for group, (id_col, name_col) in GROUPS.items():
        rows = conn.execute(
            sql.SQL(
                "SELECT {i}, max({n}) FROM conversas_analytics WHERE {w} AND {i} IS NOT NULL "
                "GROUP BY {i} ORDER BY 2 NULLS LAST, 1"
            ).format(i=sql.Identifier(id_col), n=sql.Identifier(name_col), w=sql.SQL(_WHERE)),
            params,
        ).fetchall()
        found[group] = [(int(i), str(n or i)) for i, n in rows]
    return found
