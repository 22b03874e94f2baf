"""Exports: one tenant's conversations, leads or agent figures for a period, as CSV or XLSX.

One function per question a manager asks a spreadsheet, used by `allpfit export` and by the
dashboard's downloads alike, so a file is the same whoever made it:

- `conversations`: one row per conversation started in the period (`conversation_date`, the
  business day, as every dashboard figure), every column of `conversas_analytics`, then the AI
  profile (every field of `conversas_analytics_ai`) and the contact's CRM sale, when any;
- `leads`: the lead table's rows (the dashboard's `lead_where`: its filters and order), with
  the columns the sales team acts on, every profile field and the CRM sale;
- `agents`: one row per agent with Chatwoot's core report figures
  (`allpfit.reports.metrics.dimension_metrics`, the one definition the report pages use).

How the values are written (docs/exports.md):

- times are in the tenant's business time zone, without an offset (spreadsheets have none):
  date-time cells in XLSX, `2026-06-10 10:00:00` in CSV;
- `message_compiled` (JSON) is written as the readable conversation ("Lead: ... / Bot: ..."),
  the text the lead table shows, under the header `conversation`; other JSON columns as
  compact JSON text, arrays (labels) as `a, b`;
- with `mask_phones`, phones and phone-like names and ids are masked as the dashboard masks
  them ("+55 11 •••••-7336");
- CSV numbers with a decimal comma (the file is `;`-separated for Excel in Portuguese, which
  would read `1234.5` as 12345), booleans `true`/`false`; every text cell formula-safe
  (`allpfit.spreadsheet`).

Rows are read through a tenant session (`db.tenant_connection`, role reader: row-level
security shows this tenant's rows only) by a server-side cursor, `batch_size` rows at a time,
and written as they come: an export never holds more than one batch, whatever the period.
The period is bounded like the dashboard's (`queries.MAX_RANGE_DAYS`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from allpfit import db
from allpfit.dashboard import queries, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.errors import InputError
from allpfit.progress import Progress
from allpfit.reports import metrics
from allpfit.spreadsheet import (
    report_stem,
    stream_csv,
    stream_xlsx,
    write_csv,
    write_xlsx,
)

KINDS = ("conversations", "leads", "agents")
FORMATS = ("csv", "xlsx")
BATCH_ROWS = 1000  # rows per fetch from the server-side cursor (a round trip per batch)
CURSOR = "allpfit_export"
MAX_RANGE_DAYS = queries.MAX_RANGE_DAYS  # the dashboard's bound: a year, leap years included
SHEETS = {"conversations": "Conversas", "leads": "Leads", "agents": "Agentes"}
DATETIME_FORMAT = "DD/MM/YYYY HH:MM:SS"
DATE_FORMAT = "DD/MM/YYYY"
XLSX_FORMATS: dict[type, str] = {datetime: DATETIME_FORMAT, date: DATE_FORMAT}

# Columns of the tables an export leaves out, with the reason (a test checks that every other
# column is exported, so a column a migration adds is exported without touching this file).
LEFT_OUT = {
    "conversas_analytics": {
        "tenant_id": "one tenant per file; its slug is in the file name",
        "message_compiled": "written as the readable `conversation` text instead of JSON",
        "report_events": "the report pages' per-event detail, summarised by the *_seconds columns",
        "report_messages": "the report pages' per-day message counts",
    },
    "conversas_analytics_ai": {
        "tenant_id": "one tenant per file",
        "conversation_id": "the conversation's own column",
        "content_hash": "internal: tells the analysis that a transcript changed",
    },
}
# The lead export: the conversation columns the sales team acts on (then every profile field).
LEAD_COLUMNS = (
    "conversation_id",
    "display_id",
    "inbox_name",
    "contact_name",
    "contact_phone",
    "contact_email",
    "status",
    "assignee_name",
    "team_name",
    "labels",
    "conversation_created_at",
    "first_contact_message_at",
    "last_message_at",
    "last_activity_at",
    "message_compiled",
)
# The contact's traffic sale (view lead_sales, migration 0042: the one definition of a sale),
# its earliest when a contact bought more than once.
CRM_COLUMNS = (
    "crm_customer_name",
    "crm_customer_phone",
    "crm_source",
    "crm_status",
    "crm_signup_date",
    "crm_days_to_conversion",
    "crm_match_type",
    "crm_match_score",
)
_SALES = sql.SQL("""
    sales AS (
        SELECT DISTINCT ON (ls.contact_id)
               ls.contact_id, c.name AS crm_customer_name, m.crm_customer_phone,
               c.source AS crm_source, c.status AS crm_status,
               ls.signup_date AS crm_signup_date,
               ls.days_to_conversion AS crm_days_to_conversion,
               m.match_type AS crm_match_type, m.match_score AS crm_match_score
        FROM lead_sales ls
        JOIN crm_customers c ON c.id = ls.crm_customer_id
        JOIN conversas_crm_match_real m
          ON m.conversation_id = ls.conversation_id AND m.crm_customer_id = ls.crm_customer_id
        ORDER BY ls.contact_id, ls.signup_date, ls.crm_customer_id
    )""")
# Columns whose values are personal data masked like the dashboard's phones.
PHONES = frozenset({"contact_phone", "crm_customer_phone"})
PHONE_LIKE = frozenset(
    {"contact_name", "nome_mapeado_bot", "crm_customer_name", "contact_source_id",
     "contact_identifier"}
)  # fmt: skip
CONVERSATION = "conversation"  # the header of message_compiled, written as text


@dataclass(frozen=True)
class ExportRequest:
    """What to export. `filters` narrow a lead export like the lead table's (its period is
    `start`..`end` whatever `filters` say)."""

    kind: str
    start: date
    end: date
    fmt: str = "csv"
    tz: str = "America/Sao_Paulo"
    mask_phones: bool = False
    filters: LeadFilters | None = None
    business_hours: bool = False  # agents: durations counted in business hours

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"Unknown export {self.kind!r}.", hint=f"Use one of {KINDS}.")
        if self.fmt not in FORMATS:
            raise InputError(
                f"Unknown export format {self.fmt!r}.", hint="Use --format csv or --format xlsx."
            )
        check_period(self.start, self.end)
        try:
            ZoneInfo(self.tz)
        except (ValueError, KeyError) as exc:
            raise InputError(
                f"Unknown time zone {self.tz!r}.",
                hint="Set the tenant's time zone (an IANA name such as America/Sao_Paulo).",
            ) from exc


@dataclass
class ExportResult:
    """A finished export: where it went (None for a stream), rows and columns written."""

    path: Path | None
    rows: int
    headers: list[str] = field(default_factory=list)


def parse_day(text: str, option: str) -> date:
    """A `YYYY-MM-DD` option value, or an InputError naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date.",
            hint=f"Write it as YYYY-MM-DD, e.g. {option} 2026-06-01.",
        ) from None


