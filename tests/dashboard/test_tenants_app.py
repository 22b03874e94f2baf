"""Tenants and roles in the Streamlit app (AppTest, real PostgreSQL with row-level security).

Two businesses share one database: the gym (tenant 1, the standard dataset) and a pilates
studio (tenant 2) whose leads have names and phones found nowhere in the gym's data, and whose
conversation ids collide with the gym's. Every test logs in through the real form as a
dashboard user of `allpfit.users`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from allpfit import users
from allpfit.dashboard import access, data, pipeline_runner, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant
from allpfit.users import Role, User
from tests.dashboard.builder import Expected, Rows, standard_dataset
from tests.dashboard.test_app import APP, PAGES, app_env, metrics, today  # noqa: F401

PASSWORD = "senha-de-teste-1"
STUDIO_ID = 2
STUDIO_NAMES = {"Paula Pilates", "Rita Studio"}
STUDIO_PHONES = ("+5531999990001", "+5531999990002")
STUDIO_SHOWN = {"+55 31 99999-0001", "+55 31 99999-0002"}
STUDIO_CONTACTS = 2


def studio_dataset(local: psycopg.Connection) -> None:
    """Tenant 2 "Studio Pilates" with two leads of its own, written through the column
    default (the session's tenant), as a tenant job writes them."""
    local.execute(
        "INSERT INTO tenants (id, slug, name, account_id) "
        "VALUES (%s, 'pilates', 'Studio Pilates', 2)",
        (STUDIO_ID,),
    )
    local.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(STUDIO_ID),))
    try:
        rows = Rows(local)
        # Ids 1 and 2 are the gym's too: conversation ids are unique per tenant only.
        rows.conversation(
            1, contact_id=201, day=today(), name="Paula Pilates", phone=STUDIO_PHONES[0]
        )
        rows.conversation(
            2,
            contact_id=202,
            day=today() - timedelta(days=5),
            name="Rita Studio",
            phone=STUDIO_PHONES[1],
        )
    finally:
        local.execute("SELECT set_config('allpfit.tenant_id', '', false)")


@pytest.fixture
def two_tenants(local: psycopg.Connection, app_env: None) -> Expected:  # noqa: F811
    expected = standard_dataset(local, today())
    studio_dataset(local)
    return expected


def add_user(local: psycopg.Connection, email: str, role: Role, tenant_id: int | None) -> User:
    user, _ = users.add_user(local, email, role, tenant_id, PASSWORD, actor="test")
    return user


def logged_in(email: str, page: str | None = None, **query: str) -> AppTest:
    """A new browser session that opened the app (with `query` in the link), logged in as
    `email` through the form, then went to `page`."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert at.title[0].value == texts.LOGIN_TITLE
    at.text_input(key="login_user").set_value(email)
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.title[0].value != texts.LOGIN_TITLE, [e.value for e in at.error]
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def shown_text(at: AppTest) -> str:
    """Everything a page shows as text: metrics, tables, captions, markdown, messages."""
    parts = [f"{m.label} {m.value}" for m in at.metric]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    for kind in (at.caption, at.markdown, at.info, at.warning, at.error, at.title):
        parts += [str(element.value) for element in kind]
    return "\n".join(parts)


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page with `column` (AppTest finds dataframes by position only)."""
    found = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert len(found) == 1, [list(frame.value.columns) for frame in at.dataframe]
    return found[0]


def studio_leaks(text: str) -> list[str]:
    markers = [*STUDIO_NAMES, *STUDIO_PHONES, *STUDIO_SHOWN, "31 99999", "Studio Pilates"]
    return [marker for marker in markers if marker in text]


@pytest.mark.parametrize("page", [None, *PAGES])
def test_a_manager_sees_only_their_tenant_whatever_the_link_says(
    two_tenants: Expected, local: psycopg.Connection, page: str | None
) -> None:
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", page, tenant="pilates", empresa="pilates")
    assert not at.error
    assert not studio_leaks(shown_text(at))
    assert not [s for s in at.selectbox if s.key == "f_empresa"]  # no tenant switcher
    assert "empresa" not in at.query_params
    if page is None or page.endswith("visao_geral.py"):
        assert metrics(at)[texts.KPI_CONTACTS] == str(two_tenants.total_contatos)
    if page and page.endswith("leads.py"):
        table = at.dataframe[0].value
        assert len(table) == two_tenants.lead_rows
        assert not STUDIO_NAMES & set(table["Nome"])
        # The search box reaches the studio's leads no better than the link did.
        at.text_input(key="f_nome").set_value("Pilates").run()
        assert any(i.value == texts.LEADS_EMPTY for i in at.info)
        at.text_input(key="f_nome").set_value("99999").run()
        assert any(i.value == texts.LEADS_EMPTY for i in at.info)


