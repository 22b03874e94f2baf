"""The CSAT, bot and traffic reports against numbers worked out by hand from Chatwoot's own
definitions (docs/reports.md), on hand-made conversations written into a Chatwoot-shaped
source database and brought over by the real sync (so the extraction is checked too).

The business time zone is America/Sao_Paulo (UTC-3 all year). The period is the week
Monday 2026-06-08 .. Sunday 2026-06-14 in São Paulo, i.e. the instants
[2026-06-08 03:00 UTC, 2026-06-15 03:00 UTC). All times below are UTC, as Chatwoot stores them.

CSAT conversations (no bot message in any of them), agent = assignee; SP = São Paulo:

| conv | inbox | agent | created               | survey sent              | answer               |
|------|-------|-------|-----------------------|--------------------------|----------------------|
| c1   | A     | ana   | 06-08 12:00 (Mon 09h) | 06-08 14:05              | 5 "Ótimo atendimento" |
| c2   | A     | ana   | 06-09 15:00 (Tue 12h) | 06-09 16:00              | 4, no comment        |
| c3   | A     | bruno | 06-10 13:00 (Wed 10h) | 06-10 20:00              | 2 "Demorou muito"    |
| c4   | B     | bruno | 06-11 01:00 (Wed 22h) | 06-11 02:00              | 1 "Péssimo, ..."     |
| c5   | B     | ana   | 06-12 12:00 (Fri 09h) | 06-12 13:00              | none                 |
| c6   | A     | bruno | 06-05 12:00 (before)  | 06-05 13:00 (before)     | 3 "Ok", 06-08 11:00  |
| c7   | A     | ana   | 06-14 12:00 (Sun 09h) | 06-15 02:30 = Sun 23:30  | 5 "Excelente", same  |
| c8   | A     | ana   | 06-15 02:00 (Sun 23h) | 06-15 03:30 = Mon 00:30  | 1, same (after)      |
| c9   | A     | ana   | 06-09 18:00           | 06-09 19:00              | 1 (DELETED, below)   |
| c10  | A     | bruno | 06-13 12:00 (Sat 09h) | 06-13 12:30              | none                 |

c9 also has a bot message and a handoff; it is deleted in Chatwoot after the first sync.
The survey and answer of c1, c2, c3, c4, c7, c8, c9 are one `cw.csat` (same time).

Bot conversations (AgentBot messages; b6 created before the period):

| conv | inbox | created      | bot msgs | handoff (s) | agent wrote | status   |
|------|-------|--------------|----------|-------------|-------------|----------|
| b1   | A     | 06-08 12:00  | 2        | -           | no          | resolved |
| b2   | A     | 06-09 12:00  | 1        | -           | no          | open     |
| b3   | A     | 06-10 12:00  | 1        | 600         | yes         | resolved |
| b4   | B     | 06-11 12:00  | 1        | 1200        | no (yet)    | open     |
| b5   | B     | 06-12 12:00  | 1        | -           | no          | resolved |
| b6   | A     | 06-05 12:00  | 1        | -           | no          | resolved |
| b7   | A     | 06-13 12:00  | 1        | -           | no          | resolved |

t1 (inbox A) is created 06-08 02:00 UTC = Sunday 06-07 23:00 SP: outside the period.

First responses (Chatwoot `first_response` events; conversation.first_reply_created_at):
c1 1800 s at 06-08 12:30; c2 3600 at 06-09 16:00; c3 14399 at 06-10 16:59:59;
c4 28800 at 06-11 09:00 (B); c5 90000 at 06-13 13:00 (B); c6 259200 at 06-08 12:00;
c7 86399 at 06-15 11:59:59 (after the period); c10 14400 at 06-13 16:00;
b3 300 at 06-10 12:15; t1 7200 at 06-08 04:00 (= 06-08 01:00 SP: in the period).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import psycopg
import pytest

from allpfit.errors import InputError
from allpfit.reports import bot, csat, traffic
from allpfit.reports.scope import period_params
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot

TZ = "America/Sao_Paulo"
START, END = date(2026, 6, 8), date(2026, 6, 14)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A June 2026 instant in UTC (naive, as Chatwoot stores it)."""
    return datetime(2026, 6, day, hour, minute, second)


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


