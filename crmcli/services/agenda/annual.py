"""The yearly in-person visit (年拜訪率100%): every customer, every ``annual_visit_days``.

Each customer's next yearly visit is stored on it (``crmcli.next_due``, worked out by
``cadence.next_in_person``): the agenda reads the customers due by the horizon from the index
``customers_next_visit``, in the order it prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli.services.agenda.base import AgendaContext, DueItem, Source
from crmcli.services.agenda.contact import reason_params

# The reason, composed by SQLite from the templates of ``contact.reason_params``.
REASON = ("replace(CASE WHEN c.last_in_person_at IS NULL THEN :visit_none ELSE :visit_last END, "
          "'{day}', c.next_visit_from)")


def rows(ctx: AgendaContext, columns: str) -> list[Any]:
    """``columns`` of the customers whose yearly visit is due by ``last_day`` (or of the one
    customer asked about), by due day and customer: the agenda's order, so at most
    ``ctx.limit`` are read."""
    params = reason_params()
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(
            f"SELECT {columns} FROM customers c WHERE c.id = :id "
            "AND c.next_visit_due IS NOT NULL", {**params, "id": ctx.customer_id}).fetchall()
    return ctx.session.conn.execute(
        f"SELECT {columns} FROM customers c INDEXED BY customers_next_visit "
        "WHERE c.next_visit_due <= :last ORDER BY c.next_visit_due, c.id LIMIT :limit",
        {**params, "last": ctx.last_day.isoformat(),
         "limit": -1 if ctx.limit is None else ctx.limit},
    ).fetchall()


def items(ctx: AgendaContext) -> list[DueItem]:
    owner = ctx.policy.area_manager
    return [DueItem(cid, name, "annual", date.fromisoformat(due), text, owner, "in-person")
            for cid, name, due, text in rows(ctx, f"c.id, c.name, c.next_visit_due, {REASON}")]


SOURCE = Source("annual", {
    "annual": "yearly in-person visit (年拜訪率100%), every 365 days from the last one; owed "
              "by the area manager",
}, items)
