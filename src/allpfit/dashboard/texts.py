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
FILTER_GOAL = "Objetivo"
FILTER_GOAL_HELP = (
    "Digite com suas palavras: “emagrecer” encontra “Perda de peso”, “ganhar massa” "
    "encontra “Ganho muscular”. Acentos e maiúsculas não importam."
)
FILTER_ANY = "Todas"
LEADS_COUNT = "{leads} · página {page} de {pages}"
LEAD_WORDS = ("lead encontrado", "leads encontrados")
PAGE_PREVIOUS = "← Anterior"
PAGE_NEXT = "Próxima →"
PAGE_NUMBER = "Página"
DOWNLOAD_CSV = "Baixar CSV (todos os filtrados)"
CSV_FILE = "leads_{start}_{end}.csv"
CONDITIONS = ("Sedentário", "Iniciante", "Intermediário", "Avançado")
LEAD_COLUMNS = (  # Probabilidade right after the name: visible without scrolling sideways
    "Nome",
    "Probabilidade",
    "Data da Visita",
    "Celular",
    "Nome Mapeado Bot",
    "Condição Física",
    "Objetivo",
    "Primeiro Contato",
    "Última Conversa",
    "Conversa",
    "Análise IA",
    "Sugestão de Disparo",
)
VISIT_NO_DATE = "sem data"  # visit scheduled, day unknown (Data da Visita)
SENDERS = {"contact": "Lead", "bot": "Bot", "agent": "Atendente"}
CONVERSATION_TRUNCATE = 280
EXPORT_REFUSED = "Seu perfil não permite exportar dados."

