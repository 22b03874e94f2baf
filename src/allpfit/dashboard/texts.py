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

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from allpfit import ptbr

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
PERIOD_HELP = (
    "Data da conversa (criação), no fuso horário da academia; para vendas, a data da "
    "matrícula. No máximo {days} dias, até hoje."
)
PERIOD_CLAMPED = (
    "O período pedido ({asked}) foi ajustado para {start} a {end}: no máximo {days} dias, "
    "entre 01/01/2000 e hoje."
)
REFRESH = "Atualizar dados"
REFRESH_HELP = "Os números ficam em cache por 5 minutos; isto busca tudo de novo agora."
MASK_PHONES = "Ocultar celulares"
MASK_PHONES_HELP = "Mostra só o DDI, o DDD e os 4 últimos dígitos (também no CSV)."
LOGOUT = "Sair"
LOGGED_AS = "Conectado como **{user}**"

# --- Login ---
LOGIN_TITLE = "Entrar no painel"
LOGIN_USER = "Usuário"
LOGIN_EMAIL = "E-mail"
LOGIN_PASSWORD = "Senha"
LOGIN_BUTTON = "Entrar"
LOGIN_FAILED = "Usuário ou senha incorretos."
LOGIN_FAILED_PASSWORD = "Senha incorreta."
LOGIN_FAILED_EMAIL = "E-mail ou senha incorretos."
LOGIN_SESSION_ENDED = "Sua sessão terminou. Entre de novo para continuar."
LOGIN_THROTTLED = "Muitas tentativas sem sucesso. Aguarde {wait} e tente de novo."
LOGIN_UNAVAILABLE = "Não foi possível verificar o acesso agora."
LOGIN_UNAVAILABLE_HINT = (
    "Tente de novo em instantes. Se continuar, avise o administrador do painel: o registro do "
    "servidor tem os detalhes."
)

# --- Database errors ---
DB_UNREACHABLE = "Não foi possível acessar o banco de dados de análise."
DB_UNREACHABLE_HINT = (
    "Verifique se o PostgreSQL está no ar e se DATABASE_URL / LOCAL_DB_* estão corretos no "
    "`.env` (sem eles, o painel usa o banco embutido em DATA_DIR). Depois clique em "
    "“Atualizar dados”."
)
DB_DETAILS = "Detalhes técnicos"
DB_QUERY_FAILED = "Não foi possível carregar os dados desta página."
DB_QUERY_FAILED_HINT = (
    "Confira os filtros e clique em “Atualizar dados”. Se continuar, avise o administrador do "
    "painel: o registro do servidor tem os detalhes."
)
CONFIG_INVALID = "A configuração do painel é inválida."

# --- Overview KPIs ---
KPI_CONTACTS = "Total Contatos"
KPI_CONTACTS_HELP = (
    "Contatos distintos com ao menos uma conversa com mensagem do lead no período (conversas "
    "apagadas no Chatwoot não contam em nenhum número)."
)
KPI_AI = "Conversas IA"
KPI_AI_HELP = "Conversas de leads atendidas só pelo bot (nenhuma mensagem de atendente)."
KPI_HUMAN = "Conversas Humanas"
KPI_HUMAN_HELP = "Conversas de leads em que um atendente respondeu."
KPI_VISITS = "Visitas Agendadas"
KPI_VISITS_HELP = "Conversas de leads em que a análise de IA identificou visita agendada."
KPI_TRAFFIC_SALES = "Vendas do Tráfego"
KPI_TRAFFIC_SALES_HELP = (
    "Clientes do CRM com matrícula no período cuja primeira conversa com o bot (cruzamento por "
    "celular) veio antes da matrícula. É o mesmo número do funil, do gráfico por "
    "probabilidade e da página Conversões."
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
    "Contatos com conversa no período → quantos agendaram visita → vendas do tráfego com "
    "matrícula no período (o mesmo número do indicador; a primeira conversa pode ser anterior)."
)
FUNNEL_STAGES = ("Leads", "Visitas agendadas", "Vendas")
CHART_SCORE = "Conversão por probabilidade da IA"
SCORE_CAPTION = (
    "A nota de probabilidade (0 a 5) prevê as vendas? Vendas = vendas do tráfego com "
    "matrícula no período, pela nota da primeira conversa do cliente. Taxa = vendas ÷ "
    "conversas com aquela nota (as do período e as que viraram venda no período)."
)
SCORE_NONE = "Sem análise"
CHART_TODAY_PARTIAL = "Hoje (parcial)"
CHART_TREND_HELP = "A tendência usa só os dias completos: hoje ainda não acabou."

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
LEADS_COUNT = "{leads} · página {page} de {pages}"
LEAD_WORDS = ("lead encontrado", "leads encontrados")
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
EXPORT_REFUSED = "Seu perfil não permite exportar dados."

