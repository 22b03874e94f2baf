"""The dashboard's export downloads: `allpfit.reports.export` behind a download button.

The file is made only when someone clicks (Streamlit 1.67's deferred `download_button`: `data`
is a callable run on the click, not on every rerun of the page), by the same functions as
`allpfit export`, so a download and the command give the same file.

Memory: rows stream from a server-side cursor into a temporary file that spills to disk past
`SPOOL_BYTES`, so no row set or DataFrame is ever built. The finished file is then handed to
Streamlit as bytes: its media storage keeps every download in memory, whatever it is given
(a file object is read whole as well), so the file's size is the one cost left, bounded by the
period (at most `export.MAX_RANGE_DAYS` days).

Who may export: the role's rule (`access.require_export`, checked here even though the page
draws no button for other roles), a viewer's file is always masked, and each download is
written to the audit log (who, what, which period, how many rows).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from datetime import date

import streamlit as st

from allpfit.dashboard import data, texts
from allpfit.dashboard.access import require_export
from allpfit.dashboard.queries import LeadFilters
from allpfit.reports import export
from allpfit.reports.export import ExportRequest
from allpfit.users import User, audit, can_export, masks_phones

SPOOL_BYTES = 8 * 1024 * 1024  # past this the file being written moves to disk
MIMES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_KINDS = {"conversations": "conversas", "leads": "leads", "agents": "agentes"}


def export_bytes(
    url: str, user: User, tenant_id: int, request: ExportRequest, *, address: str | None = None
) -> bytes:
    """The export as the bytes of its file, after the role check; audited."""
    require_export(user, tenant_id)
    if masks_phones(user):
        request = dataclasses.replace(request, mask_phones=True)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with data.connect(url, tenant_id, autocommit=False) as conn:
            result = export.write_stream(conn, request, spool)
        with data.connect_owner(url) as conn:
            audit(
                conn,
                user.label or user.via,
                f"export.{request.kind}",
                f"{request.start.isoformat()}..{request.end.isoformat()} {request.fmt}, "
                f"{result.rows} rows, phones " + ("masked" if request.mask_phones else "shown"),
                tenant_id,
                address=address,
            )
        spool.seek(0)
        return spool.read()


def file_name(kind: str, start: date, end: date, fmt: str) -> str:
    return texts.EXPORT_FILE.format(
        kind=FILE_KINDS[kind], start=start.isoformat(), end=end.isoformat(), fmt=fmt
    )


def button(
    label: str,
    *,
    url: str,
    user: User,
    tenant_id: int,
    request: ExportRequest,
    key: str,
) -> None:
    """A download button whose file is made on the click (nothing for a role that may not
    export: `export_bytes` would refuse it anyway)."""
    if not can_export(user):
        return
    from allpfit.dashboard.login import client_address  # login imports the sidebar

    address = client_address()
    make: Callable[[], bytes] = lambda: export_bytes(  # noqa: E731
        url, user, tenant_id, request, address=address
    )
    st.download_button(
        label,
        data=make,
        file_name=file_name(request.kind, request.start, request.end, request.fmt),
        mime=MIMES[request.fmt],
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


def lead_buttons(
    *, url: str, user: User, tenant_id: int, tz: str, mask_phones: bool, filters: LeadFilters
) -> None:
    """The lead table's full downloads (every profile field and the CRM sale), CSV and
    Excel, for the rows its filters show."""
    if not can_export(user):
        return
    for column, fmt in zip(st.columns(2), export.FORMATS, strict=True):
        with column:
            button(
                texts.DOWNLOAD_FULL.format(fmt=texts.EXPORT_FORMATS[fmt]),
                url=url,
                user=user,
                tenant_id=tenant_id,
                request=ExportRequest(
                    "leads",
                    filters.start,
                    filters.end,
                    fmt=fmt,
                    tz=tz,
                    mask_phones=mask_phones,
                    filters=filters,
                ),
                key=f"download_leads_{fmt}",
            )
