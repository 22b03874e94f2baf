"""Change detection finds every kind of change the same way with and without the optional
Chatwoot indexes (source/indexes.py), and with them it uses them."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from allpfit.source import chatwoot, indexes, queries
from allpfit.sync import changes
from tests.factories import T0, Chatwoot

SINCE = T0 + timedelta(days=1)
CHANGE = T0 + timedelta(days=2)
SCOPE = queries.scope_params(None, [])
# History older than SINCE, so the planner sees tables where an index pays off (a table of
# eight rows is read whole whatever indexes it has).
FILLER = (
    """INSERT INTO contacts (account_id, name, created_at, updated_at)
       SELECT 1, 'Antigo ' || g, %(t0)s, %(t0)s FROM generate_series(1, 3000) g""",
    """INSERT INTO conversations (account_id, inbox_id, contact_id, contact_inbox_id, status,
                                  created_at, updated_at, last_activity_at, display_id)
       SELECT c.account_id, c.inbox_id, c.contact_id, c.contact_inbox_id, 1,
              %(t0)s, %(t0)s, %(t0)s, 100000 + g
       FROM (SELECT * FROM conversations ORDER BY id LIMIT 1) c, generate_series(1, 3000) g""",
    """INSERT INTO messages (content, account_id, inbox_id, conversation_id, message_type,
                             created_at, updated_at, sender_type, sender_id)
       SELECT 'oi', account_id, inbox_id, id, 0, %(t0)s, %(t0)s, 'Contact', contact_id
       FROM conversations, generate_series(1, 3)""",
)


def seeded_changes(cw: Chatwoot) -> tuple[set[int], int]:
    """Seven conversations each changed in one table only (after SINCE), one untouched.
    Returns the changed ids and the untouched one."""
    convs = []
    for i in range(8):
        contact = cw.contact(f"Cliente {i}", f"+55119000000{i:02d}")
        conv = cw.conversation(contact)
        message = cw.message(conv, "oi", at=T0)
        convs.append((conv, contact, message))
    for statement in FILLER:
        cw.execute(statement, {"t0": T0})
    cw.message(convs[0][0], "ainda tem vaga?", at=CHANGE)  # new message, conversation not bumped
    cw.execute("UPDATE messages SET updated_at = %s WHERE id = %s", (CHANGE, convs[1][2]))  # edit
    cw.execute("UPDATE conversations SET updated_at = %s, status = 1 WHERE id = %s",
               (CHANGE, convs[2][0]))  # fmt: skip
    response = cw.csat(convs[3][0], convs[3][1], 3, at=T0)
    cw.execute("UPDATE csat_survey_responses SET rating = 5, updated_at = %s WHERE id = %s",
               (CHANGE, response))  # an answer changed later: only its own row moves  # fmt: skip
    cw.execute("UPDATE contacts SET name = 'Renomeada', updated_at = %s WHERE id = %s",
               (CHANGE, convs[4][1]))  # fmt: skip
    cw.event(convs[5][0], "conversation_resolved", 60, at=CHANGE)
    cw.tag(convs[6][0], "matricula", at=CHANGE)
    return {conv for conv, _, _ in convs[:7]}, convs[7][0]


@pytest.mark.parametrize("with_index", [False, True], ids=["without-index", "with-index"])
def test_every_kind_of_change_is_found_with_and_without_the_indexes(
    cw: Chatwoot, source_url: str, with_index: bool
) -> None:
    expected, untouched = seeded_changes(cw)
    if with_index:
        with psycopg.connect(source_url, autocommit=True) as owner:
            assert {ix.name for ix in indexes.apply(owner)} == {ix.name for ix in indexes.INDEXES}
    with psycopg.connect(source_url, autocommit=True) as owner:
        owner.execute("ANALYZE")
    with chatwoot.connect(source_url) as source:
        found = indexes.present(source)
        with source.transaction():
            changed = changes.changed_ids(source, SINCE, SCOPE)
            plan = "\n".join(
                line
                for (line,) in source.execute(
                    "EXPLAIN " + queries.changed_since(), {**SCOPE, "since": SINCE}
                )
            )
    assert changed == expected
    assert untouched not in changed
    assert all(found.values()) is with_index
    for index in indexes.INDEXES[:3]:  # the tables that grow: messages, conversations, contacts
        assert (index.name in plan) is with_index, plan
        assert (f"Seq Scan on {index.table} " in plan) is not with_index, plan


def test_an_index_under_another_name_counts_and_an_invalid_one_does_not(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as owner:
        owner.execute("CREATE INDEX dba_messages_upd ON messages (updated_at, id)")
        owner.execute("CREATE INDEX allpfit_contacts_updated_at ON contacts (updated_at)")
        owner.execute(
            "UPDATE pg_index SET indisvalid = false "
            "WHERE indexrelid = 'allpfit_contacts_updated_at'::regclass"
        )  # what a failed CREATE INDEX CONCURRENTLY leaves behind
        found = {ix.name: name for ix, name in indexes.present(owner).items()}
        assert found["allpfit_messages_updated_at"] == "dba_messages_upd"
        assert found["allpfit_contacts_updated_at"] is None
        created = {ix.name for ix in indexes.apply(owner)}
        assert "allpfit_messages_updated_at" not in created
        assert "allpfit_contacts_updated_at" in created  # the invalid one was rebuilt
        assert all(indexes.present(owner).values())
