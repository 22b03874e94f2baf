"""The businesses of the demo Chatwoot: one account each, as an agency's Chatwoot has them.

The demo plays the setup this product comes from: one Chatwoot serving several businesses.
Account 1 is AllpFit (a CrossFit gym), account 2 a pilates studio; each has its own inboxes,
bot, agents, labels and leads, and `allpfit demo` makes each one a tenant. Asked for more
accounts (the tenant benchmark makes ten), the generator cycles through these profiles and
numbers the copies ("AllpFit CrossFit 2"), so every account stays a distinct, valid Chatwoot
account (unique channel numbers, tokens and agent e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from allpfit.demo import phrases, phrases_pilates


@dataclass(frozen=True)
class Business:
    """One business profile. `text` is its phrase module (same names in each); `description`
    is what its tenant's LLM prompts are told about it (name, plans and prices, hours)."""

    name: str
    brand: str  # the short name its inboxes carry
    slug: str
    domain: str
    whatsapp_phone: str  # its WhatsApp Business number, E.164
    text: ModuleType
    description: str


GYM = Business(
    name="AllpFit CrossFit",
    brand="AllpFit",
    slug="allpfit",
    domain="allpfit.com.br",
    whatsapp_phone="+5511940028922",
    text=phrases,
    description=(
        "AllpFit CrossFit, box de CrossFit na Vila Mariana (São Paulo). Planos com aulas "
        "ilimitadas: mensal R$ 189,90, trimestral R$ 169,90/mês, semestral R$ 149,90/mês, anual "
        "R$ 129,90/mês. Aula experimental gratuita. Segunda a sexta 5h30-22h, sábado 8h-13h."
    ),
)
PILATES = Business(
    name="Studio Equilíbrio Pilates",
    brand="Studio Equilíbrio",
    slug="equilibrio",
    domain="studioequilibrio.com.br",
    whatsapp_phone="+5511930057744",
    text=phrases_pilates,
    description=(
        "Studio Equilíbrio Pilates, pilates de aparelho com fisioterapeutas no Itaim Bibi (São "
        "Paulo), turmas de até 3 alunos. Planos: 1x por semana R$ 290/mês, 2x R$ 420/mês, 3x "
        "R$ 540/mês, aula avulsa R$ 95. Aula experimental gratuita com avaliação postural. "
        "Segunda a sexta 7h-21h, sábado 8h-12h."
    ),
)
BUSINESSES = (GYM, PILATES)


def business_of(account_id: int) -> Business:
    """The profile Chatwoot account `account_id` (1-based) plays."""
    return BUSINESSES[(account_id - 1) % len(BUSINESSES)]


def copy_number(account_id: int) -> int:
    """1 for the first account of a profile, 2 for its second copy, and so on."""
    return (account_id - 1) // len(BUSINESSES) + 1


def account_name(account_id: int) -> str:
    copy = copy_number(account_id)
    name = business_of(account_id).name
    return name if copy == 1 else f"{name} {copy}"
