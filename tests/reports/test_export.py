"""Exports (`allpfit.reports.export`, `allpfit export`): a small dataset checked cell by cell.

Two tenants share the database: the gym (tenant 1) with three conversations in June 2026 and
one in May, and a pilates studio (tenant 2) whose conversation ids collide with the gym's.
Names carry formula payloads; one conversation starts at 23:00 in São Paulo, which is the next
day in UTC. Every file is read back (csv module, openpyxl) and compared cell by cell with the
expected cells worked out here from the rules of docs/exports.md.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from openpyxl import load_workbook
from psycopg.rows import dict_row
from typer.testing import CliRunner

from allpfit import db
from allpfit.cli import app
from allpfit.dashboard.queries import LeadFilters
from allpfit.errors import InputError
from allpfit.reports import export, metrics
from allpfit.reports.export import ExportRequest
from tests.dashboard.builder import Rows

runner = CliRunner()
SP = ZoneInfo("America/Sao_Paulo")
START, END = date(2026, 6, 1), date(2026, 6, 30)
STUDIO_ID = 2
FORMULAS = {
    1: '=HYPERLINK("http://x.test","clique")',
    2: "+1+1",
    3: "-2+3",
    4: "@SUM(A1)",
    5: "\tcmd",
    6: "\r=1+1",
}


def gym_dataset(local: psycopg.Connection) -> None:
    """Tenant 1: conversations 1-3 in June (1 and 2 leads, 3 bot only), 4 in May."""
    rows = Rows(local)
    rows.conversation(
        1, contact_id=101, day=date(2026, 6, 10), name="Ana Souza", phone="+5511967027336",
        senders="cba",
    )  # fmt: skip
    rows.conversation(
        2, contact_id=102, day=date(2026, 6, 11), hour=23, name=FORMULAS[1],
        phone="+5521988887777", senders="cb",
    )  # fmt: skip
    rows.conversation(3, contact_id=103, day=date(2026, 6, 12), name=FORMULAS[5], senders="b")
    rows.conversation(4, contact_id=104, day=date(2026, 5, 20), name="Maio Fora", senders="c")
    rows.profile(
        1, probability=4, condition="Iniciante", goal="Perda de peso", visit=True,
        visit_date=date(2026, 6, 12), bot_name="Ana",
    )  # fmt: skip
    rows.profile(2, probability=2, bot_name=FORMULAS[2])
    local.execute(
        "UPDATE conversas_analytics_ai SET analise_ia = %s, sugestao_disparo = %s "
        "WHERE conversation_id = 2",
        (FORMULAS[3], FORMULAS[4]),
    )
    local.execute(
        """UPDATE conversas_analytics SET labels = ARRAY['vip', 'trial'],
               custom_attributes = '{"plano": "mensal", "origem": "anúncio"}',
               first_response_time_seconds = 125.5, assignee_id = 7, assignee_name = 'Júlia',
               csat_rating = 5
           WHERE conversation_id = 1"""
    )
    local.execute(
        "UPDATE conversas_analytics SET team_name = %s WHERE conversation_id = 3", (FORMULAS[6],)
    )
    customer = rows.customer("Ana S.", phone="+5511967027336", conversion=date(2026, 6, 15))
    rows.match(1, customer, conversation_day=date(2026, 6, 10), signup=date(2026, 6, 15))


def studio_dataset(local: psycopg.Connection) -> None:
    """Tenant 2: conversations 1 and 2 (the gym's ids) in June, names found nowhere else."""
    local.execute(
        "INSERT INTO tenants (id, slug, name, account_id) VALUES (%s, 'pilates', 'Pilates', 2)",
        (STUDIO_ID,),
    )
    local.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(STUDIO_ID),))
    try:
        rows = Rows(local)
        rows.conversation(
            1, contact_id=201, day=date(2026, 6, 10), name="Paula Pilates",
            phone="+5531999990001",
        )  # fmt: skip
        rows.conversation(2, contact_id=202, day=date(2026, 6, 20), name="Rita Studio")
        rows.profile(1, probability=5, bot_name="Paula")
    finally:
        local.execute("SELECT set_config('allpfit.tenant_id', '', false)")


@pytest.fixture
def dataset(local: psycopg.Connection) -> psycopg.Connection:
    gym_dataset(local)
    studio_dataset(local)
    return local


