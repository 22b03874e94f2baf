"""Tenants: the businesses one install serves, and how a job learns which rows are whose.

A tenant is one row of `tenants` (migration 0050): a slug, a display name, the Chatwoot account
(and optionally inboxes) it reads, its time zone, CRM source and analysis settings. Every job
runs per tenant; every tenant table carries `tenant_id` and is guarded by row-level security
(migration 0051), so a connection scoped to one tenant (`allpfit.db.tenant_connection`) cannot
read another's rows even through a query written without a tenant filter.

Tenant 1 ("default") always exists: with no tenant defined, it covers SOURCE_ACCOUNT_ID /
SOURCE_INBOX_IDS from the settings, so a single-business install needs no configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from pydantic import SecretStr

from allpfit.config import Settings
from allpfit.errors import ConfigError

DEFAULT_TENANT_ID = 1
COLUMNS = (
    "id, slug, name, account_id, inbox_ids, timezone, crm_source, evo_dns, evo_token_ref, "
    "analysis_provider, analysis_model, llm_api_key_ref, business_description, "
    "llm_monthly_budget_brl, llm_monthly_budget_usd, enabled, source_kind, chatwoot_url, "
    "chatwoot_token_ref"
)
SOURCE_KINDS = ("database", "api")


@dataclass(frozen=True)
class Tenant:
    """One business. `*_ref` fields are secret references (`env:NAME` / `fernet:...`), never
    the secret itself; resolve them with `allpfit.tenant_secrets` when a job needs them."""

    id: int
    slug: str
    name: str
    account_id: int | None = None
    inbox_ids: list[int] = field(default_factory=list)
    timezone: str | None = None
    crm_source: str = "spreadsheet"
    evo_dns: str | None = None
    evo_token_ref: str | None = None
    analysis_provider: str | None = None
    analysis_model: str | None = None
    llm_api_key_ref: str | None = None
    business_description: str = ""
    llm_monthly_budget_brl: Decimal | None = None  # R$ a month (allpfit.tenant_budget)
    llm_monthly_budget_usd: Decimal | None = None  # set before migration 0082; read-only
    enabled: bool = True
    source_kind: str = "database"  # "api": read through Chatwoot's API into a local mirror
    chatwoot_url: str | None = None  # the API's base URL (source_kind "api")
    chatwoot_token_ref: str | None = None  # its access token, as a reference

    def scope(self, settings: Settings) -> tuple[int | None, list[int]]:
        """The Chatwoot account and inboxes this tenant reads (None / [] = all). The default
        tenant falls back to SOURCE_ACCOUNT_ID / SOURCE_INBOX_IDS."""
        if self.id == DEFAULT_TENANT_ID and self.account_id is None:
            return settings.source_account_id, list(settings.source_inbox_ids)
        return self.account_id, list(self.inbox_ids)

    def tz(self, settings: Settings) -> str:
        """The business time zone: the tenant's own, else TIMEZONE."""
        return self.timezone or settings.timezone


def list_tenants(conn: psycopg.Connection, *, include_disabled: bool = False) -> list[Tenant]:
    """Every tenant in id order (enabled ones only unless `include_disabled`)."""
    where = "" if include_disabled else "WHERE enabled"
    with conn.cursor(row_factory=class_row(Tenant)) as cur:
        return cur.execute(f"SELECT {COLUMNS} FROM tenants {where} ORDER BY id").fetchall()


def get_tenant(conn: psycopg.Connection, slug: str) -> Tenant:
    """The tenant named `slug`, or a ConfigError listing the ones that exist."""
    with conn.cursor(row_factory=class_row(Tenant)) as cur:
        found = cur.execute(f"SELECT {COLUMNS} FROM tenants WHERE slug = %s", (slug,)).fetchone()
    if found is None:
        known = ", ".join(t.slug for t in list_tenants(conn, include_disabled=True))
        raise ConfigError(
            f"There is no tenant {slug!r}.",
            hint=f"Known tenants: {known}. Add one with `allpfit tenant add`.",
        )
    return found


def select_tenants(conn: psycopg.Connection, slug: str | None) -> list[Tenant]:
    """The tenants a job runs for: the one named by `--tenant SLUG`, else every enabled one."""
    if slug is None:
        return list_tenants(conn)
    tenant = get_tenant(conn, slug)
    if not tenant.enabled:
        raise ConfigError(
            f"Tenant {slug!r} is disabled.",
            hint=f"Enable it with `allpfit tenant edit {slug} --enable`.",
        )
    return [tenant]


