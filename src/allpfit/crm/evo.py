"""EVO members as `Member` records, and `sync_members`: the whole of `allpfit crm sync`.

A member's phone comes from `contacts[]`: entries with contactType Cellphone (tried first, the
WhatsApp number) or Phone, the number in `description` and the country code in `ddi`. The
first sale date is the earliest non-removed sale of `/api/v2/sales` for that member.

The sync reads everything from the API first and writes in one transaction afterwards, so a
failure halfway through the pages (an error, the page cap, the sync deadline) changes nothing.
The API lists every member, so members absent from the listing are MARKED
(`crm_customers.missing_in_source_at`), never deleted, and unmarked when they come back; a
listing that would mark more than SYNC_MAX_DELETED_FRACTION of them (a short or truncated
answer) is refused with MassRemovalRefused unless `allow_mass_delete`. Members without a usable
phone are kept (they are customers) and counted: they cannot match.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from allpfit import db
from allpfit.config import Settings
from allpfit.crm import store
from allpfit.crm.evo_client import EvoClient
from allpfit.crm.members import Member, Reject
from allpfit.crm.phones import pick
from allpfit.progress import Progress
from allpfit.tenants import Tenant

MOBILE_TYPES = {"cellphone", "celular", "mobile", "whatsapp"}
PHONE_TYPES = {"phone", "telefone", "telephone", "fone"}
EMAIL_TYPES = {"e-mail", "email"}


def evo_date(value: object) -> date | None:
    """The date part of an EVO timestamp (`2024-03-15T10:22:31`); .NET's year 1 = none."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return parsed if parsed.year >= 1900 else None


def _phone_text(contact: dict[str, Any]) -> str | None:
    number = str(contact.get("description") or "").strip()
    if not number:
        return None
    ddi = "".join(ch for ch in str(contact.get("ddi") or "") if ch.isdigit())
    if ddi and ddi != "55" and not number.startswith("+"):
        return f"+{ddi} {number}"
    return number


def member_from_evo(record: dict[str, Any], first_sales: dict[str, date]) -> Member | None:
    """Map one `/api/v2/members` record; None when it has no member id."""
    member_id = record.get("idMember")
    if member_id is None or str(member_id).strip() == "":
        return None
    external_id = str(member_id).strip()
    contacts = [c for c in record.get("contacts") or [] if isinstance(c, dict)]
    kinds = [(str(c.get("contactType") or "").strip().lower(), c) for c in contacts]
    mobiles = [_phone_text(c) for kind, c in kinds if kind in MOBILE_TYPES]
    phones = [_phone_text(c) for kind, c in kinds if kind in PHONE_TYPES]
    emails = [str(c.get("description") or "").strip() for kind, c in kinds if kind in EMAIL_TYPES]
    name = " ".join(
        part.strip()
        for part in (str(record.get("firstName") or ""), str(record.get("lastName") or ""))
        if part.strip()
    )
    email = next((e for e in emails if e), None) or (str(record.get("email") or "").strip())
    status = record.get("membershipStatus") or record.get("status")
    return Member(
        source="evo",
        external_id=external_id,
        name=name or None,
        email=email or None,
        phone=pick([*mobiles, *phones]),
        register_date=evo_date(record.get("registerDate")),
        conversion_date=evo_date(record.get("conversionDate")),
        sale_date=first_sales.get(external_id),
        status=str(status) if status not in (None, "") else None,
    )


class EvoMemberSource:
    """`MemberSource` over the EVO API."""

    source = "evo"

    def __init__(self, client: EvoClient) -> None:
        self.client = client
        self.rejects: list[Reject] = []
        self.sales_read = 0
        self.read = 0

    def first_sales(self, progress: Progress | None = None) -> dict[str, date]:
        """Earliest non-removed sale date per member id."""
        first: dict[str, date] = {}
        for sale in self.client.sales(progress):
            self.sales_read += 1
            member_id, when = sale.get("idMember"), evo_date(sale.get("saleDate"))
            if member_id is None or when is None or sale.get("removed") is True:
                continue
            key = str(member_id)
            if key not in first or when < first[key]:
                first[key] = when
        return first

    def members(self, progress: Progress | None = None) -> Iterator[Member]:
        sales = self.first_sales(progress)
        for number, record in enumerate(self.client.members(progress), start=1):
            self.read = number
            member = member_from_evo(record, sales)
            if member is None:
                self.rejects.append(Reject(number, "member without idMember", _values(record)))
                continue
            yield member


def _values(record: dict[str, Any]) -> dict[str, str]:
    return {k: str(record.get(k) or "") for k in ("idMember", "firstName", "lastName")}


@dataclass
class EvoSyncSummary:
    run_id: int
    members_read: int
    inserted: int
    updated: int
    unchanged: int
    marked_missing: int
    without_phone: int
    rejected: list[Reject] = field(default_factory=list)
    sales_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    returned: int = 0  # members marked missing earlier and listed again


def sync_members(
    local_url: str,
    settings: Settings,
    *,
    progress: Progress | None = None,
    client: EvoClient | None = None,
    allow_mass_delete: bool = False,
    tenant: Tenant | None = None,
) -> EvoSyncSummary:
    """Read every EVO member (and sale) and bring `tenant`'s evo rows of crm_customers
    (default: the default tenant's) up to date.

    Raises MassRemovalRefused (nothing written) when the listing lacks more than
    SYNC_MAX_DELETED_FRACTION of the stored EVO customers, unless `allow_mass_delete`."""
    started = time.perf_counter()
    tenant_id = db.resolve_tenant(local_url, tenant).id
    own_client = client is None
    evo = client or EvoClient.from_settings(settings)
    try:
        with store.locked_run(local_url, "evo", tenant_id) as (_, run_id):
            source = EvoMemberSource(evo)
            unique = {m.external_id: m for m in source.members(progress)}
            members = list(unique.values())
            without_phone = sum(1 for m in members if not m.phone.ok)
            if progress is not None:
                progress("store", 0, len(members))
            with db.tenant_transaction(local_url, tenant_id) as conn:
                marked, returned = store.mark_missing(
                    conn,
                    "evo",
                    {m.external_id for m in members},
                    max_fraction=settings.sync_max_deleted_fraction,
                    allow=allow_mass_delete,
                    what="EVO customers",
                )
                inserted, updated = store.upsert_members(conn, members)
                summary = EvoSyncSummary(
                    run_id=run_id,
                    members_read=source.read,
                    inserted=inserted,
                    updated=updated,
                    unchanged=len(members) - inserted - updated,
                    marked_missing=marked,
                    without_phone=without_phone,
                    rejected=source.rejects,
                    sales_read=source.sales_read,
                    requests=evo.requests_made,
                    returned=returned,
                )
                store.finish_success(
                    conn,
                    run_id,
                    rows_read=summary.members_read,
                    rows_written=inserted + updated,
                    rows_rejected=len(source.rejects),
                    detail=f"{len(members)} members ({without_phone} without a usable "
                    f"phone), {source.sales_read} sales, {marked} marked missing, {returned} back, "
                    f"{evo.requests_made} requests",
                )
            if progress is not None:
                progress("store", len(members), len(members))
    finally:
        if own_client:
            evo.close()
    summary.seconds = time.perf_counter() - started
    return summary
