"""`import_file`: CRM exports (.xlsx / .csv) into crm_customers, bad rows reported."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from allpfit.config import Settings
from allpfit.crm.excel import ExcelMemberSource, import_file
from allpfit.errors import InputError, MassRemovalRefused

HEADERS = ["ID", "Nome", "Celular", "E-mail", "Data Cadastro", "Data Conversão"]


def write_xlsx(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Clientes"
    if title:
        sheet.append([title])
        sheet.append([])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def base_evo(tmp_path: Path) -> Path:
    """Shaped like the gym's export: varied phone formats, date cells and text, 3 bad rows."""
    return write_xlsx(
        tmp_path / "base_evo.xlsx",
        [
            HEADERS,
            [
                101,
                "Ana Souza",
                "(11) 98765-4321",
                "ana@x.test",
                datetime(2026, 1, 5),
                datetime(2026, 1, 8),
            ],
            [102, "Bruno Lima", "+55 11 8123-4567", None, "10/01/2026", None],
            [103, "Carla Dias", 11932654321, "carla@x.test", "2026-01-12", "15/01/2026"],
            [104, "Davi Rocha", "0 21 21 99876-5432", "", "12/01/26", ""],
            [105, "Eva Nunes", "não tem", "eva@x.test", "13/01/2026", None],
            [106, "Fábio Melo", "(11) 97777-0000", None, "31/02/2026", None],
            [107, "Gabi Reis", None, None, "14/01/2026", None],
            [],
            [108, "Hugo Paz", "3265-4321", None, "15/01/2026", None],
            [101, "Ana Duplicada", "(11) 98765-4321", None, "16/01/2026", None],
        ],
    )


