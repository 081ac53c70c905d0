"""Complaint deadlines still running: feedback, report to the head, resolution (seed 004)."""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

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
_COLUMNS = (
    "SELECT p.id, p.customer_id, c.name, p.summary, "
    "coalesce(nullif(p.owner, ''), p.received_by), t.name, t.started_at, t.due, "
    f"{outcomes.MAJOR} "
)
# the customer's name from the index of names; major by then (outcomes.MAJOR) from an index
# of its own: one search, not two
_JOINS = ("JOIN customers c INDEXED BY customers_names ON c.id = p.customer_id "
          "JOIN complaint_outcomes o INDEXED BY complaint_outcomes_major ON o.complaint_id = p.id ")
_OWED = ("p.attention_at <= :horizon AND t.name IN (SELECT value FROM json_each(:kinds)) "
         "AND t.due <= :horizon")
# Every deadline of every complaint needing attention, each asked whether it runs then.
_RUNNING = (
    _COLUMNS + "FROM complaints p " + _JOINS
    + "JOIN complaint_timers t ON t.complaint_id = p.id "
    f"WHERE {_OWED} AND {outcomes.RUNNING}"
)
# A deadline runs at a moment when it has started by then and no entry has met or cancelled
# it by then. Those met or cancelled by nothing yet are a small index in due order
# (complaint_timers_running): with a limit, its first rows.
_UNSETTLED = (
    _COLUMNS + "FROM complaints p "
    "JOIN complaint_timers t INDEXED BY complaint_timers_running ON t.complaint_id = p.id "
    + _JOINS + f"WHERE t.met_at IS NULL AND t.cancelled_at IS NULL AND {_OWED} "
    "AND t.started_at < CASE WHEN t.automatic THEN :past ELSE :upto END"
)
# The others that still run then were met or cancelled later: at an entry made after that
# moment (``rules``: an entry meets or cancels a deadline at its own time), or, for a minor
# complaint's resolution, at its own due time by the upgrade its breach brings (a breached
# deadline, due from then on). Both are ranges of indexes: the entries after the moment, the
# breached deadlines due from then to the horizon.
_SETTLED_LATER = (
    _COLUMNS + "FROM (SELECT b.complaint_id AS cid, b.seq AS seq FROM complaint_timers b "
    "INDEXED BY complaint_timers_breached WHERE b.breached = 1 AND b.due >= :past "
    "AND b.due <= :horizon UNION SELECT s.complaint_id, s.seq FROM complaint_events e "
    "INDEXED BY complaint_events_at JOIN complaint_timers s ON s.complaint_id = e.complaint_id "
    "WHERE e.at >= :upto) w JOIN complaint_timers t ON t.complaint_id = w.cid AND t.seq = w.seq "
    "JOIN complaints p ON p.id = t.complaint_id " + _JOINS
    + f"WHERE NOT (t.met_at IS NULL AND t.cancelled_at IS NULL) AND {_OWED} "
    f"AND {outcomes.RUNNING}"
)
_FIRST = " ORDER BY t.due, p.customer_id, t.name, p.id LIMIT :limit"  # with ctx.limit
# Past this many entries after the moment (a moment well before the history ends), every
# deadline of the complaints needing attention is asked instead (``_RUNNING``).
LATER_ENTRIES = 2000

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
    words = _words()
    if ctx.customer_id is not None:
        from crmcli.services import complaints

        found = []
        for (complaint_id,) in ctx.session.conn.execute(
                "SELECT id FROM complaints WHERE customer_id = ? AND attention_at IS NOT NULL",
                (ctx.customer_id,)).fetchall():
            found += [item(ctx, deadline, words) for deadline in
                      deadlines_of(complaints.load(ctx.session, complaint_id))
                      if deadline.timer.name in KINDS]
        return found
    rows = running_rows(ctx.session.conn, ctx.session.now, ctx.horizon,
                        [kind for kind in KINDS if ctx.wants(kind)], ctx.limit)
    # What a deadline owes and who owes it depend on its kind, the severity and the policy
    # in force when it started: worked out once for each of those, not once an item; each
    # item's reason is then its complaint's number and summary put between fixed words.
    policies = ctx.session.policies
    marks = [to_db(moment) for moment in policies.changed_at]
    exact = all(from_db(mark) == moment
                for mark, moment in zip(marks, policies.changed_at, strict=True))
    line = words["line"]
    owed: dict[tuple[str, int, int], _Shown] = {}
    found = []
    new, parse = tuple.__new__, from_db
    for cid, customer_id, customer, summary, handler, name, started, due, major in rows:
        # the policy in force then: the stored times compare as text, whole seconds as the
        # policy's own (else as times)
        index = bisect_right(marks, started) if exact else id(policies.at(parse(started)))
        key = (name, major, index)
        shown = owed.get(key)
        if shown is None:
            policy = policies.at(parse(started))
            severity = "major" if major else "minor"
            what, managed = _owed(words, policy, name, severity)
            shown = owed[key] = (_pieces(line, words[severity], what), words[severity], what,
                                 (policy.area_manager,) if managed else None)
        pieces, manager = shown[0], shown[3]
        if len(summary) > 24:
            summary = summary[:23] + "…"
        if pieces is None:
            reason = line.format(id=cid, severity=shown[1], what=shown[2], summary=summary)
        elif pieces[3]:
            reason = f"{pieces[0]}{cid}{pieces[1]}{summary}{pieces[2]}"
        else:
            reason = f"{pieces[0]}{summary}{pieces[1]}{cid}{pieces[2]}"
        found.append(new(DueItem, (customer_id, customer, name, parse(due), reason,
                                   handler if manager is None else manager[0], None, cid, None,
                                   None)))
    return found


