"""Tenant secrets (EVO tokens, LLM API keys): stored as references, never in clear.

A tenant row holds a *reference*, in one of two forms (the `tenants` table's CHECK enforces
the prefix):

- `env:NAME`: the secret is the environment variable NAME (or NAME in the `.env` file, as for
  every setting), read when a job needs it. Nothing secret is in the database at all.
- `fernet:<token>`: the secret encrypted with TENANT_SECRET_KEY (`cryptography`'s Fernet:
  AES-128-CBC + HMAC-SHA256, authenticated). A stolen database dump is useless without the key,
  which lives only in the environment.

`resolve(ref, settings)` turns a reference into the secret for a job; `describe(ref)` is what
`allpfit tenant list` shows ("env:NAME" or "encrypted"), so no command ever prints a secret.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken

from allpfit.config import Settings, env_value
from allpfit.errors import ConfigError

if TYPE_CHECKING:
    from allpfit.tenants import Tenant

ENV_PREFIX = "env:"
FERNET_PREFIX = "fernet:"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_SECRET = 4096  # an API key or token is a few hundred characters at most
GENERATE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def env_ref(name: str) -> str:
    """The reference to environment variable `name`, after checking it is a variable name
    (a token pasted where the name belongs must not end up stored in clear)."""
    name = name.strip()
    if not ENV_NAME.match(name):
        raise ConfigError(
            "The environment variable name is not valid (letters, digits and _ only, not "
            "starting with a digit).",
            hint="Give the NAME of the variable that holds the secret, e.g. "
            "--evo-token-env PILATES_EVO_TOKEN; to store the secret itself encrypted, use "
            "--evo-token-stdin / --llm-key-stdin.",
        )
    return ENV_PREFIX + name


def encrypt(secret: str, settings: Settings, *, what: str = "secret") -> str:
    """`secret` encrypted with TENANT_SECRET_KEY, as a `fernet:` reference."""
    secret = secret.strip()
    if not secret:
        raise ConfigError(
            f"The {what} read from standard input is empty.",
            hint=f'Pipe it in, e.g. `printf %s "$TOKEN" | allpfit tenant ... '
            f"--{_flag(what)}-stdin`.",
        )
    if len(secret) > MAX_SECRET or any(ord(c) < 32 for c in secret):
        raise ConfigError(
            f"The {what} read from standard input is not a single line of text "
            f"(at most {MAX_SECRET} characters).",
            hint="Pipe in only the token or key itself.",
        )
    return FERNET_PREFIX + _fernet(settings, what).encrypt(secret.encode()).decode()


def resolve(ref: str, settings: Settings, *, what: str = "secret") -> str:
    """The secret behind `ref` (`env:NAME` or `fernet:<token>`). Errors name the reference's
    variable or the key, never the secret."""
    if ref.startswith(ENV_PREFIX):
        name = ref[len(ENV_PREFIX) :]
        value = env_value(name)
        if not value:
            raise ConfigError(
                f"The {what} is read from the environment variable {name}, which is not set.",
                hint=f"Set {name} in the environment or in .env for the jobs and the "
                "scheduler, or change the tenant with `allpfit tenant edit`.",
            )
        return value
    if ref.startswith(FERNET_PREFIX):
        token = ref[len(FERNET_PREFIX) :].encode()
        try:
            return _fernet(settings, what).decrypt(token).decode()
        except InvalidToken:
            raise ConfigError(
                f"The {what} is stored encrypted, and TENANT_SECRET_KEY cannot decrypt it.",
                hint="TENANT_SECRET_KEY must be the key the secret was stored with; if that "
                "key is lost, store the secret again with `allpfit tenant edit SLUG "
                f"--{_flag(what)}-stdin`.",
            ) from None
    raise ConfigError(
        f"The stored {what} reference is not `env:NAME` or `fernet:...`.",
        hint="Store it again with `allpfit tenant edit`.",
    )


def describe(ref: str | None) -> str:
    """How a reference is shown: `env:NAME`, `encrypted` or `-`: never the secret."""
    if not ref:
        return "-"
    if ref.startswith(ENV_PREFIX):
        return ref
    return "encrypted"


def _fernet(settings: Settings, what: str) -> Fernet:
    if settings.tenant_secret_key is None:
        raise ConfigError(
            f"Storing or reading an encrypted {what} needs TENANT_SECRET_KEY, which is not set.",
            hint=f"Generate a key with `{GENERATE_KEY}`, set it as TENANT_SECRET_KEY in the "
            "environment or .env (and keep a copy: without it the stored secrets are lost); "
            "or give an environment variable name instead (--evo-token-env / --llm-key-env).",
        )
    try:
        return Fernet(settings.tenant_secret_key.get_secret_value().strip().encode())
    except (ValueError, TypeError):
        raise ConfigError(
            "TENANT_SECRET_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes).",
            hint=f"Generate one with `{GENERATE_KEY}`.",
        ) from None


def _flag(what: str) -> str:
    if "chatwoot" in what.lower():
        return "chatwoot-token"
    return "llm-key" if "key" in what.lower() else "evo-token"


def known_secrets(tenant: Tenant, settings: Settings) -> list[str]:
    """The tenant's secrets that can be resolved now, to mask them in error messages (one
    that cannot be resolved cannot appear in a message either)."""
    values = []
    for ref in (tenant.evo_token_ref, tenant.llm_api_key_ref, tenant.chatwoot_token_ref):
        if ref:
            try:
                values.append(resolve(ref, settings))
            except ConfigError:
                continue
    return values
