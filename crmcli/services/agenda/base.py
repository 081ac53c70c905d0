"""What every source of the agenda shares: the question asked, the item, the source itself.

The agenda (`visit due`) is the registry ``crmcli.services.agenda.SOURCES``: one source per
kind of obligation, each a small module with its help text and the SQL that finds what is
due. A source answers one question, ``items(ctx)``: everything of its kinds overdue or due by
the end of ``ctx.last_day`` (local), or, with ``ctx.customer_id`` set, that customer's next
items whenever they fall due (for `customer show`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import cadence
from crmcli.dates import iso_local, local_day
from crmcli.render import Column

if TYPE_CHECKING:
    from crmcli.policy import Policy
    from crmcli.services import Session

DUE_COLUMNS = [
    Column("customer_id"), Column("customer"), Column("kind"), Column("due"),
    Column("overdue"), Column("complaint_id"), Column("reason"), Column("owner"),
    Column("method"), Column("visit_id"), Column("service_id"),
]
DUE_TABLE_COLUMNS = [
    Column("customer"), Column("kind", words=True), Column("due"),
    Column("state", "status", words=True), Column("owner"), Column("method", words=True),
    Column("reason"),
]
DUE_COLUMNS_SHORT = [c for c in DUE_TABLE_COLUMNS if c.key != "customer"]


class DueItem(NamedTuple):
    """One thing due. A named tuple: ``visit due`` makes one per row, thousands at a site."""

    customer_id: int | None  # None for the site's own obligations (a tenant meeting)
    customer: str | None
    kind: str
    due: date | datetime  # a date for day obligations (cadence, yearly visit)
    reason: str
    owner: str | None = None
    method: str | None = None
    complaint_id: int | None = None
    visit_id: int | None = None
    service_id: int | None = None


@dataclass(frozen=True)
class AgendaContext:
    """The question every source answers: what is due by the end of ``last_day``."""

    session: Session
    now: datetime
    last_day: date  # local; the horizon is the end of this day
    policy: Policy  # in force now
    kinds: frozenset[str]  # the kinds asked for (a source may skip work for the others)
    customer_id: int | None = None  # one customer's next items, whenever due
    # At most this many items are printed: a source may give only its first ``limit`` items
    # in the agenda's order (``in_order``), as long as it gives those.
    limit: int | None = None

    @property
    def horizon(self) -> datetime:
        return cadence.deadline(self.last_day)

    def wants(self, kind: str) -> bool:
        return kind in self.kinds


@dataclass(frozen=True)
class Source:
    """One kind (or a family of kinds) of obligation on the agenda.

    ``help`` says, for every kind the source gives, what it means and who owes it (shown by
    `crmcli visit kinds`); ``items`` finds them.
    """

    name: str
    help: dict[str, str]
    items: Callable[[AgendaContext], list[DueItem]]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.help)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


OrderKey = tuple[timedelta, int, str, int, int]


def order_key() -> Callable[[DueItem], OrderKey]:
    """The agenda's order: the last moment still in time (``cadence.deadline``), then
    customer, kind, visit and complaint; each day's deadline worked out once rather than once
    an item, and compared as a span from the epoch (cheaper than zone-aware times)."""
    ends: dict[date, timedelta] = {}

    def key(item: DueItem) -> OrderKey:
        due = item.due
        if isinstance(due, datetime):
            moment = due - _EPOCH
        else:
            found = ends.get(due)
            moment = found if found is not None else ends.setdefault(
                due, cadence.deadline(due) - _EPOCH)
        return (moment, item.customer_id or 0, item.kind, item.visit_id or 0,
                item.complaint_id or 0)

    return key


def in_order(items: list[DueItem], limit: int | None = None) -> list[DueItem]:
    """Sorted in the agenda's order (``order_key``). With ``limit``, only the first ``limit``
    of them (nothing else is sorted)."""
    key = order_key()
    if limit is not None and limit < len(items):
        return heapq.nsmallest(limit, items, key=key)
    return sorted(items, key=key)


def keyed_in_order(items: list[DueItem], limit: int | None = None
                   ) -> tuple[list[DueItem], list[OrderKey]]:
    """``in_order``, with each item's ``order_key`` (worked out once an item)."""
    keys = list(map(order_key(), items))
    index = range(len(items))
    if limit is not None and limit < len(items):
        chosen = heapq.nsmallest(limit, index, key=keys.__getitem__)
    else:
        chosen = sorted(index, key=keys.__getitem__)
    return [items[i] for i in chosen], [keys[i] for i in chosen]


