"""The hidden truth of each demo conversation: why the contact wrote, and how likely to buy.

Every generated conversation draws a `Truth` before a word is written: its kind (one of the
analysis intents, `analysis.profile.INTENTS`) and, for a new lead, a latent purchase propensity
in [0, 1]. The kind picks the script (`scripts.play`); the propensity steers the lead's
script (a keen lead drops out less, objects less, books the trial class more) and, later,
whether the contact signs up in the demo CRM export (`crm_export`). Nothing of it is written
where the product reads: it lives in the demo database's own table `allpfit_demo_truth`,
which the sync never reads, so a test can check that the analyzers recover it from the
words alone (tests/demo/test_hidden_intent.py; docs/demo-data.md#hidden-intent).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from allpfit.demo.dialogue import Dialogue

TABLE = "allpfit_demo_truth"
# How often each kind occurs among WhatsApp conversations (web-widget visitors are all leads).
KINDS = (
    ("new_lead", 0.84),
    ("member", 0.05),
    ("cancellation", 0.03),
    ("opt_out", 0.03),
    ("wrong_number", 0.025),
    ("other", 0.025),
)
# Propensity of a new lead ~ Beta(A, B): most leads are lukewarm, a few are keen.
PROPENSITY_A, PROPENSITY_B = 0.8, 2.0
MEAN_PROPENSITY = PROPENSITY_A / (PROPENSITY_A + PROPENSITY_B)
# Signing up grows faster than linearly with the propensity (keen leads buy, lukewarm ones
# rarely do); SIGNUP_POWER's mean over the Beta above, E[p^k], scales it to the wanted share.
SIGNUP_POWER = 2.5
_MEAN_POWER = (
    math.gamma(PROPENSITY_A + SIGNUP_POWER)
    * math.gamma(PROPENSITY_A + PROPENSITY_B)
    / (math.gamma(PROPENSITY_A) * math.gamma(PROPENSITY_A + PROPENSITY_B + SIGNUP_POWER))
)
ALREADY_MEMBERS = ("member", "cancellation")  # in the CRM before they wrote

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    conversation_id bigint PRIMARY KEY,
    account_id integer NOT NULL,
    contact_id bigint NOT NULL,
    kind text NOT NULL,
    propensity double precision NOT NULL,
    started_at timestamp NOT NULL,
    visit_day date
)
"""
COLUMNS = ("conversation_id", "account_id", "contact_id", "kind", "propensity", "started_at",
           "visit_day")  # fmt: skip


@dataclass(frozen=True)
class Truth:
    kind: str
    propensity: float  # 0 for anyone who is not a new lead


def draw(rng: random.Random, widget: bool, known: float | None = None) -> Truth:
    """The hidden intent of one conversation. `known`: the person's propensity from an earlier
    conversation (0 if they were not a lead then): a person keeps it when they come back."""
    kind = "new_lead"
    if not widget:
        roll, cum = rng.random(), 0.0
        for name, weight in KINDS:
            cum += weight
            if roll < cum:
                kind = name
                break
    if kind != "new_lead":
        return Truth(kind, 0.0)
    if known:
        return Truth(kind, known)
    return Truth(kind, rng.betavariate(PROPENSITY_A, PROPENSITY_B))


def signup_chance(propensity: float, share: float) -> float:
    """Chance that a new lead of this propensity signs up, scaled so that about `share` of
    new leads do: rising with the propensity, which is what a working score can find."""
    return min(1.0, share * propensity**SIGNUP_POWER / _MEAN_POWER)


def create(conn: psycopg.Connection) -> None:
    conn.execute(DDL)


def write(conn: psycopg.Connection, rows: list[tuple[object, ...]]) -> None:
    """COPY one batch of truth rows (see COLUMNS)."""
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    rows.clear()


