"""What happens in a demo conversation: the lead scripts, told through `Dialogue`.

One script for every business of the demo: the words come from the business's phrase module
(`d.text`: the gym's or the pilates studio's), the flow is the same. WhatsApp leads meet the bot
first: greeting, name, goal, fitness level, questions (price,
hours, location), maybe an objection, then either a trial class booked by the bot (for a day
named as people do: "amanhã", "sexta", "dia 12") or a handoff to a human consultant. Leads
drop out at any step; the bot closes some of those for inactivity. Human chats end resolved
(often with a CSAT survey), snoozed or still open, and some resolved conversations are
reopened days later by the lead. Web-widget visitors talk
to humans only (no bot on that inbox).
"""

from __future__ import annotations

from datetime import date, timedelta

from allpfit.demo import intents
from allpfit.demo.dialogue import LOCAL_OFFSET, RESOLVED, Dialogue, Stop

RECENT = 10 * 86400
# What a lead says at the end of a chat with a consultant: keen leads close, cool ones put it
# off (both businesses; the rule analyzer reads these as enrolment or hesitation).
LEAD_KEEN = ("fechado então, pode fazer minha matrícula", "quero fechar o plano",
             "vou passar aí amanhã pra fechar", "pode reservar sim, vou me matricular")  # fmt: skip
# What a lead who is not keen answers a consultant (the phrase modules' LEAD_AFTER_AGENT holds
# keen lines too: "fechado então"; a lead says those with the chance of its propensity).
LEAD_NEUTRAL = ("ah legal", "entendi", "ok", "hmm", "certo", "obrigada pela atenção")
LEAD_COOL = ("vou pensar e te falo", "depois eu vejo isso", "agora não dá, talvez mês que vem",
             "preciso ver com meu marido")  # fmt: skip


class _Dropped(Exception):
    """The lead stopped answering."""


def play(d: Dialogue, widget: bool, kind: str = "new_lead") -> None:
    """Run one whole conversation on `d`; stops quietly at the end of the period. `kind` is the
    conversation's hidden intent (demo/intents.py); a new lead's `d.propensity` steers it."""
    try:
        if kind != "new_lead":
            intents.play_other(d, kind)
        elif widget:
            _widget(d)
        else:
            _whatsapp(d)
        if kind == "new_lead" and d.status == RESOLVED and d.rng.random() < 0.09:
            _reopen(d)  # a lead comes back; the others' matter was settled
    except Stop:
        pass


def _step(d: Dialogue) -> None:
    """A lukewarm lead stops answering more often (15 % a step at propensity 0, none at 1)."""
    if d.rng.random() < 0.15 * (1 - d.propensity):
        raise _Dropped


