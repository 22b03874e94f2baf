"""The text of each follow-up step and its variant tag.

The personal part is the analysis' own suggestion (`sugestao_disparo`, written for this lead
by the LLM or the offline analyzer with the business description in its prompt), so the plan
costs no LLM call. Each conversation gets one of two variants, chosen by a stable hash so a
re-plan keeps it, and the results page compares them:

- `analysis`: the suggestion as it is (plus the step's closing line from step 2 on);
- `analysis-business`: the same, then one line about the business, the first sentence of its
  description (the tenant's, else BUSINESS_DESCRIPTION), so the lead hears what it offers.

A tenant without a description gets `analysis` only.
"""

from __future__ import annotations

import hashlib
import re

VARIANTS = ("analysis", "analysis-business")
MAX_TEXT = 4000
MAX_BUSINESS_LINE = 240

MIDDLE_STEP = "Se quiser, te mando os horários desta semana para você escolher o melhor."
LAST_STEP = "Esta é minha última mensagem por aqui: quando quiser, é só responder."


def variant_for(tenant_id: int, conversation_id: int, has_business_line: bool) -> str:
    """The conversation's variant: stable across re-plans and runs (a hash, not random)."""
    if not has_business_line:
        return VARIANTS[0]
    digest = hashlib.sha256(f"{tenant_id}:{conversation_id}".encode()).digest()
    return VARIANTS[digest[0] % len(VARIANTS)]


def business_line(description: str) -> str:
    """The first sentence of the business description, bounded; "" when there is none."""
    text = " ".join(description.split())
    if not text:
        return ""
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > MAX_BUSINESS_LINE:
        sentence = sentence[: MAX_BUSINESS_LINE - 1].rstrip() + "…"
    return sentence


def compose(suggestion: str, *, step: int, steps: int, variant: str, business: str = "") -> str:
    """The message of step `step` (1-based) of `steps`."""
    parts = [suggestion.strip()]
    if variant == "analysis-business" and business:
        parts.append(business)
    if step > 1:
        parts.append(LAST_STEP if step == steps else MIDDLE_STEP)
    return "\n\n".join(p for p in parts if p)[:MAX_TEXT]
