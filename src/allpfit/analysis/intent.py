"""Who the conversation is: the intent classes and the one opt-out rule, for every reader.

The analyzers classify each conversation (`profile.INTENTS`); migration 0080 stores the class
in `conversas_analytics_ai.intent`, makes `is_lead` mean "a new lead (or not analysed yet)",
and defines the view `contact_opt_outs_active`: a contact who asked not to be contacted and has
not written again on their own since. Nothing may suggest or send a message to such a contact,
in any page, export or command: they all ask the view, through the SQL here, rather than
reading `intent` themselves (an old lead conversation of that contact is still `new_lead`).
See docs/analysis.md#intent.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from allpfit.analysis.profile import INTENTS, NEW_LEAD

__all__ = ["INTENTS", "NEW_LEAD", "RETENTION_INTENT", "opted_out", "opted_out_contacts"]

OPT_OUT_VIEW = "contact_opt_outs_active"
RETENTION_INTENT = "cancellation"  # listed for the team on the Retenção page


def opted_out(alias: str = "ca") -> sql.Composed:
    """A boolean SQL expression: the contact of the conversation row `alias` (a
    conversas_analytics row: tenant_id, contact_id) asked not to be contacted and has not
    written since. Reads the view with the caller's rights (row-level security applies)."""
    return sql.SQL(
        "EXISTS (SELECT 1 FROM {view} o WHERE o.tenant_id = {a}.tenant_id "
        "AND o.contact_id = {a}.contact_id)"
    ).format(view=sql.Identifier(OPT_OUT_VIEW), a=sql.Identifier(alias))


def opted_out_contacts(conn: psycopg.Connection, contact_ids: Iterable[int]) -> set[int]:
    """Which of `contact_ids` (of the connection's tenant) may not be contacted now."""
    ids = sorted({int(c) for c in contact_ids})
    if not ids:
        return set()
    rows = conn.execute(
        sql.SQL("SELECT contact_id FROM {} WHERE contact_id = ANY(%s)").format(
            sql.Identifier(OPT_OUT_VIEW)
        ),
        (ids,),
    )
    return {int(r[0]) for r in rows}
