"""Which column of a CRM export is which, and how to read its cells.

Headers are compared after normalisation (lower case, accents and punctuation removed), so
`Data Conversão`, `data_conversao` and `DATA DE CONVERSÃO` all read as `dataconversao`/
`datadeconversao`. Required: a name, a phone and at least one date column; the error lists
what is missing, what was found, and the accepted names. Dates are read day-first
(`15/03/2026`), as Brazilian spreadsheets write them, or ISO; Excel date cells arrive as dates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from allpfit.errors import InputError

SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("nome", "nomecompleto", "cliente", "nomedocliente", "nomecliente", "aluno",
             "nomedoaluno", "nomealuno", "membro", "nomemembro", "name", "fullname",
             "customername", "customer"),
    "first_name": ("primeironome", "firstname"),
    "last_name": ("sobrenome", "ultimonome", "lastname"),
    "mobile": ("celular", "telefonecelular", "whatsapp", "whats", "cel", "celular1",
               "mobile", "cellphone", "mobilephone", "fonecelular"),
    "phone": ("telefone", "fone", "phone", "telefone1", "telefoneprincipal", "tel",
              "telefoneresidencial", "contato", "telephone"),
    "id": ("id", "codigo", "cod", "matricula", "idcliente", "idmember", "idmembro", "idaluno",
           "codigocliente", "codigodocliente", "numeromatricula", "externalid", "customerid"),
    "email": ("email", "emailprincipal", "correioeletronico", "mail"),
    "register_date": ("datacadastro", "datadecadastro", "cadastro", "dtcadastro",
                      "dataregistro", "datainclusao", "datacriacao", "registerdate",
                      "registrationdate", "createdat"),
    "conversion_date": ("dataconversao", "datadeconversao", "conversao", "dtconversao",
                        "datamatricula", "datadematricula", "conversiondate"),
    "sale_date": ("datavenda", "datadavenda", "datadevenda", "dtvenda", "dataprimeiravenda",
                  "saledate", "venda"),
    "status": ("status", "situacao", "statuscliente", "membershipstatus"),
}  # fmt: skip
DATE_FIELDS = ("register_date", "conversion_date", "sale_date")


def normalise_header(value: object) -> str:
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


_LOOKUP = {alias: name for name, aliases in SYNONYMS.items() for alias in aliases}


@dataclass
class ColumnMap:
    """Index of each recognised field in the header row; `ignored` lists the other headers."""

    index: dict[str, int] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def phone_columns(self) -> list[int]:
        return [self.index[f] for f in ("mobile", "phone") if f in self.index]

    def describe(self) -> str:
        return ", ".join(f"{name}={self.headers[i]!r}" for name, i in self.index.items())


def recognised(headers: list[object]) -> int:
    """How many of `headers` name a known field (to find the header row under a title)."""
    return sum(1 for h in headers if normalise_header(h) in _LOOKUP)


def detect(headers: list[object], *, where: str) -> ColumnMap:
    """Map header texts to fields, or raise an InputError listing what is missing."""
    cmap = ColumnMap(headers=[str(h).strip() if h is not None else "" for h in headers])
    for i, header in enumerate(cmap.headers):
        name = _LOOKUP.get(normalise_header(header))
        if name is None or name in cmap.index:
            if header:
                cmap.ignored.append(header)
            continue
        cmap.index[name] = i
    missing = []
    if "name" not in cmap.index and "first_name" not in cmap.index:
        missing.append("name (e.g. Nome, Nome completo, Cliente)")
    if not cmap.phone_columns():
        missing.append("phone (e.g. Celular, Telefone, WhatsApp)")
    if not any(f in cmap.index for f in DATE_FIELDS):
        missing.append("a date (e.g. Data Cadastro, Data Conversão, Data da venda)")
    if missing:
        found = ", ".join(repr(h) for h in cmap.headers if h) or "(no headers)"
        raise InputError(
            f"{where}: missing column(s): {'; '.join(missing)}. Headers found: {found}.",
            hint="Rename the columns in the spreadsheet (or export again with them) so a name, "
            "a phone and a date column are present; docs/crm.md lists every accepted header.",
        )
    return cmap


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T].*)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: object) -> date | None:
    """A cell as a date; None for an empty cell; ValueError (with the text) when unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # an Excel serial day number (1954-2119)
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"not a date: {value!r}")
    text = str(value).strip()
    if not text or text in {"-", "--"}:
        return None
    try:
        if m := _DMY.match(text):
            day, month, year = int(m[1]), int(m[2]), int(m[3])
            if year < 100:  # two-digit years: 00-69 are 20xx, 70-99 are 19xx
                year += 2000 if year < 70 else 1900
            return date(year, month, day)
        if m := _YMD.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise ValueError(f"not a date: {text!r} (expected dd/mm/yyyy)")


def text(value: object) -> str | None:
    """A cell as stripped text (numbers without a trailing .0); None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}" if value.time() == time() else f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None
