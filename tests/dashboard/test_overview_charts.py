"""The overview's figures are built once per tenant and period and shared by every session
(`data.overview_charts`, a cache resource): the same key gives the same objects, another
tenant or period gives its own, and the refresh button rebuilds them. Real PostgreSQL with
row-level security; the gym (tenant 1) and the pilates studio (tenant 2) of test_tenants_app."""

from __future__ import annotations

from datetime import timedelta

from allpfit.dashboard import data
from allpfit.tenants import DEFAULT_TENANT_ID
from tests.dashboard.builder import Expected
from tests.dashboard.test_app import app_env, today  # noqa: F401
from tests.dashboard.test_tenants_app import STUDIO_ID, two_tenants  # noqa: F401


def funnel_values(figure: object) -> list[int]:
    return [int(x) for x in figure.data[0].x]  # type: ignore[attr-defined]


def test_figures_are_shared_per_tenant_and_period_and_rebuilt_on_refresh(
    two_tenants: Expected,  # noqa: F811
    local_url: str,
) -> None:
    end = today()
    start = end - timedelta(days=29)
    gym = data.overview_charts(local_url, DEFAULT_TENANT_ID, start, end, end)
    # A second session asking the same: the very same objects, nothing built again.
    assert data.overview_charts(local_url, DEFAULT_TENANT_ID, start, end, end) is gym

    studio = data.overview_charts(local_url, STUDIO_ID, start, end, end)
    assert studio is not gym
    for tenant_id, figures in ((DEFAULT_TENANT_ID, gym), (STUDIO_ID, studio)):
        stages = data.funnel(local_url, tenant_id, start, end)
        assert funnel_values(figures.funnel) == [stages.leads, stages.visitas, stages.vendas]
    assert funnel_values(studio.funnel)[0] == 2  # the studio's two leads, none of the gym's
    assert funnel_values(gym.funnel) != funnel_values(studio.funnel)

    shorter = data.overview_charts(local_url, DEFAULT_TENANT_ID, end, end, end)
    assert shorter is not gym

    data.clear()  # "Atualizar dados"
    rebuilt = data.overview_charts(local_url, DEFAULT_TENANT_ID, start, end, end)
    assert rebuilt is not gym
    assert funnel_values(rebuilt.funnel) == funnel_values(gym.funnel)
