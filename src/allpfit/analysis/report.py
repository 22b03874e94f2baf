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
    return f"Perfil: {who}; {condition}; {goal}. Probabilidade de conversão estimada: {s.score}/5."


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
    if s.score == 1 and s.objections:
        advice = _join([OBJECTION_ADVICE[o] for o in s.objections])
        return f"Recomendação: tratar a objeção antes de insistir na venda: {advice}."
    return f"Recomendação: {RECOMMENDATIONS.get(s.score, RECOMMENDATIONS[2])}"


def follow_up(s: Signals) -> str:
    """A WhatsApp-ready message in pt-BR, personalised with the lead's first name."""
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
