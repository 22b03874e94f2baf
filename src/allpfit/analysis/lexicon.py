"""The Portuguese vocabulary of the rule analyzer: slang, and the patterns for each signal.

Patterns match *normalised* text (see `rules.normalise`): lower case, no accents, repeated
letters collapsed, slang expanded ("vc" -> "voce", "qnto" -> "quanto"), one space between words,
one clause at a time. Patterns in NEGATABLE groups are ignored when a negation ("nao", "nem",
"nunca") comes in the three words before them, or "nao" right after them at the end of the clause
("e caro nao"): "nao e caro" is not an objection and "nao quero emagrecer" is not a goal. Phrases
that contain their own negation ("nao tenho tempo") are objections as written.
"""

from __future__ import annotations

import re

SLANG = {
    "vc": "voce", "vcs": "voces", "voceis": "voces", "ce": "voce", "oce": "voce",
    "qnto": "quanto", "qnt": "quanto", "qto": "quanto", "quantu": "quanto", "qtos": "quantos",
    "qnta": "quanta", "qual": "qual", "ql": "qual", "qd": "quando", "qdo": "quando",
    "pq": "porque", "pk": "porque", "tb": "tambem", "tbm": "tambem", "tmb": "tambem",
    "hj": "hoje", "amnh": "amanha", "q": "que", "oq": "o que", "n": "nao", "nn": "nao",
    "naum": "nao", "nao": "nao", "ñ": "nao", "mt": "muito", "mto": "muito", "mta": "muita",
    "mts": "muitos", "td": "tudo", "tds": "todos", "hr": "hora", "hrs": "horas", "hs": "horas",
    "agr": "agora", "dps": "depois", "msm": "mesmo", "fds": "fim de semana", "kd": "cade",
    "cmg": "comigo", "blz": "beleza", "obg": "obrigado", "obgd": "obrigado", "vlw": "valeu",
    "tava": "estava", "to": "estou", "ta": "esta", "tou": "estou", "vo": "vou", "axo": "acho",
    "aki": "aqui", "eh": "e", "ss": "sim", "kero": "quero", "qro": "quero", "qr": "quero",
    "pfv": "por favor", "pf": "por favor", "pfvr": "por favor", "info": "informacao",
    "infos": "informacoes", "vlr": "valor", "vlrs": "valores", "academ": "academia",
    "acad": "academia", "musc": "musculacao", "malhar": "treinar", "malho": "treino",
    "treinu": "treino", "tbem": "tambem", "p": "para", "pra": "para", "pro": "para o",
    "x": "vezes", "sab": "sabado", "dom": "domingo", "seg": "segunda", "mes": "mes",
    "kilos": "quilos", "kgs": "kg", "emagrece": "emagrecer", "perde": "perder", "ganha": "ganhar",
}  # fmt: skip

NEGATORS = {"nao", "nem", "nunca", "jamais"}
GREETINGS = re.compile(
    r"^(?:oi+e?|ola|opa|e ai|eai|bom dia|boa tarde|boa noite|tudo bem|tudo bom|td bem|hello|"
    r"oi tudo bem|ah|hum|kk+|haha|rs+|"
    r"oi bom dia|oi boa tarde|oi boa noite|bom dia tudo bem|boa tarde tudo bem|"
    r"boa noite tudo bem|[^a-z0-9]*)$"
)
ACKS = re.compile(  # short replies: they read the answer, but say nothing more
    r"^(?:ok|okay|sim|nao|obrigad[oa]|brigad\w*|valeu|beleza|certo|show|combinado|tudo certo|"
    r"perfeito|ate la|ate mais|entendi|ok obrigad[oa]|legal|massa|top|blz|joia|ta bom|"
    r"esta bom|pode ser|hum entendi)$"
)
QUESTION_START = re.compile(
    r"^(?:quanto|quantos|quanta|qual|quais|como|onde|quando|que horas|voces tem|tem|aceita|"
    r"aceitam|pode|posso|da para|e possivel|gostaria de saber|queria saber|quero saber)\b"
)

