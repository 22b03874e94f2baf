"""Brazilian phone normalisation: one person's number, however the CRM or Chatwoot wrote it.

Pure functions, no I/O. `normalise(raw)` returns a `Phone` with:

- `e164`: the number as written, in E.164 (`+5511987654321`). No digit is ever invented, so a
  mobile written without the ninth digit stays without it (`+551187654321`) and the match can
  say so. `canonical_e164` is the modern form (mobile with the 9; landlines never get one).
- `key`: the match key. Since 2012-2016 every Brazilian mobile gained a leading 9, and Chatwoot
  and CRMs hold both forms (Chatwoot itself inserts the 9 for 12-digit WhatsApp ids), so a
  mobile's key is its area code (DDD) plus its LAST 8 digits: `m:11:87654321` for both
  `(11) 98765-4321` and `(11) 8765-4321`. Landlines (first local digit 2-5) get `f:` keys and
  never meet a mobile key. Foreign numbers key on their E.164 (`x:+16502530000`).
- Numbers written without a DDD (`98765-4321`) cannot be placed: they get `kind="local"`, no
  E.164, and a key with `?` for the DDD (`m:?:87654321`) that the matcher may resolve.
- Anything else gets `key=None` and a `reason` saying why (empty, placeholder, unknown DDD...).

Parsing is done by `phonenumbers` (country codes, `0xx`/carrier prefixes, punctuation) with
Brazil as the default region; the mobile/landline split follows Anatel's numbering plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber

Kind = Literal["mobile", "landline", "foreign", "local"]

BR = 55
_EXTENSION = re.compile(r"\s*(?:ramal|ext\.?|extens[aã]o|r\.)\s*\d+\s*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:/|;|\||,|\bou\b|\be\b)\s*", re.IGNORECASE)
_HAS_LETTERS = re.compile(r"[^\W\d_]")
_NOT_DIGIT = re.compile(r"\D")
_E164_BR = re.compile(r"^\+55([1-9]\d{9,10})$")
_SERVICE_PREFIXES = {"300", "500", "800", "900"}  # 0300/0500/0800/0900; no DDD ends in 0


@dataclass(frozen=True)
class Phone:
    """One normalised phone number (or the reason it could not be normalised)."""

    raw: str | None
    key: str | None = None
    e164: str | None = None
    kind: Kind | None = None
    has_ninth_digit: bool = False
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.key is not None

    @property
    def canonical_e164(self) -> str | None:
        """The modern E.164: a Brazilian mobile written without its ninth digit gains it."""
        if self.e164 is None or self.kind != "mobile" or self.has_ninth_digit:
            return self.e164
        return self.e164[:5] + "9" + self.e164[5:]

    @property
    def local_key(self) -> str | None:
        """The key with the DDD blanked out (`m:?:87654321`), for numbers without a DDD."""
        if self.key is None or self.kind not in ("mobile", "landline", "local"):
            return None
        kind, _, last = self.key.split(":")
        return f"{kind}:?:{last}"


def _bad(raw: str | None, reason: str) -> Phone:
    return Phone(raw=raw, reason=reason)


def _prepare(raw: str) -> str:
    """Strip extensions and the international `00 55` form phonenumbers reads as a carrier."""
    text = _EXTENSION.sub("", raw.strip())
    digits = _NOT_DIGIT.sub("", text)
    if not text.startswith("+") and digits.startswith("0055") and len(digits) in (14, 15):
        return "+" + digits[2:]
    return text


def normalise(raw: object, *, region: str = "BR") -> Phone:
    """Normalise one phone as written by a person or a system; never raises."""
    text = "" if raw is None else str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():  # a spreadsheet cell holding a number
        text = str(int(raw))
    original = None if raw is None else text or str(raw)
    if not text:
        return _bad(original, "empty")
    fast = _E164_BR.match(text)
    if fast:  # Chatwoot's form: skip parsing, keep phonenumbers' validation in _brazilian
        return _brazilian(original, fast.group(1))
    text = _prepare(text)
    if _HAS_LETTERS.search(text.replace("xx", "").replace("XX", "")):
        return _bad(original, "not a phone number (contains letters)")
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) < 8:
        return _bad(original, "too short to be a phone number")
    if len(digits) > 15:
        return _bad(original, "too long to be a phone number")
    if len(set(digits)) == 1:
        return _bad(original, "placeholder number (one repeated digit)")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return _bad(original, "unknown country code")
        return _bad(original, "not a phone number")
    if number.country_code != BR:
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return Phone(raw=original, key=f"x:{e164}", e164=e164, kind="foreign")
        return _bad(original, f"not a valid number for country code +{number.country_code}")
    return _brazilian(original, str(number.national_number))


def _brazilian(original: str | None, national: str) -> Phone:
    if len(national) in (8, 9):
        return _without_ddd(original, national)
    if len(national) not in (10, 11):
        return _bad(
            original, f"a Brazilian number has 10 or 11 digits with DDD, not {len(national)}"
        )
    ddd, local = national[:2], national[2:]
    if len(national) == 10 and national[:3] in _SERVICE_PREFIXES:
        return _bad(original, f"service number (0{national[:3]}), not a person's phone")
    if len(set(local)) == 1:
        return _bad(original, "placeholder number (one repeated digit)")
    if len(local) == 9:
        if local[0] != "9":
            return _bad(original, "9-digit local numbers must be mobiles starting with 9")
        kind: Kind = "mobile"
        has_nine = True
        last8 = local[1:]
    elif local[0] in "6789":
        kind, has_nine, last8 = "mobile", False, local  # old mobile, before the ninth digit
    elif local[0] in "2345":
        kind, has_nine, last8 = "landline", False, local
    else:
        return _bad(original, f"local numbers cannot start with {local[0]}")
    check = int(ddd + ("9" + last8 if kind == "mobile" else last8))
    if not phonenumbers.is_valid_number(PhoneNumber(country_code=BR, national_number=check)):
        return _bad(original, f"not a valid Brazilian number (DDD {ddd})")
    prefix = "m" if kind == "mobile" else "f"
    return Phone(
        raw=original,
        key=f"{prefix}:{ddd}:{last8}",
        e164="+55" + national,
        kind=kind,
        has_ninth_digit=has_nine,
    )


def _without_ddd(original: str | None, local: str) -> Phone:
    if len(set(local)) == 1:
        return _bad(original, "placeholder number (one repeated digit)")
    if len(local) == 9:
        if local[0] != "9":
            return _bad(original, "9-digit local numbers must be mobiles starting with 9")
        return Phone(raw=original, key=f"m:?:{local[1:]}", kind="local", has_ninth_digit=True)
    if local[0] in "6789":
        return Phone(raw=original, key=f"m:?:{local}", kind="local")
    if local[0] in "2345":
        return Phone(raw=original, key=f"f:?:{local}", kind="local")
    return _bad(original, f"local numbers cannot start with {local[0]}")


def pick(candidates: list[object]) -> Phone:
    """The first usable number among several cells or several numbers in one cell.

    CRMs put two numbers in one field (`11 3265-4321 / 11 98765-4321`) and have several phone
    columns. Leads write from WhatsApp, so the first mobile wins over an earlier landline; when
    none is usable, the first reason is returned (so the report says what was wrong).
    """
    first_bad: Phone | None = None
    first_ok: Phone | None = None
    for value in candidates:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        parts = [value] if not isinstance(value, str) else _split(value)
        for part in parts:
            phone = normalise(part)
            if phone.ok and phone.kind != "landline":
                return phone
            if phone.ok and first_ok is None:
                first_ok = phone
            if not phone.ok and first_bad is None:
                first_bad = phone
    return first_ok or first_bad or _bad(None, "empty")


def _split(value: str) -> list[str]:
    parts = [p for p in _SEPARATORS.split(value) if p.strip()]
    return parts or [value]