def build(cw: Chatwoot) -> dict[str, int]:
    """Write the conversations of the module docstring; return their ids by name."""
    ana, bruno = cw.user("ana", "Ana"), cw.user("bruno", "Bruno")
    inbox_a = cw.inbox_id
    inbox_b = cw.inbox("Site AllpFit", channel_type="Channel::WebWidget")
    agent_bot = cw.agent_bot()
    ids: dict[str, int] = {}
    phone = iter(range(10, 99))

    def conversation(
        name: str, created: datetime, *, inbox: int = inbox_a, agent: int | None = None,
        status: int = 0, reply: tuple[float, datetime] | None = None,
    ) -> tuple[int, int]:  # fmt: skip
        contact = cw.contact(name.upper(), f"+55119876543{next(phone)}")
        conv = cw.conversation(
            contact, status=status, created_at=created, inbox_id=inbox, assignee_id=agent,
            first_reply_created_at=reply[1] if reply else None,
        )  # fmt: skip
        cw.message(conv, "Oi", at=created, sender_type="Contact", sender_id=contact)
        if reply is not None:
            seconds, when = reply
            if agent is not None:
                cw.message(
                    conv, "Olá!", message_type=1, at=when, sender_type="User", sender_id=agent
                )
            cw.event(conv, "first_response", seconds, at=when, start=created)
        ids[name] = conv
        return conv, contact

    def survey_only(conv: int, when: datetime) -> None:
        cw.message(conv, "Avalie o atendimento", message_type=3, content_type=9, at=when)

    conv, contact = conversation("c1", at(8, 12), agent=ana, status=1, reply=(1800, at(8, 12, 30)))
    cw.csat(conv, contact, 5, "Ótimo atendimento", at=at(8, 14, 5))
    conv, contact = conversation("c2", at(9, 15), agent=ana, reply=(3600, at(9, 16)))
    cw.csat(conv, contact, 4, None, at=at(9, 16))
    conv, contact = conversation("c3", at(10, 13), agent=bruno, reply=(14399, at(10, 16, 59, 59)))
    cw.csat(conv, contact, 2, "Demorou muito", at=at(10, 20))
    conv, contact = conversation(
        "c4", at(11, 1), inbox=inbox_b, agent=bruno, reply=(28800, at(11, 9))
    )
    cw.csat(conv, contact, 1, "Péssimo, ninguém respondeu", at=at(11, 2))
    conv, _ = conversation("c5", at(12, 12), inbox=inbox_b, agent=ana, reply=(90000, at(13, 13)))
    survey_only(conv, at(12, 13))
    conv, contact = conversation("c6", at(5, 12), agent=bruno, reply=(259200, at(8, 12)))
    survey_only(conv, at(5, 13))
    cw.execute(  # the answer to the survey of 06-05 arrives in the period
        "INSERT INTO csat_survey_responses (account_id, conversation_id, message_id, rating, "
        "feedback_message, contact_id, created_at, updated_at) SELECT account_id, "
        "conversation_id, id, 3, 'Ok', %s, %s, %s FROM messages WHERE conversation_id = %s "
        "AND content_type = 9",
        (contact, at(8, 11), at(8, 11), conv),
    )
    conv, contact = conversation("c7", at(14, 12), agent=ana, reply=(86399, at(15, 11, 59, 59)))
    cw.csat(conv, contact, 5, "Excelente", at=at(15, 2, 30))
    conv, contact = conversation("c8", at(15, 2), agent=ana)
    cw.csat(conv, contact, 1, "Fora do período", at=at(15, 3, 30))
    conv, contact = conversation("c9", at(9, 18), agent=ana)
    cw.message(conv, "Sou o bot", message_type=1, at=at(9, 18, 1), sender_type="AgentBot",
               sender_id=agent_bot)  # fmt: skip
    cw.event(conv, "conversation_bot_handoff", 60, at=at(9, 18, 1))
    cw.csat(conv, contact, 1, "Apagada no Chatwoot", at=at(9, 19))
    conv, _ = conversation("c10", at(13, 12), agent=bruno, reply=(14400, at(13, 16)))
    survey_only(conv, at(13, 12, 30))

    def bot_conversation(
        name: str, created: datetime, *, inbox: int = inbox_a, bot_messages: int = 1,
        handoff: float | None = None, agent_reply: bool = False, status: int = 0,
    ) -> None:  # fmt: skip
        reply = (300.0, created + timedelta(minutes=15)) if agent_reply else None
        conv, _ = conversation(
            name, created, inbox=inbox, agent=ana if agent_reply else None, status=status,
            reply=reply,
        )  # fmt: skip
        for i in range(bot_messages):
            cw.message(conv, f"Bot {i}", message_type=1, at=created + timedelta(seconds=10 + i),
                       sender_type="AgentBot", sender_id=agent_bot)  # fmt: skip
        if handoff is not None:
            cw.event(conv, "conversation_bot_handoff", handoff,
                     at=created + timedelta(seconds=handoff), start=created)  # fmt: skip

    bot_conversation("b1", at(8, 12), bot_messages=2, status=1)
    bot_conversation("b2", at(9, 12))
    bot_conversation("b3", at(10, 12), handoff=600, agent_reply=True, status=1)
    bot_conversation("b4", at(11, 12), inbox=inbox_b, handoff=1200)
    bot_conversation("b5", at(12, 12), inbox=inbox_b, status=1)
    bot_conversation("b6", at(5, 12), status=1)
    bot_conversation("b7", at(13, 12), status=1)
    conversation("t1", at(8, 2), reply=(7200, at(8, 4)))
    ids.update(inbox_a=inbox_a, inbox_b=inbox_b, ana=ana, bruno=bruno)
    return ids