# Prompt injection aimed at an LLM reading the conversation: dropped before any rule runs.
INJECTION = re.compile(
    r"\b(?:ignor\w* (?:\w+ ){0,3}(?:instruc\w*|regras|prompt)|esquec\w* (?:\w+ ){0,2}"
    r"(?:instruc\w*|regras)|(?:de|da|coloque|coloca|atribua|marque|bote|ponha) (?:\w+ ){0,3}"
    r"(?:probabilidade|nota|score|pontuacao)|probabilidade (?:de conversao )?(?:\d|maxima|cinco)|"
    r"system prompt|prompt do sistema|voce agora e|a partir de agora voce|ignore (?:all|previous))"
)

Patterns = list[tuple[str, str]]  # (regex, label shown in the analysis)

VISIT_BY_LEAD: Patterns = [
    (r"\b(?:agendei|marquei|agendado|marcado) (?:\w+ ){0,2}(?:visita|aula|avaliacao|horario)", ""),
    (r"\b(?:visita|aula experimental|aula teste|avaliacao)( \w+){0,2} (?:marcada|agendada|"
     r"confirmada)", ""),
]  # fmt: skip
VISIT_BY_STAFF: Patterns = [
    (r"\b(?:visita|aula experimental|aula teste|aula|avaliacao( fisica)?|horario|agendamento)"
     r"(?: \w+){0,3} (?:esta |foi |ficou |ja esta )?(?:agendad[oa]|marcad[oa]|confirmad[oa]|"
     r"reservad[oa])", ""),
    (r"\b(?:agendei|marquei|reservei|confirmei) (?:\w+ ){0,2}(?:sua |a |uma )?(?:visita|aula|"
     r"avaliacao|horario)", ""),
    (r"^(?:agendad[oa]|marcad[oa]|reservad[oa])(?: com sucesso)?$", ""),
    (r"\bte esperamos (?:\w+ ){0,3}(?:amanha|hoje|segunda|terca|quarta|quinta|sexta|sabado|"
     r"domingo|as \d|dia \d)", ""),
]  # fmt: skip
ENROL: Patterns = [
    (r"\bquero (?:me )?(?:matricular|inscrever|assinar|fechar)", "quer se matricular"),
    (r"\bcomo (?:faco|fazer|faz) (?:para|a) (?:me )?(?:matricular|inscrever|assinar|fechar|"
     r"matricula)", "perguntou como se matricular"),
    (r"\b(?:vou|vamos|posso) (?:me )?(?:matricular|inscrever|assinar|fechar)",
     "quer se matricular"),
    (r"\b(?:fazer|faco|fechar|fecho) (?:a |minha )?(?:matricula|inscricao)", "quer se matricular"),
    (r"\b(?:manda|envia|me passa) (?:o |a )?(?:link|pix|chave|boleto)", "pediu forma de pagamento"),
    (r"\b(?:ja )?(?:paguei|fiz o pagamento|fiz o pix|fiz a matricula)", "pagou/matriculou-se"),
    (r"^(?:ta |esta |entao )?fechad[oa](?: entao)?$", "fechou"),
    (r"\bpode (?:reservar|agendar|marcar|fechar|confirmar)\b", "confirmou a reserva"),
]  # fmt: skip
START_DATE: Patterns = [
    (r"\b(?:comeco|comecar|inicio|iniciar|vou comecar|posso comecar|quero comecar) (?:\w+ ){0,2}"
     r"(?:amanha|hoje|segunda|terca|quarta|quinta|sexta|sabado|domingo|semana que vem|"
     r"proxima semana|dia \d+|mes que vem)", "confirmou data de início"),
    (r"\b(?:vou|passo|estou indo|vou passar|apareco) (?:\w+ ){0,2}(?:ai|la) (?:\w+ ){0,2}"
     r"(?:amanha|hoje|segunda|terca|quarta|quinta|sexta|sabado|domingo)", "combinou ir à academia"),
]  # fmt: skip
VISIT_REQUEST: Patterns = [
    (r"\b(?:quero|queria|gostaria de|posso|da para|como) (?:\w+ ){0,2}(?:agendar|marcar|fazer|"
     r"conhecer) (?:\w+ ){0,2}(?:visita|aula experimental|aula teste|aula gratis|academia|"
     r"espaco|avaliacao)", "pediu visita/aula experimental"),
    (r"\b(?:quero|queria|gostaria de|posso|da para|vamos) (?:agendar|marcar)\b|"
     r"\b(?:da para|posso|quero) experimentar\b", "pediu visita/aula experimental"),
]  # fmt: skip
INTEREST: Patterns = [
    (r"\btenho (?:muito )?interesse", ""),
    (r"\b(?:quero|queria|gostaria de|preciso|pretendo|estou pensando em|"
     r"estou querendo) (?:\w+ ){0,1}(?:comecar|treinar|entrar|voltar|malhar|fazer academia|"
     r"me exercitar|saber mais)", ""),
    (r"\bbora\b", ""),
]  # fmt: skip
PRICE: Patterns = [
    (r"\bquanto (?:custa|e|fica|esta|sai|seria|cobra|cobram|eh|que e|ficaria)\b", ""),
    (r"\b(?:valor|valores|preco|precos|mensalidade|plano|planos|tabela|promocao|desconto|"
     r"taxa de (?:matricula|adesao)|pacote|anuidade|parcel\w+)\b|^(?:e )?quanto$", ""),
]  # fmt: skip
HOURS: Patterns = [
    (r"\b(?:horario|horarios|que horas|ate que horas|funcionamento|abre|abrem|fecha|fecham|"
     r"funciona|funcionam|aberto|aberta|24 horas|madrugada)\b", ""),
]  # fmt: skip
LOCATION: Patterns = [
    (r"\b(?:onde fica|onde e|onde voces ficam|endereco|localizacao|unidade|unidades|bairro|"
     r"estacionamento|como chego|perto de|perto do|perto da)\b", ""),
]  # fmt: skip
TOPICS: dict[str, str] = {
    "musculação": r"\bmusculacao\b",
    "aulas coletivas": r"\baulas? coletivas?\b|\bzumba\b|\bspinning\b|\bjump\b|\bdanca\b",
    "pilates": r"\bpilates\b",
    "funcional/cross": r"\bfuncional\b|\bcross ?fit\b|\bcross\b",
    "lutas": r"\bluta|\bmuay thai\b|\bjiu|\bboxe\b",
    "personal trainer": r"\bpersonal\b",
    "avaliação física": r"\bavaliacao( fisica)?\b|\bbioimpedancia\b",
    "nutrição": r"\bnutri\w*|\bdieta\b",
    "aula experimental": r"\baula (?:experimental|teste|gratis)\b|\bprimeira aula\b|"
    r"\bexperimentar\b",
    "formas de pagamento": r"\b(?:cartao|pix|boleto|credito|debito|parcel\w+)\b",
}