def _customers(local: psycopg.Connection) -> dict[str, tuple[object, ...]]:
    rows = local.execute(
        """SELECT external_id, name, email, phone_raw, phone_normalized, register_date,
                  conversion_date FROM crm_customers WHERE source = 'excel'"""
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_the_gyms_export_is_imported_and_bad_rows_are_reported(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    result = import_file(local_url, base_evo(tmp_path), crm_settings)
    rows = _customers(local)
    assert sorted(rows) == ["101", "102", "103", "104", "108"]
    assert rows["101"] == (
        "Ana Souza",
        "ana@x.test",
        "(11) 98765-4321",
        "+5511987654321",
        date(2026, 1, 5),
        date(2026, 1, 8),
    )
    assert rows["102"][2:5] == ("+55 11 8123-4567", "+551181234567", date(2026, 1, 10))
    assert rows["103"][3:6] == ("+5511932654321", date(2026, 1, 12), date(2026, 1, 15))
    assert rows["104"][1:5] == (None, "0 21 21 99876-5432", "+5521998765432", date(2026, 1, 12))
    assert rows["108"][3] is None  # no DDD: imported, matched only by local number
    assert result.without_ddd == 1 and result.blank_rows == 1
    assert (result.rows_read, result.inserted) == (9, 5)
    reasons = {r.row: r.reason for r in result.rejected}
    assert set(reasons) == {6, 7, 8, 11}
    assert "phone: not a phone number" in reasons[6]
    assert "Data Cadastro: not a date: '31/02/2026'" in reasons[7]
    assert reasons[8] == "phone: empty"
    assert "duplicate ID 101 (first on row 2)" in reasons[11]
    assert result.rejects_file is not None and result.rejects_file.parent == crm_settings.report_dir
    with result.rejects_file.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0] == ["linha", "motivo", *HEADERS]
    assert [line[0] for line in lines[1:]] == ["6", "7", "8", "11"]
    assert lines[1][3] == "Eva Nunes"
    run = local.execute(
        "SELECT kind, status, rows_read, rows_written, rows_rejected FROM crm_sync_runs"
    )
    assert run.fetchall() == [("excel", "success", 9, 5, 4)]


def test_importing_the_same_file_twice_leaves_the_same_rows(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = base_evo(tmp_path)
    import_file(local_url, path, crm_settings)
    before = _customers(local)
    again = import_file(local_url, path, crm_settings)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert _customers(local) == before


def test_missing_columns_are_listed_with_the_headers_found(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [["Código", "Nome", "Observação"], [1, "Ana", "vip"]])
    with pytest.raises(InputError) as err:
        import_file(local_url, path, crm_settings)
    message = err.value.message
    assert "missing column(s): phone (e.g. Celular" in message
    assert "a date (e.g. Data Cadastro" in message
    assert "name" not in message.split("Headers found")[0].replace("x.xlsx", "")
    assert "Headers found: 'Código', 'Nome', 'Observação'" in message
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)
    assert local.execute("SELECT status FROM crm_sync_runs").fetchone() == ("failed",)


def test_variant_headers_a_title_row_and_extra_columns_are_accepted(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [
            [
                "Matrícula",
                "Nome completo",
                "Observações",
                "WhatsApp",
                "Telefone",
                "DATA DE CADASTRO",
                "Data da venda",
                "Situação",
            ],
            ["A-1", "Ana", "vip", None, "11 3265-4321", "01/03/2026", "02/03/2026", "Ativo"],
            ["A-2", "Bia", "", "11 98765-0000", "11 3265-0000", "01/03/2026", None, "Inativo"],
        ],
        title="Relatório de clientes - AllpFit",
    )
    result = import_file(local_url, path, crm_settings)
    assert result.rejected == []
    assert "name='Nome completo'" in result.columns and "mobile='WhatsApp'" in result.columns
    rows = local.execute(
        "SELECT external_id, phone_normalized, sale_date, status FROM crm_customers ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("A-1", "+551132654321", date(2026, 3, 2), "Ativo"),
        ("A-2", "+5511987650000", None, "Inativo"),
    ]


def test_a_semicolon_csv_in_windows_1252_is_imported(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    path = tmp_path / "base.csv"
    path.write_bytes(
        "ID;Nome;Celular;E-mail;Data Cadastro;Data Conversão\n"
        "1;João Araújo;(11) 98765-4321;joao@x.test;05/01/2026;08/01/2026\n"
        "2;Lúcia;lixo;;05/01/2026;\n".encode("cp1252")
    )
    result = import_file(local_url, path, crm_settings)
    assert result.inserted == 1 and [r.row for r in result.rejected] == [3]
    assert local.execute("SELECT name, conversion_date FROM crm_customers").fetchall() == [
        ("João Araújo", date(2026, 1, 8))
    ]


def test_strict_imports_nothing_when_a_row_is_bad(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    with pytest.raises(InputError) as err:
        import_file(local_url, base_evo(tmp_path), crm_settings, strict=True)
    assert "4 row(s) rejected, so nothing was imported (--strict)" in err.value.message
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)


def test_replace_marks_customers_absent_from_the_new_export_never_deletes(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    import_file(local_url, base_evo(tmp_path), crm_settings)
    smaller = write_xlsx(
        tmp_path / "novo.xlsx",
        [HEADERS, [101, "Ana Souza", "(11) 98765-4321", None, "05/01/2026", None]],
    )
    marked_sql = "SELECT external_id FROM crm_customers WHERE missing_in_source_at IS NOT NULL"
    with pytest.raises(MassRemovalRefused, match="would remove 4 of 5 imported customers"):
        import_file(local_url, smaller, crm_settings, replace=True)  # 80 % absent: refused
    assert local.execute(marked_sql).fetchall() == []
    result = import_file(local_url, smaller, crm_settings, replace=True, allow_mass_delete=True)
    assert result.marked_missing == 4
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (5,)
    assert "101" not in {r[0] for r in local.execute(marked_sql)}
    assert len(local.execute(marked_sql).fetchall()) == 4


def test_without_an_id_column_rows_get_stable_ids(
    tmp_path: Path, local_url: str, local: psycopg.Connection, crm_settings: Settings
) -> None:
    rows: list[list[object]] = [
        ["Nome", "Telefone", "Data Cadastro"],
        ["Ana", "11987654321", "01/02/2026"],
    ]
    path = write_xlsx(tmp_path / "sem_id.xlsx", rows)
    import_file(local_url, path, crm_settings)
    rows[1][2] = "03/02/2026"
    write_xlsx(path, rows)
    result = import_file(local_url, path, crm_settings)
    assert (result.inserted, result.updated) == (0, 1)
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (1,)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("base.xlsx", b"this is not a zip file", "cannot be read as an Excel workbook"),
        ("base.xls", b"\xd0\xcf\x11\xe0", "old .xls workbook"),
        ("base.pdf", b"%PDF", "unsupported file type .pdf"),
        ("vazio.csv", b"", "is empty"),
    ],
)
def test_unreadable_files_are_clear_errors(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        list(ExcelMemberSource(path).members())
    assert expected in err.value.message


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="File not found"):
        list(ExcelMemberSource(tmp_path / "nada.xlsx").members())
