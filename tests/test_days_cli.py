"""The day's record (每日下班前記錄) and the end-of-day screen."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import Cli


@pytest.fixture
def day(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    cli.ok("request", "open", "王小明", "問停車", "--at", "09:00", "--by", "李四")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "09:30", "--by", "張三")
    return cli


def test_day_close_once_per_person_and_day_a_second_amends(day: Cli) -> None:
    assert day.ok("day", "close", "--plan-done", "80", "--note", "完成回訪3戶",
                  "--by", "李四") == "Recorded the day of 李四 for 2026-11-20 (#1).\n"
    assert day.ok("day", "close", "--plan-done", "90", "--note", "補記", "--by", "李四") == (
        "Recorded the day of 李四 for 2026-11-20 (#2, amending #1).\n")
    rows = json.loads(day.ok("day", "list", "--format", "json"))
    assert [(r["id"], r["person"], r["plan_done_pct"], r["amended"]) for r in rows] == [
        (2, "李四", 90, 1)]
    rows = list(csv.DictReader(io.StringIO(day.ok("day", "list", "--month", "2026-11",
                                                  "--format", "csv"))))
    assert list(rows[0]) == ["id", "day", "person", "plan_done_pct", "note", "recorded_at",
                             "amended", "supersedes"]
    assert day.ok("day", "list", "--month", "2026-10") == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--note", ""), "--note: say how the day went."),
    (("--note", "x", "--plan-done", "101"), "--plan-done: 101 is not a percentage"),
    (("--note", "x", "--day", "2026-11-21"), "is in the future"),
])
def test_day_close_bad_input(day: Cli, args: tuple[str, ...], message: str) -> None:
    code, out, err = day("day", "close", *args)
    assert (code, out) == (2, "") and message in err
    assert day.ok("day", "list", "--format", "json") == "[]\n"


def test_today_shows_entries_what_is_due_and_who_has_no_day_record(day: Cli) -> None:
    day.ok("day", "close", "--note", "ok", "--by", "張三")
    screen = json.loads(day.ok("today", "--format", "json"))
    assert [(e["by"], e["what"]) for e in screen["entered"]] == [
        ("張三", "complaint opened"), ("李四", "request opened")]
    assert {r["kind"] for r in screen["due_tomorrow"]} == {"reply", "response"}
    assert screen["no_day_record"] == [{"person": "李四", "day": "2026-11-20", "entries": 1}]
    table = day.ok("today")
    assert "Entered today" in table and "Due tomorrow" in table
    assert "Reminder: 李四 made 1 entry today and has no day record yet" in table
    rows = list(csv.DictReader(io.StringIO(day.ok("today", "--format", "csv"))))
    assert {r["section"] for r in rows} == {"entered", "due_tomorrow", "no_day_record"}
    mine = json.loads(day.ok("today", "--by", "李四", "--format", "json"))
    assert [e["what"] for e in mine["entered"]] == ["request opened"]
    assert [r["kind"] for r in mine["due_tomorrow"]] == ["reply"]
