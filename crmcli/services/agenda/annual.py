"""The yearly in-person visit (年拜訪率100%): every customer, every ``annual_visit_days``.

Each customer's next yearly visit is stored on it (``crmcli.next_due``, worked out by
``cadence.next_in_person``): the agenda reads the customers due by the horizon from the index
``customers_next_visit``, in the order it prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli.services.agenda.base import AgendaContext, DueItem, Source
from crmcli.services.agenda.contact import stored_rows

# The reason, composed by SQLite from the templates of ``contact.reason_params``.
REASON = ("replace(CASE WHEN c.last_in_person_at IS NULL THEN :visit_none ELSE :visit_last END, "
          "'{day}', c.next_visit_from)")


def rows(ctx: AgendaContext, columns: str) -> list[Any]:
    """``columns`` of the customers whose yearly visit is due by ``last_day``."""
    return stored_rows(ctx, columns, "next_visit_due", "customers_next_visit")


def items(ctx: AgendaContext) -> list[DueItem]:
    owner = ctx.policy.area_manager
    return [DueItem(cid, name, "annual", date.fromisoformat(due), text, owner, "in-person")
            for cid, name, due, text in rows(ctx, f"c.id, c.name, c.next_visit_due, {REASON}")]


SOURCE = Source("annual", {
    "annual": "yearly in-person visit (年拜訪率100%), every 365 days from the last one; owed "
              "by the area manager",
}, items)
