"""A CRM export (`base_evo.xlsx`, or CSV) as `Member` records: `allpfit crm import FILE`.

Reading: .xlsx through openpyxl (first sheet unless one is named; the header row is the first
of the top ten rows that names known fields, so a title row above it is fine) or .csv (UTF-8,
Windows-1252, UTF-16 or another detected encoding; the separator under which the header names
the most known columns). Columns are found by header (`columns.py`). A file that cannot be read
(damaged workbook, undetectable encoding, broken CSV) is an InputError naming the file, raised
before anything is written.

Rows: a fully blank row is skipped; a row whose phone is missing or unusable, whose date
cannot be read, or whose ID repeats an earlier row is REJECTED: listed with its row number
and reason in the command output and in `DATA_DIR/reports/crm_import_rejects_*.csv`, never
silently dropped. Every other row is upserted, in one transaction, by (source='excel', ID). A
file without an ID column gets a stable ID from name + phone, so importing it again updates the
same rows. `strict=True` imports nothing when any row is rejected; `replace=True` also marks
earlier excel customers absent from this file as missing (the export is a full snapshot;
nothing is deleted, and a file lacking too many of them is refused unless allow_mass_delete).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from allpfit import db
from allpfit.config import Settings
from allpfit.crm import columns, store
from allpfit.crm.members import Member, Reject
from allpfit.crm.phones import pick
from allpfit.errors import InputError
from allpfit.progress import Progress
from allpfit.spreadsheet import report_stem, write_csv
from allpfit.tenants import Tenant

HEADER_SEARCH_ROWS = 10
Row = tuple[int, list[object]]


def read_rows(path: Path, sheet: str | None = None) -> Iterator[Row]:
    """Yield (1-based row number as the spreadsheet shows it, cell values)."""
    yield from open_rows(path, sheet).rows


@dataclass
class OpenedFile:
    """The rows of an export, and how it was read (shown in the import summary)."""

    rows: Iterator[Row]
    format: str


def open_rows(path: Path, sheet: str | None = None) -> OpenedFile:
    """Open a CRM export; every way it can be unreadable is an InputError naming the file."""
    if not path.is_file():
        raise InputError(
            f"File not found: {path}", hint="Give the path of the CRM export (.xlsx or .csv)."
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return OpenedFile(_without_nul(_xlsx_rows(path, sheet)), "Excel workbook")
    if suffix in (".csv", ".txt"):
        opened = _csv_rows(path)
        return OpenedFile(_without_nul(opened.rows), opened.format)
    if suffix == ".xls":
        raise InputError(
            f"{path.name} is an old .xls workbook, which cannot be read.",
            hint="Open it in Excel or LibreOffice and save it as .xlsx (or CSV), then import it.",
        )
    raise InputError(
        f"{path.name}: unsupported file type {suffix or '(none)'}.",
        hint="Import an Excel workbook (.xlsx) or a CSV file exported from the CRM.",
    )


def _without_nul(rows: Iterator[Row]) -> Iterator[Row]:
    """Drop NUL characters from text cells (a CSV byte, or `_x0000_` in a workbook): no CRM
    value holds one and PostgreSQL text cannot, so one would abort the whole import."""
    for number, values in rows:
        yield number, [v.replace("\x00", "") if isinstance(v, str) else v for v in values]


def _damaged(path: Path, exc: Exception, where: str = "") -> InputError:
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    kind = type(exc).__name__
    if kind == "error":  # zlib.error, binascii.error: say which
        kind = f"{type(exc).__module__}.error"
    return InputError(
        f"{path.name} cannot be read as an Excel workbook{where} ({kind}"
        f"{': ' + detail if detail else ''}); nothing was imported.",
        hint="The file is damaged or incomplete (e.g. a partial download). Open it in Excel "
        "and save it again, or export the CRM base again.",
    )


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    from openpyxl import load_workbook

    # A damaged workbook fails inside openpyxl in many ways (BadZipFile, zlib.error, XML
    # ParseError, KeyError for a missing part, EOFError...), at open or only when a damaged
    # row is reached, so every error of openpyxl's own calls is reported as a damaged file.
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _damaged(path, exc) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                f"{path.name} has no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}.",
                hint="Pass one of these names to --sheet.",
            )
        try:
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            rows = ws.iter_rows(values_only=True)
        except Exception as exc:
            raise _damaged(path, exc) from None
        number = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as exc:
                raise _damaged(path, exc, f" after row {number}") from None
            if values is None:
                return
            number += 1
            yield number, list(values)
    finally:
        book.close()


# Encodings a Brazilian CRM export plausibly comes in, beyond UTF-8 and Windows-1252: Excel's
# "Unicode text" (UTF-16/32, with or without BOM), DOS code pages (850, Portuguese 860, 437) and
# old Mac text. Anything the detector cannot place among them is refused, not guessed.
DETECTABLE_ENCODINGS = [
    "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be",
    "cp860", "cp850", "cp437", "mac_roman", "iso8859_15",
]  # fmt: skip
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = ";,\t|"


def decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The text of a CSV export and the name of its encoding.

    A byte-order mark decides; then UTF-8; then Windows-1252 (what Excel in Portuguese saves
    as "CSV"), unless the bytes are full of NULs (UTF-16 without a BOM); then charset-normalizer
    among `DETECTABLE_ENCODINGS`. Undetectable bytes are an InputError, never a guess.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding.replace("-sig", "") + " (BOM)"
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if raw.count(b"\x00") * 10 < len(raw):
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=DETECTABLE_ENCODINGS).best()
    if best is None:
        raise InputError(
            f"{path.name}: cannot tell the text encoding of this CSV (it is neither UTF-8, "
            "Windows-1252 nor UTF-16); nothing was imported.",
            hint='Open it in Excel or LibreOffice and save it as "CSV UTF-8" (or as .xlsx), '
            "then import it again.",
        )
    return str(best), f"{best.encoding} (detected)"


def _delimiter(text: str) -> str:
    """The separator under which the top rows name the most known columns (a header), else
    what csv.Sniffer says, else `,`. Counting characters would be fooled by commas in names."""
    top = text.splitlines()[:HEADER_SEARCH_ROWS]
    best, score = "", 0
    for candidate in DELIMITERS:
        try:
            found = max(
                (columns.recognised(list(r)) for r in csv.reader(top, delimiter=candidate)),
                default=0,
            )
        except csv.Error:
            continue
        if found > score:
            best, score = candidate, found
    if best:
        return best
    try:
        return csv.Sniffer().sniff("\n".join(top), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_rows(path: Path) -> OpenedFile:
    raw = path.read_bytes()
    content, encoding = decode(path, raw)
    delimiter = _delimiter(content)
    shown = {"\t": "tab", ";": "';'", ",": "','", "|": "'|'"}[delimiter]
    return OpenedFile(_csv_records(path, content, delimiter), f"CSV, {encoding}, {shown}-separated")


def _csv_records(path: Path, content: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    number = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise _bad_csv(path, number + 1, exc) from None
        if values is None:
            return
        number += 1
        yield number, list(values)


def _bad_csv(path: Path, row: int, exc: csv.Error) -> InputError:
    if "field larger than field limit" in str(exc):
        return InputError(
            f"{path.name}: row {row} has a cell longer than {csv.field_size_limit():,} "
            "characters; nothing was imported.",
            hint='A CRM export has no such cell: usually a quote (") opened in a cell and '
            "never closed swallows the rest of the file. Check that row in a spreadsheet, "
            "or export the CRM base again (as .xlsx if possible).",
        )
    return InputError(
        f"{path.name}: row {row} is not valid CSV ({exc}); nothing was imported.",
        hint="Open the file in a spreadsheet, check that row, and save it again as CSV "
        "(or export the CRM base as .xlsx).",
    )


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
        self.format = ""

    def members(self, progress: Progress | None = None) -> Iterator[Member]:
        opened = open_rows(self.path, self.sheet)
        self.format, rows = opened.format, opened.rows
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
    marked_missing: int
    without_ddd: int
    blank_rows: int
    rejected: list[Reject] = field(default_factory=list)
    rejects_file: Path | None = None
    seconds: float = 0.0
    file_format: str = ""


def write_rejects(rejects: list[Reject], report_dir: Path, stem: str, tenant_slug: str) -> Path:
    """The rejected rows with their reason and original cells, as a CSV a person can fix
    (formula-safe: the cells are whatever the export held)."""
    path = report_stem(report_dir, stem, tenant_slug, ".csv").with_suffix(".csv")
    headers: list[str] = []
    for reject in rejects:
        headers += [h for h in reject.values if h not in headers]
    rows = ([r.row, r.reason, *(r.values.get(h, "") for h in headers)] for r in rejects)
    return write_csv(path, ["linha", "motivo", *headers], rows)


def import_file(
    local_url: str,
    path: Path | str,
    settings: Settings,
    *,
    sheet: str | None = None,
    strict: bool = False,
    replace: bool = False,
    allow_mass_delete: bool = False,
    progress: Progress | None = None,
    tenant: Tenant | None = None,
) -> ImportSummary:
    """Import a CRM export into `tenant`'s crm_customers (default: the default tenant's;
    source 'excel'); all rows or none."""
    started = time.perf_counter()
    path = Path(path)
    tenant = db.resolve_tenant(local_url, tenant)
    tenant_id = tenant.id
    with store.locked_run(local_url, "excel", tenant_id) as (_, run_id):
        source = ExcelMemberSource(path, sheet)
        members = list(source.members(progress))
        rejects_file = None
        if source.rejects:
            rejects_file = write_rejects(
                source.rejects, settings.report_dir, "crm_import_rejects", tenant.slug
            )
            if strict:
                raise InputError(
                    f"{path.name}: {len(source.rejects)} row(s) rejected, so nothing was "
                    f"imported (--strict). The rows and reasons are in {rejects_file}.",
                    hint="Fix those rows in the spreadsheet and import again, or import "
                    "without --strict to load the valid rows.",
                )
        with db.tenant_transaction(local_url, tenant_id) as conn:
            inserted, updated = store.upsert_members(conn, members)
            marked = 0
            if replace:  # a full snapshot: absent customers are marked, never deleted
                marked, _ = store.mark_missing(
                    conn,
                    "excel",
                    {m.external_id for m in members},
                    max_fraction=settings.sync_max_deleted_fraction,
                    allow=allow_mass_delete,
                    what="imported customers",
                )
            assert source.columns is not None
            summary = ImportSummary(
                run_id=run_id,
                path=path,
                columns=source.columns.describe(),
                rows_read=source.rows_read,
                inserted=inserted,
                updated=updated,
                unchanged=len(members) - inserted - updated,
                marked_missing=marked,
                without_ddd=source.without_ddd,
                blank_rows=source.blank_rows,
                rejected=source.rejects,
                rejects_file=rejects_file,
                file_format=source.format,
            )
            store.finish_success(
                conn,
                run_id,
                rows_read=source.rows_read,
                rows_written=inserted + updated,
                rows_rejected=len(source.rejects),
                detail=f"{path.name}: {len(members)} customers, {len(source.rejects)} rejected, "
                f"{marked} marked missing",
            )
    summary.seconds = time.perf_counter() - started
    return summary