def due_rows(items: list[DueItem], now: datetime) -> list[dict[str, Any]]:
    """The rows of `visit due` (``DUE_COLUMNS``, plus ``state`` in words for the table)."""
    today = local_day(now)
    days: dict[date, tuple[bool, str]] = {}  # day obligations share a few hundred days
    rows = []
    for (customer_id, customer, kind, due, reason, owner, method, complaint_id, visit_id,
         service_id) in items:
        if type(due) is date:
            overdue, state = days.get(due) or days.setdefault(
                due, cadence.due_state(due, now, today))
        else:
            overdue, state = cadence.due_state(due, now, today)
        rows.append({
            "customer_id": customer_id, "customer": customer, "kind": kind, "due": due,
            "overdue": overdue, "state": state, "complaint_id": complaint_id,
            "reason": reason, "owner": owner, "method": method, "visit_id": visit_id,
            "service_id": service_id,
        })
    return rows


def due_cells(items: Iterable[DueItem], now: datetime) -> Iterator[tuple[str, ...]]:
    """The rows of `visit due` as csv/tsv cells (``DUE_COLUMNS``, as ``render.text_value``
    writes them) straight from the items: no row dicts, no state in words."""
    return map(_cell_maker(now), items)


def _cell_maker(now: datetime) -> Callable[[DueItem], tuple[str, ...]]:
    """An item's cells (``due_cells``). Day obligations share a few hundred days and timed
    ones many of their moments (follow-ups fall due on the hour): each day's and each
    moment's cells worked out once."""
    today = local_day(now)
    shown: dict[date | datetime, tuple[str, str]] = {}

    def cells(item: DueItem) -> tuple[str, ...]:
        (customer_id, customer, kind, due, reason, owner, method, complaint_id, visit_id,
         service_id) = item
        found = shown.get(due)
        if found is None:
            if isinstance(due, datetime):
                found = (iso_local(due), "true" if now > due else "false")
            else:
                found = (due.isoformat(), "true" if today > due else "false")
            shown[due] = found
        return ("" if customer_id is None else str(customer_id), customer or "", kind,
                found[0], found[1], "" if complaint_id is None else str(complaint_id), reason,
                owner or "", method or "", "" if visit_id is None else str(visit_id),
                "" if service_id is None else str(service_id))

    return cells


def merged_cells(day_rows: Iterable[tuple[Any, ...]], items: list[DueItem],
                 keys: list[OrderKey], now: datetime, limit: int | None = None
                 ) -> Iterator[tuple[str, ...]]:
    """Cells of the agenda from two streams already in its order: ``day_rows``, cells of
    day obligations made by SQL (by day, customer and kind; the customer id as a number in a
    12th place), and the other sources' ``items`` with their ``keys`` (``keyed_in_order``);
    at most ``limit``."""
    cells = _cell_maker(now)
    count, at = len(items), 0
    ends: dict[str, timedelta] = {}
    left = -1 if limit is None else limit
    for row in day_rows:
        day = row[3]
        end = ends.get(day)
        if end is None:
            end = ends[day] = cadence.deadline(date.fromisoformat(day)) - _EPOCH
        # an item goes first when its (deadline, customer, kind) comes before the row's
        bound = (end, row[11], row[2])
        while at < count and keys[at] < bound:
            if left == 0:
                return
            left -= 1
            yield cells(items[at])
            at += 1
        if left == 0:
            return
        left -= 1
        yield row[:11]
    while at < count and left != 0:
        left -= 1
        yield cells(items[at])
        at += 1
