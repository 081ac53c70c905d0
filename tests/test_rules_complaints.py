"""The complaint rules of seed 004 as tabled in SPEC §2, one row per rule and per boundary side.

Written from the SPEC and the seed, not from the code: every expected time below is worked out
by hand from the rule (24 h feedback, 10 days to upgrade, 10 min report, 12 h resolution, 24 h
follow-up). A deadline is met by an event at or before the due moment and missed one minute
after it; once decided, it stays decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from crmcli import rules
from crmcli.policy import Policy, PolicyHistory
from crmcli.rules import Event, evaluate

T0 = datetime(2026, 11, 2, 1, 40, tzinfo=UTC)  # 09:40 in Asia/Shanghai
DEFAULTS = PolicyHistory([])
MIN = timedelta(minutes=1)


def m(n: float) -> timedelta:
    return timedelta(minutes=n)


def h(n: float) -> timedelta:
    return timedelta(hours=n)


def d(n: float) -> timedelta:
    return timedelta(days=n)


def replay(
    steps: list[tuple[timedelta, str]],
    look: timedelta,
    severity: str | None = None,
    policies: PolicyHistory = DEFAULTS,
    opened: datetime = T0,
) -> rules.Effective:
    """Open a complaint at ``opened``, record ``steps`` (offsets from it), look at ``look``."""
    events = [Event(opened, "opened", severity=severity, by="李客服")]
    events += [Event(opened + offset, action, by="王經理") for offset, action in steps]
    return evaluate(events, policies, opened + look)


def timer(eff: rules.Effective, name: str) -> rules.Timer:
    found = eff.current(name)
    assert found is not None, f"no {name} timer in {[t.name for t in eff.timers]}"
    return found


# --- SPEC §2 row: severity is minor or major, given at open; minor if omitted -----------------

@pytest.mark.parametrize(("given", "expected"), [(None, "minor"), ("minor", "minor"),
                                                 ("major", "major")])
def test_severity_is_given_at_open_and_minor_if_omitted(given: str | None, expected: str) -> None:
    eff = replay([], h(1), severity=given)
    assert eff.severity == expected
    assert eff.status == "open"
    assert eff.opened_at == T0


def test_policy_defaults_are_the_numbers_of_the_seed() -> None:
    policy = Policy()
    assert (policy.response_hours, policy.upgrade_days, policy.report_minutes,
            policy.resolve_hours, policy.followup_hours, policy.retention_years) == (
        24, 10, 10, 12, 24, 2)


# --- One table for every timer: (name, severity, steps, look, timer, due, state) --------------

@dataclass(frozen=True)
class TimerCase:
    name: str
    steps: list[tuple[timedelta, str]]
    look: timedelta
    timer: str
    due: timedelta
    state: str
    severity: str | None = None
    met: timedelta | None = None


TIMER_CASES = [
    # minor: first feedback to the customer due 24 h after it was received
    TimerCase("feedback still pending at 24:00", [], h(24), "response", h(24), "pending"),
    TimerCase("no feedback by 24:01 is overdue", [], h(24) + MIN, "response", h(24), "overdue"),
    TimerCase("feedback at 23:59 meets it", [(h(24) - MIN, "responded")], d(3), "response",
              h(24), "met", met=h(24) - MIN),
    TimerCase("feedback at exactly 24:00 meets it", [(h(24), "responded")], d(3), "response",
              h(24), "met", met=h(24)),
    TimerCase("feedback at 24:01 is late", [(h(24) + MIN, "responded")], d(3), "response",
              h(24), "late", met=h(24) + MIN),
    TimerCase("closing at 23:59 is the feedback", [(h(24) - MIN, "closed")], d(3), "response",
              h(24), "met", met=h(24) - MIN),
    TimerCase("closing at 24:01 is late feedback", [(h(24) + MIN, "closed")], d(3), "response",
              h(24), "late", met=h(24) + MIN),
    TimerCase("a major complaint also keeps a minor's feedback deadline after an upgrade",
              [(h(2), "upgraded"), (h(3), "responded")], h(4), "response", h(24), "met",
              met=h(3)),
    # minor: the upgrade window (resolve within 10 days, else it becomes major)
    TimerCase("minor: resolve window runs 10 days", [], d(10), "resolve", d(10), "pending"),
    TimerCase("minor: closing on day 9 resolves it", [(d(9), "closed")], d(20), "resolve",
              d(10), "met", met=d(9)),
    # major: report to the department head due 10 min after it became major, met by escalate
    TimerCase("major: report pending at 10 min", [], m(10), "report", m(10), "pending",
              severity="major"),
    TimerCase("major: no report by 11 min is overdue", [], m(11), "report", m(10), "overdue",
              severity="major"),
    TimerCase("major: escalated at 9 min meets the report", [(m(9), "escalated")], h(1),
              "report", m(10), "met", severity="major", met=m(9)),
    TimerCase("major: escalated at exactly 10 min meets it", [(m(10), "escalated")], h(1),
              "report", m(10), "met", severity="major", met=m(10)),
    TimerCase("major: escalated at 11 min is late", [(m(11), "escalated")], h(1), "report",
              m(10), "late", severity="major", met=m(11)),
    TimerCase("upgraded by hand at 2 h: report due 2:10", [(h(2), "upgraded")], h(2) + m(10),
              "report", h(2) + m(10), "pending"),
    TimerCase("upgraded by hand at 2 h: overdue at 2:11", [(h(2), "upgraded")], h(2) + m(11),
              "report", h(2) + m(10), "overdue"),
    TimerCase("auto-upgraded on day 10: report due day 10 + 10 min", [], d(10) + m(5), "report",
              d(10) + m(10), "pending"),
    TimerCase("auto-upgraded on day 10: no report by +11 min is overdue", [], d(10) + m(11),
              "report", d(10) + m(10), "overdue"),
    # major: resolution due 12 h after it became major, met by close
    TimerCase("major: closed at 11:59 is resolved in time", [(h(12) - MIN, "closed")], d(2),
              "resolve", h(12), "met", severity="major", met=h(12) - MIN),
    TimerCase("major: closed at exactly 12:00 is in time", [(h(12), "closed")], d(2), "resolve",
              h(12), "met", severity="major", met=h(12)),
    TimerCase("major: closed at 12:01 is late", [(h(12) + MIN, "closed")], d(2), "resolve",
              h(12), "late", severity="major", met=h(12) + MIN),
    TimerCase("major: unresolved at 12:00 is pending", [], h(12), "resolve", h(12), "pending",
              severity="major"),
    TimerCase("major: unresolved at 12:01 is overdue", [], h(12) + MIN, "resolve", h(12),
              "overdue", severity="major"),
    TimerCase("upgraded by hand at 2 h: resolution due 14 h", [(h(2), "upgraded")], h(3),
              "resolve", h(14), "pending"),
    TimerCase("auto-upgraded on day 10: resolution due day 10 + 12 h", [], d(10) + h(1),
              "resolve", d(10) + h(12), "pending"),
    # closing schedules the follow-up visit, due 24 h after closing, met by logging it
    TimerCase("follow-up pending 24 h after closing", [(h(5), "closed")], h(29), "followup",
              h(29), "pending"),
    TimerCase("follow-up not logged by 24:01 after closing is overdue", [(h(5), "closed")],
              h(29) + MIN, "followup", h(29), "overdue"),
    TimerCase("follow-up logged 23:59 after closing meets it",
              [(h(5), "closed"), (h(29) - MIN, "followed_up")], d(5), "followup", h(29), "met",
              met=h(29) - MIN),
    TimerCase("follow-up logged exactly 24 h after closing meets it",
              [(h(5), "closed"), (h(29), "followed_up")], d(5), "followup", h(29), "met",
              met=h(29)),
    TimerCase("follow-up logged 24:01 after closing is late",
              [(h(5), "closed"), (h(29) + MIN, "followed_up")], d(5), "followup", h(29), "late",
              met=h(29) + MIN),
    TimerCase("follow-up of a major complaint: 24 h after closing too",
              [(m(5), "escalated"), (h(3), "closed")], h(3) + h(24) + MIN, "followup",
              h(27), "overdue", severity="major"),
]


@pytest.mark.parametrize("case", TIMER_CASES, ids=[c.name for c in TIMER_CASES])
def test_timer(case: TimerCase) -> None:
    eff = replay(case.steps, case.look, severity=case.severity)
    found = timer(eff, case.timer)
    assert found.due == T0 + case.due
    assert found.state == case.state
    assert found.met_at == (T0 + case.met if case.met is not None else None)
    assert found.overdue is (case.state == "overdue")


# --- Severity and status over a complaint's life: automatic upgrade and escalation -------------

@dataclass(frozen=True)
class LifeCase:
    name: str
    steps: list[tuple[timedelta, str]]
    look: timedelta
    severity: str
    status: str
    automatic: list[tuple[str, timedelta]] = field(default_factory=list)
    major_at: timedelta | None = None
    opened_as: str | None = None
    escalated_at: timedelta | None = None


LIFE_CASES = [
    LifeCase("minor unresolved for exactly 10 days is still minor", [], d(10), "minor", "open"),
    LifeCase("minor unresolved for 10 days + 1 min became major on day 10", [],
             d(10) + MIN, "major", "open", [("upgraded", d(10))], major_at=d(10)),
    LifeCase("minor closed on day 10 minus 1 min never upgrades", [(d(10) - MIN, "closed")],
             d(30), "minor", "closed"),
    LifeCase("minor closed at exactly day 10 never upgrades", [(d(10), "closed")], d(30),
             "minor", "closed"),
    LifeCase("minor closed on day 10 plus 1 min had become major on day 10",
             [(d(10) + MIN, "closed")], d(30), "major", "closed", [("upgraded", d(10))],
             major_at=d(10)),
    LifeCase("feedback alone does not stop the upgrade, nor the escalation 12 h later",
             [(h(1), "responded")], d(11), "major", "escalated",
             [("upgraded", d(10)), ("escalated", d(10) + h(12))], major_at=d(10),
             escalated_at=d(10) + h(12)),
    LifeCase("upgraded minor still open 12 h after day 10", [], d(10) + h(12), "major", "open",
             [("upgraded", d(10))], major_at=d(10)),
    LifeCase("major unresolved at 12:00 is not yet escalated", [], h(12), "major", "open",
             major_at=timedelta(0), opened_as="major"),
    LifeCase("major unresolved at 12:01 was escalated at 12:00", [], h(12) + MIN, "major",
             "escalated", [("escalated", h(12))], major_at=timedelta(0), opened_as="major",
             escalated_at=h(12)),
    LifeCase("major closed at 11:59 is never escalated", [(h(12) - MIN, "closed")], d(5),
             "major", "closed", major_at=timedelta(0), opened_as="major"),
    LifeCase("major closed at 12:01 had been escalated at 12:00", [(h(12) + MIN, "closed")],
             d(5), "major", "closed", [("escalated", h(12))], major_at=timedelta(0),
             opened_as="major", escalated_at=h(12)),
    LifeCase("manual escalation: status escalated, nothing automatic", [(m(5), "escalated")],
             h(1), "major", "escalated", major_at=timedelta(0), opened_as="major",
             escalated_at=m(5)),
    LifeCase("a minor complaint can be escalated by hand", [(h(1), "escalated")], h(2),
             "minor", "escalated", escalated_at=h(1)),
    LifeCase("manual upgrade: major from that moment", [(h(2), "upgraded")], h(3), "major",
             "open", major_at=h(2)),
    LifeCase("manual upgrade, unresolved 12 h later: escalated", [(h(2), "upgraded")],
             h(14) + MIN, "major", "escalated", [("escalated", h(14))], major_at=h(2),
             escalated_at=h(14)),
    LifeCase("manual upgrade replaces the day-10 upgrade",
             [(h(2), "upgraded"), (h(3), "closed")], d(20), "major", "closed", major_at=h(2)),
]


@pytest.mark.parametrize("case", LIFE_CASES, ids=[c.name for c in LIFE_CASES])
def test_life(case: LifeCase) -> None:
    eff = replay(case.steps, case.look, severity=case.opened_as)
    assert (eff.severity, eff.status) == (case.severity, case.status)
    assert [(a.action, a.at) for a in eff.automatic] == [
        (action, T0 + offset) for action, offset in case.automatic]
    assert eff.major_at == (T0 + case.major_at if case.major_at is not None else None)
    assert eff.escalated_at == (
        T0 + case.escalated_at if case.escalated_at is not None else None)


def test_automatic_upgrade_says_why_and_escalation_is_level_1() -> None:
    eff = replay([], d(11))
    upgrade, escalation = eff.automatic
    assert upgrade.action == "upgraded" and "10 days" in upgrade.note
    assert escalation.action == "escalated" and escalation.level == 1
    assert "resolution deadline" in escalation.note


def test_a_manual_then_an_automatic_escalation_are_both_counted() -> None:
    eff = replay([(h(1), "escalated")], h(12) + MIN, severity="major")
    assert eff.escalations == 2
    assert eff.escalated_at == T0 + h(1)  # the first escalation stays the escalation time
    assert [(a.action, a.at) for a in eff.automatic] == [("escalated", T0 + h(12))]
    assert timer(eff, "report").state == "late"  # reported at 1 h, due at 10 min


def test_escalated_before_becoming_major_counts_as_already_reported() -> None:
    eff = replay([(h(1), "escalated")], d(10) + m(30))
    assert eff.severity == "major"
    report = timer(eff, "report")
    assert report.state == "met"
    assert report.met_at == T0 + d(10)


# --- A missed deadline stays missed ---------------------------------------------------------

def test_missed_feedback_stays_missed_after_closing_and_years_later() -> None:
    steps = [(d(2), "closed"), (d(2) + h(3), "followed_up")]
    for look in (d(2) + h(5), d(400), d(800)):
        eff = replay(steps, look)
        response = timer(eff, "response")
        assert (response.state, response.met_at) == ("late", T0 + d(2))
        assert [t.name for t in eff.breached] == ["response"]
        assert eff.overdue is False
        assert eff.status == "closed"


def test_the_report_to_the_head_is_owed_even_after_closing() -> None:
    """Seed 004: 片區經理在接到客戶的重大投訴時…於10分鐘內向資產管理部負責人匯報 — owed for every
    major complaint, also one closed on the spot: closing does not cancel it."""
    eff = replay([(h(3), "closed"), (h(4), "followed_up")], d(30), severity="major")
    report = timer(eff, "report")
    assert report.breached
    assert report.state == "overdue"
    assert report.overdue
    assert "report" in {t.name for t in eff.breached}
    assert eff.overdue is True


@pytest.mark.parametrize(("reported", "state"), [
    (timedelta(minutes=10), "met"),  # at its due minute: on time
    (timedelta(minutes=11), "late"),  # a minute later: missed, kept as missed
])
def test_a_report_made_after_closing_meets_or_misses_its_10_minutes(reported: timedelta,
                                                                    state: str) -> None:
    eff = replay([(timedelta(minutes=2), "closed"), (reported, "reported")], d(1),
                 severity="major")
    assert timer(eff, "report").state == state
    assert eff.status == "closed"


def test_a_met_deadline_stays_met_whenever_anyone_looks() -> None:
    steps = [(h(23) - MIN, "responded"), (d(1), "closed"), (d(1) + h(2), "followed_up")]
    for look in (h(23), d(9), d(365)):
        assert timer(replay(steps, look), "response").state == "met"
    assert not replay(steps, d(365)).breached


def test_missed_upgrade_window_is_recorded_as_missed_not_as_met() -> None:
    eff = replay([], d(10) + h(1))
    window = next(t for t in eff.timers if t.name == "resolve" and t.due == T0 + d(10))
    assert window.breached and window.met_at is None
    assert window.state == "missed"


# --- A timer keeps the policy in force when it started --------------------------------------

def test_policy_change_affects_only_complaints_opened_after_it() -> None:
    history = PolicyHistory([(T0 + h(1), "response_hours", "48")])
    before = replay([], h(25), policies=history)
    assert timer(before, "response").due == T0 + h(24)
    assert timer(before, "response").state == "overdue"
    after = replay([], h(25), policies=history, opened=T0 + h(2))
    assert timer(after, "response").due == T0 + h(2) + h(48)
    assert timer(after, "response").state == "pending"


def test_resolution_hours_changed_later_do_not_move_a_running_major_deadline() -> None:
    history = PolicyHistory([(T0 + h(1), "resolve_hours", "6")])
    eff = replay([], h(7), severity="major", policies=history)
    assert timer(eff, "resolve").due == T0 + h(12)
    assert eff.status == "open"


def test_a_timer_started_after_a_policy_change_uses_the_new_value() -> None:
    history = PolicyHistory([(T0 + h(1), "resolve_hours", "6"),
                             (T0 + h(1), "report_minutes", "30")])
    eff = replay([(h(2), "upgraded")], h(8) + MIN, policies=history)  # opened before the change
    assert timer(eff, "report").due == T0 + h(2) + m(30)
    assert timer(eff, "resolve").due == T0 + h(8)
    assert eff.status == "escalated"
    assert [(a.action, a.at) for a in eff.automatic] == [("escalated", T0 + h(8))]


def test_upgrade_days_changed_after_opening_keep_the_old_window() -> None:
    history = PolicyHistory([(T0 + d(1), "upgrade_days", "5")])
    old = replay([], d(6), policies=history)
    assert old.severity == "minor"
    assert timer(old, "resolve").due == T0 + d(10)
    new = replay([], d(5) + MIN, policies=history, opened=T0 + d(2))
    assert new.severity == "major"
    assert new.automatic[0].at == T0 + d(7)
    assert "5 days" in new.automatic[0].note


def test_followup_hours_are_those_in_force_when_the_complaint_closes() -> None:
    history = PolicyHistory([(T0 + h(1), "followup_hours", "48")])
    closed_before = replay([(m(30), "closed")], h(2), policies=history)
    assert timer(closed_before, "followup").due == T0 + m(30) + h(24)
    closed_after = replay([(h(2), "closed")], h(3), policies=history)
    assert timer(closed_after, "followup").due == T0 + h(2) + h(48)


def test_policy_history_gives_the_value_in_force_at_each_moment() -> None:
    history = PolicyHistory([(T0 + d(2), "response_hours", "12"),
                             (T0 + d(1), "response_hours", "48")])  # given out of order
    assert history.at(T0).response_hours == 24
    assert history.at(T0 + d(1)).response_hours == 48
    assert history.at(T0 + d(2) - MIN).response_hours == 48
    assert history.at(T0 + d(3)).response_hours == 12
    assert history.current.response_hours == 12


# --- Reopening --------------------------------------------------------------------------------

def test_reopen_a_minor_runs_the_original_upgrade_window_again() -> None:
    steps = [(h(3), "closed"), (d(1), "reopened")]
    eff = replay(steps, d(3))
    assert (eff.status, eff.closed_at, eff.reopened_at) == ("open", None, T0 + d(1))
    followup = timer(eff, "followup")
    assert followup.state == "cancelled"  # no follow-up owed while it is open again
    assert not eff.overdue
    assert timer(eff, "resolve").due == T0 + d(10)
    later = replay(steps, d(10) + MIN)
    assert later.severity == "major"
    assert [(a.action, a.at) for a in later.automatic] == [("upgraded", T0 + d(10))]


def test_reopen_a_major_gives_it_another_12_hours_then_escalates() -> None:
    steps = [(m(5), "escalated"), (h(5), "closed"), (h(20), "reopened")]
    eff = replay(steps, h(32), severity="major")
    assert timer(eff, "resolve").due == T0 + h(32)
    assert eff.status == "open"
    late = replay(steps, h(32) + MIN, severity="major")
    assert late.status == "escalated"
    assert [(a.action, a.at) for a in late.automatic] == [("escalated", T0 + h(32))]


def test_reopen_a_minor_after_day_10_makes_it_major_at_once() -> None:
    steps = [(d(2), "closed"), (d(11), "reopened")]
    assert replay(steps, d(11)).severity == "minor"
    eff = replay(steps, d(11) + MIN)
    assert eff.severity == "major"
    assert [(a.action, a.at) for a in eff.automatic] == [("upgraded", T0 + d(11))]
    assert timer(eff, "report").due == T0 + d(11) + m(10)


def test_closing_again_after_reopening_starts_a_new_followup() -> None:
    steps = [(h(3), "closed"), (h(10), "reopened"), (h(20), "closed")]
    eff = replay(steps, h(21))
    followups = [t for t in eff.timers if t.name == "followup"]
    assert [(t.due, t.state) for t in followups] == [
        (T0 + h(27), "cancelled"), (T0 + h(44), "pending")]
    assert eff.closed_at == T0 + h(20)


# --- Replay mechanics: order, the moment of looking, derived events ---------------------------

def test_events_may_come_in_any_order() -> None:
    events = [Event(T0 + h(30), "closed"), Event(T0 + h(2), "responded"),
              Event(T0, "opened", severity="minor")]
    eff = evaluate(events, DEFAULTS, T0 + h(40))
    assert eff.status == "closed"
    assert timer(eff, "response").met_at == T0 + h(2)


def test_the_state_is_as_of_the_moment_looked_at() -> None:
    events = [Event(T0, "opened"), Event(T0 + h(5), "responded")]
    earlier = evaluate(events, DEFAULTS, T0 + h(4))
    assert earlier.responded_at is None
    assert timer(earlier, "response").state == "pending"
    assert evaluate(events, DEFAULTS, T0 + h(5)).responded_at == T0 + h(5)


def test_recorded_automatic_events_are_not_inputs() -> None:
    events = [Event(T0, "opened"), Event(T0 + h(3), "upgraded", automatic=True, by="system")]
    assert evaluate(events, DEFAULTS, T0 + h(4)).severity == "minor"


def test_a_history_without_opened_is_refused() -> None:
    with pytest.raises(ValueError):
        evaluate([Event(T0, "responded")], DEFAULTS, T0 + h(1))


def test_pending_automatic_events_are_recorded_once() -> None:
    opened = Event(T0, "opened")
    eff = evaluate([opened], DEFAULTS, T0 + d(11))
    assert [(a.action, a.at) for a in rules.pending_automatic(eff, [opened])] == [
        ("upgraded", T0 + d(10)), ("escalated", T0 + d(10) + h(12))]
    recorded = [opened, Event(T0 + d(10), "upgraded", automatic=True, by="system")]
    eff = evaluate(recorded, DEFAULTS, T0 + d(11))
    assert [(a.action, a.at) for a in rules.pending_automatic(eff, recorded)] == [
        ("escalated", T0 + d(10) + h(12))]
    recorded.append(Event(T0 + d(10) + h(12), "escalated", automatic=True, by="system"))
    eff = evaluate(recorded, DEFAULTS, T0 + d(11))
    assert rules.pending_automatic(eff, recorded) == []
    assert (eff.severity, eff.status) == ("major", "escalated")


def test_a_manual_upgrade_at_the_same_moment_is_not_taken_for_the_automatic_one() -> None:
    recorded = [Event(T0, "opened"), Event(T0 + d(10), "upgraded", by="王經理")]
    eff = evaluate(recorded, DEFAULTS, T0 + d(10) + h(1))
    assert eff.severity == "major"
    assert rules.pending_automatic(eff, recorded) == []


# --- Transitions, follow-up assignment, repeats ----------------------------------------------

TRANSITIONS = [
    ("open", "responded", None), ("open", "escalated", None), ("open", "upgraded", None),
    ("open", "closed", None), ("open", "noted", None), ("open", "reopened", "is not closed"),
    ("escalated", "responded", None), ("escalated", "escalated", None),
    ("escalated", "closed", None), ("escalated", "noted", None),
    ("escalated", "reopened", "is not closed"),
    ("closed", "responded", "is closed"), ("closed", "escalated", "is closed"),
    ("closed", "upgraded", "is closed"), ("closed", "closed", "is closed"),
    ("closed", "reopened", None), ("closed", "noted", None),
]


@pytest.mark.parametrize(("status", "action", "problem"), TRANSITIONS)
def test_check_transition(status: str, action: str, problem: str | None) -> None:
    assert rules.check_transition(status, action) == problem


@pytest.mark.parametrize(("severity", "expected"), [
    ("minor", ("李客服", "phone/wechat")),  # by the person who received it, phone or WeChat
    ("major", ("陳片區經理", "in-person")),  # in person, by the area manager
])
def test_followup_assignment(severity: str, expected: tuple[str, str]) -> None:
    policy = Policy(area_manager="陳片區經理")
    assert rules.followup_assignment(severity, "李客服", policy) == expected


@pytest.mark.parametrize(("category", "unresolved", "repeat"), [
    ("漏水", ["漏水"], True),
    ("漏水", ["噪音", "漏水"], True),
    ("漏水", ["噪音"], False),
    ("漏水", [], False),
    (None, [None], False),  # without a category there is nothing to repeat
    (None, ["漏水"], False),
    ("漏水", [None], False),
])
def test_is_repeat(category: str | None, unresolved: list[str | None], repeat: bool) -> None:
    assert rules.is_repeat(category, unresolved) is repeat
