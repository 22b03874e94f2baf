"""One played conversation as rows of every Chatwoot table it touches, in its account.

`ConversationRows.conversation()` turns a `Dialogue` into contact, contact_inbox,
conversation, message, attachment, CSAT, reporting-event, tagging and participant rows, with
running ids, and hands them to the COPY batch. Times become the naive UTC timestamps Chatwoot
stores.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import overload

from allpfit.demo import account as acct
from allpfit.demo import people
from allpfit.demo.dialogue import Dialogue
from allpfit.demo.writer import Batch

EPOCH = datetime(1970, 1, 1)


@overload
def ts(seconds: int) -> datetime: ...
@overload
def ts(seconds: int | None) -> datetime | None: ...
def ts(seconds: int | None) -> datetime | None:
    """Epoch seconds as the naive UTC timestamp Chatwoot stores."""
    return None if seconds is None else EPOCH + timedelta(seconds=seconds)


class ConversationRows:
    """Turns one played `Dialogue` into rows of every table, with running ids shared by all
    accounts (Chatwoot's ids are global; only `display_id` counts per account)."""

    def __init__(self, rng: random.Random, batch: Batch) -> None:
        self.rng, self.batch = rng, batch
        self.ids = dict.fromkeys(("message", "attachment", "csat", "event", "tagging"), 0)

    def _next(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def conversation(
        self,
        owner: acct.Account,
        cid: int,
        contact: people.Contact,
        is_new: bool,
        d: Dialogue,
        widget: bool,
    ) -> None:
        add, rng, account = self.batch.add, self.rng, owner.id
        inbox = owner.widget_inbox if widget else owner.whatsapp_inbox
        last = d.messages[-1].at
        if is_new:
            created = ts(contact.created_at)
            add(
                "contacts",
                (
                    contact.id,
                    contact.name,
                    contact.email,
                    contact.phone,
                    account,
                    created,
                    created,
                    contact.contact_type,
                    ts(last),
                ),
            )
            add(
                "contact_inboxes",
                (contact.contact_inbox_id, contact.id, inbox, contact.source_id, created, created),
            )
        labels = sorted(d.labels.items(), key=lambda kv: kv[1])
        for label, at in labels:
            add(
                "taggings",
                (
                    self._next("tagging"),
                    owner.tag_ids[label],
                    "Conversation",
                    cid,
                    "labels",
                    ts(at),
                ),
            )
        assignee = d.assignee.id if d.assignee else None
        if d.assignee is not None:
            first = ts(d.start)
            add("conversation_participants", (cid, account, assignee, cid, first, first))
        seen = ts(min(d.end, d.agent_seen + rng.randint(5, 900))) if d.agent_seen else None
        if widget:
            extra = {
                "browser": {"browser_name": "Chrome", "platform_name": "Android"},
                "referer": owner.text.WIDGET_REFERER,
                "browser_language": "pt-BR",
                "initiated_at": {"timestamp": ts(d.start).isoformat()},
            }
        else:
            extra = {}
        custom = (
            {"origem": rng.choice(("instagram", "google", "indicacao"))}
            if (rng.random() < 0.3)
            else {}
        )
        contact_seen = ts(last) if widget else None
        add(
            "conversations",
            (
                cid,
                account,
                inbox,
                d.status,
                assignee,
                ts(d.start),
                ts(max(d.touched, last)),
                contact.id,
                0,
                contact_seen,
                seen,
                json.dumps(extra),
                contact.contact_inbox_id,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                ts(last),
                d.team_id,
                ts(d.snoozed_until),
                json.dumps(custom),
                seen,
                ts(d.first_reply),
                d.priority,
                ts(d.waiting_since),
                ", ".join(label for label, _ in labels) or None,
            ),
        )
        message_ids = []
        for m in d.messages:
            mid = self._next("message")
            message_ids.append(mid)
            when = ts(m.at)
            sender_id = contact.id if m.sender_type == "Contact" else m.sender_id
            wire = m.message_type in (0, 1) and not m.private and not widget
            add(
                "messages",
                (
                    mid,
                    m.content,
                    account,
                    inbox,
                    cid,
                    m.message_type,
                    when,
                    ts(m.updated_at) if m.updated_at else when,
                    m.private,
                    (0 if m.message_type == 0 else 2) if wire else 0,
                    f"wamid.HBgN{mid:014X}" if wire else None,
                    m.content_type,
                    m.content_attributes,
                    m.sender_type,
                    sender_id,
                ),
            )
            if m.file_type is not None:
                ext = "ogg" if m.file_type == 1 else "jpg"
                add(
                    "attachments",
                    (self._next("attachment"), m.file_type, mid, account, when, when, ext),
                )
        if d.csat is not None:
            c = d.csat
            when = ts(c.at)
            add(
                "csat_survey_responses",
                (
                    self._next("csat"),
                    account,
                    cid,
                    message_ids[c.message_index],
                    c.rating,
                    c.feedback,
                    contact.id,
                    assignee,
                    when,
                    when,
                ),
            )
        for e in d.events:
            when = ts(e.end)
            add(
                "reporting_events",
                (
                    self._next("event"),
                    e.name,
                    float(e.value),
                    account,
                    inbox,
                    e.user_id,
                    cid,
                    when,
                    when,
                    0.0,
                    ts(e.start),
                    when,
                ),
            )
