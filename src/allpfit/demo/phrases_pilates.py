"""Brazilian Portuguese text pools of the demo's second business: a pilates studio.

The same names as `demo/phrases.py` (the gym's), so one script (`demo/scripts.py`) plays both
businesses; only the words differ: apparatus and mat pilates, posture and back pain instead of
weight loss, plans by classes per week instead of a monthly gym fee. The pools the scripts use
that do not depend on the business (surnames, how a visit day is written, thanks) are the gym
module's, re-exported here so there is one definition of each; Chatwoot's own activity texts
stay there too (`Dialogue` reads them).
"""

from __future__ import annotations

from allpfit.demo.phrases import (
    BOT_WEEKDAYS,
    LAST_NAMES,
    LEAD_DAY_AFTER,
    LEAD_NAME,
    LEAD_TODAY,
    LEAD_TOMORROW,
    LEAD_WEEKDAYS,
    THANKS,
)

__all__ = [
    "BOT_WEEKDAYS", "LAST_NAMES", "LEAD_DAY_AFTER", "LEAD_NAME", "LEAD_TODAY", "LEAD_TOMORROW",
    "LEAD_WEEKDAYS", "THANKS",
]  # fmt: skip

AGENTS = (
    ("Fernanda Prado", "Fernanda"),
    ("Juliana Tavares", "Juliana"),
    ("Marcelo Antunes", "Marcelo"),
)
TEAMS = (
    ("Recepção", "Agendamentos e matrículas"),
    ("Instrutoras", "Fisioterapeutas e instrutoras"),
)
BOT_NAME = "Lia (assistente Studio Equilíbrio)"
PARTNER_LABEL = "totalpass"
PARTNER_WORDS = ("totalpass", "wellhub", "gympass")
LABELS = (
    ("lead_quente", "#e53935", "Lead com alta chance de fechar"),
    ("aula_experimental", "#43a047", "Agendou aula experimental"),
    ("preco", "#fb8c00", "Perguntou sobre os planos"),
    ("objecao_preco", "#8e24aa", "Achou caro"),
    ("matriculado", "#1e88e5", "Fechou plano"),
    ("sem_resposta", "#757575", "Parou de responder"),
    ("totalpass", "#00897b", "Perguntou sobre TotalPass/Wellhub"),
)
VISIT_HOURS = (7, 8, 9, 10, 12, 17, 18, 19)
WIDGET_REFERER = "https://studioequilibrio.com.br/planos"