def sync_dataset(cw: Chatwoot, source_url: str, local_url: str) -> dict[str, int]:
    """Build, sync, delete c9 in Chatwoot, sync again (c9 is then marked deleted)."""
    ids = build(cw)
    run_sync(local_url, source_url)
    cw.execute("DELETE FROM conversations WHERE id = %s", (ids["c9"],))
    run_sync(local_url, source_url, allow_mass_delete=True)
    return ids


@pytest.fixture
def ids(cw: Chatwoot, source_url: str, local_url: str) -> dict[str, int]:
    return sync_dataset(cw, source_url, local_url)


def filters(**extra: object) -> csat.CsatFilters:
    return csat.CsatFilters(START, END, TZ, **extra)  # type: ignore[arg-type]


# --- CSAT ---------------------------------------------------------------------------------


def test_the_sync_records_when_the_survey_was_sent(ids: dict[str, int], local) -> None:  # type: ignore[no-untyped-def]
    sent = dict(
        local.execute(
            "SELECT conversation_id, csat_survey_sent_at FROM conversas_analytics"
        ).fetchall()
    )
    assert sent[ids["c5"]].isoformat() == "2026-06-12T13:00:00+00:00"  # survey, no answer
    assert sent[ids["b1"]] is None  # no survey
    deleted = local.execute(
        "SELECT deleted_in_source_at IS NOT NULL FROM conversas_analytics "
        "WHERE conversation_id = %s",
        (ids["c9"],),
    ).fetchone()
    assert deleted == (True,)