def check_period(start: date, end: date) -> None:
    """Refuse a reversed period or one longer than the dashboard's bound."""
    if start > end:
        raise InputError(
            f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}).",
            hint="Swap --from and --to.",
        )
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS or start < queries.EARLIEST_DAY:
        raise InputError(
            f"The period {start.isoformat()}..{end.isoformat()} covers {days} days: an export "
            f"covers at most {MAX_RANGE_DAYS} days, from {queries.EARLIEST_DAY.isoformat()} on.",
            hint="Export a longer time one period at a time (e.g. one file per year).",
        )


def default_path(report_dir: Path, request: ExportRequest, tenant_slug: str) -> Path:
    """`report_dir/export_{kind}_{tenant}_{YYYYmmdd_HHMMSS}.{fmt}`, never an existing file."""
    suffix = "." + request.fmt
    return report_stem(report_dir, f"export_{request.kind}", tenant_slug, suffix).with_suffix(
        suffix
    )


# --- Columns and rows -----------------------------------------------------------------------


def _table_columns(conn: psycopg.Connection, table: str) -> list[str]:
    """The table's columns in their order, minus LEFT_OUT (message_compiled is kept: it
    becomes the conversation text)."""
    rows = conn.execute(
        """SELECT a.attname FROM pg_attribute a
           WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attnum""",
        (table,),
    ).fetchall()
    skipped = set(LEFT_OUT[table]) - {"message_compiled"}
    return [r[0] for r in rows if r[0] not in skipped]


def _select(conn: psycopg.Connection, kind: str) -> tuple[sql.Composable, list[str]]:
    """The select list of a conversation or lead export and its headers."""
    if kind == "conversations":
        own = _table_columns(conn, "conversas_analytics")
    else:
        own = list(LEAD_COLUMNS)
    profile = _table_columns(conn, "conversas_analytics_ai")
    parts = [sql.SQL("ca.{}").format(sql.Identifier(c)) for c in own]
    parts += [sql.SQL("ai.{}").format(sql.Identifier(c)) for c in profile]
    parts += [sql.SQL("s.{}").format(sql.Identifier(c)) for c in CRM_COLUMNS]
    headers = [CONVERSATION if c == "message_compiled" else c for c in own]
    return sql.SQL(", ").join(parts), headers + profile + list(CRM_COLUMNS)