def test_a_manager_exports_their_tenant_only(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    manager = add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", "app_pages/leads.py")
    assert [b for b in at.get("download_button") if b.proto.label == texts.DOWNLOAD_CSV]
    url = at.session_state["_allpfit_view"].url
    filters = LeadFilters(start=today() - timedelta(days=29), end=today())
    csv = data.leads_csv(url, manager, DEFAULT_TENANT_ID, filters, tz="UTC", mask_phones=False)
    text = csv.decode("utf-8-sig")
    assert "Ana Souza" in text and not studio_leaks(text)
    with pytest.raises(access.AccessDenied):  # another tenant's export is refused
        data.leads_csv(url, manager, STUDIO_ID, filters, tz="UTC", mask_phones=False)


def test_a_viewer_gets_masked_phones_no_switch_and_no_export(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    viewer = add_user(local, "vendas@academia.com", Role.viewer, DEFAULT_TENANT_ID)
    at = logged_in("vendas@academia.com", "app_pages/leads.py")
    phones = list(at.dataframe[0].value["Celular"])
    assert "+55 11 •••••-0001" in phones and "+55 11 98765-0001" not in phones
    assert not [t for t in at.toggle if t.key == "mask_phones"]  # no unmask switch
    assert texts.MASKED_BY_ROLE in [c.value for c in at.sidebar.caption]
    assert not at.get("download_button")  # no export button...
    assert not [b for b in at.sidebar.button if b.key == "sync_now"]  # ...and no sync
    url = at.session_state["_allpfit_view"].url
    filters = LeadFilters(start=today() - timedelta(days=29), end=today())
    with pytest.raises(access.AccessDenied):  # ...and the export itself refuses
        data.leads_csv(url, viewer, DEFAULT_TENANT_ID, filters, tz="UTC", mask_phones=False)
    # Forcing the switch through the session changes nothing: the role masks.
    at.session_state["mask_phones"] = False
    at.run()
    assert "+55 11 98765-0001" not in list(at.dataframe[0].value["Celular"])


def test_the_admin_page_is_refused_to_managers_and_viewers(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    add_user(local, "vendas@academia.com", Role.viewer, DEFAULT_TENANT_ID)
    for email in ("gerente@academia.com", "vendas@academia.com"):
        at = logged_in(email, "app_pages/admin.py")
        assert at.error[0].value == texts.ADMIN_REFUSED
        assert not at.dataframe and not at.get("form") and not at.text_input
        assert texts.PAGE_ADMIN not in [t.value for t in at.title]
        assert not studio_leaks(shown_text(at))


def test_an_admin_switches_tenant_and_sees_its_numbers(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    add_user(local, "dono@agencia.com", Role.admin, None)
    at = logged_in("dono@agencia.com")
    switcher = at.selectbox(key="f_empresa")
    assert switcher.label == texts.TENANT and switcher.value == "default"  # the first tenant
    assert metrics(at)[texts.KPI_CONTACTS] == str(two_tenants.total_contatos)
    switcher.set_value("pilates").run()
    # Cached results are per tenant: the switch shows the studio's numbers at once.
    assert metrics(at)[texts.KPI_CONTACTS] == str(STUDIO_CONTACTS)
    assert at.query_params["empresa"] == "pilates"
    at.switch_page("app_pages/leads.py").run()
    assert set(at.dataframe[0].value["Nome"]) == STUDIO_NAMES
    at.selectbox(key="f_empresa").set_value("default").run()
    assert len(at.dataframe[0].value) == two_tenants.lead_rows
    # A link naming a tenant opens it for an admin.
    fresh = logged_in("dono@agencia.com", None, empresa="pilates")
    assert metrics(fresh)[texts.KPI_CONTACTS] == str(STUDIO_CONTACTS)


def test_the_admin_page_shows_tenants_and_audits_every_user_action(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    add_user(local, "dono@agencia.com", Role.admin, None)
    add_user(local, "gerente@studio.com", Role.manager, STUDIO_ID)
    at = logged_in("dono@agencia.com", "app_pages/admin.py")
    assert not at.exception and not at.error
    columns = texts.ADMIN_TENANT_COLUMNS
    tenants = table(at, columns["slug"])
    by_slug = {row[columns["slug"]]: row for _, row in tenants.iterrows()}
    assert set(by_slug) == {"default", "pilates"}
    assert by_slug["pilates"][columns["leads_mes"]] == str(STUDIO_CONTACTS)
    assert by_slug["pilates"][columns["situacao"]] == texts.RUN_STATUSES[None]

    people = table(at, texts.ADMIN_USER_COLUMNS["ultimo_acesso"])
    assert set(people[texts.ADMIN_USER_COLUMNS["email"]]) == {
        "dono@agencia.com",
        "gerente@studio.com",
    }

    # Add a viewer to the studio: the generated password is shown once and works.
    at.text_input(key="admin_new_email").set_value("recepcao@studio.com")
    at.selectbox(key="admin_new_role").set_value("viewer")
    at.selectbox(key="admin_new_tenant").set_value(STUDIO_ID)
    at.button(key="FormSubmitter:admin_add_user-Adicionar").click().run()
    assert not at.exception
    generated = at.code[0].value
    assert at.success[0].value.startswith("Usuário recepcao@studio.com criado")
    created = users.get_user(local, "recepcao@studio.com")
    assert created.role is Role.viewer and created.tenant_id == STUDIO_ID
    with psycopg.connect(at.session_state["_allpfit_view"].url, autocommit=True) as conn:
        assert users.authenticate(conn, "recepcao@studio.com", generated, None).id == created.id
    at.run()  # any next run: the password is gone from the page
    assert generated not in [c.value for c in at.code]

    # A bad e-mail is refused in Portuguese, nothing is created.
    at.text_input(key="admin_new_email").set_value("sem-arroba")
    at.button(key="FormSubmitter:admin_add_user-Adicionar").click().run()
    assert texts.ADMIN_EMAIL_INVALID in [e.value for e in at.error]

    # Reset the manager's password, then disable them.
    at.selectbox(key="admin_pick_user").set_value("gerente@studio.com")
    at.button(key="admin_reset").click().run()
    new_password = at.code[0].value
    with psycopg.connect(at.session_state["_allpfit_view"].url, autocommit=True) as conn:
        assert users.authenticate(conn, "gerente@studio.com", new_password, None)
    at.selectbox(key="admin_pick_user").set_value("gerente@studio.com")
    at.button(key="admin_disable").click().run()
    assert users.get_user(local, "gerente@studio.com").disabled

    actions = [(e.actor, e.action, e.detail) for e in users.list_audit(local)]
    assert ("dono@agencia.com", "user.add", "recepcao@studio.com (viewer)") in actions
    assert ("dono@agencia.com", "user.reset_password", "gerente@studio.com") in actions
    assert ("dono@agencia.com", "user.disable", "gerente@studio.com") in actions
    at.run()
    audit = table(at, texts.ADMIN_AUDIT_COLUMNS["acao"])
    assert audit.iloc[0][texts.ADMIN_AUDIT_COLUMNS["acao"]] == texts.AUDIT_ACTIONS["user.disable"]

    # Run the studio's pipeline now (while the sidebar shows the gym): audited, status shown.
    at.selectbox(key="admin_run_tenant").set_value(STUDIO_ID)
    at.button(key="admin_run_now").click().run()
    assert not at.exception
    assert at.info[0].value.startswith("Sincronização em andamento desde")
    assert not at.sidebar.info  # the gym, shown in the sidebar, runs nothing
    ended = pipeline_runner.wait(STUDIO_ID, 120)
    assert ended is not None and ended.slug == "pilates"
    at.run()
    assert not at.exception and (at.success or at.error)
    actions = [(e.actor, e.action, e.tenant_id) for e in users.list_audit(local)]
    assert ("dono@agencia.com", "pipeline.start", STUDIO_ID) in actions


def test_the_audit_log_is_paged_latest_first(
    two_tenants: Expected, local: psycopg.Connection
) -> None:
    add_user(local, "dono@agencia.com", Role.admin, None)
    for i in range(70):
        users.audit(local, "cli:test", "user.add", f"pessoa{i:02d}@x.com", DEFAULT_TENANT_ID)
    at = logged_in("dono@agencia.com", "app_pages/admin.py")
    detail = texts.ADMIN_AUDIT_COLUMNS["detalhe"]
    first = table(at, detail)
    assert len(first) == 50
    # The newest event is this admin's login, then the 70 rows newest first.
    assert first.iloc[0][texts.ADMIN_AUDIT_COLUMNS["acao"]] == texts.AUDIT_ACTIONS["login"]
    assert first.iloc[1][detail] == "pessoa69@x.com"
    at.button(key="audit_page_next").click().run()
    second = table(at, detail)
    # 72 events: the admin's creation (oldest), the 70, the login (newest).
    assert list(second[detail])[-2:] == ["pessoa00@x.com", "dono@agencia.com (admin)"]
    assert len(second) == 72 - 50


@pytest.fixture
def source_env(source_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Chatwoot source the pipeline child process reads (empty: a quick, real run)."""
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("ANALYSIS_PROVIDER", "rules")


def sync_and_wait(at: AppTest) -> pipeline_runner.JobStatus:
    """Click "Sincronizar agora", check it says it runs, wait for the child, show the end."""
    at.sidebar.button(key="sync_now").click().run()
    assert not at.exception
    assert at.sidebar.info[0].value.startswith("Sincronização em andamento desde")
    ended = pipeline_runner.wait(STUDIO_ID, 120)
    assert ended is not None and not ended.running and ended.slug == "pilates"
    at.run()
    return ended


def test_a_manager_runs_the_pipeline_for_their_tenant(
    app_env: None,  # noqa: F811
    local: psycopg.Connection,
    source_env: None,
) -> None:
    standard_dataset(local, today())
    local.execute("INSERT INTO tenants (id, slug, name, account_id) VALUES (2, 'pilates', 'P', 2)")
    add_user(local, "gerente@studio.com", Role.manager, STUDIO_ID)
    ended = sync_and_wait(logged_in("gerente@studio.com"))
    assert ended.ok, ended.detail
    # The run was the studio's (`--tenant pilates`): its sync is recorded for tenant 2 only.
    synced = local.execute("SELECT tenant_id, status FROM etl_control").fetchall()
    assert synced == [(STUDIO_ID, "success")]
    actions = [(e.actor, e.action, e.tenant_id, e.detail) for e in users.list_audit(local)]
    assert ("gerente@studio.com", "pipeline.start", STUDIO_ID, "pilates") in actions


def test_a_failed_run_shows_its_reason(
    two_tenants: Expected, local: psycopg.Connection, source_env: None
) -> None:
    """The source is empty while the studio has leads: the sync refuses to mark them all
    deleted, and the manager sees that the run failed and why."""
    add_user(local, "gerente@studio.com", Role.manager, STUDIO_ID)
    at = logged_in("gerente@studio.com")
    ended = sync_and_wait(at)
    assert not ended.ok and "Refused" in ended.detail
    assert at.sidebar.error[0].value.startswith("A sincronização terminou com erro")
    assert "Refused" in at.sidebar.code[0].value
    assert local.execute("SELECT tenant_id, status FROM etl_control").fetchall() == [
        (STUDIO_ID, "refused")
    ]


def test_no_login_shows_the_default_tenant_only(two_tenants: Expected) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update({"empresa": "pilates"})
    at.run()
    assert not at.exception
    assert metrics(at)[texts.KPI_CONTACTS] == str(two_tenants.total_contatos)
    assert not [s for s in at.selectbox if s.key == "f_empresa"]
    at.switch_page("app_pages/admin.py").run()
    assert at.error[0].value == texts.ADMIN_REFUSED


def tenant(id_: int, slug: str) -> Tenant:
    return Tenant(id=id_, slug=slug, name=slug.title())


def test_current_tenant_follows_the_user_not_the_link() -> None:
    gym, studio = tenant(1, "default"), tenant(2, "pilates")
    manager = User(7, "g@a.com", Role.manager, 1)
    admin = User(8, "d@a.com", Role.admin, None)
    assert access.current_tenant(manager, [gym, studio], "pilates") == gym
    assert access.current_tenant(manager, [studio], None) is None  # own tenant disabled
    assert access.current_tenant(admin, [gym, studio], "pilates") == studio
    assert access.current_tenant(admin, [gym, studio], "nope") == gym
    assert access.current_tenant(admin, [], None) is None
    with pytest.raises(access.AccessDenied):
        access.require_sync(manager, 2)
    with pytest.raises(access.AccessDenied):
        access.require_admin(manager)
    access.require_sync(manager, 1)
    access.require_export(admin, 2)


@pytest.fixture(autouse=True)
def _no_runs_left() -> Iterator[None]:
    """A pipeline child started by a test ends before the test's databases are dropped."""
    yield
    for tenant_id in (DEFAULT_TENANT_ID, STUDIO_ID):
        pipeline_runner.wait(tenant_id, 120)
