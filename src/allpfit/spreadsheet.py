"""Every CSV and XLSX the product writes for a person to open in a spreadsheet.

Contact and customer names come from outside (anyone can name themselves on WhatsApp), and a
spreadsheet runs a cell that starts like a formula: `=HYPERLINK(...)` phishes, `=cmd|' /C
calc'!A0` runs a program through DDE (OWASP "CSV injection"). So every writer goes through
the one rule here, `formula_like`, and:

- CSV: such a cell is written with a leading single quote (`'=1+1`), which every spreadsheet
  shows as text (OWASP's recommendation; the quote stays visible, the text is never run);
- XLSX: such a cell is stored as a string cell with Excel's "quote prefix" style, so it is
  never a formula, even after someone edits it (openpyxl would otherwise store a string that
  starts with `=` as a live formula).

Numbers stay numbers: an int, float or Decimal is written as it is, and so is a string that is
only a plain number (`-5`, `-1.234,5`: a spreadsheet reads it as a number, never runs it).

Files are written under a temporary name and renamed when complete, so a failure (a full disk,
an unwritable folder) leaves no half-written report behind; it is raised as a `ConfigError`
naming the file, never as a traceback.

Not for `etl run --backup` (`sync/backup.py`): that gzipped CSV is PostgreSQL's COPY output, a
machine copy for restoring that must hold every value exactly, not a file for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from allpfit.errors import ConfigError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# `=`, `+`, `-`, `@` start a formula in Excel, LibreOffice and Google Sheets; a leading tab or
# carriage return hides one from a reader's eye and some importers strip it. The full-width
# forms are folded to the ASCII ones by some spreadsheets in East Asian locales.
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
_PLAIN_NUMBER = re.compile(r"-?\d[\d.,]*")
# Characters an XLSX cell cannot hold (openpyxl refuses them: the report would not be written).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell; longer text makes Excel "repair" the file


def report_stem(report_dir: Path, kind: str, tenant_slug: str, *suffixes: str) -> Path:
    """`report_dir/{kind}_{tenant}_{YYYYmmdd_HHMMSS}` (no suffix), unique for `suffixes`:
    two tenants' runs in the same second must not overwrite each other's files."""
    from datetime import datetime

    stem = f"{kind}_{tenant_slug}_{datetime.now():%Y%m%d_%H%M%S}"
    candidate, n = report_dir / stem, 1
    while any(candidate.with_suffix(s).exists() for s in suffixes or ("",)):
        n += 1
        candidate = report_dir / f"{stem}_{n}"
    return candidate


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula: the one rule every writer uses.

    A leading space does not make a cell safe (some importers trim it), so the first
    non-blank character is checked too.
    """
    stripped = text.lstrip()
    starts = bool(text) and (text[0] in FORMULA_STARTS or stripped[:1] in FORMULA_STARTS)
    return starts and not _PLAIN_NUMBER.fullmatch(stripped)