def _query(
    conn: psycopg.Connection, request: ExportRequest
) -> tuple[sql.Composed, sql.Composed, dict[str, Any], list[str]]:
    """(rows query, count query, parameters, headers) of a conversation or lead export."""
    columns, headers = _select(conn, request.kind)
    if request.kind == "leads":
        filters = request.filters or LeadFilters(request.start, request.end)
        if (filters.start, filters.end) != (request.start, request.end):
            filters = dataclasses.replace(filters, start=request.start, end=request.end)
        where, params = queries.lead_where(filters)
        order: sql.Composable = queries.lead_order(filters)
        picked = sql.SQL("SELECT ca.conversation_id ") + where
    else:
        params = {"start": request.start, "end": request.end}
        order = sql.SQL(" ORDER BY ca.conversation_created_at, ca.conversation_id ")
        picked = sql.Composed(
            [
                sql.SQL(
                    "SELECT ca.conversation_id FROM conversas_analytics ca "
                    "WHERE ca.conversation_date BETWEEN %(start)s AND %(end)s"
                )
            ]
        )
    # Row-level security limits every table (and the view lead_sales) to the session's tenant,
    # so the joins need not name tenant_id; a session without the roles is only allowed on a
    # database holding one tenant (`db.tenant_connection`).
    rows = (
        sql.SQL("WITH picked AS (")
        + picked
        + sql.SQL("), ")
        + _SALES
        + sql.SQL(" SELECT ")
        + columns
        + sql.SQL(
            " FROM picked JOIN conversas_analytics ca USING (conversation_id)"
            " LEFT JOIN conversas_analytics_ai ai"
            "   ON ai.tenant_id = ca.tenant_id AND ai.conversation_id = ca.conversation_id"
            " LEFT JOIN sales s ON s.contact_id = ca.contact_id"
        )
        + order
    )
    count = sql.SQL("SELECT count(*) FROM (") + picked + sql.SQL(") picked")
    return rows, count, params, headers


