"""The stored outcomes answer, at any moment, what replaying the history up to it answers.

The monthly report reads a complaint's state at the end of a month from ``complaint_timers``
and ``complaint_cycles`` with SQL (``crmcli.outcomes``) instead of replaying its history. Here
both are asked the same questions — severity, status, missed deadlines, feedback on time,
escalations, open or closed — for a few hundred generated histories, at every moment where an
answer can change: each entry and each deadline, a second before, at, a second after, and half a
second after (a clock between two stored seconds).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmcli import db, outcomes, rules
from crmcli.dates import from_db, to_db
from crmcli.policy import PolicyHistory

T0 = datetime(2026, 11, 2, 1, 40, tzinfo=UTC)
SECOND = timedelta(seconds=1)
POLICIES = {
    "defaults": PolicyHistory([]),
    # feedback and resolution windows change while complaints run: a deadline keeps the value
    # in force when it started
    "changed": PolicyHistory([(T0 + timedelta(hours=5), "response_hours", "4"),
                              (T0 + timedelta(hours=2), "plan_minutes", "30"),
                              (T0 + timedelta(days=3), "resolve_hours", "48"),
                              (T0 + timedelta(days=6), "upgrade_days", "3")]),
}
# ``assigned`` hands the complaint to a department (its plan due within plan_minutes);
# ``planned`` records the plan.
ACTIONS = ("responded", "escalated", "upgraded", "closed", "reopened", "followed_up",
           "assigned", "planned")


MINUTE = timedelta(minutes=1)


def _offsets(rng: random.Random) -> timedelta:
    """A moment after opening, often exactly on (or a minute off) a deadline of SPEC §2;
    entries are kept to the whole minute."""
    marks = [timedelta(hours=24), timedelta(days=10), timedelta(minutes=10),
             timedelta(hours=12), timedelta(days=10, minutes=10), timedelta(days=10, hours=12),
             timedelta(hours=4), timedelta(days=3), timedelta(hours=48), timedelta(minutes=60),
             timedelta(minutes=90), timedelta(minutes=30)]
    if rng.random() < 0.5:
        return rng.choice(marks) + rng.choice((-MINUTE, timedelta(0), MINUTE))
    return timedelta(minutes=rng.randrange(1, 16 * 1440))


def history(rng: random.Random, policies: PolicyHistory) -> list[rules.Event]:
    """A history the commands would accept: steps only where the state then allows them."""
    events = [rules.Event(T0, "opened", severity=rng.choice(("minor", "major")), by="李客服")]
    for at in sorted({T0 + _offsets(rng) for _ in range(rng.randrange(0, 7))}):
        action = rng.choice(ACTIONS)
        then = rules.evaluate(events, policies, at)
        if rules.check_transition(then.status, action):
            continue
        if action == "upgraded" and then.severity == "major":
            continue
        events.append(rules.Event(at, action, by="王經理"))
    return events


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("outcomes") / "crm.db"
    connection = db.connect(path, create=True)
    connection.execute(
        "INSERT INTO customers (id, name, name_key, created_at, updated_at) "
        "VALUES (1, '王小明', '王小明', ?, ?)", (to_db(T0), to_db(T0)))
    yield connection
    connection.close()


def _store(conn: sqlite3.Connection, cid: int, events: list[rules.Event],
           policies: PolicyHistory) -> None:
    severity = events[0].severity or "minor"
    conn.execute(
        "INSERT INTO complaints (id, customer_id, summary, severity_at_open, severity, status, "
        "opened_at, received_by, created_at) VALUES (?, 1, '漏水', ?, ?, 'open', ?, '李客服', ?)",
        (cid, severity, severity, to_db(T0), to_db(T0)))
    conn.executemany(
        "INSERT INTO complaint_events (complaint_id, at, action, by, new_value, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(cid, to_db(e.at), e.action, e.by, e.severity, to_db(e.at)) for e in events])
    outcomes.store(conn, cid, events, policies)


def _moments(events: list[rules.Event], policies: PolicyHistory) -> set[datetime]:
    outcome = rules.outcome(events, policies)
    marks = {e.at for e in events} | {t.due for t in outcome.timers}
    marks |= {t.started_at for t in outcome.timers}
    return {mark + shift for mark in marks for shift in
            (-SECOND, timedelta(0), SECOND, timedelta(microseconds=500_000))}


def _sql_state(conn: sqlite3.Connection, cid: int, moment: datetime) -> dict[str, object]:
    bounds = outcomes.Moment.of(moment)
    params = {"upto": bounds.upto, "past": bounds.past, "id": cid}
    major, status, breached, response, escalated, resolve_missed = conn.execute(
        f"SELECT {outcomes.MAJOR}, {outcomes.STATUS}, {outcomes.BREACHED}, "
        f"{outcomes.RESPONSE}, {outcomes.ESCALATED}, (SELECT ifnull(min(resolve_missed_at) "
        "< :past, 0) FROM complaint_cycles y WHERE y.complaint_id = p.id) "
        "FROM complaints p "
        "JOIN complaint_outcomes o ON o.complaint_id = p.id WHERE p.id = :id",
        params).fetchone()
    closed = conn.execute(
        "SELECT closed_at FROM complaint_cycles WHERE complaint_id = :id AND closed_at < :upto "
        "AND (reopened_at IS NULL OR reopened_at >= :upto)", params).fetchall()
    open_cycles = conn.execute(
        "SELECT count(*) FROM complaint_cycles WHERE complaint_id = :id AND opened_at < :upto "
        "AND (closed_at IS NULL OR closed_at >= :upto)", params).fetchone()[0]
    missed = conn.execute(
        "SELECT name, due, CASE WHEN met_at < :upto THEN met_at END, "
        "CASE WHEN cancelled_at < :upto THEN cancelled_at END FROM complaint_timers "
        "WHERE complaint_id = :id AND breached = 1 AND due < :past ORDER BY seq",
        params).fetchall()
    escalations = conn.execute(
        "SELECT (SELECT count(*) FROM complaint_events WHERE complaint_id = :id "
        "AND at < :upto AND action = 'escalated' AND automatic = 0) + (SELECT count(*) "
        "FROM complaint_timers WHERE complaint_id = :id AND breached = 1 "
        "AND fires = 'escalated' AND due < :past)", params).fetchone()[0]
    running = conn.execute(
        "SELECT name, started_at, due, breached AND due < :past FROM complaint_timers t "
        f"WHERE complaint_id = :id AND {outcomes.RUNNING} ORDER BY seq", params).fetchall()
    return {
        "running": [(name, from_db(started), from_db(due), bool(breached))
                    for name, started, due, breached in running],
        "severity": "major" if major else "minor",
        "status": status,
        "breached": bool(breached),
        "response": response,
        "escalated": bool(escalated),
        "resolve_missed": bool(resolve_missed),
        "escalations": escalations,
        "closed_at": from_db(closed[0][0]) if closed else None,
        "open": bool(open_cycles),
        "missed": [(name, from_db(due), from_db(met) if met else None,
                    from_db(cancelled) if cancelled else None)
                   for name, due, met, cancelled in missed],
    }


def _replayed_state(events: list[rules.Event], policies: PolicyHistory, moment: datetime
                    ) -> dict[str, object]:
    eff = rules.evaluate(events, policies, moment)
    response = eff.current("response")
    manual = [e for e in events if e.action == "escalated" and e.at <= moment]
    automatic = [a for a in eff.automatic if a.action == "escalated"]
    return {
        "running": [(t.name, t.started_at, t.due, t.breached) for t in eff.running_timers()],
        "severity": eff.severity,
        "status": eff.status,
        "breached": bool(eff.breached),
        "response": None if response is None or response.state == "pending"
        else "met" if response.state == "met" else "breached",
        "escalated": bool(manual or automatic),
        "resolve_missed": any(t.name == "resolve" and t.breached for t in eff.timers),
        "escalations": len(manual) + len(automatic),
        "closed_at": eff.closed_at,
        "open": eff.status != "closed",
        "missed": [(t.name, t.due, t.met_at, t.cancelled_at) for t in eff.timers if t.breached],
    }


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_stored_outcomes_agree_with_the_replay_at_every_moment(
        conn: sqlite3.Connection, policy_name: str) -> None:
    policies = POLICIES[policy_name]
    rng = random.Random(f"outcomes-{policy_name}")
    checked = 0
    for number in range(150):
        cid = number + 1 + (1000 if policy_name == "changed" else 0)
        events = history(rng, policies)
        _store(conn, cid, events, policies)
        for moment in sorted(_moments(events, policies)):
            if moment < T0:
                continue
            stored = _sql_state(conn, cid, moment)
            replayed = _replayed_state(events, policies, moment)
            assert stored == replayed, (moment, [(e.at, e.action) for e in events])
            checked += 1
    assert checked > 3000  # the histories reach every kind of moment


def test_a_history_without_its_opening_gets_no_outcome(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO complaints (id, customer_id, summary, severity_at_open, severity, status, "
        "opened_at, received_by, created_at) VALUES (9000, 1, '噪音', 'minor', 'minor', 'open', "
        "?, '李客服', ?)", (to_db(T0), to_db(T0)))
    conn.execute("INSERT INTO complaint_events (complaint_id, at, action, by, recorded_at) "
                 "VALUES (9000, ?, 'responded', '王經理', ?)", (to_db(T0), to_db(T0)))
    conn.execute("BEGIN")
    outcomes.rebuild(conn, PolicyHistory([]))
    conn.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM complaint_timers WHERE complaint_id = 9000"
                        ).fetchone()[0] == 0


@pytest.fixture(scope="module")
def agenda_conn(tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[sqlite3.Connection, list[datetime],
                                    dict[int, list[rules.Event]]]]:
    """Generated histories of two customers, stored, with the moments where a deadline's
    state can change (each a second before, at, a second after, half a second after)."""
    path: Path = tmp_path_factory.mktemp("agenda") / "crm.db"
    connection = db.connect(path, create=True)
    for customer, name in ((1, "王小明"), (2, "李美玲")):
        connection.execute(
            "INSERT INTO customers (id, name, name_key, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)", (customer, name, name, to_db(T0), to_db(T0)))
    policies = POLICIES["changed"]
    rng = random.Random("agenda-deadlines")
    stored: dict[int, list[rules.Event]] = {}
    moments: set[datetime] = set()
    for cid in range(1, 121):
        stored[cid] = events = history(rng, policies)
        _store(connection, cid, events, policies)
        moments |= _moments(events, policies)
    connection.execute("UPDATE complaints SET customer_id = 2 WHERE id % 3 = 0")
    yield connection, sorted(m for m in moments if m >= T0), stored
    connection.close()


def test_running_deadlines_from_their_index_are_every_deadline_asked(
        agenda_conn: tuple[sqlite3.Connection, list[datetime], dict[int, list[rules.Event]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The agenda reads the running deadlines from the index of those nothing has met or
    # cancelled, plus those met or cancelled after the moment (an entry after it, or a minor
    # complaint's resolution breached from then on). At any moment, limited or not, that is
    # what asking every deadline of every complaint gives (the moment before the history
    # ends: a deadline met later still runs then), and what replaying each history gives.
    from crmcli.services.agenda import deadlines

    conn, moments, stored = agenda_conn
    policies = POLICIES["changed"]
    rng = random.Random("agenda-moments")
    kinds = list(deadlines.KINDS)
    checked, settled = 0, set()
    # a sample of the moments, and every moment a deadline is breached at (it runs until then)
    breached = sorted({from_db(due) for (due,) in conn.execute(
        "SELECT due FROM complaint_timers WHERE breached = 1")})
    for moment in rng.sample(moments, 250) + breached:
        horizon = moment + rng.choice((timedelta(0), timedelta(hours=6), timedelta(days=2)))
        monkeypatch.setattr(deadlines, "LATER_ENTRIES", 10 ** 9)
        fast = deadlines.running_rows(conn, moment, horizon, kinds)
        monkeypatch.setattr(deadlines, "LATER_ENTRIES", 0)
        every = deadlines.running_rows(conn, moment, horizon, kinds)
        assert sorted(fast) == sorted(every), moment
        replayed = sorted(
            (cid, timer.name, to_db(timer.due)) for cid, events in stored.items()
            for timer in rules.evaluate(events, policies, moment).running_timers()
            if timer.name in kinds and timer.due <= horizon)
        assert sorted((row[0], row[5], row[7]) for row in fast) == replayed, moment
        for limit in (1, 3, 10):
            monkeypatch.setattr(deadlines, "LATER_ENTRIES", 10 ** 9)
            first = deadlines.running_rows(conn, moment, horizon, kinds, limit)
            monkeypatch.setattr(deadlines, "LATER_ENTRIES", 0)
            assert first == deadlines.running_rows(conn, moment, horizon, kinds, limit)
        checked += len(fast)
        settled |= {how for (how,) in conn.execute(
            "SELECT CASE WHEN t.cancelled_at = t.due THEN 'by its breach' ELSE 'by an entry' "
            "END FROM complaint_timers t JOIN json_each(?) r "
            "ON json_extract(r.value, '$[0]') = t.complaint_id "
            "AND json_extract(r.value, '$[1]') = t.name AND json_extract(r.value, '$[2]') = t.due "
            "WHERE t.met_at IS NOT NULL OR t.cancelled_at IS NOT NULL",
            (json.dumps([(row[0], row[5], row[7]) for row in fast]),))}
    assert checked > 300  # the moments reach running deadlines of every kind
    # ... and deadlines running then that were met or cancelled later, both ways
    assert settled == {"by its breach", "by an entry"}
