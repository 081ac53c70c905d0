"""Complaint deadlines still running: feedback, report to the head, resolution (seed 004)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crmcli import outcomes, rules
from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

if TYPE_CHECKING:
    from crmcli.policy import Policy
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


# The running deadlines (feedback, report, resolution) of the unclosed complaints whose
# attention time has come, read from the stored outcomes (``crmcli.outcomes``) as the replay up
# to now would give them; with a limit, the first by due time, customer, kind and complaint
# (the agenda's order).
_RUNNING = (
    "SELECT p.id, p.customer_id, c.name, p.summary, "
    "coalesce(nullif(p.owner, ''), p.received_by), t.name, t.started_at, t.due, "
    f"{outcomes.MAJOR} "
    "FROM complaints p JOIN customers c ON c.id = p.customer_id "
    # major by then (outcomes.MAJOR) from an index of its own: one search, not two
    "JOIN complaint_outcomes o INDEXED BY complaint_outcomes_major ON o.complaint_id = p.id "
    "JOIN complaint_timers t ON t.complaint_id = p.id "
    "WHERE p.attention_at <= :horizon AND t.name IN (SELECT value FROM json_each(:kinds)) "
    f"AND t.due <= :horizon AND {outcomes.RUNNING}"
)
_FIRST = " ORDER BY t.due, p.customer_id, t.name, p.id LIMIT :limit"  # with ctx.limit

KINDS = ("response", "report", "resolve")


def _words() -> dict[str, str]:
    """The words of a deadline's reason, translated once a command (not once an item)."""
    return {"line": _("complaint #{id} ({severity}): {what} — {summary}"),
            "report": _("report to {head}"), "resolve_major": _("resolve (major)"),
            "response": _("feedback to the customer"), "resolve": _("resolve"),
            "major": _("major"), "minor": _("minor")}


def item(ctx: AgendaContext, deadline: Deadline, words: dict[str, str] | None = None
         ) -> DueItem:
    timer = deadline.timer
    return _item(ctx, words or _words(), deadline.complaint_id, deadline.customer_id,
                 deadline.customer, deadline.summary, deadline.handler, timer.name,
                 timer.started_at, timer.due, deadline.severity)


def _item(ctx: AgendaContext, words: dict[str, str], complaint_id: int, customer_id: int,
          customer: str, summary: str, handler: str, name: str, started_at: datetime,
          due: datetime, severity: str) -> DueItem:
    policy = ctx.session.policies.at(started_at)
    label, managed = _owed(words, policy, name, severity)
    owner = policy.area_manager if managed else handler
    summary = summary if len(summary) <= 24 else summary[:23] + "…"
    return DueItem(customer_id, customer, name, due, words["line"].format(
        id=complaint_id, severity=words[severity], what=label, summary=summary), owner,
        complaint_id=complaint_id)


def _owed(words: dict[str, str], policy: Policy, name: str, severity: str
          ) -> tuple[str, bool]:
    """What a deadline owes (its label), and whether the area manager owes it (a report, a
    major complaint's resolution) rather than the complaint's owner."""
    if name == "report":
        return words["report"].format(head=policy.department_head), True
    if name == "resolve" and severity == "major":
        return words["resolve_major"], True
    return words[name], False


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import complaints

    words = _words()
    if ctx.customer_id is not None:
        found = []
        for (complaint_id,) in ctx.session.conn.execute(
                "SELECT id FROM complaints WHERE customer_id = ? AND attention_at IS NOT NULL",
                (ctx.customer_id,)).fetchall():
            found += [item(ctx, deadline, words) for deadline in
                      deadlines_of(complaints.load(ctx.session, complaint_id))
                      if deadline.timer.name in KINDS]
        return found
    moment = outcomes.Moment.of(ctx.session.now)
    rows = ctx.session.conn.execute(_RUNNING + (_FIRST if ctx.limit is not None else ""), {
        "upto": moment.upto, "past": moment.past, "horizon": to_db(ctx.horizon),
        "kinds": json.dumps([kind for kind in KINDS if ctx.wants(kind)]),
        "limit": ctx.limit})
    # What a deadline owes and who owes it depend on its kind, the severity and the policy
    # in force when it started: worked out once for each of those, not once an item.
    at, line = ctx.session.policies.at, words["line"]
    owed: dict[tuple[str, bool, int], tuple[str, str, bool, str]] = {}
    found = []
    for cid, customer_id, customer, summary, handler, name, started, due, major in rows:
        policy = at(from_db(started))
        key = (name, bool(major), id(policy))
        shown = owed.get(key)
        if shown is None:
            severity = "major" if major else "minor"
            shown = owed[key] = (words[severity], *_owed(words, policy, name, severity),
                                 policy.area_manager)
        if len(summary) > 24:
            summary = summary[:23] + "…"
        found.append(DueItem(customer_id, customer, name, from_db(due), line.format(
            id=cid, severity=shown[0], what=shown[1], summary=summary),
            shown[3] if shown[2] else handler, complaint_id=cid))
    return found


SOURCE = Source("deadlines", {
    "response": "a minor complaint's feedback to the customer, 24 h after receipt; owed by "
                "the complaint's owner",
    "report": "a major complaint's report to the department head, 10 min after it became "
              "major; owed by the area manager",
    "resolve": "a complaint's resolution (minor: 10 days, else it becomes major; major: 12 h, "
               "else escalated); owed by the owner, for a major one the area manager",
}, items)
