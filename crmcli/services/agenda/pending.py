"""Scheduled visits and follow-ups (回訪) not yet made: owed by their assignee."""

from __future__ import annotations

import json
from typing import Any

from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source
from crmcli.services.visit_register import FOLLOWUP_KINDS

__all__ = ["FOLLOWUP_KINDS", "SOURCE", "items", "pending_items"]


def pending_items(ctx: AgendaContext, where: str, params: tuple[Any, ...],
                  index: str = "") -> list[DueItem]:
    rows = ctx.session.conn.execute(
        "SELECT v.id, v.customer_id, c.name, v.kind, v.due_at, v.assigned_to, "
        "v.expected_method, v.complaint_id, v.service_id, v.note, s.type, s.description "
        f"FROM visits v {index} JOIN customers c ON c.id = v.customer_id "
        "LEFT JOIN services s ON s.id = v.service_id "
        "WHERE v.done_at IS NULL AND v.cancelled_at IS NULL AND " + where, params,
    ).fetchall()
    items = []
    of_complaint = _("follow-up (回訪) of complaint #{id}")
    of_service = _("follow-up (回訪) of {type} #{id}: {description}")
    scheduled, noted = _("scheduled {kind} visit"), _("scheduled {kind} visit: {note}")
    words: dict[str, str] = {}  # service types and visit kinds, translated once each
    for (visit_id, customer_id, name, kind, due_at, assigned, method, complaint_id, service_id,
         note, service_type, description) in rows:
        if complaint_id is not None and kind == "complaint":
            reason = of_complaint.format(id=complaint_id)
        elif service_id is not None:
            reason = of_service.format(type=words.get(service_type) or words.setdefault(
                service_type, _(service_type)), id=service_id, description=description)
        else:
            reason = (noted if note else scheduled).format(
                kind=words.get(kind) or words.setdefault(kind, _(kind)), note=note)
        items.append(DueItem(customer_id, name, kind, from_db(due_at), reason, assigned,
                             method, complaint_id, visit_id, service_id))
    return items


def items(ctx: AgendaContext) -> list[DueItem]:
    if ctx.customer_id is not None:
        return pending_items(ctx, "v.customer_id = ? AND v.due_at IS NOT NULL",
                             (ctx.customer_id,))
    # Without ANALYZE statistics SQLite prefers visits_due, which holds every visit ever
    # scheduled; the partial index of pending visits is the small one. With a limit, the
    # first in the agenda's order (due time, customer, kind, visit).
    where = "v.due_at <= ? AND v.kind IN (SELECT value FROM json_each(?))"
    params: tuple[Any, ...] = (to_db(ctx.horizon), json.dumps(sorted(ctx.kinds)))
    if ctx.limit is not None:
        where += " ORDER BY v.due_at, v.customer_id, v.kind, v.id LIMIT ?"
        params += (ctx.limit,)
    return pending_items(ctx, where, params, "INDEXED BY visits_pending")


SOURCE = Source("pending", {
    "complaint": "follow-up visit (回訪) of a closed complaint, 24 h after closing; owed by "
                 "whoever received it (minor, by phone/WeChat) or the area manager (major, in "
                 "person)",
    "repair": "follow-up of a repair, 24 h after it was done; owed by whoever took the order",
    "paid": "follow-up of a paid service, 24 h after it was done; owed by whoever took the "
            "order",
    "survey": "a scheduled survey visit (調查); owed by its assignee",
    "routine": "a scheduled routine visit or maintenance follow-up; owed by its assignee",
    "care": "a scheduled care visit (greeting); owed by its assignee",
}, items)
