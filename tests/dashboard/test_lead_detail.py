"""The lead page (`/lead?conversa=ID`): bubbles, AI profile, follow-up, CRM status, the Chatwoot
link; phone masking and tenant isolation (AppTest and real PostgreSQL with row-level security)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from allpfit.chatwoot_links import chatwoot_base, check_base_url, conversation_url
from allpfit.config import Settings, load_settings
from allpfit.dashboard import data as dashboard_data
from allpfit.dashboard import lead_view, texts
from allpfit.errors import ConfigError
from allpfit.tenants import DEFAULT_TENANT_ID
from allpfit.users import Role
from tests.dashboard.builder import Expected, Rows
from tests.dashboard.test_app import app_env, data, run, today  # noqa: F401
from tests.dashboard.test_tenants_app import (
    STUDIO_ID,
    add_user,
    logged_in,
    shown_text,
    studio_dataset,
    studio_leaks,
)

LEAD = "app_pages/lead.py"
STUDIO_ONLY_ID = 77  # a conversation id the gym (tenant 1) does not have


def open_lead(conversation: str, **query: str) -> AppTest:
    return run(LEAD, conversa=conversation, **query)


def table_values(at: AppTest) -> dict[str, str]:
    """Every (label → value) of the page's st.table elements."""
    values: dict[str, str] = {}
    for element in at.table:
        frame = element.value
        for label, value in zip(frame.index, frame.iloc[:, 0], strict=True):
            values[str(label)] = str(value)
    return values