def _whatsapp(d: Dialogue) -> None:
    rng, t = d.rng, d.text
    name = d.lead_name
    d.lead(rng.choice(t.GREETINGS), gap=0)
    if rng.random() < 0.15 + 0.4 * d.propensity:
        d.lead(rng.choice(t.QUESTIONS["price"]), gap=rng.randint(2, 20))
    try:
        d.bot(rng.choice(t.BOT_WELCOME))
        _step(d)
        first, last = name, rng.choice(t.LAST_NAMES)
        d.lead(rng.choice(t.LEAD_NAME).format(first=first, last=last, first_lower=first.lower()))
        d.bot(rng.choice(t.BOT_ASK_GOAL).format(name=name))
        _step(d)
        d.lead(rng.choice(t.LEAD_GOAL))
        d.bot(rng.choice(t.BOT_ASK_LEVEL))
        _step(d)
        d.lead(rng.choice(t.LEAD_LEVEL))
        if rng.random() < 0.6:
            d.bot(rng.choice(t.BOT_ASK_PERIOD))
            d.lead(rng.choice(t.LEAD_PERIOD))
        asked = 1 + (rng.random() < d.propensity) + (rng.random() < d.propensity)  # keen: more
        topics = rng.sample(("price", "hours", "location"), asked)
        for topic in topics:
            _step(d)
            d.lead(rng.choice(t.QUESTIONS[topic]))
            if rng.random() < 0.2:
                d.lead(rng.choice(t.THANKS[:3]) + "?", gap=rng.randint(5, 40))
            d.bot(rng.choice(t.BOT_ANSWERS[topic]))
            if topic == "price":
                d.label("preco")
        if rng.random() < 0.6 * (1 - d.propensity) ** 2:
            _step(d)
            objection = rng.choice(t.OBJECTIONS)
            d.lead(objection)
            d.bot(rng.choice(t.BOT_OBJECTION))
            if any(w in objection for w in ("caro", "salgado", "barata", "desconto")):
                d.label("objecao_preco")
        _step(d)
        if rng.random() < 0.4:
            ask = rng.choice(t.HANDOFF_ASK)
            d.lead(ask)
            if any(word in ask for word in t.PARTNER_WORDS):
                d.label(t.PARTNER_LABEL)
            d.bot(rng.choice(t.BOT_HANDOFF))
            d.handoff()
            _human(d)
            return
        _trial(d)
    except _Dropped:
        if rng.random() < 0.75:
            d.bot("Como não tivemos retorno, vou encerrar nosso atendimento por aqui. "
                  "Quando quiser é só chamar! 😉", gap=rng.uniform(2 * 3600, 6 * 3600))  # fmt: skip
            d.label("sem_resposta")
            d.resolve(rng.uniform(1, 5))


def _trial(d: Dialogue) -> None:
    rng, t = d.rng, d.text
    d.lead(rng.choice(t.QUESTIONS["trial"]))
    d.bot(rng.choice(t.BOT_ANSWERS["trial"]))
    if rng.random() < 0.15 + 0.8 * d.propensity:
        lead_day, bot_day, hour = visit_day_words(d)
        d.lead(rng.choice(t.SCHEDULE).format(day=lead_day, hour=hour))
        d.bot(rng.choice(t.BOT_CONFIRM).format(day=bot_day, hour=hour, name=d.lead_name))
        d.label("aula_experimental")
        if rng.random() < 0.4:
            d.label("lead_quente")
    d.lead(rng.choice(t.THANKS))
    d.bot(rng.choice(t.BOT_BYE))
    if rng.random() < 0.9:
        d.resolve(rng.uniform(10, 120))


def visit_day_words(d: Dialogue) -> tuple[str, str, int]:
    """The trial class's day as the lead and the bot write it, and its hour.

    The day is 0 to 7 days after the booking, named the way people do ("hoje", "amanhã",
    "sexta", "dia 12"), always meaning one definite day that the rule analyzer can resolve (a
    weekday is the next such day, 1-7 days ahead). Half of the bookings made in the six days
    before `end` are for `end`'s own day, so the demo's "Visitas para hoje" has visits today.
    Visits fall only when the business is open (`open_hours`: never on Sunday, Saturday
    mornings only). The day is kept in `d.visit_day` (the hidden truth's, for the CRM export).
    """
    rng, t = d.rng, d.text
    local_now = d.t + LOCAL_OFFSET
    today, hour_now = local_now // 86400, local_now // 3600 % 24
    until_end = (d.end + LOCAL_OFFSET) // 86400 - today

    def day_at(ahead: int) -> date:
        return date(1970, 1, 1) + timedelta(days=today + ahead)

    later_today = [h for h in open_hours(t.VISIT_HOURS, day_at(0)) if h >= hour_now + 2]
    if (
        0 <= until_end <= 6
        and rng.random() < 0.5
        and (until_end or later_today)
        and open_hours(t.VISIT_HOURS, day_at(until_end))
    ):
        ahead = until_end
    else:
        ahead = rng.randint(1, 7)
        if not open_hours(t.VISIT_HOURS, day_at(ahead)):
            ahead = ahead - 1 if ahead > 1 else ahead + 1
    day = day_at(ahead)
    hour = rng.choice(later_today if ahead == 0 else open_hours(t.VISIT_HOURS, day))
    d.visit_day = day
    if ahead == 0:
        return rng.choice(t.LEAD_TODAY), "hoje", hour
    kind = rng.random()
    if ahead == 1 and kind < 0.6:
        return rng.choice(t.LEAD_TOMORROW), "amanhã", hour
    if ahead == 2 and kind < 0.3:
        return rng.choice(t.LEAD_DAY_AFTER), "depois de amanhã", hour
    if kind < 0.8:
        names = t.LEAD_WEEKDAYS[day.weekday()]
        return rng.choice(names), t.BOT_WEEKDAYS[day.weekday()], hour
    return f"dia {day.day}", f"dia {day.day}", hour


