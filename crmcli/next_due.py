"""Stored next-due dates: each customer's next contact (cadence) and next in-person visit.

`visit due` at a big site reads these with an index range instead of working out every
customer's cadence when it runs. They are worked out by the pure rules of ``crmcli.cadence``
(``ContactRules.next_contact``, ``next_in_person``), on days in the site's time zone, from what
the customer row holds — since, the day it was entered, its latest contact and latest
in-person visit (``crmcli.services.contacts``), tags, segment, moved out — and the policy in
force. A customer who moved out owes nothing: its dates are empty.

``refresh`` is the one function that keeps them: every write that changes any of those values
calls it in its own transaction (contacts entered, voided or edited, a customer added, edited
or imported); a change to a policy setting they depend on (``DEPENDS_ON``) rewrites every
customer with ``rebuild``, in batches of short transactions. ``stale`` lists the customers
whose stored dates differ from the rules (`crmcli check`), and ``rebuild`` is
`check --repair`'s fix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from crmcli import cadence, dates
from crmcli.policy import Policy

# The stored values: the next contact (due day, the cadence applied, the rule naming it, the
# day it is counted from) and the next in-person visit (due day, counted from).
STORED = ("next_contact_due", "next_contact_every", "next_contact_rule", "next_contact_from",
          "next_visit_due", "next_visit_from")
_SETTINGS = {"new_customer_days", "cadence_new", "cadence_established", "annual_visit_days",
             "timezone"}
BATCH = 5000  # customers a transaction of ``rebuild`` rewrites

_INPUTS = ("SELECT c.id, c.since, c.created_at, c.last_contact_at, c.last_in_person_at, "
           "c.segment, c.moved_out_at IS NOT NULL, (SELECT group_concat(t.tag, char(31)) "
           "FROM customer_tags t WHERE t.customer_id = c.id) FROM customers c")
_UPDATE = (f"UPDATE customers SET {', '.join(f'{name} = ?' for name in STORED)} "
           "WHERE id = ?")

Values = tuple[str | None, str | None, str | None, str | None, str | None, str | None]
_NOTHING: Values = (None, None, None, None, None, None)


def depends_on(key: str) -> bool:
    """Whether the stored dates depend on this policy setting."""
    return key in _SETTINGS or key.startswith("cadence.")


@contextmanager
def _zone(policy: Policy) -> Iterator[None]:
    """Days in the policy's zone (a ``policy set timezone`` takes effect at once)."""
    before = str(dates.site_zone())
    if before == policy.timezone:
        yield
        return
    dates.set_site_zone(policy.timezone)
    try:
        yield
    finally:
        dates.set_site_zone(before)


def _day(text: str | None) -> date | None:
    return dates.local_day(dates.from_db(text)) if text else None


def worked_out(policy: Policy, rows: Iterable[tuple[Any, ...]]
               ) -> Iterator[tuple[int, Values]]:
    """Each customer's stored values by the rules, from rows of ``_INPUTS`` (in the site zone)."""
    rules = cadence.ContactRules(policy)
    for cid, since, created, last, last_visit, gone, segment_tags in _shaped(rows):
        if gone:
            yield cid, _NOTHING
            continue
        segment, tags = segment_tags
        entered = dates.local_day(dates.from_db(created))
        start = date.fromisoformat(since) if since else entered
        contact = rules.next_contact(start, _day(last), entered, tags, segment)
        visit = cadence.next_in_person(
            cadence.Contactee(start, None, _day(last_visit), entered=entered), policy)
        yield cid, (contact.due.isoformat(), contact.every, contact.rule,
                    contact.counted_from.isoformat(), visit.due.isoformat(),
                    visit.counted_from.isoformat())


def _shaped(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for cid, since, created, last, last_visit, segment, gone, tags in rows:
        yield (cid, since, created, last, last_visit, gone,
               (segment, tuple(tags.split("\x1f")) if tags else ()))


def refresh(conn: sqlite3.Connection, policy: Policy, customer_ids: Iterable[int]) -> None:
    """Work out these customers' next-due dates again (inside the caller's transaction)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    with _zone(policy):
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = conn.execute(
                f"{_INPUTS} WHERE c.id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
            conn.executemany(_UPDATE, [(*values, cid) for cid, values in
                                       worked_out(policy, rows)])


def rebuild(conn: sqlite3.Connection, policy: Policy, batch: int = BATCH) -> int:
    """Work out every customer's next-due dates again, ``batch`` customers a transaction (a
    policy change, `check --repair`, the migration); returns how many changed."""
    from crmcli.db import transaction

    changed = 0
    after = 0
    with _zone(policy):
        while True:
            with transaction(conn):
                rows = conn.execute(f"{_INPUTS} WHERE c.id > ? ORDER BY c.id LIMIT ?",
                                    (after, batch)).fetchall()
                if not rows:
                    break
                stored = dict(_stored(conn, rows[0][0], rows[-1][0]))
                updates = [(*values, cid) for cid, values in worked_out(policy, rows)
                           if stored.get(cid) != values]
                conn.executemany(_UPDATE, updates)
                changed += len(updates)
                after = rows[-1][0]
    return changed


def _stored(conn: sqlite3.Connection, first: int, last: int
            ) -> Iterator[tuple[int, Values]]:
    for row in conn.execute(f"SELECT id, {', '.join(STORED)} FROM customers "
                            "WHERE id BETWEEN ? AND ?", (first, last)):
        yield row[0], tuple(row[1:])


def stale(conn: sqlite3.Connection, policy: Policy) -> list[int]:
    """The customers whose stored next-due dates are not what the rules give (`check`)."""
    found = []
    with _zone(policy):
        rows = conn.execute(f"{_INPUTS} ORDER BY c.id").fetchall()
        stored = dict(_stored(conn, 0, 1 << 62))
        for cid, values in worked_out(policy, rows):
            if stored.get(cid) != values:
                found.append(cid)
    return found


def for_new(policy: Policy, created_at: str, since: Iterable[Any],
            tags: Iterable[Iterable[str] | None], segments: Iterable[str | None]
            ) -> list[Values]:
    """The stored values of customers entered at ``created_at`` with nothing on record yet,
    to insert with them. An import shares a few starts, tags and segments among a hundred
    thousand customers: each ``since`` is read once, the starts that give the same dates are
    one (``ContactRules.settled_start``), and each combination is worked out once."""
    rules = cadence.ContactRules(policy)
    found: dict[tuple[Any, ...], Values] = {}
    with _zone(policy):
        entered = dates.local_day(dates.from_db(created_at))
        starts: dict[Any, date] = {}
        out = []
        for day, labels, segment in zip(since, tags, segments, strict=True):
            start = starts.get(day)
            if start is None:
                given = (date.fromisoformat(day) if isinstance(day, str) else day) or entered
                start = starts[day] = rules.settled_start(given, entered)
            key = (start, tuple(sorted(labels)) if labels else (), segment)
            values = found.get(key)
            if values is None:
                contact = rules.next_contact(start, None, entered, key[1], segment)
                visit = cadence.next_in_person(
                    cadence.Contactee(start, None, None, entered=entered), policy)
                values = found[key] = (
                    contact.due.isoformat(), contact.every, contact.rule,
                    contact.counted_from.isoformat(), visit.due.isoformat(),
                    visit.counted_from.isoformat())
            out.append(values)
    return out