def test_the_lead_page_shows_the_conversation_profile_and_crm(
    data: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    at = open_lead("1")  # c1: Ana Souza, bot only, score 5, visit without a day, sold (A)
    assert not at.exception and not at.error
    assert at.title[0].value == texts.LEAD_TITLE.format(name="Ana Souza")
    bubbles = at.chat_message
    assert [b.name for b in bubbles] == ["Lead", "Bot"]
    assert bubbles[0].avatar != bubbles[1].avatar
    day = (today() - timedelta(days=20)).strftime("%d/%m/%Y")
    # Created 10:00 in São Paulo (stored as UTC in the JSON): shown in the business zone.
    assert bubbles[0].caption[0].value == f"Lead · {day} 10:00"
    assert bubbles[1].caption[0].value == f"Bot · {day} 10:01"
    assert bubbles[0].text[0].value == "Oi, quero saber do plano 0"
    values = table_values(at)
    assert values["Probabilidade de conversão"] == "5 de 5"
    assert values["Condição física"] == "Iniciante"
    assert values["Objetivo"] == "Emagrecer"
    assert values["Visita agendada"] == "Sim"
    assert values["Data da visita"] == texts.VISIT_NO_DATE
    assert values["Analisado por"] == "Regras (sem IA)"
    assert values["Celular"] == "+55 11 98765-0001"
    intent = local.execute(  # the column of migration 0080, when this database has it
        "SELECT to_jsonb(ai) ->> 'intent' FROM conversas_analytics_ai ai WHERE conversation_id = 1"
    ).fetchone()[0]  # type: ignore[index]
    assert values.get("Intenção") == (texts.INTENTS[intent] if intent else None)
    assert at.code[0].value == "Mensagem sugerida 1"  # st.code: has a copy button
    assert at.expander[0].text[0].value == "Análise da conversa 1"
    since = (today() - timedelta(days=10)).strftime("%d/%m/%Y")
    assert at.success[0].value == texts.LEAD_CUSTOMER_SINCE.format(day=since)
    assert any(c.value == texts.LEAD_TRAFFIC_SALE for c in at.caption)
    assert values["Cliente"] == "Ana Souza" and values["Celular no CRM"] == "+55 11 98765-0001"
    # No CHATWOOT_URL and no display id in the dataset: no link, and a caption saying why.
    assert not at.get("link_button")
    assert any(c.value == texts.LEAD_NO_CHATWOOT for c in at.caption)


def test_a_lead_without_profile_or_crm(data: Expected) -> None:  # noqa: F811
    at = open_lead("7")  # c7: Bruno, never analysed, not a customer
    assert at.title[0].value == texts.LEAD_TITLE.format(name="Bruno Lima")
    assert any(i.value == texts.LEAD_NOT_ANALYSED for i in at.info)
    assert any(i.value == texts.LEAD_NOT_CUSTOMER for i in at.info)
    assert not at.code


@pytest.mark.parametrize("conversation", ["999", "6", "0", "-1", "abc", "1e3", "99999999999", ""])
def test_unknown_or_invalid_ids_say_not_found(
    data: Expected,  # noqa: F811
    conversation: str,
) -> None:
    at = open_lead(conversation)  # 6 exists but is no lead (the contact never wrote)
    assert not at.exception and not at.chat_message and not at.table
    shown = [w.value for w in at.warning] + [i.value for i in at.info]
    assert texts.LEAD_NOT_FOUND in shown or texts.LEAD_MISSING_ID in shown


def test_the_chatwoot_link_uses_the_setting_and_the_display_id(
    data: Expected,  # noqa: F811
    local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local.execute(
        "UPDATE conversas_analytics SET display_id = 501, account_id = 3 WHERE conversation_id = 1"
    )
    monkeypatch.setenv("CHATWOOT_URL", "https://chat.example.com/")
    at = open_lead("1")
    (button,) = at.get("link_button")
    assert button.proto.url == "https://chat.example.com/app/accounts/3/conversations/501"
    assert button.proto.label == texts.LEAD_OPEN_CHATWOOT


def test_a_javascript_chatwoot_url_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATWOOT_URL", "javascript:alert(1)")
    with pytest.raises(ConfigError, match="CHATWOOT_URL|chatwoot_url"):
        load_settings()


def test_phone_masking_applies_to_the_lead_page(data: Expected) -> None:  # noqa: F811
    at = open_lead("1")
    at.toggle(key="mask_phones").set_value(True).run()
    values = table_values(at)
    assert values["Celular"] == "+55 11 •••••-0001"
    assert values["Celular no CRM"] == "+55 11 •••••-0001"
    assert "98765-0001" not in shown_text(at)


def test_a_contact_named_after_its_phone_is_masked_in_the_title(
    app_env: None,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    Rows(local).conversation(9, contact_id=909, day=today(), name="+5511912345678")
    at = open_lead("9")
    assert at.title[0].value == texts.LEAD_TITLE.format(name=r"\+55 11 91234\-5678")
    at.toggle(key="mask_phones").set_value(True).run()
    assert "91234" not in at.title[0].value and "5678" in at.title[0].value


def test_conversation_text_is_never_rendered_as_markdown(
    app_env: None,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    rows = Rows(local)
    rows.conversation(10, contact_id=910, day=today(), name="![x](http://evil.test/a.png)")
    local.execute(
        """UPDATE conversas_analytics SET message_compiled = jsonb_build_array(
             jsonb_build_object('id', 1, 'at', now(), 'sender', 'contact',
                                'text', '**oi** [link](javascript:alert(1))'),
             jsonb_build_object('id', 2, 'at', now(), 'sender', 'system', 'text', 'Avalie'),
             jsonb_build_object('id', 3, 'at', now(), 'sender', 'agent', 'text', NULL))
           WHERE conversation_id = 10"""
    )
    at = open_lead("10")
    assert at.title[0].value.startswith(r"Lead: \!\[x\]\(http\:")
    assert [b.name for b in at.chat_message] == ["Lead", texts.LEAD_SYSTEM, "Atendente"]
    assert at.chat_message[0].text[0].value == "**oi** [link](javascript:alert(1))"  # st.text
    assert at.chat_message[2].text[0].value == texts.LEAD_ATTACHMENT


def test_the_intent_column_shows_when_the_database_has_it(
    data: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    local.execute("ALTER TABLE conversas_analytics_ai ADD COLUMN IF NOT EXISTS intent text")
    # Only a new lead is a lead conversation (0080), so the page shows that intent.
    local.execute("UPDATE conversas_analytics_ai SET intent = 'new_lead' WHERE conversation_id = 1")
    assert table_values(open_lead("1"))["Intenção"] == texts.INTENTS["new_lead"] == "Novo lead"


def test_a_long_conversation_is_cut_with_a_note(app_env: None, local: psycopg.Connection) -> None:  # noqa: F811
    Rows(local).conversation(11, contact_id=911, day=today(), senders="cb" * 1001)
    at = open_lead("11")
    assert len(at.chat_message) == lead_view.MAX_MESSAGES
    assert any(
        c.value == texts.LEAD_MESSAGES_CUT.format(shown=lead_view.MAX_MESSAGES, total=2002)
        for c in at.caption
    )


# --- Tenants: another tenant's id is "not found" --------------------------------------------


@pytest.fixture
def two_tenants(local: psycopg.Connection, app_env: None) -> None:  # noqa: F811
    from tests.dashboard.builder import standard_dataset

    standard_dataset(local, today())
    studio_dataset(local)
    local.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(STUDIO_ID),))
    try:
        Rows(local).conversation(
            STUDIO_ONLY_ID,
            contact_id=277,
            day=today(),
            name="Paula Pilates",
            phone="+5531999990001",
        )
    finally:
        local.execute("SELECT set_config('allpfit.tenant_id', '', false)")


def test_another_tenants_lead_is_not_found(two_tenants: None, local: psycopg.Connection) -> None:
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", LEAD, conversa=str(STUDIO_ONLY_ID), empresa="pilates")
    assert any(w.value == texts.LEAD_NOT_FOUND for w in at.warning)
    assert not at.chat_message and not studio_leaks(shown_text(at))
    # Id 1 exists in both tenants: the gym's manager gets the gym's Ana, never the studio's.
    at = logged_in("gerente@academia.com", LEAD, conversa="1")
    assert at.title[0].value == texts.LEAD_TITLE.format(name="Ana Souza")
    assert not studio_leaks(shown_text(at))


def test_lead_detail_reads_through_the_tenant_connection(two_tenants: None, local_url: str) -> None:
    assert dashboard_data.lead_detail(local_url, DEFAULT_TENANT_ID, STUDIO_ONLY_ID) is None
    studio = dashboard_data.lead_detail(local_url, STUDIO_ID, STUDIO_ONLY_ID)
    assert studio is not None and studio.contact_name == "Paula Pilates"
    gym = dashboard_data.lead_detail(local_url, DEFAULT_TENANT_ID, 1)
    assert gym is not None and gym.contact_name == "Ana Souza" and gym.crm
    studio_one = dashboard_data.lead_detail(local_url, STUDIO_ID, 1)
    assert studio_one is not None and studio_one.contact_name == "Paula Pilates"


def test_an_admin_sees_the_tenant_chosen_and_its_own_chatwoot(
    two_tenants: None, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATWOOT_URL", "https://gym.example.com")
    local.execute(
        "UPDATE tenants SET chatwoot_url = 'https://app.chatwoot.com' WHERE id = %s", (STUDIO_ID,)
    )
    local.execute(
        "UPDATE conversas_analytics SET display_id = 12, account_id = 2 WHERE tenant_id = %s "
        "AND conversation_id = %s",
        (STUDIO_ID, STUDIO_ONLY_ID),
    )
    add_user(local, "admin@agencia.com", Role.admin, None)
    at = logged_in("admin@agencia.com", LEAD, conversa=str(STUDIO_ONLY_ID), empresa="pilates")
    assert at.title[0].value == texts.LEAD_TITLE.format(name="Paula Pilates")
    (button,) = at.get("link_button")
    assert button.proto.url == "https://app.chatwoot.com/app/accounts/2/conversations/12"


# --- The one helper that decides the Chatwoot URL -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://chat.example.com/", "https://chat.example.com"),
        ("  HTTP://chat.example.com:3000/base/ ", "http://chat.example.com:3000/base"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt://x.com", None),
        ("data:text/html,hi", None),
        ("//chat.example.com", None),
        ("https://", None),
        ("https://chat.example.com/?q=1", None),
        ("https://user:pw@chat.example.com", None),
        ('https://x.com/"onmouseover=alert(1)', None),
        ("https://x.com:99999", None),
        ("", None),
        (None, None),
    ],
)
def test_check_base_url(value: str | None, expected: str | None) -> None:
    assert check_base_url(value) == expected


def test_conversation_url_per_tenant(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        chatwoot_url="https://gym.example.com",
    )
    assert chatwoot_base(settings, DEFAULT_TENANT_ID, "https://other.example.com") == (
        "https://gym.example.com"
    )
    assert chatwoot_base(settings, 2, "https://studio.example.com/") == "https://studio.example.com"
    assert chatwoot_base(settings, 2, None) is None  # the setting is the default tenant's only
    assert conversation_url(settings, 2, "javascript:alert(1)", 1, 5) is None
    assert conversation_url(settings, 1, None, 7, 42) == (
        "https://gym.example.com/app/accounts/7/conversations/42"
    )
    assert conversation_url(settings, 1, None, None, 42) is None
    assert conversation_url(settings, 1, None, 7, None) is None
    bare = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert conversation_url(bare, 1, "https://api-tenant.example.com", 7, 42) == (
        "https://api-tenant.example.com/app/accounts/7/conversations/42"
    )


def test_lead_view_parse_id_and_bubbles() -> None:
    assert lead_view.parse_id("42") == 42 and lead_view.parse_id(" 7 ") == 7
    for bad in ("0", "-3", "4.5", "٣", "2147483648", "x", None, ""):
        assert lead_view.parse_id(bad) is None, bad
    shown, total = lead_view.bubbles(
        [
            {"sender": "contact", "at": "2026-06-01T13:05:00+00:00", "text": " oi "},
            {"sender": "weird", "at": "not a time", "text": "?"},
        ],
        "America/Sao_Paulo",
    )
    assert total == 2
    assert (shown[0].kind, shown[0].time, shown[0].text) == ("contact", "01/06/2026 10:05", "oi")
    assert (shown[1].kind, shown[1].time) == ("system", "")
