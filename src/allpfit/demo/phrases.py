"""Brazilian Portuguese text pools for the demo Chatwoot conversations.

These are the gym's (AllpFit CrossFit); `demo/phrases_pilates.py` has the same names for the
demo's second business. Leads write the way people write on WhatsApp (slang, missing accents,
"vc", "blz"); the bot is polite and scripted; agents are friendly salespeople. `{name}`,
`{agent}`, `{day}` and `{hour}` are filled in by the dialogue builder. Only text lives here.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ana", "Maria", "Juliana", "Fernanda", "Camila", "Amanda", "Bruna", "Larissa", "Patrícia",
    "Aline", "Letícia", "Gabriela", "Beatriz", "Mariana", "Vanessa", "Jéssica", "Renata",
    "Carla", "Tatiane", "Débora", "Luana", "Priscila", "Rafaela", "Natália", "Sabrina",
    "João", "José", "Carlos", "Lucas", "Pedro", "Gabriel", "Rafael", "Felipe", "Bruno",
    "Mateus", "Gustavo", "Thiago", "Diego", "Leonardo", "Rodrigo", "Marcos", "André",
    "Fernando", "Vinícius", "Eduardo", "Daniel", "Ricardo", "Paulo", "Igor", "Caio",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
    "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Teixeira",
)  # fmt: skip
PROFILE_SUFFIXES = (" 💪", " 🏋️", " ✨", " 🙏", " Fit", " 🌻", " ❤️")

# Area codes (DDD) and their weight: most leads live in the gym's city (São Paulo).
DDDS = ((11, 70), (12, 4), (13, 4), (19, 5), (21, 5), (31, 3), (41, 3), (51, 2), (61, 2),
        (71, 1), (81, 1))  # fmt: skip

AGENTS = (
    ("Ana Paula Ribeiro", "Ana"),
    ("Bruno Carvalho", "Bruno"),
    ("Carla Mendes", "Carla"),
    ("Diego Fernandes", "Diego"),
    ("Érica Santos", "Érica"),
)
TEAMS = (("Vendas", "Consultores de vendas"), ("Recepção", "Atendimento geral e alunos"))
BOT_NAME = "Allpinha (bot AllpFit)"
LABELS = (
    ("lead_quente", "#e53935", "Lead com alta chance de fechar"),
    ("aula_experimental", "#43a047", "Pediu ou agendou aula experimental"),
    ("preco", "#fb8c00", "Perguntou sobre valores"),
    ("objecao_preco", "#8e24aa", "Achou caro"),
    ("matriculado", "#1e88e5", "Fechou matrícula"),
    ("sem_resposta", "#757575", "Parou de responder"),
    ("gympass", "#00897b", "Perguntou sobre Gympass/Wellhub"),
)
PARTNER_LABEL = "gympass"  # the label of a lead asking about a corporate-wellness partner
PARTNER_WORDS = ("gympass", "wellhub")
VISIT_HOURS = (6, 7, 8, 12, 17, 18, 19, 20)  # trial-class hours the bot offers
WIDGET_REFERER = "https://allpfit.com.br/planos"

GREETINGS = (
    "Oi", "Olá", "oi boa tarde", "Bom dia!", "boa noite", "oii", "Oi, td bem?", "opa",
    "Olá, bom dia", "oi tudo bem?", "Boa tarde, tudo bom?", "e ai", "Oi! Vi o anúncio de vcs",
    "oi vi vcs no insta", "Olá! Gostaria de informações", "oi qro saber da academia",
)  # fmt: skip
BOT_WELCOME = (
    "Olá! 👋 Eu sou a Allpinha, assistente virtual da AllpFit CrossFit. Como posso te chamar?",
    "Oi! Que bom ter você aqui 💪 Sou a assistente virtual da AllpFit. Qual é o seu nome?",
    "Olá, seja bem-vindo(a) à AllpFit! 😊 Antes de tudo, como você se chama?",
)
LEAD_NAME = ("{first}", "Me chamo {first}", "sou a {first}", "{first} {last}", "é {first}",
             "pode me chamar de {first}", "{first_lower}")  # fmt: skip
BOT_ASK_GOAL = (
    "Prazer, {name}! Qual é o seu principal objetivo com o treino?",
    "Legal, {name}! Me conta: o que você busca? Emagrecer, ganhar massa, condicionamento...?",
    "Muito prazer, {name} 😊 Qual seu objetivo hoje?",
)
LEAD_GOAL = (
    "quero emagrecer", "emagrecer uns 10kg", "Ganhar massa muscular", "qro ganhar massa",
    "melhorar o condicionamento", "saude msm, meu medico mandou", "perder barriga kkk",
    "quero voltar a treinar pra ter mais disposição", "definir", "hipertrofia",
    "condicionamento pra corrida", "qualidade de vida", "emagrecer e ganhar força",
    "tenho dor nas costas, quero fortalecer", "preparar pro casamento rs",
)  # fmt: skip
BOT_ASK_LEVEL = (
    "Ótimo objetivo! E hoje, você já treina ou está parado(a)?",
    "Show! Você já praticou CrossFit ou musculação antes?",
    "Entendi! Como está sua rotina de exercícios hoje?",
)
LEAD_LEVEL = (
    "sedentário total kkk", "to parada faz uns 2 anos", "ja treino musculação",
    "nunca fiz crossfit", "faço corrida 3x na semana", "sou iniciante", "treino em casa",
    "ja fiz crossfit antes, parei na pandemia", "sedentaria", "jogo bola no fds so",
    "to acima do peso e nunca treinei", "faço academia mas enjoei",
)  # fmt: skip
BOT_ASK_PERIOD = (
    "E qual período fica melhor pra você treinar: manhã, tarde ou noite?",
    "Você prefere treinar em qual horário? ⏰",
)
LEAD_PERIOD = (
    "de manha cedo", "a noite, saio do trampo 18h", "horario de almoço", "tarde", "noite",
    "qualquer um, trabalho em casa", "bem cedinho, tipo 6h",
)  # fmt: skip
QUESTIONS = {
    "price": (
        "quanto custa a mensalidade?",
        "qual o valor?",
        "qto ta o plano?",
        "Quais os valores?",
        "quanto é por mes",
        "valores por favor",
        "tem plano mensal? quanto?",
        "qual o preço pra 3x na semana?",
    ),
    "hours": (
        "qual o horario de funcionamento?",
        "vcs abrem sabado?",
        "que horas abre?",
        "tem aula a noite?",
        "Quais os horários das aulas?",
        "tem turma as 6 da manha?",
    ),
    "location": (
        "onde fica?",
        "qual o endereço?",
        "vcs ficam onde?",
        "tem estacionamento?",
        "fica perto do metro?",
    ),
    "trial": (
        "tem aula experimental?",
        "posso fazer uma aula teste?",
        "a primeira aula é gratis?",
        "qro fazer uma aula experimental",
        "da pra experimentar antes?",
    ),
}
BOT_ANSWERS = {
    "price": (
        "Nossos planos: Mensal R$ 189,90 | Trimestral R$ 169,90/mês | Semestral R$ 149,90/mês"
        " | Anual R$ 129,90/mês. Todos com aulas ilimitadas de CrossFit 💪",
        "Hoje temos o plano mensal por R$ 189,90 e o anual sai por R$ 129,90 por mês. "
        "Matrícula isenta esse mês! 🎉",
    ),
    "hours": (
        "Funcionamos de segunda a sexta das 5h30 às 22h e aos sábados das 8h às 13h. "
        "Aulas começam de hora em hora ⏰",
        "Temos turmas de seg a sex: 6h, 7h, 8h, 12h, 17h, 18h, 19h e 20h. Sábado: 9h e 10h.",
    ),
    "location": (
        "Ficamos na Rua Domingos de Morais, 1450 - Vila Mariana, a 300 m do metrô Santa Cruz 📍",
        "Nosso endereço: Rua Domingos de Morais, 1450, Vila Mariana. Temos bicicletário e "
        "convênio com estacionamento ao lado.",
    ),
    "trial": (
        "Sim! A aula experimental é gratuita 🙌 Qual dia e horário ficam melhor pra você?",
        "Claro! Você pode fazer uma aula experimental sem custo. Quer agendar?",
    ),
}
OBJECTIONS = (
    "ta caro", "achei meio salgado", "moro longe", "nao tenho tempo", "vou pensar",
    "preciso ver com meu marido", "tem desconto?", "e se eu me machucar? nunca fiz",
    "vou ver no mês que vem", "a smart fit é mais barata né",
)  # fmt: skip
BOT_OBJECTION = (
    "Entendo! No plano anual o valor cai pra R$ 129,90/mês, menos de R$ 4,50 por dia 😉",
    "Nossas aulas duram 1h e todos os treinos são adaptados ao seu nível, com coach "
    "acompanhando de perto. Que tal experimentar antes de decidir?",
    "Sem problemas! Posso te mandar nossas promoções por aqui quando tiver novidade?",
)
SCHEDULE = (  # {day}: how the lead writes the visit day (see visit_day_words)
    "pode ser {day} as {hour}h?",
    "{day} as {hour}h da pra mim",
    "qro agendar pra {day} {hour}h",
    "{day} depois do trabalho, tipo {hour}h",
    "{day} {hour}h pode ser?",
)
BOT_CONFIRM = (  # {day}: the same day, as the bot writes it
    "Agendado! ✅ Sua aula experimental é {day} às {hour}h. Venha com roupa confortável e "
    "traga uma garrafinha de água 💧",
    "Perfeito, {name}! Te esperamos {day} às {hour}h. Chegue 10 min antes pra conhecer o box 😊",
)
# The visit day as the lead types it (slang, no accents) and as the bot writes it, by kind.
LEAD_WEEKDAYS = (
    ("segunda", "segunda-feira", "seg"), ("terca", "terça", "terça-feira"),
    ("quarta", "quarta-feira", "4a feira"), ("quinta", "quinta-feira", "quinta feira"),
    ("sexta", "sexta-feira", "sexta feira"), ("sabado", "sábado", "sab"),
    ("domingo", "dom", "domingo"),
)  # fmt: skip
BOT_WEEKDAYS = ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
                "sábado", "domingo")  # fmt: skip
LEAD_TODAY = ("hoje", "hj", "hoje mesmo")
LEAD_TOMORROW = ("amanha", "amanhã", "amnh")
LEAD_DAY_AFTER = ("depois de amanha", "dps de amanha")
THANKS = ("obrigada!", "valeu", "blz, obg", "ok obrigado", "show", "👍", "perfeito, ate la",
          "brigadu", "td certo", "combinado!")  # fmt: skip
BOT_BYE = (
    "Eu que agradeço! Qualquer dúvida é só chamar 💙",
    "Até logo! Bons treinos 💪",
)
HANDOFF_ASK = (
    "quero falar com uma pessoa", "tem alguem ai pra falar?", "vcs aceitam gympass?",
    "aceita wellhub?", "tem desconto pra estudante?", "consigo pagar no boleto?",
    "posso congelar o plano se viajar?", "qro falar com atendente",
)  # fmt: skip
BOT_HANDOFF = (
    "Vou te transferir para um dos nossos consultores, só um instante 🙏",
    "Ótima pergunta! Um consultor da nossa equipe vai te responder em instantes.",
)
AGENT_HELLO = (
    "Oi {name}, tudo bem? Aqui é {agent}, da equipe de vendas da AllpFit 😊",
    "Olá {name}! {agent} falando, vou te ajudar por aqui.",
    "Oi {name}! Sou {agent} da AllpFit, vi sua mensagem. Como posso ajudar?",
)
AGENT_REPLIES = (
    "Aceitamos Gympass/Wellhub a partir do plano Silver 👍",
    "Pra estudante temos 15% de desconto no plano semestral, é só trazer a carteirinha.",
    "Consigo fazer o trimestral por R$ 159,90/mês pra você fechando até sexta!",
    "Pode pagar no cartão em até 12x ou no Pix com 5% de desconto.",
    "Sim, você pode congelar o plano por até 30 dias no ano.",
    "Entendo total! Nossos coaches adaptam tudo pra iniciantes, muita gente começa do zero.",
    "Quer que eu já reserve sua vaga na turma das 19h?",
    "Te mandei o link da matrícula online, qualquer coisa me chama.",
)
LEAD_AFTER_AGENT = (
    "ah legal", "entendi", "vou ver e te falo", "pode reservar sim", "fechado então",
    "quanto fica no pix?", "obrigada pela atenção", "vou passar ai amanha", "ok",
    "mandou bem, vou fechar", "deixa eu ver meu salario cair kkk",
)  # fmt: skip
AGENT_BYE = (
    "Combinado, {name}! Qualquer coisa estou por aqui 😉",
    "Te espero lá então! Bom treino 💪",
    "Perfeito! Vou encerrar por aqui, mas pode chamar quando quiser.",
)
REOPEN_LEAD = (
    "oi de novo", "oi, lembra de mim? qro voltar a falar do plano", "ainda tem a promoção?",
    "oi, acabei nao indo na aula, posso remarcar?", "boa tarde, quero fechar o plano",
)  # fmt: skip
SNOOZE_AGENT = (
    "Vou verificar com a gerência e te retorno amanhã, ok?",
    "Combinado, te chamo de novo na semana que vem!",
)
PRIVATE_NOTES = (
    "Lead quente, já treinou em outro box.", "Ligar amanhã de manhã.",
    "Pediu desconto, verificar com o gerente.", "Veio pelo anúncio do Instagram.",
    "Não respondeu o follow-up.", "Agendou experimental, confirmar presença.",
)  # fmt: skip
ACTIVITY_ASSIGNED = "Atribuída a {agent} por {by}"
ACTIVITY_RESOLVED = "Conversa marcada como resolvida por {agent}"
ACTIVITY_SNOOZED = "{agent} adiou a conversa"
ACTIVITY_TEAM = "Atribuída à equipe {team} por {by}"
CSAT_PROMPT = "Por favor, avalie nosso atendimento 🙂"
CSAT_FEEDBACK = {
    5: ("Atendimento nota 10!", "Muito atenciosos", "Amei", "Rápido e claro"),
    4: ("Bom atendimento", "Gostei, só demorou um pouco"),
    3: ("Ok", "Demorou pra responder"),
    2: ("Demoraram muito", "Não resolveram minha dúvida"),
    1: ("Péssimo, ninguém respondeu", "Muito demorado"),
}
WIDGET_GREETINGS = (
    "Olá, gostaria de saber os horários", "Vocês têm plano família?",
    "Oi, quero cancelar meu plano", "Boa tarde, queria informações sobre valores",
)  # fmt: skip