# --- Lead detail and lead table sorting ---
FILTER_ORDER = "Ordenar por"
LEAD_ORDERS = {  # keys: queries.LEAD_ORDERS
    "recent": "Última conversa",
    "first": "Primeiro contato",
    "probability": "Probabilidade (maior primeiro)",
}
FILTER_UNANALYSED = "Sem análise"  # the probability filter's option for leads not analysed
LEADS_OPEN_HINT = "Clique na caixa à esquerda de um lead para abrir a conversa completa."
PERIOD_PRESETS = {"today": "Hoje", "7d": "7 dias", "30d": "30 dias", "month": "Este mês"}
PAGE_LEAD = "Lead"
LEAD_TITLE = "Lead: {name}"
LEAD_NO_NAME = "sem nome"
LEAD_NOT_FOUND = "Lead não encontrado."
LEAD_NOT_FOUND_HINT = (
    "O link pode estar errado ou a conversa pode ser de outra empresa. Volte à lista de leads."
)
LEAD_MISSING_ID = "Nenhum lead escolhido."
LEAD_BACK = "Voltar aos leads"
LEAD_OPEN_CHATWOOT = "Abrir no Chatwoot"
LEAD_NO_CHATWOOT = "Link do Chatwoot não configurado (CHATWOOT_URL)."
LEAD_CONVERSATION = "Conversa"
LEAD_NO_MESSAGES = "Conversa sem mensagens de texto."
LEAD_MESSAGES_CUT = "Mostrando as primeiras {shown} de {total} mensagens."
LEAD_ATTACHMENT = "(anexo sem texto)"
LEAD_SYSTEM = "Sistema"
LEAD_PROFILE = "Perfil da IA"
LEAD_NOT_ANALYSED = "Esta conversa ainda não foi analisada pela IA."
LEAD_ANALYSIS = "Análise"
LEAD_FOLLOW_UP = "Sugestão de disparo"
LEAD_FOLLOW_UP_HELP = "Use o botão de copiar no canto da caixa e cole no WhatsApp."
LEAD_CRM = "Situação no CRM"
LEAD_NOT_CUSTOMER = "Ainda não é cliente (nenhum cadastro do CRM ligado a este lead)."
LEAD_CUSTOMER_SINCE = "Cliente desde {day}"
LEAD_TRAFFIC_SALE = "Venda do tráfego (conversou antes de se matricular)"
LEAD_FACTS = {  # label of each fact of the conversation shown at the top
    "phone": "Celular",
    "inbox": "Caixa de entrada",
    "assignee": "Atendente",
    "status": "Situação",
    "first": "Primeiro contato",
    "last": "Última conversa",
}
CONVERSATION_STATUSES = {
    "open": "Aberta",
    "resolved": "Resolvida",
    "pending": "Pendente",
    "snoozed": "Adiada",
}
PROFILE_FIELDS = {  # conversas_analytics_ai columns shown, in this order, with their labels
    "nome_mapeado_bot": "Nome informado ao bot",
    "probabilidade_conversao": "Probabilidade de conversão",
    "intent": "Intenção",
    "condicao_fisica": "Condição física",
    "objetivo": "Objetivo",
    "visita_agendada": "Visita agendada",
    "data_visita": "Data da visita",
    "provider": "Analisado por",
    "modelo_ia": "Modelo",
    "analisado_em": "Analisado em",
    "prompt_tokens": "Tokens de entrada",
    "completion_tokens": "Tokens de saída",
    "cost_usd": "Custo (US$)",
}
INTENTS = {  # conversas_analytics_ai.intent (migration 0080), when present
    "new_lead": "Novo lead",
    "member": "Já é aluno",
    "cancellation": "Cancelamento",
    "opt_out": "Não quer contato",
    "wrong_number": "Número errado",
    "other": "Outro",
}
PROVIDERS = {"openai": "IA (OpenAI)", "rules": "Regras (sem IA)"}
CRM_SOURCES = {"evo": "EVO", "excel": "Planilha"}
CRM_FIELDS = {
    "name": "Cliente",
    "phone": "Celular no CRM",
    "status": "Situação no CRM",
    "source": "Origem do cadastro",
    "match": "Como foi ligado",
}
LEAD_FIELD = "Campo"
LEAD_VALUE = "Valor"

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
    "análises iniciadas neste mês, em reais pela cotação USD_BRL_RATE; projeção = o ritmo do "
    "mês até agora estendido ao mês inteiro. O mês é o do fuso horário de cada empresa."
)
ADMIN_TENANT_COLUMNS = {
    "empresa": "Empresa",
    "slug": "Identificador",
    "ativa": "Ativa",
    "ultima_sync": "Última sincronização",
    "situacao": "Situação",
    "leads_mes": "Leads no mês",
    "custo_mes": "Custo IA no mês (R$)",
    "projecao_mes": "Projeção do mês (R$)",
    "orcamento": "Orçamento IA mensal (R$)",
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

# --- Budgets and score quality (issue 13) ---
BUDGET_DAILY_TITLE = "Gasto com IA por dia (R$)"
BUDGET_TENANT = "Empresa do gráfico de gastos"
BUDGET_AXIS = "R$ no dia"
BUDGET_LINE = "Orçamento ÷ dias do mês"
BUDGET_SUMMARY = (
    "{empresa}: R$ {gasto} gastos neste mês; projeção até o fim do mês: R$ {projecao}; "
    "orçamento: {orcamento}."
)
BUDGET_NONE = "sem limite"
BUDGET_REACHED = (
    "{empresa} atingiu o orçamento mensal de IA (R$ {orcamento}): a análise de leads desta "
    "empresa está pausada até o próximo mês. As outras empresas continuam normalmente. Para "
    "continuar agora, aumente o orçamento (`allpfit tenant edit {slug} --budget N`)."
)
PAGE_SCORE = "Qualidade do score"
SCORE_CAPTION = (
    "O score é a probabilidade de conversão (0 a 5) que a análise dá a cada lead. Esta página "
    "mede se ele prevê as vendas reais do CRM. Conta só leads novos com telefone, pela primeira "
    "conversa; venda = matrícula em até {dias} dias depois dela (SCORE_OUTCOME_DAYS). Uma "
    "matrícula anterior à conversa nunca conta como venda."
)
SCORE_AS_OF = (
    "Dados da última conciliação com o CRM, em {data}: entram os leads cuja primeira conversa "
    "foi até {corte}; os mais recentes ainda estão no prazo e ficam de fora."
)
SCORE_NO_MATCH = (
    "Ainda não houve conciliação com o CRM: sem vendas conhecidas, não dá para julgar o score."
)
SCORE_NO_MATCH_HINT = (
    "Importe os clientes do CRM (EVO ou planilha) e rode a conciliação (`allpfit crm match` ou o "
    "pipeline); depois volte aqui."
)
SCORE_LEADS = "Leads avaliados"
SCORE_SALES = "Vendas"
SCORE_AUC = "AUC"
SCORE_AUC_HELP = (
    "Chance de um comprador ter score maior que um não comprador: 0,5 = igual ao acaso, "
    "1 = perfeito. Intervalo de 95% por bootstrap."
)
SCORE_AUC_TEXT = "AUC {auc} (intervalo de 95%: {baixo} a {alto}). {veredito}"
SCORE_VERDICT_GOOD = "O score separa compradores de não compradores melhor que o acaso."
SCORE_VERDICT_CHANCE = "O score não se mostrou melhor que o acaso: o intervalo inclui 0,5."
SCORE_VERDICT_BAD = "O score está invertido: leads com score alto compram menos."
SCORE_TOO_FEW = "Ainda há poucos resultados para julgar o score."
SCORE_TOO_FEW_SALES = "{vendas}: são necessárias pelo menos {minimo} vendas para julgar o score."
SCORE_TOO_FEW_NON_SALES = (
    "{leads}: são necessários pelo menos {minimo} leads sem venda para julgar o score."
)
SCORE_TOO_FEW_MONTHS = (
    "A calibração precisa de leads avaliados de pelo menos dois meses (ajusta nos meses "
    "anteriores e confere no último)."
)
SCORE_TOO_FEW_FIT = (
    "Sem calibração: os meses anteriores têm {vendas} e {leads} sem venda; são necessárias "
    "pelo menos {min_vendas} vendas e {min_leads} leads sem venda."
)
SCORE_TOO_FEW_HELD_OUT = (
    "Sem conferência da calibração: o último mês tem {leads} e {vendas}; são necessários pelo "
    "menos {min_leads} leads e {min_vendas} venda."
)
SALE_WORDS = ("venda", "vendas")
LEAD_COUNT_WORDS = ("lead", "leads")
SCORE_LEFT_OUT = "Ficaram de fora: {itens}."
SCORE_LEFT_OUT_REASONS = {
    "young": ("lead ainda no prazo", "leads ainda no prazo"),
    "existing": ("já era cliente antes da conversa", "já eram clientes antes da conversa"),
    "ambiguous": (
        "telefone de mais de uma pessoa no CRM",
        "telefones de mais de uma pessoa no CRM",
    ),
    "unscored": ("ainda sem análise", "ainda sem análise"),
}
SCORE_RATES_TITLE = "Taxa de conversão por score (intervalo de 95%)"
SCORE_AXIS = "Score (probabilidade 0 a 5)"
SCORE_RATE_AXIS = "Taxa de conversão"
SCORE_CALIBRATION = "Probabilidade calibrada"
SCORE_CALIBRATION_TEXT = (
    "Ajustada (regressão isotônica) nos leads de {meses_ajuste} ({ajuste}) e conferida em "
    "{mes_teste} ({teste}), nunca nos mesmos leads. Brier no mês conferido: {brier} (só a taxa "
    "média daria {brier_base}; menor é melhor). Erro de calibração: {erro} pontos percentuais."
)
SCORE_CALIBRATION_COLUMNS = {
    "score": "Score",
    "probabilidade": "Probabilidade calibrada",
    "leads": "Leads no mês conferido",
    "observada": "Taxa observada",
}
SCORE_RELIABILITY_TITLE = "Diagrama de confiabilidade ({mes})"
SCORE_RELIABILITY_X = "Probabilidade calibrada (meses anteriores)"
SCORE_RELIABILITY_Y = "Taxa observada no mês conferido"
SCORE_RELIABILITY_DIAGONAL = "Calibração perfeita"
SCORE_RELIABILITY_POINT = "Score {score}: previsto {previsto}, observado {observado} ({leads})"

# --- Follow-ups (issue 13, docs/followups.md) ---
PAGE_FOLLOWUPS = "Follow-ups"
FOLLOWUPS_REFUSED = "A revisão de follow-ups é só para gerentes e administradores."
FOLLOWUPS_REFUSED_HINT = "Peça a um administrador um perfil de gerente."
FOLLOWUPS_CAPTION = (
    "Mensagens de follow-up para leads novos que ainda não compraram e não pediram para não "
    "receber mensagens, {etapas} após a última mensagem do lead. Só saem as aprovadas, pelo "
    "Chatwoot, no máximo {limite} por dia (`allpfit followups send`)."
)
FOLLOWUPS_PENDING = "Para revisar"
FOLLOWUPS_EMPTY = "Nenhum follow-up para revisar. O plano é gerado por `allpfit followups plan`."
FOLLOWUPS_SELECT = "Follow-ups selecionados"
FOLLOWUPS_SELECT_ALL = "Selecionar todos os pendentes"
FOLLOWUPS_APPROVE = "Aprovar selecionados"
FOLLOWUPS_SKIP = "Pular selecionados"
FOLLOWUPS_NONE_SELECTED = "Selecione ao menos um follow-up."
FOLLOWUPS_APPROVED = ("aprovado", "aprovados")
FOLLOWUPS_SKIPPED = ("pulado", "pulados")
FOLLOWUPS_EDIT = "Editar a mensagem de um follow-up"
FOLLOWUPS_EDIT_PICK = "Follow-up"
FOLLOWUPS_EDIT_TEXT = "Mensagem"
FOLLOWUPS_EDIT_SAVE = "Salvar mensagem"
FOLLOWUPS_EDITED = "Mensagem salva. Aprove o follow-up para enviá-lo."
FOLLOWUPS_ACTION_FAILED = "Não foi possível salvar a alteração."
FOLLOWUPS_RESULTS = "Resultados"
FOLLOWUPS_RESULTS_EMPTY = "Nenhum follow-up enviado ainda."
FOLLOWUPS_RESULTS_CAPTION = (
    "Resposta: o lead escreveu em até 48 h após o envio (a taxa conta só envios com 48 h "
    "completas ou já respondidos). Conversão: venda no CRM no dia do envio ou depois."
)
FOLLOWUPS_BY_STEP = "Por etapa"
FOLLOWUPS_BY_VARIANT = "Por variante da mensagem"
FOLLOWUPS_HISTORY = "Histórico"
FOLLOWUPS_STATUS = {
    "proposed": "proposto",
    "approved": "aprovado",
    "skipped": "pulado",
    "sending": "enviando",
    "sent": "enviado",
    "unsendable": "não enviável",
    "failed": "falhou",
    "cancelled": "cancelado",
    "needs_review": "verificar no Chatwoot",
}
FOLLOWUPS_MODE = {"message": "mensagem", "private_note": "nota privada", "template": "modelo"}
FOLLOWUPS_VARIANT = {"analysis": "sugestão da análise", "analysis-business": "sugestão + empresa"}
FOLLOWUPS_COL_ID = "ID"
FOLLOWUPS_COL_DUE = "Vence em"
FOLLOWUPS_COL_STEP = "Etapa"
FOLLOWUPS_COL_VARIANT = "Variante"
FOLLOWUPS_COL_LEAD = "Lead"
FOLLOWUPS_COL_CONVERSATION = "Conversa"
FOLLOWUPS_COL_STATUS = "Situação"
FOLLOWUPS_COL_TEXT = "Mensagem"
FOLLOWUPS_COL_MODE = "Envio"
FOLLOWUPS_COL_GROUP = "Grupo"
FOLLOWUPS_COL_SENT = "Enviados"
FOLLOWUPS_COL_REPLIED = "Responderam em 48 h"
FOLLOWUPS_COL_REPLY_RATE = "Taxa de resposta"
FOLLOWUPS_COL_CONVERSIONS = "Conversões"
FOLLOWUPS_COL_CONVERSION_RATE = "Taxa de conversão"
FOLLOWUPS_STEP_LABEL = "{etapa}ª (+{dias} d)"
FOLLOWUPS_OPTION = "#{id} · {lead} · {etapa}ª etapa · vence {data}"


def followups_changed(n: int, done: tuple[str, str]) -> str:
    """ "1 follow-up aprovado." / "6 follow-ups pulados." (`done`: FOLLOWUPS_APPROVED/SKIPPED)."""
    return f"{ptbr.count_of(n, 'follow-up', 'follow-ups')} {ptbr.plural(n, *done)}."


def followups_refused(n: int, detail: str) -> str:
    """ "1 não pôde ser alterado: …" / "3 não puderam ser alterados: …"."""
    verb = ptbr.plural(n, "não pôde ser alterado", "não puderam ser alterados")
    return f"{ptbr.number(n)} {verb}: {detail}"


def followup_days(days: Iterable[int]) -> str:
    """ "1, 3 e 7 dias" (pt-BR list with "e")."""
    items = [str(d) for d in days]
    joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]
    return joined + (" dia" if items == ["1"] else " dias")