# --- Expected cells, worked out from the rules ------------------------------------------------


def db_rows(local: psycopg.Connection, tenant_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """The raw rows (as the owner, naming the tenant): conversation, profile and sale."""
    with local.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT ca.*, c.name AS crm_customer_name, m.crm_customer_phone,
                      c.source AS crm_source, c.status AS crm_status,
                      m.crm_signup_date, m.days_to_conversion AS crm_days_to_conversion,
                      m.match_type AS crm_match_type, m.match_score AS crm_match_score
               FROM conversas_analytics ca
               LEFT JOIN conversas_crm_match_real m
                 ON m.tenant_id = ca.tenant_id AND m.conversation_id = ca.conversation_id
               LEFT JOIN crm_customers c ON c.tenant_id = m.tenant_id AND c.id = m.crm_customer_id
               WHERE ca.tenant_id = %s AND ca.conversation_id = ANY(%s)""",
            (tenant_id, ids),
        )
        found = {r["conversation_id"]: r for r in cur.fetchall()}
        cur.execute(
            "SELECT * FROM conversas_analytics_ai WHERE tenant_id = %s AND conversation_id = "
            "ANY(%s)",
            (tenant_id, ids),
        )
        profiles = {r["conversation_id"]: r for r in cur.fetchall()}
    ai = table_columns(local, "conversas_analytics_ai")
    out = []
    for i in ids:
        row = dict(found[i])
        profile = profiles.get(i, {})
        row.update({c: profile.get(c) for c in ai if c not in ("tenant_id", "conversation_id")})
        out.append(row)
    return out


def conversation_text(messages: list[dict[str, Any]] | None) -> str | None:
    who = {"contact": "Lead", "bot": "Bot", "agent": "Atendente"}
    parts = [f"{who[m['sender']]}: {m['text']}" for m in messages or [] if m["sender"] in who]
    return " / ".join(parts) or None


def expected_value(header: str, value: Any) -> Any:
    """A database value as the export's (typed) cell value."""
    if header == "conversation":
        return conversation_text(value)
    if isinstance(value, datetime):
        return value.astimezone(SP).replace(tzinfo=None, microsecond=0)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return value


def expected_csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text[:1] in "=+-@\t\r" and text and not text.lstrip("-").replace(",", "").isdigit():
        return "'" + text
    return text


def expected_rows(raw: list[dict[str, Any]], headers: list[str]) -> list[list[Any]]:
    source = {"conversation": "message_compiled"}
    return [[expected_value(h, r[source.get(h, h)]) for h in headers] for r in raw]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel in Portuguese opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def table_columns(local: psycopg.Connection, table: str) -> list[str]:
    return [
        r[0]
        for r in local.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            (table,),
        )
    ]


def export_file(
    local_url: str, tenant_id: int, request: ExportRequest, path: Path, **kwargs: Any
) -> export.ExportResult:
    return export.export_to_file(local_url, tenant_id, request, path, **kwargs)


# --- Conversations ---------------------------------------------------------------------------


