"""Contact cadence (聯絡頻率): a customer not contacted for its cadence; the area manager's.

Each customer's next contact is stored on it (``crmcli.next_due``, worked out by
``cadence.ContactRules``): the agenda reads the customers due by the horizon from the index
``customers_next_contact``, in the order it prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import cadence
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def reason(due: cadence.Due, what: str) -> str:
    """``what`` and where the count starts (the last contact, else the start), translated."""
    if due.contacted:
        return _("{what}; last {day}").format(what=what, day=due.counted_from.isoformat())
    return _("{what}; none on record since {day}").format(
        what=what, day=due.counted_from.isoformat())


def _rule(column: str) -> str:
    """The rule a stored cadence names (``new customer``, ``tag VIP``…), translated."""
    return (f"CASE WHEN {column} = 'new customer' THEN :rule_new "
            f"WHEN {column} = 'established customer' THEN :rule_established "
            f"WHEN substr({column}, 1, 4) = 'tag ' "
            f"THEN replace(:rule_tag, '{{name}}', substr({column}, 5)) "
            f"WHEN substr({column}, 1, 8) = 'segment ' "
            f"THEN replace(:rule_segment, '{{name}}', substr({column}, 9)) ELSE {column} END")


# The reason, composed by SQLite from the translated templates of ``reason_params`` (the
# placeholders are replaced one by one, whatever order a translation puts them in).
REASON = ("replace(replace(replace(CASE WHEN c.last_contact_at IS NULL THEN :contact_none "
          "ELSE :contact_last END, '{every}', c.next_contact_every), '{day}', "
          f"c.next_contact_from), '{{rule}}', {_rule('c.next_contact_rule')})")


def reason_params() -> dict[str, str]:
    """The templates ``REASON`` and ``annual.REASON`` compose (translated once a command)."""
    contact = _("contact every {every} ({rule})")
    visit = _("yearly in-person visit (年拜訪)")
    last, none = _("{what}; last {day}"), _("{what}; none on record since {day}")
    return {
        "contact_last": last.replace("{what}", contact),
        "contact_none": none.replace("{what}", contact),
        "visit_last": last.replace("{what}", visit),
        "visit_none": none.replace("{what}", visit),
        "rule_new": _("new customer"), "rule_established": _("established customer"),
        "rule_tag": _("tag {name}"), "rule_segment": _("segment {name}"),
    }
def stored_rows(ctx: AgendaContext, columns: str, due: str, index: str) -> list[Any]:
    """``columns`` of the customers whose stored ``due`` day (``next_contact_due`` or
    ``next_visit_due``) falls by ``last_day`` (or of the one customer asked about), through
    ``index`` by due day and customer: the agenda's order, so at most ``ctx.limit`` are read."""
    params = reason_params()
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(
            f"SELECT {columns} FROM customers c WHERE c.id = :id AND c.{due} IS NOT NULL",
            {**params, "id": ctx.customer_id}).fetchall()
    return ctx.session.conn.execute(
        f"SELECT {columns} FROM customers c INDEXED BY {index} "
        f"WHERE c.{due} <= :last ORDER BY c.{due}, c.id LIMIT :limit",
        {**params, "last": ctx.last_day.isoformat(),
         "limit": -1 if ctx.limit is None else ctx.limit},
    ).fetchall()


def rows(ctx: AgendaContext, columns: str) -> list[Any]:
    """``columns`` of the customers whose next contact is due by ``last_day``."""
    return stored_rows(ctx, columns, "next_contact_due", "customers_next_contact")


def items(ctx: AgendaContext) -> list[DueItem]:
    owner = ctx.policy.area_manager
    return [DueItem(cid, name, "cadence", date.fromisoformat(due), text, owner)
            for cid, name, due, text in rows(ctx, f"c.id, c.name, c.next_contact_due, {REASON}")]


SOURCE = Source("contact", {
    "cadence": "contact cadence: no visit, call or follow-up for the customer's cadence "
               "(new customers weekly for 90 days, then monthly; tag/segment overrides; none "
               "for a customer who moved out); owed by the area manager",
}, items)
