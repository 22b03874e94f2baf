"""The manager's review: list, approve, edit, skip. Every change is audited.

Used by `allpfit followups list|approve|edit|skip` (role allpfit_app) and by the dashboard's
"Follow-ups" page (role allpfit_reader, which migration 0081 lets update only these review
columns). A change is made on a tenant session (row-level security) and its audit row on the
owner connection (the audit log is install-wide), committed together at the end.

Transitions: proposed/failed/needs_review → approved (needs_review: a person checked in
Chatwoot that it did not go); proposed/approved/failed/needs_review/unsendable → skipped;
an edit (proposed/approved) withdraws an approval: the new text must be approved.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from allpfit import db, users
from allpfit.errors import InputError
from allpfit.followups import rules

APPROVABLE = ("proposed", "failed", "needs_review")
SKIPPABLE = ("proposed", "approved", "failed", "needs_review", "unsendable")
EDITABLE = ("proposed", "approved")
STATUSES = (
    "proposed", "approved", "skipped", "sending", "sent", "unsendable", "failed", "cancelled",
    "needs_review",
)  # fmt: skip
MAX_IDS = 1000
MAX_LIST = 2000


@dataclass(frozen=True)
class Followup:
    id: int
    conversation_id: int
    display_id: int
    contact_name: str | None
    contact_phone: str | None
    step: int
    step_days: int
    due_on: date
    variant: str
    message_text: str
    edited: bool
    status: str
    reason: str | None
    send_mode: str | None
    approved_by: str | None
    sent_at: datetime | None


LIST_SQL = """
SELECT f.id, f.conversation_id, f.display_id, ca.contact_name, ca.contact_phone, f.step,
       f.step_days, f.due_on, f.variant, f.message_text, f.edited, f.status, f.reason,
       f.send_mode, f.approved_by, f.sent_at
FROM followups f
LEFT JOIN conversas_analytics ca
       ON ca.tenant_id = f.tenant_id AND ca.conversation_id = f.conversation_id
"""


def list_followups(
    conn: psycopg.Connection, statuses: Sequence[str] | None = None, *, limit: int = 500
) -> list[Followup]:
    """The tenant's follow-ups (of `statuses`, all when None), due date then id order."""
    bad = [s for s in statuses or () if s not in STATUSES]
    if bad:
        raise InputError(
            f"Unknown follow-up status {bad[0]!r}.", hint=f"Use one of: {', '.join(STATUSES)}."
        )
    where = "" if not statuses else " WHERE f.status = ANY(%(statuses)s)"
    with conn.cursor(row_factory=class_row(Followup)) as cur:
        return cur.execute(
            LIST_SQL + where + " ORDER BY f.due_on, f.id LIMIT %(limit)s",
            {"statuses": list(statuses or ()), "limit": max(1, min(limit, MAX_LIST))},
        ).fetchall()


@contextmanager
def _session(
    url: str, tenant_id: int, role: str
) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    """(tenant connection, owner connection for the audit), committed together on success."""
    with (
        db.tenant_connection(url, tenant_id, role=role) as conn,
        db.connect(url) as owner,
        conn.transaction(),
        owner.transaction(),
    ):
        yield conn, owner


def _ids(ids: Sequence[int]) -> list[int]:
    if not ids:
        raise InputError("Name at least one follow-up.", hint="`allpfit followups list` shows ids.")
    if len(ids) > MAX_IDS:
        raise InputError(f"At most {MAX_IDS} follow-ups at once.", hint="Approve in batches.")
    return sorted({int(i) for i in ids})


@dataclass
class ReviewResult:
    changed: list[int]
    refused: dict[int, str]  # id → why not


