"""A small world for follow-up tests: a Chatwoot database (source) with leads written at
chosen times, synced into the local database for real, profiles with an intent, optional CRM
sales, and the fake Chatwoot API serving the same Chatwoot database (so a message the sender
creates through the API is in the conversation when it is read back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from allpfit.config import Settings
from allpfit.source.api_client import ChatwootApi
from allpfit.sync.run import run_sync
from allpfit.tenants import Tenant
from tests.factories import Chatwoot
from tests.fakes.chatwoot_api import FakeChatwoot

SUGGESTION = "Oi {name}! Vi que você perguntou dos planos. Quer agendar uma aula experimental?"


def utcnow() -> datetime:
    return datetime.now(UTC)


def naive(moment: datetime) -> datetime:
    """A UTC moment as Chatwoot stores it (timestamp without time zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass
class World:
    source_url: str
    local_url: str
    settings: Settings
    cw: Chatwoot
    leads: dict[str, int] = field(default_factory=dict)  # name → conversation id
    displays: dict[str, int] = field(default_factory=dict)  # name → display id
    contacts: dict[str, int] = field(default_factory=dict)

    def lead(
        self,
        name: str,
        hours_ago: float,
        *,
        contact: str | None = None,
        text: str = "Oi, quanto custa o plano mensal?",
    ) -> int:
        """A conversation whose contact (`contact`, default `name`) last wrote `hours_ago`."""
        who = contact or name
        if who not in self.contacts:
            phone = f"+55119{len(self.contacts) + 1:08d}"
            self.contacts[who] = self.cw.contact(who, phone)
        at = naive(utcnow() - timedelta(hours=hours_ago))
        conv = self.cw.conversation(self.contacts[who], created_at=at, last_activity_at=at)
        self.cw.message(conv, text, at=at, sender_type="Contact", sender_id=self.contacts[who])
        row = self.cw.conn.execute(
            "SELECT display_id FROM conversations WHERE id = %s", (conv,)
        ).fetchone()
        assert row is not None  # Chatwoot's trigger numbers conversations per account
        self.leads[name] = conv
        self.displays[name] = int(row[0])
        return conv

    def sync_and_profile(self, intents: dict[str, str] | None = None) -> None:
        """Sync for real, then give every lead a profile (intent new_lead unless told)."""
        run_sync(self.local_url, self.source_url)
        with psycopg.connect(self.local_url, autocommit=True) as local:
            for name, conv in self.leads.items():
                local.execute(
                    """INSERT INTO conversas_analytics_ai (conversation_id,
                           probabilidade_conversao, analise_ia, sugestao_disparo, provider,
                           modelo_ia, content_hash, intent)
                       VALUES (%s, 4, 'análise', %s, 'rules', 'rules', 'h', %s)
                       ON CONFLICT (tenant_id, conversation_id) DO UPDATE
                       SET intent = EXCLUDED.intent""",
                    (conv, SUGGESTION.format(name=name.split()[0]),
                     (intents or {}).get(name, "new_lead")),
                )  # fmt: skip

    def sale(self, name: str, days_after: int = 0) -> None:
        """A CRM customer matched to `name`'s conversation, signing up `days_after` today."""
        with psycopg.connect(self.local_url, autocommit=True) as local:
            day = (utcnow() + timedelta(days=days_after)).date()
            customer = local.execute(
                """INSERT INTO crm_customers (source, external_id, name, phone_raw,
                       conversion_date) VALUES ('excel', %s, %s, '11999999999', %s)
                   RETURNING id""",
                (f"x-{name}", name, day),
            ).fetchone()
            assert customer is not None
            local.execute(
                """INSERT INTO conversas_crm_match_real (conversation_id, crm_customer_id,
                       match_type, match_score, conversation_date, crm_signup_date,
                       days_to_conversion)
                   VALUES (%s, %s, 'exact', 1, %s, %s, 0)""",
                (self.leads[name], customer[0], day - timedelta(days=1), day),
            )


def make_world(source_url: str, local_url: str, settings: Settings) -> World:
    conn = psycopg.connect(source_url, autocommit=True)
    cw = Chatwoot(conn)
    configured = settings.model_copy(update={"source_account_id": cw.account_id})
    return World(source_url, local_url, configured, cw)


def with_api(world: World, fake: FakeChatwoot) -> Settings:
    """The world's settings pointing the default tenant at the running fake."""
    from pydantic import SecretStr

    world.settings = world.settings.model_copy(
        update={"chatwoot_url": fake.url, "chatwoot_api_token": SecretStr(fake.token)}
    )
    return world.settings


def api_for(fake: FakeChatwoot) -> ChatwootApi:
    async def no_wait(_: float) -> None:
        return None

    return ChatwootApi(fake.url, fake.account_id, fake.token, backoff=0.0, sleep=no_wait)


def default_tenant(local_url: str) -> Tenant:
    from allpfit import db

    return db.resolve_tenant(local_url, None)
