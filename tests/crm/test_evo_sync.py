"""`sync_members`: EVO members and sales into crm_customers, through the real client."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.crm.evo import member_from_evo, sync_members
from allpfit.crm.evo_client import EvoAuthError, EvoUnavailableError
from allpfit.crm.match import run_match
from allpfit.errors import MassRemovalRefused
from tests.crm.conftest import Sleeps, client_for
from tests.fakes.evo_server import FakeEvo, member, sale

MARKED = "SELECT external_id FROM crm_customers WHERE missing_in_source_at IS NOT NULL"


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
    assert (again.inserted, again.updated, again.unchanged, again.marked_missing) == (0, 0, 6, 0)
    assert _rows(local) == before
    evo.members[0]["lastName"] = "Souza Prado"
    del evo.members[3]  # Davi left EVO: 1 of 6, under a 20 % limit
    settings = crm_settings.model_copy(update={"sync_max_deleted_fraction": 0.2})
    with client_for(evo, sleeps) as client:
        third = sync_members(local_url, settings, client=client)
    assert (third.inserted, third.updated, third.marked_missing) == (0, 1, 1)
    rows = _rows(local)
    assert rows["1"][0] == "Ana Souza Prado" and "4" in rows  # marked, never deleted
    assert local.execute(MARKED).fetchall() == [("4",)]


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


def _many(n: int) -> list[dict[str, object]]:
    return [member(i, f"Aluno{i}", "Teste", cellphone=f"119876{i:05d}") for i in range(1, n + 1)]


def test_a_short_listing_is_refused_and_with_the_override_marks_never_deletes(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = _many(120)
    with client_for(evo, sleeps) as client:
        assert sync_members(local_url, crm_settings, client=client).inserted == 120
    evo.members = evo.members[:6]  # a truncated answer: 114 of 120 missing
    with client_for(evo, sleeps) as client, pytest.raises(MassRemovalRefused) as err:
        sync_members(local_url, crm_settings, client=client)
    assert "would remove 114 of 120 EVO customers" in err.value.message
    assert err.value.exit_code == 8 and "--allow-mass-delete" in (err.value.hint or "")
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (120,)
    assert local.execute(MARKED).fetchall() == []  # nothing marked
    last = local.execute("SELECT status FROM crm_sync_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("refused",)

    with client_for(evo, sleeps) as client:
        allowed = sync_members(local_url, crm_settings, client=client, allow_mass_delete=True)
    assert allowed.marked_missing == 114
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (120,)  # none gone
    assert len(local.execute(MARKED).fetchall()) == 114

    evo.members = _many(120)  # the listing is whole again: the marks are cleared
    with client_for(evo, sleeps) as client:
        back = sync_members(local_url, crm_settings, client=client)
    assert (back.returned, back.marked_missing) == (114, 0)
    assert local.execute(MARKED).fetchall() == []


def test_an_empty_listing_marks_nothing_without_the_override(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = _many(3)
    with client_for(evo, sleeps) as client:
        sync_members(local_url, crm_settings, client=client)
    evo.members = []
    with client_for(evo, sleeps) as client, pytest.raises(MassRemovalRefused):
        sync_members(local_url, crm_settings, client=client)
    assert local.execute(MARKED).fetchall() == []


def test_marked_customers_are_left_out_of_the_match(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = _many(4)
    with client_for(evo, sleeps) as client:
        sync_members(local_url, crm_settings, client=client)
    evo.members = evo.members[:2]
    with client_for(evo, sleeps) as client:
        sync_members(local_url, crm_settings, client=client, allow_mass_delete=True)
    assert run_match(local_url, crm_settings).customers == 2


def test_a_nul_byte_in_an_evo_field_does_not_abort_the_sync(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = [
        member(1, "Ana\u0000", "Souza", cellphone="11987654321", email="ana\u0000@x.test"),
        member(2, "Bia", "Lima", cellphone="11987650000", status="Act\u0000ive"),
    ]
    evo.sales = [sale(10, 1, "2026-02-03T11:00:00\u0000")]
    with client_for(evo, sleeps) as client:
        result = sync_members(local_url, crm_settings, client=client)
    assert result.inserted == 2
    rows = _rows(local)
    assert rows["1"][:2] == ("Ana Souza", "ana@x.test") and rows["1"][6] == date(2026, 2, 3)
    assert rows["2"][7] == "Active"


def test_a_sync_past_its_deadline_writes_nothing_and_records_the_failure(
    evo: FakeEvo, sleeps: Sleeps, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    evo.members = _many(2)
    evo.trickle = 0.02  # ~15 s per answer; the whole sync may take 1 s
    with (
        client_for(evo, sleeps, timeout=5.0, sync_timeout=1.0) as client,
        pytest.raises(EvoUnavailableError, match="EVO_SYNC_TIMEOUT_SECONDS"),
    ):
        sync_members(local_url, crm_settings, client=client)
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)
    status, error = local.execute("SELECT status, error_message FROM crm_sync_runs").fetchone()
    assert status == "failed" and "EVO_SYNC_TIMEOUT_SECONDS" in error


def test_crm_sync_cli_refuses_with_exit_8_then_allows_with_the_flag(
    evo: FakeEvo,
    local_url: str,
    local: psycopg.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": local_url,
        "DATA_DIR": str(tmp_path / "data"),
        "EVO_BASE_URL": evo.url,
        "EVO_DNS": evo.dns,
        "EVO_API_TOKEN": evo.token,
        "EVO_REQUESTS_PER_MINUTE": "6000",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    evo.members = _many(20)
    assert runner.invoke(app, ["crm", "sync"]).exit_code == 0
    evo.members = evo.members[:5]
    refused = runner.invoke(app, ["crm", "sync"])
    assert refused.exit_code == 8, refused.output
    assert "would remove 15 of 20 EVO customers" in refused.output
    assert "--allow-mass-delete" in refused.output and "Traceback" not in refused.output
    assert local.execute(MARKED).fetchall() == []
    allowed = runner.invoke(app, ["crm", "sync", "--allow-mass-delete"])
    assert allowed.exit_code == 0, allowed.output
    assert "marked missing (gone from EVO)" in allowed.output
    assert len(local.execute(MARKED).fetchall()) == 15
