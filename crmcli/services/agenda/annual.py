"""The yearly in-person visit (年拜訪率100%): every customer, every ``annual_visit_days``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmcli import cadence
from crmcli.dates import local_midnight, to_db
from crmcli.policy import Policy
from crmcli.services.agenda.base import AgendaContext, DueItem, Source
from crmcli.services.agenda.contact import reason
from crmcli.services.visits import contactee


def candidates(ctx: AgendaContext) -> list[Any]:
    """Customers whose yearly visit may be due by ``last_day`` (exact but for the
    never-visited, whose start may be later than their entry)."""
    select = "SELECT c.id, c.name, c.since, c.created_at, c.last_in_person_at FROM customers c"
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(select + " WHERE c.id = ? AND c.moved_out_at IS NULL",
                                        (ctx.customer_id,)).fetchall()
    cut = to_db(local_midnight(ctx.last_day - timedelta(days=ctx.policy.annual_visit_days - 1)))
    return ctx.session.conn.execute(
        select + " WHERE (c.last_in_person_at < ? OR (c.last_in_person_at IS NULL AND "
        "c.created_at < ?)) AND c.moved_out_at IS NULL", (cut, cut),
    ).fetchall()


def item(customer_id: int, name: str, due: cadence.Due, policy: Policy) -> DueItem:
    return DueItem(customer_id, name, "annual", due.due,
                   reason(due, "yearly in-person visit (年拜訪)"), policy.area_manager,
                   "in-person")


def items(ctx: AgendaContext) -> list[DueItem]:
    found = []
    for cid, name, since, created, last_visit in candidates(ctx):
        due = cadence.next_in_person(contactee(since, created, None, last_visit), ctx.policy)
        if ctx.customer_id is not None or due.due <= ctx.last_day:
            found.append(item(cid, name, due, ctx.policy))
    return found


SOURCE = Source("annual", {
    "annual": "yearly in-person visit (年拜訪率100%), every 365 days from the last one; owed "
              "by the area manager",
}, items)