OBJECTIONS: dict[str, Patterns] = {  # NEGATABLE
    "preço": [
        (r"\b(?:caro|cara|salgado|puxado|pesado no bolso|mais barat[oa])\b", ""),
        (r"\bfora do (?:meu )?orcamento\b", ""),
    ],
    "distância": [(r"\b(?:longe|distante|fora de mao|contramao)\b", "")],
}
OBJECTIONS_AS_WRITTEN: dict[str, Patterns] = {  # contain their own negation
    "falta de tempo": [
        (r"\b(?:nao tenho|sem|falta|falta de|nao sobra|nao da) (?:muito |tanto |mais )?"
         r"tempo\b", ""),
        (r"\b(?:rotina|agenda) (?:muito )?(?:corrida|apertada|puxada|cheia)\b|\bcorreria\b", ""),
        (r"\btrabalho (?:o dia (?:todo|inteiro)|muito|ate tarde)\b", ""),
    ],
    "falta de dinheiro": [
        (r"\b(?:nao tenho|sem|falta) (?:\w+ )?(?:dinheiro|grana|condicoes|condicao)\b", ""),
        (r"\b(?:nao (?:posso|consigo) pagar|nao cabe no (?:meu )?bolso|desempregad[oa]|"
         r"(?:dinheiro|grana) (?:curt[oa]|apertad[oa]))\b", ""),
    ],
    "distância": [(r"\b(?:nao tenho (?:carro|como ir)|moro longe)\b", "")],
}  # fmt: skip
HESITATION: Patterns = [
    (r"\b(?:vou pensar|vou ver|deixa eu ver|preciso ver com|vou conversar com|"
     r"depois (?:eu )?(?:vejo|falo|te falo|decido|retorno)|"
     r"qualquer coisa (?:eu )?(?:falo|chamo|aviso)|mais para frente|agora nao|talvez)\b", ""),
]  # fmt: skip