def test_conversation_csv_cell_by_cell(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    result = export_file(local_url, 1, ExportRequest("conversations", START, END), path)
    lines = read_csv(path.read_bytes())
    headers = lines[0]
    ca = table_columns(dataset, "conversas_analytics")
    ai = table_columns(dataset, "conversas_analytics_ai")
    # Every column, in the table's order; only the documented ones left out.
    assert headers == (
        [
            "conversation" if c == "message_compiled" else c
            for c in ca
            if c not in set(export.LEFT_OUT["conversas_analytics"]) - {"message_compiled"}
        ]
        + [c for c in ai if c not in export.LEFT_OUT["conversas_analytics_ai"]]
        + list(export.CRM_COLUMNS)
    )
    assert set(ca) - {h for h in headers} == set(export.LEFT_OUT["conversas_analytics"])
    assert result.rows == 3 and len(lines) == 4
    # Conversations of the period only, oldest first; the May one and tenant 2's are absent.
    expected = expected_rows(db_rows(dataset, 1, [1, 2, 3]), headers)
    for got, want in zip(lines[1:], expected, strict=True):
        for header, cell, value in zip(headers, got, want, strict=True):
            assert cell == expected_csv(value), header
    # The cells the rules are about, by hand.
    one, two, three = ({h: c for h, c in zip(headers, row, strict=True)} for row in lines[1:])
    assert one["conversation_created_at"] == "2026-06-10 10:00:00"  # 13:00 UTC
    assert two["conversation_created_at"] == "2026-06-11 23:00:00"  # 02:00 UTC on the 12th
    assert two["conversation_date"] == "2026-06-11"
    assert one["contact_phone"] == "'+5511967027336"  # as stored; "+" starts a formula
    assert one["labels"] == "vip, trial"
    assert one["custom_attributes"] == '{"origem":"anúncio","plano":"mensal"}'
    assert one["first_response_time_seconds"] == "125,5"
    assert one["conversation"] == (
        "Lead: Oi, quero saber do plano 0 / Bot: Olá! Sou a assistente 1 / "
        "Atendente: Oi, aqui é a Júlia 2"
    )
    assert one["probabilidade_conversao"] == "4" and one["visita_agendada"] == "true"
    assert one["data_visita"] == "2026-06-12"
    assert one["crm_signup_date"] == "2026-06-15" and one["crm_customer_name"] == "Ana S."
    assert one["crm_days_to_conversion"] == "5" and one["crm_match_score"] == "1,000"
    assert three["probabilidade_conversao"] == "" and three["crm_signup_date"] == ""
    assert three["is_lead"] == "false"


def test_conversation_xlsx_cell_by_cell(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.xlsx"
    request = ExportRequest("conversations", START, END, fmt="xlsx")
    export_file(local_url, 1, request, path)
    sheet = load_workbook(path)["Conversas"]
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    assert len(rows) == 4
    expected = expected_rows(db_rows(dataset, 1, [1, 2, 3]), headers)
    for cells, want in zip(rows[1:], expected, strict=True):
        for header, cell, value in zip(headers, cells, want, strict=True):
            if isinstance(value, Decimal):
                value = float(value)
            if isinstance(value, date) and not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)  # Excel has no plain date
            if value == "":
                value = None
            assert cell.value == value, header
            if isinstance(value, datetime):
                assert cell.number_format in (export.DATETIME_FORMAT, export.DATE_FORMAT)
    by_name = {h: c for h, c in zip(headers, rows[1], strict=True)}
    assert by_name["conversation_created_at"].value == datetime(2026, 6, 10, 10, 0)
    assert by_name["conversation_date"].number_format == export.DATE_FORMAT
    assert by_name["first_response_time_seconds"].value == 125.5
    assert by_name["has_bot_messages"].value is True


def test_formula_cells_are_text_in_both_formats(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    csv_path, xlsx_path = tmp_path / "c.csv", tmp_path / "c.xlsx"
    export_file(local_url, 1, ExportRequest("conversations", START, END), csv_path)
    export_file(local_url, 1, ExportRequest("conversations", START, END, fmt="xlsx"), xlsx_path)
    lines = read_csv(csv_path.read_bytes())
    cells = [c for row in lines for c in row]
    sheet = load_workbook(xlsx_path)["Conversas"]
    for payload in FORMULAS.values():
        assert "'" + payload in cells, payload  # shown as text, quote visible
        found = [c for row in sheet.iter_rows() for c in row if c.value == payload]
        assert found, payload
        for cell in found:
            assert cell.data_type == "s" and cell.quotePrefix, payload
    for cell in cells:
        assert cell[:1] not in ("=", "+", "@", "\t", "\r"), cell
        assert not cell.startswith("-") or cell.lstrip("-").replace(",", "").isdigit(), cell
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_masked_phones_and_phone_like_names(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    dataset.execute(
        "UPDATE conversas_analytics SET contact_name = '+5511967027336' WHERE conversation_id = 1"
    )
    path = tmp_path / "c.csv"
    export_file(local_url, 1, ExportRequest("conversations", START, END, mask_phones=True), path)
    text = path.read_text(encoding="utf-8-sig")
    lines = read_csv(path.read_bytes())
    row = dict(zip(lines[0], lines[1], strict=True))
    assert row["contact_phone"] == "'+55 11 •••••-7336"
    assert row["contact_name"] == "'+55 11 •••••-7336"
    assert row["crm_customer_phone"] == "'+55 11 •••••-7336"
    assert "967027336" not in text and "988887777" not in text


def test_tenant_isolation(dataset: psycopg.Connection, local_url: str, tmp_path: Path) -> None:
    gym, studio = tmp_path / "gym.csv", tmp_path / "studio.xlsx"
    export_file(local_url, 1, ExportRequest("conversations", START, END), gym)
    export_file(local_url, 1, ExportRequest("leads", START, END), tmp_path / "gym_leads.csv")
    export_file(
        local_url, STUDIO_ID, ExportRequest("conversations", START, END, fmt="xlsx"), studio
    )
    for path in (gym, tmp_path / "gym_leads.csv"):
        text = path.read_text(encoding="utf-8-sig")
        assert "Pilates" not in text and "Rita Studio" not in text and "31999990001" not in text
    sheet = load_workbook(studio)["Conversas"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    names = [dict(zip(values[0], r, strict=True))["contact_name"] for r in values[1:]]
    assert names == ["Paula Pilates", "Rita Studio"]
    assert not any("Ana" in str(v) or "Júlia" in str(v) for r in values for v in r)


# --- Leads ---------------------------------------------------------------------------------


def test_lead_export_rows_columns_and_filters(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "l.csv"
    result = export_file(local_url, 1, ExportRequest("leads", START, END), path)
    lines = read_csv(path.read_bytes())
    headers = lines[0]
    ai = table_columns(dataset, "conversas_analytics_ai")
    assert headers == (
        ["conversation" if c == "message_compiled" else c for c in export.LEAD_COLUMNS]
        + [c for c in ai if c not in export.LEFT_OUT["conversas_analytics_ai"]]
        + list(export.CRM_COLUMNS)
    )
    # The lead table's rows (lead conversations), in its order: latest activity first.
    assert result.rows == 2
    expected = expected_rows(db_rows(dataset, 1, [2, 1]), headers)
    for got, want in zip(lines[1:], expected, strict=True):
        assert got == [expected_csv(v) for v in want]
    # The lead table's filters narrow the file the same way.
    filtered = tmp_path / "f.xlsx"
    request = ExportRequest(
        "leads", START, END, fmt="xlsx", filters=LeadFilters(START, END, probabilities=(4,))
    )
    assert export_file(local_url, 1, request, filtered).rows == 1
    sheet = load_workbook(filtered)["Leads"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [v[0] for v in values[1:]] == [1]


# --- Streaming -----------------------------------------------------------------------------


def test_rows_stream_from_a_server_cursor_in_batches(
    dataset: psycopg.Connection, local_url: str
) -> None:
    """With batches of 2, each batch is fetched only after the rows before it were written,
    through a named cursor on the server: the export never holds more than one batch."""
    more = Rows(dataset)
    for n in range(10, 15):
        more.conversation(n, contact_id=n, day=date(2026, 6, 20), name=f"Extra {n}")
    out = io.BytesIO()
    seen: list[tuple[int, int, list[str]]] = []
    with db.tenant_connection(local_url, 1, role="reader") as conn:

        def progress(phase: str, done: int, total: int | None) -> None:
            assert phase == "export_conversations" and total == 8
            lines = out.getvalue().decode("utf-8-sig").count("\r\n")
            cursors = [r[0] for r in conn.execute("SELECT name FROM pg_cursors")]
            seen.append((done, lines, cursors))

        result = export.write_stream(
            conn, ExportRequest("conversations", START, END), out, batch_size=2, progress=progress
        )
    assert result.rows == 8
    # Before anything is written: the count. After batch k: the header and 2k rows were written
    # while the server-side cursor was still open.
    assert [(d, n) for d, n, _ in seen] == [(0, 0), (2, 3), (4, 5), (6, 7), (8, 9)]
    assert all(export.CURSOR in cursors for _, _, cursors in seen[1:])


def test_xlsx_writer_consumes_rows_lazily(tmp_path: Path) -> None:
    """The XLSX writer takes rows one at a time from a generator (openpyxl write-only)."""
    pulled: list[int] = []

    def rows() -> Any:
        for n in range(5):
            pulled.append(n)
            yield [n, f"linha {n}"]
            assert len(pulled) == n + 1  # the next row is asked for only after this one

    from allpfit.spreadsheet import write_xlsx

    write_xlsx(tmp_path / "x.xlsx", [("S", ["n", "t"], rows())])
    assert pulled == [0, 1, 2, 3, 4]
    sheet = load_workbook(tmp_path / "x.xlsx")["S"]
    assert [[c.value for c in r] for r in sheet.iter_rows()][1:] == [
        [n, f"linha {n}"] for n in range(5)
    ]


def test_a_failure_midway_leaves_no_file(dataset: psycopg.Connection, local_url: str,
                                         tmp_path: Path) -> None:  # fmt: skip
    for fmt in export.FORMATS:
        path = tmp_path / f"c.{fmt}"

        def fail(phase: str, done: int, total: int | None) -> None:
            if done >= 2:
                raise RuntimeError("disk gone")

        with pytest.raises(RuntimeError):
            export_file(
                local_url, 1, ExportRequest("conversations", START, END, fmt=fmt), path,
                batch_size=2, progress=fail,
            )  # fmt: skip
        assert list(tmp_path.iterdir()) == []
    # openpyxl's temporary sheet files of the failed workbook are gone too.
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    assert [f for f in ALL_TEMP_FILES if Path(f).exists()] == []


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (date(2026, 6, 30), date(2026, 6, 1), "after it ends"),
        (date(2025, 1, 1), date(2026, 6, 1), "at most 366 days"),
        (date(1999, 12, 1), date(1999, 12, 31), "from 2000-01-01"),
    ],
)
def test_bad_periods_are_refused(start: date, end: date, words: str) -> None:
    with pytest.raises(InputError, match=words) as caught:
        ExportRequest("conversations", start, end)
    assert caught.value.exit_code == 2


def test_unknown_kind_format_and_time_zone_are_refused() -> None:
    with pytest.raises(InputError, match="Unknown export"):
        ExportRequest("sales", START, END)
    with pytest.raises(InputError, match="format"):
        ExportRequest("leads", START, END, fmt="ods")
    with pytest.raises(InputError, match="time zone"):
        ExportRequest("leads", START, END, tz="Mars/Olympus")


# --- CLI -----------------------------------------------------------------------------------


def test_cli_writes_the_file_and_audits_it(
    dataset: psycopg.Connection, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "leads.xlsx"
    result = runner.invoke(
        app,
        ["export", "leads", "--from", "2026-06-01", "--to", "2026-06-30", "-o", str(out)]
        + ["--tenant", "default"],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 2 leads row(s)" in result.output
    sheet = load_workbook(out)["Leads"]  # the format follows the extension
    assert sheet.max_row == 3
    audit = dataset.execute(
        "SELECT action, tenant_id, detail FROM audit_log WHERE action LIKE 'export.%'"
    ).fetchall()
    assert audit == [("export.leads", 1, "2026-06-01..2026-06-30 xlsx, 2 rows, phones masked")]


def test_cli_default_file_and_mask_setting(
    dataset: psycopg.Connection,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DASHBOARD_MASK_PHONES", "true")
    args = ["export", "conversations", "--from", "2026-06-01", "--to", "2026-06-30"]
    result = runner.invoke(app, [*args, "--tenant", "default"])
    assert result.exit_code == 0, result.output
    files = list((Path(cli_env["DATA_DIR"]) / "reports").glob("export_conversations_default_*"))
    assert len(files) == 1 and files[0].suffix == ".csv"
    text = files[0].read_text(encoding="utf-8-sig")
    assert "•••••-7336" in text and "967027336" not in text
    shown = runner.invoke(app, [*args, "--tenant", "default", "--no-mask-phones"])
    assert shown.exit_code == 0, shown.output
    files = sorted((Path(cli_env["DATA_DIR"]) / "reports").glob("export_conversations_*"))
    assert len(files) == 2
    assert sum("967027336" in f.read_text(encoding="utf-8-sig") for f in files) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-06-30"], "--from '2026-13-01' is not a date"),
        (["--from", "2026-06-30", "--to", "2026-06-01"], "after it ends"),
        (["--from", "2024-01-01", "--to", "2026-06-30"], "at most 366 days"),
        (
            ["--from", "2026-06-01", "--to", "2026-06-30", "--tenant", "nope"],
            "There is no tenant 'nope'",
        ),
        (
            ["--from", "2026-06-01", "--to", "2026-06-30", "--format", "csv", "-o", "x.xlsx"],
            "does not end in .csv",
        ),
    ],
)
def test_cli_bad_input_exits_2_with_no_file(
    dataset: psycopg.Connection, cli_env: dict[str, str], args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["export", "conversations", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    reports = Path(cli_env["DATA_DIR"]) / "reports"
    assert not reports.exists() or not list(reports.iterdir())
    assert not list(Path.cwd().glob("x.xlsx*"))


def test_cli_needs_a_tenant_when_there_are_several(
    dataset: psycopg.Connection, cli_env: dict[str, str]
) -> None:
    result = runner.invoke(
        app, ["export", "leads", "--from", "2026-06-01", "--to", "2026-06-30"]
    )  # two tenants: which one?
    assert result.exit_code == 2 and "--tenant SLUG" in result.output


def test_cli_refuses_to_overwrite(
    dataset: psycopg.Connection, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "keep.csv"
    out.write_text("mine")
    args = ["export", "leads", "--from", "2026-06-01", "--to", "2026-06-30", "-o", str(out)]
    result = runner.invoke(app, [*args, "--tenant", "default"])
    assert result.exit_code == 2 and "already exists" in result.output
    assert out.read_text() == "mine"
    result = runner.invoke(app, [*args, "--tenant", "default", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert read_csv(out.read_bytes())[0][0] == "conversation_id"


# --- Agents --------------------------------------------------------------------------------


def test_agent_export_is_the_report_definition(
    dataset: psycopg.Connection, local_url: str, tmp_path: Path
) -> None:
    """One row per agent, every figure of `metrics.dimension_metrics` (the agents page's one
    definition) and the previous period's, cell by cell."""
    events = [
        {"name": "first_response", "at": "2026-06-10T13:10:00+00:00", "value": 600,
         "business": 600, "user_id": 7, "user_name": "Júlia", "inbox_id": 1},
        {"name": "conversation_resolved", "at": "2026-06-10T14:00:00+00:00", "value": 3600,
         "business": 3600, "user_id": 7, "user_name": "Júlia", "inbox_id": 1},
    ]  # fmt: skip
    dataset.execute(
        "UPDATE conversas_analytics SET report_events = %s, source_updated_at = "
        "'2026-06-10 14:00+00' WHERE tenant_id = 1 AND "
        "conversation_id = 1",
        (json.dumps(events),),
    )
    path = tmp_path / "a.xlsx"
    export_file(local_url, 1, ExportRequest("agents", START, END, fmt="xlsx"), path)
    sheet = load_workbook(path)["Agentes"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    with db.tenant_connection(local_url, 1, role="reader") as conn:
        figures = metrics.dimension_metrics(conn, "agent", START, END, timezone="America/Sao_Paulo")
    headers, rows = export.agent_table(figures)
    assert values[0] == headers
    assert values[1:] == rows and rows
    julia = dict(zip(headers, values[1], strict=True))
    assert julia["agent_id"] == "7" and julia["agent_name"] == "Júlia"
    assert julia["first_response_avg"] == 600 and julia["resolutions"] == 1
    assert "previous_conversations" in headers
    csv_path = tmp_path / "a.csv"
    export_file(local_url, 1, ExportRequest("agents", START, END), csv_path)
    lines = read_csv(csv_path.read_bytes())
    assert lines[0] == headers
    assert lines[1:] == [[expected_csv(v) for v in row] for row in rows]


def test_cli_agent_export(
    dataset: psycopg.Connection, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "agentes.csv"
    args = ["export", "agents", "--from", "2026-06-01", "--to", "2026-06-30", "-o", str(out)]
    result = runner.invoke(app, [*args, "--tenant", "default", "--business-hours"])
    assert result.exit_code == 0, result.output
    lines = read_csv(out.read_bytes())
    assert lines[0][:3] == ["agent_id", "agent_name", "conversations"]
    julia = dict(zip(lines[0], lines[1], strict=True))  # the assignee of conversation 1
    assert julia["agent_name"] == "Júlia" and julia["conversations"] == "1"


def test_cli_unwritable_output_exits_2_and_leaves_nothing(
    dataset: psycopg.Connection, cli_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    out = blocker / "leads.csv"
    args = ["export", "leads", "--from", "2026-06-01", "--to", "2026-06-30", "-o", str(out)]
    result = runner.invoke(app, [*args, "--tenant", "default"])
    assert result.exit_code == 2, result.output
    assert "Cannot write" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "a file where the folder should be"
    assert not dataset.execute("SELECT 1 FROM audit_log WHERE action LIKE 'export.%'").fetchall()
