"""What a sync checks before it writes anything, so a wrong or empty Chatwoot cannot wipe out
the local table (and with it the paid AI profiles and CRM matches hanging off it).

Three refusals, each a MassRemovalRefused (exit 8, recorded 'refused' in etl_control), each
lifted by `--allow-mass-delete`:

- another installation: the first sync records which Chatwoot it read (`source_identity`: the
  account ids, and the earliest conversation's id and creation time); a later run whose source
  shares no account with it, whose recorded first conversation has another creation time, or
  that has conversations older (lower ids) than the recorded first one while lacking it, is
  reading some other Chatwoot;
- an empty source: no conversation at all while the local table has some;
- a mass removal: more than SYNC_MAX_DELETED_FRACTION of the local rows would be marked deleted
  (the one share rule, allpfit.safety.check_removal).

The identity is per tenant (one `source_identity` row each, migration 0051): the accounts and
the first conversation within the tenant's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from allpfit.errors import MassRemovalRefused
from allpfit.safety import check_removal
from allpfit.source.queries import SCOPE
from allpfit.sync.load import removal_counts

FLAG = "--allow-mass-delete"
_HINT = (
    "Check SOURCE_DATABASE_URL: it must point at the Chatwoot this database was synced from. "
    f"If the change is intended, run `allpfit etl run {FLAG}`: conversations missing from the "
    "source are then marked deleted (never removed; their AI profiles stay), and the source is "
    "recorded as the installation to follow."
)


@dataclass(frozen=True)
class Identity:
    """Which Chatwoot installation a database is: what survives ordinary use (accounts are
    rarely removed; conversation ids only grow)."""

    account_ids: tuple[int, ...]
    first_conversation_id: int | None
    first_conversation_created_at: datetime | None  # UTC

    def describe(self) -> str:
        accounts = ", ".join(map(str, self.account_ids)) or "none"
        if self.first_conversation_id is None:
            return f"accounts {accounts}, no conversation"
        created = self.first_conversation_created_at
        when = f"{created:%Y-%m-%d %H:%M:%S} UTC" if created else "unknown time"
        return f"accounts {accounts}, first conversation #{self.first_conversation_id} of {when}"


def read_identity(source: psycopg.Connection, scope: dict[str, object]) -> Identity:
    """The identity of the Chatwoot behind `source` as the tenant of `scope` (the parameters
    of `queries.SCOPE`) sees it, inside the run's snapshot."""
    accounts = source.execute(
        """SELECT id FROM accounts
           WHERE %(account_id)s::integer IS NULL OR id = %(account_id)s::integer ORDER BY id""",
        scope,
    ).fetchall()
    first = source.execute(
        f"SELECT c.id, c.created_at FROM conversations c WHERE {SCOPE} ORDER BY c.id LIMIT 1",
        scope,
    ).fetchone()
    return Identity(
        account_ids=tuple(int(r[0]) for r in accounts),
        first_conversation_id=int(first[0]) if first else None,
        first_conversation_created_at=_utc(first[1]) if first else None,
    )


def recorded_identity(local: psycopg.Connection) -> Identity | None:
    row = local.execute(
        """SELECT account_ids, first_conversation_id, first_conversation_created_at
           FROM source_identity WHERE id = 1"""
    ).fetchone()
    if row is None:
        return None
    return Identity(tuple(row[0]), row[1], row[2])


def record_identity(local: psycopg.Connection, identity: Identity, run_id: int) -> None:
    """Remember `identity` as the installation to follow (inside the data transaction)."""
    local.execute(
        """INSERT INTO source_identity (id, account_ids, first_conversation_id,
               first_conversation_created_at, recorded_at, recorded_by_run)
           VALUES (1, %s, %s, %s, now(), %s)
           ON CONFLICT (tenant_id, id) DO UPDATE SET account_ids = EXCLUDED.account_ids,
               first_conversation_id = EXCLUDED.first_conversation_id,
               first_conversation_created_at = EXCLUDED.first_conversation_created_at,
               recorded_at = EXCLUDED.recorded_at, recorded_by_run = EXCLUDED.recorded_by_run""",
        (
            list(identity.account_ids),
            identity.first_conversation_id,
            identity.first_conversation_created_at,
            run_id,
        ),
    )


def check_installation(
    source: psycopg.Connection,
    recorded: Identity | None,
    current: Identity,
    *,
    where: str,
    allow: bool,
) -> bool:
    """Refuse when `current` (read from `source`, at `where`) is another installation than
    `recorded`. Return True when the identity should be (re-)recorded by this run: the first
    sync, a first conversation seen for the first time, or an allowed change."""
    if recorded is None or allow:
        return True
    reason = _difference(source, recorded, current)
    if reason is not None:
        raise MassRemovalRefused(
            f"Refused: the Chatwoot at {where} is not the installation this database was first "
            f"synced from ({reason}; recorded: {recorded.describe()}; now: "
            f"{current.describe()}); nothing was changed.",
            hint=_HINT,
        )
    return recorded.first_conversation_id is None and current.first_conversation_id is not None


def _difference(source: psycopg.Connection, recorded: Identity, current: Identity) -> str | None:
    if recorded.account_ids and not set(recorded.account_ids) & set(current.account_ids):
        return "none of its accounts is there"
    first = recorded.first_conversation_id
    if first is None:
        return None
    row = source.execute("SELECT created_at FROM conversations WHERE id = %s", (first,)).fetchone()
    if row is not None:
        if _utc(row[0]) != recorded.first_conversation_created_at:
            return f"conversation #{first} has another creation time"
        return None
    if current.first_conversation_id is not None and current.first_conversation_id < first:
        return f"it lacks conversation #{first} but has older ones"
    return None


def check_marking(
    local: psycopg.Connection,
    present: str,
    *,
    where: str,
    max_fraction: float,
    allow: bool,
) -> None:
    """Refuse an empty source while the local table has live rows, or marking more than
    `max_fraction` of them deleted. `present` is the temp table of ids the source has."""
    live, missing, listed = removal_counts(local, present)
    if not allow and listed == 0 and live > 0:
        raise MassRemovalRefused(
            f"Refused: the Chatwoot at {where} has no conversation at all, while the local "
            f"table holds {live}; nothing was changed.",
            hint=_HINT,
        )
    check_removal(
        "conversations (marking them deleted in Chatwoot)",
        existing=live,
        removing=missing,
        max_fraction=max_fraction,
        allow=allow,
        flag=FLAG,
    )


def _utc(value: datetime | None) -> datetime | None:
    """Chatwoot stores naive UTC; the local table stores aware times."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
