"""One error hierarchy for every expected failure.

Core code raises these with a message that names what is wrong and a hint that says how to fix
it. Only the CLI (and the dashboard) turn them into output and exit codes, so a user sees a clear
sentence and never a traceback for an expected failure (`--debug` shows it).
"""

from __future__ import annotations


class AllpfitError(Exception):
    """An expected failure: shown as `Error: message` + `hint`, exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(AllpfitError):
    """Missing or invalid settings."""

    exit_code = 2


class SourceError(AllpfitError):
    """The Chatwoot database is unreachable or not shaped as expected."""

    exit_code = 3


class LocalDatabaseError(AllpfitError):
    """The local analytics database is unreachable or cannot be prepared."""

    exit_code = 4


class MigrationPermissionError(LocalDatabaseError):
    """The local database user may not apply the schema migrations (a read-only user)."""


class AlreadyRunningError(AllpfitError):
    """Another run of the same job holds the lock."""

    exit_code = 5


class InputError(AllpfitError):
    """A file or argument given by the user cannot be used."""

    exit_code = 2


class AnalysisError(AllpfitError):
    """The lead-analysis service refused the work (bad key, unknown model) or every call failed."""

    exit_code = 6


class CrmError(AllpfitError):
    """The CRM (EVO API) refused the credentials, failed, or answered something unusable."""

    exit_code = 7


class Retryable:
    """Marker mixin: the failure is transient (HTTP 429/5xx, timeout) and may be retried."""


class MassRemovalRefused(AllpfitError):
    """A run would delete or mark a large share of existing rows (an empty or wrong source,
    a truncated listing): refused before anything is written, unless explicitly allowed."""

    exit_code = 8


class TenantJobsFailed(AllpfitError):
    """A job run for several tenants failed for some of them (the others ran to the end).

    Exits with the code of the first tenant's failure, so a single failing tenant keeps the
    code its error has on its own."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code