def open_hours(hours: tuple[int, ...], day: date) -> tuple[int, ...]:
    """The trial-class hours offered on `day`: none on Sunday, the morning ones on Saturday
    (both demo businesses close at noon or 13h on Saturday, see demo/business.py)."""
    if day.weekday() == 6:
        return ()
    if day.weekday() == 5:
        return tuple(h for h in hours if 8 <= h <= 11)
    return hours


def _human(d: Dialogue) -> None:
    rng, t = d.rng, d.text
    d.agent(rng.choice(t.AGENT_HELLO).format(name=d.lead_name, agent=d.assignee.short))  # type: ignore[union-attr]
    if rng.random() < 0.3:
        d.note(rng.choice(t.PRIVATE_NOTES))

    def answer() -> str:
        return rng.choice(t.LEAD_AFTER_AGENT if rng.random() < d.propensity**2 else LEAD_NEUTRAL)

    for _ in range(rng.choice((1, 2, 3, 3, 4, 4, 5, 6, 8, 10))):
        d.lead(answer())
        if rng.random() < 0.25:
            d.lead(answer(), gap=rng.randint(3, 60))
        d.agent(rng.choice(t.AGENT_REPLIES))
    if rng.random() < 0.15:
        d.note(rng.choice(t.PRIVATE_NOTES))
    if rng.random() < d.propensity**2:
        d.lead(rng.choice(LEAD_KEEN))
    elif rng.random() < (1 - d.propensity) ** 2:
        d.lead(rng.choice(LEAD_COOL))
    if rng.random() < 0.3:
        d.label("matriculado")
        d.label("lead_quente")
    _finish_human(d)


def _finish_human(d: Dialogue) -> None:
    """Resolve (with a CSAT survey half the time), snooze or leave open. Open and snoozed
    chats are mostly recent ones, as agents clear their queue over time."""
    rng, t = d.rng, d.text
    recent = d.end - d.t < RECENT
    roll = rng.random()
    if roll < (0.3 if recent else 0.025):
        d.agent(rng.choice(t.SNOOZE_AGENT))
        d.snooze()
        return
    if roll < (0.5 if recent else 0.07):
        return  # still open
    d.agent(rng.choice(t.AGENT_BYE).format(name=d.lead_name))
    if rng.random() < 0.6:
        d.lead(rng.choice(t.THANKS))
    d.resolve(rng.uniform(30, 1200))
    if rng.random() < 0.55:
        d.csat_survey(answer_chance=0.6)


def _widget(d: Dialogue) -> None:
    rng, t = d.rng, d.text
    d.lead(rng.choice(t.WIDGET_GREETINGS), gap=0)
    if rng.random() < 0.2 + 0.6 * d.propensity:
        d.lead(rng.choice(t.QUESTIONS[rng.choice(("price", "hours"))]), gap=rng.randint(5, 60))
    if rng.random() < 0.15:
        return  # nobody answered yet
    d.assign("sistema")
    _human(d)


def _reopen(d: Dialogue) -> None:
    """Days later the lead writes again: Chatwoot reopens the resolved conversation."""
    rng, t = d.rng, d.text
    d.lead(rng.choice(t.REOPEN_LEAD), gap=rng.uniform(86400, 12 * 86400))
    if d.has_bot:
        d.bot(f"Oi {d.lead_name}, que bom te ver de novo! Vou te passar para um consultor 😊")
        d.handoff()
    _human(d)
