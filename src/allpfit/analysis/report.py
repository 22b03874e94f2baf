"""The pt-BR texts the rule analyzer writes: the 5-paragraph analysis and the follow-up message.

The sales team reads these in the dashboard, so they are complete sentences that say what was
seen and what to do next, not a dump of flags. The follow-up never promises prices or
conditions: it invites the lead to talk, and addresses them by first name when it is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allpfit.analysis.names import first_name
from allpfit.ptbr import count_of

if TYPE_CHECKING:
    from allpfit.analysis.rules import Signals

GYM = "AllpFit"
GOAL_PHRASES = {
    "Perda de peso": "perder peso",
    "Ganho muscular": "ganhar massa muscular",
    "Condicionamento": "melhorar o condicionamento",
    "Saúde/bem-estar": "cuidar da saúde e do bem-estar",
    "Outro": "alcançar seu objetivo",
}
OBJECTION_PHRASES = {
    "preço": "achou o valor caro",
    "falta de dinheiro": "citou falta de dinheiro",
    "falta de tempo": "citou falta de tempo",
    "distância": "achou a academia longe",
}
RECOMMENDATIONS = {
    5: "prioridade máxima: confirmar o compromisso assumido (visita, matrícula ou data de "
    "início), enviar as informações que faltam e receber o lead pessoalmente.",
    4: "prioridade alta: responder em até 24 horas com os valores e horários pedidos e "
    "convidar para uma aula experimental com dia e hora sugeridos.",
    3: "responder as dúvidas em aberto e convidar para conhecer a academia, sem pressão.",
    2: "enviar uma mensagem curta perguntando o objetivo do lead e oferecendo uma aula "
    "experimental.",
    0: "baixa prioridade: uma única mensagem de reengajamento, com convite para uma aula "
    "experimental.",
}
OBJECTION_ADVICE = {
    "preço": "apresentar os planos de menor valor e as formas de pagamento, reforçando o "
    "custo-benefício",
    "falta de dinheiro": "apresentar os planos de menor valor e as formas de pagamento",
    "falta de tempo": "mostrar os horários de funcionamento e como encaixar treinos curtos na "
    "rotina",
    "distância": "entender o trajeto do lead e sugerir horários em que o deslocamento seja mais "
    "fácil",
}


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " e " + items[-1]


# Contacts who are not new leads (profile.INTENTS): what they are, and what the team should do
# instead of a sales follow-up. The suggestion for opt_out is deliberately not a message.
INTENT_PHRASES = {
    "member": "já é aluno e escreveu sobre o próprio plano ou a rotina de treinos",
    "cancellation": "quer cancelar ou trancar o plano, ou fez uma reclamação",
    "opt_out": "pediu para não ser mais contatado",
    "wrong_number": "é número errado, spam ou oferta (não é um possível aluno)",
    "other": "escreveu sobre outro assunto (não é um possível aluno)",
}
INTENT_ADVICE = {
    "member": "encaminhar ao atendimento de alunos; não incluir em campanhas de venda.",
    "cancellation": "encaminhar à equipe de retenção hoje: ouvir o motivo e oferecer uma "
    "solução antes de processar o cancelamento.",
    "opt_out": "não enviar nenhuma mensagem; respeitar o pedido até o contato voltar a escrever.",
    "wrong_number": "nenhuma ação de venda.",
    "other": "responder o assunto, sem abordagem de venda.",
}
INTENT_FOLLOW_UP = {
    "member": "Não enviar follow-up de venda: contato já é aluno. Encaminhar ao atendimento de "
    "alunos.",
    "cancellation": "Não enviar follow-up de venda: contato quer cancelar ou reclamou. "
    "Encaminhar à equipe de retenção.",
    "opt_out": "Não enviar mensagens: o contato pediu para não ser contatado.",
    "wrong_number": "Não enviar mensagens: número errado ou spam.",
    "other": "Não enviar follow-up de venda: o contato tratou de outro assunto.",
}


def write_analysis(s: Signals) -> str:
    return "\n\n".join(
        [_profile(s), _engagement(s), _interests(s), _objections(s), _recommendation(s)]
    )


def _profile(s: Signals) -> str:
    who = s.name or "Lead sem nome informado"
    condition = (
        f"condição física: {s.condition}" if s.condition else "condição física não informada"
    )
    goal = f"objetivo: {s.goal}" if s.goal else "objetivo não informado"
    text = f"Perfil: {who}; {condition}; {goal}. Probabilidade de conversão estimada: {s.score}/5."
    if s.intent in INTENT_PHRASES:
        reasons = _join(s.intent_hits.get(s.intent, []))
        text += f" Não é um novo lead: {INTENT_PHRASES[s.intent]} ({reasons})."
    return text


def _engagement(s: Signals) -> str:
    if s.contact_messages == 0:
        text = "Engajamento: o lead não enviou mensagens de texto na conversa."
    else:
        average = s.words / s.contact_messages
        style = "respostas curtas" if average < 6 else "respostas detalhadas"
        text = (
            f"Engajamento: o lead enviou {count_of(s.contact_messages, 'mensagem', 'mensagens')}, "
            f"{count_of(s.questions, 'com pergunta', 'com perguntas')}, com {style} "
            f"(média de {count_of(average, 'palavra', 'palavras')})."
        )
        if s.substantive == 0:
            text += " Só houve cumprimentos e respostas curtas, sem assunto concreto."
    last = {"contact": "do lead", "bot": "do bot", "agent": "de um atendente"}
    if s.last_sender:
        text += f" A última mensagem foi {last[s.last_sender]}"
        text += ", que aguarda resposta." if s.last_sender == "contact" else "."
    if s.agent_joined:
        text += " Um atendente humano participou da conversa."
    if s.injections:
        text += (
            " Houve mensagem tentando instruir a análise (por exemplo, pedindo uma nota); "
            "ela foi desconsiderada."
        )
    return text


def _interests(s: Signals) -> str:
    asked = []
    if s.price:
        asked.append("preços e planos")
    if s.hours:
        asked.append("horários")
    if s.location:
        asked.append("localização")
    parts = []
    if asked:
        parts.append(f"perguntou sobre {_join(asked)}")
    if s.topics:
        parts.append(f"mencionou {_join(s.topics)}")
    if s.visit_request:
        parts.append("pediu para conhecer a academia ou fazer uma aula experimental")
    if s.interest:
        parts.append("demonstrou vontade de começar")
    if s.closing:
        parts.append(_join(s.closing))
    if s.visit:
        when = f" para {s.visit_date:%d/%m/%Y}" if s.visit_date else ""
        parts.append(f"ficou com visita ou aula experimental agendada{when}")
    if not parts:
        return "Interesses: não fez perguntas específicas sobre planos, horários ou modalidades."
    return f"Interesses: {'; '.join(parts)}."


def _objections(s: Signals) -> str:
    found = [OBJECTION_PHRASES[o] for o in s.objections]
    if s.hesitation:
        found.append('demonstrou hesitação ("vou pensar", "depois eu vejo")')
    if not found:
        return "Objeções: nenhuma objeção explícita na conversa."
    text = _join(found)
    suffix = " Apesar disso, avançou para o fechamento." if s.score == 5 else ""
    return f"Objeções: o lead {text}.{suffix}"


def _recommendation(s: Signals) -> str:
    if s.intent in INTENT_ADVICE:
        return f"Recomendação: {INTENT_ADVICE[s.intent]}"
    if s.score == 1 and s.objections:
        advice = _join([OBJECTION_ADVICE[o] for o in s.objections])
        return f"Recomendação: tratar a objeção antes de insistir na venda: {advice}."
    return f"Recomendação: {RECOMMENDATIONS.get(s.score, RECOMMENDATIONS[2])}"


def follow_up(s: Signals) -> str:
    """A WhatsApp-ready message in pt-BR, personalised with the lead's first name."""
    if s.intent in INTENT_FOLLOW_UP:
        return INTENT_FOLLOW_UP[s.intent]
    first = first_name(s.name)
    hello = f"Oi, {first}! Tudo bem?" if first else "Oi! Tudo bem?"
    goal = GOAL_PHRASES.get(s.goal or "")
    goal_line = f" Vamos adorar te ajudar a {goal}." if goal else ""
    if s.visit:
        body = (
            f" Passando para confirmar sua visita à {GYM}. Estamos te esperando! Se precisar "
            "mudar o horário, é só me avisar por aqui."
        )
    elif s.score == 5:
        body = (
            f" Que bom que você decidiu começar na {GYM}!{goal_line} Posso te enviar agora as "
            "informações para concluir sua matrícula?"
        )
    elif s.score == 1 and s.objections:
        body = {
            "preço": " Entendo sua preocupação com o valor. Temos opções de planos diferentes; "
            "posso te mostrar qual cabe melhor no seu orçamento?",
            "falta de dinheiro": " Entendo o momento. Temos opções de planos diferentes; posso "
            "te mostrar qual cabe melhor no seu orçamento?",
            "falta de tempo": " Sei que a rotina é corrida. Me conta quais horários você tem "
            "livres? Posso te ajudar a encaixar o treino no seu dia.",
            "distância": " Sei que a distância pesa. Me conta de onde você viria e em que "
            "horário? Posso te sugerir o melhor momento para treinar.",
        }[s.objections[0]]
    elif s.score == 4:
        asked = _join([w for w, on in (("valores", s.price), ("horários", s.hours)) if on])
        about = f" Vi que você perguntou sobre {asked}." if asked else ""
        body = (
            f"{about}{goal_line} Posso te mandar os detalhes e já deixar uma aula experimental "
            "agendada? Qual dia fica melhor para você?"
        )
    elif s.score == 3:
        body = (
            f" Ficou alguma dúvida sobre a {GYM}?{goal_line} Que tal vir conhecer a academia "
            "esta semana?"
        )
    elif s.score == 2:
        body = (
            f" Aqui é da {GYM}. Qual é o seu principal objetivo com os treinos? Assim consigo te "
            "indicar o melhor caminho e agendar uma aula experimental."
        )
    else:
        body = (
            f" Aqui é da {GYM}. Vi que você entrou em contato com a gente. Posso te ajudar com "
            "informações sobre planos, horários ou uma aula experimental?"
        )
    return hello + body
