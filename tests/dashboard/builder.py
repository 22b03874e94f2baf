"""Hand-built dashboard data with known answers, inserted straight into the local tables.

`Rows` writes conversas_analytics / conversas_analytics_ai / crm_customers /
conversas_crm_match_real rows with sane defaults; `standard_dataset` is the small scenario
whose every KPI is worked out by hand in its docstring (the tests assert those numbers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

TZ = ZoneInfo("America/Sao_Paulo")
START = date(2026, 6, 1)
TODAY = date(2026, 6, 30)


def period_of(hour: int) -> str:
    return "madrugada" if hour < 6 else "manhã" if hour < 12 else "tarde" if hour < 18 else "noite"


class Rows:
    """Inserts rows through an autocommit connection to a migrated local database."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._next_customer = 0

    def _insert(self, table: str, values: dict[str, Any], returning: str | None = None) -> Any:
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(sql.Placeholder() * len(values)),
        )
        if returning:
            query += sql.SQL(" RETURNING {}").format(sql.Identifier(returning))
        cur = self.conn.execute(query, list(values.values()))
        return cur.fetchone()[0] if returning else None  # type: ignore[index]

    def conversation(
        self,
        conversation_id: int,
        *,
        contact_id: int,
        day: date,
        hour: int = 10,
        name: str | None = None,
        phone: str | None = None,
        senders: str = "cb",
        reopened: bool = False,
        last_activity: date | None = None,
        deleted: bool = False,
    ) -> int:
        """One conversation; `senders` is one letter per message: c(ontact) b(ot) a(gent).
        `deleted`: the sync marked it deleted in Chatwoot (deleted_in_source_at)."""
        created = datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)
        kinds = {"c": "contact", "b": "bot", "a": "agent"}
        texts = {
            "c": "Oi, quero saber do plano",
            "b": "Olá! Sou a assistente",
            "a": "Oi, aqui é a Júlia",
        }
        messages = [
            {
                "id": conversation_id * 100 + i,
                "at": (created + timedelta(minutes=i)).isoformat(),
                "sender": kinds[s],
                "text": f"{texts[s]} {i}",
            }
            for i, s in enumerate(senders)
        ]
        counts = {k: senders.count(k) for k in "cba"}
        last_at = created + timedelta(minutes=max(len(senders) - 1, 0))
        activity_day = last_activity or day
        activity_at = max(
            last_at,
            datetime(activity_day.year, activity_day.month, activity_day.day, 12, tzinfo=TZ),
        )
        self._insert(
            "conversas_analytics",
            {
                "conversation_id": conversation_id,
                "account_id": 1,
                "contact_id": contact_id,
                "contact_name": name,
                "contact_phone": phone,
                "status": "open",
                "conversation_created_at": created,
                "conversation_updated_at": activity_at,
                "last_activity_at": activity_at,
                "message_compiled": json.dumps(messages),
                "total_messages": len(senders),
                "contact_messages": counts["c"],
                "bot_messages": counts["b"],
                "agent_messages": counts["a"],
                "first_message_at": created if senders else None,
                "last_message_at": last_at if senders else None,
                "first_contact_message_at": created if counts["c"] else None,
                "has_human_intervention": counts["a"] > 0,
                "has_bot_messages": counts["b"] > 0,
                "is_bot_only": counts["b"] > 0 and counts["a"] == 0,
                "is_reopened": reopened,
                "conversation_date": day,
                "conversation_hour": hour,
                "conversation_weekday": day.isoweekday(),
                "is_weekend": day.isoweekday() >= 6,
                "period_of_day": period_of(hour),
                "last_activity_date": activity_day,
                "deleted_in_source_at": activity_at if deleted else None,
            },
        )
        return conversation_id

    def profile(
        self,
        conversation_id: int,
        *,
        probability: int,
        condition: str | None = None,
        goal: str | None = None,
        visit: bool = False,
        visit_date: date | None = None,
        bot_name: str | None = None,
    ) -> None:
        self._insert(
            "conversas_analytics_ai",
            {
                "conversation_id": conversation_id,
                "nome_mapeado_bot": bot_name,
                "condicao_fisica": condition,
                "objetivo": goal,
                "probabilidade_conversao": probability,
                "visita_agendada": visit,
                "data_visita": visit_date,
                "analise_ia": f"Análise da conversa {conversation_id}",
                "sugestao_disparo": f"Mensagem sugerida {conversation_id}",
                "provider": "rules",
                "modelo_ia": "rules-v1",
                "content_hash": "h",
            },
        )

    def customer(
        self,
        name: str,
        *,
        phone: str | None = None,
        conversion: date | None = None,
        sale: date | None = None,
        register: date | None = None,
    ) -> int:
        if self._next_customer == 0:  # continue after rows another Rows() wrote
            self._next_customer = self.conn.execute(
                "SELECT count(*) FROM crm_customers"
            ).fetchone()[0]  # type: ignore[index]
        self._next_customer += 1
        return int(
            self._insert(
                "crm_customers",
                {
                    "source": "excel",
                    "external_id": f"X{self._next_customer}",
                    "name": name,
                    "phone_raw": phone,
                    "phone_normalized": phone,
                    "conversion_date": conversion,
                    "sale_date": sale,
                    "register_date": register,
                },
                returning="id",
            )
        )

    def match(
        self, conversation_id: int, customer_id: int, *, conversation_day: date, signup: date
    ) -> None:
        name, phone = self.conn.execute(
            "SELECT name, phone_normalized FROM crm_customers WHERE id = %s", (customer_id,)
        ).fetchone()  # type: ignore[misc]
        self._insert(
            "conversas_crm_match_real",
            {
                "conversation_id": conversation_id,
                "crm_customer_id": customer_id,
                "contact_phone": phone,
                "crm_customer_phone": phone,
                "crm_customer_name": name,
                "match_type": "exact",
                "match_score": 1,
                "conversation_date": conversation_day,
                "crm_signup_date": signup,
                "days_to_conversion": (signup - conversation_day).days,
            },
        )