# --- Changing tenants (`allpfit tenant add / edit / disable`) ---------------------------------

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PROVIDERS = ("auto", "openai", "rules")
MAX_NAME = 200
MAX_DESCRIPTION = 4000
MAX_INBOXES = 1000


# What `tenant edit` can reset, and the columns' values then.
CLEARABLE: dict[str, dict[str, object]] = {
    "inboxes": {"inbox_ids": []},  # every inbox of the account
    "evo": {"evo_dns": None, "evo_token_ref": None},  # spreadsheet imports
    "llm_key": {"llm_api_key_ref": None},  # OPENAI_API_KEY
    "budget": {"llm_monthly_budget_brl": None, "llm_monthly_budget_usd": None},  # no cap
}


@dataclass(frozen=True)
class TenantChanges:
    """What `tenant add` / `tenant edit` sets; None = leave as it is (edit) or the column's
    default (add). Secret fields hold references (`env:NAME` / `fernet:...`), never a secret."""

    name: str | None = None
    account_id: int | None = None
    inbox_ids: list[int] | None = None
    timezone: str | None = None
    evo_dns: str | None = None
    evo_token_ref: str | None = None
    analysis_provider: str | None = None
    analysis_model: str | None = None
    llm_api_key_ref: str | None = None
    business_description: str | None = None
    llm_monthly_budget_brl: Decimal | None = None  # setting it retires the old USD budget
    enabled: bool | None = None
    source_kind: str | None = None
    chatwoot_url: str | None = None
    chatwoot_token_ref: str | None = None
    clear: tuple[str, ...] = ()  # keys of CLEARABLE: back to "every inbox", "no EVO", ...

    def columns(self) -> dict[str, object]:
        """The columns to write, checked: a clear ConfigError for any bad value."""
        values = {k: v for k, v in vars(self).items() if v is not None and k != "clear"}
        for what in self.clear:
            for column, empty in CLEARABLE[what].items():
                if column in values:
                    raise ConfigError(
                        f"{column} is both set and cleared.", hint="Give one or the other."
                    )
                values[column] = empty
        if "name" in values:
            values["name"] = _check_name(str(values["name"]))
        if self.account_id is not None and self.account_id <= 0:
            raise ConfigError(
                f"The Chatwoot account id must be a positive number, not {self.account_id}.",
                hint="It is the number after /app/accounts/ in Chatwoot's address bar.",
            )
        if self.inbox_ids is not None:
            values["inbox_ids"] = _check_inboxes(self.inbox_ids)
        if self.timezone is not None:
            values["timezone"] = check_timezone(self.timezone)
        if self.evo_dns is not None:
            values["evo_dns"] = self.evo_dns.strip() or None
        if self.analysis_provider is not None:
            values["analysis_provider"] = _check_provider(self.analysis_provider)
        if self.analysis_model is not None:
            values["analysis_model"] = self.analysis_model.strip() or None
        if self.business_description is not None:
            values["business_description"] = _check_description(self.business_description)
        if self.source_kind is not None:
            values["source_kind"] = _check_source_kind(self.source_kind)
        if self.chatwoot_url is not None:
            values["chatwoot_url"] = check_chatwoot_url(self.chatwoot_url)
        if self.llm_monthly_budget_brl is not None:
            if self.llm_monthly_budget_brl < 0:
                raise ConfigError(
                    f"The monthly LLM budget cannot be negative ({self.llm_monthly_budget_brl}).",
                    hint="Give an amount in reais, e.g. --budget 100 (0 = no LLM analysis).",
                )
            values["llm_monthly_budget_usd"] = None  # one budget: the one in reais wins
        return values


def check_slug(slug: str) -> str:
    """A slug names a tenant in commands and URLs: lower-case letters, digits and hyphens."""
    if not SLUG.match(slug):
        raise ConfigError(
            f"{slug!r} is not a valid tenant slug.",
            hint="Use 1 to 63 lower-case letters, digits and hyphens, starting with a letter "
            "or digit, e.g. allpfit or studio-pilates.",
        )
    return slug


def check_timezone(name: str) -> str:
    """An IANA time zone (the business's clock: dates of visits, months of the budget)."""
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"Unknown time zone {name!r}.",
            hint="Use an IANA name such as America/Sao_Paulo or America/Manaus.",
        ) from None
    return name


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ConfigError(
            f"The tenant's name must be 1 to {MAX_NAME} characters.",
            hint='Give the business\'s display name, e.g. --name "Studio Pilates".',
        )
    return name