class Cells:
    """Turns database values into the cells of one export (time zone, masks, formats)."""

    def __init__(self, headers: Sequence[str], *, tz: str, mask_phones: bool) -> None:
        self.zone = ZoneInfo(tz)
        self.convert: list[Callable[[Any], Any]] = [
            self._for(h, mask_phones=mask_phones) for h in headers
        ]

    def _for(self, header: str, *, mask_phones: bool) -> Callable[[Any], Any]:
        if header == CONVERSATION:
            return lambda v: texts.conversation_text(v, None) if v else None
        if mask_phones and header in PHONES:
            return lambda v: texts.format_phone(v, mask=True) if v else v
        if mask_phones and header in PHONE_LIKE:
            return lambda v: texts.mask_name(v, mask=True) if isinstance(v, str) else v
        return self.value

    def value(self, value: Any) -> Any:
        """One database value as a spreadsheet value (None stays None: an empty cell)."""
        if isinstance(value, datetime):  # to the second: Excel keeps milliseconds at best
            if value.tzinfo is not None:
                value = value.astimezone(self.zone)
            return value.replace(tzinfo=None, microsecond=0)
        if isinstance(value, list):
            return ", ".join("" if v is None else str(v) for v in value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return value

    def row(self, values: Sequence[Any]) -> list[Any]:
        return [f(v) for f, v in zip(self.convert, values, strict=True)]


def csv_value(value: Any) -> Any:
    """A converted value as the CSV writes it: decimal comma, ISO dates, true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fetch(
    conn: psycopg.Connection,
    query: sql.Composed,
    params: dict[str, Any],
    *,
    batch_size: int,
    total: int,
    progress: Progress | None,
    phase: str,
) -> Iterator[tuple[Any, ...]]:
    """Rows of `query` from a server-side cursor, `batch_size` at a time, each batch reported
    to `progress` when the rows before it were handed on (written)."""
    done = 0
    with conn.cursor(name=CURSOR) as cur:
        cur.itersize = batch_size
        cur.execute(query, params)
        while True:
            batch = cur.fetchmany(batch_size)
            if not batch:
                break
            done += len(batch)
            yield from batch
            del batch  # before the next fetch: one batch in memory, not two
            if progress is not None:
                progress(phase, done, total)


def _begin(conn: psycopg.Connection) -> None:
    """One read-only snapshot for the count and the rows, so the bar's total is the file's."""
    if conn.autocommit:
        raise ValueError("exports need a connection outside autocommit (server-side cursor)")
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def export_rows(
    conn: psycopg.Connection,
    request: ExportRequest,
    *,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> tuple[list[str], Iterator[list[Any]]]:
    """(headers, rows) of an export on a tenant session `conn` (not autocommit, no open
    transaction); the rows are read lazily while the caller writes them."""
    if request.kind == "agents":
        return _agent_rows(conn, request, progress)
    _begin(conn)
    rows_query, count_query, params, headers = _query(conn, request)
    found = conn.execute(count_query, params).fetchone()
    total = int(found[0]) if found else 0
    if progress is not None:
        progress(f"export_{request.kind}", 0, total)
    cells = Cells(headers, tz=request.tz, mask_phones=request.mask_phones)
    rows = (
        cells.row(r)
        for r in _fetch(
            conn,
            rows_query,
            params,
            batch_size=batch_size,
            total=total,
            progress=progress,
            phase=f"export_{request.kind}",
        )
    )
    return headers, rows


def _agent_rows(
    conn: psycopg.Connection, request: ExportRequest, progress: Progress | None
) -> tuple[list[str], Iterator[list[Any]]]:
    """One row per agent: Chatwoot's report figures from the one definition
    (`reports.metrics.dimension_metrics`, as the agents page shows them), then the same
    figures for the previous period of the same length (`previous_*`). Times in seconds.
    Small (one row per agent): read at once."""
    _begin(conn)
    rows = metrics.dimension_metrics(
        conn,
        "agent",
        request.start,
        request.end,
        timezone=request.tz,
        business_hours=request.business_hours,
    )
    headers, table = agent_table(rows)
    if progress is not None:
        progress("export_agents", len(table), len(table))
    cells = Cells(headers, tz=request.tz, mask_phones=False)
    return headers, iter([cells.row(r) for r in table])


def agent_table(rows: Sequence[metrics.DimensionMetrics]) -> tuple[list[str], list[list[Any]]]:
    """`dimension_metrics` rows as (headers, rows): agent_id, agent_name, every figure of
    `metrics.Figures` in its order, then each again as `previous_<figure>`."""
    figures = [f.name for f in dataclasses.fields(metrics.Figures)]
    headers = ["agent_id", "agent_name", *figures, *(f"previous_{f}" for f in figures)]
    table = [
        [
            r.key,
            r.name,
            *(getattr(r, f) for f in figures),
            *(getattr(r.previous, f) for f in figures),
        ]
        for r in rows
    ]
    return headers, table


# --- Writing --------------------------------------------------------------------------------


def _csv_rows(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    return ([csv_value(v) for v in row] for row in rows)


def write_file(
    conn: psycopg.Connection,
    request: ExportRequest,
    path: Path,
    *,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ExportResult:
    """Write an export to `path`, complete or not at all (a temporary name renamed at the
    end: a failure midway leaves no file)."""
    headers, rows = export_rows(conn, request, batch_size=batch_size, progress=progress)
    counted = _Counted(rows)
    if request.fmt == "csv":
        write_csv(path, headers, _csv_rows(counted))
    else:
        write_xlsx(path, [(SHEETS[request.kind], headers, counted)], XLSX_FORMATS)
    return ExportResult(path, counted.count, headers)


def write_stream(
    conn: psycopg.Connection,
    request: ExportRequest,
    out: IO[bytes],
    *,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ExportResult:
    """Write an export to the binary stream `out` (the dashboard's temporary file)."""
    headers, rows = export_rows(conn, request, batch_size=batch_size, progress=progress)
    counted = _Counted(rows)
    if request.fmt == "csv":
        stream_csv(out, headers, _csv_rows(counted))
    else:
        stream_xlsx(out, [(SHEETS[request.kind], headers, counted)], XLSX_FORMATS)
    return ExportResult(None, counted.count, headers)


class _Counted:
    """Pass rows through, counting them."""

    def __init__(self, rows: Iterator[list[Any]]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self._rows:
            self.count += 1
            yield row


def export_to_file(
    url: str,
    tenant_id: int,
    request: ExportRequest,
    path: Path,
    *,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ExportResult:
    """Open a tenant session (role reader: row-level security) and write the export."""
    with db.tenant_connection(url, tenant_id, role="reader") as conn:
        return write_file(conn, request, path, batch_size=batch_size, progress=progress)