def test_csat_summary_matches_chatwoot(ids: dict[str, int], local: psycopg.Connection) -> None:
    summary = csat.summary(local, filters())
    # Answers in [06-08 03:00, 06-15 03:00) UTC: c1(5) c2(4) c3(2) c4(1) c6(3) c7(5) = 6;
    # c8 (06-15 03:30) is after the period, c9 was deleted in Chatwoot.
    assert summary.responses == 6
    assert summary.by_rating == (1, 1, 1, 1, 2)  # 1: c4, 2: c3, 3: c6, 4: c2, 5: c1 c7
    # Surveys sent in the period: c1 c2 c3 c4 c5 c7 c10 = 7 (c6's on 06-05, c8's after).
    assert summary.surveys_sent == 7
    assert summary.satisfaction == pytest.approx(3 / 6)  # ratings 4-5: c2 c1 c7
    assert summary.response_rate == pytest.approx(6 / 7)


def test_csat_agent_and_inbox_filters(ids: dict[str, int], local: psycopg.Connection) -> None:
    ana = csat.summary(local, filters(agents=(ids["ana"],)))
    # Ana: answers c1(5) c2(4) c7(5); surveys c1 c2 c5 c7 → 3/3 satisfied, 3/4 answered.
    assert (ana.responses, ana.by_rating, ana.surveys_sent) == (3, (0, 0, 0, 1, 2), 4)
    assert (ana.satisfaction, ana.response_rate) == (1.0, 0.75)
    site = csat.summary(local, filters(inboxes=(ids["inbox_b"],)))
    # Inbox B: c4 answered 1, c5 surveyed only → 0/1 satisfied, 1/2 answered.
    assert (site.responses, site.surveys_sent, site.satisfaction, site.response_rate) == (
        1, 2, 0.0, 0.5,
    )  # fmt: skip
    # Rating and text filters do not change the cards (they narrow the comments only).
    assert csat.summary(local, filters(ratings=(5,), text="x")) == csat.summary(local, filters())


def test_csat_by_agent_and_by_inbox(ids: dict[str, int], local: psycopg.Connection) -> None:
    agents = csat.by_group(local, filters(), "agent").set_index("nome")
    # Ana: answers 5,4,5 (mean 14/3), 4 surveys; Bruno: answers c3 2, c4 1, c6 3 (mean 2),
    # surveys c3 c4 c10 = 3. Unassigned conversations (bots, t1) have no survey or answer.
    assert list(agents.index) == ["Ana", "Bruno"]
    assert agents.loc["Ana", ["respostas", "satisfeitas", "enviadas"]].tolist() == [3, 3, 4]
    assert agents.loc["Ana", "satisfacao"] == 1.0 and agents.loc["Ana", "taxa_resposta"] == 0.75
    assert agents.loc["Ana", "nota_media"] == pytest.approx(14 / 3)
    assert agents.loc["Bruno", ["respostas", "satisfeitas", "enviadas"]].tolist() == [3, 0, 3]
    assert agents.loc["Bruno", "satisfacao"] == 0.0 and agents.loc["Bruno", "taxa_resposta"] == 1.0
    assert agents.loc["Bruno", "nota_media"] == pytest.approx(2.0)
    inboxes = csat.by_group(local, filters(), "inbox").set_index("nome")
    # A: answers c1 5, c2 4, c3 2, c6 3, c7 5 (3 satisfied, mean 19/5), surveys c1 c2 c3 c7
    # c10 = 5; B ("Site AllpFit"): c4 1, surveys c4 c5.
    assert inboxes.loc["WhatsApp AllpFit", ["respostas", "satisfeitas", "enviadas"]].tolist() == [
        5, 3, 5,
    ]  # fmt: skip
    assert inboxes.loc["WhatsApp AllpFit", "satisfacao"] == pytest.approx(0.6)
    assert inboxes.loc["WhatsApp AllpFit", "nota_media"] == pytest.approx(3.8)
    assert inboxes.loc["Site AllpFit", ["respostas", "satisfeitas", "enviadas"]].tolist() == [
        1, 0, 2,
    ]  # fmt: skip
    assert inboxes.loc["Site AllpFit", "taxa_resposta"] == 0.5


