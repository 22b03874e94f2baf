"""The demo generator writes Chatwoot data that is consistent the way Chatwoot keeps it, for
two businesses (two accounts) by default."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest

from allpfit.demo.generator import GenerationStats, generate, split
from allpfit.errors import InputError
from allpfit.sync.run import run_sync
from tests.demo.conftest import END, SIZE, query, scalar
from tests.factories import Chatwoot

Generated = tuple[str, GenerationStats]


def test_generated_data_loads_into_the_chatwoot_schema_with_the_requested_counts(
    generated: Generated,
) -> None:
    url, stats = generated
    counts = query(
        url,
        "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages), "
        "(SELECT count(*) FROM contacts), (SELECT count(*) FROM reporting_events), "
        "(SELECT count(*) FROM csat_survey_responses), (SELECT count(*) FROM attachments)",
    )[0]
    assert counts == (
        SIZE,
        stats.messages,
        stats.contacts,
        stats.reporting_events,
        stats.csat_responses,
        stats.attachments,
    )
    # ~15 messages per conversation: fewer since the hidden intent (members, opt-outs, wrong
    # numbers write a line or two; lukewarm leads drop out sooner)
    assert 12 <= stats.messages / SIZE <= 25
    assert stats.contacts < SIZE  # returning leads have several conversations
    assert min(stats.csat_responses, stats.attachments, stats.taggings) > 0
    assert scalar(url, "SELECT max(created_at) FROM messages") <= END
    assert scalar(url, "SELECT min(created_at) FROM conversations") >= END - timedelta(days=60)
    # sequences were moved past the explicit ids: Chatwoot could keep inserting
    assert scalar(url, "SELECT nextval('messages_id_seq')") == stats.messages + 1
    display = query(url, "SELECT account_id, min(display_id), max(display_id), count(DISTINCT "
                    "display_id) FROM conversations GROUP BY 1 ORDER BY 1")  # fmt: skip
    half = SIZE // 2  # two businesses, an even share each; display ids count per account
    assert display == [(1, 1, half, half), (2, 1, half, half)]
    assert (stats.accounts, stats.inboxes) == (2, 4)


def test_two_businesses_each_with_its_own_inboxes_bot_agents_and_words(
    generated: Generated,
) -> None:
    url, _ = generated
    accounts = query(url, "SELECT id, name FROM accounts ORDER BY id")
    assert accounts == [(1, "AllpFit CrossFit"), (2, "Studio Equilíbrio Pilates")]
    inboxes = query(url, "SELECT account_id, array_agg(name ORDER BY id) FROM inboxes "
                    "GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert inboxes == [(1, ["WhatsApp AllpFit", "Site AllpFit"]),
                       (2, ["WhatsApp Studio Equilíbrio", "Site Studio Equilíbrio"])]  # fmt: skip
    # every row of a conversation stays in the conversation's account
    crossed = query(url, """
        SELECT (SELECT count(*) FROM conversations c JOIN inboxes i ON i.id = c.inbox_id
                WHERE i.account_id <> c.account_id),
               (SELECT count(*) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
                WHERE ct.account_id <> c.account_id),
               (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.account_id <> c.account_id OR m.inbox_id <> c.inbox_id),
               (SELECT count(*) FROM messages m JOIN account_users au ON au.user_id = m.sender_id
                WHERE m.sender_type = 'User' AND au.account_id <> m.account_id),
               (SELECT count(*) FROM messages m JOIN agent_bots b ON b.id = m.sender_id
                WHERE m.sender_type = 'AgentBot' AND b.account_id <> m.account_id),
               (SELECT count(*) FROM reporting_events e JOIN conversations c
                ON c.id = e.conversation_id WHERE e.account_id <> c.account_id),
               (SELECT count(*) FROM taggings g JOIN conversations c ON c.id = g.taggable_id
                JOIN tags t ON t.id = g.tag_id WHERE NOT EXISTS (SELECT 1 FROM labels l
                WHERE l.account_id = c.account_id AND l.title = t.name))
    """)[0]  # fmt: skip
    assert crossed == (0, 0, 0, 0, 0, 0, 0)
    words = dict(query(url, """
        SELECT account_id, string_agg(content, ' ') FROM messages
        WHERE message_type = 1 AND NOT private GROUP BY 1
    """))  # fmt: skip
    assert "CrossFit" in words[1] and "pilates" not in words[1].lower()
    assert "Studio Equilíbrio" in words[2] and "CrossFit" not in words[2]
    assert "R$ 189,90" in words[1] and "R$ 420/mês" in words[2]  # each its own plans


def test_scale_parameter_is_respected(empty_db: Callable[[], str]) -> None:
    url = empty_db()
    stats = generate(url, conversations=37, seed=1, end=END, days=3)
    assert stats.conversations == 37 == scalar(url, "SELECT count(*) FROM conversations")
    first = scalar(url, "SELECT min(created_at) FROM conversations")
    assert first >= END - timedelta(days=3)  # type: ignore[operator]


def _snapshot(url: str) -> list[list[tuple]]:
    return [
        query(url, f"SELECT * FROM {table} ORDER BY id")
        for table in ("contacts", "conversations", "messages", "reporting_events", "taggings")
    ]


def test_same_seed_gives_the_same_rows_and_another_seed_different_ones(
    empty_db: Callable[[], str],
) -> None:
    urls = [empty_db() for _ in range(3)]
    for url, seed in zip(urls, (7, 7, 8), strict=True):
        generate(url, conversations=40, seed=seed, end=END)
    first, second, other = (_snapshot(url) for url in urls)
    assert first == second
    assert first[2] != other[2]


def test_every_row_points_at_rows_that_exist(generated: Generated) -> None:
    url, _ = generated
    orphans = query(url, """
        SELECT (SELECT count(*) FROM messages m WHERE NOT EXISTS
                  (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)),
               (SELECT count(*) FROM conversations c WHERE NOT EXISTS
                  (SELECT 1 FROM contact_inboxes ci WHERE ci.id = c.contact_inbox_id
                   AND ci.contact_id = c.contact_id AND ci.inbox_id = c.inbox_id)),
               (SELECT count(*) FROM attachments a WHERE NOT EXISTS
                  (SELECT 1 FROM messages m WHERE m.id = a.message_id AND m.content IS NULL)),
               (SELECT count(*) FROM csat_survey_responses r WHERE NOT EXISTS
                  (SELECT 1 FROM messages m WHERE m.id = r.message_id
                   AND m.conversation_id = r.conversation_id AND m.content_type = 9)),
               (SELECT count(*) FROM messages m WHERE m.sender_type = 'User' AND NOT EXISTS
                  (SELECT 1 FROM account_users au WHERE au.user_id = m.sender_id)),
               (SELECT count(*) FROM messages m WHERE m.sender_type = 'AgentBot' AND NOT EXISTS
                  (SELECT 1 FROM agent_bot_inboxes b WHERE b.agent_bot_id = m.sender_id
                   AND b.inbox_id = m.inbox_id))
    """)[0]  # fmt: skip
    assert orphans == (0, 0, 0, 0, 0, 0)


def test_conversation_timing_columns_match_the_messages(generated: Generated) -> None:
    url, _ = generated
    wrong = query(url, """
        SELECT
          count(*) FILTER (WHERE c.first_reply_created_at IS DISTINCT FROM m.first_human),
          count(*) FILTER (WHERE c.last_activity_at <> m.last_at),
          count(*) FILTER (WHERE c.status = 1 AND c.waiting_since IS NOT NULL),
          count(*) FILTER (WHERE (c.status = 3) <> (c.snoozed_until IS NOT NULL)),
          count(*) FILTER (WHERE c.snoozed_until <= %(end)s),
          count(*) FILTER (WHERE (c.first_reply_created_at IS NOT NULL) <> (fr.n = 1)),
          count(*) FILTER (WHERE fr.value < 0 OR fr.at <> c.first_reply_created_at)
        FROM conversations c
        JOIN LATERAL (
          SELECT min(created_at) FILTER (WHERE message_type = 1 AND sender_type = 'User'
                                         AND NOT private) AS first_human,
                 max(created_at) AS last_at
          FROM messages WHERE conversation_id = c.id) m ON true
        JOIN LATERAL (
          SELECT count(*) AS n, min(value) AS value, min(event_end_time) AS at
          FROM reporting_events WHERE conversation_id = c.id AND name = 'first_response') fr
          ON true
    """, {"end": END})[0]  # fmt: skip
    assert wrong == (0, 0, 0, 0, 0, 0, 0)


def test_cached_label_list_equals_the_taggings(generated: Generated) -> None:
    url, _ = generated
    rows = query(url, """
        SELECT c.cached_label_list,
               (SELECT array_agg(t.name ORDER BY t.name) FROM taggings g
                JOIN tags t ON t.id = g.tag_id
                WHERE g.taggable_id = c.id AND g.taggable_type = 'Conversation'
                  AND g.context = 'labels')
        FROM conversations c
    """)  # fmt: skip
    assert any(labels for labels, _ in rows)
    for cached, tagged in rows:
        listed = sorted(p.strip() for p in (cached or "").split(",") if p.strip())
        assert listed == (tagged or [])


def test_statuses_periods_and_reopens_all_occur(generated: Generated) -> None:
    url, _ = generated
    statuses = {r[0] for r in query(url, "SELECT DISTINCT status FROM conversations")}
    assert statuses == {0, 1, 2, 3}
    hours = {r[0] for r in query(url, "SELECT DISTINCT extract(hour FROM created_at "
                                 "- interval '3 hours')::int / 6 FROM conversations")}  # fmt: skip
    assert hours == {0, 1, 2, 3}  # madrugada, manhã, tarde, noite in São Paulo
    names = {r[0] for r in query(url, "SELECT DISTINCT name FROM reporting_events")}
    assert names >= {"first_response", "reply_time", "conversation_resolved",
                     "conversation_bot_resolved", "conversation_bot_handoff",
                     "conversation_opened"}  # fmt: skip
    assert scalar(url, "SELECT count(*) FROM reporting_events WHERE value_in_business_hours "
                  "<> 0") == 0  # fmt: skip


def test_reopened_conversations_have_an_opened_event_since_the_resolution(
    generated: Generated,
) -> None:
    url, _ = generated
    reopened = query(url, """
        SELECT c.id, c.status, EXISTS (
                 SELECT 1 FROM reporting_events o WHERE o.conversation_id = c.id
                 AND o.name = 'conversation_opened' AND o.value > 0
                 AND o.created_at > r.first_resolved)
        FROM conversations c
        JOIN (SELECT conversation_id, min(created_at) AS first_resolved FROM reporting_events
              WHERE name = 'conversation_resolved' GROUP BY 1) r ON r.conversation_id = c.id
        WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                      AND m.message_type = 0 AND m.created_at > r.first_resolved)
    """)  # fmt: skip
    assert len(reopened) >= 3
    # Only a reopen still waiting for the bot (pending) has not been opened yet.
    assert all(has_event or status == 2 for _, status, has_event in reopened)
    assert sum(has_event for *_, has_event in reopened) >= 3


def test_phones_are_e164_and_some_lack_the_ninth_digit(generated: Generated) -> None:
    url, _ = generated
    phones = [r[0] for r in query(url, "SELECT phone_number FROM contacts")]
    present = [p for p in phones if p]
    assert all(re.fullmatch(r"\+[1-9]\d{1,14}", p) for p in present)
    assert len(set(present)) == len(present)  # unique per account, as Chatwoot validates
    with_nine = [p for p in present if len(p) == 14 and p[5] == "9"]
    old_mobile = [p for p in present if len(p) == 13 and p[5] in "6789"]
    assert len(with_nine) > len(old_mobile) > 0
    assert len(present) < len(phones)  # web-widget visitors have no phone
    mismatched = scalar(url, """
        SELECT count(*) FROM contact_inboxes ci JOIN contacts ct ON ct.id = ci.contact_id
        JOIN inboxes i ON i.id = ci.inbox_id
        WHERE i.channel_type = 'Channel::Whatsapp' AND ci.source_id <> substr(ct.phone_number, 2)
    """)  # fmt: skip
    assert mismatched == 0


def test_sync_of_generated_data_gives_one_row_per_conversation(
    generated: Generated, local_url: str
) -> None:
    url, stats = generated
    result = run_sync(local_url, url)
    assert result.rows_inserted == SIZE
    source = query(url, """
        SELECT (SELECT count(*) FROM messages WHERE message_type = 0),
               (SELECT count(*) FROM messages WHERE sender_type = 'AgentBot'),
               (SELECT count(*) FROM messages WHERE sender_type = 'User' AND NOT private
                AND message_type = 1),
               (SELECT count(*) FROM messages WHERE private),
               (SELECT count(DISTINCT conversation_id) FROM csat_survey_responses)
    """)[0]  # fmt: skip
    local = query(local_url, """
        SELECT sum(contact_messages), sum(bot_messages), sum(agent_messages),
               sum(private_notes), count(*) FILTER (WHERE has_csat), count(*),
               count(DISTINCT period_of_day), count(*) FILTER (WHERE is_reopened),
               count(*) FILTER (WHERE is_bot_resolved), count(*) FILTER (WHERE has_bot_handoff)
        FROM conversas_analytics
    """)[0]  # fmt: skip
    assert local[:5] == source
    assert local[5] == SIZE
    assert local[6] == 4
    assert min(local[7:]) > 0


def test_generating_into_a_database_with_conversations_is_refused_unless_replacing(
    generated: Generated,
) -> None:
    url, _ = generated
    with pytest.raises(InputError, match=f"already holds {SIZE} conversations"):
        generate(url, conversations=5, end=END)
    assert scalar(url, "SELECT count(*) FROM conversations") == SIZE


def test_replace_empties_generated_data_first(empty_db: Callable[[], str]) -> None:
    url = empty_db()
    generate(url, conversations=30, seed=3, end=END)
    stats = generate(url, conversations=12, seed=4, end=END, replace=True)
    assert stats.conversations == 12
    assert query(url, "SELECT count(*), min(display_id) FROM conversations")[0] == (12, 1)
    assert scalar(url, "SELECT count(*) FROM accounts") == 2


def test_replace_refuses_to_delete_a_real_chatwoot_database(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        cw = Chatwoot(conn)
        cw.conversation(cw.contact())
    with pytest.raises(InputError, match="not generated by allpfit"):
        generate(source_url, conversations=5, end=END, replace=True)
    assert scalar(source_url, "SELECT count(*) FROM conversations") == 1


def test_more_accounts_cycle_the_businesses_and_share_the_conversations(
    empty_db: Callable[[], str],
) -> None:
    url = empty_db()
    stats = generate(url, conversations=53, seed=2, end=END, days=5, accounts=5)
    assert (stats.accounts, stats.inboxes, stats.conversations) == (5, 10, 53)
    assert split(53, 5) == [10, 11, 10, 11, 11]
    rows = query(url, "SELECT a.id, a.name, count(c.id) FROM accounts a "
                 "JOIN conversations c ON c.account_id = a.id GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert rows == [(1, "AllpFit CrossFit", 10), (2, "Studio Equilíbrio Pilates", 11),
                    (3, "AllpFit CrossFit 2", 10), (4, "Studio Equilíbrio Pilates 2", 11),
                    (5, "AllpFit CrossFit 3", 11)]  # fmt: skip
    one = empty_db()
    assert generate(one, conversations=20, seed=2, end=END, accounts=1).accounts == 1
    assert scalar(one, "SELECT count(DISTINCT account_id) FROM conversations") == 1


@pytest.mark.parametrize("accounts", [0, 51])
def test_out_of_range_account_count_is_refused_before_connecting(accounts: int) -> None:
    with pytest.raises(InputError, match="makes 1 to 50"):
        generate("postgresql://nobody@127.0.0.1:1/none", accounts=accounts)


@pytest.mark.parametrize("conversations", [0, 1_000_001])
def test_out_of_range_conversation_count_is_refused_before_connecting(conversations: int) -> None:
    with pytest.raises(InputError, match="makes 1 to 1,000,000"):
        generate("postgresql://nobody@127.0.0.1:1/none", conversations=conversations)
