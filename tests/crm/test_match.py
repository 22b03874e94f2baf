"""The crossmatch on hand-built leads and customers: types, scores, conversions, ambiguity."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import psycopg
import pytest
from openpyxl import load_workbook

from allpfit.config import Settings
from allpfit.crm.match import run_match
from allpfit.crm.phones import normalise
from tests.crm.conftest import add_conversation


def at(day: str, hour: int = 13) -> datetime:
    """A UTC instant on `day` (13:00 UTC = 10:00 in São Paulo, same local date)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def add_customer(
    conn: psycopg.Connection,
    external_id: str,
    name: str | None,
    phone: str | None,
    *,
    conversion: str | None = None,
    register: str | None = None,
    sale: str | None = None,
    source: str = "excel",
    email: str | None = None,
) -> int:
    row = conn.execute(
        """INSERT INTO crm_customers (source, external_id, name, email, phone_raw,
               phone_normalized, register_date, conversion_date, sale_date)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            source,
            external_id,
            name,
            email,
            phone,
            normalise(phone).e164,
            register,
            conversion,
            sale,
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def matches(conn: psycopg.Connection) -> dict[int, tuple[object, ...]]:
    rows = conn.execute(
        """SELECT conversation_id, crm_customer_name, contact_phone, crm_customer_phone,
                  match_type, match_score::float, conversation_date, crm_signup_date,
                  days_to_conversion
           FROM conversas_crm_match_real"""
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_exact_and_ninth_digit_matches_become_conversions(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Ana", "(11) 98765-4321", conversion="2026-03-01")
    add_customer(local, "2", "Bruno", "(11) 98111-2222", conversion="2026-03-10")
    add_customer(local, "3", "Carla", "(21) 8333-4444", register="2026-03-05")
    add_conversation(local, 10, "+5511987654321", at("2026-02-20"))
    add_conversation(local, 20, "+551181112222", at("2026-03-01"))  # Chatwoot without the 9
    add_conversation(local, 30, "+5521983334444", at("2026-03-02"))  # CRM without the 9
    summary = run_match(local_url, crm_settings)
    assert matches(local) == {
        10: (
            "Ana",
            "+5511987654321",
            "+5511987654321",
            "exact",
            1.0,
            date(2026, 2, 20),
            date(2026, 3, 1),
            9,
        ),
        20: (
            "Bruno",
            "+551181112222",
            "+5511981112222",
            "ninth_digit",
            0.9,
            date(2026, 3, 1),
            date(2026, 3, 10),
            9,
        ),
        30: (
            "Carla",
            "+5521983334444",
            "+552183334444",
            "ninth_digit",
            0.9,
            date(2026, 3, 2),
            date(2026, 3, 5),
            3,
        ),
    }
    assert summary.conversions == 3
    assert summary.by_type == {"exact": 1, "ninth_digit": 2, "local_number": 0}


def test_the_first_conversation_of_a_lead_counts_across_both_phone_forms(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Ana", "11987654321", conversion="2026-03-01")
    add_conversation(local, 11, "+5511987654321", at("2026-02-25"))
    add_conversation(local, 12, "+551187654321", at("2026-02-10"))  # earlier, without the 9
    add_conversation(local, 13, "+5511987654321", at("2026-03-05"))  # after signup
    summary = run_match(local_url, crm_settings)
    assert list(matches(local)) == [12]
    assert matches(local)[12][3:4] == ("ninth_digit",)
    assert summary.leads == 1 and summary.conversations == 3


def test_a_landline_never_matches_a_mobile_with_the_same_last_digits(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Fixo", "(11) 3265-4321", conversion="2026-03-01")
    add_conversation(local, 10, "+5511932654321", at("2026-02-01"))
    summary = run_match(local_url, crm_settings)
    assert matches(local) == {} and summary.matched_leads == 0


def test_customers_who_signed_up_before_talking_are_not_conversions(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(
        local, "1", "Antiga", "11987654321", register="2025-06-01", conversion="2026-01-01"
    )
    add_customer(local, "2", "SemData", "11987650000")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    add_conversation(local, 20, "+5511987650000", at("2026-02-01"))
    summary = run_match(local_url, crm_settings)
    assert matches(local) == {}
    assert (summary.matched_leads, summary.already_customers, summary.no_signup_date) == (2, 1, 1)


def test_signup_falls_back_from_conversion_to_sale_to_register(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Venda", "11987654321", register="2026-01-01", sale="2026-03-01")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    run_match(local_url, crm_settings)
    assert matches(local)[10][6:8] == (date(2026, 3, 1), 28)


@pytest.mark.parametrize(("same_day", "expected"), [(True, {10}), (False, set())])
def test_same_day_conversions_follow_the_setting(
    local_url: str,
    local: psycopg.Connection,
    crm_settings: Settings,
    same_day: bool,
    expected: set[int],
) -> None:
    add_customer(local, "1", "Ana", "11987654321", conversion="2026-02-01")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01", hour=12))
    settings = crm_settings.model_copy(update={"crm_same_day_is_conversion": same_day})
    run_match(local_url, settings)
    assert set(matches(local)) == expected


def test_a_phone_shared_by_different_people_is_reported_not_matched(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Mãe Silva", "(11) 98765-4321", conversion="2026-03-01")
    add_customer(local, "2", "Filho Silva", "11 8765-4321", conversion="2026-03-02")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    summary = run_match(local_url, crm_settings)
    assert matches(local) == {}
    assert len(summary.ambiguous) == 1
    assert [c.name for c in summary.ambiguous[0].customers] == ["Mãe Silva", "Filho Silva"]
    assert summary.report_xlsx is not None
    sheet = load_workbook(summary.report_xlsx)["Telefones ambíguos"]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "+5511987654321" and values[1][3] == 2
    assert "Mãe Silva (excel 1)" in values[1][4]


def test_one_person_in_both_sources_is_not_ambiguous(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo_id = add_customer(
        local, "77", "JOÃO ARAÚJO", "11987654321", conversion="2026-03-01", source="evo"
    )
    add_customer(local, "A-9", "João  Araujo", "(11) 98765-4321", register="2026-03-01")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    summary = run_match(local_url, crm_settings)
    assert summary.ambiguous == []
    row = local.execute("SELECT crm_customer_id FROM conversas_crm_match_real").fetchone()
    assert row == (evo_id,)


def test_a_number_without_ddd_matches_the_only_lead_with_that_local_number(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Sem DDD", "98765-1111", conversion="2026-03-01")
    add_customer(local, "2", "Dois leads", "8765-2222", conversion="2026-03-01")
    add_conversation(local, 10, "+5531987651111", at("2026-02-01"))
    add_conversation(local, 20, "+5511987652222", at("2026-02-01"))
    add_conversation(local, 21, "+5521987652222", at("2026-02-01"))  # same local, other DDD
    summary = run_match(local_url, crm_settings)
    assert matches(local)[10][3:5] == ("local_number", 0.6)
    assert set(matches(local)) == {10}
    assert summary.by_type["local_number"] == 1


def test_foreign_numbers_match_exactly(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    add_customer(local, "1", "Eva", "+1 650 253 0000", conversion="2026-03-01")
    add_conversation(local, 10, "+16502530000", at("2026-02-01"))
    add_conversation(local, 11, None, at("2026-02-01"))
    add_conversation(local, 12, "lixo", at("2026-02-01"))
    summary = run_match(local_url, crm_settings)
    assert matches(local)[10][3] == "exact"
    assert summary.invalid_contact_phones == 1 and summary.conversations == 2


def test_rerunning_rebuilds_the_table_and_writes_reports(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    gone = add_customer(local, "1", "Ana", "11987654321", conversion="2026-03-01")
    add_customer(local, "2", "Bia", "11987650000", conversion="2026-03-01")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    add_conversation(local, 20, "+5511987650000", at("2026-02-01"))
    first = run_match(local_url, crm_settings)
    assert set(matches(local)) == {10, 20}
    # Ana's signup moves before her first conversation: no longer a traffic conversion.
    local.execute("UPDATE crm_customers SET conversion_date = '2026-01-01' WHERE id = %s", (gone,))
    second = run_match(local_url, crm_settings)
    assert set(matches(local)) == {20} and second.conversions == 1
    assert first.report_csv is not None and first.report_csv.parent == crm_settings.report_dir
    assert second.report_csv is not None and second.report_xlsx is not None
    with second.report_csv.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0][:3] == ["conversation_id", "contact_phone", "crm_customer_id"]
    assert [line[0] for line in lines[1:]] == ["20"]
    book = load_workbook(second.report_xlsx)
    assert book.sheetnames == ["Conversões", "Telefones ambíguos", "Resumo"]
    runs = local.execute(
        "SELECT kind, status, rows_written FROM crm_sync_runs ORDER BY id"
    ).fetchall()
    assert runs == [("match", "success", 2), ("match", "success", 1)]


def test_marked_sources_keep_their_matches_and_nothing_cascades(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    ana = add_customer(local, "1", "Ana", "11987654321", conversion="2026-03-01")
    add_customer(local, "2", "Bia", "11987650000", conversion="2026-03-01")
    add_conversation(local, 10, "+5511987654321", at("2026-02-01"))
    add_conversation(local, 20, "+5511987650000", at("2026-02-01"))
    run_match(local_url, crm_settings)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        local.execute("DELETE FROM conversas_analytics WHERE conversation_id = 10")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        local.execute("DELETE FROM crm_customers WHERE id = %s", (ana,))
    # Conversation 10 deleted in Chatwoot, Bia missing from the CRM listing: both matches stay.
    local.execute(
        "UPDATE conversas_analytics SET deleted_in_source_at = now() WHERE conversation_id = 10"
    )
    local.execute("UPDATE crm_customers SET missing_in_source_at = now() WHERE external_id = '2'")
    run_match(local_url, crm_settings)
    assert set(matches(local)) == {10, 20}
    # ... but the dashboard's one definition of a sale leaves the deleted conversation out.
    sold = local.execute("SELECT conversation_id FROM lead_sales").fetchall()
    assert sold == [(20,)]
