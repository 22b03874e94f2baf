"""The fixed part of the demo Chatwoot account: the gym, its inboxes, bot, agents, teams, labels.

These are a handful of rows, inserted with explicit ids so the conversations written later by
COPY can point at them. The account carries `internal_attributes.allpfit_demo`, the marker
that lets `generate(replace=True)` tell generated data from a real Chatwoot database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from allpfit.demo import phrases
from allpfit.demo.dialogue import Agent, Cast

ACCOUNT_ID = 1
WHATSAPP_INBOX = 1
WIDGET_INBOX = 2
BOT_ID = 1
DEMO_MARKER = "allpfit_demo"


@dataclass(frozen=True)
class Account:
    cast: Cast
    tag_ids: dict[str, int]


def _insert(conn: psycopg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
    )
    with conn.cursor() as cur:
        cur.executemany(query, [[row[c] for c in cols] for row in rows])


def create_account(conn: psycopg.Connection, at: datetime, seed: int) -> Account:
    """Insert the account and everything conversations refer to; `at` is its creation time."""
    stamp = {"created_at": at, "updated_at": at}
    marker = json.dumps({DEMO_MARKER: {"seed": seed}})
    _insert(
        conn,
        "accounts",
        [{"id": ACCOUNT_ID, "name": "AllpFit CrossFit", "internal_attributes": marker, **stamp}],
    )
    _insert(
        conn,
        "channel_whatsapp",
        [
            {
                "id": 1,
                "account_id": ACCOUNT_ID,
                "phone_number": "+5511940028922",
                "provider": "whatsapp_cloud",
                **stamp,
            }
        ],
    )
    _insert(
        conn,
        "channel_web_widgets",
        [
            {
                "id": 1,
                "account_id": ACCOUNT_ID,
                "website_url": "https://allpfit.com.br",
                "website_token": "allpfitdemo",
                **stamp,
            }
        ],
    )
    inbox = {
        "account_id": ACCOUNT_ID,
        "channel_id": 1,
        "timezone": "America/Sao_Paulo",
        "working_hours_enabled": False,
        "csat_survey_enabled": True,
        **stamp,
    }
    _insert(
        conn,
        "inboxes",
        [
            {
                "id": WHATSAPP_INBOX,
                "name": "WhatsApp AllpFit",
                "channel_type": "Channel::Whatsapp",
                **inbox,
            },
            {
                "id": WIDGET_INBOX,
                "name": "Site AllpFit",
                "channel_type": "Channel::WebWidget",
                **inbox,
            },
        ],
    )
    _insert(
        conn,
        "agent_bots",
        [
            {
                "id": BOT_ID,
                "name": phrases.BOT_NAME,
                "account_id": ACCOUNT_ID,
                "outgoing_url": "https://bot.allpfit.com.br/webhook",
                **stamp,
            }
        ],
    )
    _insert(
        conn,
        "agent_bot_inboxes",
        [
            {
                "id": 1,
                "inbox_id": WHATSAPP_INBOX,
                "agent_bot_id": BOT_ID,
                "status": 0,
                "account_id": ACCOUNT_ID,
                **stamp,
            }
        ],
    )
    agents = tuple(Agent(i, name, short) for i, (name, short) in enumerate(phrases.AGENTS, 1))
    _insert(
        conn,
        "users",
        [
            {
                "id": a.id,
                "name": a.name,
                "display_name": a.short,
                "uid": f"{a.short.lower()}@allpfit.test",
                "email": f"{a.short.lower()}@allpfit.test",
                **stamp,
            }
            for a in agents
        ],
    )
    _insert(
        conn,
        "account_users",
        [
            {
                "id": a.id,
                "account_id": ACCOUNT_ID,
                "user_id": a.id,
                "role": 1 if a.id == 1 else 0,
                **stamp,
            }
            for a in agents
        ],
    )
    teams = tuple((i, name) for i, (name, _) in enumerate(phrases.TEAMS, 1))
    _insert(
        conn,
        "teams",
        [
            {"id": i, "name": name, "description": desc, "account_id": ACCOUNT_ID, **stamp}
            for i, (name, desc) in enumerate(phrases.TEAMS, 1)
        ],
    )
    _insert(
        conn,
        "team_members",
        [{"id": a.id, "team_id": 1 if a.id <= 3 else 2, "user_id": a.id, **stamp} for a in agents],
    )
    _insert(
        conn,
        "labels",
        [
            {
                "id": i,
                "title": title,
                "color": color,
                "description": desc,
                "show_on_sidebar": True,
                "account_id": ACCOUNT_ID,
                **stamp,
            }
            for i, (title, color, desc) in enumerate(phrases.LABELS, 1)
        ],
    )
    _insert(conn, "tags", [{"id": i, "name": t[0]} for i, t in enumerate(phrases.LABELS, 1)])
    cast = Cast(bot_id=BOT_ID, bot_name=phrases.BOT_NAME, agents=agents, teams=teams)
    return Account(cast, {t[0]: i for i, t in enumerate(phrases.LABELS, 1)})
