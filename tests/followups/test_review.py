"""The review: approve, skip, edit (audited, eligibility re-checked), through the functions,
the CLI, and the dashboard's Follow-ups page (AppTest: bulk approval, role refusal)."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.dashboard import texts
from allpfit.errors import InputError
from allpfit.followups import plan, review
from allpfit.tenants import DEFAULT_TENANT_ID
from allpfit.users import Role
from tests.dashboard.test_app import app_env  # noqa: F401
from tests.dashboard.test_tenants_app import add_user, logged_in, shown_text
from tests.followups.world import World, default_tenant, make_world

runner = CliRunner()
PAGE = "app_pages/followups.py"


@pytest.fixture
def world(source_url: str, local_url: str, settings: Settings) -> World:
    return make_world(source_url, local_url, settings)


def planned(world: World, *names: str) -> list[int]:
    for name in names:
        world.lead(name, hours_ago=30)
    world.sync_and_profile()
    plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    with psycopg.connect(world.local_url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM followups ORDER BY id")]


def statuses(local: psycopg.Connection) -> dict[int, str]:
    return dict(local.execute("SELECT id, status FROM followups").fetchall())


def test_approve_skip_and_edit_are_audited(world: World, local: psycopg.Connection) -> None:
    first, second, third = planned(world, "Ana Souza")
    done = review.approve(world.local_url, 1, [first, 999], "gerente@academia.com")
    assert done.changed == [first] and done.refused == {999: "no such follow-up"}
    assert review.skip(world.local_url, 1, [second], "gerente@academia.com").changed == [second]
    review.edit(world.local_url, 1, third, "  Oi Ana, tudo bem?  ", "gerente@academia.com")
    assert statuses(local) == {first: "approved", second: "skipped", third: "proposed"}
    text, edited = local.execute(
        "SELECT message_text, edited FROM followups WHERE id = %s", (third,)
    ).fetchone()  # type: ignore[misc]
    assert (text, edited) == ("Oi Ana, tudo bem?", True)
    # A skipped follow-up cannot be approved again by accident; an edit withdraws approval.
    assert review.approve(world.local_url, 1, [second], "x").refused == {second: "it is skipped"}
    review.edit(world.local_url, 1, first, "Texto novo", "gerente@academia.com")
    assert statuses(local)[first] == "proposed"
    audit = local.execute(
        "SELECT actor, action, tenant_id, detail FROM audit_log ORDER BY id"
    ).fetchall()
    assert [a[1] for a in audit] == [
        "followup.approve", "followup.skip", "followup.edit", "followup.edit",
    ]  # fmt: skip
    assert all(a[0] == "gerente@academia.com" and a[2] == 1 for a in audit)
    assert "Oi Ana" not in " ".join(a[3] for a in audit)  # the text is not copied around
    with pytest.raises(InputError):
        review.edit(world.local_url, 1, second, "x", "gerente@academia.com")


def test_approval_is_refused_once_the_lead_bought(world: World, local: psycopg.Connection) -> None:
    first, *_ = planned(world, "Bia Lima")
    world.sale("Bia Lima")
    done = review.approve(world.local_url, 1, [first], "gerente@academia.com")
    assert done.refused == {first: "the lead already became a customer (CRM sale)"}
    assert statuses(local)[first] == "proposed"


def test_cli_plan_list_approve(
    world: World, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.lead("Carla Reis", hours_ago=30)
    world.sync_and_profile()
    monkeypatch.setenv("DATABASE_URL", world.local_url)
    monkeypatch.setenv("DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("SOURCE_ACCOUNT_ID", str(world.cw.account_id))
    result = runner.invoke(app, ["followups", "configure", "--steps", "1,4", "--daily-cap", "9"])
    assert result.exit_code == 0, result.output
    assert "steps 1, 4 day(s)" in result.output and "cap 9/day" in result.output
    result = runner.invoke(app, ["followups", "plan"])
    assert result.exit_code == 0, result.output
    assert "1 lead(s) eligible; 2 follow-up(s) planned" in result.output
    ids = sorted(statuses(local))
    result = runner.invoke(app, ["followups", "list", "--status", "proposed"])
    assert result.exit_code == 0, result.output
    assert "Carla" in result.output and "2 follow-up(s)." in result.output
    assert "+5511" not in result.output  # no phone numbers in the terminal
    result = runner.invoke(app, ["followups", "approve", *map(str, ids)])
    assert result.exit_code == 0, result.output
    assert "2 follow-up(s) approved." in result.output
    actor = local.execute("SELECT DISTINCT actor FROM audit_log").fetchone()
    assert actor is not None and actor[0].startswith("cli:")
    result = runner.invoke(app, ["followups", "configure", "--steps", "3,1"])
    assert result.exit_code == 2 and "Hint:" in result.output


def test_the_page_approves_in_bulk(
    world: World,
    local: psycopg.Connection,
    app_env: None,  # noqa: F811
) -> None:
    ids = planned(world, "Ana Souza", "Bia Lima")
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", PAGE)
    assert at.title[0].value == texts.PAGE_FOLLOWUPS
    text = shown_text(at)
    assert "Oi Ana! Vi que você perguntou dos planos." in text
    assert len(at.dataframe[0].value) == len(ids) == 6
    at.checkbox(key="fu_all").check().run()
    at.button(key="fu_approve").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["6 follow-ups aprovados."]
    assert set(statuses(local).values()) == {"approved"}
    audit = local.execute(
        "SELECT actor FROM audit_log WHERE action = 'followup.approve'"
    ).fetchall()
    assert audit == [("gerente@academia.com",)]


def test_the_page_skips_one_and_edits_one(
    world: World,
    local: psycopg.Connection,
    app_env: None,  # noqa: F811
) -> None:
    first, second, *_ = planned(world, "Ana Souza")
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", PAGE)
    at.multiselect(key="fu_sel").select(first).run()
    at.button(key="fu_skip").click().run()
    assert not at.exception, at.exception
    assert statuses(local)[first] == "skipped"
    at.selectbox(key="fu_edit_id").select(second).run()
    at.text_area(key=f"fu_edit_text_{second}").input("Oi Ana, vamos treinar?").run()
    at.button(key="fu_edit_save").click().run()
    assert not at.exception, at.exception
    assert texts.FOLLOWUPS_EDITED in [s.value for s in at.success]
    row = local.execute("SELECT message_text FROM followups WHERE id = %s", (second,)).fetchone()
    assert row == ("Oi Ana, vamos treinar?",)


def test_a_viewer_is_refused(
    world: World,
    local: psycopg.Connection,
    app_env: None,  # noqa: F811
) -> None:
    planned(world, "Ana Souza")
    add_user(local, "vendedor@academia.com", Role.viewer, DEFAULT_TENANT_ID)
    at = logged_in("vendedor@academia.com", PAGE)
    assert texts.FOLLOWUPS_REFUSED in [e.value for e in at.error]
    assert not at.dataframe and not [b for b in at.button if b.key == "fu_approve"]
    assert "Oi Ana" not in shown_text(at)
