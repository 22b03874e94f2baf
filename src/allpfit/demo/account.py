"""The fixed part of a demo Chatwoot account: the business, its inboxes, bot, agents, teams,
labels.

These are a handful of rows per account, inserted with explicit ids so the conversations
written later by COPY can point at them: account N has inboxes 2N-1 (WhatsApp, with the bot)
and 2N (web widget), bot N, and agents, teams and labels numbered from 10 * (N - 1) + 1. Each
account carries `internal_attributes.allpfit_demo`, the marker that lets
`generate(replace=True)` tell generated data from a real Chatwoot database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

import psycopg
from psycopg import sql

from allpfit.demo import business
from allpfit.demo.dialogue import Agent, Cast

PER_ACCOUNT = 10  # agents, teams and labels per account: ids are 10 * (account - 1) + n
DEMO_MARKER = "allpfit_demo"


@dataclass(frozen=True)
class Account:
    """One generated Chatwoot account: the ids conversations point at, and its words."""

    id: int
    whatsapp_inbox: int
    widget_inbox: int
    cast: Cast
    tag_ids: dict[str, int]
    text: ModuleType


def inbox_ids(account_id: int) -> tuple[int, int]:
    """(WhatsApp inbox, web-widget inbox) of generated account `account_id`."""
    return 2 * account_id - 1, 2 * account_id


def _insert(conn: psycopg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
    )
    with conn.cursor() as cur:
        cur.executemany(query, [[row[c] for c in cols] for row in rows])


def create_account(
    conn: psycopg.Connection, account_id: int, at: datetime, seed: int, tags: dict[str, int]
) -> Account:
    """Insert account `account_id` and everything its conversations refer to; `at` is its
    creation time. `tags` (name -> id) is shared by all accounts, as Chatwoot's `tags` table
    is global: a label title two accounts use is one tag."""
    biz = business.business_of(account_id)
    text, copy = biz.text, business.copy_number(account_id)
    suffix = "" if copy == 1 else str(copy)
    base = PER_ACCOUNT * (account_id - 1)
    whatsapp, widget = inbox_ids(account_id)
    stamp = {"created_at": at, "updated_at": at}
    marker = json.dumps({DEMO_MARKER: {"seed": seed, "business": biz.slug}})
    _insert(
        conn,
        "accounts",
        [
            {
                "id": account_id,
                "name": business.account_name(account_id),
                "internal_attributes": marker,
                **stamp,
            }
        ],
    )
    phone = biz.whatsapp_phone
    _insert(
        conn,
        "channel_whatsapp",
        [
            {
                "id": account_id,
                "account_id": account_id,
                "phone_number": f"{phone[:-2]}{(int(phone[-2:]) + copy - 1) % 100:02d}",
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
                "id": account_id,
                "account_id": account_id,
                "website_url": f"https://{biz.domain}",
                "website_token": f"{biz.slug}demo{suffix}",
                **stamp,
            }
        ],
    )
    inbox = {
        "account_id": account_id,
        "channel_id": account_id,
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
                "id": whatsapp,
                "name": f"WhatsApp {biz.brand}{suffix}",
                "channel_type": "Channel::Whatsapp",
                **inbox,
            },
            {
                "id": widget,
                "name": f"Site {biz.brand}{suffix}",
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
                "id": account_id,
                "name": text.BOT_NAME,
                "account_id": account_id,
                "outgoing_url": f"https://bot.{biz.domain}/webhook",
                **stamp,
            }
        ],
    )
    _insert(
        conn,
        "agent_bot_inboxes",
        [
            {
                "id": account_id,
                "inbox_id": whatsapp,
                "agent_bot_id": account_id,
                "status": 0,
                "account_id": account_id,
                **stamp,
            }
        ],
    )
    agents = tuple(Agent(base + i, name, short) for i, (name, short) in enumerate(text.AGENTS, 1))
    _insert(
        conn,
        "users",
        [
            {
                "id": a.id,
                "name": a.name,
                "display_name": a.short,
                "uid": f"{a.short.lower()}{suffix}@{biz.slug}.test",
                "email": f"{a.short.lower()}{suffix}@{biz.slug}.test",
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
                "account_id": account_id,
                "user_id": a.id,
                "role": 1 if a is agents[0] else 0,
                **stamp,
            }
            for a in agents
        ],
    )
    teams = tuple((base + i, name) for i, (name, _) in enumerate(text.TEAMS, 1))
    _insert(
        conn,
        "teams",
        [
            {"id": base + i, "name": name, "description": desc, "account_id": account_id, **stamp}
            for i, (name, desc) in enumerate(text.TEAMS, 1)
        ],
    )
    first_team = (len(agents) + 1) * 3 // 5  # about three in five agents sell
    _insert(
        conn,
        "team_members",
        [
            {"id": a.id, "team_id": teams[0 if n < first_team else 1][0], "user_id": a.id, **stamp}
            for n, a in enumerate(agents)
        ],
    )
    _insert(
        conn,
        "labels",
        [
            {
                "id": base + i,
                "title": title,
                "color": color,
                "description": desc,
                "show_on_sidebar": True,
                "account_id": account_id,
                **stamp,
            }
            for i, (title, color, desc) in enumerate(text.LABELS, 1)
        ],
    )
    new_tags = [t[0] for t in text.LABELS if t[0] not in tags]
    for name in new_tags:
        tags[name] = len(tags) + 1
    if new_tags:
        _insert(conn, "tags", [{"id": tags[name], "name": name} for name in new_tags])
    cast = Cast(bot_id=account_id, bot_name=text.BOT_NAME, agents=agents, teams=teams)
    return Account(account_id, whatsapp, widget, cast, dict(tags), text)
