"""Never lose paid work: vanished conversations are marked, not deleted; a wrong, empty or
truncated Chatwoot is refused before anything is written; only `purge` deletes, on purpose."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from psycopg import sql
from psycopg.abc import Query

from allpfit.analysis.run import run_analysis
from allpfit.config import Settings
from allpfit.errors import InputError, MassRemovalRefused
from allpfit.sync.purge import parse_age, purge_deleted
from allpfit.sync.run import SyncOptions, run_sync
from tests.factories import T0, Chatwoot, fetch_row


def count(local: psycopg.Connection, query: Query) -> int:
    row = local.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def live(local: psycopg.Connection) -> int:
    return count(
        local, "SELECT count(*) FROM conversas_analytics WHERE deleted_in_source_at IS NULL"
    )


def marked(local: psycopg.Connection) -> list[int]:
    return [
        r[0]
        for r in local.execute(
            "SELECT conversation_id FROM conversas_analytics "
            "WHERE deleted_in_source_at IS NOT NULL ORDER BY 1"
        )
    ]


def last_run(local: psycopg.Connection) -> tuple[str, int, str | None]:
    row = local.execute(
        "SELECT status, rows_deleted, error_message FROM etl_control ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def drop(cw: Chatwoot, conversation_id: int) -> None:
    cw.execute("DELETE FROM messages WHERE conversation_id = %s", (conversation_id,))
    cw.execute("DELETE FROM conversations WHERE id = %s", (conversation_id,))


def test_an_empty_source_is_refused_and_with_the_flag_rows_are_marked_profiles_kept(
    cw: Chatwoot,
    other_cw: Chatwoot,
    source_url: str,
    other_source_url: str,
    local_url: str,
    local: psycopg.Connection,
    settings: Settings,
) -> None:
    cw.leads(3)
    run_sync(local_url, source_url)
    assert run_analysis(local_url, settings).analyzed == 3

    with pytest.raises(MassRemovalRefused, match="has no conversation at all") as info:
        run_sync(local_url, other_source_url)
    assert info.value.exit_code == 8
    assert "--allow-mass-delete" in (info.value.hint or "")
    assert (live(local), count(local, "SELECT count(*) FROM conversas_analytics_ai")) == (3, 3)
    status, deleted, message = last_run(local)
    assert (status, deleted) == ("refused", 0)
    assert message is not None and "no conversation at all" in message

    result = run_sync(local_url, other_source_url, allow_mass_delete=True)
    assert result.rows_deleted == 3
    assert live(local) == 0 and len(marked(local)) == 3
    assert count(local, "SELECT count(*) FROM conversas_analytics_ai") == 3
    assert last_run(local)[:2] == ("success", 3)


def test_a_wrong_source_corrected_later_unmarks_every_row(
    cw: Chatwoot, other_cw: Chatwoot, source_url: str, other_source_url: str,
    local_url: str, local: psycopg.Connection,
) -> None:  # fmt: skip
    ids = cw.leads(3)
    run_sync(local_url, source_url)
    run_sync(local_url, other_source_url, allow_mass_delete=True)
    assert marked(local) == sorted(ids)
    back = run_sync(local_url, source_url)  # the same accounts, no refusal needed
    assert (back.rows_restored, back.rows_deleted) == (3, 0)
    assert marked(local) == [] and live(local) == 3


def test_a_different_installation_is_refused_until_allowed(
    cw: Chatwoot, other_cw: Chatwoot, source_url: str, other_source_url: str,
    local_url: str, local: psycopg.Connection,
) -> None:  # fmt: skip
    cw.leads(3)
    run_sync(local_url, source_url)
    # Another Chatwoot: same account id 1, the same conversation ids, created at other times.
    for i in range(3):
        conv = other_cw.conversation(
            other_cw.contact(f"Outro {i}"), created_at=T0 + timedelta(days=1)
        )
        other_cw.message(conv, "oi", at=T0 + timedelta(days=1))
    with pytest.raises(MassRemovalRefused, match="not the installation") as info:
        run_sync(local_url, other_source_url)
    assert "another creation time" in info.value.message
    assert last_run(local)[0] == "refused"
    names = [r[0] for r in local.execute("SELECT contact_name FROM conversas_analytics")]
    assert sorted(names) == ["Lead 0", "Lead 1", "Lead 2"]

    run_sync(local_url, other_source_url, mode="full", allow_mass_delete=True)
    names = [r[0] for r in local.execute("SELECT contact_name FROM conversas_analytics")]
    assert sorted(names) == ["Outro 0", "Outro 1", "Outro 2"]
    recorded = local.execute("SELECT first_conversation_created_at FROM source_identity").fetchone()
    assert recorded is not None and recorded[0].day == (T0 + timedelta(days=1)).day
    # now the original one is the stranger
    with pytest.raises(MassRemovalRefused, match="not the installation"):
        run_sync(local_url, source_url)


def test_an_installation_sharing_no_account_is_refused(
    cw: Chatwoot, other_source_url: str, source_url: str, local_url: str
) -> None:
    cw.leads(2)
    run_sync(local_url, source_url)
    with psycopg.connect(other_source_url, autocommit=True) as conn:
        conn.execute("SELECT setval('accounts_id_seq', 40)")
        Chatwoot(conn).leads(2)
    with pytest.raises(MassRemovalRefused, match="none of its accounts is there"):
        run_sync(local_url, other_source_url)


def test_marking_more_than_the_allowed_share_is_refused(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    ids = cw.leads(25)
    run_sync(local_url, source_url)
    drop(cw, ids[0])  # 1 of 25 = 4%: within the default 5%
    assert run_sync(local_url, source_url).rows_deleted == 1
    assert marked(local) == [ids[0]]

    drop(cw, ids[1])
    drop(cw, ids[2])  # 2 of 24 live rows = 8%
    with pytest.raises(MassRemovalRefused, match="2 of 24 conversations"):
        run_sync(local_url, source_url)
    assert marked(local) == [ids[0]]
    assert last_run(local)[0] == "refused"

    wider = SyncOptions(max_deleted_fraction=0.10)
    assert run_sync(local_url, source_url, options=wider).rows_deleted == 2
    assert marked(local) == sorted(ids[:3])


def test_a_conversation_that_reappears_is_unmarked_and_reread(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    ids = cw.leads(3)
    run_sync(local_url, source_url)
    contact = local.execute(
        "SELECT contact_id FROM conversas_analytics WHERE conversation_id = %s", (ids[1],)
    ).fetchone()
    assert contact is not None
    drop(cw, ids[1])
    run_sync(local_url, source_url, allow_mass_delete=True)
    assert marked(local) == [ids[1]]

    # restored (e.g. from a Chatwoot backup), with an old timestamp and a new message
    cw.conversation(contact[0], id=ids[1], created_at=T0 - timedelta(minutes=1))
    cw.message(ids[1], "voltei", at=T0)
    cw.message(ids[1], "ainda tem vaga?", at=T0)
    result = run_sync(local_url, source_url)
    assert (result.rows_restored, result.rows_deleted) == (1, 0)
    assert marked(local) == []
    assert fetch_row(local, ids[1])["contact_messages"] == 2


def test_deleting_a_conversation_with_a_profile_fails_instead_of_cascading(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    ids = cw.leads(1)
    run_sync(local_url, source_url)
    run_analysis(local_url, settings)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        local.execute("DELETE FROM conversas_analytics WHERE conversation_id = %s", (ids[0],))
    assert count(local, "SELECT count(*) FROM conversas_analytics_ai") == 1


def _with_dependants(local: psycopg.Connection, conversation_id: int, days_ago: int) -> None:
    """A failure row and a CRM match for the conversation, and its mark `days_ago` old."""
    local.execute(
        """INSERT INTO analysis_failures (conversation_id, content_hash, error_message)
           VALUES (%s, 'x', 'boom') ON CONFLICT DO NOTHING""",
        (conversation_id,),
    )
    customer = local.execute(
        """INSERT INTO crm_customers (source, external_id, name) VALUES ('excel', %s, 'C')
           RETURNING id""",
        (str(conversation_id),),
    ).fetchone()
    assert customer is not None
    local.execute(
        """INSERT INTO conversas_crm_match_real (conversation_id, crm_customer_id, match_type,
               match_score, conversation_date, crm_signup_date, days_to_conversion)
           VALUES (%s, %s, 'exact', 1, '2026-06-10', '2026-06-12', 2)""",
        (conversation_id, customer[0]),
    )
    local.execute(
        """UPDATE conversas_analytics SET deleted_in_source_at = now() - %s
           WHERE conversation_id = %s""",
        (timedelta(days=days_ago), conversation_id),
    )


def test_purge_deletes_old_marked_rows_and_their_dependants_explicitly(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    ids = cw.leads(4)
    run_sync(local_url, source_url)
    run_analysis(local_url, settings)
    _with_dependants(local, ids[0], days_ago=100)  # old enough
    _with_dependants(local, ids[1], days_ago=10)  # marked recently: stays
    _with_dependants(local, ids[2], days_ago=0)
    local.execute(
        "UPDATE conversas_analytics SET deleted_in_source_at = NULL WHERE conversation_id = %s",
        (ids[2],),
    )  # live, with dependants: never touched

    def snapshot() -> tuple[int, ...]:
        return tuple(
            count(local, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
            for t in (
                "conversas_analytics",
                "conversas_analytics_ai",
                "analysis_failures",
                "conversas_crm_match_real",
            )
        )

    before = snapshot()
    assert before == (4, 4, 3, 3)
    dry = purge_deleted(local_url, timedelta(days=90), dry_run=True)
    assert dry.conversations == 1
    assert dry.dependants == {
        "conversas_crm_match_real": 1,
        "analysis_failures": 1,
        "conversas_analytics_ai": 1,
    }
    assert snapshot() == before

    done = purge_deleted(local_url, timedelta(days=90))
    assert (done.conversations, done.dependants) == (1, dry.dependants)
    assert snapshot() == (3, 3, 2, 2)
    remaining = [r[0] for r in local.execute("SELECT conversation_id FROM conversas_analytics")]
    assert ids[0] not in remaining
    assert marked(local) == [ids[1]]
    assert purge_deleted(local_url, timedelta(days=90)).conversations == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), (" 30M ", timedelta(minutes=30))],
)
def test_purge_ages(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["90", "90 days", "-1d", "1.5d", "d", "", "1w", "999999d"])
def test_unreadable_purge_ages_are_clear_errors(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_age(text)
    assert info.value.exit_code == 2
    assert info.value.hint
