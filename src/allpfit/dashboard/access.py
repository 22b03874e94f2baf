"""Which tenant a page run shows, and the refusals behind every role-limited action.

The dashboard decides on the server, from the logged-in `users.User` only (never from the URL
or a widget a user could forge):

- which tenant's data the page shows (`current_tenant`): a manager or viewer always sees their
  own tenant, whatever a link says; an admin picks one in the sidebar ("Empresa");
- an action a role may not take is refused where it happens (`require_export`,
  `require_sync`, `require_followups`, `require_admin`), not only hidden: a button that is
  not drawn cannot be clicked, and the function behind it refuses anyway.

What each role may do is defined once, in `allpfit.users` (`can_export`, `can_trigger_sync`,
`masks_phones`, `sees_all_tenants`, `can_admin`); this module only applies it. An install
without dashboard users (no login, `DASHBOARD_PASSWORD`, `DASHBOARD_USERS_FILE`) logs in as
`users.legacy_user`: a manager of the default tenant. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence

from allpfit import users
from allpfit.errors import AllpfitError
from allpfit.tenants import Tenant
from allpfit.users import User


class AccessDenied(AllpfitError):
    """The logged-in user's role does not allow the action (or not on that tenant)."""


def may_see(user: User, tenant_id: int) -> bool:
    """True when `user` may see the data of tenant `tenant_id`."""
    return users.sees_all_tenants(user) or user.tenant_id == tenant_id


def current_tenant(user: User, tenants: Sequence[Tenant], asked: str | None) -> Tenant | None:
    """The tenant this page run shows, or None when the user may see none.

    `tenants` are the enabled tenants in id order; `asked` is the slug an admin picked (or a
    link named). Only an admin's choice counts, and an admin with no choice starts on the
    first tenant. For anybody else `asked` is ignored and the answer is their own tenant
    (None when it is disabled or gone)."""
    if users.sees_all_tenants(user):
        chosen = next((t for t in tenants if t.slug == asked), None)
        return chosen or (tenants[0] if tenants else None)
    return next((t for t in tenants if t.id == user.tenant_id), None)


def _refused(what: str) -> AccessDenied:
    return AccessDenied(
        f"The {what} is not allowed for this dashboard user.",
        hint="Ask an admin for a role that allows it.",
    )


def require_export(user: User, tenant_id: int) -> None:
    """Refuse an export `user` may not make (their role, or another tenant's data)."""
    if not users.can_export(user) or not may_see(user, tenant_id):
        raise _refused("export")


def require_sync(user: User, tenant_id: int) -> None:
    """Refuse starting a pipeline run `user` may not start."""
    if not users.can_trigger_sync(user) or not may_see(user, tenant_id):
        raise _refused("sync")


def require_followups(user: User, tenant_id: int) -> None:
    """Refuse reviewing or approving follow-ups `user` may not touch (a viewer, or another
    tenant's)."""
    if not users.can_manage_followups(user) or not may_see(user, tenant_id):
        raise _refused("follow-up review")


def require_admin(user: User) -> None:
    """Refuse the admin page and its actions to anybody but an admin."""
    if not users.can_admin(user):
        raise _refused("admin page")
