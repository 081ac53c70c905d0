"""Complaint deadlines still running: feedback, report to the head, resolution (seed 004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcli.services.agenda.base import AgendaContext, DueItem, Source

if TYPE_CHECKING:
    from crmcli.services.complaints import Deadline

KINDS = ("response", "report", "resolve")
_LABELS = {"response": "feedback to the customer", "resolve": "resolve"}


def item(ctx: AgendaContext, deadline: Deadline) -> DueItem:
    timer = deadline.timer
    policy = ctx.session.policies.at(timer.started_at)
    if timer.name == "report":
        label, owner = f"report to {policy.department_head}", policy.area_manager
    elif timer.name == "resolve" and deadline.severity == "major":
        label, owner = "resolve (major)", policy.area_manager
    else:
        label, owner = _LABELS[timer.name], deadline.handler
    summary = deadline.summary
    summary = summary if len(summary) <= 24 else summary[:23] + "…"
    return DueItem(deadline.customer_id, deadline.customer, timer.name, timer.due,
                   f"complaint #{deadline.complaint_id} ({deadline.severity}): {label} — "
                   f"{summary}", owner, complaint_id=deadline.complaint_id)


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import complaints

    if ctx.customer_id is not None:
        found = []
        for (complaint_id,) in ctx.session.conn.execute(
                "SELECT id FROM complaints WHERE customer_id = ? AND attention_at IS NOT NULL",
                (ctx.customer_id,)).fetchall():
            found += [item(ctx, deadline) for deadline in
                      complaints.deadlines_of(complaints.load(ctx.session, complaint_id))
                      if deadline.timer.name in KINDS]
        return found
    return [item(ctx, deadline)
            for deadline in complaints.running_deadlines(ctx.session, ctx.horizon)
            if ctx.wants(deadline.timer.name)]


SOURCE = Source("deadlines", {
    "response": "a minor complaint's feedback to the customer, 24 h after receipt; owed by "
                "the complaint's owner",
    "report": "a major complaint's report to the department head, 10 min after it became "
              "major; owed by the area manager",
    "resolve": "a complaint's resolution (minor: 10 days, else it becomes major; major: 12 h, "
               "else escalated); owed by the owner, for a major one the area manager",
}, items)
