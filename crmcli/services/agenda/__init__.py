"""The agenda (`visit due`): one registry of sources, one source per kind of obligation.

Adding a kind of obligation is adding a module with a ``SOURCE`` (its kinds, their help, the
SQL that finds them) to ``SOURCES`` below, and its tests (tests/test_agenda_registry.py walks
the registry and names the rule and query-plan tests every kind needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from crmcli.dates import local_day
from crmcli.errors import BadInput
from crmcli.services.agenda import (
    annual,
    base,
    contact,
    deadlines,
    handover,
    invoice,
    meetings,
    notices,
    pending,
    plans,
    referrals,
    refused_payment,
    renewal,
    replies,
    review,
    signoffs,
    unsatisfied,
)
from crmcli.services.agenda.base import (
    DUE_COLUMNS,
    DUE_COLUMNS_SHORT,
    DUE_TABLE_COLUMNS,
    AgendaContext,
    DueItem,
    Source,
    due_rows,
    in_order,
)

if TYPE_CHECKING:
    from crmcli.services import Session

__all__ = ["DUE_COLUMNS", "DUE_COLUMNS_SHORT", "DUE_KINDS", "DUE_TABLE_COLUMNS", "KIND_GROUPS",
           "SOURCES", "AgendaContext", "DueItem", "Source", "due_cells", "due_items", "due_rows",
           "expand_kinds", "for_customer", "in_order", "kind_help", "skipped_rows"]

_AREA_MANAGERS = (contact.SOURCE, annual.SOURCE)  # every item of theirs is the area manager's

SOURCES: tuple[Source, ...] = (
    pending.SOURCE,
    contact.SOURCE,
    annual.SOURCE,
    deadlines.SOURCE,
    unsatisfied.SOURCE,
    plans.SOURCE,
    referrals.SOURCE,
    replies.SOURCE,
    meetings.SOURCE,
    signoffs.SOURCE,
    notices.SOURCE,
    handover.SOURCE,
    renewal.SOURCE,
    invoice.SOURCE,
    refused_payment.SOURCE,
    review.SOURCE,
)

DUE_KINDS: tuple[str, ...] = tuple(kind for source in SOURCES for kind in source.kinds)
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "followup": pending.FOLLOWUP_KINDS,
    "deadline": (*deadlines.KINDS, "plan", "referral"),
    "handover": handover.KINDS,
}
skipped_rows = handover.skipped_rows


def kind_help() -> list[dict[str, Any]]:
    """Every kind `visit due` can list, with what it means (for `visit kinds`)."""
    groups = {kind: group for group, kinds in KIND_GROUPS.items() for kind in kinds}
    return [{"kind": kind, "source": source.name, "group": groups.get(kind), "help": text}
            for source in SOURCES for kind, text in source.help.items()]


def expand_kinds(kinds: list[str]) -> set[str]:
    """``--kind`` values (repeatable; ``followup`` and ``deadline`` name groups)."""
    chosen: set[str] = set()
    for kind in kinds:
        if kind in KIND_GROUPS:
            chosen.update(KIND_GROUPS[kind])
        elif kind in DUE_KINDS:
            chosen.add(kind)
        else:
            raise BadInput(f"--kind: {kind!r} is not one of {', '.join(DUE_KINDS)}, "
                           f"{' or '.join(KIND_GROUPS)}.")
    return chosen


def due_items(session: Session, last_day: date, kinds: set[str] | None = None,
              owner: str | None = None, limit: int | None = None) -> list[DueItem]:
    """Everything overdue or due by the end of ``last_day`` (local), most overdue first; with
    ``limit``, the first ``limit`` of them."""
    policy = session.policies.current
    # Each source gives only its first ``limit`` items when every one it gives is kept: not
    # when an owner is asked for (who owes an item is worked out after the SQL).
    ctx = AgendaContext(session, session.now, last_day, policy, frozenset(kinds or DUE_KINDS),
                        limit=limit if owner is None else None)
    key = owner.strip().casefold() if owner is not None else None
    items: list[DueItem] = []
    for source in SOURCES:
        if not ctx.kinds.intersection(source.help):
            continue
        if key is not None and source in _AREA_MANAGERS and (
                policy.area_manager or "").casefold() != key:
            continue  # the area manager's alone, and someone else is asked for
        items += source.items(ctx)
    if key is not None:
        items = [item for item in items if (item.owner or "").casefold() == key]
    return in_order(items, limit)


def due_cells(session: Session, last_day: date, kinds: set[str] | None = None,
              owner: str | None = None, limit: int | None = None
              ) -> Iterator[tuple[str, ...]]:
    """``due_items`` as csv/tsv cells in ``DUE_COLUMNS`` order (`visit due --format csv`):
    the cadence and yearly visits, most of a big site's list, as cells straight from SQL."""
    policy = session.policies.current
    chosen = frozenset(kinds or DUE_KINDS)
    key = owner.strip().casefold() if owner is not None else None
    ctx = AgendaContext(session, session.now, last_day, policy,
                        chosen - set(DAY_KINDS), limit=limit if owner is None else None)
    if key is not None and (policy.area_manager or "").casefold() != key:
        days: Iterable[tuple[Any, ...]] = []  # the area manager's alone, someone else asked for
    else:
        days = day_cells(ctx, chosen)
    items: list[DueItem] = []
    for source in SOURCES:
        if ctx.kinds.intersection(source.help) and source not in _AREA_MANAGERS:
            items += source.items(ctx)
    if key is not None:
        items = [item for item in items if (item.owner or "").casefold() == key]
    return base.merged_cells(days, *base.keyed_in_order(items, limit), session.now, limit)


