"""Every Portuguese word the sales team reads, and pt-BR number/date/percent formatting.

Kept in one place so the wording is consistent across pages, charts and the CSV, and so the
formatting rules ("1.234", "12,5%", "25/11/2026") are written once. Pure functions only: no
Streamlit, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

APP_TITLE = "AllpFit Analytics"
EMPTY = "—"
NO_DATA = "Sem dados no período selecionado."

# --- Pages ---
PAGE_OVERVIEW = "Visão geral"
PAGE_DAILY = "Resultados do dia"
PAGE_CONVERSIONS = "Conversões (CRM)"
PAGE_LEADS = "Leads"

# --- Sidebar ---
FILTERS = "Filtros"
PERIOD = "Período"
PERIOD_HELP = "Data da conversa (criação), no fuso horário da academia."
REFRESH = "Atualizar dados"
REFRESH_HELP = "Os números ficam em cache por 5 minutos; isto busca tudo de novo agora."
MASK_PHONES = "Ocultar celulares"
MASK_PHONES_HELP = "Mostra só o DDD e os 4 últimos dígitos (também no CSV)."
LOGOUT = "Sair"
LOGGED_AS = "Conectado como **{user}**"

# --- Login ---
LOGIN_TITLE = "Entrar no painel"
LOGIN_USER = "Usuário"
LOGIN_PASSWORD = "Senha"
LOGIN_BUTTON = "Entrar"
LOGIN_FAILED = "Usuário ou senha incorretos."
LOGIN_FAILED_PASSWORD = "Senha incorreta."

# --- Database errors ---
DB_UNREACHABLE = "Não foi possível acessar o banco de dados de análise."
DB_UNREACHABLE_HINT = (
    "Verifique se o PostgreSQL está no ar e se DATABASE_URL / LOCAL_DB_* estão corretos no "
    "`.env` (sem eles, o painel usa o banco embutido em DATA_DIR). Depois clique em "
    "“Atualizar dados”."
)
DB_DETAILS = "Detalhes técnicos"
CONFIG_INVALID = "A configuração do painel é inválida."

# --- Overview KPIs ---
KPI_CONTACTS = "Total Contatos"
KPI_CONTACTS_HELP = "Contatos distintos com ao menos uma conversa com mensagem do lead no período."
KPI_AI = "Conversas IA"
KPI_AI_HELP = "Conversas de leads atendidas só pelo bot (nenhuma mensagem de atendente)."
KPI_HUMAN = "Conversas Humanas"
KPI_HUMAN_HELP = "Conversas de leads em que um atendente respondeu."
KPI_VISITS = "Visitas Agendadas"
KPI_VISITS_HELP = "Conversas de leads em que a análise de IA identificou visita agendada."
KPI_TRAFFIC_SALES = "Vendas do Tráfego"
KPI_TRAFFIC_SALES_HELP = (
    "Clientes do CRM que vieram de uma conversa (cruzamento por celular), com matrícula no período."
)
KPI_TOTAL_SALES = "Vendas Totais"
KPI_TOTAL_SALES_HELP = "Clientes do CRM com matrícula no período (todas as origens)."

# --- Daily results ---
DAILY_TITLE = "Resultados de hoje, {day}"
KPI_NEW_LEADS = "Novos Leads"
KPI_NEW_LEADS_HELP = "Contatos cuja primeira conversa (com mensagem do lead) foi hoje."
KPI_VISITS_TODAY = "Visitas para hoje"
KPI_VISITS_TODAY_HELP = (
    "Conversas de leads com visita ou aula experimental agendada para hoje (data lida da "
    "conversa pela análise de IA). Visitas agendadas sem data identificada não entram aqui: "
    "aparecem como “sem data” na coluna Data da Visita da página Leads."
)
DAILY_EMPTY = "Nenhuma conversa nem matrícula registrada hoje até agora."
KPI_SALES_TODAY = "Vendas hoje"
KPI_SALES_TODAY_HELP = "Clientes do CRM com matrícula hoje (todas as origens)."
KPI_CONVERSATIONS_TODAY = "Conversas hoje"
KPI_CONVERSATIONS_TODAY_HELP = "Conversas de leads com atividade hoje."
KPI_NEW_CONVERSATIONS = "Conversas novas"
KPI_NEW_CONVERSATIONS_HELP = "Conversas de leads criadas hoje."
KPI_REOPENED = "Conversas reabertas"
KPI_REOPENED_HELP = "Conversas reabertas (o lead voltou a falar) com atividade hoje."

# --- Charts ---
CHART_LEADS_PER_DAY = "Leads por dia"
CHART_TREND = "Tendência"
CHART_DAY = "Dia"
CHART_LEADS = "Leads"
CHART_PERIOD = "Conversas por período do dia"
CHART_PERIOD_AXIS = "Período"
CHART_CONVERSATIONS = "Conversas"
CHART_FUNNEL = "Funil: lead → visita → venda"
FUNNEL_CAPTION = (
    "Contatos com conversa no período → quantos agendaram visita → quantos viraram clientes "
    "no CRM (em qualquer data)."
)
FUNNEL_STAGES = ("Leads", "Visitas agendadas", "Vendas")
CHART_SCORE = "Conversão por probabilidade da IA"
SCORE_CAPTION = (
    "A nota de probabilidade (0 a 5) prevê as vendas? Taxa = conversas cujo contato se "
    "matriculou depois ÷ conversas analisadas com aquela nota."
)
CHART_SCORE_AXIS = "Probabilidade (IA)"
CHART_RATE = "Taxa de conversão"
CHART_SALES = "Vendas"

PERIODS = {"madrugada": "Madrugada", "manhã": "Manhã", "tarde": "Tarde", "noite": "Noite"}

# --- Conversions (CRM) ---
CONVERSIONS_TITLE = "Conversões do tráfego (CRM)"
CONVERSIONS_CAPTION = (
    "Clientes do CRM cujo celular bate com um lead do Chatwoot e cuja matrícula veio depois da "
    "primeira conversa. Uma linha por cliente (a primeira conversa)."
)
CONVERSIONS_EMPTY = "Nenhuma conversão do tráfego com matrícula no período."
CONVERSIONS_TOTAL = "Conversões"
CONVERSIONS_AVG_DAYS = "Dias até a matrícula (média)"
CONVERSIONS_MEDIAN_DAYS = "Dias até a matrícula (mediana)"
MATCH_TYPES = {  # conversas_crm_match_real.match_type, see crm/match.py
    "exact": "Celular idêntico",
    "ninth_digit": "Celular (nono dígito)",
    "local_number": "Celular sem DDD",
}
CONVERSION_COLUMNS = {
    "cliente": "Cliente (CRM)",
    "celular": "Celular",
    "lead": "Nome no Chatwoot",
    "primeira_conversa": "Primeira conversa",
    "matricula": "Matrícula",
    "dias": "Dias até a matrícula",
    "tipo_match": "Tipo de cruzamento",
    "score_match": "Confiança do cruzamento",
    "probabilidade": "Probabilidade (IA)",
}

# --- Leads ---
LEADS_TITLE = "Leads"
LEADS_EMPTY = "Nenhum lead encontrado com estes filtros."
FILTER_NAME = "Nome ou celular"
FILTER_NAME_HELP = "Parte do nome (Chatwoot ou o nome que o lead deu ao bot) ou do celular."
FILTER_PROBABILITY = "Probabilidade (IA)"
FILTER_CONDITION = "Condição física"
FILTER_GOAL = "Objetivo contém"
FILTER_ANY = "Todas"
LEADS_COUNT = "{total} leads encontrados · página {page} de {pages}"
PAGE_PREVIOUS = "← Anterior"
PAGE_NEXT = "Próxima →"
PAGE_NUMBER = "Página"
DOWNLOAD_CSV = "Baixar CSV (todos os filtrados)"
CSV_FILE = "leads_{start}_{end}.csv"
CONDITIONS = ("Sedentário", "Iniciante", "Intermediário", "Avançado")
LEAD_COLUMNS = (
    "Nome",
    "Nome Mapeado Bot",
    "Celular",
    "Condição Física",
    "Objetivo",
    "Primeiro Contato",
    "Última Conversa",
    "Conversa",
    "Análise IA",
    "Sugestão de Disparo",
    "Probabilidade",
    "Data da Visita",
)
VISIT_NO_DATE = "sem data"  # visit scheduled, day unknown (Data da Visita)
SENDERS = {"contact": "Lead", "bot": "Bot", "agent": "Atendente"}
CONVERSATION_TRUNCATE = 280


def fmt_int(value: int | float | None) -> str:
    """1234 → "1.234" (pt-BR thousands separator)."""
    if value is None:
        return EMPTY
    return f"{round(value):,}".replace(",", ".")


def fmt_decimal(value: float | None, digits: int = 1) -> str:
    """12.5 → "12,5"."""
    if value is None:
        return EMPTY
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_pct(ratio: float | None, digits: int = 1) -> str:
    """0.125 → "12,5%" (a ratio, not a percentage, goes in)."""
    if ratio is None:
        return EMPTY
    return fmt_decimal(ratio * 100, digits) + "%"


def fmt_date(value: date | None) -> str:
    """date(2026, 11, 25) → "25/11/2026"."""
    if value is None:
        return EMPTY
    return value.strftime("%d/%m/%Y")


def visit_date_text(scheduled: bool, day: date | None) -> str:
    """The lead table's Data da Visita: "25/11/2026"; "sem data" when a visit is scheduled
    but its day is unknown (profiles from before the column, or nothing said); "" when no
    visit is scheduled or the lead has no profile yet."""
    if not scheduled:
        return ""
    return fmt_date(day) if day is not None else VISIT_NO_DATE


def fmt_datetime(value: datetime | None, tz: str) -> str:
    """An aware datetime → "25/11/2026 14:30" in the business time zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")


