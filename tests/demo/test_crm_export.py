"""The demo CRM export looks like EVO's and gives the CRM match real work to do."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from allpfit.demo import intents
from allpfit.demo.crm_export import HEADERS, write_demo_members
from allpfit.demo.generator import GenerationStats
from tests.demo.conftest import query

Generated = tuple[str, GenerationStats]


def national(phone: str) -> str:
    """Digits without the country code: DDD + subscriber number (8 or 9 digits)."""
    digits = re.sub(r"\D", "", phone)
    return digits[2:] if digits.startswith("55") and len(digits) >= 12 else digits


def person(phone: str) -> str:
    """DDD + last 8 digits: the same person with or without the ninth digit."""
    digits = national(phone)
    return digits[:2] + digits[-8:]


@pytest.fixture(scope="module")
def export(generated: Generated, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    url, _ = generated
    path = tmp_path_factory.mktemp("crm") / "clientes.xlsx"
    count = write_demo_members(url, path, seed=5, share=0.5)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) == count + 1
    return rows


@pytest.fixture(scope="module")
def chatwoot_first(generated: Generated) -> dict[str, tuple[str, datetime]]:
    url, _ = generated
    rows = query(url, """
        SELECT ct.phone_number, min(c.created_at) FROM contacts ct
        JOIN conversations c ON c.contact_id = ct.id
        WHERE ct.phone_number IS NOT NULL GROUP BY ct.phone_number
    """)  # fmt: skip
    return {person(phone): (phone, first - timedelta(hours=3)) for phone, first in rows}


def test_headers_and_cell_types_are_evos(export: list[tuple]) -> None:
    assert export[0] == HEADERS == ("ID", "Nome", "Celular", "E-mail", "Data Cadastro",
                                    "Data Conversão")  # fmt: skip
    data = export[1:]
    assert all(isinstance(r[0], int) and r[1] for r in data)
    assert all(isinstance(r[4], date) and isinstance(r[5], datetime) for r in data)
    assert len({r[0] for r in data}) == len(data)


def test_who_became_a_member_follows_the_hidden_intent(
    generated: Generated,
    export: list[tuple],
    chatwoot_first: dict[str, tuple[str, datetime]],
) -> None:
    """Members and people who wrote to cancel were members before they wrote; new leads sign up
    after talking, the keener the likelier, on a day and at an hour the business is open;
    opt-outs, wrong numbers and other matters never do (demo/intents.py)."""
    url, _ = generated
    kinds: dict[str, set[str]] = {}
    keenest: dict[str, float] = {}
    for phone, kind, propensity in query(
        url,
        f"""
        SELECT ct.phone_number, t.kind, t.propensity FROM {intents.TABLE} t
        JOIN contacts ct ON ct.id = t.contact_id WHERE ct.phone_number IS NOT NULL""",
    ):
        kinds.setdefault(person(phone), set()).add(kind)
        keenest[person(phone)] = max(keenest.get(person(phone), 0.0), propensity)
    good = [r for r in export[1:] if len(re.sub(r"\D", "", r[2] or "")) >= 10]
    matched = [(r, chatwoot_first[person(r[2])]) for r in good if person(r[2]) in chatwoot_first]
    walk_ins = [r for r in good if person(r[2]) not in chatwoot_first]
    assert 0.2 * len(chatwoot_first) <= len(matched) <= 0.55 * len(chatwoot_first)
    assert len(walk_ins) >= 5
    before = [r for r, (_, first) in matched if r[5] < first]
    after = [r for r, (_, first) in matched if r[5] >= first]
    assert before and all(kinds[person(r[2])] & set(intents.ALREADY_MEMBERS) for r in before)
    assert all("new_lead" in kinds[person(r[2])] for r in after)
    already = {p for p, k in kinds.items() if k & set(intents.ALREADY_MEMBERS)}
    assert already <= {person(r[2]) for r, _ in matched}  # every member is in the CRM
    never = {p for p, k in kinds.items() if not k & {"new_lead", *intents.ALREADY_MEMBERS}}
    assert never and not never & {person(r[2]) for r, _ in matched}
    for r in after:  # at the front desk: Monday-Friday 7h-20h, Saturday 8h-11h, never Sunday
        converted: datetime = r[5]
        weekday = converted.weekday()
        assert weekday != 6 and (8 <= converted.hour <= 11 if weekday == 5 else
                                 7 <= converted.hour <= 20), converted  # fmt: skip
    signed = [keenest[person(r[2])] for r in after]
    leads = [keenest[p] for p, k in kinds.items() if "new_lead" in k]
    assert sum(signed) / len(signed) > 1.5 * sum(leads) / len(leads)


def test_phones_are_typed_in_many_ways_and_the_ninth_digit_differs_sometimes(
    export: list[tuple], chatwoot_first: dict[str, tuple[str, datetime]]
) -> None:
    phones = [r[2] for r in export[1:] if r[2]]
    assert any(re.fullmatch(r"\(\d\d\) \d{4,5}-\d{4}", p) for p in phones)
    assert any(re.fullmatch(r"\d{11}", p) for p in phones)
    assert any(re.fullmatch(r"\+55 \d\d \d{4,5}-\d{4}", p) for p in phones)
    assert any(re.fullmatch(r"55\d{10,11}", p) for p in phones)
    differs = [
        p for p in phones
        if person(p) in chatwoot_first
        and len(national(p)) != len(national(chatwoot_first[person(p)][0]))
    ]  # fmt: skip
    assert differs


def test_bad_rows_are_present_for_the_importer_to_report(export: list[tuple]) -> None:
    phones = [r[2] for r in export[1:]]
    assert phones.count(None) + phones.count("") >= 1
    assert "n/a" in phones and "123" in phones


def test_same_seed_writes_the_same_file_contents(generated: Generated, tmp_path: Path) -> None:
    url, _ = generated
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_demo_members(url, a, seed=9)
    write_demo_members(url, b, seed=9)
    rows_a = list(openpyxl.load_workbook(a).active.iter_rows(values_only=True))
    rows_b = list(openpyxl.load_workbook(b).active.iter_rows(values_only=True))
    assert rows_a == rows_b and len(rows_a) > 10


def test_each_business_gets_its_own_export_of_its_own_contacts(
    generated: Generated, tmp_path: Path
) -> None:
    """The gym's CRM knows the gym's people, the studio's the studio's: no phone is in both
    (walk-ins included), and every member who talked did so with that business."""
    url, _ = generated
    by_account = {
        account: {person(p) for (p,) in query(
            url, "SELECT phone_number FROM contacts WHERE account_id = %s "
            "AND phone_number IS NOT NULL", (account,))}
        for account in (1, 2)
    }  # fmt: skip
    phones = {}
    for account in (1, 2):
        path = tmp_path / f"crm_{account}.xlsx"
        write_demo_members(url, path, account_id=account, seed=5, share=0.5)
        rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))[1:]
        phones[account] = {person(r[2]) for r in rows if len(re.sub(r"\D", "", r[2] or "")) >= 10}
    for account, other in ((1, 2), (2, 1)):
        assert phones[account] & by_account[account]  # members who talked to this business
        assert not phones[account] & by_account[other]
    assert not phones[1] & phones[2]
