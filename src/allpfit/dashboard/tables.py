"""Query rows → the tables the sales team reads, and the CSV they download.

The lead table on screen and the CSV share one conversion (`lead_display`), so the download
has exactly the columns and formatting of the table; only the conversation text differs (cut
on screen, whole in the file). No Streamlit here.
"""

from __future__ import annotations

import io
from datetime import date
from typing import IO

import pandas as pd
import psycopg

from allpfit.dashboard import texts
from allpfit.dashboard.queries import LeadFilters, iter_leads
from allpfit.spreadsheet import SafeCsvWriter


def _text(value: object) -> str:
    """A cell as text: "" for NULL, whatever pandas turned it into (None, NaN, pd.NA)."""
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return ""
    return str(value)


def _texts(column: pd.Series) -> list[str]:
    return [_text(v) for v in column]


def _phones(column: pd.Series, mask: bool) -> list[str]:
    return [texts.format_phone(_text(p), mask=mask) for p in column]


def lead_display(
    rows: pd.DataFrame, *, tz: str, mask_phones: bool, truncate: int | None
) -> pd.DataFrame:
    """Rows of `queries.leads_page`/`iter_leads` → columns `texts.LEAD_COLUMNS`, all text."""
    if rows.empty:
        return pd.DataFrame(columns=list(texts.LEAD_COLUMNS))
    out = pd.DataFrame(
        {
            "Nome": [texts.mask_name(n, mask=mask_phones) for n in _texts(rows["nome"])],
            "Nome Mapeado Bot": _texts(rows["nome_mapeado_bot"]),
            "Celular": _phones(rows["celular"], mask_phones),
            "Condição Física": _texts(rows["condicao_fisica"]),
            "Objetivo": _texts(rows["objetivo"]),
            "Primeiro Contato": [texts.fmt_datetime(v, tz) for v in rows["primeiro_contato"]],
            "Última Conversa": [texts.fmt_datetime(v, tz) for v in rows["ultima_conversa"]],
            "Conversa": [texts.conversation_text(m, truncate) for m in rows["message_compiled"]],
            "Análise IA": _texts(rows["analise_ia"]),
            "Sugestão de Disparo": [
                texts.OPTED_OUT if _flag(o) else s
                for s, o in zip(_texts(rows["sugestao_disparo"]), rows["opted_out"], strict=True)
            ],
            "Probabilidade": ["" if pd.isna(v) else str(int(v)) for v in rows["probabilidade"]],
            "Data da Visita": [
                texts.visit_date_text(_flag(v), _day(d))
                for v, d in zip(rows["visita_agendada"], rows["data_visita"], strict=True)
            ],
        }
    )
    return out[list(texts.LEAD_COLUMNS)]


def _flag(value: object) -> bool:
    """A boolean cell: False for NULL (no profile); numpy and Python booleans alike."""
    return False if value is None or pd.isna(value) else bool(value)


def _day(value: object) -> date | None:
    """A date cell: None for NULL however pandas spelled it (None, NaN, NaT)."""
    return value if isinstance(value, date) else None


def conversion_display(rows: pd.DataFrame, *, mask_phones: bool) -> pd.DataFrame:
    """Rows of `queries.conversions_page` → pt-BR columns, dates and numbers as text."""
    columns = list(texts.CONVERSION_COLUMNS.values())
    if rows.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(
        {
            "cliente": [texts.mask_name(n, mask=mask_phones) for n in _texts(rows["cliente"])],
            "celular": _phones(rows["celular"], mask_phones),
            "lead": [texts.mask_name(n, mask=mask_phones) for n in _texts(rows["lead"])],
            "primeira_conversa": [texts.fmt_date(d) for d in rows["primeira_conversa"]],
            "matricula": [texts.fmt_date(d) for d in rows["matricula"]],
            "dias": [texts.fmt_int(d) for d in rows["dias"]],
            "tipo_match": [texts.MATCH_TYPES.get(t, t) for t in _texts(rows["tipo_match"])],
            "score_match": [texts.fmt_pct(s, 0) for s in rows["score_match"]],
            "probabilidade": ["" if pd.isna(v) else str(int(v)) for v in rows["probabilidade"]],
        }
    )
    return out.rename(columns=texts.CONVERSION_COLUMNS)


def write_leads_csv(
    conn: psycopg.Connection,
    filters: LeadFilters,
    out: IO[bytes],
    *,
    tz: str,
    mask_phones: bool,
    chunk_size: int = 2000,
) -> int:
    """Write the whole filtered lead set as CSV to `out`, chunk by chunk; return the row count.

    Brazilian Excel opens it directly: UTF-8 with BOM, `;` as separator. The conversation
    column holds the whole text. Cells that could start a formula are escaped
    (`allpfit.spreadsheet`). `conn` must not be autocommit (server-side cursor).
    """
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = SafeCsvWriter(text, delimiter=";")  # names from WhatsApp never run as formulas
    writer.writerow(texts.LEAD_COLUMNS)
    count = 0
    for chunk in iter_leads(conn, filters, chunk_size):
        table = lead_display(chunk, tz=tz, mask_phones=mask_phones, truncate=None)
        writer.writerows(table.itertuples(index=False, name=None))
        count += len(table)
    text.flush()
    text.detach()
    return count
