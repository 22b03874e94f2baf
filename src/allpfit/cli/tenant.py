"""`allpfit tenant add / list / edit / disable`: the businesses this install serves.

Secrets are given as the NAME of an environment variable (`--evo-token-env VAR`, stored as
`env:VAR`) or on standard input (`--evo-token-stdin`, stored encrypted with TENANT_SECRET_KEY),
never as a command-line argument (it would stay in the shell history and the process list).
`tenant list` shows `env:NAME` or `encrypted`, never a secret.

Also here: the `--tenant SLUG` option every job command shares, and how a command picks its
tenants from it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.table import Table
from rich.text import Text

from allpfit import db, users
from allpfit.cli.state import console, err_console, state
from allpfit.config import Settings
from allpfit.errors import ConfigError, InputError
from allpfit.ops.status import tenant_counts
from allpfit.ops.tenant_jobs import TenantOutcome
from allpfit.redaction import first_line
from allpfit.tenant_budget import budget_brl
from allpfit.tenant_secrets import MAX_SECRET, describe, encrypt, env_ref
from allpfit.tenants import (
    DEFAULT_TENANT_ID,
    MAX_DESCRIPTION,
    Tenant,
    TenantChanges,
    add_tenant,
    disable_tenant,
    edit_tenant,
    evo_configured,
    get_tenant,
    list_tenants,
    select_tenants,
)

app = typer.Typer(
    help="Tenants: the businesses (Chatwoot accounts) this install serves.",
    no_args_is_help=True,
)

MAX_BUDGET = Decimal("9999999999.99")  # numeric(12, 2)


def tenant_option() -> Any:
    """The `--tenant SLUG` option of every job command (a new OptionInfo per command)."""
    return typer.Option(
        None,
        "--tenant",
        metavar="SLUG",
        help="Run for this tenant only (default: every enabled tenant, one after the other).",
    )


def chosen_tenants(local_url: str, slug: str | None) -> list[Tenant]:
    """The tenants a job command runs for: `--tenant SLUG`, else every enabled one."""
    with db.connect(local_url) as conn:
        tenants = select_tenants(conn, slug)
    if not tenants:
        raise ConfigError(
            "Every tenant is disabled: there is nothing to run.",
            hint="Enable one with `allpfit tenant edit SLUG --enable`.",
        )
    return tenants


def one_tenant(local_url: str, slug: str | None, command: str) -> Tenant:
    """The tenant of a command that writes one tenant's data (`crm import`): `--tenant SLUG`,
    or the default tenant when it is the only enabled one."""
    with db.connect(local_url) as conn:
        if slug is not None:
            return select_tenants(conn, slug)[0]
        tenants = list_tenants(conn)
    if len(tenants) == 1 and tenants[0].id == DEFAULT_TENANT_ID:
        return tenants[0]
    known = ", ".join(t.slug for t in tenants) or "none enabled"
    raise ConfigError(
        f"`allpfit {command}` writes one tenant's data: say which with --tenant SLUG.",
        hint=f"Enabled tenants: {known}.",
    )


def heading(tenant: Tenant, tenants: list[Tenant]) -> None:
    """A rule naming the tenant before its output, unless the install has only the default."""
    if len(tenants) > 1 or tenant.id != DEFAULT_TENANT_ID:
        console.rule(f"Tenant {tenant.slug} ({tenant.name})")


def print_failure(tenants: list[Tenant]) -> Callable[[TenantOutcome[Any]], None]:
    """How a job command reports one tenant's failure as it happens, when it runs several
    (a single tenant's error is reported as any command's: `Error:` and `Hint:`)."""

    def show(outcome: TenantOutcome[Any]) -> None:
        if outcome.ok or len(tenants) == 1:
            return
        err_console.print(
            Text.assemble(
                ("Failed:", "bold red"), f" tenant {outcome.tenant.slug}: ", outcome.detail
            ),
            soft_wrap=True,
        )
        hint = getattr(outcome.error, "hint", None)
        if hint:
            err_console.print(
                Text.assemble(("Hint:", "yellow"), " ", first_line(hint)), soft_wrap=True
            )

    return show


# --- Options shared by add and edit ------------------------------------------------------


def _secret_ref(
    settings: Settings, env_name: str | None, from_stdin: bool, what: str, flag: str
) -> str | None:
    if env_name is not None and from_stdin:
        raise ConfigError(
            f"Give the {what} either as --{flag}-env VAR or --{flag}-stdin, not both."
        )
    if env_name is not None:
        return env_ref(env_name)
    if from_stdin:
        text = typer.get_text_stream("stdin").read(MAX_SECRET + 1)
        return encrypt(text, settings, what=what)
    return None


def _budget(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_BUDGET:
        raise ConfigError(
            f"The monthly LLM budget must be an amount in reais, not {text!r}.",
            hint="E.g. --budget 100 or --budget 37.50 (0 = no LLM analysis for this tenant).",
        )
    return value.quantize(Decimal("0.01"))


def _description(text: str | None, file: Path | None) -> str | None:
    if text is not None and file is not None:
        raise ConfigError("Give the description either as --description or --description-file.")
    if file is None:
        return text
    try:
        with file.open(encoding="utf-8") as handle:
            return handle.read(MAX_DESCRIPTION * 2)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"Cannot read the description file {file}: {type(exc).__name__}.",
            hint="Give a UTF-8 text file.",
        ) from None


def _changes(
    settings: Settings,
    *,
    name: str | None,
    account_id: int | None,
    inbox_ids: list[int] | None,
    timezone: str | None,
    evo_dns: str | None,
    evo_token_env: str | None,
    evo_token_stdin: bool,
    provider: str | None,
    model: str | None,
    llm_key_env: str | None,
    llm_key_stdin: bool,
    description: str | None,
    description_file: Path | None,
    budget: str | None,
    enabled: bool | None = None,
    clear: tuple[str, ...] = (),
    source: str | None = None,
    chatwoot_url: str | None = None,
    chatwoot_token_env: str | None = None,
    chatwoot_token_stdin: bool = False,
) -> TenantChanges:
    if sum((evo_token_stdin, llm_key_stdin, chatwoot_token_stdin)) > 1:
        raise ConfigError(
            "Only one secret can be read from standard input per command.",
            hint="Set the EVO token, the LLM key and the Chatwoot token in separate commands "
            "(`allpfit tenant edit`), or give them as environment variable names.",
        )
    return TenantChanges(
        name=name,
        account_id=account_id,
        inbox_ids=inbox_ids or None,
        timezone=timezone,
        evo_dns=evo_dns,
        evo_token_ref=_secret_ref(
            settings, evo_token_env, evo_token_stdin, "EVO token", "evo-token"
        ),
        analysis_provider=provider,
        analysis_model=model,
        llm_api_key_ref=_secret_ref(settings, llm_key_env, llm_key_stdin, "LLM API key", "llm-key"),
        business_description=_description(description, description_file),
        llm_monthly_budget_brl=_budget(budget),
        enabled=enabled,
        clear=clear,
        source_kind=source,
        chatwoot_url=chatwoot_url,
        chatwoot_token_ref=_secret_ref(
            settings, chatwoot_token_env, chatwoot_token_stdin, "Chatwoot token", "chatwoot-token"
        ),
    )


NAME = typer.Option(None, "--name", help="The business's display name.")
ACCOUNT = typer.Option(None, "--account-id", min=1, help="Its Chatwoot account id.")
INBOXES = typer.Option(
    None, "--inbox-id", min=1, help="Read only this inbox of the account (repeatable)."
)
TIMEZONE = typer.Option(
    None, "--timezone", help="Its IANA time zone (default: the TIMEZONE setting)."
)
EVO_DNS = typer.Option(None, "--evo-dns", help="Its DNS in EVO (the CRM's API user).")
EVO_ENV = typer.Option(
    None, "--evo-token-env", metavar="VAR", help="Read its EVO token from this variable."
)
EVO_STDIN = typer.Option(
    False, "--evo-token-stdin", help="Read its EVO token from stdin; stored encrypted."
)
PROVIDER = typer.Option(None, "--provider", help="Analysis provider: auto, openai or rules.")
MODEL = typer.Option(None, "--model", help="LLM model for its analysis.")
LLM_ENV = typer.Option(
    None, "--llm-key-env", metavar="VAR", help="Read its LLM API key from this variable."
)
LLM_STDIN = typer.Option(
    False, "--llm-key-stdin", help="Read its LLM API key from stdin; stored encrypted."
)
DESCRIPTION = typer.Option(
    None,
    "--description",
    help="Short business description for the analysis: name, plans and prices, hours.",
)
DESCRIPTION_FILE = typer.Option(
    None, "--description-file", help="Read the description from this UTF-8 file."
)
BUDGET = typer.Option(
    None,
    "--budget",
    metavar="BRL",
    help="Monthly LLM budget in reais, converted at USD_BRL_RATE (analysis pauses there).",
)
SOURCE = typer.Option(
    None,
    "--source",
    metavar="database|api",
    help="Read Chatwoot from its database (SOURCE_DATABASE_URL) or through its API.",
)
CHATWOOT_URL = typer.Option(
    None,
    "--chatwoot-url",
    metavar="URL",
    help="Chatwoot's base URL (--source api reads through it; any tenant sends follow-ups).",
)
CHATWOOT_ENV = typer.Option(
    None,
    "--chatwoot-token-env",
    metavar="VAR",
    help="Read its Chatwoot access token from this variable (--source api; follow-ups).",
)
CHATWOOT_STDIN = typer.Option(
    False,
    "--chatwoot-token-stdin",
    help="Read its Chatwoot access token from stdin; stored encrypted.",
)


@app.command("add")
def add(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="Short name: lower-case letters, digits, hyphens."),
    name: str | None = NAME,
    account_id: int | None = ACCOUNT,
    inbox_ids: list[int] | None = INBOXES,
    timezone: str | None = TIMEZONE,
    evo_dns: str | None = EVO_DNS,
    evo_token_env: str | None = EVO_ENV,
    evo_token_stdin: bool = EVO_STDIN,
    provider: str | None = PROVIDER,
    model: str | None = MODEL,
    llm_key_env: str | None = LLM_ENV,
    llm_key_stdin: bool = LLM_STDIN,
    description: str | None = DESCRIPTION,
    description_file: Path | None = DESCRIPTION_FILE,
    budget: str | None = BUDGET,
    source: str | None = SOURCE,
    chatwoot_url: str | None = CHATWOOT_URL,
    chatwoot_token_env: str | None = CHATWOOT_ENV,
    chatwoot_token_stdin: bool = CHATWOOT_STDIN,
) -> None:
    """Add a tenant: a business reading one Chatwoot account (optionally some inboxes)."""
    settings = state(ctx).settings()
    changes = _changes(
        settings,
        name=name,
        account_id=account_id,
        inbox_ids=inbox_ids,
        timezone=timezone,
        evo_dns=evo_dns,
        evo_token_env=evo_token_env,
        evo_token_stdin=evo_token_stdin,
        provider=provider,
        model=model,
        llm_key_env=llm_key_env,
        llm_key_stdin=llm_key_stdin,
        description=description,
        description_file=description_file,
        budget=budget,
        source=source,
        chatwoot_url=chatwoot_url,
        chatwoot_token_env=chatwoot_token_env,
        chatwoot_token_stdin=chatwoot_token_stdin,
    )
    with db.transaction(db.prepare(settings)) as conn:
        tenant = add_tenant(conn, slug, changes)
        _audit(conn, "tenant.add", tenant, changes)
        default = {t.id: t for t in list_tenants(conn)}.get(DEFAULT_TENANT_ID)  # enabled?
    console.print(f"Added tenant {tenant.slug} (id {tenant.id}): {_scope(tenant)}.")
    if default is not None and default.scope(settings)[0] is None:
        err_console.print(
            Text.assemble(
                ("Warning:", "yellow"),
                " the default tenant still reads every Chatwoot account, this one's too. Give "
                "it its own (`allpfit tenant edit default --account-id N` or SOURCE_ACCOUNT_ID) "
                "or disable it (`allpfit tenant disable default`).",
            ),
            soft_wrap=True,
        )


@app.command("edit")
def edit(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="The tenant to change."),
    name: str | None = NAME,
    account_id: int | None = ACCOUNT,
    inbox_ids: list[int] | None = INBOXES,
    timezone: str | None = TIMEZONE,
    evo_dns: str | None = EVO_DNS,
    evo_token_env: str | None = EVO_ENV,
    evo_token_stdin: bool = EVO_STDIN,
    provider: str | None = PROVIDER,
    model: str | None = MODEL,
    llm_key_env: str | None = LLM_ENV,
    llm_key_stdin: bool = LLM_STDIN,
    description: str | None = DESCRIPTION,
    description_file: Path | None = DESCRIPTION_FILE,
    budget: str | None = BUDGET,
    source: str | None = SOURCE,
    chatwoot_url: str | None = CHATWOOT_URL,
    chatwoot_token_env: str | None = CHATWOOT_ENV,
    chatwoot_token_stdin: bool = CHATWOOT_STDIN,
    enable: bool = typer.Option(False, "--enable", help="Enable a disabled tenant."),
    all_inboxes: bool = typer.Option(
        False, "--all-inboxes", help="Read every inbox of the account again."
    ),
    no_evo: bool = typer.Option(
        False, "--no-evo", help="Forget the EVO credentials (spreadsheet imports)."
    ),
    no_llm_key: bool = typer.Option(
        False, "--no-llm-key", help="Forget its LLM API key (OPENAI_API_KEY is used)."
    ),
    no_budget: bool = typer.Option(False, "--no-budget", help="Remove the monthly LLM cap."),
) -> None:
    """Change a tenant's settings; options not given stay as they are."""
    settings = state(ctx).settings()
    changes = _changes(
        settings,
        name=name,
        account_id=account_id,
        inbox_ids=inbox_ids,
        timezone=timezone,
        evo_dns=evo_dns,
        evo_token_env=evo_token_env,
        evo_token_stdin=evo_token_stdin,
        provider=provider,
        model=model,
        llm_key_env=llm_key_env,
        llm_key_stdin=llm_key_stdin,
        description=description,
        description_file=description_file,
        budget=budget,
        enabled=True if enable else None,
        clear=tuple(
            name
            for name, wanted in (
                ("inboxes", all_inboxes),
                ("evo", no_evo),
                ("llm_key", no_llm_key),
                ("budget", no_budget),
            )
            if wanted
        ),
        source=source,
        chatwoot_url=chatwoot_url,
        chatwoot_token_env=chatwoot_token_env,
        chatwoot_token_stdin=chatwoot_token_stdin,
    )
    with db.transaction(db.prepare(settings)) as conn:
        tenant = edit_tenant(conn, slug, changes)
        _audit(conn, "tenant.edit", tenant, changes)
    console.print(f"Changed tenant {tenant.slug}: {', '.join(_changed(changes))}.")


