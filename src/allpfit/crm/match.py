"""The crossmatch: which leads that talked to the bot became customers (`allpfit crm match`).

A hash join on the phone match key (`phones.py`), not a scan:

1. Leads: every distinct `contact_phone` of the lead conversations (`is_lead`, migration 0042:
   the contact wrote, and Chatwoot still has it) with its FIRST lead conversation (earliest
   `conversation_created_at`), normalised to a key. A person who appears in Chatwoot
   with and without the ninth digit is one lead; their first conversation is the earlier one.
2. Customers: every crm_customers row, its phone re-normalised from `phone_raw` (so better
   rules apply without re-importing), grouped by key. Records of one person (same name once
   accents/case are ignored, or same e-mail: e.g. the same member from EVO and from a
   spreadsheet) collapse to the record with the earliest signup. A key still shared by
   different people is AMBIGUOUS: it is excluded from the table (a guess would inflate
   conversions) and listed in the report.
3. Customers whose phone has no DDD are matched to a lead with the same local number only when
   exactly one lead has it and no customer holds that key with a DDD ('local_number').
4. A match is a conversion when the lead's first conversation date is before the signup date
   (`crm_customers.signup_date`, defined once in SQL by migration 0042: conversion_date, else
   first sale, else registration), or on the same day when `crm_same_day_is_conversion` (CRM
   dates carry no time of day).

conversas_crm_match_real is rebuilt in one transaction (delete + COPY) with the run record; the
report (CSV + XLSX) is written to `DATA_DIR/reports` inside that transaction, before success is
recorded, so a report that cannot be written is a failed run that changed nothing.

Per tenant (`tenant`, default: the default tenant): its lock, a tenant session (row-level
security: only its leads, customers and matches are read, deleted and written).
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg

from allpfit import db
from allpfit.config import Settings
from allpfit.crm import store
from allpfit.crm.phones import Phone, normalise
from allpfit.crm.report import write_report
from allpfit.progress import Progress
from allpfit.tenants import Tenant

SCORES = {"exact": 1.0, "ninth_digit": 0.9, "local_number": 0.6}

LEADS_SQL = """
SELECT DISTINCT ON (contact_phone)
       contact_phone, conversation_id, conversation_created_at, conversation_date,
       count(*) OVER (PARTITION BY contact_phone) AS conversations
FROM conversas_analytics
WHERE is_lead AND contact_phone IS NOT NULL AND btrim(contact_phone) <> ''
ORDER BY contact_phone, conversation_created_at, conversation_id
"""

CUSTOMERS_SQL = """
SELECT id, source, external_id, name, email, coalesce(phone_raw, phone_normalized),
       phone_normalized, signup_date
