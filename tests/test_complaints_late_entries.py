"""A late entry can undo an automatic event a sweep already recorded: the history keeps both."""

from __future__ import annotations

import json

from conftest import Cli


def test_a_close_entered_late_withdraws_the_recorded_escalation(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "漏水", "--severity", "major", "--at", "2026-11-20 10:00",
           now="2026-11-20T10:00:00+08:00")
    cli.ok("complaint", "escalate", "1", "--reason", "重大", "--at", "2026-11-20 10:05",
           now="2026-11-20T10:05:00+08:00")
    # Cron, next morning: the 12 h resolution deadline (22:00) passed with nothing recorded.
    cli.ok("complaint", "sweep", now="2026-11-21T06:00:00+08:00")
    # At 09:00 someone enters that it was in fact closed at 21:00 the evening before.
    cli.ok("complaint", "close", "1", "--resolution", "已修好", "--at", "2026-11-20 21:00",
           now="2026-11-21T09:00:00+08:00")
    shown = json.loads(cli.ok("complaint", "show", "1", "-f", "json"))
    actions = [(e["action"], e["by"]) for e in shown["events"]]
    assert actions == [("opened", "tester"), ("escalated", "tester"), ("closed", "tester"),
                       ("escalated", "system"), ("noted", "system")]
    assert shown["events"][-1]["note"] == (
        "the automatic escalated of 2026-11-20 22:00 no longer holds: an entry made later "
        "shows it did not happen")
    assert shown["status"] == "closed"
    assert [t["state"] for t in shown["timers"] if t["timer"] == "resolve"] == ["met"]
    # Nothing more on the next sweep or the next write.
    cli.ok("complaint", "sweep", now="2026-11-22T06:00:00+08:00")
    cli.ok("complaint", "note", "1", "客戶滿意", now="2026-11-22T07:00:00+08:00")
    again = json.loads(cli.ok("complaint", "show", "1", "-f", "json"))
    assert [e["action"] for e in again["events"]].count("noted") == 2


def test_a_back_dated_second_close_is_refused(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    cli.ok("complaint", "close", "1", "--resolution", "已修好", "--at", "09:50")
    code, out, err = cli("complaint", "close", "1", "--resolution", "again", "--at", "09:30")
    assert (code, out) == (1, "")
    assert err == ("Error: Complaint #1 was already closed at 2026-11-20 09:50; "
                   "reopen it first to close it again.\n")
    events = json.loads(cli.ok("complaint", "show", "1", "-f", "json"))["events"]
    assert [e["action"] for e in events] == ["opened", "closed"]


def test_a_close_back_dated_before_a_reopen_is_allowed(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-18 09:00")
    cli.ok("complaint", "close", "1", "--resolution", "換墊圈", "--at", "2026-11-19 09:00")
    cli.ok("complaint", "reopen", "1", "--reason", "又漏", "--at", "2026-11-19 18:00")
    cli.ok("complaint", "close", "1", "--resolution", "換水管", "--at", "2026-11-20 09:00")
    code, _, err = cli("complaint", "reopen", "1", "--reason", "x", "--at", "2026-11-19 12:00")
    assert code == 1 and "was already reopened at 2026-11-19 18:00" in err
