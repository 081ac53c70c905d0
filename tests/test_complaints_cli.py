"""Whole lives of complaints through the CLI, on a fixed clock moved forward between commands.

Times given to ``now=`` without an offset are local time (CRMCLI_NOW), so the same life reads the
same in Asia/Shanghai and in UTC; only the offsets in json differ.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXED_NOW, Cli

ZONES = {"Asia/Shanghai": "+08:00", "UTC": "+00:00"}
SPEC_FIELDS = {"id", "customer_id", "customer", "severity", "status", "category", "summary",
               "channel", "opened_at", "responded_at", "escalated_at", "closed_at",
               "response_due", "resolve_due", "overdue"}


def show(cli: Cli, complaint_id: int = 1, now: str | None = None) -> dict[str, Any]:
    document = json.loads(cli.ok("complaint", "show", str(complaint_id), "-f", "json", now=now))
    assert isinstance(document, dict)
    return document


def listed(cli: Cli, *args: str, now: str | None = None) -> list[dict[str, Any]]:
    rows = json.loads(cli.ok("complaint", "list", *args, "-f", "json", now=now))
    assert isinstance(rows, list)
    return rows


def actions(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["at"], e["action"], e["by"]) for e in document["events"]]


def visits(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT kind, due_at, expected_method, assigned_to, complaint_id, cancelled_at "
            "FROM visits ORDER BY id").fetchall()


@pytest.fixture(params=list(ZONES))
def zone(request: pytest.FixtureRequest, set_tz: Callable[[str], None], cli: Cli) -> str:
    """A site in that zone (its policy), run under that TZ too."""
    set_tz(request.param)
    cli.ok("policy", "set", "timezone", str(request.param))
    return str(request.param)


@pytest.fixture
def wang(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--unit", "A-1201", now="2026-10-01T08:00")
    cli.monkeypatch.setenv("CRMCLI_NOW", FIXED_NOW)
    return cli


# --- A minor complaint handled well --------------------------------------------------------

def test_a_minor_complaint_answered_and_closed_in_time(wang: Cli, zone: str,
                                                       db_path: Path) -> None:
    z = ZONES[zone]
    out = wang.ok("complaint", "open", "王小明", "空調不製冷", "--category", "空調",
                  "--channel", "phone", "--at", "09:40", "--by", "李客服",
                  now="2026-11-20T10:00")
    assert out == ("Opened complaint #1 (minor) for 王小明 at 2026-11-20 09:40.\n"
                   "  feedback to the customer due 2026-11-21 09:40\n"
                   "  resolve by 2026-11-30 09:40 (else it becomes major)\n")
    out = wang.ok("complaint", "respond", "1", "--at", "15:00", "--note", "已致電說明維修安排",
                  now="2026-11-20T15:05")
    assert out == ("Complaint #1 王小明: responded at 2026-11-20 15:00 (now minor, open).\n"
                   "  feedback given on time (deadline 2026-11-21 09:40)\n"
                   "  resolve by 2026-11-30 09:40 (else it becomes major)\n")
    out = wang.ok("complaint", "close", "1", "--resolution", "更換壓縮機，已恢復製冷",
                  "--at", "17:30", now="2026-11-21T18:00")
    assert out == ("Complaint #1 王小明: closed at 2026-11-21 17:30 (now minor, closed).\n"
                   "  resolved on time (deadline 2026-11-30 09:40)\n"
                   "  follow-up visit due 2026-11-22 17:30\n")

    doc = show(wang, now="2026-11-21T18:00")
    assert doc.keys() >= SPEC_FIELDS
    assert {k: doc[k] for k in ("id", "customer_id", "customer", "severity", "status",
                                "category", "summary", "channel")} == {
        "id": 1, "customer_id": 1, "customer": "王小明", "severity": "minor",
        "status": "closed", "category": "空調", "summary": "空調不製冷", "channel": "phone"}
    assert doc["opened_at"] == f"2026-11-20T09:40:00{z}"
    assert doc["responded_at"] == f"2026-11-20T15:00:00{z}"
    assert doc["closed_at"] == f"2026-11-21T17:30:00{z}"
    assert doc["response_due"] == f"2026-11-21T09:40:00{z}"
    assert doc["resolve_due"] == f"2026-11-30T09:40:00{z}"
    assert doc["escalated_at"] is None
    assert doc["overdue"] is False
    assert doc["breached"] == []
    assert doc["resolution"] == "更換壓縮機，已恢復製冷"
    assert [{k: e[k] for k in ("at", "action", "by", "note")} for e in doc["events"]] == [
        {"at": f"2026-11-20T09:40:00{z}", "action": "opened", "by": "李客服", "note": None},
        {"at": f"2026-11-20T15:00:00{z}", "action": "responded", "by": "tester",
         "note": "已致電說明維修安排"},
        {"at": f"2026-11-21T17:30:00{z}", "action": "closed", "by": "tester",
         "note": "更換壓縮機，已恢復製冷"},
    ]
    # seed 004 §3.1: a minor complaint is followed up by phone or WeChat by whoever received it
    [(kind, _, method, who, complaint_id, cancelled)] = visits(db_path)
    assert (kind, method, who, complaint_id, cancelled) == (
        "complaint", "phone/wechat", "李客服", 1, None)
    # the follow-up is owed from 24 h after closing
    assert show(wang, now="2026-11-22T17:30")["overdue"] is False
    late = listed(wang, "--overdue", now="2026-11-22T17:31")
    assert [r["id"] for r in late] == [1]
    assert late[0]["late"].startswith("OVERDUE")


def test_times_are_stored_in_utc_and_shown_in_the_site_zone_whatever_tz(
        wang: Cli, set_tz: Callable[[str], None], db_path: Path) -> None:
    set_tz("Asia/Shanghai")
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:40", now="2026-11-20T10:00+08:00")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT opened_at FROM complaints").fetchone()[0] == (
            "2026-11-20T01:40:00Z")
    set_tz("UTC")  # cron on a UTC server sees the site's time
    doc = show(wang)
    assert doc["opened_at"] == "2026-11-20T09:40:00+08:00"
    assert doc["response_due"] == "2026-11-21T09:40:00+08:00"
    assert "2026-11-20 09:40" in wang.ok("complaint", "list")
    wang.ok("policy", "set", "timezone", "UTC")  # the site itself moves: shown in its zone
    assert show(wang)["opened_at"] == "2026-11-20T01:40:00+00:00"


# --- A minor complaint that goes wrong: late, upgraded, escalated, closed late ----------------

def test_a_neglected_minor_complaint_is_upgraded_escalated_and_keeps_its_misses(
        wang: Cli, zone: str, db_path: Path) -> None:
    z = ZONES[zone]
    wang.ok("policy", "set", "area_manager", "陳經理", now="2026-10-31T08:00")
    wang.ok("complaint", "open", "王小明", "電梯異響", "--category", "電梯", "--at", "09:00",
            "--by", "李客服", now="2026-11-01T09:10")

    # one minute after the 24 h feedback deadline it is overdue, with no command run meanwhile
    assert listed(wang, now="2026-11-02T09:00")[0]["overdue"] is False
    [row] = listed(wang, now="2026-11-02T09:01")
    assert (row["overdue"], row["breached"]) == (True, ["response"])
    assert "OVERDUE" in wang.ok("complaint", "list", now="2026-11-02T09:01")

    wang.ok("complaint", "respond", "1", "--at", "10:00", now="2026-11-02T10:05")
    [row] = listed(wang, now="2026-11-02T10:05")
    assert (row["overdue"], row["breached"]) == (False, ["response"])  # late stays late

    # not resolved within 10 days: major at 09:00 on day 10, seen before any sweep
    assert listed(wang, now="2026-11-11T09:00")[0]["severity"] == "minor"
    [row] = listed(wang, now="2026-11-11T09:01")
    assert (row["severity"], row["status"]) == ("major", "open")
    assert row["report_due"] == f"2026-11-11T09:10:00{z}"
    assert row["resolve_due"] == f"2026-11-11T21:00:00{z}"
    pending = show(wang, now="2026-11-11T09:01")["events"][-1]
    assert (pending["at"], pending["action"], pending["by"]) == (
        f"2026-11-11T09:00:00{z}", "upgraded", "system")

    out = wang.ok("complaint", "sweep", now="2026-11-11T09:05")
    assert out.splitlines()[2].split() == ["1", "王小明", "upgraded", "2026-11-11", "09:00",
                                           "not", "resolved", "within", "10", "days", "yes"]
    assert wang.ok("complaint", "sweep", now="2026-11-11T09:06") == ""

    out = wang.ok("complaint", "escalate", "1", "--reason", "客戶要求賠償", "--to", "張部長",
                  "--at", "09:20", now="2026-11-11T09:30")
    # seed 004: a major complaint is reported to the department head within 10 minutes
    assert out == ("Complaint #1 王小明: escalated at 2026-11-11 09:20 (now major, "
                   "escalated).\n"
                   "  reported to the department head 10 min after its deadline "
                   "(2026-11-11 09:10)\n"
                   "  resolve by 2026-11-11 21:00 (else escalated)\n")

    # 12 h after it became major, unresolved: escalated automatically at 21:00
    [row] = listed(wang, now="2026-11-11T21:01")
    assert (row["status"], row["overdue"]) == ("escalated", True)
    sweep = json.loads(wang.ok("complaint", "sweep", "-f", "json", now="2026-11-11T21:01"))
    assert [(s["complaint_id"], s["action"], s["at"]) for s in sweep] == [
        (1, "escalated", f"2026-11-11T21:00:00{z}")]

    out = wang.ok("complaint", "close", "1", "--resolution", "更換導軌，已恢復正常",
                  "--at", "08:00", now="2026-11-12T08:05")
    assert out == ("Complaint #1 王小明: closed at 2026-11-12 08:00 (now major, closed).\n"
                   "  resolved 11 h after its deadline (2026-11-11 21:00)\n"
                   "  follow-up visit due 2026-11-13 08:00\n")
    doc = show(wang, now="2026-11-12T08:05")
    assert (doc["severity"], doc["status"], doc["overdue"]) == ("major", "closed", False)
    assert doc["escalated_at"] == f"2026-11-11T09:20:00{z}"
    assert doc["breached"] == ["report", "resolve", "response"]
    assert actions(doc) == [
        (f"2026-11-01T09:00:00{z}", "opened", "李客服"),
        (f"2026-11-02T10:00:00{z}", "responded", "tester"),
        (f"2026-11-11T09:00:00{z}", "upgraded", "system"),
        (f"2026-11-11T09:20:00{z}", "escalated", "tester"),
        (f"2026-11-11T21:00:00{z}", "escalated", "system"),
        (f"2026-11-12T08:00:00{z}", "closed", "tester"),
    ]
    manual, automatic = (e for e in doc["events"] if e["action"] == "escalated")
    assert (manual["reason"], manual["to"], manual["automatic"]) == ("客戶要求賠償", "張部長",
                                                                     False)
    assert (automatic["level"], automatic["automatic"]) == (1, True)
    assert "resolution deadline" in automatic["note"]
    # a major complaint is followed up in person by the area manager
    [(kind, _, method, who, _, _)] = visits(db_path)
    assert (kind, method, who) == ("complaint", "in-person", "陳經理")
    # months later the misses are still there
    later = show(wang, now="2027-06-01T09:00")
    assert later["breached"] == ["followup", "report", "resolve", "response"]
    assert [t["state"] for t in later["timers"] if t["timer"] == "response"] == ["late"]


def test_timers_table_shows_each_deadline_and_its_outcome(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "電梯異響", "--at", "09:00", now="2026-11-01T09:10")
    wang.ok("complaint", "respond", "1", "--at", "10:00", now="2026-11-02T10:05")
    out = wang.ok("complaint", "show", "1", now="2026-11-02T10:05")
    timers = out.split("\nTimers\n")[1].split("\n\nHistory\n")[0].splitlines()
    assert [line.split() for line in timers[2:]] == [
        ["response", "2026-11-01", "09:00", "2026-11-02", "09:00", "2026-11-02", "10:00", "late"],
        ["resolve", "2026-11-01", "09:00", "2026-11-11", "09:00", "pending"],
    ]
    history = out.split("\nHistory\n")[1].splitlines()
    assert [line.split()[3:5] for line in history[2:]] == [["opened", "tester"],
                                                           ["responded", "tester"]]


# --- A major complaint handled well ----------------------------------------------------------

def test_a_major_complaint_reported_in_10_minutes_and_resolved_in_12_hours(
        wang: Cli, zone: str, db_path: Path) -> None:
    z = ZONES[zone]
    out = wang.ok("complaint", "open", "王小明", "天花板塌落", "--severity", "major",
                  "--category", "結構", "--at", "09:40", now="2026-11-20T09:41")
    assert out == ("MAJOR complaint #1: report to the department head by 2026-11-20 09:50.\n"
                   "Opened complaint #1 (major) for 王小明 at 2026-11-20 09:40.\n"
                   "  report to the department head due 2026-11-20 09:50\n"
                   "  resolve by 2026-11-20 21:40 (else escalated)\n")
    wang.ok("complaint", "escalate", "1", "--reason", "重大投訴", "--to", "張部長",
            now="2026-11-20T09:50")
    wang.ok("complaint", "close", "1", "--resolution", "已修復", now="2026-11-20T21:40")
    doc = show(wang, now="2026-11-25T09:00")
    assert (doc["severity"], doc["status"]) == ("major", "closed")
    assert doc["escalated_at"] == f"2026-11-20T09:50:00{z}"
    assert doc["closed_at"] == f"2026-11-20T21:40:00{z}"
    assert doc["resolve_due"] == f"2026-11-20T21:40:00{z}"
    assert doc["breached"] == ["followup"]  # only the follow-up visit, not logged since
    assert {t["timer"]: t["state"] for t in doc["timers"]} == {
        "report": "met", "resolve": "met", "followup": "overdue"}
    [(kind, due, method, who, _, _)] = visits(db_path)
    assert (kind, due, method, who) == ("complaint", "2026-11-21T13:40:00Z"
                                        if zone == "Asia/Shanghai" else
                                        "2026-11-21T21:40:00Z", "in-person", "area manager")


def test_a_major_complaint_one_minute_late_everywhere(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "天花板塌落", "--severity", "major", "--at", "09:40",
            now="2026-11-20T09:41")
    wang.ok("complaint", "escalate", "1", "--reason", "重大投訴", now="2026-11-20T09:51")
    assert show(wang, now="2026-11-20T21:40")["status"] == "escalated"  # by hand, at 09:51
    wang.ok("complaint", "close", "1", "--resolution", "已修復", now="2026-11-20T21:41")
    doc = show(wang, now="2026-11-20T21:41")
    assert doc["breached"] == ["report", "resolve"]
    assert [e["action"] for e in doc["events"]] == ["opened", "escalated", "escalated", "closed"]
    assert [e["by"] for e in doc["events"]] == ["tester", "tester", "system", "tester"]


def test_json_confirmation_is_the_record(wang: Cli) -> None:
    out = wang.ok("complaint", "open", "王小明", "噪音", "--at", "09:40", "-f", "json")
    record = json.loads(out)
    assert record.keys() >= SPEC_FIELDS
    assert (record["id"], record["severity"], record["status"]) == (1, "minor", "open")
    assert record["response_due"] == "2026-11-21T09:40:00+08:00"
    out = wang.ok("complaint", "respond", "1", "-f", "json")
    assert json.loads(out)["responded_at"] == "2026-11-20T10:00:00+08:00"


# --- Sweep ------------------------------------------------------------------------------------

def test_sweep_records_each_automatic_event_once(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-01 09:00",
            now="2026-11-01T09:00")
    wang.ok("complaint", "open", "王小明", "噪音", "--at", "2026-11-10 09:00",
            now="2026-11-10T09:00")
    now = "2026-11-12T09:00"  # #1: upgraded day 10, escalated 12 h later; #2 still minor
    dry = json.loads(wang.ok("complaint", "sweep", "--dry-run", "-f", "json", now=now))
    assert [(r["complaint_id"], r["action"], r["recorded"]) for r in dry] == [
        (1, "upgraded", False), (1, "escalated", False)]
    assert [e["automatic"] for e in show(wang, now=now)["events"]] == [False, True, True]
    first = json.loads(wang.ok("complaint", "sweep", "-f", "json", now=now))
    assert [(r["complaint_id"], r["action"], r["at"], r["recorded"]) for r in first] == [
        (1, "upgraded", "2026-11-11T09:00:00+08:00", True),
        (1, "escalated", "2026-11-11T21:00:00+08:00", True)]
    events = show(wang, now=now)["events"]
    assert wang.ok("complaint", "sweep", "-f", "json", now=now) == "[]\n"
    assert wang.ok("complaint", "sweep", now="2026-11-12T09:30") == ""
    assert show(wang, now=now)["events"] == events
    assert [e["note"] for e in events if e["automatic"]] == [
        "not resolved within 10 days",
        "resolution deadline passed (major complaint not resolved in time)"]


def test_sweep_leaves_closed_complaints_alone(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now="2026-11-01T09:00")
    wang.ok("complaint", "close", "1", "--resolution", "已修", now="2026-11-05T09:00")
    assert wang.ok("complaint", "sweep", "-f", "json", now="2026-12-01T09:00") == "[]\n"
    assert show(wang, now="2026-12-01T09:00")["severity"] == "minor"


# --- Illegal transitions and bad input ----------------------------------------------------------

@pytest.fixture
def closed(wang: Cli) -> Cli:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    wang.ok("complaint", "close", "1", "--resolution", "已修")
    return wang


@pytest.mark.parametrize(("args", "fix"), [
    (["close", "1", "--resolution", "再修"], "reopen it first"),
    (["respond", "1"], "reopen it first"),
    (["escalate", "1", "--reason", "客戶不滿"], "reopen it first"),
    (["upgrade", "1"], "reopen it first"),
])
def test_acting_on_a_closed_complaint_exits_1_and_says_what_to_do(
        closed: Cli, args: list[str], fix: str) -> None:
    before = show(closed)["events"]
    code, out, err = closed("complaint", *args)
    assert (code, out) == (1, "")
    assert err.startswith("Error: Complaint #1 is closed; ")
    assert fix in err
    assert err.count("\n") == 1
    assert show(closed)["events"] == before


def test_reopening_an_open_complaint_exits_1(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    code, out, err = wang("complaint", "reopen", "1", "--reason", "再次漏水")
    assert (code, out) == (1, "")
    assert err == "Error: Complaint #1 is not closed; close it first, or add a note.\n"


def test_upgrading_a_major_complaint_exits_1(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--severity", "major", "--at", "09:55")
    code, _, err = wang("complaint", "upgrade", "1")
    assert code == 1
    assert err == "Error: Complaint #1 is already major.\n"


def test_an_unknown_complaint_exits_1(cli: Cli) -> None:
    code, out, err = cli("complaint", "respond", "99")
    assert (code, out) == (1, "")
    assert err.startswith("Error: No complaint #99")


def test_an_unknown_customer_exits_1(cli: Cli) -> None:
    code, _, err = cli("complaint", "open", "無名氏", "漏水")
    assert code == 1
    assert "無名氏" in err


@pytest.mark.parametrize(("args", "words"), [
    (["open", "王小明", "漏水", "--at", "明年某天"], ["--at", "明年某天"]),
    (["open", "王小明", "漏水", "--at", "25:61"], ["--at", "25:61"]),
    (["open", "王小明", "漏水", "--at", "tomorrow 09:00"], ["--at", "future"]),
    (["open", "王小明", "漏水", "--severity", "huge"], ["--severity", "huge"]),
    (["open", "王小明", "漏水", "--channel", "pigeon"], ["--channel", "pigeon"]),
    (["open", "王小明", "   "], ["summary"]),
    (["list", "--status", "pending"], ["--status", "pending"]),
    (["list", "--severity", "huge"], ["--severity", "huge"]),
    (["list", "--month", "2026-13"], ["--month", "2026-13"]),
    (["list", "--month", "Nov"], ["--month", "Nov"]),
    (["list", "--format", "xml"], ["xml"]),
    (["list", "--limit", "0"], ["--limit"]),
    (["respond", "1", "--at", "yesterday 09:00"], ["--at", "before the complaint was opened"]),
    (["respond", "1", "--at", "yesterday 9"], ["--at", "yesterday 9"]),
    (["respond", "1", "--at", "soon"], ["--at", "soon"]),
    (["escalate", "1"], ["--reason"]),
    (["escalate", "1", "--reason", "  "], ["--reason"]),
    (["close", "1"], ["--resolution"]),
    (["close", "1", "--resolution", ""], ["--resolution"]),
    (["respond", "abc"], ["ID", "abc", "not a valid"]),
])
def test_bad_input_exits_2_naming_what_was_wrong(wang: Cli, args: list[str],
                                                 words: list[str]) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    before = show(wang)
    code, out, err = wang("complaint", *args)
    assert code == 2, err
    assert out == ""
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert show(wang) == before
    assert len(listed(wang)) == 1


# --- Reopen, notes, upgrade ---------------------------------------------------------------------

def test_reopen_cancels_the_followup_and_runs_the_resolution_clock_again(
        wang: Cli, db_path: Path) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--severity", "major", "--at", "09:00",
            now="2026-11-20T09:05")
    wang.ok("complaint", "escalate", "1", "--reason", "重大", now="2026-11-20T09:05")
    wang.ok("complaint", "close", "1", "--resolution", "已修", now="2026-11-20T15:00")
    out = wang.ok("complaint", "reopen", "1", "--reason", "再次漏水", now="2026-11-21T08:00")
    assert out == ("Complaint #1 王小明: reopened at 2026-11-21 08:00 (now major, open).\n"
                   "  resolve by 2026-11-21 20:00 (else escalated)\n")
    doc = show(wang, now="2026-11-21T08:00")
    assert (doc["status"], doc["closed_at"], doc["resolve_due"]) == (
        "open", None, "2026-11-21T20:00:00+08:00")
    [(kind, _, _, _, _, cancelled)] = visits(db_path)
    assert (kind, cancelled) == ("complaint", "2026-11-21T00:00:00Z")
    assert listed(wang, now="2026-11-21T20:01")[0]["status"] == "escalated"
    wang.ok("complaint", "close", "1", "--resolution", "換管", now="2026-11-21T21:00")
    pending = [v for v in visits(db_path) if v[5] is None]
    assert [(v[0], v[1]) for v in pending] == [("complaint", "2026-11-22T13:00:00Z")]
    assert [e["action"] for e in show(wang, now="2026-11-21T21:00")["events"]] == [
        "opened", "escalated", "closed", "reopened", "escalated", "closed"]


def test_notes_go_into_the_history_in_any_status(closed: Cli) -> None:
    out = closed.ok("complaint", "note", "1", "客戶來電致謝")
    assert out.startswith("Complaint #1 王小明: noted at 2026-11-20 10:00 (now minor, "
                          "closed).")
    last = show(closed)["events"][-1]
    assert (last["action"], last["note"], last["by"]) == ("noted", "客戶來電致謝", "tester")


def test_manual_upgrade_starts_the_major_deadlines(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "08:00", now="2026-11-20T08:00")
    out = wang.ok("complaint", "upgrade", "1", "--reason", "同一問題第三次投訴",
                  now="2026-11-20T10:00")
    assert out.startswith("Complaint #1 王小明: upgraded to major at 2026-11-20 10:00 (now "
                          "major, open).\n")
    assert "  report to the department head due 2026-11-20 10:10\n" in out
    assert "  resolve by 2026-11-20 22:00 (else escalated)\n" in out
    event = show(wang)["events"][-1]
    assert (event["action"], event["by"], event["note"]) == ("upgraded", "tester",
                                                             "同一問題第三次投訴")


# --- Repeats, policy -----------------------------------------------------------------------------

def test_a_repeated_complaint_is_flagged_and_auto_opens_as_major(wang: Cli) -> None:
    wang.ok("customer", "add", "李四")
    wang.ok("complaint", "open", "王小明", "漏水", "--category", "漏水", "--at", "08:00")
    out = wang.ok("complaint", "open", "王小明", "又漏水", "--category", "漏水",
                  "--severity", "auto", "--at", "09:00")
    assert "Opened complaint #2 (major) for 王小明 at 2026-11-20 09:00." in out
    assert ("Repeat: complaint #1 of this customer in the same category is still unresolved"
            in out)
    out = wang.ok("complaint", "open", "王小明", "還是漏水", "--category", "漏水", "--at", "09:30")
    assert "Opened complaint #3 (minor)" in out
    assert "crmcli complaint upgrade 3" in out
    # another category, another customer: not a repeat
    out = wang.ok("complaint", "open", "王小明", "噪音", "--category", "噪音", "--severity",
                  "auto", "--at", "09:40")
    assert "Opened complaint #4 (minor)" in out and "Repeat" not in out
    out = wang.ok("complaint", "open", "李四", "漏水", "--category", "漏水", "--severity", "auto",
                  "--at", "09:45")
    assert "Opened complaint #5 (minor)" in out and "Repeat" not in out
    assert [(r["id"], r["repeat_of"]) for r in listed(wang, "--repeats")] == [(3, 1), (2, 1)]


def test_a_complaint_after_the_earlier_one_was_resolved_is_not_a_repeat(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--category", "漏水", "--at", "08:00")
    wang.ok("complaint", "close", "1", "--resolution", "已修", "--at", "08:30")
    out = wang.ok("complaint", "open", "王小明", "又漏水", "--category", "漏水",
                  "--severity", "auto", "--at", "09:00")
    assert "Opened complaint #2 (minor)" in out and "Repeat" not in out


def test_a_policy_change_applies_to_complaints_opened_after_it(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "08:00", now="2026-11-20T08:00")
    assert wang.ok("policy", "set", "response_hours", "48", now="2026-11-20T09:00") == (
        "Policy response_hours = 48.0 from now on (at 2026-11-20 09:00).\n")
    out = wang.ok("complaint", "open", "王小明", "噪音", now="2026-11-20T10:00")
    assert "  feedback to the customer due 2026-11-22 10:00\n" in out
    rows = listed(wang, now="2026-11-21T09:00")
    assert [(r["id"], r["response_due"], r["overdue"]) for r in rows] == [
        (2, "2026-11-22T10:00:00+08:00", False), (1, "2026-11-21T08:00:00+08:00", True)]


# --- Listing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("zone_name", list(ZONES))
def test_month_is_the_local_calendar_month(wang: Cli, set_tz: Callable[[str], None],
                                           zone_name: str) -> None:
    set_tz(zone_name)
    wang.ok("complaint", "open", "王小明", "十月底", "--at", "2026-10-31 23:30",
            now="2026-12-01T08:00")
    wang.ok("complaint", "open", "王小明", "十一月初", "--at", "2026-11-01 00:30",
            now="2026-12-01T08:00")
    wang.ok("complaint", "open", "王小明", "十一月底", "--at", "2026-11-30 23:59",
            now="2026-12-01T08:00")
    wang.ok("complaint", "open", "王小明", "十二月初", "--at", "2026-12-01 00:00",
            now="2026-12-01T08:00")
    assert [r["summary"] for r in listed(wang, "--month", "2026-10")] == ["十月底"]
    assert [r["summary"] for r in listed(wang, "--month", "2026-11")] == ["十一月底", "十一月初"]
    assert [r["summary"] for r in listed(wang, "--month", "2026-12")] == ["十二月初"]


def test_list_filters_and_limit(wang: Cli) -> None:
    wang.ok("customer", "add", "李四")
    wang.ok("complaint", "open", "王小明", "漏水", "--category", "漏水", "--at", "08:00")
    wang.ok("complaint", "open", "李四", "噪音", "--category", "噪音", "--severity", "major",
            "--at", "09:55")
    wang.ok("complaint", "open", "李四", "電梯", "--category", "電梯", "--at", "09:00")
    wang.ok("complaint", "close", "3", "--resolution", "已修")
    wang.ok("complaint", "escalate", "2", "--reason", "重大")

    def ids(*args: str, now: str | None = None) -> list[int]:
        return [r["id"] for r in listed(wang, *args, now=now)]

    assert ids() == [2, 3, 1]  # the register: newest first
    assert ids("--status", "open") == [1]
    assert ids("--status", "escalated") == [2]
    assert ids("--status", "closed") == [3]
    assert ids("--severity", "major") == [2]
    assert ids("--severity", "minor") == [3, 1]
    assert ids("--customer", "李四") == [2, 3]
    assert ids("--customer", "1") == [1]
    assert ids("--category", "漏水") == [1]
    assert ids("--limit", "2") == [2, 3]  # the latest two
    assert ids("--status", "open", "--limit", "1") == [1]
    assert ids("--overdue", now="2026-11-20T21:55") == []
    assert ids("--overdue", now="2026-11-20T21:56") == [2]  # not resolved 12 h after 09:55
    assert ids("--overdue", now="2026-11-21T08:01") == [2, 1]  # no feedback 24 h after 08:00
    code, _, err = wang("complaint", "list", "--customer", "無名氏")
    assert code == 1 and "無名氏" in err


def test_an_empty_list_is_quiet_in_a_pipe(cli: Cli) -> None:
    assert cli.ok("complaint", "list") == ""
    assert cli.ok("complaint", "list", "-f", "json") == "[]\n"
    assert cli.ok("complaint", "list", "-f", "jsonl") == ""
    header = cli.ok("complaint", "list", "-f", "csv")
    assert header.count("\n") == 1
    assert set(header.strip().split(",")) >= SPEC_FIELDS


def test_csv_list_has_one_row_per_complaint_with_the_spec_fields(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水, 很急", "--at", "09:40")
    out = wang.ok("complaint", "list", "-f", "csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == 1
    assert rows[0]["summary"] == "漏水, 很急"
    assert rows[0]["opened_at"] == "2026-11-20T09:40:00+08:00"
    assert rows[0]["overdue"] == "false"


def test_plain_list_marks_overdue_rows_in_words(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:40", now="2026-11-20T10:00")
    wang.ok("complaint", "open", "王小明", "噪音", "--at", "09:00", now="2026-11-21T09:00")
    lines = wang.ok("complaint", "list", now="2026-11-21T09:41").splitlines()
    assert "OVERDUE" in lines[3] and "漏水" in lines[3]  # newest first: 漏水 is second
    assert "OVERDUE" not in lines[2]


# --- Case library ---------------------------------------------------------------------------------

def test_case_library(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "08:00")
    wang.ok("complaint", "open", "王小明", "噪音", "--at", "08:10")
    wang.ok("complaint", "open", "王小明", "電梯", "--at", "08:20")
    out = wang.ok("complaint", "close", "1", "--resolution", "更換水管", "--case", "-f", "json")
    assert json.loads(out)["case"] is True
    assert wang.ok("complaint", "case", "3") == "Complaint #3 added to the case library.\n"
    assert [r["id"] for r in listed(wang, "--cases")] == [3, 1]
    assert wang.ok("complaint", "case", "3", "--remove") == (
        "Complaint #3 removed from the case library.\n")
    assert [r["id"] for r in listed(wang, "--cases")] == [1]
    assert show(wang, 1)["case"] is True
    assert "case" in [e["action"] for e in show(wang, 1)["events"]]
    code, _, err = wang("complaint", "case", "99")
    assert code == 1 and "#99" in err


# --- Back-filling ---------------------------------------------------------------------------------

def test_a_close_back_filled_before_day_10_leaves_no_upgrade_in_the_history(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now="2026-11-01T09:00")
    wang.ok("complaint", "close", "1", "--resolution", "已修", "--at", "2026-11-05 10:00",
            now="2026-11-12T09:00")
    doc = show(wang, now="2026-11-12T09:00")
    assert (doc["severity"], doc["status"]) == ("minor", "closed")
    assert [e["action"] for e in doc["events"]] == ["opened", "closed"]


def test_a_back_filled_reply_keeps_the_automatic_events_that_did_happen(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now="2026-11-01T09:00")
    wang.ok("complaint", "respond", "1", "--at", "2026-11-01 15:00", now="2026-11-12T09:00")
    doc = show(wang, now="2026-11-12T09:00")
    assert [(e["action"], e["automatic"]) for e in doc["events"]] == [
        ("opened", False), ("responded", False), ("upgraded", True), ("escalated", True)]
    assert json.loads(wang.ok("complaint", "sweep", "-f", "json", now="2026-11-12T09:00")) == []


def test_an_escalation_names_whom_it_was_reported_to(wang: Cli) -> None:
    wang.ok("policy", "set", "department_head", "資產管理部 林部長", now="2026-11-20T07:00")
    wang.ok("complaint", "open", "王小明", "漏水", "--severity", "major", "--at", "07:55",
            now="2026-11-20T08:00")
    wang.ok("complaint", "escalate", "1", "--reason", "重大投訴")
    wang.ok("complaint", "escalate", "1", "--reason", "客戶要求見總經理", "--to", "王總",
            "--level", "2")
    escalations = [e for e in show(wang)["events"] if e["action"] == "escalated"]
    assert [(e["to"], e["level"], e["reason"]) for e in escalations] == [
        ("資產管理部 林部長", 1, "重大投訴"), ("王總", 2, "客戶要求見總經理")]


def test_policy_show_and_bad_settings(cli: Cli) -> None:
    rows = {r["key"]: r["value"] for r in json.loads(cli.ok("policy", "show", "-f", "json"))}
    assert (rows["response_hours"], rows["upgrade_days"], rows["report_minutes"],
            rows["resolve_hours"], rows["followup_hours"]) == (24, 10, 10, 12, 24)
    for key, value in (("response_hours", "soon"), ("resolve_hours", "0"),
                       ("no_such_setting", "1")):
        code, out, err = cli("policy", "set", key, value)
        assert (code, out) == (2, ""), err
        assert key in err or value in err
    cli.ok("policy", "set", "resolve_hours", "6")
    rows = {r["key"]: r["value"] for r in json.loads(cli.ok("policy", "show", "-f", "json"))}
    assert rows["resolve_hours"] == 6


def test_a_major_complaint_opens_with_an_alert_on_a_terminal(
        wang: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import re

    from typer.testing import CliRunner

    from crmcli.cli import app
    from crmcli.commands._common import AppState
    from crmcli.env import Env

    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    screen = io.StringIO()
    terminal = AppState(env=Env(stdout=screen, stderr=io.StringIO(), stdout_isatty=True))
    result = CliRunner().invoke(app, ["complaint", "open", "王小明", "天花板漏水", "--severity",
                                      "major", "--at", "09:55"], obj=terminal)
    assert result.exit_code == 0, result.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())
    assert "MAJOR complaint #1: report to the department head by 2026-11-20 10:05." in text
    assert "╭" in text or "┌" in text  # drawn as a panel, not a plain line
    assert "\x1b[" in screen.getvalue()  # in colour


def test_customer_show_carries_the_effective_state_of_its_complaints(wang: Cli) -> None:
    wang.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now="2026-11-01T09:00")
    profile = json.loads(wang.ok("customer", "show", "王小明", "-f", "json",
                                 now="2026-11-11T09:01"))
    [complaint] = profile["complaints"]
    assert (complaint["id"], complaint["severity"]) == (1, "major")