FROM crm_customers
WHERE missing_in_source_at IS NULL
"""

MATCH_COLUMNS = (
    "conversation_id",
    "crm_customer_id",
    "contact_phone",
    "crm_customer_phone",
    "crm_customer_name",
    "match_type",
    "match_score",
    "conversation_date",
    "crm_signup_date",
    "days_to_conversion",
)


@dataclass
class Lead:
    key: str
    phone: Phone
    contact_phone: str
    conversation_id: int
    first_at: datetime
    conversation_date: date
    conversations: int


@dataclass(frozen=True)
class Customer:
    id: int
    source: str
    external_id: str
    name: str | None
    email: str | None
    phone: Phone
    phone_display: str | None
    signup: date | None

    def person(self) -> str:
        """What makes two records the same person: their name without accents or case."""
        if not self.name:
            return f"id:{self.id}"
        text = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return "name:" + " ".join(text.casefold().split())

    def rank(self) -> tuple[date, int, int]:
        return (self.signup or date.max, 0 if self.source == "evo" else 1, self.id)


@dataclass
class Match:
    lead: Lead
    customer: Customer
    match_type: str

    @property
    def score(self) -> float:
        return SCORES[self.match_type]

    @property
    def days(self) -> int:
        assert self.customer.signup is not None
        return (self.customer.signup - self.lead.conversation_date).days


@dataclass
class Ambiguous:
    lead: Lead
    customers: list[Customer]


@dataclass
class MatchSummary:
    run_id: int
    customers: int
    customers_with_phone: int
    conversations: int
    leads: int
    invalid_contact_phones: int
    matched_leads: int
    conversions: int
    by_type: dict[str, int]
    already_customers: int
    no_signup_date: int
    ambiguous: list[Ambiguous] = field(default_factory=list)
    report_csv: Path | None = None
    report_xlsx: Path | None = None
    seconds: float = 0.0


def load_leads(conn: psycopg.Connection) -> tuple[dict[str, Lead], int, int]:
    """Leads by key (first conversation across phone variants), conversations, bad phones."""
    leads: dict[str, Lead] = {}
    conversations = invalid = 0
    for phone_text, conv_id, first_at, conv_date, count in conn.execute(LEADS_SQL):
        conversations += count
        phone = normalise(phone_text)
        if phone.key is None or phone.kind == "local":
            invalid += 1
            continue
        lead = Lead(phone.key, phone, phone_text, conv_id, first_at, conv_date, count)
        known = leads.get(phone.key)
        if known is None:
            leads[phone.key] = lead
        else:
            total = known.conversations + count
            if (lead.first_at, lead.conversation_id) < (known.first_at, known.conversation_id):
                leads[phone.key] = lead
            leads[phone.key].conversations = total
    return leads, conversations, invalid


def load_customers(conn: psycopg.Connection) -> list[Customer]:
    customers = []
    for cid, source, ext, name, email, raw, e164, signup in conn.execute(CUSTOMERS_SQL):
        phone = normalise(raw)
        display = e164 or phone.e164 or raw
        customers.append(Customer(cid, source, ext, name, email, phone, display, signup))
    return customers


def _people(customers: list[Customer]) -> list[list[Customer]]:
    """Group records of one person: same normalised name, or same e-mail (union of both)."""
    parent = list(range(len(customers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, c in enumerate(customers):
        marks = [c.person()] + ([f"email:{c.email.strip().casefold()}"] if c.email else [])
        for mark in marks:
            if mark in seen:
                parent[root(i)] = root(seen[mark])
            else:
                seen[mark] = i
    groups: dict[int, list[Customer]] = {}
    for i, c in enumerate(customers):
        groups.setdefault(root(i), []).append(c)
    return list(groups.values())


def crossmatch(
    leads: dict[str, Lead], customers: list[Customer]
) -> tuple[list[Match], list[Ambiguous]]:
    """Join leads and customers on the phone key; return matches and ambiguous phones."""
    by_key: dict[str, list[Customer]] = {}
    local: dict[str, list[Customer]] = {}
    for c in customers:
        if c.phone.key is None:
            continue
        target = local if c.phone.kind == "local" else by_key
        target.setdefault(c.phone.key, []).append(c)
    via_local: set[str] = set()
    if local:
        lead_local: dict[str, list[str]] = {}
        for key, each in leads.items():
            if each.phone.local_key is not None:
                lead_local.setdefault(each.phone.local_key, []).append(key)
        for local_key, group in local.items():
            candidates = lead_local.get(local_key, [])
            if len(candidates) == 1 and candidates[0] not in by_key:
                by_key[candidates[0]] = group
                via_local.add(candidates[0])
    matches: list[Match] = []
    ambiguous: list[Ambiguous] = []
    for key, group in by_key.items():
        lead = leads.get(key)
        if lead is None:
            continue
        people = _people(group)
        if len(people) > 1:
            ambiguous.append(Ambiguous(lead, sorted(group, key=Customer.rank)))
            continue
        customer = min(group, key=Customer.rank)
        if key in via_local:
            kind = "local_number"
        elif customer.phone.has_ninth_digit != lead.phone.has_ninth_digit:
            kind = "ninth_digit"
        else:
            kind = "exact"
        matches.append(Match(lead, customer, kind))
    return matches, ambiguous


def is_conversion(match: Match, *, same_day: bool) -> bool:
    signup = match.customer.signup
    if signup is None:
        return False
    first = match.lead.conversation_date
    return first < signup or (same_day and first == signup)


def _row(m: Match) -> tuple[Any, ...]:
    return (
        m.lead.conversation_id,
        m.customer.id,
        m.lead.contact_phone,
        m.customer.phone_display,
        m.customer.name,
        m.match_type,
        m.score,
        m.lead.conversation_date,
        m.customer.signup,
        m.days,
    )


def run_match(
    local_url: str,
    settings: Settings,
    *,
    progress: Progress | None = None,
    tenant: Tenant | None = None,
) -> MatchSummary:
    """Rebuild `tenant`'s conversas_crm_match_real (default: the default tenant's) from its
    conversations and customers; write the report."""
    started = time.perf_counter()
    tenant = db.resolve_tenant(local_url, tenant)
    tenant_id = tenant.id
    with (
        store.locked_run(local_url, "match", tenant_id) as (_, run_id),
        db.tenant_transaction(local_url, tenant_id) as conn,
    ):
        if progress is not None:
            progress("leads", 0, None)
        leads, conversations, invalid = load_leads(conn)
        if progress is not None:
            progress("customers", 0, None)
        customers = load_customers(conn)
        matches, ambiguous = crossmatch(leads, customers)
        same_day = settings.crm_same_day_is_conversion
        converted = [m for m in matches if is_conversion(m, same_day=same_day)]
        no_signup = sum(1 for m in matches if m.customer.signup is None)
        if progress is not None:
            progress("write", 0, len(converted))
        # Matches of conversations deleted in Chatwoot, or of customers missing from the CRM's
        # latest listing, are kept as they were: marked source rows never take imported work
        # with them (the dashboard's `lead_sales` view leaves the deleted ones out).
        conn.execute(
            """DELETE FROM conversas_crm_match_real m
               USING conversas_analytics ca, crm_customers c
               WHERE ca.tenant_id = m.tenant_id AND ca.conversation_id = m.conversation_id
                 AND c.tenant_id = m.tenant_id AND c.id = m.crm_customer_id
                 AND ca.deleted_in_source_at IS NULL AND c.missing_in_source_at IS NULL"""
        )
        # COPY cannot write into a table under row-level security: stage, then INSERT.
        columns = ", ".join(MATCH_COLUMNS)
        conn.execute(
            f"""CREATE TEMP TABLE match_staging ON COMMIT DROP AS
                SELECT {columns} FROM conversas_crm_match_real WITH NO DATA"""
        )
        with conn.cursor().copy(f"COPY match_staging ({columns}) FROM STDIN") as copy:
            for m in converted:
                copy.write_row(_row(m))
        conn.execute(
            f"INSERT INTO conversas_crm_match_real ({columns}) SELECT {columns} FROM match_staging"
        )
        by_type = Counter(m.match_type for m in converted)
        summary = MatchSummary(
            run_id=run_id,
            customers=len(customers),
            customers_with_phone=sum(1 for c in customers if c.phone.ok),
            conversations=conversations,
            leads=len(leads),
            invalid_contact_phones=invalid,
            matched_leads=len(matches),
            conversions=len(converted),
            by_type={t: by_type.get(t, 0) for t in SCORES},
            already_customers=len(matches) - len(converted) - no_signup,
            no_signup_date=no_signup,
            ambiguous=ambiguous,
        )
        # The report before the success record: a report that cannot be written (full disk,
        # unwritable DATA_DIR) fails the run and rolls the table back, never "success, no file".
        summary.report_csv, summary.report_xlsx = write_report(
            settings.report_dir, summary, converted, ambiguous, tenant.slug
        )
        store.finish_success(
            conn,
            run_id,
            rows_read=len(leads),
            rows_written=len(converted),
            rows_rejected=len(ambiguous),
            detail=f"{len(customers)} customers, {len(leads)} lead phones, "
            f"{len(matches)} matched, {len(converted)} conversions "
            f"({', '.join(f'{t} {n}' for t, n in summary.by_type.items())}), "
            f"{len(ambiguous)} ambiguous",
        )
        if progress is not None:
            progress("write", len(converted), len(converted))
    summary.seconds = time.perf_counter() - started
    return summary
