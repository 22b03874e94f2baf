"""A CRM export (`base_evo.xlsx`, or CSV) as `Member` records: `allpfit crm import FILE`.

Reading: .xlsx through openpyxl (first sheet unless one is named; the header row is the first
of the top ten rows that names known fields, so a title row above it is fine) or .csv (UTF-8
or Windows-1252, `;` or `,` detected). Columns are found by header (`columns.py`).

Rows: a fully blank row is skipped; a row whose phone is missing or unusable, whose date
cannot be read, or whose ID repeats an earlier row is REJECTED: listed with its row number
and reason in the command output and in `DATA_DIR/reports/crm_import_rejects_*.csv`, never
silently dropped. Every other row is upserted, in one transaction, by (source='excel', ID). A
file without an ID column gets a stable ID from name + phone, so importing it again updates the
same rows. `strict=True` imports nothing when any row is rejected; `replace=True` also deletes
earlier excel customers absent from this file (the export is a full snapshot).
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from allpfit import db
from allpfit.config import Settings
from allpfit.crm import columns, store
from allpfit.crm.members import Member, Progress, Reject
from allpfit.crm.phones import pick
from allpfit.errors import InputError

HEADER_SEARCH_ROWS = 10
Row = tuple[int, list[object]]


def read_rows(path: Path, sheet: str | None = None) -> Iterator[Row]:
    """Yield (1-based row number as the spreadsheet shows it, cell values)."""
    if not path.is_file():
        raise InputError(
            f"File not found: {path}", hint="Give the path of the CRM export (.xlsx or .csv)."
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, sheet)
    elif suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    elif suffix == ".xls":
        raise InputError(
            f"{path.name} is an old .xls workbook, which cannot be read.",
            hint="Open it in Excel or LibreOffice and save it as .xlsx (or CSV), then import it.",
        )
    else:
        raise InputError(
            f"{path.name}: unsupported file type {suffix or '(none)'}.",
            hint="Import an Excel workbook (.xlsx) or a CSV file exported from the CRM.",
        )


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}).",
            hint="Check that the file is a complete .xlsx export (open it in Excel), or export "
            "the CRM base again.",
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                f"{path.name} has no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}.",
                hint="Pass one of these names to --sheet.",
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[Row]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = content[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
    for number, values in enumerate(csv.reader(io.StringIO(content), dialect), start=1):
        yield number, list(values)


def _blank(values: list[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class ExcelMemberSource:
    """`MemberSource` over a CRM export file."""

    source = "excel"

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path = path
        self.sheet = sheet
        self.rejects: list[Reject] = []
        self.columns: columns.ColumnMap | None = None
        self.rows_read = 0
        self.blank_rows = 0
        self.without_ddd = 0

    def members(self, progress: Progress | None = None) -> Iterator[Member]:
        rows = read_rows(self.path, self.sheet)
        cmap = self._header(rows)
        self.columns = cmap
        seen: dict[str, int] = {}
        for number, values in rows:
            if _blank(values):
                self.blank_rows += 1
                continue
            self.rows_read += 1
            if progress is not None and self.rows_read % 500 == 0:
                progress("read", self.rows_read, None)
            member, problems = self._member(cmap, values)
            if member is not None and member.external_id in seen:
                first = seen[member.external_id]
                problems.append(f"duplicate ID {member.external_id} (first on row {first})")
            if problems or member is None:
                self.rejects.append(Reject(number, "; ".join(problems), self._values(cmap, values)))
                continue
            seen[member.external_id] = number
            if member.phone.kind == "local":
                self.without_ddd += 1
            yield member
        if progress is not None:
            progress("read", self.rows_read, self.rows_read)

    def _header(self, rows: Iterator[Row]) -> columns.ColumnMap:
        where = self.path.name
        first: list[object] | None = None
        for number, values in rows:
            if _blank(values):
                continue
            first = first or values
            if columns.recognised(values) >= 2:
                return columns.detect(values, where=f"{where} (header on row {number})")
            if number >= HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise InputError(f"{where} is empty.", hint="Export the CRM customer base again.")
        return columns.detect(first, where=where)

    def _member(
        self, cmap: columns.ColumnMap, values: list[object]
    ) -> tuple[Member | None, list[str]]:
        def cell(name: str) -> object:
            i = cmap.index.get(name)
            return values[i] if i is not None and i < len(values) else None

        problems: list[str] = []
        phone = pick([cell("mobile"), cell("phone")])
        if not phone.ok:
            problems.append(f"phone: {phone.reason}")
        dates = {}
        for date_field in columns.DATE_FIELDS:
            try:
                dates[date_field] = columns.parse_date(cell(date_field))
            except ValueError as exc:
                dates[date_field] = None
                problems.append(f"{cmap.headers[cmap.index[date_field]]}: {exc}")
        name = columns.text(cell("name"))
        if name is None:
            parts = [columns.text(cell("first_name")), columns.text(cell("last_name"))]
            name = " ".join(p for p in parts if p) or None
        external_id = columns.text(cell("id"))
        if external_id is None:
            basis = f"{(name or '').casefold()}|{phone.key or phone.raw or ''}"
            external_id = "h:" + hashlib.sha1(basis.encode()).hexdigest()[:16]
        member = Member(
            source="excel",
            external_id=external_id,
            name=name,
            email=columns.text(cell("email")),
            phone=phone,
            register_date=dates["register_date"],
            conversion_date=dates["conversion_date"],
            sale_date=dates["sale_date"],
            status=columns.text(cell("status")),
        )
        return member, problems

    @staticmethod
    def _values(cmap: columns.ColumnMap, values: list[object]) -> dict[str, str]:
        return {
            header: columns.text(values[i]) or "" if i < len(values) else ""
            for i, header in enumerate(cmap.headers)
            if header
        }


@dataclass
class ImportSummary:
    run_id: int
    path: Path
    columns: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    without_ddd: int
    blank_rows: int
    rejected: list[Reject] = field(default_factory=list)
    rejects_file: Path | None = None
    seconds: float = 0.0


def write_rejects(rejects: list[Reject], report_dir: Path, stem: str) -> Path:
    """The rejected rows with their reason and original cells, as a CSV a person can fix."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / f"{stem}_{datetime.now():%Y%m%d_%H%M%S}.csv"
    headers: list[str] = []
    for reject in rejects:
        headers += [h for h in reject.values if h not in headers]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["linha", "motivo", *headers])
        for r in rejects:
            writer.writerow([r.row, r.reason, *(r.values.get(h, "") for h in headers)])
    return path


