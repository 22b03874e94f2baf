"""A demo gym-CRM (EVO) member export matching a generated Chatwoot database.

The spreadsheet has the columns of EVO's customer export (`ID`, `Nome`, `Celular`, `E-mail`,
`Data Cadastro`, `Data Conversão`, dates as real Excel dates) and is written so that the CRM
match has real work to do:

- who became a member follows each conversation's hidden truth (`demo/intents.py`): a new
  lead signs up with a chance proportional to its latent propensity (about `share` of new
  leads do), on the day of the trial class it booked or within 30 days of writing, always on
  a day and at an hour the business is open; members and people who wrote to cancel or
  complain were members *before* they wrote (these must not count as bot conversions); those
  who asked not to be contacted, wrong numbers and other matters never sign up. A demo
  Chatwoot without the truth table (made before it) gets the old rule: `share` of the contacts,
  most 0-30 days after their first conversation, a few before it;
- phones are typed the way people type them: "(11) 98765-4321", "11987654321",
  "+55 11 98765-4321", "5511987654321", and with or without the ninth digit relative to
  what Chatwoot has;
- members who never talked to the bot (walk-ins), with numbers no demo contact has;
- three bad rows (empty phone, "n/a", "123") that an importer must report, not guess at.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from allpfit.demo import intents, phrases
from allpfit.source import chatwoot
from allpfit.spreadsheet import xlsx_cell, xlsx_row

HEADERS = ("ID", "Nome", "Celular", "E-mail", "Data Cadastro", "Data Conversão")
LOCAL_OFFSET = timedelta(hours=-3)  # Chatwoot stores UTC; the CRM records São Paulo time
BAD_PHONES = ("", "n/a", "123")
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br")

# %(account)s NULL = every account (a single-business Chatwoot)
_CONTACTS = """
SELECT ct.id, ct.name, ct.phone_number, min(c.created_at) AS first_at
FROM contacts ct JOIN conversations c ON c.contact_id = ct.id
WHERE ct.phone_number IS NOT NULL AND ct.phone_number <> ''
  AND (%(account)s::int IS NULL OR ct.account_id = %(account)s::int)
