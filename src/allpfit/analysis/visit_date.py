"""The day of a scheduled visit, read from Brazilian Portuguese text. Pure: no I/O, no clock.

`resolve_date(text, today)` reads the date expressions in one message and returns the day
they name, relative to `today`, the business-time-zone day the message was sent. Rules
(docs/analysis.md, "Visit date"):

- "hoje", "amanhã", "depois de amanhã" (also "hj", "amnh", "dps de amanha"): +0, +1, +2 days.
- A weekday ("segunda", "terça-feira", "sabado", "sáb", "6ª feira", "próximo sábado",
  "sábado que vem"): the NEXT such day, 1 to 7 days ahead, never today. Said on a Saturday,
  "sábado" means the Saturday a week later: someone booking for the same day says "hoje".
  "De segunda a sexta" (a range, as in opening hours) names no day and is skipped.
- "dia 12": the next 12th, today included (said on the 12th, it is today); a day the month
  does not have ("dia 31" in April) moves to the next month that has it.
- "12/12" and "3 de dezembro" (with or without "dia", month abbreviations too): that day this
  year, or next year when it has already passed; today counts as not passed.
- "12/12/2026", "12/12/26", "3 de dezembro de 2026": that exact day, if it is from today to
  one year ahead; a past or far-future explicit date is not a visit being booked (unknown).
- An expression negated in its clause ("hoje não dá", "não posso sábado") is ignored.
- Several expressions: the most specific wins (an explicit date over hoje/amanhã over a
  weekday: "hoje, sexta" said on a Friday is today), then the first in the text.
Anything else, or an impossible date ("31/02"), is unknown: None.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from allpfit.analysis import lexicon as lx
from allpfit.analysis.profile import fold

_WEEKDAY_NAMES = "|".join(lx.WEEKDAYS)
_MONTH_NAMES = "|".join(sorted(lx.MONTHS, key=len, reverse=True))
DATE_EXPRESSION = re.compile(
    rf"\b(?:"
    rf"(?P<after>depois d?e? ?amanha)"
    rf"|(?P<tomorrow>amanha)"
    rf"|(?P<today>hoje)"
    rf"|(?P<dmy>(?P<dmy_d>\d{{1,2}})/(?P<dmy_m>\d{{1,2}})/(?P<dmy_y>\d{{4}}|\d{{2}}))(?![/\d])"
    rf"|(?P<dm>(?P<dm_d>\d{{1,2}})/(?P<dm_m>\d{{1,2}}))(?![/\d])"
    rf"|(?P<named>(?:dia )?(?P<named_d>\d{{1,2}}) de (?P<named_m>{_MONTH_NAMES})"
    rf"(?: de (?P<named_y>\d{{4}}))?)\b"
    rf"|(?P<day>dia (?P<day_d>\d{{1,2}}))(?![/\d])"
    rf"|(?P<weekday>(?:(?:proxim[oa]|nest[ea]|ess[ea]|est[ea]) )?"
    rf"(?:(?P<wd_name>{_WEEKDAY_NAMES})|(?P<wd_number>[2-6])a)(?:[- ]feira)?(?: que vem)?)\b"
    rf")"
)
_RANGE_BETWEEN = re.compile(r"^ (?:a|ate|e) $")  # "segunda a sexta", "segunda e quarta"
_CLAUSE_END = re.compile(r"[,.;!?\n]| mas ")
RANK = {"dmy": 3, "dm": 3, "named": 3, "day": 3, "today": 2, "tomorrow": 2, "after": 2,
        "weekday": 1}  # fmt: skip


@dataclass(frozen=True)
class Mention:
    kind: str
    start: int
    end: int
    day: date | None


def normalise(text: str) -> str:
    """Folded, repeated letters collapsed, date slang expanded; "/" and "-" kept."""
    text = re.sub(r"([a-z])\1{2,}", r"\1", fold(text))
    return re.sub(r"[a-z]+", lambda m: lx.DATE_SLANG.get(m.group(0), m.group(0)), text)


def resolve_date(text: str, today: date) -> date | None:
    """The visit day `text` names, said on `today`; None when it names none (or nonsense)."""
    mentions = [m for m in mentions_in(normalise(text), today) if m.day is not None]
    if not mentions:
        return None
    best = max(RANK[m.kind] for m in mentions)
    return next(m.day for m in mentions if RANK[m.kind] == best)


def mentions_in(text: str, today: date) -> list[Mention]:
    """Every non-negated date expression of normalised `text`, in order, resolved."""
    found: list[Mention] = []
    for match in DATE_EXPRESSION.finditer(text):
        kind = next(k for k in RANK if match.group(k) is not None)
        if kind == "weekday" and _is_ordinal(text, match.end()):
            continue
        if match.group(0) == "24/7" or _negated(text, match.start(), match.end()):
            continue  # "24/7" is opening hours, not the 24th of July
        found.append(Mention(kind, match.start(), match.end(), _resolve(kind, match, today)))
    return _without_ranges(text, found)


def _resolve(kind: str, match: re.Match[str], today: date) -> date | None:
    group = match.group
    if kind == "today":
        return today
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "after":
        return today + timedelta(days=2)
    if kind == "weekday":
        name, number = group("wd_name"), group("wd_number")
        weekday = lx.WEEKDAYS[name] if name else lx.WEEKDAY_NUMBERS[number]
        return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    if kind == "day":
        return _next_day_of_month(int(group("day_d")), today)
    if kind == "dm":
        return _next_day_and_month(int(group("dm_d")), int(group("dm_m")), today)
    if kind == "dmy":
        year = int(group("dmy_y"))
        return _explicit(int(group("dmy_d")), int(group("dmy_m")), year, today)
    if kind == "named":
        day, month = int(group("named_d")), lx.MONTHS[group("named_m")]
        if group("named_y"):
            return _explicit(day, month, int(group("named_y")), today)
        return _next_day_and_month(day, month, today)
    return None  # pragma: no cover - every named alternative is handled above


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(day: int, today: date) -> date | None:
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    if day < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for _ in range(3):  # at most two months lack a given day in a row (Feb for 30/31)
        if day <= monthrange(year, month)[1]:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None  # pragma: no cover - unreachable for 1..31


def _next_day_and_month(day: int, month: int, today: date) -> date | None:
    found = _safe(today.year, month, day)
    if found is None and month == 2 and day == 29:
        found = _safe(today.year + 1, 2, 29)
    if found is not None and found < today:
        found = _safe(today.year + 1, month, day)
    return found


def _explicit(day: int, month: int, year: int, today: date) -> date | None:
    if year < 100:
        year += 2000
    found = _safe(year, month, day)
    if found is None or found < today or found > today + timedelta(days=366):
        return None
    return found


def _is_ordinal(text: str, end: int) -> bool:
    following = text[end:].split(maxsplit=1)
    return bool(following) and following[0] in lx.NOT_A_WEEKDAY_AFTER


def _negated(text: str, start: int, end: int) -> bool:
    """ "não" (or "nem", "nunca") in the three words before, in the same clause, or right
    after: "não posso hoje", "amanhã não dá"."""
    before = _CLAUSE_END.split(text[:start])[-1].split()[-3:]
    after = _CLAUSE_END.split(text[end:])[0].split()[:1]
    return bool(lx.NEGATORS.intersection(before)) or after == ["nao"]


def _without_ranges(text: str, mentions: list[Mention]) -> list[Mention]:
    """Drop weekday pairs joined by "a"/"até"/"e": opening hours or options, not a booking."""
    dropped: set[int] = set()
    for i in range(len(mentions) - 1):
        first, second = mentions[i], mentions[i + 1]
        if first.kind == second.kind == "weekday" and _RANGE_BETWEEN.match(
            text[first.end : second.start]
        ):
            dropped |= {i, i + 1}
    return [m for i, m in enumerate(mentions) if i not in dropped]


def local_day(at: datetime | None, zone: tzinfo) -> date | None:
    """The business-time-zone day of an aware timestamp (None stays None)."""
    return None if at is None else at.astimezone(zone).date()
