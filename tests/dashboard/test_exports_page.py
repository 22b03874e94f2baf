"""The dashboard's exports (page "Exportar", the lead table's full downloads): the files of
`allpfit export`, for the logged-in user's tenant only, refused to roles that may not export,
and written to the audit log. AppTest with real users and PostgreSQL with row-level security.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import psycopg
import pytest
from openpyxl import load_workbook

from allpfit.dashboard import access, downloads, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.reports.export import ExportRequest
from allpfit.tenants import DEFAULT_TENANT_ID
from allpfit.users import Role
from tests.dashboard.builder import Expected
from tests.dashboard.test_app import app_env, today  # noqa: F401
from tests.dashboard.test_tenants_app import (  # noqa: F401
    STUDIO_ID,
    add_user,
    logged_in,
    studio_leaks,
    two_tenants,
)

PAGE = "app_pages/exportar.py"


def labels(at: object) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]  # type: ignore[attr-defined]


def test_a_manager_exports_every_kind_of_their_tenant_only(
    two_tenants: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    manager = add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", PAGE)
    assert not at.error and at.title[0].value == texts.EXPORT_TITLE
    assert labels(at) == [texts.EXPORT_BUTTON.format(kind="Conversas", fmt="CSV")]
    at.radio(key="exp_kind").set_value("leads").run()
    at.radio(key="exp_fmt").set_value("xlsx").run()
    assert labels(at) == [texts.EXPORT_BUTTON.format(kind="Leads", fmt="Excel (.xlsx)")]
    assert texts.EXPORT_KIND_HELP["leads"] in [c.value for c in at.caption]

    view = at.session_state["_allpfit_view"]
    start, end = today() - timedelta(days=29), today()
    for kind in ("conversations", "leads"):
        request = ExportRequest(kind, start, end, fmt="xlsx", tz=view.tz)
        book = load_workbook(
            io.BytesIO(downloads.export_bytes(view.url, manager, DEFAULT_TENANT_ID, request))
        )
        values = [str(c.value) for row in book.active.iter_rows() for c in row]
        assert "Ana Souza" in values and not studio_leaks("\n".join(values))
    request = ExportRequest("conversations", start, end, tz=view.tz)
    text = downloads.export_bytes(view.url, manager, DEFAULT_TENANT_ID, request).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["conversation_id", "display_id"] and len(rows) > 1
    with pytest.raises(access.AccessDenied):  # another tenant's data is refused
        downloads.export_bytes(view.url, manager, STUDIO_ID, request)
    actions = local.execute(
        "SELECT actor, action, tenant_id FROM audit_log WHERE action LIKE 'export.%' ORDER BY id"
    ).fetchall()
    assert actions == [
        ("gerente@academia.com", "export.conversations", 1),
        ("gerente@academia.com", "export.leads", 1),
        ("gerente@academia.com", "export.conversations", 1),
    ]


def test_a_viewer_gets_no_export(
    two_tenants: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    viewer = add_user(local, "vendas@academia.com", Role.viewer, DEFAULT_TENANT_ID)
    at = logged_in("vendas@academia.com", PAGE)
    assert [i.value for i in at.info] == [texts.EXPORT_REFUSED]
    assert not at.get("download_button")
    view = at.session_state["_allpfit_view"]
    request = ExportRequest("leads", today() - timedelta(days=29), today(), tz=view.tz)
    with pytest.raises(access.AccessDenied):
        downloads.export_bytes(view.url, viewer, DEFAULT_TENANT_ID, request)
    assert not local.execute("SELECT 1 FROM audit_log WHERE action LIKE 'export.%'").fetchall()


def test_the_lead_table_offers_the_full_export_of_its_filters(
    two_tenants: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    manager = add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", "app_pages/leads.py")
    full = [texts.DOWNLOAD_FULL.format(fmt=texts.EXPORT_FORMATS[f]) for f in ("csv", "xlsx")]
    assert [label for label in labels(at) if label in full] == full
    view = at.session_state["_allpfit_view"]
    start, end = today() - timedelta(days=29), today()  # the sidebar's default period
    filters = LeadFilters(start=start, end=end, name="Ana")
    request = ExportRequest("leads", start, end, fmt="xlsx", tz=view.tz, filters=filters)
    book = load_workbook(
        io.BytesIO(downloads.export_bytes(view.url, manager, DEFAULT_TENANT_ID, request))
    )
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    names = {dict(zip(rows[0], r, strict=True))["contact_name"] for r in rows[1:]}
    assert names == {"Ana Souza"}