# --- Tenants, roles and the manual sync (sidebar) ---
TENANT = "Empresa"
TENANT_HELP = "A empresa cujos dados o painel mostra. Só administradores trocam de empresa."
TENANT_SHOWN = "Empresa: **{name}**"
TENANT_UNAVAILABLE = "Sua empresa está desativada ou não existe mais neste painel."
TENANT_UNAVAILABLE_HINT = "Fale com o administrador do painel."
NO_TENANTS = "Nenhuma empresa ativa neste painel."
NO_TENANTS_HINT = "Crie uma com `allpfit tenant add` ou reative uma com `allpfit tenant edit`."
ROLES = {"admin": "Administrador", "manager": "Gerente", "viewer": "Visualizador"}
ROLE_SHOWN = "Perfil: {role}"
MASKED_BY_ROLE = "Celulares ocultos (perfil Visualizador)."
SYNC_NOW = "Sincronizar agora"
SYNC_NOW_HELP = (
    "Roda agora, em segundo plano, a sincronização com o Chatwoot, a análise de IA e o CRM "
    "desta empresa (o mesmo que a rotina de hora em hora)."
)
SYNC_RUNNING = "Sincronização em andamento desde {time}."
SYNC_DONE = "Sincronização concluída às {time}. Clique em “Atualizar dados” para ver os números."
SYNC_FAILED = "A sincronização terminou com erro às {time}."
SYNC_BUSY = "Já há uma sincronização em andamento para esta empresa."
SYNC_REFUSED = "Seu perfil não permite iniciar sincronizações."
SYNC_START_FAILED = "Não foi possível iniciar a sincronização."

# --- Admin page ---
PAGE_ADMIN = "Administração"
ADMIN_REFUSED = "Esta página é só para administradores."
ADMIN_REFUSED_HINT = "Use o menu ao lado para voltar aos painéis da sua empresa."
ADMIN_TENANTS = "Empresas"
ADMIN_TENANTS_CAPTION = (
    "Leads no mês = contatos distintos com conversa de lead criada neste mês; custo de IA = "
    "análises iniciadas neste mês. O mês é o do fuso horário de cada empresa."
)
ADMIN_TENANT_COLUMNS = {
    "empresa": "Empresa",
    "slug": "Identificador",
    "ativa": "Ativa",
    "ultima_sync": "Última sincronização",
    "situacao": "Situação",
    "leads_mes": "Leads no mês",
    "custo_mes": "Custo IA no mês (US$)",
    "orcamento": "Orçamento IA mensal (US$)",
}
RUN_STATUSES = {
    "running": "em andamento",
    "success": "sucesso",
    "failed": "falhou",
    "interrupted": "interrompida",
    "refused": "recusada",
    None: "nunca sincronizada",
}
ADMIN_RUN_TENANT = "Empresa para sincronizar"
ADMIN_RUN_NOW = "Rodar pipeline agora"
ADMIN_USERS = "Usuários"
ADMIN_USERS_TENANT = "Usuários da empresa"
ADMIN_USERS_ALL = "Todas"
ADMIN_USERS_EMPTY = "Nenhum usuário cadastrado."
ADMIN_USER_COLUMNS = {
    "email": "E-mail",
    "papel": "Perfil",
    "empresa": "Empresa",
    "ativo": "Ativo",
    "ultimo_acesso": "Último acesso",
}
ADMIN_ALL_TENANTS = "Todas (administrador)"
ADMIN_ADD_USER = "Adicionar usuário"
ADMIN_EMAIL = "E-mail"
ADMIN_ROLE = "Perfil"
ADMIN_ROLE_HELP = (
    "Administrador: todas as empresas e esta página. Gerente: a própria empresa, exporta CSV e "
    "inicia sincronizações. Visualizador: a própria empresa, celulares ocultos, sem exportação."
)
ADMIN_USER_TENANT = "Empresa do usuário"
ADMIN_ADD_BUTTON = "Adicionar"
ADMIN_USER_ADDED = (
    "Usuário {email} criado. Senha inicial (anote agora, ela não será mostrada de novo):"
)
ADMIN_PICK_USER = "Usuário"
ADMIN_DISABLE = "Desativar usuário"
ADMIN_DISABLED = "Usuário {email} desativado; as sessões dele foram encerradas."
ADMIN_RESET = "Gerar nova senha"
ADMIN_RESET_DONE = "Nova senha de {email} (anote agora, ela não será mostrada de novo):"
ADMIN_ACTION_FAILED = "Não foi possível concluir a operação."
ADMIN_EMAIL_INVALID = "Informe um e-mail válido (nome@dominio)."
ADMIN_EMAIL_EXISTS = "Já existe um usuário com o e-mail {email}."
ADMIN_NOT_YOURSELF = "Você não pode desativar o próprio usuário."
ADMIN_AUDIT = "Registro de auditoria"
ADMIN_AUDIT_EMPTY = "Nenhum evento registrado."
ADMIN_AUDIT_CAPTION = "Os {limit} eventos mais recentes, do mais novo para o mais antigo."
AUDIT_ACTIONS = {
    "login": "Entrada",
    "login.failed": "Entrada recusada",
    "logout": "Saída",
    "user.add": "Usuário criado",
    "user.disable": "Usuário desativado",
    "user.enable": "Usuário reativado",
    "user.reset_password": "Senha redefinida",
    "pipeline.start": "Pipeline iniciado",
}
ADMIN_AUDIT_COLUMNS = {
    "quando": "Quando",
    "quem": "Quem",
    "acao": "Ação",
    "empresa": "Empresa",
    "detalhe": "Detalhe",
    "endereco": "Endereço",
}
YES_NO = ("Sim", "Não")