def test_csat_comments_and_their_filters(ids: dict[str, int], local: psycopg.Connection) -> None:
    # Comments answered in the period, newest first: c7, c4, c3, c1, c6 (c2 wrote none).
    assert list(csat.comments(local, filters())["comentario"]) == [
        "Excelente", "Péssimo, ninguém respondeu", "Demorou muito", "Ótimo atendimento", "Ok",
    ]  # fmt: skip
    assert csat.comments_count(local, filters()) == 5
    low = csat.comments(local, filters(ratings=(1, 2)))
    assert list(low["nota"]) == [1, 2] and list(low["caixa"]) == [
        "Site AllpFit",
        "WhatsApp AllpFit",
    ]
    assert list(csat.comments(local, filters(text="MUITO"))["comentario"]) == ["Demorou muito"]
    assert csat.comments_count(local, filters(text="100%")) == 0  # % is a character, not LIKE
    bruno_fives = filters(agents=(ids["bruno"],), ratings=(5,))
    assert csat.comments_count(local, bruno_fives) == 0
    page = csat.comments(local, filters(), limit=2, offset=2)
    assert list(page["comentario"]) == ["Demorou muito", "Ótimo atendimento"]


def test_csat_filter_options(ids: dict[str, int], local: psycopg.Connection) -> None:
    found = csat.options(local, START, END, TZ)
    assert found["agent"] == [(ids["ana"], "Ana"), (ids["bruno"], "Bruno")]
    assert found["inbox"] == [
        (ids["inbox_b"], "Site AllpFit"),
        (ids["inbox_a"], "WhatsApp AllpFit"),
    ]


# --- Bot ----------------------------------------------------------------------------------


def test_bot_summary_over_the_conversations_the_bot_took_part_in(
    ids: dict[str, int], local: psycopg.Connection
) -> None:
    summary = bot.summary(local, START, END, TZ)
    # Created in the period with the bot: b1 b2 b3 b4 b5 b7 = 6 (b6 before it, c9 deleted;
    # the CSAT conversations and t1 never had the bot, so they are not in the denominator).
    assert summary.conversations == 6
    assert summary.bot_only == 5  # b1 b2 b4 b5 b7: no agent message (b4 handed off, unanswered)
    assert summary.handed_off == 2  # b3 b4
    assert summary.bot_resolved == 3  # b1 b5 b7: resolved, no agent, no handoff
    assert summary.resolution_rate == pytest.approx(3 / 6)
    assert summary.handoff_rate == pytest.approx(2 / 6)
    assert summary.bot_messages == 7  # b1 2 + one each for b2 b3 b4 b5 b7
    assert summary.avg_handoff_seconds == pytest.approx(900)  # (600 + 1200) / 2
    site = bot.summary(local, START, END, TZ, (ids["inbox_b"],))
    assert (site.conversations, site.bot_only, site.handed_off, site.bot_resolved) == (2, 2, 1, 1)


def test_bot_per_day_and_by_inbox(ids: dict[str, int], local: psycopg.Connection) -> None:
    days = bot.per_day(local, START, END, TZ)
    assert [str(d) for d in days["dia"]] == [f"2026-06-{d:02d}" for d in range(8, 15)]
    assert list(days["conversas"]) == [1, 1, 1, 1, 1, 1, 0]  # b1 b2 b3 b4 b5 b7, none Sunday
    assert list(days["transferidas"]) == [0, 0, 1, 1, 0, 0, 0]  # b3 Wed, b4 Thu
    assert list(days["resolvidas_bot"]) == [1, 0, 0, 0, 1, 1, 0]  # b1 Mon, b5 Fri, b7 Sat
    assert list(days["so_bot"]) == [1, 1, 0, 1, 1, 1, 0]
    inboxes = bot.by_inbox(local, START, END, TZ).set_index("caixa")
    # A: b1 b2 b3 b7 → 3 bot only, 1 handoff, 2 resolved; B: b4 b5 → 2, 1, 1.
    assert inboxes.loc["WhatsApp AllpFit", ["conversas", "so_bot", "transferidas",
                                            "resolvidas_bot"]].tolist() == [4, 3, 1, 2]  # fmt: skip
    assert inboxes.loc["WhatsApp AllpFit", "taxa_resolucao"] == 0.5
    assert inboxes.loc["WhatsApp AllpFit", "taxa_transferencia"] == 0.25
    site = inboxes.loc["Site AllpFit"]
    assert site[["conversas", "transferidas", "resolvidas_bot"]].tolist() == [2, 1, 1]