# --- Reports (agents, teams, inboxes, labels) ---
VERSUS_YESTERDAY = "vs ontem"
VERSUS_PREVIOUS = "vs período anterior"
PAGE_AGENTS = "Agentes"
PAGE_TEAMS = "Equipes"
PAGE_INBOXES = "Caixas de entrada"
PAGE_LABELS = "Etiquetas"
DIMENSION_CAPTION = {
    "agent": (
        "Os números dos relatórios de agentes do Chatwoot: conversas atribuídas ao agente, "
        "mensagens que ele enviou e os tempos e resoluções registrados em nome dele."
    ),
    "team": "Os números dos relatórios de equipes do Chatwoot, pela equipe atual da conversa.",
    "inbox": "Os números dos relatórios de caixas de entrada do Chatwoot.",
    "label": (
        "Os números dos relatórios de etiquetas do Chatwoot, pelas etiquetas atuais da "
        "conversa. Como no Chatwoot, os tempos médios usam as conversas criadas no período."
    ),
}
DIMENSION_PERIODS = "Período: {start} a {end} · comparado com {prev_start} a {prev_end} (▲/▼)."
BUSINESS_HOURS = "Só horário comercial"
BUSINESS_HOURS_HELP = (
    "Conta nos tempos só as horas dentro do horário de atendimento da caixa de entrada "
    "(configurado no Chatwoot). Caixas sem horário configurado contam 0."
)
STATISTIC = "Tempos"
STATISTICS = {"avg": "Média", "median": "Mediana"}
STATISTIC_HELP = (
    "Média: o número do Chatwoot. Mediana: o tempo do meio, que um atendimento muito demorado "
    "não distorce."
)
DIMENSION_EMPTY = "Nenhuma conversa, mensagem ou atendimento registrado neste período."
DIMENSION_NAME_COLUMN = {
    "agent": "Agente",
    "team": "Equipe",
    "inbox": "Caixa de entrada",
    "label": "Etiqueta",
}
DIMENSION_COLUMNS = {
    "conversations": "Conversas",
    "incoming_messages": "Mensagens recebidas",
    "outgoing_messages": "Mensagens enviadas",
    "first_response": "1ª resposta",
    "resolution": "Resolução",
    "reply": "Tempo de resposta",
    "resolutions": "Resoluções",
}
DIMENSION_HELP = (
    "Conversas: criadas no período. Mensagens: enviadas no período (as enviadas incluem "
    "notas privadas e mensagens do bot, como no Chatwoot). 1ª resposta: da chegada (ou da "
    "transferência do bot) até a primeira resposta de uma pessoa. Resolução: da criação da "
    "conversa até cada resolução. Tempo de resposta: cada resposta seguinte, desde que o "
    "contato começou a esperar. Resoluções: quantas vezes conversas foram resolvidas no "
    "período (uma conversa reaberta e resolvida de novo conta duas vezes)."
)
AGENT_NO_INCOMING = (
    "Mensagens recebidas não aparecem por agente: o Chatwoot conta por agente só as mensagens "
    "que ele enviou."
)