def fmt_int(value: int | float | None) -> str:
    """1234 → "1.234" (pt-BR thousands separator)."""
    if value is None:
        return EMPTY
    return ptbr.number(value)


def leads_on(day: date, count: int) -> str:
    """Hover text of a day's bar: "25/11/2026: 1 lead", "26/11/2026: 3 leads"."""
    return f"{fmt_date(day)}: {ptbr.count_of(count, 'lead', 'leads')}"


def score_hover(score: str, rate: float, sales: int, conversations: int) -> str:
    """Hover text of a score's bar: "Nota 5: 12,5% (1 venda em 8 conversas)"."""
    title = score if score == SCORE_NONE else f"Nota {score}"
    counts = (
        f"{ptbr.count_of(sales, 'venda', 'vendas')} em "
        f"{ptbr.count_of(conversations, 'conversa', 'conversas')}"
    )
    return f"{title}: {fmt_pct(rate)} ({counts})"


def leads_count(total: int, page: int, pages: int) -> str:
    """The lead table's caption: "1 lead encontrado · página 1 de 1", plural otherwise."""
    return LEADS_COUNT.format(leads=ptbr.count_of(total, *LEAD_WORDS), page=page, pages=pages)


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
MASK = "•"


def _phone_layout(phone: str) -> tuple[str, int] | None:
    """(international format, leading digits that may show when masked), None if no phone.

    Brazilian numbers are laid out by hand as "+55 DD NNNNN-NNNN" (landlines "+55 DD
    NNNN-NNNN"): a mobile written before the ninth digit ("+551183476177") is not a valid
    number any more for `phonenumbers`, but Chatwoot and CRMs still hold it. Other countries use
    `phonenumbers`' international format. Country and area code stay visible when masked.
    """
    try:
        parsed = phonenumbers.parse(phone, "BR")
    except NumberParseException:
        return None
    national = str(parsed.national_number)
    if parsed.country_code == 55:
        if len(national) not in (10, 11):  # no area code, or not a phone: shown as written
            return None
        area, local = national[:2], national[2:]
        return f"+55 {area} {local[:-4]}-{local[-4:]}", 4
    if not phonenumbers.is_valid_number(parsed):
        return None
    shown = len(str(parsed.country_code)) + phonenumbers.length_of_geographical_area_code(parsed)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL), shown


def format_phone(phone: str | None, *, mask: bool) -> str:
    """A phone as the dashboard shows it, masked or not, in ONE readable layout:
    "+5511967027336" → "+55 11 96702-7336", masked "+55 11 •••••-7336".

    Masking keeps the country and area code (where the lead is from) and the last four digits
    (how people tell numbers apart): enough to recognise, not to dial. Text that is not a
    phone number is shown as written, or as bullets and its last four digits when masked.
    """
    if not phone or not phone.strip():
        return ""
    layout = _phone_layout(phone)
    if layout is None:
        if not mask:
            return phone.strip()
        digits = _DIGITS.sub("", phone)
        return MASK * len(digits) if len(digits) < 6 else MASK * (len(digits) - 4) + digits[-4:]
    text, shown = layout
    if not mask:
        return text
    total = sum(ch.isdigit() for ch in text)
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= shown or seen > total - 4 else MASK)
        else:
            out.append(ch)
    return "".join(out)


def mask_name(name: str, *, mask: bool) -> str:
    """A contact name; a name that IS a phone is shown like the phones (`format_phone`).

    Chatwoot names WhatsApp contacts who never set a name after their number
    ("+551183476177"), so masking only the phone column would leak it through the name.
    """
    if name and len(_DIGITS.sub("", name)) >= 8 and not any(c.isalpha() for c in name):
        return format_phone(name, mask=mask)
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