GREETINGS = (
    "Oi", "Olá", "oi boa tarde", "Bom dia!", "boa noite", "oii", "Oi, td bem?",
    "Olá, bom dia", "Oi! Vi o studio de vcs no insta", "oi, queria saber do pilates",
    "Olá! Gostaria de informações sobre as aulas de pilates", "oi minha fisio indicou vcs",
    "Boa tarde, vcs tem pilates de aparelho?",
)  # fmt: skip
BOT_WELCOME = (
    "Olá! 🌿 Eu sou a Lia, assistente virtual do Studio Equilíbrio Pilates. Como posso te chamar?",
    "Oi! Que bom ter você aqui 🧘‍♀️ Sou a assistente do Studio Equilíbrio. Qual é o seu nome?",
    "Olá, seja bem-vindo(a) ao Studio Equilíbrio! 😊 Antes de tudo, como você se chama?",
)
BOT_ASK_GOAL = (
    "Prazer, {name}! O que te trouxe ao pilates?",
    "Que bom, {name}! Me conta: o que você busca? Postura, alívio de dores, flexibilidade...?",
    "Muito prazer, {name} 😊 Qual seu objetivo com o pilates?",
)
LEAD_GOAL = (
    "tenho dor nas costas", "melhorar a postura, trabalho sentada o dia todo",
    "minha fisio recomendou por causa da hernia de disco", "flexibilidade", "fortalecer o core",
    "to gravida de 4 meses, posso fazer?", "dor lombar cronica", "qualidade de vida",
    "voltar a me exercitar depois da cirurgia", "saude msm, meu medico mandou",
    "quero alongar e relaxar, ando mto estressada", "fortalecer o joelho", "postura e respiração",
)  # fmt: skip
BOT_ASK_LEVEL = (
    "Entendi! E você já fez pilates antes?",
    "Ótimo! Você pratica alguma atividade física hoje?",
    "Certo! Tem alguma lesão ou restrição que a instrutora precise saber?",
)
LEAD_LEVEL = (
    "nunca fiz pilates", "fiz pilates solo uns meses", "sedentaria total kkk",
    "faço caminhada as vezes", "ja fiz pilates de aparelho, parei na pandemia",
    "tenho uma hernia na L5", "sou iniciante", "faço yoga em casa", "to parada faz 1 ano",
    "operei o joelho ano passado",
)  # fmt: skip
BOT_ASK_PERIOD = (
    "E qual período fica melhor pra você: manhã, almoço ou noite?",
    "Você prefere fazer aula em qual horário? ⏰",
)
LEAD_PERIOD = (
    "de manha cedo", "a noite, depois das 18h", "horario de almoço", "tarde", "noite",
    "manha, antes do trabalho", "qualquer um, sou aposentada",
)  # fmt: skip
QUESTIONS = {
    "price": (
        "quanto custa?",
        "qual o valor das aulas?",
        "quanto é 2x na semana?",
        "Quais os planos?",
        "quanto fica por mes",
        "valores por favor",
        "tem aula avulsa? quanto?",
    ),
    "hours": (
        "quais os horarios?",
        "vcs abrem sabado?",
        "tem aula a noite?",
        "Quais os horários disponíveis?",
        "tem horario as 7 da manha?",
    ),
    "location": (
        "onde fica o studio?",
        "qual o endereço?",
        "tem estacionamento?",
        "fica perto do metro?",
    ),
    "trial": (
        "tem aula experimental?",
        "posso fazer uma aula teste?",
        "a primeira aula é gratis?",
        "qro fazer uma aula experimental",
        "da pra experimentar antes de fechar?",
    ),
}
BOT_ANSWERS = {
    "price": (
        "Nossos planos de pilates de aparelho: 1x por semana R$ 290/mês | 2x R$ 420/mês | "
        "3x R$ 540/mês. Aula avulsa R$ 95. Turmas de no máximo 3 alunos 🌿",
        "O plano 2x por semana sai por R$ 420/mês, e no semestral fica R$ 378/mês. "
        "A avaliação postural na primeira aula é cortesia! ✨",
    ),
    "hours": (
        "Funcionamos de segunda a sexta das 7h às 21h e aos sábados das 8h às 12h ⏰",
        "Temos horários de seg a sex: 7h, 8h, 9h, 10h, 12h, 17h, 18h e 19h. Sábado: 8h e 9h.",
    ),
    "location": (
        "Ficamos na Rua Joaquim Floriano, 820 - Itaim Bibi, a 400 m do metrô 📍",
        "Nosso endereço: Rua Joaquim Floriano, 820, Itaim Bibi. Temos manobrista na porta.",
    ),
    "trial": (
        "Sim! A aula experimental é gratuita, com avaliação postural 🧘‍♀️ Qual dia e horário "
        "ficam melhor pra você?",
        "Claro! A primeira aula é cortesia. Quer agendar?",
    ),
}
OBJECTIONS = (
    "ta caro", "achei meio salgado", "moro longe", "nao tenho tempo", "vou pensar",
    "preciso ver com meu marido", "tem desconto?", "tenho medo de piorar a dor nas costas",
    "vou ver no mês que vem", "o pilates da academia é mais barato né",
)  # fmt: skip
BOT_OBJECTION = (
    "Entendo! No plano semestral o 2x por semana cai pra R$ 378/mês 😉",
    "Todas as aulas são com fisioterapeutas e turmas de até 3 alunos, adaptadas à sua "
    "condição. Que tal experimentar antes de decidir?",
    "Sem problemas! Posso te avisar por aqui quando abrir vaga no seu horário?",
)
SCHEDULE = (  # {day}: how the lead writes the visit day (see scripts.visit_day_words)
    "pode ser {day} as {hour}h?",
    "{day} as {hour}h da pra mim",
    "qro agendar pra {day} {hour}h",
    "{day} {hour}h pode ser?",
)
BOT_CONFIRM = (  # {day}: the same day, as the bot writes it
    "Agendado! ✅ Sua aula experimental é {day} às {hour}h. Venha com roupa confortável e "
    "meia antiderrapante 🧦",
    "Perfeito, {name}! Te esperamos {day} às {hour}h. A instrutora vai fazer sua avaliação "
    "postural 😊",
)
BOT_BYE = (
    "Eu que agradeço! Qualquer dúvida é só chamar 🌿",
    "Até logo! Boa aula ✨",
)
HANDOFF_ASK = (
    "quero falar com uma pessoa", "tem alguem ai?", "vcs aceitam totalpass?",
    "aceita wellhub?", "a fisio pode ver meu exame antes?",
    "vcs dao recibo pro reembolso do plano?", "posso repor aula que faltar?",
    "qro falar com a recepção",
)  # fmt: skip
BOT_HANDOFF = (
    "Vou te passar para a nossa recepção, só um instante 🙏",
    "Boa pergunta! Uma pessoa da nossa equipe vai te responder em instantes.",
)
AGENT_HELLO = (
    "Oi {name}, tudo bem? Aqui é a {agent}, do Studio Equilíbrio 😊",
    "Olá {name}! {agent} falando, vou te ajudar por aqui.",
    "Oi {name}! Sou {agent} do Studio Equilíbrio, vi sua mensagem. Como posso ajudar?",
)
AGENT_REPLIES = (
    "Aceitamos TotalPass a partir do plano Gold, 1x por semana 👍",
    "Emitimos recibo com CNPJ e registro da fisioterapeuta pro reembolso do convênio.",
    "Consigo fazer o 2x por semana por R$ 399/mês pra você fechando até sexta!",
    "Pode pagar no cartão em até 6x ou no Pix com 5% de desconto.",
    "Sim, as faltas avisadas com 12h de antecedência podem ser repostas no mesmo mês.",
    "Pode trazer seu exame sim, a fisioterapeuta monta a aula pra sua lombar.",
    "Quer que eu já reserve sua vaga no reformer das 18h?",
    "Te mandei o link do contrato, qualquer coisa me chama.",
)
LEAD_AFTER_AGENT = (
    "ah legal", "entendi", "vou ver e te falo", "pode reservar sim", "fechado então",
    "quanto fica no pix?", "obrigada pela atenção", "vou passar ai amanha", "ok",
    "otimo, vou fechar", "deixa eu ver com meu ortopedista",
)  # fmt: skip
AGENT_BYE = (
    "Combinado, {name}! Qualquer coisa estou por aqui 😉",
    "Te espero no studio então! Boa aula 🌿",
    "Perfeito! Vou encerrar por aqui, mas pode chamar quando quiser.",
)
REOPEN_LEAD = (
    "oi de novo", "oi, lembra de mim? qro voltar a falar do plano", "ainda tem horario as 18h?",
    "oi, nao consegui ir na aula, posso remarcar?", "boa tarde, quero fechar o 2x por semana",
)  # fmt: skip
SNOOZE_AGENT = (
    "Vou ver com a fisioterapeuta e te retorno amanhã, ok?",
    "Combinado, te chamo quando abrir vaga no seu horário!",
)
PRIVATE_NOTES = (
    "Hérnia L4-L5, pedir laudo.", "Ligar amanhã de manhã.", "Gestante, só com a Juliana.",
    "Pediu desconto, verificar com a dona.", "Veio por indicação da fisio.",
    "Agendou experimental, confirmar presença.",
)  # fmt: skip
CSAT_FEEDBACK = {
    5: ("Atendimento nota 10!", "Muito atenciosas", "Amei o studio", "Rápido e claro"),
    4: ("Bom atendimento", "Gostei, só demorou um pouco"),
    3: ("Ok", "Demorou pra responder"),
    2: ("Demoraram muito", "Não resolveram minha dúvida"),
    1: ("Ninguém respondeu", "Muito demorado"),
}
WIDGET_GREETINGS = (
    "Olá, gostaria de saber os horários", "Vocês atendem gestantes?",
    "Oi, quero trancar meu plano", "Boa tarde, queria informações sobre valores",
)  # fmt: skip