# A reason's pieces (``_pieces``), the severity and what is owed in words, and the area
# manager when the area manager owes it.
_Shown = tuple[tuple[str, str, str, bool] | None, str, str, tuple[str] | None]


def _pieces(line: str, severity: str, what: str) -> tuple[str, str, str, bool] | None:
    """A reason's words around its complaint number and summary: (before, between, after,
    whether the number comes first), from the translated line with the other two filled;
    None for a line not of that shape (each reason is then formatted whole)."""
    marked = line.format(id="\x00", severity=severity, what=what, summary="\x01")
    if marked.count("\x00") != 1 or marked.count("\x01") != 1:
        return None
    head, tail = marked.split("\x00")
    if "\x01" in tail:
        middle, after = tail.split("\x01")
        return head, middle, after, True
    before, middle = head.split("\x01")
    return before, middle, tail, False


def running_rows(conn: sqlite3.Connection, now: datetime, horizon: datetime,
                 kinds: list[str], limit: int | None = None) -> list[Any]:
    """The complaint deadlines running at ``now`` and due by ``horizon`` (``_COLUMNS``), of
    the complaints needing attention by then; with ``limit``, the first by due time,
    customer, kind and complaint."""
    moment = outcomes.Moment.of(now)
    params = {"upto": moment.upto, "past": moment.past, "horizon": to_db(horizon),
              "kinds": json.dumps(kinds), "limit": limit}
    first = _FIRST if limit is not None else ""
    (later,) = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM complaint_events INDEXED BY complaint_events_at "
        "WHERE at >= :upto LIMIT :most)", {"upto": moment.upto, "most": LATER_ENTRIES}
    ).fetchone()
    if later >= LATER_ENTRIES:
        return conn.execute(_RUNNING + first, params).fetchall()
    rows = conn.execute(_UNSETTLED + first, params).fetchall()
    settled = conn.execute(_SETTLED_LATER, params).fetchall()
    if settled:
        rows += settled
        if limit is not None:
            rows.sort(key=lambda row: (row[7], row[1], row[5], row[0]))
            del rows[limit:]
    return rows


SOURCE = Source("deadlines", {
    "response": "a minor complaint's feedback to the customer, 24 h after receipt; owed by "
                "the complaint's owner",
    "report": "a major complaint's report to the department head, 10 min after it became "
              "major; owed by the area manager",
    "resolve": "a complaint's resolution (minor: 10 days, else it becomes major; major: 12 h, "
               "else escalated); owed by the owner, for a major one the area manager",
}, items)