@app.command("disable")
def disable(
    ctx: typer.Context, slug: str = typer.Argument(..., help="The tenant to disable.")
) -> None:
    """Stop running jobs for a tenant. Its data is kept (and stays isolated); `tenant edit
    SLUG --enable` resumes it."""
    settings = state(ctx).settings()
    with db.transaction(db.prepare(settings)) as conn:
        get_tenant(conn, slug)
        tenant = disable_tenant(conn, slug)
        _audit(conn, "tenant.disable", tenant, TenantChanges(enabled=False))
    console.print(f"Disabled tenant {tenant.slug}: no job runs for it until it is enabled.")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every tenant with its scope and settings. Secrets show as env:NAME or encrypted."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    with db.connect(local_url) as conn:
        tenants = list_tenants(conn, include_disabled=True)
    counts = tenant_counts(local_url)
    for tenant in tenants:
        budget = budget_brl(tenant, settings.usd_brl_rate)
        state_text = "enabled" if tenant.enabled else "[red]disabled[/]"
        table = Table(title=f"{tenant.slug}: {tenant.name} ({state_text})", show_header=False)
        table.add_row("Chatwoot", _scope(tenant, settings))
        if tenant.source_kind == "api":
            table.add_row("source", f"API {tenant.chatwoot_url}")
            table.add_row("Chatwoot token", describe(tenant.chatwoot_token_ref))
        elif tenant.chatwoot_url or tenant.chatwoot_token_ref:  # for sending follow-ups
            table.add_row("Chatwoot API", tenant.chatwoot_url or "-")
            table.add_row("Chatwoot token", describe(tenant.chatwoot_token_ref))
        table.add_row("time zone", tenant.tz(settings))
        default = tenant.id == DEFAULT_TENANT_ID
        evo = evo_configured(tenant, settings)
        dns = tenant.evo_dns or (f"{settings.evo_dns} (EVO_DNS)" if default and evo else None)
        table.add_row("CRM", f"EVO {dns}" if evo else "spreadsheet imports")
        table.add_row(
            "EVO token",
            describe(tenant.evo_token_ref) if tenant.evo_token_ref or not (default and evo)
            else "EVO_API_TOKEN (setting)",
        )  # fmt: skip
        provider = tenant.analysis_provider or f"{settings.analysis_provider} (ANALYSIS_PROVIDER)"
        model = tenant.analysis_model or f"{settings.openai_model} (OPENAI_MODEL)"
        table.add_row("analysis", f"{provider}, {model}")
        global_key = "OPENAI_API_KEY (setting)" if settings.openai_api_key else "-"
        table.add_row(
            "LLM API key",
            describe(tenant.llm_api_key_ref) if tenant.llm_api_key_ref else global_key,
        )
        budget_text = f"R$ {budget:.2f}" if budget is not None else "-"
        if budget is not None and tenant.llm_monthly_budget_brl is None:
            budget_text += f" (US$ {tenant.llm_monthly_budget_usd:.2f} at USD_BRL_RATE)"
        table.add_row("LLM budget/month", budget_text)
        rows = counts.get(tenant.id, {})
        table.add_row("conversations", f"{rows.get('conversas_analytics', 0):,}")
        table.add_row("analysed leads", f"{rows.get('conversas_analytics_ai', 0):,}")
        console.print(table, highlight=False)


def _scope(tenant: Tenant, settings: Settings | None = None) -> str:
    account, inboxes = tenant.scope(settings) if settings else (tenant.account_id, tenant.inbox_ids)
    where = f"account {account}" if account is not None else "every account"
    if inboxes:
        where += ", inbox " + ", ".join(map(str, inboxes))
    return where


def _changed(changes: TenantChanges) -> list[str]:
    """The names of the fields a change sets (never their secret values)."""
    names = [k for k, v in vars(changes).items() if v is not None and k != "clear"]
    return names + [f"{name} cleared" for name in changes.clear]


def _audit(conn: psycopg.Connection, action: str, tenant: Tenant, changes: TenantChanges) -> None:
    """Record an admin action on a tenant in the audit log, in the same transaction as the
    change: which fields were set, never a secret's value."""
    detail = f"{tenant.slug}: {', '.join(_changed(changes)) or 'no fields'}"
    users.audit(conn, users.cli_actor(), action, detail, tenant.id)
