"""`sync_members`: EVO members and sales into crm_customers, through the real client."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from allpfit.config import Settings
from allpfit.crm.evo import member_from_evo, sync_members
from allpfit.crm.evo_client import EvoAuthError
from tests.crm.conftest import Sleeps, client_for
from tests.fakes.evo_server import FakeEvo, member, sale


def _gym(evo: FakeEvo) -> None:
    evo.members = [
        member(
            1,
            "Ana",
            "Souza",
            cellphone="11987654321",
            email="ana@x.test",
            register="2026-01-05T10:00:00",
            conversion="2026-01-08T18:30:00",
        ),
        member(2, "Bruno", "Lima", phone="1132654321", cellphone="(11) 8123-4567"),
        member(3, "Carla", "Dias", phone="3265-4321"),  # no DDD: kept, local number
        member(4, "Davi", "Rocha"),  # no phone at all
        member(5, "Eva", "Nunes", cellphone="650 253 0000", ddi="1"),
        member(6, "Fábio", "Melo", cellphone="(21) 99999-9999"),  # placeholder
    ]
    evo.sales = [
        sale(10, 2, "2026-02-03T11:00:00"),
        sale(11, 2, "2026-01-20T11:00:00", removed=True),  # removed sales do not count
        sale(12, 2, "2026-02-10T11:00:00"),
        sale(13, None, "2026-02-11T11:00:00"),  # a prospect's sale: no member
        sale(14, 1, "2026-01-09T09:00:00"),
    ]


def _rows(local: psycopg.Connection) -> dict[str, tuple[object, ...]]:
    rows = local.execute(
        """SELECT external_id, name, email, phone_raw, phone_normalized, register_date,
                  conversion_date, sale_date, status FROM crm_customers WHERE source = 'evo'"""
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_members_land_in_crm_customers_with_phone_dates_and_first_sale(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    _gym(evo)
    with client_for(evo, sleeps, page_size=2) as client:
        result = sync_members(local_url, crm_settings, client=client)
    rows = _rows(local)
    assert rows["1"] == (
        "Ana Souza",
        "ana@x.test",
        "11987654321",
        "+5511987654321",
        date(2026, 1, 5),
        date(2026, 1, 8),
        date(2026, 1, 9),
        "Active",
    )
    # the cellphone wins over the landline; the first non-removed sale is the sale date
    assert rows["2"][2:6] == ("(11) 8123-4567", "+551181234567", date(2026, 1, 10), None)
    assert rows["2"][6] == date(2026, 2, 3)
    assert rows["3"][2:4] == ("3265-4321", None)
    assert rows["4"][2:4] == (None, None)
    assert rows["5"][2:4] == ("+1 650 253 0000", "+16502530000")
    assert rows["6"][2:4] == ("(21) 99999-9999", None)
    assert (result.members_read, result.inserted, result.updated) == (6, 6, 0)
    assert result.without_phone == 2 and result.sales_read == 5
    run = local.execute(
        "SELECT kind, status, rows_read, rows_written, detail FROM crm_sync_runs"
    ).fetchall()
    assert run == [("evo", "success", 6, 6, run[0][4])]
    assert "2 without a usable phone" in run[0][4]


def test_syncing_twice_changes_nothing_and_updates_only_changed_members(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    _gym(evo)
    with client_for(evo, sleeps) as client:
        sync_members(local_url, crm_settings, client=client)
    before = _rows(local)
    with client_for(evo, sleeps) as client:
        again = sync_members(local_url, crm_settings, client=client)
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (0, 0, 6, 0)
    assert _rows(local) == before
    evo.members[0]["lastName"] = "Souza Prado"
    del evo.members[3]  # Davi left EVO
    with client_for(evo, sleeps) as client:
        third = sync_members(local_url, crm_settings, client=client)
    assert (third.inserted, third.updated, third.deleted) == (0, 1, 1)
    rows = _rows(local)
    assert rows["1"][0] == "Ana Souza Prado" and "4" not in rows


def test_a_failed_sync_writes_nothing_and_records_the_failure(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    _gym(evo)
    evo.token = "rotated-token"  # the client still sends the old one
    with client_for(evo, sleeps) as client:
        client._http.auth = __import__("httpx").BasicAuth(evo.dns, "old-token")
        with pytest.raises(EvoAuthError):
            sync_members(local_url, crm_settings, client=client)
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)
    status, error = local.execute("SELECT status, error_message FROM crm_sync_runs").fetchone()
    assert status == "failed" and "HTTP 401" in error and "old-token" not in error


def test_a_member_listed_twice_across_pages_is_stored_once(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = [member(1, "Ana", "S", cellphone="11987654321")] * 2 + [
        member(2, "Bia", "T", cellphone="11987650000")
    ]
    with client_for(evo, sleeps, page_size=2) as client:
        result = sync_members(local_url, crm_settings, client=client)
    assert result.inserted == 2
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (2,)


def test_member_mapping_reads_contacts_and_ignores_dotnet_empty_dates() -> None:
    record = member(
        9, " Gil ", "", phone="1132654321", email="gil@x.test", register="0001-01-01T00:00:00"
    )
    m = member_from_evo(record, {})
    assert m is not None
    assert (m.name, m.email, m.phone.kind, m.register_date) == (
        "Gil",
        "gil@x.test",
        "landline",
        None,
    )
    assert member_from_evo({"firstName": "sem id"}, {}) is None
