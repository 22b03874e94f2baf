"""`allpfit followups send`: approved, due follow-ups into their Chatwoot conversations, at
most once each.

Never twice (docs/followups.md#never-twice):

1. The row (with its idempotency key) exists before anything is sent (the plan wrote it).
2. Before the call the row is claimed: 'approved' → 'sending' with the exact text and mode,
   committed, under the tenant's advisory lock (the daily cap is counted there too). Two
   workers never both claim it: the second UPDATE finds it no longer 'approved'.
3. The call (`ChatwootApi.create_message`) is never retried once it may have reached
   Chatwoot. Its answer makes the row 'sent'. A definite refusal (4xx) makes it 'failed'.
   No answer (timeout, 5xx, lost connection) leaves it 'sending'.
4. A row left 'sending' longer than a call can take (a crash between the call and the write,
   a lost answer) is reconciled at the next run: the conversation's messages are read back
   from Chatwoot and an outgoing message (or note) with the same text, created after the
   claim, or carrying the key as `echo_id`, makes it 'sent'. Otherwise it becomes
   'needs_review' for a person: it is never sent again blindly.

Right before the claim the eligibility check (opt-out, sale, new lead) and the approval are
checked again on the local data, and Chatwoot's own messages say whether the lead wrote since
the plan (then the follow-up is cancelled) and whether WhatsApp's 24-hour window is open.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from allpfit import db, users
from allpfit.config import Settings
from allpfit.errors import ConfigError, SourceError
from allpfit.followups import rules
from allpfit.followups.plan import business_texts
from allpfit.source.api_client import ChatwootApi, ChatwootApiAuthError, ChatwootApiUnavailable
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant

log = logging.getLogger(__name__)

SEND_LOCK = 7300030  # pg_advisory_xact_lock(SEND_LOCK, tenant_id): claims and the cap count
CLOCK_SKEW = timedelta(minutes=2)  # Chatwoot's clock vs ours, when matching a message
MAX_BATCH = 10_000
COUNTED = ("sending", "sent", "needs_review")  # what uses up the daily cap
WROTE_AGAIN = "the lead wrote again after the plan: review it again"


@dataclass(frozen=True)
class Planned:
    """What one follow-up would be (dry run) or was: the exact text, where, and how."""

    id: int
    display_id: int
    step: int
    mode: str | None
    content: str
    template: str | None = None
    # sent, would send, unsendable, cancelled, withdrawn, failed, left sending, capped,
    # not claimed
    outcome: str = ""
    reason: str | None = None


@dataclass
class SendReport:
    items: list[Planned] = field(default_factory=list)
    reconciled: int = 0
    needs_review: int = 0
    closed_today: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)


ApiFactory = Callable[[], ChatwootApi]


def credentials(tenant: Tenant, settings: Settings) -> tuple[str, int, str]:
    """(Chatwoot base URL, account id, access token) of the tenant: its own (tenants.
    chatwoot_url / chatwoot_token_ref, any source kind), else for the default tenant
    CHATWOOT_URL and CHATWOOT_API_TOKEN."""
    from allpfit.tenant_secrets import resolve

    base = tenant.chatwoot_url
    token: str | None = None
    if tenant.chatwoot_token_ref:
        what = f"Chatwoot token of {tenant.slug}"
        token = resolve(tenant.chatwoot_token_ref, settings, what=what)
    if tenant.id == DEFAULT_TENANT_ID:
        base = base or settings.chatwoot_url
        if token is None and settings.chatwoot_api_token is not None:
            token = settings.chatwoot_api_token.get_secret_value()
    account = tenant.scope(settings)[0]
    if not base or not token or account is None:
        missing = [
            name
            for name, value in (("URL", base), ("access token", token), ("account id", account))
            if not value
        ]
        hint = (
            "Set CHATWOOT_URL and CHATWOOT_API_TOKEN (and SOURCE_ACCOUNT_ID)."
            if tenant.id == DEFAULT_TENANT_ID
            else f"Run `allpfit tenant edit {tenant.slug} --chatwoot-url URL "
            "--chatwoot-token-env VAR` (and --account-id N)."
        )
        raise ConfigError(
            f"Tenant {tenant.slug!r} has no Chatwoot {', '.join(missing)} to send follow-ups.",
            hint=hint,
        )
    return base, int(account), token


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def send_due(
    url: str,
    tenant: Tenant,
    settings: Settings,
    api: ChatwootApi,
    *,
    dry_run: bool = False,
    actor: str = "",
    now: datetime | None = None,
    stale_after: timedelta | None = None,
    limit: int = MAX_BATCH,
) -> SendReport:
    """Send the tenant's approved follow-ups that are due (or, `dry_run`, say exactly what
    would be sent and change nothing)."""
    now = now or datetime.now(UTC)
    actor = actor or users.cli_actor()
    report = SendReport()
    tz = ZoneInfo(tenant.tz(settings))
    local_now = now.astimezone(tz)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if stale_after is None:
        stale_after = timedelta(seconds=2 * settings.chatwoot_api_timeout_seconds + 60)
    with db.tenant_connection(url, tenant.id, autocommit=True) as conn:
        cfg = rules.load_settings(conn)
        if not dry_run:
            reconcile(conn, url, tenant, api, actor, report, older_than=now - stale_after)
        if local_now.isoweekday() in cfg.closed_weekdays:
            report.closed_today = True
            return report
        with conn.cursor(row_factory=dict_row) as cur:
            due = cur.execute(
                """SELECT id FROM followups WHERE status = 'approved' AND due_on <= %s
                   ORDER BY due_on, id LIMIT %s""",
                (local_now.date(), max(0, min(limit, MAX_BATCH))),
            ).fetchall()
        used = _sent_today(conn, day_start)
        business_name, _ = business_texts(tenant, settings)
        for row in due:
            if used >= cfg.daily_cap:
                report.items.append(
                    _stub(conn, row["id"], "capped", f"daily cap of {cfg.daily_cap} reached")
                )
                continue
            item = _one(
                conn, url, tenant, api, cfg, row["id"], actor=actor, now=now,
                day_start=day_start, dry_run=dry_run, business_name=business_name,
            )  # fmt: skip
            report.items.append(item)
            if item.outcome in ("sent", "would send", "left sending"):
                used += 1
            if item.outcome == "left sending":
                break  # Chatwoot is not answering: stop, the next run reconciles
    return report


def _sent_today(conn: psycopg.Connection, day_start: datetime) -> int:
    row = conn.execute(
        "SELECT count(*) FROM followups WHERE status = ANY(%s) AND claimed_at >= %s",
        (list(COUNTED), day_start),
    ).fetchone()
    return int(row[0]) if row else 0


def _stub(conn: psycopg.Connection, followup_id: int, outcome: str, reason: str) -> Planned:
    row = conn.execute(
        "SELECT display_id, step, message_text FROM followups WHERE id = %s", (followup_id,)
    ).fetchone()
    assert row is not None
    return Planned(followup_id, row[0], row[1], None, row[2], outcome=outcome, reason=reason)


def _one(
    conn: psycopg.Connection,
    url: str,
    tenant: Tenant,
    api: ChatwootApi,
    cfg: rules.FollowupSettings,
    followup_id: int,
    *,
    actor: str,
    now: datetime,
    day_start: datetime,
    dry_run: bool,
    business_name: str,
) -> Planned:
    with conn.cursor(row_factory=dict_row) as cur:
        f = cur.execute("SELECT * FROM followups WHERE id = %s", (followup_id,)).fetchone()
    assert f is not None
    states = rules.conversation_states(conn, [f["conversation_id"]])
    state = states[0] if states else None
    reason = rules.not_eligible(state)
    if reason is not None:
        if not dry_run:
            _finish(conn, followup_id, "approved", "cancelled", reason)
        return _planned(f, None, "cancelled", reason)
    assert state is not None
    if state["anchor_at"] > f["anchor_at"]:
        return _wrote_again(conn, f, dry_run)
    # Chatwoot's own record: did the lead write since the plan, is the window open?
    try:
        messages = api.messages(f["display_id"])
    except (ChatwootApiAuthError, ChatwootApiUnavailable):
        raise
    except SourceError as exc:
        if not dry_run:
            _finish(conn, followup_id, "approved", "failed", exc.message[:500])
        return _planned(f, None, "failed", exc.message)
    last_incoming = _last_incoming(messages)
    if last_incoming is not None and last_incoming > f["anchor_at"] + timedelta(seconds=1):
        return _wrote_again(conn, f, dry_run)
    choice = rules.delivery(
        cfg, text=f["message_text"], channel_type=state["channel_type"],
        last_incoming=last_incoming or state["anchor_at"], now=now,
        contact_name=state["contact_name"], business_name=business_name,
    )  # fmt: skip
    if choice.mode is None:
        if not dry_run:
            _finish(conn, followup_id, "approved", "unsendable", choice.reason)
        return _planned(f, None, "unsendable", choice.reason)
    if dry_run:
        return _planned(f, choice, "would send")
    if not _claim(conn, tenant, f, choice, actor, cfg.daily_cap, day_start):
        return _planned(f, choice, "not claimed", "another sender has it, or the cap is reached")
    try:
        message = api.create_message(
            f["display_id"], choice.content, private=choice.mode == "private_note",
            template_params=choice.template_params, echo_id=str(f["idempotency_key"]),
        )  # fmt: skip
    except ChatwootApiUnavailable as exc:
        log.warning("follow-up %s: no answer from Chatwoot (%s); left sending", f["id"], exc)
        return _planned(f, choice, "left sending", exc.message)
    except SourceError as exc:  # a definite refusal (4xx): nothing was created
        _finish(conn, followup_id, "sending", "failed", exc.message[:500])
        return _planned(f, choice, "failed", exc.message)
    _mark_sent(conn, url, tenant, f["id"], message, actor)
    return _planned(f, choice, "sent")


def _wrote_again(conn: psycopg.Connection, f: dict[str, Any], dry_run: bool) -> Planned:
    """The lead wrote after the plan: the approval was for another moment. Back to
    'proposed' (the next plan moves it after the new message; a person approves it again)."""
    reason = WROTE_AGAIN
    if not dry_run:
        conn.execute(
            """UPDATE followups SET status = 'proposed', approved_by = NULL, approved_at = NULL,
                      reason = %s, updated_at = now()
               WHERE id = %s AND status = 'approved'""",
            (reason, f["id"]),
        )
    return _planned(f, None, "withdrawn", reason)


def _planned(
    f: dict[str, Any], choice: rules.Delivery | None, outcome: str, reason: str | None = None
) -> Planned:
    return Planned(
        id=f["id"],
        display_id=f["display_id"],
        step=f["step"],
        mode=choice.mode if choice else None,
        content=choice.content if choice else f["message_text"],
        template=(choice.template_params or {}).get("name") if choice else None,
        outcome=outcome,
        reason=reason,
    )


def _last_incoming(messages: list[dict[str, Any]]) -> datetime | None:
    """The newest incoming message's time (message_type 0 / "incoming")."""
    times = [
        datetime.fromtimestamp(m["created_at"], UTC)
        for m in messages
        if m.get("message_type") in (0, "incoming") and isinstance(m.get("created_at"), int | float)
    ]
    return max(times) if times else None