GOALS: dict[str, Patterns] = {  # NEGATABLE
    "Perda de peso": [
        (r"\bemagrec\w*|\bperd\w* (?:de )?(?:\w+ )?(?:peso|barriga|gordura|quilos|kg|medidas)", ""),
        (r"\b(?:secar|queimar gordura|baixar (?:o |meu )?peso|diminuir (?:a )?barriga|"
         r"acima do peso|sobrepeso|obes\w+|reduzir medidas|\d+ ?(?:kg|quilos) a menos)\b", ""),
    ],
    "Ganho muscular": [
        (r"\bganh\w* (?:de )?(?:\w+ )?(?:massa|musculo\w*|peso)\b|\bhipertrofia\b", ""),
        (r"\b(?:massa muscular|ficar (?:mais )?(?:forte|grande|definid[oa]|marombad[oa])|"
         r"definir|definicao|tonific\w+|crescer|bombar|muito magr[oa]|magr[oa] demais)\b", ""),
    ],
    "Condicionamento": [
        (r"\b(?:condicionamento|resistencia|folego|correr|corrida|maratona|preparo fisico|"
         r"cardio|performance|desempenho|agilidade)\b", ""),
    ],
    "Saúde/bem-estar": [
        (r"\b(?:saude|saudavel|bem estar|qualidade de vida|pressao alta|diabet\w+|colesterol|"
         r"coluna|lombar|postura|ansiedade|estresse|stress|depressao|fisioterap\w+|reabilit\w+|"
         r"cirurgia|dormir melhor|disposicao|idos[oa]|terceira idade|gravida|gestante)\b", ""),
        (r"\b(?:medico|medica|cardiologista|ortopedista) (?:\w+ )?(?:mandou|recomendou|pediu|"
         r"indicou|falou)\b|\bdor(?:es)? (?:\w+ )?(?:costas|joelho|coluna)\b", ""),
    ],
    "Outro": [
        (r"\b(?:aprender|fazer|praticar|treinar) (?:\w+ )?(?:luta|muay thai|jiu jitsu|boxe|danca|"
         r"zumba|natacao|yoga|ioga)\b", ""),
    ],
}  # fmt: skip
STATED_GOAL = re.compile(r"\b(?:meu objetivo|minha meta|meu foco|o que eu quero)\b")

CONDITIONS: dict[str, Patterns] = {  # NEGATABLE, strongest evidence first
    "Avançado": [
        (r"\b(?:avancad[oa]|atleta|competi(?:dor|dora|cao|r)|fisiculturista|bodybuilder|"
         r"maratonista|triatleta|treino todo dia|treino todos os dias)\b", ""),
    ],
    "Intermediário": [
        (r"\b(?:intermediari[oa]|ja treino|estou treinando|treino regularmente|faco academia|"
         r"(?:treino|corro|faco \w+|pratico \w+) \d+ vezes (?:por|na) semana)\b", ""),
    ],
    "Iniciante": [
        (r"\b(?:iniciante|estou comecando|comecei (?:agora|ha pouco|recentemente)|"
         r"primeira vez (?:em|na|numa) academia|nunca fiz (?:musculacao|crossfit|funcional)|"
         r"sou nov[oa] (?:nisso|na))\b", ""),
    ],
    "Sedentário": [
        (r"\b(?:sedentari[oa]|estou parad[oa]|ando parad[oa]|fora de forma|"
         r"nunca (?:treinei|malhei|fiz academia|fiz exercicio|pratiquei|fui (?:em|na|a) academia)|"
         r"faz (?:muito )?tempo que (?:nao|eu nao) (?:treino|malho|faco)|"
         r"parei|(?:parada|parado) (?:ha|faz)|(?:uns|alguns|\d+) anos sem treinar|"
         r"nao (?:faco|pratico) (?:nenhum |nenhuma )?(?:exercicio|atividade|esporte))\b", ""),
    ],
}  # fmt: skip
TRAINING_FOR = re.compile(
    r"\b(?:treino|pratico|faco musculacao|estou treinando|faco academia) (?:ha|faz) "
    r"(?:mais de |uns |umas |quase )?(\d+|um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|"
    r"nove|dez) (anos?|mes(?:es)?|semanas?)\b"
)
NUMBER_WORDS = {
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
    "sete": 7, "oito": 8, "nove": 9, "dez": 10,
}  # fmt: skip

