"""The one guard against losing a large share of anything in a single run.

A sync that would mark most conversations deleted, a CRM listing that comes back short, a purge:
each asks `check_removal` before writing, so an empty or wrong source is refused with the same
rule and message everywhere instead of quietly wiping paid or imported work.
"""

from __future__ import annotations

from allpfit.errors import MassRemovalRefused


def check_removal(
    what: str,
    *,
    existing: int,
    removing: int,
    max_fraction: float,
    allow: bool,
    flag: str = "--allow-mass-delete",
) -> None:
    """Refuse (raise MassRemovalRefused) when `removing` of `existing` rows exceeds
    `max_fraction`, or when everything would go, unless `allow` is set.

    `what` names the rows in the message ("conversations", "EVO customers")."""
    if allow or removing <= 0 or existing <= 0:
        return
    share = removing / existing
    if removing >= existing or share > max_fraction:
        raise MassRemovalRefused(
            f"Refused: this run would remove {removing} of {existing} {what} "
            f"({share:.0%}, more than the {max_fraction:.0%} allowed); nothing was changed.",
            hint=f"Check that the source is the right one and complete. If the removal is "
            f"intended, run again with {flag}.",
        )
