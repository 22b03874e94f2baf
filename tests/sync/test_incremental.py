"""Run-twice tests: every kind of Chatwoot change reaches the local row on the next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from allpfit.sync.run import SyncOptions, SyncResult, run_sync
from tests.factories import T0, Chatwoot, fetch_row


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def sync(local_url: str, source_url: str, **kwargs: object) -> SyncResult:
    return run_sync(local_url, source_url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def lead(cw: Chatwoot) -> dict[str, int]:
    """A bot conversation with a lead, already synced once by the tests that use it."""
    bot = cw.agent_bot()
    contact = cw.contact("Maria", "+5511987654321")
    conv = cw.conversation(contact, status=1)
    cw.message(conv, "quanto custa?", at=T0)
    cw.message(conv, "R$ 199", message_type=1, sender_type="AgentBot", sender_id=bot, at=T0)
    cw.event(conv, "conversation_resolved", 60, at=T0 + timedelta(minutes=1))
    other = cw.conversation(cw.contact("João", "+5511900000002"))
    return {"conv": conv, "contact": contact, "other": other, "bot": bot}


def test_second_run_without_changes_reads_nothing_and_rewrites_nothing(
    lead: dict[str, int], source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    first = sync(local_url, source_url)
    before = local.execute(
        "SELECT conversation_id, etl_updated_at FROM conversas_analytics ORDER BY 1"
    ).fetchall()
    second = sync(local_url, source_url)
    third = sync(local_url, source_url, mode="full")
    after = local.execute(
        "SELECT conversation_id, etl_updated_at FROM conversas_analytics ORDER BY 1"
    ).fetchall()
    assert (first.load_type, first.rows_inserted) == ("full", 2)
    assert (second.load_type, second.rows_extracted, second.rows_updated) == ("incremental", 0, 0)
    assert (third.load_type, third.rows_extracted, third.rows_unchanged) == ("full", 2, 2)
    assert third.rows_updated == 0
    assert before == after
    assert second.watermark_start == first.watermark_end


def test_new_message_without_conversation_bump_is_caught(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    cw.message(lead["conv"], "e o horário?", at=now_utc())
    result = sync(local_url, source_url)
    row = fetch_row(local, lead["conv"])
    assert (result.rows_extracted, result.rows_updated) == (1, 1)
    assert row["contact_messages"] == 2
    assert row["message_compiled"][-1]["text"] == "e o horário?"
    assert row["is_reopened"] is True  # an incoming message after a resolution


def test_csat_answer_is_caught(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    cw.csat(lead["conv"], lead["contact"], 5, "Top", at=now_utc())
    sync(local_url, source_url)
    row = fetch_row(local, lead["conv"])
    assert (row["csat_rating"], row["csat_feedback"]) == (5, "Top")


def test_contact_renamed_is_caught(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    cw.execute("UPDATE contacts SET name = 'Maria Souza', updated_at = %s WHERE id = %s",
               (now_utc(), lead["contact"]))  # fmt: skip
    result = sync(local_url, source_url)
    assert fetch_row(local, lead["conv"])["contact_name"] == "Maria Souza"
    assert result.rows_updated == 1


def test_reopened_conversation_is_caught(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    # Chatwoot writes the event; the conversation row itself may be touched in a later txn.
    cw.event(lead["conv"], "conversation_opened", 3600, at=now_utc())
    sync(local_url, source_url)
    row = fetch_row(local, lead["conv"])
    assert (row["is_reopened"], row["reopen_count"]) == (True, 1)


def test_status_change_label_and_agent_or_inbox_rename_are_caught(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    agent = cw.user("ana")
    cw.execute("UPDATE conversations SET assignee_id = %s WHERE id = %s", (agent, lead["other"]))
    sync(local_url, source_url)
    cw.execute("UPDATE conversations SET status = 3, updated_at = %s WHERE id = %s",
               (now_utc(), lead["other"]))  # fmt: skip
    cw.tag(lead["conv"], "vip", at=now_utc())
    cw.execute("UPDATE conversations SET cached_label_list = 'vip' WHERE id = %s", (lead["conv"],))
    # Renames that do not move updated_at inside the overlap window are found by name drift.
    cw.execute("UPDATE users SET name = 'Ana Lima' WHERE id = %s", (agent,))
    cw.execute("UPDATE inboxes SET name = 'WhatsApp Vendas'")
    result = sync(local_url, source_url)
    other, conv = fetch_row(local, lead["other"]), fetch_row(local, lead["conv"])
    assert other["status"] == "snoozed"
    assert other["assignee_name"] == "Ana Lima"
    assert conv["labels"] == ["vip"]
    assert {other["inbox_name"], conv["inbox_name"]} == {"WhatsApp Vendas"}
    assert result.rows_updated == 2


def test_late_commit_with_older_timestamp_inside_overlap_is_not_lost(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    first = sync(local_url, source_url)
    # A message stamped before the last watermark but committed after that run.
    stamped = first.watermark_end.replace(tzinfo=None) - timedelta(minutes=3)
    cw.message(lead["conv"], "mensagem atrasada", at=stamped)
    sync(local_url, source_url, options=SyncOptions(overlap=timedelta(minutes=5)))
    texts = [m["text"] for m in fetch_row(local, lead["conv"])["message_compiled"]]
    assert "mensagem atrasada" in texts


def test_late_commit_outside_overlap_needs_a_full_reload(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    first = sync(local_url, source_url)
    stamped = first.watermark_end.replace(tzinfo=None) - timedelta(hours=1)
    cw.message(lead["conv"], "muito atrasada", at=stamped)
    sync(local_url, source_url, options=SyncOptions(overlap=timedelta(minutes=5)))
    assert fetch_row(local, lead["conv"])["contact_messages"] == 1  # documented limit
    full = sync(local_url, source_url, mode="full")
    assert full.rows_updated == 1
    assert fetch_row(local, lead["conv"])["contact_messages"] == 2


def test_new_and_deleted_conversations(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    new = cw.conversation(cw.contact("Novo", "+5511900000009"), created_at=now_utc(),
                          updated_at=now_utc())  # fmt: skip
    cw.execute("DELETE FROM messages WHERE conversation_id = %s", (lead["other"],))
    cw.execute("DELETE FROM conversations WHERE id = %s", (lead["other"],))
    result = sync(local_url, source_url, allow_mass_delete=True)  # 1 of 2 is over 5%
    ids = [r[0] for r in local.execute(
        "SELECT conversation_id FROM conversas_analytics WHERE deleted_in_source_at IS NULL"
    )]  # fmt: skip
    assert sorted(ids) == sorted([lead["conv"], new])
    assert (result.rows_inserted, result.rows_deleted) == (1, 1)
    assert fetch_row(local, lead["other"])["deleted_in_source_at"] is not None  # kept, marked


def test_etl_inserted_at_never_changes_and_updated_at_moves_on_change(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url)
    before = fetch_row(local, lead["conv"])
    cw.message(lead["conv"], "oi de novo", at=now_utc())
    sync(local_url, source_url)
    after = fetch_row(local, lead["conv"])
    assert after["etl_inserted_at"] == before["etl_inserted_at"]
    assert after["etl_updated_at"] > before["etl_updated_at"]


def test_each_run_is_audited_in_etl_control(
    lead: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    sync(local_url, source_url, triggered_by="scheduler")
    cw.message(lead["conv"], "oi de novo", at=now_utc())
    sync(local_url, source_url, triggered_by="api")
    rows = local.execute(
        """SELECT triggered_by, load_type, status, rows_extracted, rows_inserted, rows_updated,
                  rows_unchanged, watermark_start IS NULL, watermark_end IS NOT NULL,
                  extract_seconds >= 0, load_seconds >= 0, total_seconds >= 0, error_message
           FROM etl_control ORDER BY id"""
    ).fetchall()
    assert rows == [
        ("scheduler", "full", "success", 2, 2, 0, 0, True, True, True, True, True, None),
        ("api", "incremental", "success", 1, 0, 1, 0, False, True, True, True, True, None),
    ]
