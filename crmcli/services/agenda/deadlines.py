"""Complaint deadlines still running: feedback, report to the head, resolution (seed 004)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crmcli import outcomes, rules
from crmcli.dates import from_db, to_db
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

if TYPE_CHECKING:
    from crmcli.services import Session
    from crmcli.services.complaints import Complaint

@dataclass(frozen=True)
class Deadline:
    """A complaint deadline still running, with what a to-do list says about its complaint."""

    complaint_id: int
    customer_id: int
    customer: str
    summary: str
    handler: str  # the complaint's owner, else whoever received it
    severity: str
    timer: rules.Timer


def deadlines_of(complaint: Complaint) -> list[Deadline]:
    """The running feedback, report and resolution deadlines of a replayed complaint."""
    row = complaint.row
    return [Deadline(complaint.id, row["customer_id"], row["customer"], row["summary"],
                     row["owner"] or row["received_by"], complaint.effective.severity, timer)
            for timer in complaint.effective.running_timers()
            if timer.name not in ("followup", "plan")]  # the plan: crmcli.services.plans


def running_deadlines(session: Session, horizon: datetime) -> list[Deadline]:
    """Complaint deadlines (feedback, report, resolution) overdue or due by ``horizon``.

    Read from the stored outcomes (``crmcli.outcomes``) of the unclosed complaints whose
    attention time has come, as the replay up to now would give them.
    """
    moment = outcomes.Moment.of(session.now)
    found = []
    for (cid, customer_id, customer, summary, handler, name, started, automatic, due,
         breached, major) in session.conn.execute(
        "SELECT p.id, p.customer_id, c.name, p.summary, "
        "coalesce(nullif(p.owner, ''), p.received_by), t.name, t.started_at, t.automatic, "
        f"t.due, t.breached AND t.due < :past, {outcomes.MAJOR} "
        "FROM complaints p JOIN customers c ON c.id = p.customer_id "
        "JOIN complaint_outcomes o ON o.complaint_id = p.id "
        "JOIN complaint_timers t ON t.complaint_id = p.id "
        "WHERE p.attention_at <= :horizon AND t.name NOT IN ('followup', 'plan') "
        f"AND t.due <= :horizon AND {outcomes.RUNNING}",
        {"upto": moment.upto, "past": moment.past, "horizon": to_db(horizon)},
    ):
        timer = rules.Timer(name, from_db(started), from_db(due), breached=bool(breached),
                            automatic=bool(automatic))
        found.append(Deadline(cid, customer_id, customer, summary, handler,
                              "major" if major else "minor", timer))
    return found


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
                      deadlines_of(complaints.load(ctx.session, complaint_id))
                      if deadline.timer.name in KINDS]
        return found
    return [item(ctx, deadline)
            for deadline in running_deadlines(ctx.session, ctx.horizon)
            if ctx.wants(deadline.timer.name)]


SOURCE = Source("deadlines", {
    "response": "a minor complaint's feedback to the customer, 24 h after receipt; owed by "
                "the complaint's owner",
    "report": "a major complaint's report to the department head, 10 min after it became "
              "major; owed by the area manager",
    "resolve": "a complaint's resolution (minor: 10 days, else it becomes major; major: 12 h, "
               "else escalated); owed by the owner, for a major one the area manager",
}, items)
