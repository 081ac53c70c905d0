"""Contact cadence (聯絡頻率): a customer not contacted for its cadence; the area manager's.

Each customer's next contact is stored on it (``crmcli.next_due``, worked out by
``cadence.ContactRules``): the agenda reads the customers due by the horizon from the index
``customers_next_contact``, in the order it prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import cadence
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def reason(due: cadence.Due, what: str) -> str:
    if due.contacted:
        return f"{what}; last {due.counted_from.isoformat()}"
    return f"{what}; none on record since {due.counted_from.isoformat()}"


# The reason, composed by SQLite (the same text as ``reason``).
REASON = ("printf(CASE WHEN c.last_contact_at IS NULL THEN "
          "'contact every %s (%s); none on record since %s' ELSE "
          "'contact every %s (%s); last %s' END, c.next_contact_every, c.next_contact_rule, "
          "c.next_contact_from)")


def rows(ctx: AgendaContext, columns: str) -> list[Any]:
    """``columns`` of the customers whose next contact is due by ``last_day`` (or of the one
    customer asked about), by due day and customer: the agenda's order, so at most
    ``ctx.limit`` are read."""
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(
            f"SELECT {columns} FROM customers c WHERE c.id = ? "
            "AND c.next_contact_due IS NOT NULL", (ctx.customer_id,)).fetchall()
    return ctx.session.conn.execute(
        f"SELECT {columns} FROM customers c INDEXED BY customers_next_contact "
        "WHERE c.next_contact_due <= ? ORDER BY c.next_contact_due, c.id LIMIT ?",
        (ctx.last_day.isoformat(), -1 if ctx.limit is None else ctx.limit),
    ).fetchall()


def items(ctx: AgendaContext) -> list[DueItem]:
    owner = ctx.policy.area_manager
    return [DueItem(cid, name, "cadence", date.fromisoformat(due), text, owner)
            for cid, name, due, text in rows(ctx, f"c.id, c.name, c.next_contact_due, {REASON}")]


SOURCE = Source("contact", {
    "cadence": "contact cadence: no visit, call or follow-up for the customer's cadence "
               "(new customers weekly for 90 days, then monthly; tag/segment overrides; none "
               "for a customer who moved out); owed by the area manager",
}, items)
