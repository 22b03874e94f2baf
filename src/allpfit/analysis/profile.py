"""LeadProfile: the one shape every analyzer must produce, validated before it is stored.

The values a gym employee sees are Brazilian Portuguese, and the enums are closed lists so the
dashboard can group on them. Validation is the last line of defence against a model that was
talked into something by the conversation it read: a probability of 7 or "alta", an unknown
goal, or a one-paragraph analysis is rejected here, and `llm.py` re-asks once with the error.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

CONDICOES = ("Sedentário", "Iniciante", "Intermediário", "Avançado")
OBJETIVOS = ("Perda de peso", "Ganho muscular", "Condicionamento", "Saúde/bem-estar", "Outro")
PARAGRAPH_TITLES = ("Perfil", "Engajamento", "Interesses", "Objeções", "Recomendação")
# Why the contact wrote (migration 0080; docs/analysis.md#intent). Only NEW_LEAD is a lead.
INTENTS = ("new_lead", "member", "cancellation", "opt_out", "wrong_number", "other")
NEW_LEAD = "new_lead"
FREE_TEXT = {"nome_mapeado_bot", "analise_ia", "sugestao_disparo"}
UNKNOWN_WORDS = {"", "null", "none", "desconhecido", "naoinformado", "naoinformada", "nd", "na"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fold(text: str) -> str:
    """Lower-case, accents removed: the form used to compare Portuguese words loosely."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _canonical(value: object, allowed: tuple[str, ...], field: str) -> str | None:
    """Map `value` onto one of `allowed` ignoring case, accents and punctuation; None = unknown."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string or null")
    key = _key(value)
    if key in UNKNOWN_WORDS:
        return None
    for option in allowed:
        if _key(option) == key:
            return option
    raise ValueError(f"must be one of {', '.join(allowed)} or null, not {value!r}")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines (or, failing that, by single line breaks)."""
    text = text.replace("\r\n", "\n").strip()
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(parts) != len(PARAGRAPH_TITLES):
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        if len(lines) == len(PARAGRAPH_TITLES):
            return lines
    return parts


class LeadProfile(BaseModel):
    """One lead, as the sales team needs it; column names match conversas_analytics_ai."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    nome_mapeado_bot: str | None = Field(None, max_length=80)
    condicao_fisica: str | None = None
    objetivo: str | None = None
    probabilidade_conversao: int = Field(ge=0, le=5)
    visita_agendada: bool = False
    analise_ia: str = Field(min_length=50, max_length=6000)
    sugestao_disparo: str = Field(min_length=10, max_length=1200)
    # Day of the scheduled visit in the business time zone; optional so that answers and
    # fixtures from before the column existed stay valid.
    data_visita: date | None = None
    # Optional (default new_lead) so answers and fixtures from before the column stay valid.
    intent: str = NEW_LEAD

    @field_validator("nome_mapeado_bot", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        if isinstance(value, str) and _key(value) in UNKNOWN_WORDS:
            return None
        return value

    @field_validator("condicao_fisica", mode="before")
    @classmethod
    def _condition(cls, value: object) -> str | None:
        return _canonical(value, CONDICOES, "condicao_fisica")

    @field_validator("objetivo", mode="before")
    @classmethod
    def _goal(cls, value: object) -> str | None:
        return _canonical(value, OBJETIVOS, "objetivo")

    @field_validator("intent", mode="before")
    @classmethod
    def _intent(cls, value: object) -> str:
        """One of INTENTS (case and separators ignored: "Opt-out" is opt_out); null is a
        new lead, as for a profile made before intents existed."""
        if value is None:
            return NEW_LEAD
        if not isinstance(value, str):
            raise ValueError(f"must be one of {', '.join(INTENTS)}, not {value!r}")
        key = re.sub(r"[^a-z]", "", fold(value))
        for option in INTENTS:
            if option.replace("_", "") == key:
                return option
        raise ValueError(f"must be one of {', '.join(INTENTS)}, not {value!r}")

    @field_validator("probabilidade_conversao", mode="before")
    @classmethod
    def _probability(cls, value: object) -> int:
        """Whole numbers only: 3, 3.0 and "3" pass; "alta", 3.5 and true do not."""
        if isinstance(value, bool):
            raise ValueError("must be a whole number from 0 to 5, not a boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise ValueError(f"must be a whole number from 0 to 5, not {value!r}")

    @field_validator("visita_agendada", mode="before")
    @classmethod
    def _visit(cls, value: object) -> object:
        if value is None:
            return False
        if isinstance(value, str) and fold(value.strip()) in {"sim", "nao"}:
            return fold(value.strip()) == "sim"
        return value

    @field_validator("data_visita", mode="before")
    @classmethod
    def _visit_date(cls, value: object) -> date | None:
        """Strictly YYYY-MM-DD (or a date): "12/06", "amanhã" or a timestamp are re-asked
        rather than guessed, since a wrong day would put a visit on the wrong dashboard day."""
        if value is None:
            return None
        if isinstance(value, datetime):
            raise ValueError("must be a date (YYYY-MM-DD) or null, not a date and time")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            text = value.strip()
            if _key(text) in UNKNOWN_WORDS:
                return None
            if ISO_DATE.fullmatch(text):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    pass
        raise ValueError(f"must be an ISO date YYYY-MM-DD or null, not {value!r}")

    @model_validator(mode="after")
    def _date_needs_a_visit(self) -> LeadProfile:
        """A date without a scheduled visit is dropped, not re-asked: `visita_agendada` is the
        judgement the rubric defines, and a day the lead merely mentioned ("talvez sábado")
        is not a visit. Dropping keeps the flag authoritative and costs no second call."""
        if not self.visita_agendada and self.data_visita is not None:
            self.data_visita = None
        return self

    @model_validator(mode="after")
    def _only_leads_score(self) -> LeadProfile:
        """Whoever is not a new lead will not buy from a follow-up: probability 0, whatever
        the model said (the rubric asks for it; coerced rather than re-asked, at no cost)."""
        if self.intent != NEW_LEAD and self.probabilidade_conversao:
            self.probabilidade_conversao = 0
        return self

    @field_validator("analise_ia")
    @classmethod
    def _five_paragraphs(cls, value: str) -> str:
        parts = split_paragraphs(value)
        if len(parts) != len(PARAGRAPH_TITLES):
            raise ValueError(
                f"must have exactly 5 paragraphs separated by a blank line "
                f"({', '.join(PARAGRAPH_TITLES)}), found {len(parts)}"
            )
        return "\n\n".join(parts)


class ProfileInvalid(ValueError):
    """The model's answer is not a valid LeadProfile; `str()` is written for the re-ask."""


def parse_profile(content: str | None) -> LeadProfile:
    """Parse a model answer (JSON, possibly fenced in ```json) into a LeadProfile."""
    data = _json_object(content or "")
    try:
        return LeadProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileInvalid(describe_errors(exc)) from None


def _json_object(content: str) -> dict[str, Any]:
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        raise ProfileInvalid("the answer is not a JSON object")
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ProfileInvalid(f"the answer is not valid JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise ProfileInvalid("the answer is not a JSON object")
    return data


def describe_errors(exc: ValidationError) -> str:
    """One short line per invalid field, e.g. `probabilidade_conversao: must be ... (got 7)`.
    Free-text fields are named but their content is not repeated."""
    problems = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "answer"
        message = err["msg"].removeprefix("Value error, ")
        if field in FREE_TEXT:  # may hold personal data: never echo it into logs
            problems.append(f"{field}: {message}")
        else:
            problems.append(f"{field}: {message} (got {err.get('input')!r:.60})")
    return "; ".join(problems)