GROUP BY ct.id, ct.name, ct.phone_number
ORDER BY ct.id
"""
_BOUNDS = """
SELECT min(created_at), max(created_at) FROM conversations
WHERE %(account)s::int IS NULL OR account_id = %(account)s::int
"""

Row = tuple[str, str, str, date, datetime]  # name, phone, e-mail, registered, converted


def write_demo_members(
    source_url: str,
    path: Path,
    *,
    account_id: int | None = None,
    seed: int = 42,
    share: float = 0.15,
) -> int:
    """Write the member export of one business (Chatwoot account `account_id`; None = every
    account) for the Chatwoot data at `source_url`; return its row count (header excluded).
    Each business has its own CRM: its members are its own contacts, and its walk-ins get
    numbers of their own."""
    rng = random.Random(seed)
    rows: list[Row] = []
    params = {"account": account_id}
    with chatwoot.connect(source_url) as conn, conn.transaction():
        bounds = conn.execute(_BOUNDS, params)
        first_day, last_moment = bounds.fetchone() or (None, None)
        if first_day is None or last_moment is None:
            first_day = last_moment = datetime(2026, 1, 1)
        last_local = last_moment + LOCAL_OFFSET
        truth = intents.read(conn, account_id)
        with conn.cursor(name="demo_members") as cur:
            cur.execute(_CONTACTS, params)
            for cid, name, phone, first_at in cur:
                first_local = first_at + LOCAL_OFFSET
                if truth:
                    converted = _converted(rng, truth.get(cid, []), first_local, share)
                    row = _row(rng, name, phone, converted, last_local)
                elif rng.random() < share:
                    row = _member(rng, name, phone, first_local, last_local)
                else:
                    row = None
                if row is not None:
                    rows.append(row)
    walk_ins = max(5, len(rows) // 2)
    period = (first_day + LOCAL_OFFSET, last_local)
    first_walk_in = 1_000_000 * (account_id or 0)  # another business, other people
    rows += [_walk_in(rng, first_walk_in + i, period) for i in range(walk_ins)]
    rng.shuffle(rows)
    bad = [_bad_row(rng, phone, period) for phone in BAD_PHONES]
    for i, row in enumerate(bad):
        rows.insert(rng.randrange(len(rows) + 1) if rows else i, row)
    _write(path, rows)
    return len(rows)


def _converted(
    rng: random.Random,
    conversations: list[tuple[str, float, object, date | None]],
    first_local: datetime,
    share: float,
) -> datetime | None:
    """When this contact became a member, from its conversations' hidden truth; None: never.
    Each new-lead conversation is one chance to sign up (after it, on an open day)."""
    kinds = {kind for kind, *_ in conversations}
    if kinds & set(intents.ALREADY_MEMBERS):
        return first_local - timedelta(days=rng.uniform(1, 300))  # a member before writing
    for kind, propensity, started, visit_day in conversations:
        if kind != "new_lead" or rng.random() >= intents.signup_chance(propensity, share):
            continue
        assert isinstance(started, datetime)
        started_local = started + LOCAL_OFFSET
        if visit_day is not None and rng.random() < 0.7:
            day = visit_day  # signed up at the trial class
        else:
            day = (started_local + timedelta(days=int(30 * min(rng.random(), rng.random())))).date()
        return _at_the_front_desk(rng, day, not_before=started_local)
    return None


def _at_the_front_desk(rng: random.Random, day: date, *, not_before: datetime) -> datetime:
    """A moment on `day` or the first open day after it, in opening hours (Monday to Friday
    7h-20h, Saturday 8h-11h, closed on Sunday), after `not_before`."""
    for _ in range(14):
        if day.weekday() != 6:
            first, last = (8, 11) if day.weekday() == 5 else (7, 20)
            if day == not_before.date():
                first = max(first, not_before.hour + 1)
            if day >= not_before.date() and first <= last:
                return datetime(day.year, day.month, day.day, rng.randint(first, last),
                                rng.randrange(60))  # fmt: skip
        day += timedelta(days=1)
    raise AssertionError("an open day comes within a week")


def _row(
    rng: random.Random,
    name: str | None,
    phone: str,
    converted: datetime | None,
    last_local: datetime,
) -> Row | None:
    if converted is None or converted > last_local:
        return None  # never, or after the end of the data: not a member (yet)
    full = _full_name(rng, name)
    registered = (converted - timedelta(days=rng.choice((0, 0, 0, 1, 2)))).date()
    return (full, _typed_phone(rng, phone), _email(rng, full), registered, _minute(converted))


def _member(
    rng: random.Random, name: str | None, phone: str, first_local: datetime, last_local: datetime
) -> Row | None:
    if rng.random() < 0.04:
        converted = first_local - timedelta(days=rng.uniform(1, 90))  # already a member
    else:
        days = int(30 * min(rng.random(), rng.random()))  # most sign up in the first days
        converted = (first_local + timedelta(days=days)).replace(
            hour=rng.randint(7, 20), minute=rng.randrange(60)
        )  # at the front desk, in opening hours
        if converted < first_local:
            converted += timedelta(days=1)
    if converted > last_local:
        return None  # would convert after the end of the data: not a member (yet)
    full = _full_name(rng, name)
    registered = (converted - timedelta(days=rng.choice((0, 0, 0, 1, 2)))).date()
    return (full, _typed_phone(rng, phone), _email(rng, full), registered, _minute(converted))


def _walk_in(rng: random.Random, i: int, period: tuple[datetime, datetime]) -> Row:
    """A member who never wrote to the gym on WhatsApp. `95` numbers: no demo contact has
    one (their subscriber numbers start with 6-9 after the ninth digit, never 5)."""
    full = _full_name(rng, None)
    phone = f"+5511{950_000_000 + (i * 7_919_993 + 12_345) % 10_000_000}"
    start = period[0] - timedelta(days=730)
    converted = start + (period[1] - start) * rng.random()
    return (full, _typed_phone(rng, phone), _email(rng, full), converted.date(), _minute(converted))


def _bad_row(rng: random.Random, phone: str, period: tuple[datetime, datetime]) -> Row:
    full = _full_name(rng, None)
    converted = period[0] + (period[1] - period[0]) * rng.random()
    return (full, phone, _email(rng, full), converted.date(), _minute(converted))


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _full_name(rng: random.Random, name: str | None) -> str:
    """The CRM has the full legal name, often where Chatwoot has a nickname or a number."""
    words = [w for w in (name or "").split() if w.isalpha()]
    if not words:
        words = [rng.choice(phrases.FIRST_NAMES)]
    first = words[0].capitalize()
    last = words[1].capitalize() if len(words) > 1 else rng.choice(phrases.LAST_NAMES)
    full = f"{first} {rng.choice(phrases.LAST_NAMES)} {last}" if rng.random() < 0.5 else (
        f"{first} {last}")  # fmt: skip
    return full.upper() if rng.random() < 0.25 else full


def _email(rng: random.Random, full: str) -> str:
    if rng.random() < 0.2:
        return ""
    words = unicodedata.normalize("NFKD", full.lower()).encode("ascii", "ignore").decode().split()
    return f"{words[0]}.{words[-1]}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"


def _typed_phone(rng: random.Random, e164: str) -> str:
    """`e164` (+55...) written as a person would, maybe with the ninth digit added/dropped."""
    digits = e164.lstrip("+")[2:]
    ddd, sub = digits[:2], digits[2:]
    if len(sub) == 9 and rng.random() < 0.12:
        sub = sub[1:]  # the CRM still has the old number
    elif len(sub) == 8 and sub[0] in "6789" and rng.random() < 0.6:
        sub = "9" + sub  # the CRM has the current number, Chatwoot the old wa_id
    head, tail = sub[:-4], sub[-4:]
    style = rng.randrange(7)
    if style == 0:
        return f"({ddd}) {head}-{tail}"
    if style == 1:
        return f"{ddd}{sub}"
    if style == 2:
        return f"+55 {ddd} {head}-{tail}"
    if style == 3:
        return f"55{ddd}{sub}"
    if style == 4:
        return f"{ddd} {head} {tail}"
    if style == 5:
        return f"({ddd}){sub}"
    return f"{ddd} {head}-{tail}"


def _write(path: Path, rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = book.create_sheet("Clientes")
    sheet.append(list(HEADERS))
    for number, (name, phone, email, registered, converted) in enumerate(rows, 1):
        reg = xlsx_cell(sheet, registered, number_format="DD/MM/YYYY")
        conv = xlsx_cell(sheet, converted, number_format="DD/MM/YYYY HH:MM")
        # names come from the Chatwoot it reads: never a formula (allpfit.spreadsheet)
        sheet.append(xlsx_row(sheet, [100_000 + number, name, phone, email, reg, conv]))
    book.save(path)