_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str:
    """ "+5511987654321" → "+55 11 •••••-4321": enough to recognise, not to dial.

    Keeps the country and area code (where the lead is from) and the last four digits (how
    people tell numbers apart); hides the rest.
    """
    if not phone:
        return ""
    digits = _DIGITS.sub("", phone)
    if len(digits) < 6:
        return "•" * len(digits)
    tail = digits[-4:]
    if digits.startswith("55") and len(digits) >= 12:
        return f"+55 {digits[2:4]} •••••-{tail}"
    return "•" * (len(digits) - 4) + tail


def mask_name(name: str, *, mask: bool) -> str:
    """A contact name, masked like a phone when it IS a phone.

    Chatwoot names WhatsApp contacts who never set a name after their number
    ("+551183476177"), so masking only the phone column would leak it through the name.
    """
    if mask and name and len(_DIGITS.sub("", name)) >= 8 and not any(c.isalpha() for c in name):
        return mask_phone(name)
    return name


def conversation_text(messages: Iterable[Mapping[str, Any]] | None, limit: int | None) -> str:
    """Render message_compiled as "Lead: ... / Bot: ... / Atendente: ...".

    System messages and empty texts are left out. `limit` truncates (with "…") for the table;
    the CSV passes None and gets the whole conversation.
    """
    parts = []
    for message in messages or ():
        who = SENDERS.get(str(message.get("sender")))
        text = (message.get("text") or "").strip()
        if who is None or not text:
            continue
        parts.append(f"{who}: {' '.join(text.split())}")
    rendered = " / ".join(parts)
    if limit is not None and len(rendered) > limit:
        return rendered[: limit - 1].rstrip() + "…"
    return rendered
