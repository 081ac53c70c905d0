"""Handover visits (seed 002): residence visit +3 months, inspection +1 year, an invitation a
week before each; none for a customer with a major complaint, renovating or not living there,
nor for one who moved out.
The rules are ``crmcli.handover``; this finds the candidates."""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmcli import handover
from crmcli.dates import from_db, local_day, local_today, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source, due_rows, in_order

if TYPE_CHECKING:
    from crmcli.services import Session

KINDS = handover.KINDS
METHODS = {"residence": "in-person/phone", "inspection": "in-person", "invitation": None}
# Seed 002 ①: a customer who has had a major complaint by now (``:now``), including one a
# minor complaint became by its automatic upgrade (the stored outcome knows when): a search of
# the index of major complaints, else of the customer's complaints' outcomes.
HAD_MAJOR = (
    "(EXISTS (SELECT 1 FROM complaints k INDEXED BY complaints_major WHERE "
    "k.customer_id = {who} AND k.severity = 'major') OR EXISTS (SELECT 1 FROM complaints k "
    "INDEXED BY complaints_customer JOIN complaint_outcomes o INDEXED BY "
    "complaint_outcomes_major ON o.complaint_id = k.id WHERE k.customer_id = {who} "
    "AND o.major_at <= :now AND o.opened_at = k.opened_at))"
)
_SELECT = (
    "SELECT c.id, c.name, c.handover, c.renovating, c.occupied, "
    "(SELECT group_concat(kind || ' ' || at, char(31)) FROM ("
    "SELECT v.kind AS kind, v.done_at AS at FROM visits v "
    "INDEXED BY visits_handover WHERE v.customer_id = c.id "
    "AND v.kind IN ('residence', 'inspection', 'invitation') AND v.done_at IS NOT NULL "
    "AND v.done_at >= date(c.handover, '-1 day') UNION ALL "
    # an invitation sent as a notice (`notice send --kind invitation --to CUSTOMER`)
    "SELECT 'invitation', n.sent_at FROM notice_deliveries d JOIN notices n "
    "ON n.id = d.notice_id WHERE d.customer_id = c.id AND n.kind = 'invitation' "
    "AND n.voided_at IS NULL AND n.sent_at >= date(c.handover, '-1 day'))) "
)


_MADE = ("EXISTS (SELECT 1 FROM visits m INDEXED BY visits_handover WHERE m.customer_id = c.id "
         "AND m.kind IN ('residence', 'inspection', 'invitation') AND m.done_at IS NOT NULL "
         "AND m.kind = '{kind}' AND m.done_at >= date(c.handover, '-1 day'))")


def _last_day(ctx: AgendaContext) -> date:
    """One customer's next items whenever due: everything its handover can still owe."""
    if ctx.customer_id is None:
        return ctx.last_day
    months = 2 * max(ctx.policy.inspection_visit_months, ctx.policy.residence_visit_months)
    return local_today(ctx.now) + timedelta(days=31 * months)


def _candidates(ctx: AgendaContext, last_day: date, first: date | None = None,
                until: date | None = None) -> sqlite3.Cursor:
    """Customers whose handover can owe something by the last day, with what they had done;
    by handover day (from ``first``, before ``until``)."""
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(
            _SELECT + "FROM customers c WHERE c.id = :id AND c.handover IS NOT NULL "
            "AND c.moved_out_at IS NULL",
            {"id": ctx.customer_id})
    # Most handovers in the window owe nothing: the inspection made, or the residence visit
    # made and the inspection's invitation not yet due. The index of handover visits says so.
    return ctx.session.conn.execute(
        _SELECT + "FROM customers c INDEXED BY customers_handover "
        "WHERE c.handover > :lapsed AND c.handover <= :latest AND c.handover >= :first "
        "AND c.handover < :until AND c.moved_out_at IS NULL "
        "AND NOT " + _MADE.format(kind="inspection") + " AND NOT (c.handover > :quiet AND "
        + _MADE.format(kind="residence") + ") ORDER BY c.handover",
        {"lapsed": handover.latest_lapsed(local_today(ctx.now), ctx.policy).isoformat(),
         "latest": handover.earliest_handover(last_day, ctx.policy).isoformat(),
         "quiet": handover.inspection_not_yet(last_day, ctx.policy).isoformat(),
         "first": first.isoformat() if first else "", "until": until.isoformat() if until
         else "9999"})