def _check_inboxes(ids: list[int]) -> list[int]:
    bad = [i for i in ids if i <= 0]
    if bad:
        raise ConfigError(
            f"Inbox ids must be positive numbers, not {bad[0]}.",
            hint="They are the numbers after /inbox/ in Chatwoot's address bar.",
        )
    unique = sorted(set(ids))
    if len(unique) > MAX_INBOXES:
        raise ConfigError(f"At most {MAX_INBOXES} inboxes per tenant, not {len(unique)}.")
    return unique


def _check_source_kind(kind: str) -> str:
    choice = kind.strip().lower()
    if choice not in SOURCE_KINDS:
        raise ConfigError(
            f"Unknown source {kind!r}.",
            hint="Use --source database (SOURCE_DATABASE_URL) or --source api (Chatwoot's API: "
            "give --chatwoot-url and --chatwoot-token-env VAR or --chatwoot-token-stdin).",
        )
    return choice


def check_chatwoot_url(url: str) -> str:
    """Chatwoot's base URL (`https://app.chatwoot.com`): no path beyond it, no credentials."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ConfigError(
            f"{url!r} is not a Chatwoot address.",
            hint="Give its base URL, e.g. --chatwoot-url https://app.chatwoot.com "
            "(http(s), no user or password in it: the token goes in --chatwoot-token-env).",
        )
    if parts.query or parts.fragment or any(c.isspace() for c in url):
        raise ConfigError(
            f"The Chatwoot address {url!r} has a query, fragment or space.",
            hint="Give only the base URL, e.g. https://chat.example.com.",
        )
    return url


def _check_api_source(kind: object, url: object, token_ref: object, account: object) -> None:
    """An API tenant needs its Chatwoot's address, its token and its account."""
    if kind != "api":
        return
    missing = [
        flag
        for flag, value in (
            ("--chatwoot-url URL", url),
            ("--chatwoot-token-env VAR (or --chatwoot-token-stdin)", token_ref),
            ("--account-id N", account),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "A tenant reading Chatwoot through its API needs " + " and ".join(missing) + ".",
            hint="The token is an access token of a Chatwoot user of the account (Profile "
            "settings > Access token); an administrator's token reads every inbox.",
        )


def _check_provider(provider: str) -> str:
    choice = provider.strip().lower()
    if choice not in PROVIDERS:
        raise ConfigError(
            f"Unknown analysis provider {provider!r}.",
            hint="Use one of: " + ", ".join(PROVIDERS) + ".",
        )
    return choice


def _check_description(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_DESCRIPTION:
        raise ConfigError(
            f"The business description has {len(text)} characters; the most is {MAX_DESCRIPTION}.",
            hint="Keep to what the analysis needs: name, plans and prices, opening days and hours.",
        )
    return text


def add_tenant(conn: psycopg.Connection, slug: str, changes: TenantChanges) -> Tenant:
    """Insert a tenant (in the caller's transaction); duplicate slug or account: ConfigError."""
    check_slug(slug)
    if changes.name is None:
        raise ConfigError("A tenant needs a name.", hint='Add --name "Business name".')
    if changes.account_id is None:
        raise ConfigError(
            "A tenant needs the Chatwoot account it reads.",
            hint="Add --account-id N (the number after /app/accounts/ in Chatwoot).",
        )
    values = {"slug": slug, **changes.columns()}
    values["crm_source"] = _crm_source(values.get("evo_dns"), values.get("evo_token_ref"))
    _check_api_source(
        values.get("source_kind"),
        values.get("chatwoot_url"),
        values.get("chatwoot_token_ref"),
        values.get("account_id"),
    )
    query = sql.SQL("INSERT INTO tenants ({}) VALUES ({}) RETURNING id").format(
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(sql.Placeholder, values)),
    )
    _write(conn, query, values, slug, changes.account_id)
    return get_tenant(conn, slug)


def edit_tenant(conn: psycopg.Connection, slug: str, changes: TenantChanges) -> Tenant:
    """Change the given fields of tenant `slug` (in the caller's transaction)."""
    current = get_tenant(conn, slug)
    values = changes.columns()
    if not values:
        raise ConfigError(
            f"Nothing to change for tenant {slug!r}.",
            hint="Give at least one option, see `allpfit tenant edit --help`.",
        )
    evo_dns = values.get("evo_dns", current.evo_dns)
    evo_token_ref = values.get("evo_token_ref", current.evo_token_ref)
    values["crm_source"] = _crm_source(evo_dns, evo_token_ref)
    _check_api_source(
        values.get("source_kind", current.source_kind),
        values.get("chatwoot_url", current.chatwoot_url),
        values.get("chatwoot_token_ref", current.chatwoot_token_ref),
        values.get("account_id", current.account_id),
    )
    query = sql.SQL(
        "UPDATE tenants SET {}, updated_at = now() WHERE slug = %(slug)s RETURNING id"
    ).format(
        sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values
        )
    )
    account = values.get("account_id", current.account_id)
    _write(conn, query, {**values, "slug": slug}, slug, account)  # type: ignore[arg-type]
    return get_tenant(conn, slug)


