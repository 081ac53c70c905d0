"""Handover visits (seed 002): residence visit +3 months, inspection +1 year, an invitation a
week before each; none for a customer with a major complaint, renovating or not living there.
The rules are ``crmcli.handover``; this finds the candidates."""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import handover
from crmcli.dates import from_db, to_db
from crmcli.services.agenda.context import Context
from crmcli.services.visits import DueItem

KINDS = handover.KINDS
METHODS = {"residence": "in-person/phone", "inspection": "in-person", "invitation": None}
# Seed 002 ①: a customer who has had a major complaint by now (``:now``), including one a
# minor complaint became by its automatic upgrade (the stored outcome knows when).
HAD_MAJOR = (
    "EXISTS (SELECT 1 FROM complaints k WHERE k.customer_id = c.id AND "
    "(k.severity = 'major' OR EXISTS (SELECT 1 FROM complaint_outcomes o WHERE "
    "o.opened_at = k.opened_at AND o.complaint_id = k.id AND o.major_at <= :now)))"
)


def _candidates(ctx: Context) -> list[Any]:
    """Customers whose handover can owe something by the last day, with what they had done."""
    policy = ctx.policy
    return ctx.session.conn.execute(
        "SELECT c.id, c.name, c.handover, c.renovating, c.occupied, " + HAD_MAJOR + ", "
        "(SELECT group_concat(v.kind || ' ' || v.done_at, char(31)) FROM visits v "
        "WHERE v.customer_id = c.id AND v.done_at >= date(c.handover, '-1 day') AND "
        "v.kind IN ('residence', 'inspection', 'invitation')) "
        "FROM customers c INDEXED BY customers_handover "
        "WHERE c.handover > :lapsed AND c.handover <= :latest ORDER BY c.id",
        {"now": to_db(ctx.session.now),
         "lapsed": handover.latest_lapsed(ctx.today, policy).isoformat(),
         "latest": handover.earliest_handover(ctx.last_day, policy).isoformat()},
    ).fetchall()


def _owed(ctx: Context, handed: str, done: str | None) -> list[handover.Owed]:
    visits: dict[str, list[date]] = {"residence": [], "inspection": []}
    invited: list[date] = []
    for entry in done.split("\x1f") if done else ():
        kind, _, at = entry.partition(" ")
        day = from_db(at).astimezone().date()
        (invited if kind == "invitation" else visits[kind]).append(day)
    return handover.owed(date.fromisoformat(handed), visits, invited, ctx.today, ctx.last_day,
                         ctx.policy)


def items(ctx: Context) -> list[DueItem]:
    found = []
    owner = ctx.policy.area_manager
    for cid, name, handed, renovating, occupied, had_major, done in _candidates(ctx):
        if handover.skip_reasons(had_major=bool(had_major), renovating=bool(renovating),
                                 occupied=bool(occupied)):
            continue
        found += [DueItem(cid, name, item.kind, item.due, item.reason, owner,
                          METHODS[item.kind]) for item in _owed(ctx, handed, done)]
    return found


def skipped(ctx: Context) -> list[DueItem]:
    """What would be due but for seed 002's skip rules, each with its reasons."""
    found = []
    owner = ctx.policy.area_manager
    for cid, name, handed, renovating, occupied, had_major, done in _candidates(ctx):
        reasons = handover.skip_reasons(had_major=bool(had_major), renovating=bool(renovating),
                                        occupied=bool(occupied))
        if not reasons:
            continue
        found += [DueItem(cid, name, item.kind, item.due,
                          f"skipped ({'; '.join(reasons)}): {item.reason}", owner,
                          METHODS[item.kind]) for item in _owed(ctx, handed, done)]
    return found