DAY_KINDS = ("annual", "cadence")


def day_cells(ctx: AgendaContext, kinds: frozenset[str]) -> Iterable[tuple[Any, ...]]:
    """The cadence and yearly-visit rows as cells, by day, customer and kind (one statement
    over the two covering indexes of the stored dates), the customer id in a 12th place; read
    as they are written, never all held at once."""
    parts, params = [], {**contact.reason_params(), "today": local_day(ctx.now).isoformat(),
                         "last": ctx.last_day.isoformat(), "owner": ctx.policy.area_manager or "",
                         "limit": -1 if ctx.limit is None else ctx.limit}
    if "cadence" in kinds:
        parts.append(
            "SELECT cast(c.id AS TEXT), c.name, 'cadence', c.next_contact_due AS due, "
            "CASE WHEN c.next_contact_due < :today THEN 'true' ELSE 'false' END, '', "
            f"{contact.REASON}, :owner, '', '', '', c.id AS k FROM customers c "
            "INDEXED BY customers_next_contact WHERE c.next_contact_due <= :last")
    if "annual" in kinds:
        parts.append(
            "SELECT cast(c.id AS TEXT), c.name, 'annual', c.next_visit_due AS due, "
            "CASE WHEN c.next_visit_due < :today THEN 'true' ELSE 'false' END, '', "
            f"{annual.REASON}, :owner, 'in-person', '', '', c.id AS k FROM customers c "
            "INDEXED BY customers_next_visit WHERE c.next_visit_due <= :last")
    if not parts:
        return []
    cursor: Iterable[tuple[Any, ...]] = ctx.session.conn.execute(
        " UNION ALL ".join(parts) + " ORDER BY due, k, 3 LIMIT :limit", params)
    return cursor


def for_customer(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """What the customer is owed next, whenever it is due (for `customer show`)."""
    from crmcli.dates import local_today

    ctx = AgendaContext(session, session.now, local_today(session.now),
                        session.policies.current, frozenset(DUE_KINDS), customer_id)
    items: list[DueItem] = []
    for source in SOURCES:
        items += source.items(ctx)
    return due_rows(in_order(items), session.now)