def _owed(ctx: AgendaContext, handed: str, done: str | None, last_day: date,
          plans: dict[str, tuple[handover.HandoverVisit, handover.HandoverVisit]] | None = None
          ) -> list[handover.Owed]:
    visits: dict[str, list[date]] = {"residence": [], "inspection": []}
    invited: list[date] = []
    for entry in done.split("\x1f") if done else ():
        kind, _, at = entry.partition(" ")
        day = local_day(from_db(at))
        (invited if kind == "invitation" else visits[kind]).append(day)
    day = date.fromisoformat(handed)
    planned = None
    if plans is not None:  # each handover day's visits worked out once
        planned = plans.get(handed)
        if planned is None:
            planned = plans[handed] = handover.plan(day, ctx.policy)
    return [item for item in handover.owed(day, visits, invited, local_today(ctx.now), last_day,
                                           ctx.policy, planned)
            if ctx.wants(item.kind)]


def had_major(conn: sqlite3.Connection, customer_ids: list[int], now: datetime) -> set[int]:
    """Which of these customers have had a major complaint by ``now`` (asked only of those
    owed something: most handovers have had their visits)."""
    import json

    if not customer_ids:
        return set()
    return {row[0] for row in conn.execute(
        "SELECT j.value FROM json_each(:ids) j WHERE " + HAD_MAJOR.format(who="j.value"),
        {"ids": json.dumps(customer_ids), "now": to_db(now)})}


Owing = tuple[int, str, bool, bool, list[handover.Owed]]


def _owing(ctx: AgendaContext, rows: Iterable[Any], last_day: date,
           plans: dict[str, tuple[handover.HandoverVisit, handover.HandoverVisit]]
           ) -> list[Owing]:
    """The candidates that owe something, with what they owe."""
    owing = []
    for cid, name, handed, renovating, occupied, done in rows:
        items = _owed(ctx, handed, done, last_day, plans)
        if items:
            owing.append((cid, name, bool(renovating), bool(occupied), items))
    return owing


def _kept(ctx: AgendaContext, owing: list[Owing], skipped: bool,
          prefixes: dict[tuple[bool, bool, bool], str | None]) -> list[DueItem]:
    """The items of the customers seed 002 skips (``skipped``) or does not, each skipped
    one with its reasons; ``prefixes`` keeps the reasons in words, once a combination."""
    owner = ctx.policy.area_manager
    majors = had_major(ctx.session.conn, [row[0] for row in owing], ctx.now)
    words: dict[tuple[str, str, date], str] = {}
    found = []
    for cid, name, renovating, occupied, items in owing:
        key = (cid in majors, renovating, occupied)
        if key not in prefixes:
            reasons = handover.skip_reasons(had_major=key[0], renovating=renovating,
                                            occupied=occupied)
            prefixes[key] = (
                None if bool(reasons) != skipped else
                _("skipped ({reasons}): ").format(reasons="; ".join(reasons)) if skipped
                else "")
        prefix = prefixes[key]
        if prefix is None:
            continue
        found += [DueItem(cid, name, item.kind, item.due, prefix + _reason(item, words),
                          owner, METHODS[item.kind]) for item in items]
    return found


def _reason(item: handover.Owed, reasons: dict[tuple[str, str, date], str]) -> str:
    """An item's reason in words, translated once for its kind, visit and the visit's day
    (handovers share their days)."""
    key = (item.kind, item.visit.kind, item.visit.due)
    found = reasons.get(key)
    if found is None:
        found = reasons[key] = item.reason
    return found


