"""Stored outcomes: where each complaint's history leads, kept beside the history.

``rules.outcome`` replays a complaint as if nothing more were recorded: every running deadline
passes at its own moment, with the automatic upgrade or escalation it brings. Its deadlines go
to ``complaint_timers``, its stretches from opening (or reopening) to closing to
``complaint_cycles``, and a one-row summary of both to ``complaint_outcomes``. The state at any
moment ``t`` is then a question SQL can answer over indexes, the same answer
``rules.evaluate(events, policies, t)`` gives:

- an entry made by a person counts once ``t`` has reached its moment (``at <= t``);
- a deadline counts as missed, and the automatic event it brings has happened, only once ``t``
  is past it (``due < t``), as the replay fires a deadline strictly after it.

So the monthly report reads a month at a million complaints without replaying any of them.

The rows are rewritten in the transaction of every write that changes a complaint's history
(``store``); a policy change rewrites the complaints whose deadlines start after it
(``refresh_after``), since a deadline keeps the policy in force when it started.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from crmcli import rules
from crmcli.dates import from_db, to_db
from crmcli.policy import PolicyHistory

SCHEMA = """
CREATE TABLE complaint_timers (
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL CHECK (name IN ('response', 'report', 'resolve', 'followup')),
    started_at TEXT NOT NULL,
    automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
    due TEXT NOT NULL,
    met_at TEXT,
    cancelled_at TEXT,
    breached INTEGER NOT NULL CHECK (breached IN (0, 1)),
    fires TEXT CHECK (fires IN ('upgraded', 'escalated')),
    PRIMARY KEY (complaint_id, seq)
) WITHOUT ROWID;
CREATE INDEX complaint_timers_breached ON complaint_timers (due, fires, breached)
    WHERE breached = 1;
CREATE TABLE complaint_cycles (
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    seq INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    reopened_at TEXT,
    complaint_opened_at TEXT NOT NULL,
    resolve_missed_at TEXT,
    seconds_to_close INTEGER,
    PRIMARY KEY (complaint_id, seq)
) WITHOUT ROWID;
CREATE INDEX complaint_cycles_closed ON complaint_cycles
    (closed_at, reopened_at, opened_at, resolve_missed_at, seconds_to_close)
    WHERE closed_at IS NOT NULL;