def _claim(
    conn: psycopg.Connection,
    tenant: Tenant,
    f: dict[str, Any],
    choice: rules.Delivery,
    actor: str,
    cap: int,
    day_start: datetime,
) -> bool:
    """'approved' → 'sending', committed before the call; False if another worker has it, it
    is no longer approved or eligible, or the day's cap is used up."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (SEND_LOCK, tenant.id))
        if _sent_today(conn, day_start) >= cap:
            return False
        states = rules.conversation_states(conn, [f["conversation_id"]])
        if rules.not_eligible(states[0] if states else None) is not None:
            return False
        cur = conn.execute(
            """UPDATE followups
               SET status = 'sending', send_mode = %s, sent_text = %s, claimed_by = %s,
                   claimed_at = clock_timestamp(), updated_at = now()
               WHERE id = %s AND status = 'approved' AND message_text = %s""",
            (
                choice.mode,
                choice.content,
                f"{actor} {worker_name()}"[:300],
                f["id"],
                f["message_text"],
            ),
        )
        return cur.rowcount == 1


def _mark_sent(
    conn: psycopg.Connection,
    url: str,
    tenant: Tenant,
    followup_id: int,
    message: dict[str, Any],
    actor: str,
    *,
    reconciled: bool = False,
) -> None:
    """Record the message Chatwoot made; audited."""
    message_id = message.get("id") if isinstance(message.get("id"), int) else None
    with conn.transaction():
        conn.execute(
            """UPDATE followups SET status = 'sent', sent_at = clock_timestamp(),
                      chatwoot_message_id = %s, reason = %s, updated_at = now()
               WHERE id = %s AND status = 'sending'""",
            (message_id, "reconciled with Chatwoot's messages" if reconciled else None,
             followup_id),
        )  # fmt: skip
        with db.connect(url) as owner:
            users.audit(
                owner, actor, "followup.send",
                f"follow-up {followup_id} sent as Chatwoot message {message_id}"
                + (" (found when reconciling)" if reconciled else ""),
                tenant.id,
            )  # fmt: skip
            owner.commit()


def _finish(
    conn: psycopg.Connection, followup_id: int, current: str, status: str, reason: str | None
) -> None:
    conn.execute(
        "UPDATE followups SET status = %s, reason = %s, updated_at = now() "
        "WHERE id = %s AND status = %s",
        (status, (reason or "")[:500] or None, followup_id, current),
    )


# --- Recovery -----------------------------------------------------------------------------------


def reconcile(
    conn: psycopg.Connection,
    url: str,
    tenant: Tenant,
    api: ChatwootApi,
    actor: str,
    report: SendReport,
    *,
    older_than: datetime,
) -> None:
    """Settle rows left 'sending' (claimed before `older_than`) from Chatwoot's messages."""
    with conn.cursor(row_factory=dict_row) as cur:
        stale = cur.execute(
            """SELECT * FROM followups WHERE status = 'sending' AND claimed_at <= %s
               ORDER BY claimed_at, id LIMIT %s""",
            (older_than, MAX_BATCH),
        ).fetchall()
    for f in stale:
        found = find_sent(api.messages(f["display_id"]), f)
        if found is not None:
            _mark_sent(conn, url, tenant, f["id"], found, actor, reconciled=True)
            report.reconciled += 1
        else:
            _finish(
                conn, f["id"], "sending", "needs_review",
                "no answer from Chatwoot and no such message found there; check the "
                "conversation before approving it again",
            )  # fmt: skip
            report.needs_review += 1


def find_sent(messages: list[dict[str, Any]], f: dict[str, Any]) -> dict[str, Any] | None:
    """The message this follow-up became, if Chatwoot has it: the key as `echo_id` (kept by
    some versions), else an outgoing message (or private note) with exactly the claimed text
    created after the claim (minus clock skew)."""
    key = str(f["idempotency_key"])
    since = f["claimed_at"] - CLOCK_SKEW
    for m in messages:
        if m.get("echo_id") == key:
            return m
    for m in messages:
        created = m.get("created_at")
        if (
            m.get("message_type") in (1, "outgoing")
            and (m.get("content") or "") == (f["sent_text"] or "")
            and isinstance(created, int | float)
            and datetime.fromtimestamp(created, UTC) >= since
        ):
            return m
    return None
