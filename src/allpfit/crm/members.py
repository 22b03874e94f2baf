"""The customer record both CRM sources produce, and the seam they share.

`evo.EvoMemberSource` (the EVO API) and `excel.ExcelMemberSource` (an exported spreadsheet)
implement `MemberSource`, so storing, matching and the tests treat them alike: the same
`Member` fields, filled the same way, whatever the source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from allpfit.crm.phones import Phone
from allpfit.progress import Progress

Source = Literal["evo", "excel"]


@dataclass(frozen=True)
class Member:
    """One CRM customer as stored in crm_customers.

    Its signup date is not computed here: it is `crm_customers.signup_date`, defined once in SQL
    (migration 0042) and read by the match and the dashboard alike.
    """

    source: Source
    external_id: str
    name: str | None
    email: str | None
    phone: Phone
    register_date: date | None = None
    conversion_date: date | None = None
    sale_date: date | None = None
    status: str | None = None


@dataclass(frozen=True)
class Reject:
    """A record that could not be used, with where it was and why."""

    row: int
    reason: str
    values: dict[str, str]


class MemberSource(Protocol):
    """Anything that yields CRM customers; `rejects` lists what it refused, never silently."""

    source: Source
    rejects: list[Reject]

    def members(self, progress: Progress | None = None) -> Iterator[Member]: ...