CREATE INDEX complaint_cycles_open ON complaint_cycles (opened_at) WHERE closed_at IS NULL;
CREATE TABLE complaint_outcomes (
    opened_at TEXT NOT NULL,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    repeat INTEGER NOT NULL CHECK (repeat IN (0, 1)),
    major_at TEXT,
    major_auto INTEGER NOT NULL CHECK (major_auto IN (0, 1)),
    escalated_at TEXT,
    auto_escalated_at TEXT,
    missed_at TEXT,
    response_due TEXT,
    response_met_at TEXT,
    response_missed INTEGER NOT NULL CHECK (response_missed IN (0, 1)),
    closed_at TEXT,
    reopenings INTEGER NOT NULL,
    PRIMARY KEY (opened_at, complaint_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX complaint_outcomes_complaint ON complaint_outcomes (complaint_id);
CREATE INDEX complaint_events_escalated ON complaint_events (at, complaint_id, action, automatic)
    WHERE action = 'escalated' AND automatic = 0;
CREATE INDEX complaint_events_backdated ON complaint_events (at, recorded_at, automatic)
    WHERE automatic = 0 AND recorded_at > at;
CREATE INDEX visits_in_person ON visits (method, done_at, customer_id)
    WHERE done_at IS NOT NULL;
CREATE INDEX visits_rated ON visits (done_at, satisfaction) WHERE satisfaction IS NOT NULL;
"""

# Schema 9: the department's handling plan is a deadline too (the table is rebuilt to widen
# the CHECK on its names; SCHEMA above is what schema 3 created).
TIMERS_WITH_PLAN = """
CREATE TABLE complaint_timers_new (
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL CHECK (name IN ('response', 'report', 'plan', 'resolve', 'followup')),
    started_at TEXT NOT NULL,
    automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
    due TEXT NOT NULL,
    met_at TEXT,
    cancelled_at TEXT,
    breached INTEGER NOT NULL CHECK (breached IN (0, 1)),
    fires TEXT CHECK (fires IN ('upgraded', 'escalated')),
    PRIMARY KEY (complaint_id, seq)
) WITHOUT ROWID;
INSERT INTO complaint_timers_new SELECT * FROM complaint_timers;
DROP TABLE complaint_timers;
ALTER TABLE complaint_timers_new RENAME TO complaint_timers;
CREATE INDEX complaint_timers_breached ON complaint_timers (due, fires, breached)
    WHERE breached = 1;
CREATE INDEX complaint_timers_plan ON complaint_timers (due, met_at, breached, cancelled_at)
    WHERE name = 'plan';
"""

_EVENT_COLUMNS = "at, action, automatic, new_value, by, field"


def not_voided(alias: str) -> str:
    """SQL: the entry ``alias`` (complaint_events) has not been voided. A void is an entry of
    its own (action ``voided``, ``old_value`` the voided entry's id, with who and why)."""
    return (f"NOT EXISTS (SELECT 1 FROM complaint_events v WHERE v.action = 'voided' "
            f"AND v.complaint_id = {alias}.complaint_id AND v.old_value = "
            f"CAST({alias}.id AS TEXT))")


# A referral letter (entry ``referred`` ``e``) is answered by an entry ``referral_done`` naming
# it (``old_value``, the letter's number); a voided answer does not count.
ANSWERED = ("EXISTS (SELECT 1 FROM complaint_events d WHERE d.complaint_id = e.complaint_id "
            "AND d.action = 'referral_done' AND d.old_value = CAST(e.id AS TEXT) "
            f"AND {not_voided('d')})")
# The earliest due time (``new_value``) of complaint ``p``'s letters still open (not voided,
# not answered); NULL when none is. Stored on the complaint (``complaints.open_letter_due``,
# schema 15) so the agenda finds the few complaints with an open letter through a small index
# instead of reading every letter ever sent.
OPEN_LETTER_DUE = ("(SELECT min(e.new_value) FROM complaint_events e "
                   "INDEXED BY complaint_events_complaint WHERE e.complaint_id = p.id "
                   f"AND e.action = 'referred' AND {not_voided('e')} AND NOT {ANSWERED})")
# The complaints whose stored ``open_letter_due`` may be set: any with a letter, any with it set.
_LETTER_CANDIDATES = (
    "SELECT complaint_id FROM complaint_events INDEXED BY complaint_events_letters "
    "WHERE action = 'referred' UNION SELECT id FROM complaints "
    "INDEXED BY complaints_open_letter WHERE open_letter_due IS NOT NULL")


def store_letters(conn: sqlite3.Connection, complaint_id: int | None = None) -> None:
    """Rewrite the stored ``open_letter_due`` of one complaint from its history (inside the
    caller's transaction), or of every complaint that has or had a letter."""
    where = "p.id = ?" if complaint_id is not None else f"p.id IN ({_LETTER_CANDIDATES})"
    conn.execute(f"UPDATE complaints AS p SET open_letter_due = {OPEN_LETTER_DUE} "
                 f"WHERE {where}", () if complaint_id is None else (complaint_id,))


def stale_letters(conn: sqlite3.Connection) -> list[int]:
    """Complaints whose stored ``open_letter_due`` is not what their history says."""
    return [cid for (cid,) in conn.execute(
        f"SELECT p.id FROM complaints p WHERE p.id IN ({_LETTER_CANDIDATES}) "
        f"AND p.open_letter_due IS NOT {OPEN_LETTER_DUE} ORDER BY p.id")]


def _to_events(rows: Iterable[tuple[Any, ...]]) -> list[rules.Event]:
    """Recorded ``complaint_events`` rows (``_EVENT_COLUMNS``, voided ones left out) as the
    rules read them: the opening with its severity as last corrected (``complaint edit``)."""
    rows = list(rows)
    severity = next((new for _, action, _, new, _, field in reversed(rows)
                     if action == "edited" and field == "severity_at_open"), None)
    return [rules.Event(from_db(at), action, bool(automatic),
                        (severity or new_value) if action == "opened" else None, by)
            for at, action, automatic, new_value, by, _ in rows]


def _text(moment: datetime | None) -> str | None:
    return to_db(moment) if moment is not None else None


def timer_rows(complaint_id: int, effective: rules.Effective) -> Iterator[tuple[Any, ...]]:
    for seq, timer in enumerate(effective.timers):
        yield (complaint_id, seq, timer.name, to_db(timer.started_at), int(timer.automatic),
               to_db(timer.due), _text(timer.met_at), _text(timer.cancelled_at),
               int(timer.breached), timer.fires)


def _resolve_missed(effective: rules.Effective) -> datetime | None:
    return min((t.due for t in effective.timers if t.breached and t.name == "resolve"),
               default=None)


def cycle_rows(complaint_id: int, effective: rules.Effective) -> Iterator[tuple[Any, ...]]:
    cycles = effective.cycles
    opened, resolve_missed = to_db(effective.opened_at), _text(_resolve_missed(effective))
    for seq, cycle in enumerate(cycles):
        reopened = cycles[seq + 1].opened_at if seq + 1 < len(cycles) else None
        taken = (int(cycle.closed_at.timestamp()) - int(effective.opened_at.timestamp())
                 if cycle.closed_at else None)  # from the complaint's opening to this closing
        yield (complaint_id, seq, to_db(cycle.opened_at), _text(cycle.closed_at),
               _text(reopened), opened, resolve_missed, taken)


def summary_row(complaint_id: int, repeat: bool, events: Iterable[rules.Event],
                effective: rules.Effective) -> tuple[Any, ...]:
    """The one-row summary the month's counts read (``complaint_outcomes``)."""
    report = effective.current("report")  # started when the complaint became major
    escalated = min((e.at for e in events if e.action == "escalated" and not e.automatic),
                    default=None)
    automatic = min((a.at for a in effective.automatic if a.action == "escalated"),
                    default=None)
    response = effective.current("response")
    return (
        to_db(effective.opened_at), complaint_id, int(repeat),
        _text(effective.major_at), int(report is not None and report.automatic),
        _text(escalated), _text(automatic),
        _text(min((t.due for t in effective.timers if t.breached), default=None)),
        _text(response.due if response else None), _text(response.met_at if response else None),
        int(bool(response and response.breached)),
        _text(effective.cycles[0].closed_at), len(effective.cycles) - 1,
    )


INSERT_TIMERS = "INSERT INTO complaint_timers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_CYCLES = "INSERT INTO complaint_cycles VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_SUMMARY = "INSERT INTO complaint_outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def store(conn: sqlite3.Connection, complaint_id: int, events: Iterable[rules.Event],
          policies: PolicyHistory) -> None:
    """Rewrite one complaint's outcome (inside the caller's transaction)."""
    timers, cycles, summary = _expected(conn, complaint_id, list(events), policies)
    for table in ("complaint_timers", "complaint_cycles", "complaint_outcomes"):
        conn.execute(f"DELETE FROM {table} WHERE complaint_id = ?", (complaint_id,))
    conn.executemany(INSERT_TIMERS, timers)
    conn.executemany(INSERT_CYCLES, cycles)
    conn.executemany(INSERT_SUMMARY, summary)


def _histories(conn: sqlite3.Connection, where: str, params: Iterable[Any]
               ) -> Iterator[tuple[int, list[rules.Event]]]:
    rows = conn.execute(
        f"SELECT complaint_id, {_EVENT_COLUMNS} FROM complaint_events e WHERE ({where}) "
        f"AND {not_voided('e')} ORDER BY complaint_id, at, id", tuple(params))
    for complaint_id, group in groupby(rows, key=lambda row: int(row[0])):
        yield complaint_id, _to_events(row[1:] for row in group)


def _store_all(conn: sqlite3.Connection, policies: PolicyHistory,
               histories: Iterable[tuple[int, list[rules.Event]]]) -> int:
    count = 0
    for complaint_id, events in histories:
        try:
            store(conn, complaint_id, events, policies)
        except ValueError:  # a damaged history without its opening: `crmcli check` says so
            continue
        count += 1
    return count


def rebuild(conn: sqlite3.Connection, policies: PolicyHistory) -> int:
    """Rewrite every complaint's outcome, streaming the histories (the outcome tables are
    written while ``complaint_events`` is read: SQLite allows it, the two never meet)."""
    return _store_all(conn, policies, _histories(conn, "1", ()))


def refresh_after(conn: sqlite3.Connection, policies: PolicyHistory, moment: datetime) -> int:
    """Rewrite the complaints with a deadline starting at or after a policy change."""
    return repair(conn, policies, [cid for (cid,) in conn.execute(
        "SELECT DISTINCT complaint_id FROM complaint_timers WHERE started_at >= ?",
        (to_db(moment),))])


def reset_attention(conn: sqlite3.Connection) -> None:
    """Work ``complaints.attention_at`` out from the stored outcomes, for files written in bulk:
    a closed complaint needs attention only while its report to the head is owed; an unclosed
    one is looked at afresh ('') by the next `visit due` or sweep."""
    execute = conn.execute
    execute("UPDATE complaints SET attention_at = (SELECT min(t.due) FROM complaint_timers t "
            "WHERE t.complaint_id = complaints.id AND t.name = 'report' AND t.met_at IS NULL "
            "AND t.cancelled_at IS NULL) WHERE status = 'closed'")
    execute("UPDATE complaints SET attention_at = '' WHERE status != 'closed'")


def _expected(conn: sqlite3.Connection, complaint_id: int, events: list[rules.Event],
              policies: PolicyHistory) -> list[list[tuple[Any, ...]]]:
    effective = rules.outcome(events, policies)
    (repeat,) = conn.execute("SELECT repeat_of IS NOT NULL FROM complaints WHERE id = ?",
                             (complaint_id,)).fetchone() or (False,)
    return [list(timer_rows(complaint_id, effective)), list(cycle_rows(complaint_id, effective)),
            [summary_row(complaint_id, repeat, events, effective)]]


_STORED = ("SELECT * FROM complaint_timers WHERE complaint_id = ? ORDER BY seq",
           "SELECT * FROM complaint_cycles WHERE complaint_id = ? ORDER BY seq",
           "SELECT * FROM complaint_outcomes WHERE complaint_id = ?")


def stale(conn: sqlite3.Connection, policies: PolicyHistory) -> list[int]:
    """Complaints whose stored outcome is not where their history leads (a file changed by
    hand, or by a crmcli that stored it differently): the report would misread them."""
    found = []
    for complaint_id, events in _histories(conn, "1", ()):
        try:
            expected = _expected(conn, complaint_id, events, policies)
        except ValueError:  # no opening: reported on its own
            continue
        stored = [[tuple(row) for row in conn.execute(sql, (complaint_id,))] for sql in _STORED]
        if stored != expected:
            found.append(complaint_id)
    return found


def histories(conn: sqlite3.Connection, complaint_ids: list[int]
              ) -> Iterator[tuple[int, list[rules.Event]]]:
    """The recorded histories of these complaints (those with any entry), 500 at a time."""
    for start in range(0, len(complaint_ids), 500):
        chunk = complaint_ids[start:start + 500]
        yield from _histories(conn, f"complaint_id IN ({','.join('?' * len(chunk))})", chunk)


def repair(conn: sqlite3.Connection, policies: PolicyHistory, complaint_ids: list[int]) -> int:
    """Rewrite the outcomes of these complaints from their histories."""
    return _store_all(conn, policies, histories(conn, complaint_ids))


# Reading the state at a moment ------------------------------------------------------------

@dataclass(frozen=True)
class Moment:
    """A moment as SQL bounds over stored whole-second times.

    ``upto``: an entry at ``x`` has happened by then when ``x < upto`` (``x <= t``).
    ``past``: a deadline at ``x`` has passed by then when ``x < past`` (``x < t``).
    """

    upto: str
    past: str

    @classmethod
    def of(cls, moment: datetime) -> Moment:
        whole = moment.replace(microsecond=0)
        later = whole + timedelta(seconds=1)
        return cls(to_db(later), to_db(later if moment.microsecond else whole))


# SQL fragments over a complaint's summary ``o`` (complaint_outcomes), at the moment bound to
# :upto / :past. A complaint never reopened has one cycle: its summary answers alone; one
# reopened is read from its cycles and deadlines.
MAJOR = "ifnull(o.major_at < CASE WHEN o.major_auto THEN :past ELSE :upto END, 0)"
ESCALATED = (  # by then, by a person or by the rules (for a complaint opened in the period:
    # escalated in the period)
    "(ifnull(o.escalated_at < :upto, 0) OR ifnull(o.auto_escalated_at < :past, 0))"
)
CLOSED = (
    "CASE WHEN o.reopenings = 0 THEN ifnull(o.closed_at < :upto, 0) "
    "ELSE EXISTS (SELECT 1 FROM complaint_cycles y WHERE y.complaint_id = o.complaint_id "
    "AND y.closed_at < :upto AND (y.reopened_at IS NULL OR y.reopened_at >= :upto)) END"
)
BREACHED = "ifnull(o.missed_at < :past, 0)"
RESPONSE = (  # 'met', 'breached', or NULL (still pending, or no response deadline)
    "CASE WHEN o.response_missed AND o.response_due < :past THEN 'breached' "
    "WHEN o.response_met_at < :upto THEN 'met' END"
)
_CYCLE_START = (
    "(SELECT max(y.opened_at) FROM complaint_cycles y WHERE y.complaint_id = o.complaint_id "
    "AND y.opened_at < :upto)"
)
_ESCALATED_SINCE_REOPENING = (
    "EXISTS (SELECT 1 FROM complaint_events e WHERE e.complaint_id = o.complaint_id "
    f"AND e.at >= {_CYCLE_START} AND e.at < :upto AND e.action = 'escalated' "
    f"AND e.automatic = 0 AND {not_voided('e')}) OR EXISTS (SELECT 1 FROM complaint_timers t "
    "WHERE t.complaint_id = o.complaint_id AND t.fires = 'escalated' AND t.breached "
    f"AND t.due < :past AND t.due >= {_CYCLE_START})"
)
STATUS = (
    f"CASE WHEN {CLOSED} THEN 'closed' WHEN CASE WHEN o.reopenings = 0 THEN {ESCALATED} "
    f"ELSE {_ESCALATED_SINCE_REOPENING} END THEN 'escalated' ELSE 'open' END"
)
# A deadline ``t`` (complaint_timers) still running at the moment: started, neither met nor
# ended (a 10-day window ends, unmet, when its own moment passes and the complaint turns major).
RUNNING = (
    "t.started_at < CASE WHEN t.automatic THEN :past ELSE :upto END "
    "AND (t.met_at IS NULL OR t.met_at >= :upto) AND (t.cancelled_at IS NULL OR "
    "t.cancelled_at >= CASE WHEN t.breached AND t.cancelled_at = t.due THEN :past "
    "ELSE :upto END)"
)
