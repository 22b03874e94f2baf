"""Demo contacts: Brazilian names and phone numbers the way Chatwoot stores them.

Phone numbers are E.164 with a leading `+` (`contacts.phone_number`), and the WhatsApp
`contact_inboxes.source_id` is the same number without the `+` (the wa_id). Each contact gets
its own 8-digit subscriber number from a permutation of its index, so numbers never collide,
with or without the ninth digit. Kinds of number:

- mobile with the ninth digit: `+55 DD 9 NNNN-NNNN`, subscriber part starting with 6-9;
- old mobile without the ninth digit (`+55 DD NNNN-NNNN`, 12 digits), as WhatsApp still
  reports numbers registered before the change;
- landline (`+55 DD 2-4NNN-NNNN`), for businesses on WhatsApp;
- no phone: web-widget visitors.

A few people appear twice, once with and once without the ninth digit, as Chatwoot does
when a contact first wrote from an old wa_id (see shared/chatwoot/README.md).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from allpfit.demo import phrases

MOBILE_SPACE = 40_000_000  # subscriber numbers 6000-0000 .. 9999-9999
LANDLINE_SPACE = 30_000_000  # landlines 2000-0000 .. 4999-9999
_MULTIPLIER = 2_654_435_761  # odd and not a multiple of 5: a permutation of MOBILE_SPACE


@dataclass(slots=True)
class Contact:
    id: int
    name: str
    first_name: str
    phone: str | None
    email: str | None
    contact_type: int
    inbox_id: int
    contact_inbox_id: int
    source_id: str
    created_at: int  # epoch seconds, UTC
    twin_ok: bool = True  # may still get a with/without-ninth-digit twin


class People:
    """Makes contacts with unique ids, phones and e-mails, deterministically from `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.offset = rng.randrange(MOBILE_SPACE)
        ddds, weights = zip(*phrases.DDDS, strict=True)
        self._ddds = rng.choices(ddds, weights=weights, k=4096)
        self.next_id = 1
        self._landlines = 0

    def subscriber(self, index: int) -> int:
        """The unique 8-digit mobile subscriber number of contact `index`."""
        return 60_000_000 + (index * _MULTIPLIER + self.offset) % MOBILE_SPACE

    def whatsapp(self, inbox_id: int, at: int) -> Contact:
        index = self.next_id
        ddd = self._ddds[index % len(self._ddds)]
        number = self.subscriber(index)
        roll = self.rng.random()
        if roll < 0.86:
            phone = f"+55{ddd}9{number}"
        elif roll < 0.97:
            phone = f"+55{ddd}{number}"
        else:
            self._landlines += 1
            landline = 20_000_000 + (self._landlines * _MULTIPLIER + self.offset) % LANDLINE_SPACE
            phone = f"+55{ddd}{landline}"
        return self._make(inbox_id, at, phone, email=None)

    def twin(self, original: Contact, inbox_id: int, at: int) -> Contact | None:
        """The same mobile with the ninth digit toggled, as a separate contact."""
        phone = original.phone
        if phone is None or not phone.startswith("+55"):
            return None
        digits = phone[3:]
        if len(digits) == 11 and digits[2] == "9":
            other = f"+55{digits[:2]}{digits[3:]}"
        elif len(digits) == 10 and digits[2] in "6789":
            other = f"+55{digits[:2]}9{digits[2:]}"
        else:
            return None
        contact = self._make(inbox_id, at, other, email=None)
        contact.name, contact.first_name = original.name, original.first_name
        contact.twin_ok = original.twin_ok = False
        return contact

    def visitor(self, inbox_id: int, at: int) -> Contact:
        return self._make(inbox_id, at, None, email="")

    def _make(self, inbox_id: int, at: int, phone: str | None, email: str | None) -> Contact:
        rng = self.rng
        cid = self.next_id
        self.next_id += 1
        first = rng.choice(phrases.FIRST_NAMES)
        last = rng.choice(phrases.LAST_NAMES)
        roll = rng.random()
        if phone is None:
            name = f"{first} {last}" if roll < 0.6 else ""
        elif roll < 0.55:
            name = f"{first} {last}"
        elif roll < 0.75:
            name = first
        elif roll < 0.82:
            name = f"{first} {last}".lower()
        elif roll < 0.95:
            name = first + rng.choice(phrases.PROFILE_SUFFIXES)
        else:
            name = phone  # no WhatsApp profile name: Chatwoot shows the number
        if email is not None:
            email = f"{_ascii(first)}.{_ascii(last)}{cid}@gmail.com" if name else None
        if phone is not None:
            source_id = phone[1:]
            contact_type = 2 if rng.random() < 0.04 else 1
        else:
            source_id = f"{rng.getrandbits(128):032x}"
            contact_type = 1 if email else 0
        return Contact(
            id=cid,
            name=name,
            first_name=first,
            phone=phone,
            email=email,
            contact_type=contact_type,
            inbox_id=inbox_id,
            contact_inbox_id=cid,
            source_id=source_id,
            created_at=at,
        )


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "")
