"""The complaint rules of seed 004 (SPEC §2), pure: no I/O, no clock.

A complaint's effective state is a replay of what people recorded (opened, responded,
escalated, upgraded, closed, reopened, followed up) against the policy in force, up to a
moment. The replay fires the automatic rules — a minor complaint unresolved for
``upgrade_days`` becomes major; a major one unresolved ``resolve_hours`` after it became major
is escalated — at the moment their deadline passed. Automatic events that a sweep recorded are
not inputs: they are what the replay derives, written down once.

A deadline is missed when the moment passes with the timer unmet: an event exactly at the due
time meets it, a minute later misses it; once missed it stays missed. Entries and deadlines are
kept to the whole minute shown to people: a feedback entered in the minute displayed as its
deadline is on time.

The department complained about makes its handling plan within ``plan_minutes`` of being
assigned (seed 004: 被投訴部門接到…後,1小時內…制定處理措施); closing the complaint first meets it
(the resolution is its handling); assigning another department ends the first one's plan and
starts the new one's.

The report of a major complaint to the department head (seed 004: 10分鐘內向資產管理部負責人
匯報) is owed whatever becomes of the complaint: closing it on the spot does not cancel it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crmcli.i18n import N_, _
from crmcli.policy import Policy, PolicyHistory

SEVERITIES = ("minor", "major")
STATUSES = ("open", "escalated", "closed")
# The handling sheet (seed 004 《客戶投訴處置表》): the department complained about is assigned,
# makes its plan (處理方法), hands work on by letter (《工作聯繫函》) and gets it back; the
# complaint is judged valid or unreasonable; the department head gives an opinion; the result
# is told to the customer (in writing).
SHEET_ACTIONS = ("assigned", "planned", "referred", "referral_done", "validity", "opinion",
                 "notified")
MANUAL_ACTIONS = ("opened", "responded", "escalated", "reported", "upgraded", "closed",
                  "reopened", "followed_up", "noted", "edited", "case", "voided",
                  *SHEET_ACTIONS)
# Entries a person can void (the opening is corrected with `complaint edit`, not voided).
VOIDABLE = ("responded", "escalated", "reported", "upgraded", "closed", "reopened",
            "followed_up", "noted", *SHEET_ACTIONS)


@dataclass(frozen=True)
class Event:
    at: datetime
    action: str
    automatic: bool = False
    severity: str | None = None  # for "opened"
    by: str | None = None


@dataclass
class Timer:
    name: str  # response | report | plan | resolve | followup
    started_at: datetime
    due: datetime
    met_at: datetime | None = None
    breached: bool = False
    cancelled_at: datetime | None = None
    automatic: bool = False  # started by an automatic upgrade, not by an entry
    fires: str | None = None  # the automatic event its breach made: upgraded | escalated

    @property
    def state(self) -> str:
        """met, pending, cancelled (ended before its deadline), overdue (missed and still
        owed), late (met after its deadline) or missed (ended unmet after its deadline)."""
        if self.breached:
            if self.met_at is not None:
                return "late"
            return "missed" if self.cancelled_at is not None else "overdue"
        if self.met_at is not None:
            return "met"
        return "cancelled" if self.cancelled_at is not None else "pending"

    @property
    def running(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    @property
    def overdue(self) -> bool:
        """Missed and still owed."""
        return self.breached and self.running


@dataclass(frozen=True)
class Automatic:
    """An event the rules made happen: to be recorded by ``complaint sweep``."""

    at: datetime
    action: str  # upgraded | escalated
    note: str
    level: int | None = None


@dataclass
class Cycle:
    """One stretch from opening (or reopening) to closing; ``closed_at`` None while open."""

    opened_at: datetime
    closed_at: datetime | None = None


@dataclass
class Effective:
    opened_at: datetime
    severity: str
    status: str = "open"
    major_at: datetime | None = None
    responded_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    escalations: int = 0
    timers: list[Timer] = field(default_factory=list)
    automatic: list[Automatic] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)

    def current(self, name: str) -> Timer | None:
        """The latest timer of that name (a reopened complaint may have several)."""
        found = [timer for timer in self.timers if timer.name == name]
        return found[-1] if found else None

    @property
    def overdue(self) -> bool:
        return any(timer.overdue for timer in self.timers)

    @property
    def breached(self) -> list[Timer]:
        return [timer for timer in self.timers if timer.breached]

    def running_timers(self) -> list[Timer]:
        return [timer for timer in self.timers if timer.running]


def automatic_note(action: str, policy: Policy | None) -> str:
    """The note of an automatic event: an upgrade names the policy's ``upgrade_days`` in force
    when its deadline started."""
    if action == "upgraded" and policy is not None:
        return f"not resolved within {policy.upgrade_days:g} days"
    return "resolution deadline passed (major complaint not resolved in time)"


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def minute(moment: datetime) -> datetime:
    """The whole minute a time is shown as."""
    return moment.replace(second=0, microsecond=0)


class _Replay:
    def __init__(self, opened: Event, policies: PolicyHistory) -> None:
        self.policies = policies
        severity = opened.severity or "minor"
        self.state = Effective(opened_at=opened.at, severity=severity,
                               cycles=[Cycle(opened.at)])
        self.reported_at: datetime | None = None
        policy = policies.at(opened.at)
        if severity == "minor":
            self._start("response", opened.at, _hours(policy.response_hours))
            self._start("resolve", opened.at, timedelta(days=policy.upgrade_days))
        else:
            self._become_major(opened.at)

    def _start(self, name: str, at: datetime, span: timedelta, due: datetime | None = None,
               automatic: bool = False) -> Timer:
        timer = Timer(name, at, minute(due or at + span), automatic=automatic)
        self.state.timers.append(timer)
        return timer

    def _running(self, name: str) -> Timer | None:
        timer = self.state.current(name)
        return timer if timer is not None and timer.running else None

    def _become_major(self, at: datetime, automatic: bool = False) -> None:
        state = self.state
        minor_window = self._running("resolve")
        if minor_window is not None:
            minor_window.cancelled_at = at
        state.severity = "major"
        state.major_at = at
        policy = self.policies.at(at)
        report = self._start("report", at, timedelta(minutes=policy.report_minutes),
                             automatic=automatic)
        if self.reported_at is not None:
            report.met_at = at  # already reported to the department head
        self._start("resolve", at, _hours(policy.resolve_hours), automatic=automatic)

    def advance(self, until: datetime) -> None:
        """Fire every deadline that passed strictly before ``until``, in time order."""
        while True:
            due = [t for t in self.state.timers if t.running and not t.breached and t.due < until]
            if not due:
                return
            timer = min(due, key=lambda t: t.due)
            timer.breached = True
            if timer.name == "resolve" and self.state.status != "closed":
                if self.state.severity == "minor":
                    self.state.automatic.append(Automatic(
                        timer.due, "upgraded", automatic_note(
                            "upgraded", self.policies.at(timer.started_at))))
                    timer.fires = "upgraded"
                    self._become_major(timer.due, automatic=True)
                else:
                    self.state.automatic.append(Automatic(
                        timer.due, "escalated", automatic_note("escalated", None), 1))
                    timer.fires = "escalated"
                    self._escalate(timer.due)

    def _escalate(self, at: datetime) -> None:
        state = self.state
        state.status = "escalated"
        state.escalations += 1
        if state.escalated_at is None:
            state.escalated_at = at

    def apply(self, event: Event) -> None:
        self.advance(event.at)
        state = self.state
        action = event.action
        if action == "responded":
            timer = self.state.current("response")
            if timer is not None and timer.met_at is None:
                timer.met_at = event.at
            if state.responded_at is None:
                state.responded_at = event.at
        elif action == "escalated":
            self._escalate(event.at)
            self._reported(event.at)
        elif action == "reported":
            self._reported(event.at)
        elif action == "upgraded":
            if state.severity == "minor":
                self._become_major(event.at)
        elif action == "closed":
            self._close(event.at)
        elif action == "reopened":
            self._reopen(event.at)
        elif action == "followed_up":
            followup = self._running("followup")
            if followup is not None:
                followup.met_at = event.at
        elif action == "assigned":
            self._assign(event.at)
        elif action == "planned":
            plan = self._running("plan")
            if plan is not None:
                plan.met_at = event.at

    def _assign(self, at: datetime) -> None:
        """A department is (re)assigned: its handling plan is due within ``plan_minutes``; a
        plan still owed by the department before it ends there (missed stays missed)."""
        previous = self._running("plan")
        if previous is not None:
            previous.cancelled_at = at
        self._start("plan", at, timedelta(minutes=self.policies.at(at).plan_minutes))

    def _reported(self, at: datetime) -> None:
        if self.reported_at is None:
            self.reported_at = at
        report = self._running("report")
        if report is not None:
            report.met_at = at

    def _close(self, at: datetime) -> None:
        state = self.state
        for name in ("response", "resolve", "plan"):  # the resolution is the handling
            timer = self._running(name)
            if timer is not None:
                timer.met_at = at
        if state.responded_at is None:
            state.responded_at = at
        state.status = "closed"
        state.closed_at = at
        state.cycles[-1].closed_at = at
        self._start("followup", at, _hours(self.policies.at(at).followup_hours))

    def _reopen(self, at: datetime) -> None:
        state = self.state
        followup = self._running("followup")
        if followup is not None:
            followup.cancelled_at = at
        state.status = "open"
        state.closed_at = None
        state.reopened_at = at
        if state.cycles[-1].closed_at is not None:
            state.cycles.append(Cycle(at))
        policy = self.policies.at(at)
        if state.severity == "major":
            self._start("resolve", at, _hours(policy.resolve_hours))
        else:
            window = state.opened_at + timedelta(days=self.policies.at(state.opened_at)
                                                 .upgrade_days)
            self._start("resolve", at, timedelta(0), due=max(window, at))


def evaluate(events: Iterable[Event], policies: PolicyHistory, now: datetime) -> Effective:
    """The complaint's state at ``now`` from its recorded events (any order), each on the
    whole minute it is shown as."""
    ordered = sorted((Event(minute(e.at), e.action, False, e.severity, e.by)
                      for e in events if not e.automatic), key=lambda e: e.at)
    opened = next((e for e in ordered if e.action == "opened"), None)
    if opened is None:
        raise ValueError(_("a complaint's history starts with 'opened'"))
    replay = _Replay(opened, policies)
    for event in ordered:
        if event is opened or event.at > now:
            continue
        replay.apply(event)
    replay.advance(now)
    return replay.state


FOREVER = datetime.max.replace(tzinfo=UTC)


def outcome(events: Iterable[Event], policies: PolicyHistory) -> Effective:
    """Where the recorded history leads if nothing more is recorded: every running deadline
    passes, each with the automatic event it brings, at its own moment.

    The state at any moment ``t`` is read off it (see ``crmcli.outcomes``): what happened at or
    before ``t``, with a deadline counted missed — and its automatic event fired — only once
    ``t`` is past it, exactly as ``evaluate(events, policies, t)`` replays it.
    """
    return evaluate(events, policies, FOREVER)


def pending_automatic(effective: Effective, recorded: Iterable[Event]) -> list[Automatic]:
    """Automatic events the rules produced that are not yet in the history."""
    done = {(e.action, minute(e.at)) for e in recorded if e.automatic}
    return [a for a in effective.automatic if (a.action, a.at) not in done]


def check_transition(status: str, action: str) -> str | None:
    """Why an action is not allowed in a status, or None if it is."""
    if action == "reported":  # owed in any status
        return None
    if status == "closed" and action in ("responded", "escalated", "closed", "upgraded",
                                         "assigned"):
        return N_("is closed")
    if status != "closed" and action == "reopened":
        return N_("is not closed")
    return None


def followup_assignment(severity: str, received_by: str, policy: Policy) -> tuple[str, str]:
    """Who follows up a closed complaint and how (seed 004 §3.1)."""
    if severity == "major":
        return policy.area_manager, "in-person"
    return received_by, "phone/wechat"


def is_repeat(category: str | None, unresolved_categories: Iterable[str | None]) -> bool:
    """A repeated complaint: the customer has an unresolved one in the same category, the
    spelling folded (空調 = 空调, AC = ac)."""
    from crmcli.textfold import fold

    if category is None:
        return False
    key = fold(category)
    return any(other is not None and fold(other) == key for other in unresolved_categories)


def followup_meets(severity: str, method: str) -> bool:
    """Whether a follow-up made this way meets the complaint's follow-up (seed 004 3.1):
    a major complaint's is a face-to-face visit (上門面談回訪); a call is only a contact."""
    return severity != "major" or method == "in-person"


UNSATISFACTORY_AT_MOST = 2  # ratings of 1-2 on any scale are 不合格 (seed 004 (2) 5)


def unsatisfactory(ratings: Iterable[int | None], unresolved: bool) -> bool:
    """A follow-up whose result is not acceptable: rated 1-2 on any scale, or the problem is
    still there; the area manager reports it upward (seed 004: 反饋不合格的事件應上報)."""
    return unresolved or any(r is not None and r <= UNSATISFACTORY_AT_MOST for r in ratings)
