"""Builders for Chatwoot rows with sane defaults, for hand-built test cases.

Timestamps are naive UTC, as Chatwoot stores them. Every builder returns the new row's id.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import psycopg
import psycopg.rows

T0 = datetime(2026, 6, 10, 13, 0, 0)  # 10:00 in São Paulo


class Chatwoot:
    """Writes rows into a Chatwoot-shaped test database through an autocommit connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.account_id = self._insert(
            "accounts",
            name="AllpFit",
            created_at=T0 - timedelta(days=30),
            updated_at=T0 - timedelta(days=30),
        )
        self.inbox_id = self.inbox("WhatsApp AllpFit")

    def _insert(self, table: str, **values: Any) -> int:
        cols = list(values)
        data = [json.dumps(v) if isinstance(v, dict) else v for v in values.values()]
        query = psycopg.sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            psycopg.sql.Identifier(table),
            psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, cols)),
            psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() * len(cols)),
        )
        row = self.conn.execute(query, data).fetchone()
        assert row is not None
        return int(row[0])

    def execute(self, query: str, params: Any = None) -> None:
        self.conn.execute(query, params)

    def inbox(self, name: str, channel_type: str = "Channel::Whatsapp") -> int:
        return self._insert(
            "inboxes",
            account_id=getattr(self, "account_id", 1),
            channel_id=1,
            name=name,
            channel_type=channel_type,
            created_at=T0 - timedelta(days=30),
            updated_at=T0 - timedelta(days=30),
        )

    def user(self, name: str, display_name: str | None = None) -> int:
        return self._insert(
            "users",
            name=name,
            display_name=display_name,
            uid=f"{name}@x.test",
            email=f"{name}@x.test",
            created_at=T0 - timedelta(days=30),
            updated_at=T0 - timedelta(days=30),
        )

    def team(self, name: str) -> int:
        return self._insert(
            "teams",
            name=name,
            account_id=self.account_id,
            created_at=T0 - timedelta(days=30),
            updated_at=T0 - timedelta(days=30),
        )

    def agent_bot(self, name: str = "AllpFit Bot") -> int:
        return self._insert(
            "agent_bots",
            name=name,
            account_id=self.account_id,
            created_at=T0 - timedelta(days=30),
            updated_at=T0 - timedelta(days=30),
        )

    def contact(
        self, name: str = "Maria Silva", phone: str | None = "+5511987654321", **extra: Any
    ) -> int:
        values: dict[str, Any] = dict(
            account_id=self.account_id,
            name=name,
            phone_number=phone,
            created_at=T0,
            updated_at=T0,
        )
        values.update(extra)
        return self._insert("contacts", **values)

    def conversation(
        self, contact_id: int, *, status: int = 0, created_at: datetime = T0, **extra: Any
    ) -> int:
        ci = self._insert(
            "contact_inboxes",
            contact_id=contact_id,
            inbox_id=self.inbox_id,
            source_id=f"src-{contact_id}-{created_at.timestamp()}",
            created_at=created_at,
            updated_at=created_at,
        )
        values: dict[str, Any] = dict(
            account_id=self.account_id,
            inbox_id=self.inbox_id,
            contact_id=contact_id,
            contact_inbox_id=ci,
            status=status,
            created_at=created_at,
            updated_at=created_at,
            last_activity_at=created_at,
            display_id=0,
        )
        values.update(extra)
        return self._insert("conversations", **values)

    def message(
        self,
        conversation_id: int,
        content: str | None,
        *,
        message_type: int = 0,
        at: datetime = T0,
        sender_type: str | None = None,
        sender_id: int | None = None,
        private: bool = False,
        content_type: int = 0,
        content_attributes: dict[str, Any] | None = None,
        additional_attributes: dict[str, Any] | None = None,
        updated_at: datetime | None = None,
    ) -> int:
        return self._insert(
            "messages",
            account_id=self.account_id,
            inbox_id=self.inbox_id,
            conversation_id=conversation_id,
            message_type=message_type,
            content=content,
            created_at=at,
            updated_at=updated_at or at,
            sender_type=sender_type,
            sender_id=sender_id,
            private=private,
            content_type=content_type,
            content_attributes=content_attributes or {},
            additional_attributes=additional_attributes or {},
        )

    def leads(self, n: int, text: str = "oi") -> list[int]:
        """`n` conversations, each with a contact ("Lead i", a São Paulo mobile) who wrote
        `text`; returns the conversation ids."""
        ids = []
        for i in range(n):
            conv = self.conversation(self.contact(f"Lead {i}", f"+55119000000{i:02d}"))
            self.message(conv, text, at=T0)
            ids.append(conv)
        return ids

    def csat(
        self,
        conversation_id: int,
        contact_id: int,
        rating: int,
        feedback: str | None = None,
        at: datetime = T0,
    ) -> int:
        message_id = self.message(
            conversation_id, "Como você avalia?", message_type=3, content_type=9, at=at
        )
        return self._insert(
            "csat_survey_responses",
            account_id=self.account_id,
            conversation_id=conversation_id,
            message_id=message_id,
            rating=rating,
            feedback_message=feedback,
            contact_id=contact_id,
            created_at=at,
            updated_at=at,
        )

    def event(
        self,
        conversation_id: int,
        name: str,
        value: float,
        *,
        at: datetime = T0,
        business: float | None = 0.0,
        start: datetime | None = None,
        user_id: int | None = None,
        inbox_id: int | None = None,
    ) -> int:
        return self._insert(
            "reporting_events",
            name=name,
            value=value,
            value_in_business_hours=business,
            account_id=self.account_id,
            inbox_id=self.inbox_id if inbox_id is None else inbox_id,
            user_id=user_id,
            conversation_id=conversation_id,
            event_start_time=start,
            event_end_time=at,
            created_at=at,
            updated_at=at,
        )

    def tag(self, conversation_id: int, label: str, at: datetime = T0) -> None:
        row = self.conn.execute(
            "INSERT INTO tags (name) VALUES (%s) ON CONFLICT (name) DO UPDATE SET name = "
            "EXCLUDED.name RETURNING id",
            (label,),
        ).fetchone()
        assert row is not None
        self._insert(
            "taggings",
            tag_id=row[0],
            taggable_type="Conversation",
            taggable_id=conversation_id,
            context="labels",
            created_at=at,
        )


def fetch_row(conn: psycopg.Connection, conversation_id: int) -> dict[str, Any]:
    """One conversas_analytics row as a dict (for assertions)."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        row = cur.execute(
            "SELECT * FROM conversas_analytics WHERE conversation_id = %s", (conversation_id,)
        ).fetchone()
    assert row is not None, f"conversation {conversation_id} not in conversas_analytics"
    return row
