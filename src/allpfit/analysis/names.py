"""The lead's name: what they told the bot, or else the Chatwoot contact name, cleaned.

WhatsApp contact names are often a phone number, an emoji string or a nickname, so the name a
lead gives in the conversation ("meu nome é João", "sou a Ana", or a short answer right after
the bot asked "qual é o seu nome?") wins. Names are personal data: never log them.
"""

from __future__ import annotations

import re

from allpfit.analysis.analyzer import Conversation
from allpfit.analysis.profile import fold

# Words that follow "sou"/"me chamo" but are not names ("sou iniciante", "sou de SP").
NOT_NAMES = {
    "a", "o", "e", "de", "da", "do", "das", "dos", "um", "uma", "eu", "aqui", "que", "nao",
    "sim", "oi", "ola", "bom", "boa", "dia", "tarde", "noite", "tudo", "bem", "obrigado",
    "obrigada", "iniciante", "sedentario", "sedentaria", "aluno", "aluna", "cliente", "nova",
    "novo", "interessado", "interessada", "muito", "tenho", "quero", "gostaria", "estou",
    "to", "ta", "com", "para", "pra", "pro", "por", "mas", "so", "ja", "mae", "pai", "casado",
    "casada", "solteiro", "solteira", "estudante", "professor", "professora", "academia",
    "whatsapp", "contato", "user", "usuario", "desconhecido", "unknown", "teste", "ok", "certo",
    "isso", "claro", "blz", "beleza", "vc", "voce", "qual", "quanto", "quando", "onde", "como",
}  # fmt: skip
GENERIC_CONTACTS = {"cliente", "contato", "whatsapp", "whatsapp user", "unknown", "lead", "user"}

_WORD = r"[^\W\d_]{2,}"
_INTRO = re.compile(
    rf"(?:meu nome (?:e|eh)|me chamo|pode me chamar de|aqui (?:e|eh) (?:a|o)|"
    rf"sou (?:a|o)|nome:)\s+({_WORD}(?:\s+{_WORD})?)",
    re.IGNORECASE,
)
_ASKS_NAME = re.compile(r"(?:seu nome|como (?:voce )?se chama|como posso te chamar|com quem)")


def lead_name(conversation: Conversation) -> str | None:
    """The lead's name as they gave it, else the cleaned contact name, else None."""
    return stated_name(conversation) or clean_contact_name(conversation.contact_name)


def stated_name(conversation: Conversation) -> str | None:
    """A name the lead typed: an introduction, or a short reply to the bot asking for it."""
    asked = False
    for message in conversation.messages:
        if message.sender != "contact":
            asked = bool(_ASKS_NAME.search(fold(message.text)))
            continue
        found = _from_intro(message.text)
        if found:
            return found
        if asked:
            found = _from_reply(message.text)
            if found:
                return found
        asked = False
    return None


def _from_intro(text: str) -> str | None:
    match = _INTRO.search(_fold_same_length(text))
    if not match:
        return None
    start, end = match.span(1)
    kept: list[str] = []  # stop at the first non-name word: "meu nome é ana quero" -> "Ana"
    for word in text[start:end].split():
        if fold(word) in NOT_NAMES:
            break
        kept.append(word)
    return _title(kept) if kept else None


def _from_reply(text: str) -> str | None:
    words = re.findall(r"[^\W\d_]+", text)
    if len(words) > 1 and fold(words[0]) in {"e", "eh", "sou"}:  # "é Ana", "sou Ana"
        words = words[1:]
    cleaned = text.strip().rstrip(".!")
    if not 1 <= len(words) <= 3 or re.search(r"[\d?@]", cleaned):
        return None
    if any(fold(w) in NOT_NAMES for w in words):
        return None
    return _title(words)


def clean_contact_name(name: str | None) -> str | None:
    """The Chatwoot contact name without emojis, digits and decorations; None if unusable."""
    if not name:
        return None
    if sum(c.isdigit() for c in name) >= 4:  # a phone number, or "Cliente 5511..."
        return None
    words = re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", name)
    if not words or fold(" ".join(words)) in GENERIC_CONTACTS:
        return None
    if len(words) == 1 and len(words[0]) < 2:
        return None
    return _title(words[:3])


def _fold_same_length(text: str) -> str:
    """`fold` one character at a time, so match positions index the original text."""
    out = []
    for char in text:
        folded = fold(char)
        out.append(folded if len(folded) == 1 else char.lower())
    return "".join(out)


def first_name(name: str | None) -> str | None:
    return name.split()[0] if name else None


def _title(words: list[str]) -> str:
    small = {"da", "de", "do", "das", "dos", "e"}
    out = [w.lower() if w.lower() in small and i else w[:1].upper() + w[1:].lower()
           for i, w in enumerate(words)]  # fmt: skip
    return " ".join(out)