# --- CSAT, bot and traffic reports; "vs ontem"; data freshness (docs/reports.md) ---
PAGE_CSAT = "Satisfação"
PAGE_BOT = "Bot"
PAGE_TRAFFIC = "Tráfego"
REPORT_ALL = "Todos"
REPORT_INBOX = "Caixa de entrada"
REPORT_INBOXES = "Caixas de entrada"
REPORT_AGENTS = "Atendentes"
REPORT_NO_AGENT = "Sem atendente"
CSAT_CAPTION = (
    "Respostas à pesquisa de satisfação (CSAT) do Chatwoot dadas no período, como o relatório "
    "CSAT do Chatwoot: a última resposta de cada conversa, com o atendente atribuído a ela."
)
CSAT_RESPONSES = "Respostas"
CSAT_RESPONSES_HELP = "Respostas à pesquisa de satisfação dadas no período."
CSAT_SCORE = "Satisfação"
CSAT_SCORE_HELP = "Respostas com nota 4 ou 5 ÷ todas as respostas (como o Chatwoot calcula)."
CSAT_SENT = "Pesquisas enviadas"
CSAT_SENT_HELP = "Pesquisas de satisfação enviadas pelo Chatwoot no período."
CSAT_RATE = "Taxa de resposta"
CSAT_RATE_HELP = (
    "Respostas ÷ pesquisas enviadas no período. Passa de 100% quando chegam respostas a "
    "pesquisas enviadas antes do período."
)
CSAT_FILTER_RATING = "Nota"
CSAT_FILTER_TEXT = "Comentário contém"
CSAT_FILTERS_HELP = "Nota e texto filtram só a lista de comentários."
CHART_CSAT = "Distribuição das notas"
CSAT_RATING_LABELS = {1: "1 😞", 2: "2 😕", 3: "3 😐", 4: "4 🙂", 5: "5 😀"}
CSAT_BY_AGENT = "Por atendente"
CSAT_BY_INBOX = "Por caixa de entrada"
CSAT_GROUP_COLUMNS = {
    "nome": "Nome",
    "respostas": "Respostas",
    "satisfacao": "Satisfação",
    "enviadas": "Pesquisas enviadas",
    "taxa_resposta": "Taxa de resposta",
    "nota_media": "Nota média",
}
CSAT_COMMENTS = "Comentários"
CSAT_COMMENTS_EMPTY = "Nenhum comentário com estes filtros."
CSAT_COMMENTS_COUNT = ("comentário", "comentários")
CSAT_COMMENT_COLUMNS = {
    "respondida_em": "Respondida em",
    "nota": "Nota",
    "comentario": "Comentário",
    "contato": "Contato",
    "atendente": "Atendente",
    "caixa": "Caixa de entrada",
}
CSAT_EMPTY = "Nenhuma pesquisa de satisfação enviada ou respondida no período."
BOT_CAPTION = (
    "Só as conversas de que o bot participou (escreveu ou transferiu), criadas no período: as "
    "taxas são sobre elas."
)
BOT_CONVERSATIONS = "Conversas com o bot"
BOT_CONVERSATIONS_HELP = "Conversas criadas no período em que o bot escreveu ou transferiu."
BOT_ONLY = "Só o bot"
BOT_ONLY_HELP = "O bot escreveu e nenhum atendente escreveu (o mesmo critério de “Conversas IA”)."
BOT_HANDOFFS = "Transferidas para humano"
BOT_HANDOFFS_HELP = (
    "O bot passou a conversa para um atendente (evento de transferência do Chatwoot)."
)
BOT_RESOLVED = "Resolvidas pelo bot"
BOT_RESOLVED_HELP = "Resolvidas sem nenhum atendente escrever e sem transferência."
BOT_RESOLUTION_RATE = "Taxa de resolução do bot"
BOT_RESOLUTION_RATE_HELP = "Resolvidas pelo bot ÷ conversas com o bot."
BOT_HANDOFF_RATE = "Taxa de transferência"
BOT_HANDOFF_RATE_HELP = "Transferidas para humano ÷ conversas com o bot."
BOT_MESSAGES = "Mensagens do bot"
BOT_HANDOFF_TIME = "Tempo até a transferência (média)"
BOT_EMPTY = "Nenhuma conversa com o bot no período."
CHART_BOT_DAYS = "Conversas com o bot por dia"
BOT_SERIES = {
    "so_bot": "Só o bot",
    "transferidas": "Transferidas",
    "resolvidas_bot": "Resolvidas pelo bot",
}
BOT_INBOX_COLUMNS = {
    "caixa": "Caixa de entrada",
    "conversas": "Conversas com o bot",
    "so_bot": "Só o bot",
    "transferidas": "Transferidas",
    "resolvidas_bot": "Resolvidas pelo bot",
    "taxa_resolucao": "Taxa de resolução",
    "taxa_transferencia": "Taxa de transferência",
}
TRAFFIC_CAPTION = (
    "Conversas criadas no período por dia da semana e hora, no fuso horário da academia."
)
CHART_HEATMAP = "Conversas por dia da semana e hora"
WEEKDAY_NAMES = {1: "Seg", 2: "Ter", 3: "Qua", 4: "Qui", 5: "Sex", 6: "Sáb", 7: "Dom"}
TRAFFIC_TOTAL = "Conversas no período"
CHART_FRT = "Tempo da primeira resposta"
FRT_CAPTION = (
    "Primeiras respostas de um atendente dadas no período, nas faixas do relatório do Chatwoot "
    "(a partir da criação da conversa ou da transferência do bot)."
)
FRT_BUCKET_LABELS = {
    "0-1h": "Até 1 h",
    "1-4h": "1 a 4 h",
    "4-8h": "4 a 8 h",
    "8-24h": "8 a 24 h",
    "24h+": "Mais de 24 h",
}
FRT_CHANNEL = "Canal"
CHANNEL_NAMES = {
    "Channel::Whatsapp": "WhatsApp",
    "Channel::WebWidget": "Site",
    "Channel::Api": "API",
    "Channel::Email": "E-mail",
    "Channel::FacebookPage": "Facebook",
    "Channel::Instagram": "Instagram",
    "Channel::Telegram": "Telegram",
    "Channel::TwilioSms": "SMS (Twilio)",
    "Channel::Sms": "SMS",
    "Channel::Line": "LINE",
    "Channel::Tiktok": "TikTok",
    "Channel::TwitterProfile": "Twitter",
}
DATA_UPDATED = "Dados atualizados em {last}"
DATA_NEVER_UPDATED = "Dados ainda não sincronizados com o Chatwoot"
DATA_NEXT_UPDATE = "próxima atualização automática às {next}"
DATA_FRESHNESS_HELP = (
    "Última sincronização completa com o Chatwoot que terminou bem; a próxima segue o horário "
    "da rotina `allpfit schedule` (SCHEDULE_MINUTE, SCHEDULE_EVERY_HOURS)."
)