# --- Traffic ------------------------------------------------------------------------------


def test_heatmap_in_the_business_time_zone(ids: dict[str, int], local: psycopg.Connection) -> None:
    grid = traffic.heatmap(local, START, END, TZ)
    assert grid.shape == (7, 24)
    expected = {
        (1, 9): 2,  # Mon 09h: c1, b1
        (2, 9): 1,  # Tue 09h: b2
        (2, 12): 1,  # Tue 12h: c2
        (3, 9): 1,  # Wed 09h: b3
        (3, 10): 1,  # Wed 10h: c3
        (3, 22): 1,  # Wed 22h: c4 (Thursday 01:00 UTC)
        (4, 9): 1,  # Thu 09h: b4
        (5, 9): 2,  # Fri 09h: c5, b5
        (6, 9): 2,  # Sat 09h: c10, b7
        (7, 9): 1,  # Sun 09h: c7
        (7, 23): 1,  # Sun 23h: c8 (Monday 02:00 UTC)
    }  # t1 (Sunday 06-07 23h SP), c6, b6 are before the period; c9 was deleted.
    cells = {
        (d, h): int(grid.loc[d, h]) for d in grid.index for h in grid.columns if grid.loc[d, h]
    }
    assert cells == expected
    assert int(grid.to_numpy().sum()) == 14
    site = traffic.heatmap(local, START, END, TZ, (ids["inbox_b"],))
    assert int(site.to_numpy().sum()) == 4 and int(site.loc[3, 22]) == 1  # c4 c5 b4 b5


def test_first_response_buckets_are_chatwoots(
    ids: dict[str, int], local: psycopg.Connection
) -> None:
    by_channel = traffic.first_response_buckets(local, START, END, TZ).set_index("canal")
    # First responses written in the period, [lower, upper) buckets:
    # 0-1h: c1 1800, b3 300 | 1-4h: c2 3600, c3 14399, t1 7200 | 4-8h: c10 14400 |
    # 8-24h: c4 28800 | 24h+: c5 90000, c6 259200 (created before, answered in the period).
    # c7's (86399) is written after the period.
    assert by_channel.loc["Channel::Whatsapp"].tolist() == [2, 3, 1, 0, 1]
    assert by_channel.loc["Channel::WebWidget"].tolist() == [0, 0, 0, 1, 1]
    assert traffic.bucket_totals(by_channel.reset_index()) == {
        "0-1h": 2, "1-4h": 3, "4-8h": 1, "8-24h": 1, "24h+": 2,
    }  # fmt: skip


def test_report_periods_are_checked() -> None:
    with pytest.raises(InputError, match="at most 366 days"):
        period_params(date(2025, 1, 1), date(2026, 6, 1), TZ)
    with pytest.raises(InputError, match="forwards"):
        period_params(END, START, TZ)
    with pytest.raises(InputError, match="Unknown time zone"):
        period_params(START, END, "Mars/Olympus")
    params = period_params(START, END, TZ)
    assert params["since"].isoformat() == "2026-06-08T00:00:00-03:00"
    assert params["until"].isoformat() == "2026-06-15T00:00:00-03:00"