def import_file(
    local_url: str,
    path: Path | str,
    settings: Settings,
    *,
    sheet: str | None = None,
    strict: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CRM export into crm_customers (source 'excel'); all rows or none."""
    started = time.perf_counter()
    path = Path(path)
    with store.locked_run(local_url, "excel") as (_, run_id):
        source = ExcelMemberSource(path, sheet)
        members = list(source.members(progress))
        rejects_file = None
        if source.rejects:
            rejects_file = write_rejects(source.rejects, settings.report_dir, "crm_import_rejects")
            if strict:
                raise InputError(
                    f"{path.name}: {len(source.rejects)} row(s) rejected, so nothing was "
                    f"imported (--strict). The rows and reasons are in {rejects_file}.",
                    hint="Fix those rows in the spreadsheet and import again, or import "
                    "without --strict to load the valid rows.",
                )
        with db.transaction(local_url) as conn:
            inserted, updated = store.upsert_members(conn, members)
            deleted = 0
            if replace:
                deleted = store.delete_missing(conn, "excel", {m.external_id for m in members})
            assert source.columns is not None
            summary = ImportSummary(
                run_id=run_id,
                path=path,
                columns=source.columns.describe(),
                rows_read=source.rows_read,
                inserted=inserted,
                updated=updated,
                unchanged=len(members) - inserted - updated,
                deleted=deleted,
                without_ddd=source.without_ddd,
                blank_rows=source.blank_rows,
                rejected=source.rejects,
                rejects_file=rejects_file,
            )
            store.finish_success(
                conn,
                run_id,
                rows_read=source.rows_read,
                rows_written=inserted + updated,
                rows_rejected=len(source.rejects),
                detail=f"{path.name}: {len(members)} customers, {len(source.rejects)} rejected, "
                f"{deleted} deleted",
            )
    summary.seconds = time.perf_counter() - started
    return summary