# --- Visit dates (see `visit_date.py`); matched on folded text that keeps "/" and "-" ---
DATE_SLANG = {
    "hj": "hoje", "hje": "hoje", "amnh": "amanha", "amanhan": "amanha", "dps": "depois",
    "sab": "sabado", "sabad": "sabado", "dom": "domingo", "seg": "segunda",
    "sext": "sexta",
}  # fmt: skip
WEEKDAYS = {  # folded name -> date.weekday()
    "segunda": 0, "terca": 1, "quarta": 2, "quinta": 3, "sexta": 4, "sabado": 5, "domingo": 6,
}  # fmt: skip
WEEKDAY_NUMBERS = {"2": 0, "3": 1, "4": 2, "5": 3, "6": 4}  # "2a feira", "6ª-feira"
MONTHS = {
    "janeiro": 1, "jan": 1, "fevereiro": 2, "fev": 2, "marco": 3, "mar": 3, "abril": 4,
    "abr": 4, "maio": 5, "mai": 5, "junho": 6, "jun": 6, "julho": 7, "jul": 7, "agosto": 8,
    "ago": 8, "setembro": 9, "set": 9, "outubro": 10, "out": 10, "novembro": 11, "nov": 11,
    "dezembro": 12, "dez": 12,
}  # fmt: skip
# Words after "segunda"/"quinta"... that make it an ordinal, not a weekday ("segunda vez").
NOT_A_WEEKDAY_AFTER = {"vez", "aula", "opcao", "unidade", "parcela", "mensalidade", "serie"}