@dataclass(frozen=True)
class Expected:
    """The hand-worked answers for `standard_dataset` over START..TODAY, today = TODAY."""

    total_contatos: int = 3
    conversas_ia: int = 3
    conversas_humanas: int = 2
    visitas_agendadas: int = 2
    vendas_trafego: int = 2
    vendas_totais: int = 3
    novos_leads: int = 1
    visitas_hoje: int = 3
    vendas_hoje: int = 1
    conversas_hoje: int = 3
    conversas_novas: int = 2
    conversas_reabertas: int = 2
    lead_rows: int = 5


def standard_dataset(conn: psycopg.Connection, today: date = TODAY) -> Expected:
    """Eight conversations, five customers; dates relative to `today` (June 2026 by default).

    Lead conversations in range (contact_messages > 0, created in the last 30 days):
      c1 Ana (101) 20 days ago 10h, bot only, score 5, Iniciante "Emagrecer", visit with no
         known day ("sem data"); sold (A)
      c2 Ana (101) 15 days ago 15h, human, score 4
      c3 Bruno (102) 18 days ago 20h, bot only, score 2, Sedentário "Ganhar massa", bot name
         "Bruninho"
      c4 Carla (103) today 09h, human, reopened, score 3, Avançado, visit today (first lead:
         new)
      c7 Bruno (102) today 14h, bot only, no profile (not new: c3 came before)
    Outside: c5 (104) 41 days ago (bot only, score 5, visit booked then for today: it counts
    for today although the conversation is not active today) sold to B with signup in range;
    c6 (105) no contact message; c8 (106) 30 days ago, reopened, active today, score 1, visit
    today. Visits for today: c4, c5, c8 = 3 (c1 has no day, so it counts for no day).
    Customers: A signup 10 days ago (conversion), B 25 days ago (sale; no conversion date),
    C today (register only), D 2 days ahead, E conversion 60 days ago (sale in range ignored).
    """
    rows = Rows(conn)
    ago = lambda n: today - timedelta(days=n)  # noqa: E731
    rows.conversation(
        1, contact_id=101, day=ago(20), hour=10, name="Ana Souza", phone="+5511987650001"
    )
    rows.conversation(
        2,
        contact_id=101,
        day=ago(15),
        hour=15,
        name="Ana Souza",
        phone="+5511987650001",
        senders="cbac",
    )
    rows.conversation(
        3, contact_id=102, day=ago(18), hour=20, name="Bruno Lima", phone="+5511987650002"
    )
    rows.conversation(
        4,
        contact_id=103,
        day=today,
        hour=9,
        name="Carla Dias",
        phone="+5521987650003",
        senders="cba",
        reopened=True,
    )
    rows.conversation(
        5, contact_id=104, day=ago(41), hour=11, name="Dora Reis", phone="+5511987650004"
    )
    rows.conversation(
        6,
        contact_id=105,
        day=ago(12),
        hour=11,
        name="Edu Campos",
        phone="+5511987650005",
        senders="b",
    )
    rows.conversation(
        7, contact_id=102, day=today, hour=14, name="Bruno Lima", phone="+5511987650002"
    )
    rows.conversation(
        8,
        contact_id=106,
        day=ago(30),
        hour=16,
        name="Fábio Melo",
        phone="+5511987650006",
        reopened=True,
        last_activity=today,
    )
    rows.profile(
        1, probability=5, condition="Iniciante", goal="Emagrecer", visit=True, bot_name="Ana"
    )
    rows.profile(2, probability=4, condition="Iniciante", goal="Emagrecer")
    rows.profile(3, probability=2, condition="Sedentário", goal="Ganhar massa", bot_name="Bruninho")
    rows.profile(
        4,
        probability=3,
        condition="Avançado",
        goal="Condicionamento",
        visit=True,
        visit_date=today,
    )
    rows.profile(
        5,
        probability=5,
        condition="Intermediário",
        goal="Emagrecer",
        visit=True,
        visit_date=today,
    )
    rows.profile(8, probability=1, visit=True, visit_date=today)
    a = rows.customer("Ana Souza", phone="+5511987650001", conversion=ago(10), register=ago(11))
    b = rows.customer("Dora Reis", phone="+5511987650004", sale=ago(25))
    rows.customer("Gabi Nunes", register=today)
    rows.customer("Hugo Alves", conversion=today + timedelta(days=2))
    rows.customer("Íris Prado", conversion=ago(60), sale=ago(5))
    rows.match(1, a, conversation_day=ago(20), signup=ago(10))
    rows.match(5, b, conversation_day=ago(41), signup=ago(25))
    return Expected()