def fmt_duration(seconds: float | None) -> str:
    """Seconds → "45 s", "15 min", "2 h 05 min", "3 d 4 h" (rounded to the unit shown)."""
    if seconds is None:
        return EMPTY
    total = int(round(seconds))
    if total < 60:
        return f"{total} s"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min"
    days, hours = divmod(int(round(seconds / 3600)), 24)
    return f"{days} d {hours} h"


def fmt_int(value: int | float | None) -> str:
    """1234 → "1.234" (pt-BR thousands separator)."""
    if value is None:
        return EMPTY
    return ptbr.number(value)


def delta(current: float | None, previous: float | None, versus: str) -> str:
    """The change against an earlier figure: "▲ 12% vs ontem", "▼ 5% vs período anterior",
    "= vs ontem" when unchanged, "—" when there is nothing to compare (no current figure,
    or a previous figure of 0 or None: a change from nothing has no percentage).

    The arrow says only whether the figure went up or down; whether that is good (more
    sales) or bad (slower first response) is for the page to show. Changes under 1% keep one
    decimal ("▲ 0,4%") so a small change never reads "▲ 0%".
    """
    if current is None or previous is None or previous == 0:
        return EMPTY
    if current == previous:
        return f"= {versus}"
    change = abs(current - previous) / abs(previous) * 100
    digits = 0 if round(change) >= 1 else 1
    arrow = "▲" if current > previous else "▼"
    amount = ptbr.number(change) if digits == 0 else fmt_decimal(change, 1)
    return f"{arrow} {amount}% {versus}"


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