def approve(
    url: str, tenant_id: int, ids: Sequence[int], actor: str, *, role: str = "app"
) -> ReviewResult:
    """Approve follow-ups for sending; one that may no longer go (opt-out, sale, not a new
    lead) or is not in an approvable state is refused with the reason."""
    wanted = _ids(ids)
    result = ReviewResult([], {})
    with _session(url, tenant_id, role) as (conn, owner):
        rows = dict(
            conn.execute(
                "SELECT id, status FROM followups WHERE id = ANY(%s) FOR UPDATE", (wanted,)
            ).fetchall()
        )
        conversations = dict(
            conn.execute(
                "SELECT id, conversation_id FROM followups WHERE id = ANY(%s)", (wanted,)
            ).fetchall()
        )
        states = {
            s["conversation_id"]: s
            for s in rules.conversation_states(conn, list(set(conversations.values())))
        }
        for fid in wanted:
            status = rows.get(fid)
            if status is None:
                result.refused[fid] = "no such follow-up"
                continue
            if status not in APPROVABLE:
                result.refused[fid] = f"it is {status}"
                continue
            reason = rules.not_eligible(states.get(conversations[fid]))
            if reason is not None:
                result.refused[fid] = reason
                continue
            conn.execute(
                """UPDATE followups SET status = 'approved', approved_by = %s,
                          approved_at = now(), reason = NULL, updated_at = now()
                   WHERE id = %s""",
                (actor[:300], fid),
            )
            result.changed.append(fid)
        if result.changed:
            users.audit(
                owner, actor, "followup.approve",
                f"{len(result.changed)} follow-up(s): {_id_list(result.changed)}", tenant_id,
            )  # fmt: skip
    return result


def skip(
    url: str,
    tenant_id: int,
    ids: Sequence[int],
    actor: str,
    *,
    reason: str = "",
    role: str = "app",
) -> ReviewResult:
    """Mark follow-ups as not to be sent (kept, never deleted)."""
    wanted = _ids(ids)
    result = ReviewResult([], {})
    note = ("skipped by " + actor + (f": {reason}" if reason else ""))[:500]
    with _session(url, tenant_id, role) as (conn, owner):
        rows = dict(
            conn.execute(
                "SELECT id, status FROM followups WHERE id = ANY(%s) FOR UPDATE", (wanted,)
            ).fetchall()
        )
        for fid in wanted:
            status = rows.get(fid)
            if status not in SKIPPABLE:
                result.refused[fid] = "no such follow-up" if status is None else f"it is {status}"
                continue
            conn.execute(
                "UPDATE followups SET status = 'skipped', reason = %s, updated_at = now() "
                "WHERE id = %s",
                (note, fid),
            )
            result.changed.append(fid)
        if result.changed:
            users.audit(
                owner, actor, "followup.skip",
                f"{len(result.changed)} follow-up(s): {_id_list(result.changed)}", tenant_id,
            )  # fmt: skip
    return result


def edit(
    url: str, tenant_id: int, followup_id: int, text: str, actor: str, *, role: str = "app"
) -> None:
    """Replace a follow-up's text (it then needs approval again)."""
    text = text.replace("\x00", "").strip()
    if not 1 <= len(text) <= 4000:
        raise InputError(
            "A follow-up's text must have 1 to 4000 characters.", hint="Shorten the message."
        )
    with _session(url, tenant_id, role) as (conn, owner):
        row = conn.execute(
            "SELECT status FROM followups WHERE id = %s FOR UPDATE", (followup_id,)
        ).fetchone()
        if row is None or row[0] not in EDITABLE:
            raise InputError(
                f"Follow-up {followup_id} cannot be edited"
                + ("" if row is None else f" (it is {row[0]})")
                + ".",
                hint="Only proposed or approved follow-ups can be edited.",
            )
        conn.execute(
            """UPDATE followups SET message_text = %s, edited = true, status = 'proposed',
                      approved_by = NULL, approved_at = NULL, updated_at = now()
               WHERE id = %s""",
            (text, followup_id),
        )
        users.audit(
            owner, actor, "followup.edit",
            f"follow-up {followup_id}: text replaced ({len(text)} characters)", tenant_id,
        )  # fmt: skip


def _id_list(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:50])
    return shown + (f" and {len(ids) - 50} more" if len(ids) > 50 else "")