def read(
    conn: psycopg.Connection, account_id: int | None
) -> dict[int, list[tuple[str, float, object, date | None]]]:
    """contact id -> [(kind, propensity, started_at, visit_day)] of its conversations, oldest
    first; empty when the database has no truth table (a demo Chatwoot from before it)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
    if not exists or not exists[0]:
        return {}
    found: dict[int, list[tuple[str, float, object, date | None]]] = {}
    for contact_id, kind, propensity, started, visit in conn.execute(
        f"SELECT contact_id, kind, propensity, started_at, visit_day FROM {TABLE} "
        "WHERE %(account)s::int IS NULL OR account_id = %(account)s::int "
        "ORDER BY started_at, conversation_id",
        {"account": account_id},
    ):
        found.setdefault(contact_id, []).append((kind, propensity, started, visit))
    return found


# --- What people who are not new leads write (both businesses: no brand, no modality) ---
WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "member": (
        (
            "Oi, sou aluna e queria saber o horário do feriado",
            "Oi! Já sou aluno, meu plano vence semana que vem, como renovo?",
            "bom dia, preciso da segunda via do boleto desse mês",
            "a catraca não liberou minha entrada hoje",
            "Oi, minha ficha de treino sumiu do app",
            "Já sou aluno, queria trocar meu horário de treino pra noite",
        ),
        ("obrigado!", "ok, valeu", "entendi, obrigada", "blz"),
    ),
    "cancellation": (
        (
            "Quero cancelar meu plano",
            "Boa tarde, como faço para cancelar a matrícula?",
            "fui cobrado duas vezes esse mês, quero o estorno",
            "Preciso trancar minha matrícula, vou viajar",
            "Péssimo atendimento ontem na recepção",
            "quero cancelar o débito automático da mensalidade",
        ),
        ("pode ser hoje?", "aguardo retorno", "é urgente", "mudei de cidade"),
    ),
    "opt_out": (
        (
            "não quero mais receber essas mensagens",
            "Pare de me mandar mensagem por favor",
            "SAIR",
            "me descadastra dessa lista",
            "não me mandem mais nada",
            "por favor remova meu número da lista de vocês",
        ),
        ("obrigado", "já pedi antes", "por favor", "."),
    ),
    "wrong_number": (
        (
            "número errado",
            "Acho que foi engano, não conheço vocês",
            "Ganhe dinheiro em casa! Renda extra, clique no link",
            "Olá, represento a empresa Suple Max e queria propor uma parceria comercial",
            "Boa tarde, estão contratando? Queria enviar meu currículo",
            "quem é você? como conseguiu meu número?",
        ),
        ("desculpa", "foi engano", "obrigado", "aguardo"),
    ),
    "other": (
        (
            "Oi, esqueci minha garrafinha aí ontem, vocês acharam?",
            "vocês têm achados e perdidos?",
            "Qual o CNPJ de vocês? preciso para a nota fiscal",
            "Sou estudante, estou fazendo meu TCC, posso fazer uma entrevista?",
            "Perdi meu fone aí na academia, alguém achou?",
            "Vocês alugam o espaço para evento corporativo?",
        ),
        ("obrigado", "ok", "valeu", "aguardo"),
    ),
}
BOT_REPLY = ("Oi! Recebi sua mensagem e vou passar para a equipe 😊",
             "Olá! Um atendente vai te responder em breve.")  # fmt: skip
AGENT_REPLY = {
    "member": "Oi! Já verifiquei aqui e resolvi para você 😊",
    "cancellation": "Sinto muito por isso. Vou encaminhar para a gerência, que vai te ligar.",
    "opt_out": "Tudo bem, não enviaremos mais mensagens. Desculpe o incômodo.",
    "wrong_number": "Sem problemas, obrigado por avisar.",
    "other": "Vou verificar e te retorno por aqui.",
}


def play_other(d: Dialogue, kind: str) -> None:
    """A conversation of someone who is not a new lead: their reason in one or two messages,
    the bot's hand-off, maybe an agent's answer, resolved."""
    rng = d.rng
    first, second = WORDS[kind]
    d.lead(rng.choice(first), gap=0)
    for _ in range(3):  # sent as a photo (Dialogue.lead does that now and then): typed again
        if d.messages[-1].content is not None:
            break
        d.lead(rng.choice(first), gap=rng.randint(5, 60))
    if rng.random() < 0.5:
        d.lead(rng.choice(second), gap=rng.randint(5, 60))
    if d.has_bot:
        d.bot(rng.choice(BOT_REPLY))
        d.handoff()
    if rng.random() < 0.7:
        d.agent(AGENT_REPLY[kind])
        d.resolve(rng.uniform(60, 3600))
