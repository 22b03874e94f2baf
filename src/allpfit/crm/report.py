"""The crossmatch report a gym employee opens: `DATA_DIR/reports/crm_match_<time>.csv/.xlsx`.

The CSV holds the conversions, `;`-separated in UTF-8 with a BOM so Excel in Portuguese opens
it as columns. The workbook has three sheets: the conversions, the ambiguous phones (several
customers on one lead's phone, excluded from the table) and a summary. Column names are the
table's, so a report row and a conversas_crm_match_real row read the same. Both files are
written by `allpfit.spreadsheet`, so a customer named `=HYPERLINK(...)` is text, never a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from allpfit.spreadsheet import report_stem, write_csv, write_xlsx

if TYPE_CHECKING:
    from allpfit.crm.match import Ambiguous, Match, MatchSummary

CONVERSION_HEADERS = [
    "conversation_id",
    "contact_phone",
    "crm_customer_id",
    "crm_source",
    "crm_external_id",
    "crm_customer_name",
    "crm_customer_phone",
    "match_type",
    "match_score",
    "conversation_date",
    "crm_signup_date",
    "days_to_conversion",
    "lead_conversations",
]
AMBIGUOUS_HEADERS = [
    "contact_phone",
    "conversation_id",
    "conversation_date",
    "customers",
    "customer_names",
    "customer_phones",
]


def conversion_rows(matches: list[Match]) -> list[list[Any]]:
    return [
        [
            m.lead.conversation_id,
            m.lead.contact_phone,
            m.customer.id,
            m.customer.source,
            m.customer.external_id,
            m.customer.name,
            m.customer.phone_display,
            m.match_type,
            m.score,
            m.lead.conversation_date,
            m.customer.signup,
            m.days,
            m.lead.conversations,
        ]
        for m in sorted(matches, key=lambda m: (m.customer.rank(), m.lead.conversation_id))
    ]


def ambiguous_rows(ambiguous: list[Ambiguous]) -> list[list[Any]]:
    return [
        [
            a.lead.contact_phone,
            a.lead.conversation_id,
            a.lead.conversation_date,
            len(a.customers),
            " | ".join(f"{c.name or '?'} ({c.source} {c.external_id})" for c in a.customers),
            " | ".join(c.phone_display or "" for c in a.customers),
        ]
        for a in sorted(ambiguous, key=lambda a: a.lead.contact_phone)
    ]


def summary_rows(summary: MatchSummary) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Clientes no CRM", summary.customers],
        ["Clientes com telefone utilizável", summary.customers_with_phone],
        ["Conversas com telefone", summary.conversations],
        ["Leads (telefones distintos)", summary.leads],
        ["Telefones de contato inválidos", summary.invalid_contact_phones],
        ["Leads encontrados no CRM", summary.matched_leads],
        ["Conversões (primeira conversa antes do cadastro)", summary.conversions],
    ]
    rows += [[f"  por tipo: {kind}", n] for kind, n in summary.by_type.items()]
    rows += [
        ["Já eram clientes quando conversaram", summary.already_customers],
        ["Sem data de cadastro no CRM", summary.no_signup_date],
        ["Telefones ambíguos (excluídos)", len(summary.ambiguous)],
    ]
    return rows


def write_report(
    report_dir: Path,
    summary: MatchSummary,
    conversions: list[Match],
    ambiguous: list[Ambiguous],
    tenant_slug: str = "default",
) -> tuple[Path, Path]:
    """Write the CSV and the XLSX (formula-safe, complete or absent); return their paths.

    If the workbook cannot be written, the CSV just written is removed too, so a failed run
    leaves no report that looks like a successful one.
    """
    stem = report_stem(report_dir, "crm_match", tenant_slug, ".csv", ".xlsx")
    csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
    rows = conversion_rows(conversions)
    write_csv(csv_path, CONVERSION_HEADERS, rows)
    try:
        write_xlsx(
            xlsx_path,
            [
                ("Conversões", CONVERSION_HEADERS, rows),
                ("Telefones ambíguos", AMBIGUOUS_HEADERS, ambiguous_rows(ambiguous)),
                ("Resumo", ["Indicador", "Valor"], summary_rows(summary)),
            ],
        )
    except BaseException:
        csv_path.unlink(missing_ok=True)
        raise
    return csv_path, xlsx_path
