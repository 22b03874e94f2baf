"""Brazilian phone normalisation: a table of the forms CRMs and Chatwoot really hold."""

from __future__ import annotations

import pytest

from allpfit.crm.phones import normalise, pick

M = "m:11:87654321"  # the key of (11) 9 8765-4321 with or without its ninth digit

CASES = [
    # raw, key, e164, kind, has_ninth_digit
    ("+5511987654321", M, "+5511987654321", "mobile", True),
    ("+551187654321", M, "+551187654321", "mobile", False),
    ("5511987654321", M, "+5511987654321", "mobile", True),
    ("551187654321", M, "+551187654321", "mobile", False),
    ("11987654321", M, "+5511987654321", "mobile", True),
    ("1187654321", M, "+551187654321", "mobile", False),
    ("(11) 9 8765-4321", M, "+5511987654321", "mobile", True),
    ("(11) 98765-4321", M, "+5511987654321", "mobile", True),
    ("(11) 8765-4321", M, "+551187654321", "mobile", False),
    ("+55 (11) 98765-4321", M, "+5511987654321", "mobile", True),
    ("11.98765.4321", M, "+5511987654321", "mobile", True),
    ("  11 98765 4321  ", M, "+5511987654321", "mobile", True),
    ("011987654321", M, "+5511987654321", "mobile", True),
    ("0 21 11 98765-4321", M, "+5511987654321", "mobile", True),
    ("0xx11 98765-4321", M, "+5511987654321", "mobile", True),
    ("00 55 11 98765 4321", M, "+5511987654321", "mobile", True),
    (11987654321, M, "+5511987654321", "mobile", True),
    (11987654321.0, M, "+5511987654321", "mobile", True),
    ("(61) 8123-4567", "m:61:81234567", "+556181234567", "mobile", False),
    ("+55 55 98765-4321", "m:55:87654321", "+5555987654321", "mobile", True),
    ("5587654321", "m:55:87654321", "+555587654321", "mobile", False),
    # landlines: first local digit 2-5, never gain a 9, never share a key with a mobile
    ("(11) 3265-4321", "f:11:32654321", "+551132654321", "landline", False),
    ("+55 21 2345 6789", "f:21:23456789", "+552123456789", "landline", False),
    ("021 11 3265 4321", "f:11:32654321", "+551132654321", "landline", False),
    ("(0xx21) 2345-6789", "f:21:23456789", "+552123456789", "landline", False),
    ("+55 11 3265-4321 ramal 12", "f:11:32654321", "+551132654321", "landline", False),
    # foreign numbers keep their own E.164
    ("+1 650 253 0000", "x:+16502530000", "+16502530000", "foreign", False),
    ("+44 20 7946 0958", "x:+442079460958", "+442079460958", "foreign", False),
    # no DDD: kept as a local number, to be placed by the matcher
    ("98765-4321", "m:?:87654321", None, "local", True),
    ("8765-4321", "m:?:87654321", None, "local", False),
    ("3265-4321", "f:?:32654321", None, "local", False),
]

BAD = [
    (None, "empty"),
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "letters"),
    ("sem telefone", "letters"),
    ("123", "too short"),
    ("1234567890123456", "too long"),
    ("(11) 99999-9999", "placeholder"),
    ("00000000000", "placeholder"),
    ("+55 20 98765 4321", "DDD 20"),
    ("+55 11 1234-5678", "cannot start with 1"),
    ("0800 123 4567", "service number"),
    ("(11) 8765-43210", "9-digit local numbers must be mobiles"),
    ("+999 1234 5678", "country code"),
]


@pytest.mark.parametrize(("raw", "key", "e164", "kind", "nine"), CASES)
def test_brazilian_forms_normalise_to_one_key(
    raw: object, key: str, e164: str | None, kind: str, nine: bool
) -> None:
    phone = normalise(raw)
    assert (phone.key, phone.e164, phone.kind, phone.has_ninth_digit) == (key, e164, kind, nine)
    assert phone.ok and phone.reason is None


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_garbage_has_no_key_and_says_why(raw: object, reason: str) -> None:
    phone = normalise(raw)
    assert phone.key is None and not phone.ok
    assert phone.reason is not None and reason in phone.reason


def test_canonical_form_adds_the_ninth_digit_to_old_mobiles_only() -> None:
    assert normalise("(11) 8765-4321").canonical_e164 == "+5511987654321"
    assert normalise("(11) 98765-4321").canonical_e164 == "+5511987654321"
    assert normalise("(11) 3265-4321").canonical_e164 == "+551132654321"
    assert normalise("+1 650 253 0000").canonical_e164 == "+16502530000"


def test_landline_and_mobile_with_same_digits_never_share_a_key() -> None:
    # (11) 3265-4321 is a landline; (11) 9 3265-4321 is a mobile whose last 8 digits match
    assert normalise("(11) 3265-4321").key != normalise("(11) 93265-4321").key


def test_local_key_blanks_the_ddd() -> None:
    assert normalise("+5511987654321").local_key == "m:?:87654321"
    assert normalise("98765-4321").local_key == "m:?:87654321"
    assert normalise("+16502530000").local_key is None


def test_pick_prefers_a_mobile_in_a_cell_with_two_numbers() -> None:
    assert pick(["(11) 3265-4321 / (11) 98765-4321"]).kind == "mobile"
    assert pick(["(11) 3265-4321; sem celular"]).kind == "landline"
    assert pick([None, "", "11 98765-4321"]).key == M


def test_pick_returns_the_first_reason_when_nothing_is_usable() -> None:
    phone = pick(["abc", "(11) 99999-9999"])
    assert not phone.ok and phone.reason is not None and "letters" in phone.reason
    assert pick([None, "  "]).reason == "empty"