def csv_cell(value: object) -> object:
    """A value as a safe CSV cell: numbers, dates and booleans unchanged, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    if not isinstance(value, str):
        text = str(value)
        return "'" + text if formula_like(text) else text
    text = value.replace("\x00", "")
    return "'" + text if formula_like(text) else text


class SafeCsvWriter:
    """`csv.writer` with every cell passed through `csv_cell` (the header row too)."""

    def __init__(self, handle: IO[str], *, delimiter: str = ";") -> None:
        self._writer = csv.writer(handle, delimiter=delimiter)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


@contextmanager
def _atomic(path: Path, mode: str) -> Iterator[IO[Any]]:
    """Open `path.partial` for writing; rename it to `path` only when the block succeeds."""
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8-sig", "newline": ""}
        with partial.open(mode, **kwargs) as handle:
            yield handle
        os.replace(partial, path)
    except OSError as exc:
        _discard(partial)
        raise ConfigError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            hint="Check that the folder exists, is writable by this user and has free space "
            "(reports go to DATA_DIR/reports; set DATA_DIR to a writable folder).",
        ) from None
    except BaseException:
        _discard(partial)
        raise


def _discard(partial: Path) -> None:
    with suppress(OSError):
        partial.unlink(missing_ok=True)


def write_csv(path: Path, headers: Sequence[object], rows: Iterable[Iterable[object]]) -> Path:
    """A CSV Excel in Portuguese opens as columns: UTF-8 with BOM, `;`-separated, safe cells."""
    with _atomic(path, "wb") as handle:
        stream_csv(handle, headers, rows)
    return path


def stream_csv(out: IO[bytes], headers: Sequence[object], rows: Iterable[Iterable[object]]) -> None:
    """`write_csv` into an open binary stream (a download's temporary file), row by row: rows
    are written as the iterable yields them, never gathered first."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = SafeCsvWriter(text)
        writer.writerow(headers)
        writer.writerows(rows)
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open


def xlsx_cell(
    sheet: WriteOnlyWorksheet, value: object, *, number_format: str | None = None
) -> Cell:
    """A write-only XLSX cell that is never a formula: text is a string cell, numbers stay
    numbers (and dates dates, with `number_format` when given)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        text = _XLSX_ILLEGAL.sub("", value)[:XLSX_MAX_CHARS]
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
        if formula_like(text):
            cell.quotePrefix = True  # and Excel keeps it text when someone edits it
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if number_format is not None:
        cell.number_format = number_format
    return cell


def xlsx_row(
    sheet: WriteOnlyWorksheet,
    values: Iterable[object],
    formats: Mapping[type, str] | None = None,
) -> list[object]:
    """A row of `xlsx_cell`s; a cell already made by `xlsx_cell` (e.g. with a date format)
    is kept as it is. `formats` gives values of a type (`datetime`, `date`) a number format;
    the first type a value is an instance of wins (list `datetime` before `date`).

    Empty cells, plain numbers and booleans, and text that is no formula, holds no illegal
    character and fits a cell are handed to openpyxl as they are: it stores them exactly as
    `xlsx_cell` would (it only turns text starting with `=` into a formula, and that text is
    `formula_like`), and making a cell object for each costs as much as writing it."""
    from openpyxl.cell.cell import Cell

    def cell(value: object) -> object:
        kind = type(value)
        if value is None or kind is int or kind is float or kind is bool:
            return value
        if (
            isinstance(value, str)
            and kind is str
            and len(value) <= XLSX_MAX_CHARS
            and not formula_like(value)
            and not _XLSX_ILLEGAL.search(value)
        ):
            return value
        if isinstance(value, Cell):
            return value
        for kind, number_format in (formats or {}).items():
            if isinstance(value, kind):
                return xlsx_cell(sheet, value, number_format=number_format)
        return xlsx_cell(sheet, value)

    return [cell(v) for v in values]


Sheet = tuple[str, Sequence[object], Iterable[Iterable[object]]]  # title, headers, rows


def write_xlsx(
    path: Path, sheets: Iterable[Sheet], formats: Mapping[type, str] | None = None
) -> Path:
    """A workbook of one sheet per (title, headers, rows); every cell through `xlsx_cell`."""
    with _atomic(path, "wb") as handle:  # first, so an unwritable folder builds nothing
        stream_xlsx(handle, sheets, formats)
    return path


def stream_xlsx(
    out: IO[bytes], sheets: Iterable[Sheet], formats: Mapping[type, str] | None = None
) -> None:
    """`write_xlsx` into an open binary stream. openpyxl's write-only mode writes each row to a
    temporary file as it is appended and zips them at the end: memory does not grow with the
    number of rows (`formats`: see `xlsx_row`)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    try:
        for title, headers, rows in sheets:
            sheet = book.create_sheet(title)
            sheet.append(xlsx_row(sheet, headers))
            for row in rows:
                sheet.append(xlsx_row(sheet, row, formats))
        book.save(out)
    except BaseException:
        for sheet in book.worksheets:
            _discard_sheet(sheet)
        raise


def _discard_sheet(sheet: Any) -> None:
    """Close a write-only sheet that will never be saved and delete its temporary file
    (openpyxl would only delete it when the process ends: a long-running dashboard would
    collect one per failed download)."""
    rows, writer = getattr(sheet, "_rows", None), getattr(sheet, "_writer", None)
    with suppress(Exception):
        if rows is not None:
            rows.close()
    with suppress(Exception):
        if writer is not None:
            writer.close()
            writer.cleanup()
