"""One typed settings object, built at the edge (CLI, dashboard, demo) and passed down.

Settings come from the environment and from a `.env` file in the working directory; the
environment wins. The variable names are the ones existing AllpFit installations already use
(`SOURCE_DB_HOST`, `LOCAL_DB_HOST`, ...). The URL forms `SOURCE_DATABASE_URL` and
`DATABASE_URL` win over the split host/port/name form when set.

No other module reads `os.environ`: a test builds a `Settings(...)` with keyword arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Masking uses libpq's own parsing; see allpfit.redaction.
from allpfit.redaction import mask_url as mask_url

DEFAULT_DATA_DIR = Path(".allpfit")


def _build_url(
    host: str | None, port: int, name: str, user: str | None, password: SecretStr | None
) -> str:
    auth = ""
    if user:
        auth = quote(user, safe="")
        if password is not None and password.get_secret_value():
            auth += ":" + quote(password.get_secret_value(), safe="")
        auth += "@"
    return f"postgresql://{auth}{host}:{port}/{quote(name, safe='')}"


class Settings(BaseSettings):
    """Every setting of the product, declared once with its default and its meaning.

    The docs-coverage test reads this class, so a setting added here must be documented in
    `docs/configuration.md`.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    # --- Chatwoot source (read-only) ---
    source_database_url: SecretStr | None = Field(
        None, description="Chatwoot PostgreSQL URL; wins over the SOURCE_DB_* parts."
    )
    source_db_host: str | None = Field(None, description="Chatwoot PostgreSQL host.")
    source_db_port: int = Field(5432, description="Chatwoot PostgreSQL port.")
    source_db_name: str = Field("chatwoot", description="Chatwoot database name.")
    source_db_user: str | None = Field(None, description="Chatwoot database user (read-only).")
    source_db_password: SecretStr | None = Field(None, description="Chatwoot database password.")
    source_account_id: int | None = Field(
        None,
        gt=0,
        description="Chatwoot account the default tenant reads; unset = every account.",
    )
    source_inbox_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Inboxes the default tenant reads (comma-separated); empty = every inbox "
        "of its account.",
    )
    tenant_secret_key: SecretStr | None = Field(
        None,
        description="Fernet key that encrypts the tenant secrets given with `allpfit tenant "
        "--evo-token-stdin/--llm-key-stdin`; unset = only env:NAME references.",
    )
    source_db_view: str = Field(
        "vw_conversations_analytics_final",
        description="Name of the final view created by `allpfit source deploy-views`.",
    )
    chatwoot_url: str | None = Field(
        None,
        description="Public base URL of the Chatwoot app (http or https), e.g. "
        "https://chat.allpfit.com.br: the dashboard's lead page links each conversation there "
        "(default tenant; other tenants use their own tenants.chatwoot_url). Unset = no link.",
    )
    chatwoot_api_token: SecretStr | None = Field(
        None,
        description="Access token of a Chatwoot user or agent bot of the default tenant's "
        "account, used (with CHATWOOT_URL) to send approved follow-ups into conversations "
        "(other tenants use their own tenants.chatwoot_token_ref). Unset = no sending.",
    )
    chatwoot_api_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Deadline of one Chatwoot API request as a whole (the full answer, not "
        "per read), in seconds (tenants with source = api).",
    )
    chatwoot_api_requests_per_minute: float = Field(
        120.0,
        gt=0,
        description="Most Chatwoot API requests started per minute, evenly spaced (429 "
        "answers are retried honouring Retry-After).",
    )
    chatwoot_api_max_pages: int = Field(
        50_000,
        ge=1,
        description="Most pages read from one Chatwoot API listing (conversations, contacts, "
        "a conversation's messages); a longer listing stops with an error. 50,000 pages = "
        "1.25 million conversations at 25 a page.",
    )

    # --- Local analytics database ---
    database_url: SecretStr | None = Field(
        None, description="Local analytics PostgreSQL URL; wins over the LOCAL_DB_* parts."
    )
    local_db_host: str | None = Field(
        None, description="Local analytics PostgreSQL host; unset = embedded PostgreSQL."
    )
    local_db_port: int = Field(5432, description="Local analytics PostgreSQL port.")
    local_db_name: str = Field("allpfit_analytics", description="Local analytics database.")
    local_db_user: str | None = Field(None, description="Local analytics database user.")
    local_db_password: SecretStr | None = Field(None, description="Local database password.")

    # --- Sync behaviour ---
    timezone: str = Field(
        "America/Sao_Paulo",
        description="Time zone of the business: day, hour, weekday and period of day, and "
        "the day from which visit dates (amanhã, sábado) are counted.",
    )
    bot_sender_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Chatwoot user ids whose outgoing messages are the bot's (bots posting "
        "through the API with a user token). Comma-separated.",
    )
    null_sender_is_bot: bool = Field(
        True,
        description="Outgoing messages with no sender, no automation rule and no campaign "
        "(integrations such as Dialogflow) count as the bot's.",
    )
    sync_overlap_minutes: int = Field(
        10,
        ge=0,
        description="Each incremental run re-reads changes this far before the last watermark, "
        "so rows committed late with older timestamps are not lost.",
    )
    sync_max_deleted_fraction: float = Field(
        0.05,
        ge=0,
        le=1,
        description="A sync that would mark more than this share of the conversations as "
        "deleted in Chatwoot is refused (exit 8) unless run with --allow-mass-delete.",
    )

    # --- Lead analysis ---
    openai_api_key: SecretStr | None = Field(
        None, description="API key of an OpenAI-compatible service; unset = offline analyzer."
    )
    openai_model: str = Field("gpt-4o-mini", description="Model name for lead analysis.")
    openai_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible API (Azure, Ollama, vLLM...)."
    )
    business_name: str = Field(
        "uma academia de ginástica (AllpFit)",
        description="Who the lead analysis works for, as the prompt names it (a tenant's own "
        "name wins for its leads).",
    )
    business_description: str = Field(
        "",
        max_length=4000,
        description="What the business offers (plans, prices, opening days and hours), given "
        "to the lead analysis for the analysis and the follow-up (a tenant's own wins).",
    )
    analysis_provider: Literal["auto", "openai", "rules"] = Field(
        "auto",
        description="Lead analyzer: openai (any OpenAI-compatible API), rules (offline), or "
        "auto = openai when OPENAI_API_KEY is set, otherwise rules.",
    )
    analysis_concurrency: int = Field(
        8, ge=1, le=256, description="LLM calls in flight at the same time during an analysis."
    )
    analysis_requests_per_minute: int = Field(
        500, ge=1, description="Most LLM requests started per minute (the provider's RPM limit)."
    )
    analysis_tokens_per_minute: int = Field(
        200_000, ge=1, description="Most LLM tokens (prompt + answer) per minute (TPM limit)."
    )
    analysis_max_retries: int = Field(
        4,
        ge=0,
        le=20,
        description="Retries of one LLM call on 429/5xx/timeouts/connection errors before the "
        "conversation is recorded as failed.",
    )
    analysis_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="Deadline of one LLM call as a whole (the full answer, not per read), in "
        "seconds.",
    )
    analysis_backoff_seconds: float = Field(
        1.0,
        ge=0,
        description="First retry delay; doubles on each retry (with jitter, capped at 60 s). "
        "A Retry-After header from the server wins.",
    )
    openai_price_input_per_mtok: float = Field(
        0.15, ge=0, description="Cost in USD per million prompt tokens (gpt-4o-mini: 0.15)."
    )
    openai_price_output_per_mtok: float = Field(
        0.60, ge=0, description="Cost in USD per million completion tokens (gpt-4o-mini: 0.60)."
    )
    usd_brl_rate: float = Field(
        5.50,
        gt=0,
        description="Reais per US dollar: converts the LLM cost (billed in USD) to the budgets, "
        "spend and projections shown in R$. Yours to keep current; not fetched from anywhere.",
    )
    score_outcome_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days after a lead's first conversation in which a CRM signup counts for the "
        "score check (`allpfit crm score-check`); younger leads are left out until then.",
    )

    # --- Dashboard ---
    dashboard_password: SecretStr | None = Field(
        None,
        description="Shared password of the dashboard (a manager of the default tenant); "
        "ignored once a dashboard user exists (`allpfit user add`). Unset = no login.",
    )
    dashboard_users_file: Path | None = Field(
        None,
        description="Old TOML or JSON file of username = PBKDF2 hash (`allpfit dashboard "
        "hash-password`); each name logs in as a manager of the default tenant. Ignored once a "
        "dashboard user exists; `allpfit user import-file` moves it into the database.",
    )
    dashboard_session_hours: float = Field(
        12,
        gt=0,
        le=24 * 30,
        description="Hours a dashboard login lasts; after that the login form comes back.",
    )
    dashboard_mask_phones: bool = Field(
        True,
        description="Phone numbers start masked in the dashboard (a sidebar switch shows "
        "them); also applies to the CSV download while masked.",
    )

    # --- CRM (EVO API, Excel import, crossmatch) ---
    evo_dns: str | None = Field(
        None, description="The gym's DNS in EVO: the user name of the EVO API's Basic auth."
    )
    evo_api_token: SecretStr | None = Field(
        None, description="EVO API token (secret key): the password of the EVO API's Basic auth."
    )
    evo_base_url: str = Field(
        "https://evo-integracao-api.w12app.com.br",
        description="Base URL of the EVO integration API (W12).",
    )
    evo_requests_per_minute: int = Field(
        40, ge=1, description="Most EVO API requests started per minute (EVO's rate limit)."
    )
    evo_page_size: int = Field(
        50,
        ge=1,
        le=100,
        description="Records per EVO API page (`take`); EVO caps members at 50, sales at 100.",
    )
    evo_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Deadline of one EVO API request as a whole (the full answer, not per "
        "read), in seconds.",
    )
    evo_max_retries: int = Field(
        5,
        ge=0,
        le=20,
        description="Retries of one EVO request on 429/5xx/timeouts/connection errors (backoff "
        "doubling from 1 s, Retry-After honoured).",
    )
    evo_max_pages: int = Field(
        2000,
        ge=1,
        description="Most pages read from one EVO listing (members or sales); a longer listing "
        "stops the sync with an error. 2,000 pages = 100,000 members at 50 per page.",
    )
    evo_sync_timeout_seconds: float = Field(
        7200.0,
        gt=0,
        description="Deadline of a whole EVO sync (every page, wait and retry), in seconds; "
        "past it the sync stops with an error and writes nothing.",
    )
    crm_same_day_is_conversion: bool = Field(
        True,
        description="A lead whose first conversation is on the signup day itself counts as a "
        "conversion (CRM signup dates have no time of day).",
    )

    # --- Operations ---
    schedule_minute: int = Field(
        2, ge=0, le=59, description="Minute past the hour at which the pipeline runs."
    )
    schedule_every_hours: int = Field(
        1, ge=1, le=24, description="Run the pipeline every N hours (1 = hourly)."
    )
    schedule_full_hour: int = Field(
        3,
        ge=-1,
        le=23,
        description="The scheduled pipeline run in this hour (business time zone) reloads "
        "everything (`--full`), catching writes committed long after their timestamps; "
        "-1 = never.",
    )
    status_max_age_minutes: int = Field(
        120,
        ge=1,
        description="`allpfit status` reports stale data (exit 6) when the last successful "
        "sync is older than this, or Chatwoot has changes this much newer than it.",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log file format: text, or json (one object per line)."
    )

    # --- Files and logs ---
    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        description="Where the embedded database, logs, backups and reports live.",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")

    @field_validator("bot_sender_user_ids", "source_inbox_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("chatwoot_url", mode="before")
    @classmethod
    def _check_chatwoot_url(cls, value: object) -> object:
        from allpfit.chatwoot_links import check_base_url

        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or check_base_url(value) is None:
            raise ValueError(
                "must be an http:// or https:// address, e.g. https://chat.example.com"
            )
        return check_base_url(value)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value

    # --- Derived values ---
    @property
    def source_configured(self) -> bool:
        """A Chatwoot is configured, or recorded by `allpfit demo` (see `recorded_source`)."""
        explicit = self.source_database_url is not None or self.source_db_host is not None
        return explicit or self.recorded_source() is not None

    @property
    def local_embedded(self) -> bool:
        """True when no local server is configured: the product starts its own PostgreSQL."""
        return self.database_url is None and self.local_db_host is None

    def source_url(self) -> str:
        """The Chatwoot connection URL (with password). Never log it: use `mask_url`."""
        if self.source_database_url is not None:
            return self.source_database_url.get_secret_value()
        if self.source_db_host is None:
            from allpfit import embedded
            from allpfit.errors import ConfigError

            recorded = self.recorded_source()
            if recorded is not None:
                return embedded.with_database(embedded.server_url(self.data_dir), recorded)
            raise ConfigError(
                "The Chatwoot source database is not configured.",
                hint="Set SOURCE_DATABASE_URL, or SOURCE_DB_HOST/PORT/NAME/USER/PASSWORD, "
                "in the environment or in .env (see .env.example); or run `allpfit demo` "
                "to try the product on a generated Chatwoot.",
            )
        return _build_url(
            self.source_db_host,
            self.source_db_port,
            self.source_db_name,
            self.source_db_user,
            self.source_db_password,
        )

    def recorded_source(self) -> str | None:
        """The embedded Chatwoot database `allpfit demo` recorded in DATA_DIR/source.json, used
        when no source is configured. Only while the local database is the embedded one too:
        a configured analytics database never receives the demo's conversations."""
        if not self.local_embedded:
            return None
        from allpfit import embedded

        return embedded.recorded_source(self.data_dir)

    def local_url(self) -> str | None:
        """The configured local URL, or None when the embedded database is to be used."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        if self.local_db_host is None:
            return None
        return _build_url(
            self.local_db_host,
            self.local_db_port,
            self.local_db_name,
            self.local_db_user,
            self.local_db_password,
        )

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def report_dir(self) -> Path:
        return self.data_dir / "reports"


def load_settings(**overrides: object) -> Settings:
    """Build Settings from env and `.env`, turning validation errors into a ConfigError."""
    from pydantic import ValidationError

    from allpfit.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError(
            "Invalid configuration: " + "; ".join(problems),
            hint="Fix these variables in the environment or in .env (see .env.example).",
        ) from None


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment with `overrides`, for a child process (the dashboard the
    demo starts) that must see settings this process computed, e.g. the demo's database."""
    import os

    return {**os.environ, **{name.upper(): value for name, value in overrides.items()}}


def env_value(name: str) -> str | None:
    """Variable `name` from the environment, else from the `.env` file, as a setting would be
    read: how a tenant's `env:NAME` secret reference is resolved (allpfit.tenant_secrets)."""
    import os

    value = os.environ.get(name)
    if value:
        return value
    env_file = Path(".env")
    if not env_file.is_file():
        return None
    from dotenv import dotenv_values

    return dotenv_values(env_file, encoding="utf-8").get(name) or None
