"""What every page shares: settings, the database, the sidebar filters, the error screen.

app.py calls `settings_or_stop`, `database_or_stop` and `render`; the pages call `view()` to
read the result, which also draws the period filter (into the slot `render` reserved at the
top of the sidebar) unless the page has no use for one (`view(period=False)`). Filters live in
`st.query_params` as well as in widget state, so a link to the dashboard carries its view
(`?de=2026-11-01&ate=2026-11-25`). Every period is bounded by `queries.clamp_range`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import streamlit as st

from allpfit.config import Settings, load_settings
from allpfit.dashboard import data, pipeline_runner, queries, texts
from allpfit.dashboard.access import AccessDenied, current_tenant, require_sync
from allpfit.errors import AllpfitError
from allpfit.ops.logs import secrets_of
from allpfit.redaction import redact
from allpfit.tenants import Tenant, list_tenants
from allpfit.users import User, audit, can_trigger_sync, masks_phones, sees_all_tenants

DEFAULT_DAYS = 30
VIEW_KEY = "_allpfit_view"
PERIOD_KEY = "_allpfit_period"  # the chosen period, kept while a page without one is shown
# The tab icon ships with the package: a Material icon or an emoji would make every page load a
# web font or an image from the internet, which fails offline.
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
TEXT_LIMIT = 200  # characters kept of a free-text filter (a search box or a URL parameter)
TENANT_PARAM = "empresa"  # an admin's chosen tenant in the link; ignored for everybody else
TENANT_KEY = "f_empresa"
STATUS_SECONDS = 5  # how often a running sync's status redraws itself


@dataclass(frozen=True)
class View:
    """The state a page renders: whose data, where it is, which period, how to show it."""

    url: str
    tenant_id: int
    tz: str
    start: date
    end: date
    today: date
    mask_phones: bool
    user: User


def stop_with_error(
    message: str, exc: Exception | None = None, hint: str | None = None
) -> NoReturn:
    """Portuguese error + hint + technical detail in an expander; never a traceback."""
    st.error(message, icon=":material/error:")
    if hint is None and isinstance(exc, AllpfitError):
        hint = exc.hint
    if hint:
        st.info(hint)
    if exc is not None:
        with st.expander(texts.DB_DETAILS):
            st.code(masked_detail(exc), language=None)
    st.stop()


def masked_detail(exc: Exception) -> str:
    """The error's text with every secret masked: a driver's message can echo parts of the
    connection string, and this screen is shown to whoever opens the page."""
    text = getattr(exc, "message", None) or str(exc)
    try:
        secrets = secrets_of(load_settings())
    except AllpfitError:
        secrets = []
    return redact(text, secrets)


def clean_text(value: object, limit: int = TEXT_LIMIT) -> str:
    """A free-text filter as the queries may receive it: control characters removed, trimmed,
    at most `limit` characters.

    Every text typed in a box or taken from the URL goes through here: a NUL byte
    (`/leads?nome=%00`) cannot reach PostgreSQL (whose text type refuses it with an error),
    and a megabyte-long parameter does not become a megabyte-long ILIKE pattern.
    """
    text = value if isinstance(value, str) else ""
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return kept.strip()[:limit].strip()


def settings_or_stop() -> Settings:
    try:
        return load_settings()
    except AllpfitError as exc:
        stop_with_error(texts.CONFIG_INVALID, exc)


def database_or_stop(settings: Settings, *, details: bool = True) -> str:
    """The migrated database URL, or the error screen. `details=False` (before login) leaves
    out the technical detail, which names the database host and user."""
    try:
        return data.database_url(data.settings_key(settings), settings)
    except AllpfitError as exc:
        stop_with_error(texts.DB_UNREACHABLE, exc if details else None, texts.DB_UNREACHABLE_HINT)


def business_today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _parse_date(value: object, default: date) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return default


def _refresh() -> None:
    data.clear()


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """The period of a quick button under the period filter (keys of `texts.PERIOD_PRESETS`):
    "today" = today only, "7d" / "30d" = the last 7 / 30 days with today, "month" = from the
    1st of this month to today. Days are business days (`today` is in the tenant's zone)."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "month":
        return today.replace(day=1), today
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def _apply_preset(preset: str, today: date) -> None:
    """A quick button's callback: runs before the widgets, so the period filter shows it."""
    st.session_state["f_periodo"] = preset_period(preset, today)


def _initial_period(today: date) -> tuple[date, date, str | None]:
    """The period a session starts with (or returns to after a page without one): the one
    chosen before, else the link's `de`/`ate`, else the last DEFAULT_DAYS days; bounded by
    `queries.clamp_range`. The text is the notice to show when a link asked for more."""
    saved = st.session_state.get(PERIOD_KEY)
    if isinstance(saved, tuple) and len(saved) == 2:
        return saved[0], saved[1], None
    default_start = today - timedelta(days=DEFAULT_DAYS - 1)
    start = _parse_date(st.query_params.get("de"), default_start)
    end = _parse_date(st.query_params.get("ate"), today)
    bounded = queries.clamp_range(start, end, today)
    if not bounded.clamped:
        return bounded.start, bounded.end, None
    return bounded.start, bounded.end, f"{texts.fmt_date(start)} a {texts.fmt_date(end)}"


@dataclass(frozen=True)
class _Frame:
    """What `render` prepared for this run's page: the View without its period, the sidebar
    slot the period filter goes into, and the notice for a link that asked too much."""

    url: str
    tenant_id: int
    tz: str
    today: date
    mask_phones: bool
    user: User
    slot: Any
    asked: str | None


def tenants_of(url: str, user: User) -> list[Tenant]:
    """The enabled tenants `user` may pick from: every one for an admin (read on the owner
    connection), else the user's own, read through their tenant's connection, whose policy
    shows no other tenant's row."""
    if sees_all_tenants(user):
        with data.connect_owner(url) as conn:
            return list_tenants(conn)
    if user.tenant_id is None:
        return []
    with data.connect(url, user.tenant_id) as conn:
        return [t for t in list_tenants(conn) if t.id == user.tenant_id]


def _choose_tenant(user: User, tenants: list[Tenant]) -> Tenant:
    """This run's tenant (see `access.current_tenant`); an admin gets the "Empresa" switcher,
    everybody else a caption naming their own tenant, whatever the link says."""
    if sees_all_tenants(user) and tenants:
        slugs = [t.slug for t in tenants]
        names = {t.slug: t.name for t in tenants}
        if st.session_state.get(TENANT_KEY) not in slugs:
            asked = st.query_params.get(TENANT_PARAM)
            st.session_state[TENANT_KEY] = asked if asked in slugs else slugs[0]
        st.selectbox(
            texts.TENANT,
            options=slugs,
            format_func=lambda slug: names.get(slug, slug),
            key=TENANT_KEY,
            help=texts.TENANT_HELP,
        )
    tenant = current_tenant(user, tenants, st.session_state.get(TENANT_KEY))
    if tenant is None:
        if sees_all_tenants(user):
            stop_with_error(texts.NO_TENANTS, None, texts.NO_TENANTS_HINT)
        stop_with_error(texts.TENANT_UNAVAILABLE, None, texts.TENANT_UNAVAILABLE_HINT)
    if sees_all_tenants(user):
        st.query_params[TENANT_PARAM] = tenant.slug
    else:
        if TENANT_PARAM in st.query_params:
            del st.query_params[TENANT_PARAM]
        if user.via == "user":  # an install with users may serve several businesses
            st.caption(texts.TENANT_SHOWN.format(name=tenant.name))
    return tenant


def start_pipeline(
    url: str, user: User, tenant_id: int, slug: str, address: str | None
) -> str | None:
    """Start the tenant's pipeline in the background for `user`, audited as
    "pipeline.start"; returns the pt-BR reason when nothing was started (else None).

    The role is checked here, not only by hiding the buttons ("Sincronizar agora" in the
    sidebar, "Rodar pipeline agora" on the admin page)."""
    try:
        require_sync(user, tenant_id)
    except AccessDenied:
        return texts.SYNC_REFUSED
    try:
        started = pipeline_runner.start(tenant_id, slug)
    except OSError:
        return texts.SYNC_START_FAILED
    if not started:
        return texts.SYNC_BUSY
    with data.connect_owner(url) as conn:
        audit(
            conn,
            user.label or user.via,
            "pipeline.start",
            slug,
            tenant_id,
            address=address,
        )
    return None


def _start_sync(url: str, user: User, tenant_id: int, slug: str) -> None:
    """The "Sincronizar agora" callback: keeps the refusal to show on this run."""
    from allpfit.dashboard.login import client_address  # login imports this module

    st.session_state["_sync_message"] = start_pipeline(url, user, tenant_id, slug, client_address())


def _show_status(tenant_id: int, tz: str) -> None:
    job = pipeline_runner.status(tenant_id)
    if job is None:
        return
    if job.running:
        st.info(texts.SYNC_RUNNING.format(time=texts.fmt_datetime(job.started_at, tz)))
    elif job.ok:
        st.success(texts.SYNC_DONE.format(time=texts.fmt_datetime(job.finished_at, tz)))
    else:
        st.error(texts.SYNC_FAILED.format(time=texts.fmt_datetime(job.finished_at, tz)))
        if job.detail:
            with st.expander(texts.DB_DETAILS):
                st.code(masked_detail(RuntimeError(job.detail)), language=None)


def sync_status(tenant_id: int, tz: str) -> None:
    """The status of the tenant's latest dashboard-started run (nothing when there is none).

    While the run is alive the status redraws itself every STATUS_SECONDS (a fragment: the
    rest of the page does not rerun), so "em andamento" turns into its end without a click."""
    job = pipeline_runner.status(tenant_id)
    if job is None:
        return
    every = STATUS_SECONDS if job.running else None
    st.fragment(_show_status, run_every=every)(tenant_id, tz)


def _sync_controls(url: str, user: User, tenant: Tenant, tz: str) -> None:
    if not can_trigger_sync(user):
        return
    st.button(
        texts.SYNC_NOW,
        key="sync_now",
        on_click=_start_sync,
        args=(url, user, tenant.id, tenant.slug),
        icon=":material/sync:",
        help=texts.SYNC_NOW_HELP,
        width="stretch",
    )
    message = st.session_state.pop("_sync_message", None)
    if message:
        st.warning(message)
    sync_status(tenant.id, tz)


def render(settings: Settings, url: str, user: User) -> None:
    """Draw the shared sidebar; the page's `view()` completes it (with or without a period)."""
    tenants = tenants_of(url, user)
    with st.sidebar:
        tenant = _choose_tenant(user, tenants)
    tz = tenant.tz(settings)
    today = business_today(tz)
    asked: str | None = None
    if "f_periodo" not in st.session_state:
        first, last, asked = _initial_period(today)
        st.session_state["f_periodo"] = (first, last)
    if "mask_phones" not in st.session_state:
        st.session_state["mask_phones"] = settings.dashboard_mask_phones

    with st.sidebar:
        st.header(texts.FILTERS)
        slot = st.container()  # the period filter, drawn by view() for pages that use one
        if masks_phones(user):
            st.caption(texts.MASKED_BY_ROLE)
        else:
            st.toggle(texts.MASK_PHONES, key="mask_phones", help=texts.MASK_PHONES_HELP)
        st.button(
            texts.REFRESH,
            key="refresh",
            on_click=_refresh,
            icon=":material/refresh:",
            help=texts.REFRESH_HELP,
            width="stretch",
        )
        _sync_controls(url, user, tenant, tz)
        if user.label:
            st.caption(texts.LOGGED_AS.format(user=user.label))
        if user.via == "user":
            st.caption(texts.ROLE_SHOWN.format(role=texts.ROLES[user.role.value]))
    st.session_state[VIEW_KEY] = _Frame(
        url=url,
        tenant_id=tenant.id,
        tz=tz,
        today=today,
        mask_phones=masks_phones(user) or bool(st.session_state["mask_phones"]),
        user=user,
        slot=slot,
        asked=asked,
    )


def _period(frame: _Frame) -> tuple[date, date]:
    """Draw the period filter in the sidebar; return the bounded period, with a notice when a
    link or a pick asked for more than `queries.clamp_range` allows."""
    today = frame.today
    with frame.slot:
        chosen = st.date_input(
            texts.PERIOD,
            key="f_periodo",
            format="DD/MM/YYYY",
            min_value=queries.EARLIEST_DAY,
            max_value=today,
            help=texts.PERIOD_HELP.format(days=queries.MAX_RANGE_DAYS),
        )
        with st.container(horizontal=True, gap="small"):
            for preset, label in texts.PERIOD_PRESETS.items():
                st.button(
                    label,
                    key=f"period_{preset}",
                    on_click=_apply_preset,
                    args=(preset, today),
                    type="tertiary",
                    width="content",
                )
        # While picking a range the widget returns one date: show that single day meanwhile.
        picked = [d for d in (chosen if isinstance(chosen, tuple | list) else (chosen,)) if d]
        bounded = queries.clamp_range(
            picked[0] if picked else today, picked[-1] if picked else today, today
        )
        asked = frame.asked
        if bounded.clamped and asked is None and len(picked) == 2:
            asked = f"{texts.fmt_date(picked[0])} a {texts.fmt_date(picked[-1])}"
        if asked is not None:
            st.warning(
                texts.PERIOD_CLAMPED.format(
                    asked=asked,
                    start=texts.fmt_date(bounded.start),
                    end=texts.fmt_date(bounded.end),
                    days=queries.MAX_RANGE_DAYS,
                ),
                icon=":material/date_range:",
            )
    return bounded.start, bounded.end


def view(*, period: bool = True) -> View:
    """The View of this run, completing the sidebar that app.py drew.

    `period=False` for a page the period does not apply to ("Resultados do dia" is always
    today): it shows no period filter and its link carries none; the period chosen on the other
    pages is kept (PERIOD_KEY) for when the user goes back to them.
    """
    frame = st.session_state.get(VIEW_KEY)
    if not isinstance(frame, _Frame):
        st.stop()
    if period:
        start, end = _period(frame)
        st.session_state[PERIOD_KEY] = (start, end)
        st.query_params["de"] = start.isoformat()
        st.query_params["ate"] = end.isoformat()
    else:
        kept = st.session_state.get("f_periodo")
        if isinstance(kept, tuple) and len(kept) == 2 and PERIOD_KEY not in st.session_state:
            st.session_state[PERIOD_KEY] = kept
        start = end = frame.today
        for param in ("de", "ate"):
            if param in st.query_params:
                del st.query_params[param]
    return View(
        url=frame.url,
        tenant_id=frame.tenant_id,
        tz=frame.tz,
        start=start,
        end=end,
        today=frame.today,
        mask_phones=frame.mask_phones,
        user=frame.user,
    )
