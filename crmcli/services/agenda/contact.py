"""Contact cadence (聯絡頻率): a customer not contacted for its cadence; the area manager's."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from crmcli import cadence
from crmcli.dates import from_db, local_day, local_midnight, to_db
from crmcli.policy import CADENCE_OVERRIDE, Policy
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def local_day_of(text: str | None) -> date | None:
    return local_day(from_db(text)) if text else None


def reason(due: cadence.Due, what: str) -> str:
    if due.contacted:
        return f"{what}; last {due.counted_from.isoformat()}"
    return f"{what}; none on record since {due.counted_from.isoformat()}"


def _before(column: str, day: date) -> tuple[str, str]:
    """``column`` (a UTC time) falls on a local day before ``day``."""
    return f"c.{column} < ?", to_db(local_midnight(day))


def _reaching(last_day: date, *cadences: str) -> date:
    """The first day from which a contact is too recent for the next one (by the shortest of
    ``cadences``) to fall due by ``last_day``."""
    return max(cadence.latest_anchor(last_day, every) for every in cadences) + timedelta(days=1)


_COLUMNS = "c.id, c.name, c.since, c.created_at, c.last_contact_at, c.segment"
_TAGS = ("(SELECT group_concat(tag, char(31)) FROM customer_tags t "
         "WHERE t.customer_id = c.id)")


def candidates(ctx: AgendaContext) -> list[Any]:
    """Customers whose next contact may be due by ``last_day``: a conservative SQL prefilter.

    Exact dates come from ``cadence.ContactRules`` in Python; this only keeps the candidates
    few. A customer can be due only (1) by the established cadence, if its last contact is at
    least that long before the horizon; (2) by the new-customer cadence, if its relationship
    started recently enough to be new at its last contact; (3) by a tag/segment override it
    matches; or (4) never contacted, if it was entered at least the shortest cadence ago.
    """
    policy, last_day = ctx.policy, ctx.last_day
    if ctx.customer_id is not None:
        return ctx.session.conn.execute(
            f"SELECT {_COLUMNS}, {_TAGS} FROM customers c WHERE c.id = ? "
            "AND c.moved_out_at IS NULL", (ctx.customer_id,)
        ).fetchall()
    est_cut = _reaching(last_day, policy.cadence_established)
    recent = est_cut - timedelta(days=policy.new_customer_days)
    clauses = [_before("last_contact_at", est_cut),
               _before("last_contact_at", _reaching(last_day, policy.cadence_new))]
    where = [clauses[0][0],
             # start = since, else the UTC day of creation (a day early at most: conservative)
             f"({clauses[1][0]} AND coalesce(c.since, substr(c.created_at, 1, 10)) >= ?)"]
    params: list[Any] = [clauses[0][1], clauses[1][1], recent.isoformat()]
    overrides = [CADENCE_OVERRIDE.match(key) for key in policy.cadence_overrides]
    tags = [m[2] for m in overrides if m and m[1] == "tag"]
    segments = [m[2] for m in overrides if m and m[1] == "segment"]
    if overrides:
        sql, moment = _before("last_contact_at", _reaching(
            last_day, *policy.cadence_overrides.values()))
        # IN (a list the subquery makes once) rather than a correlated EXISTS for every row
        where.append(
            f"({sql} AND (c.segment IN (SELECT value FROM json_each(?)) OR c.id IN (SELECT "
            "t.customer_id FROM customer_tags t WHERE t.tag IN (SELECT value FROM "
            "json_each(?)))))")
        params += [moment, json.dumps(segments), json.dumps(tags)]
    sql, moment = _before("created_at", last_day - timedelta(
        days=cadence.shortest_cadence_days(policy) - 1))
    where.append(f"(c.last_contact_at IS NULL AND {sql})")
    params.append(moment)
    tag_column = _TAGS if tags else "NULL"
    # (2) has no index to go by (since), so every plan reads every customer: one pass over the
    # table is the cheapest. (A UNION of one SELECT a case, with an index on each customer's
    # start, read 30 ms instead of 37 at 100 000 customers; the index cost customer import
    # ~60 ms more at that size.) Without ANALYZE statistics SQLite may rather pick a multi-index OR
    # that fetches most customers one by one through customers_last_contact, four times
    # slower at 100 000 customers.
    return ctx.session.conn.execute(
        f"SELECT {_COLUMNS}, {tag_column} FROM customers c NOT INDEXED WHERE "
        "c.moved_out_at IS NULL AND (" + " OR ".join(where) + ")", params,
    ).fetchall()


def item(customer_id: int, name: str, due: cadence.Due, policy: Policy) -> DueItem:
    return DueItem(customer_id, name, "cadence", due.due,
                   reason(due, f"contact every {due.every} ({due.rule})"),
                   policy.area_manager)


def items(ctx: AgendaContext) -> list[DueItem]:
    rules = cadence.ContactRules(ctx.policy)
    found = []
    for cid, name, since, created, last, segment, tags in candidates(ctx):
        entered: date | None = None  # matters only without a since or a contact (most have both)
        if since and last:
            start = date.fromisoformat(since)
        else:
            entered = local_day(from_db(created))
            start = date.fromisoformat(since) if since else entered
        due = rules.next_contact(start, local_day_of(last), entered,
                                 tags.split("\x1f") if tags else (), segment)
        if ctx.customer_id is not None or due.due <= ctx.last_day:
            found.append(item(cid, name, due, ctx.policy))
    return found


SOURCE = Source("contact", {
    "cadence": "contact cadence: no visit, call or follow-up for the customer's cadence "
               "(new customers weekly for 90 days, then monthly; tag/segment overrides; none "
               "for a customer who moved out); owed by the area manager",
}, items)