# --- Intent: why the contact wrote (profile.INTENTS; docs/analysis.md#intent) ---
# Matched on the contact's normalised clauses. Precedence when several match: opt_out, then
# cancellation, wrong_number, member, other (`rules.intent_of`); a conversation matching none is
# a new lead. Opt-out phrases carry their own negation and are read as written; the others are
# NEGATABLE ("nao quero cancelar" is not a cancellation).
OPT_OUT: Patterns = [
    (r"\bnao (?:quero|queria|desejo|gostaria de) (?:mais )?(?:receber|ser contatad[oa]|"
     r"que (?:me )?(?:mandem|enviem|liguem|chamem|contatem))", "pediu para não receber mensagens"),
    (r"\b(?:pare|para|parem|parar) de (?:me )?(?:mandar|enviar|ligar|chamar|encher|"
     r"incomodar|perturbar)", "pediu para parar as mensagens"),
    (r"\bnao (?:me )?(?:mande|mandem|envie|enviem|ligue|liguem|chame|chamem) (?:mais|nada)",
     "pediu para não receber mensagens"),
    (r"\bnao (?:entre|entrem) (?:mais )?em contato", "pediu para não ser contatado"),
    (r"^(?:quero |favor |por favor )?(?:sair|stop|parar|pare|remover|cancelar inscricao)"
     r"(?: por favor)?$", "pediu para sair da lista"),
    (r"\b(?:sair|me (?:tira|tire|tirem|remova|removam|exclua)|remover (?:o )?meu numero|"
     r"tirar (?:o )?meu numero|excluir (?:o )?meu numero) (?:\w+ ){0,2}(?:da|dessa|desta|de) "
     r"(?:sua |vossa )?(?:lista|listas|contatos|base|cadastro)", "pediu para sair da lista"),
    (r"\bdescadastr\w*", "pediu para ser descadastrado"),
    (r"\b(?:remov\w+|exclu\w+|apag\w+) (?:o )?meu (?:numero|contato|cadastro)",
     "pediu para ser removido"),
    (r"\bchega de (?:mensage\w*|propaganda)|\bvou (?:te )?bloquear\b", "reclamou das mensagens"),
]  # fmt: skip
CANCELLATION: Patterns = [  # NEGATABLE
    (r"\bcancel\w* (?:\w+ ){0,2}(?:plano|matricula|contrato|assinatura|mensalidade|debito|"
     r"cobranca|recorrencia)", "quer cancelar o plano"),
    (r"\b(?:quero|queria|gostaria de|preciso|vou) (?:\w+ )?cancelar\b"
     r"(?! (?:\w+ ){0,2}(?:aula|visita|avaliacao|horario|agendamento|experimental))",
     "quer cancelar"),
    (r"\btranc\w+ (?:\w+ ){0,2}(?:plano|matricula|contrato)", "quer trancar o plano"),
    (r"\b(?:reclamacao|reclamar|procon|reclame aqui|estorno|reembolso|"
     r"devolv\w+ (?:\w+ ){0,2}dinheiro|cobranca indevida|cobrad[oa] (?:duas vezes|errado|"
     r"indevidamente|a mais)|cobraram (?:duas vezes|errado|a mais))\b", "reclamação"),
    (r"\b(?:pessim[oa]|horrivel|lamentavel|vergonhos[oa]) (?:\w+ )?(?:atendimento|servico|"
     r"experiencia|academia)|\b(?:atendimento|servico) (?:\w+ )?(?:pessimo|horrivel|"
     r"lamentavel)|\binsatisfeit[oa]|\bdescaso\b|\bfalta de respeito\b", "reclamação"),
]  # fmt: skip
WRONG_NUMBER: Patterns = [
    (r"\b(?:numero errado|engano|era para outra pessoa|mensagem errada|enviei errado|"
     r"nao (?:conheco (?:voces|essa empresa|esse numero|ninguem)|pedi (?:nada|isso|informac\w*)|"
     r"solicitei|me cadastrei)|quem (?:e voce|sao voces|esta falando)|"
     r"como (?:conseguiu|conseguiram|pegou|pegaram|arrumou) (?:o )?meu numero)\b",
     "número errado"),
    (r"\b(?:renda extra|ganhe dinheiro|ganhar dinheiro|clique no link|acesse o link|"
     r"investimento|bitcoin|cripto\w*|emprestimo|consignado|seguidores|curtidas|"
     r"oferta imperdivel|promocao imperdivel|fornecedor|represento a empresa|parceria comercial|"
     r"divulgar (?:minha|meu|a sua|sua)|trafego pago|marketing digital)\b", "spam ou oferta"),
    (r"\b(?:curriculo|vaga de emprego|vagas de emprego|trabalhar (?:ai|com voces|na academia)|"
     r"estao contratando|tem vaga para (?:personal|professor|recepcionista|instrutor))\b",
     "procura emprego"),
]  # fmt: skip
MEMBER: Patterns = [  # NEGATABLE
    (r"\b(?:sou alun[oa]|ja sou alun[oa]|sou matriculad[oa]|ja sou matriculad[oa]|"
     r"ja treino (?:ai|com voces|na academia|nessa academia)|treino ai (?:ha|faz|desde))\b",
     "já é aluno"),
    (r"\bmeu (?:plano (?:vence|venceu|atual|vai vencer|mensal|anual|trimestral|semestral)|"
     r"boleto|acesso|cadastro no app|treino (?:novo|da semana|de hoje)|professor|personal|"
     r"contrato|pagamento (?:do mes|mensal)|cartao de acesso|biometria)\b",
     "fala do próprio plano"),
    (r"\bminha (?:mensalidade|ficha|ficha de treino|carteirinha|senha do app|matricula "
     r"(?:vence|venceu|atual)|biometria|digital nao|avaliacao de reavaliacao|reavaliacao|"
     r"renovacao|fatura)\b", "fala do próprio plano"),
    (r"\b(?:segunda via|renovar (?:o |meu )?plano|trocar (?:o |meu )?(?:plano|horario de treino)|"
     r"a catraca|catraca nao|liberar (?:a )?(?:catraca|minha entrada)|minha entrada|"
     r"mudar (?:a )?(?:forma|data) de pagamento|atualizar (?:o )?cartao|mudar (?:meu )?treino)\b",
     "fala do próprio plano"),
]  # fmt: skip
OTHER: Patterns = [  # NEGATABLE
    (r"\b(?:achados e perdidos|esqueci (?:\w+ ){0,2}(?:ai|na academia|no vestiario|na recepcao)|"
     r"perdi (?:\w+ ){0,2}(?:ai|na academia)|cnpj|nota fiscal|patrocinio|doacao|"
     r"entrega (?:de|do|da) (?:encomenda|pacote)|alugar (?:o )?espaco|evento (?:beneficente|"
     r"corporativo)|entrevista|reportagem|pesquisa academica|tcc)\b", "outro assunto"),
]  # fmt: skip