def disable_tenant(conn: psycopg.Connection, slug: str) -> Tenant:
    """Stop running jobs for tenant `slug`; its data stays (and stays isolated)."""
    return edit_tenant(conn, slug, TenantChanges(enabled=False))


def _crm_source(evo_dns: object, evo_token_ref: object) -> str:
    """'evo' once both EVO credentials are known, else spreadsheet imports."""
    return "evo" if evo_dns and evo_token_ref else "spreadsheet"


def _write(
    conn: psycopg.Connection,
    query: sql.Composed,
    values: dict[str, object],
    slug: str,
    account_id: int | None,
) -> None:
    try:
        with conn.transaction():
            conn.execute(query, values)
    except psycopg.errors.UniqueViolation as exc:
        constraint = exc.diag.constraint_name or ""
        if "account" in constraint:
            owner = conn.execute(
                "SELECT slug FROM tenants WHERE account_id = %s AND enabled AND slug <> %s",
                (account_id, slug),
            ).fetchone()
            raise ConfigError(
                f"Chatwoot account {account_id} is already served by tenant "
                f"{owner[0] if owner else '?'!r}.",
                hint="One account belongs to one enabled tenant; disable the other tenant "
                "first, or check the account id.",
            ) from None
        raise ConfigError(
            f"A tenant named {slug!r} already exists.",
            hint=f"Choose another slug, or change it with `allpfit tenant edit {slug}`.",
        ) from None
    except psycopg.errors.CheckViolation as exc:
        raise ConfigError(
            f"Tenant {slug!r} was not saved: a value breaks the rule "
            f"{exc.diag.constraint_name or 'of the tenants table'}.",
            hint="See `allpfit tenant add --help` for the accepted values.",
        ) from None


# --- What a job of one tenant runs with ------------------------------------------------------


def settings_for(
    tenant: Tenant, settings: Settings, *, evo: bool = False, llm: bool = False
) -> Settings:
    """`settings` as tenant `tenant`'s jobs see them: its time zone; with `evo`, its EVO
    credentials; with `llm`, its analysis provider, model and API key.

    Secrets are resolved only for the job that needs them, so a tenant's missing EVO token
    fails its CRM sync and nothing else. The default tenant falls back to the global EVO_* and
    OPENAI_* settings. Another tenant never uses the global EVO credentials (they are the
    default business's CRM), but does use the global analysis settings (provider, model,
    OPENAI_API_KEY: the install's LLM account) for whatever it does not set itself; its
    spending is capped by its own monthly budget (`allpfit.tenant_budget`)."""
    from allpfit.tenant_secrets import resolve

    update: dict[str, object] = {"timezone": tenant.tz(settings)}
    if evo:
        if tenant.evo_dns and tenant.evo_token_ref:
            token = resolve(tenant.evo_token_ref, settings, what=f"EVO token of {tenant.slug}")
            update |= {"evo_dns": tenant.evo_dns, "evo_api_token": SecretStr(token)}
        elif tenant.id != DEFAULT_TENANT_ID:
            update |= {"evo_dns": None, "evo_api_token": None}
    if llm:
        if tenant.id != DEFAULT_TENANT_ID:
            update["business_name"] = tenant.name
        if tenant.business_description:
            update["business_description"] = tenant.business_description
        if tenant.analysis_provider:
            update["analysis_provider"] = tenant.analysis_provider
        if tenant.analysis_model:
            update["openai_model"] = tenant.analysis_model
        if tenant.llm_api_key_ref:
            key = resolve(tenant.llm_api_key_ref, settings, what=f"LLM API key of {tenant.slug}")
            update["openai_api_key"] = SecretStr(key)
    return settings.model_copy(update=update)


def evo_configured(tenant: Tenant, settings: Settings) -> bool:
    """Whether the tenant's CRM is read from EVO (its own credentials, or the global ones for
    the default tenant); otherwise its customers come from spreadsheet imports."""
    if tenant.evo_dns and tenant.evo_token_ref:
        return True
    return tenant.id == DEFAULT_TENANT_ID and bool(settings.evo_dns and settings.evo_api_token)