def _found(ctx: AgendaContext, *, skipped: bool) -> list[DueItem]:
    last_day = _last_day(ctx)
    if ctx.limit is not None and ctx.customer_id is None and not skipped:
        return _first(ctx, ctx.limit, last_day)
    return _kept(ctx, _owing(ctx, _candidates(ctx, last_day), last_day, {}), skipped, {})


_CHUNK = 128


def _first(ctx: AgendaContext, limit: int, last_day: date) -> list[DueItem]:
    """At least the first ``limit`` items in the agenda's order (by due day), reading as
    few candidates as that takes.

    The handover days split into stretches by which visits can still be owed today (none
    before the inspection's first such day, the residence visit too from its own); each
    stretch is read in handover order, and a visit's earliest due (its invitation) only
    grows with the handover day. So the earliest a stretch's next candidate can owe
    anything bounds everything left in it: the stretch with the lowest bound is read
    next, until that bound comes after the ``limit``-th due day found."""
    today = local_today(ctx.now)
    first = handover.latest_lapsed(today, ctx.policy) + timedelta(days=1)
    latest = handover.earliest_handover(last_day, ctx.policy)
    starts = sorted((start, index) for index, start in enumerate(
        handover.owed_from(today, first, latest, ctx.policy)) if start is not None)
    plans: dict[str, tuple[handover.HandoverVisit, handover.HandoverVisit]] = {}
    stretches = []
    for number, (start, _index) in enumerate(starts):
        until = starts[number + 1][0] if number + 1 < len(starts) else None
        cursor = _candidates(ctx, last_day, start, until)
        stretches.append((cursor, [index for _day, index in starts[:number + 1]],
                          [cursor.fetchmany(_CHUNK)]))

    def earliest(owable: list[int], handed: str) -> date:
        visits = plans.get(handed)
        if visits is None:
            visits = plans[handed] = handover.plan(date.fromisoformat(handed), ctx.policy)
        return min(visits[index].invite_on for index in owable)

    found: list[DueItem] = []
    prefixes: dict[tuple[bool, bool, bool], str | None] = {}
    while True:
        waiting = [(earliest(owable, rows[0][0][2]), number)
                   for number, (_cursor, owable, rows) in enumerate(stretches) if rows[0]]
        if not waiting:
            return found
        bound, number = min(waiting)
        if len(found) >= limit and heapq.nsmallest(
                limit, (item.due for item in found))[-1] < bound:
            return found
        cursor, _owable, rows = stretches[number]
        chunk, rows[0] = rows[0], cursor.fetchmany(_CHUNK)
        found += _kept(ctx, _owing(ctx, chunk, last_day, plans), False, prefixes)


def items(ctx: AgendaContext) -> list[DueItem]:
    return _found(ctx, skipped=False)


def skipped_rows(session: Session, last_day: date, kinds: set[str] | None = None
                 ) -> list[dict[str, Any]]:
    """Handover visits not arranged because of seed 002's skip rules (``--show-skipped``),
    each with its reasons; never overdue."""
    ctx = AgendaContext(session, session.now, last_day, session.policies.current,
                        frozenset(kinds or KINDS))
    rows = due_rows(in_order(_found(ctx, skipped=True)), session.now)
    for row in rows:
        row["overdue"], row["state"] = False, "skipped"
    return rows


SOURCE = Source("handover", {
    "residence": "residence-experience visit (居住感受回訪, in person or by phone) 3 months "
                 "after handover; owed by the area manager (seed 002)",
    "inspection": "house inspection (房屋檢查, in person) 1 year after handover; owed by the "
                  "area manager (seed 002)",
    "invitation": "invitation to a handover visit (回訪通知和邀請), a week before it; owed by "
                  "the area manager (seed 002)",
}, items)