# --- Intent and retention (issue 13, docs/analysis.md#intent) ---
# Shown instead of the follow-up suggestion for a contact who asked not to be contacted.
OPTED_OUT = "Pediu para não ser contatado"
INTENT_LABELS = {
    "new_lead": "Novo lead",
    "member": "Aluno",
    "cancellation": "Cancelamento ou reclamação",
    "opt_out": "Pediu para não ser contatado",
    "wrong_number": "Número errado ou spam",
    "other": "Outro assunto",
}
PAGE_RETENTION = "Retenção"
RETENTION_TITLE = "Retenção"
RETENTION_CAPTION = (
    "Contatos que pediram cancelamento ou fizeram uma reclamação, segundo a análise, pela data "
    "da última atividade da conversa. Eles não entram nos números de leads: fale com eles "
    "antes que cancelem."
)
RETENTION_TOTAL = "Cancelamentos e reclamações"
RETENTION_EMPTY = "Nenhum pedido de cancelamento ou reclamação no período."
RETENTION_COLUMNS = (
    "Nome",
    "Celular",
    "Última atividade",
    "Última mensagem do contato",
    "Análise IA",
)


# --- Exports (issue 12, docs/exports.md) ---
PAGE_EXPORT = "Exportar"
EXPORT_TITLE = "Exportar dados"
EXPORT_INTRO = (
    "Baixe os dados do período escolhido na barra lateral ({start} a {end}) em CSV ou Excel. "
    "Horários no fuso horário da academia; todas as colunas, uma linha por conversa."
)
EXPORT_KIND = "O que exportar"
EXPORT_KINDS = {"conversations": "Conversas", "leads": "Leads", "agents": "Agentes"}
EXPORT_KIND_HELP = {
    "conversations": (
        "Todas as conversas iniciadas no período, com todas as colunas do Chatwoot, a conversa "
        "em texto, a análise da IA e a venda no CRM."
    ),
    "leads": (
        "Os leads da tabela de leads, com todos os campos da análise da IA e a venda no CRM."
    ),
    "agents": (
        "Um atendente por linha: conversas, mensagens, tempos de primeira resposta, resolução "
        "e resposta (em segundos) e resoluções, com o período anterior ao lado."
    ),
}
EXPORT_FORMAT = "Formato"
EXPORT_FORMATS = {"csv": "CSV", "xlsx": "Excel (.xlsx)"}
EXPORT_BUTTON = "Baixar {kind} ({fmt})"
EXPORT_FILE = "{kind}_{start}_{end}.{fmt}"
EXPORT_MASKED = "Celulares mascarados, como na tela (chave na barra lateral)."
EXPORT_SHOWN = "Celulares completos: dado pessoal, guarde o arquivo com cuidado."
DOWNLOAD_FULL = "Baixar {fmt} completo (todas as colunas)"
