"""The rules the first wave got wrong, each row written from the seed text, both sides of its
boundary, run with ``TZ`` set to another zone than the site's (SPEC §5, "Figures a site can
trust"). The site is in Asia/Shanghai (its policy); the commands run under ``TZ=UTC`` unless a
test says otherwise, as cron does on a server.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli


@pytest.fixture
def site(cli: Cli, set_tz: Callable[[str], None]) -> Cli:
    """A Shanghai site (recorded at init), driven from a process in UTC."""
    set_tz("UTC")
    cli.ok("customer", "add", "王小明", "--since", "2024-01-01", now="2026-10-01T08:00+08:00")
    return cli


def at(moment: str) -> str:
    """A site-local time typed by a person, as the CRMCLI_NOW of the command."""
    return moment.replace(" ", "T") + ":00+08:00"


def doc(cli: Cli, complaint: int, now: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(cli.ok("complaint", "show", str(complaint), "--format",
                                              "json", now=now))
    return shown


def timers(cli: Cli, complaint: int, now: str) -> dict[str, str]:
    return {t["timer"]: t["state"] for t in doc(cli, complaint, now)["timers"]}


def due(cli: Cli, now: str, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(cli.ok("visit", "due", "--format", "json", *args,
                                                   now=now))
    return rows


def monthly(cli: Cli, month: str, now: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(cli.ok("report", "monthly", "--month", month,
                                                "--format", "json", now=now))
    return figures


# --- the site's clock ---------------------------------------------------------------------------

def test_cron_on_a_utc_server_and_a_person_in_shanghai_see_the_same(
        site: Cli, set_tz: Callable[[str], None]) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", "2026-10-31 23:30",
            now=at("2026-10-31 23:40"))
    site.ok("complaint", "respond", "1", "--at", "2026-11-01 09:00", now=at("2026-11-01 09:00"))
    site.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-11-30 23:50",
            now=at("2026-11-30 23:55"))
    outputs = {}
    for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        set_tz(zone)
        outputs[zone] = [site.ok(*args, now=at("2026-12-01 08:00")) for args in (
            ["visit", "due"], ["visit", "due", "--format", "csv"],
            ["report", "monthly", "--month", "2026-11", "--format", "json"],
            ["report", "monthly", "--month", "last"], ["complaint", "list", "--format", "csv"])]
    assert outputs["UTC"] == outputs["Asia/Shanghai"] == outputs["America/Los_Angeles"]
    november = json.loads(outputs["UTC"][2])
    assert (november["complaints_opened"], november["visits_done"]) == (0, 1)


@pytest.mark.parametrize(("now", "state"), [
    ("2026-11-20 23:59", "due today"),  # 15:59 UTC: still the site's 20th
    ("2026-11-21 00:00", "OVERDUE 1d"),  # 16:00 UTC on the 20th: the site's next day
])
def test_a_day_obligation_turns_overdue_at_the_sites_midnight(site: Cli, now: str,
                                                              state: str) -> None:
    site.ok("customer", "edit", "王小明", "--since", "2026-11-13", now=at("2026-11-13 09:00"))
    [row] = due(site, at(now), "--kind", "cadence")
    assert row["due"] == "2026-11-20"
    assert row["overdue"] is (state != "due today")
    assert state in site.ok("visit", "due", "--kind", "cadence", now=at(now))


def test_times_without_a_zone_are_the_sites(site: Cli) -> None:
    out = site.ok("complaint", "open", "王小明", "漏水", "--at", "09:40",
                  now=at("2026-11-20 10:00"))
    assert "at 2026-11-20 09:40." in out
    assert doc(site, 1, at("2026-11-20 10:00"))["opened_at"] == "2026-11-20T09:40:00+08:00"


# --- dates people type ----------------------------------------------------------------------------

@pytest.mark.parametrize(("order", "typed", "stored"), [
    (None, "1/12 09:40", None),
    (None, "12.1", None),
    (None, "9.40", None),
    (None, "2026-11-20 9.40", None),
    ("dmy", "1/12 09:40", "2026-12-01T09:40:00+08:00"),
    ("mdy", "1/12 09:40", "2026-01-12T09:40:00+08:00"),
    ("dmy", "9.40", None),  # no 40th month: still refused, with the reason
    ("dmy", "20/11/2026 10:00", "2026-11-20T10:00:00+08:00"),
])
def test_forms_that_read_two_ways_need_the_sites_date_order(site: Cli, order: str | None,
                                                            typed: str,
                                                            stored: str | None) -> None:
    if order:
        site.ok("policy", "set", "date_order", order)
    code, _, err = site("complaint", "open", "王小明", "漏水", "--at", typed,
                        now=at("2026-12-02 10:00"))
    if stored is None:
        assert code == 2
        assert ("reads two ways" in err or "not a date" in err) and "09:40" in err
        assert err.count("\n") == 1
    else:
        assert code == 0, err
        assert doc(site, 1, at("2026-12-02 10:00"))["opened_at"] == stored


@pytest.mark.parametrize(("typed", "ok"), [
    ("2026-03-08 01:59", True),
    ("2026-03-08 02:30", False),  # the clocks jump from 02:00 to 03:00
    ("2026-03-08 03:00", True),
])
def test_a_time_the_site_zone_skips_is_refused(site: Cli, typed: str, ok: bool) -> None:
    site.ok("policy", "set", "timezone", "America/New_York")
    code, _, err = site("customer", "add", "李四", now="2026-03-09T12:00:00-04:00")
    assert code == 0
    code, _, err = site("complaint", "open", "李四", "漏水", "--at", typed,
                        now="2026-03-09T12:00:00-04:00")
    assert (code == 0) is ok, err
    if not ok:
        assert "does not exist in America/New_York" in err


# --- deadlines to the minute shown ----------------------------------------------------------------

@pytest.mark.parametrize(("responded", "state"), [
    ("2026-11-21T09:40:59+08:00", "met"),  # within the minute shown as its deadline
    ("2026-11-21T09:41:00+08:00", "late"),
])
def test_feedback_within_the_minute_shown_is_on_time(site: Cli, responded: str,
                                                     state: str) -> None:
    """Seed 004: 服務站接受客戶投訴後24小時內向客戶反饋處理信息."""
    site.ok("complaint", "open", "王小明", "漏水", now="2026-11-20T09:40:30+08:00")
    assert doc(site, 1, responded)["response_due"] == "2026-11-21T09:40:00+08:00"
    site.ok("complaint", "respond", "1", now=responded)  # no --at: the clock, to the minute
    assert timers(site, 1, "2026-11-22T09:00:00+08:00")["response"] == state


# --- the report to the head ---------------------------------------------------------------------

@pytest.mark.parametrize(("reported", "state", "owed_at_0951"), [
    ("09:50", "met", False),
    ("09:51", "late", True),
    (None, "overdue", True),
])
def test_the_report_is_owed_even_when_closed_on_the_spot(site: Cli, reported: str | None,
                                                         state: str,
                                                         owed_at_0951: bool) -> None:
    """Seed 004: 片區經理在接到客戶的重大投訴時…於10分鐘內向資產管理部負責人匯報."""
    site.ok("complaint", "open", "王小明", "天花板塌落", "--severity", "major", "--at", "09:40",
            now=at("2026-11-20 09:41"))
    site.ok("complaint", "close", "1", "--resolution", "當場處理", "--at", "09:45",
            now=at("2026-11-20 09:45"))
    [owed] = due(site, at("2026-11-20 09:50"), "--kind", "report")
    assert (owed["due"], owed["overdue"], owed["complaint_id"]) == (
        "2026-11-20T09:50:00+08:00", False, 1)
    if reported:
        out = site.ok("complaint", "report", "1", "--to", "李部長", "--at", reported,
                      now=at("2026-11-20 " + reported))
        assert f"reported at 2026-11-20 {reported} (now major, closed)" in out
    rows = due(site, at("2026-11-20 09:51"), "--kind", "report")
    assert bool(rows) is owed_at_0951 and all(r["overdue"] for r in rows) if rows else True
    assert timers(site, 1, at("2026-11-20 10:30"))["report"] == state
    if reported == "09:51" or reported is None:
        figures = monthly(site, "2026-11", at("2026-12-01 09:00"))
        assert figures["complaints_major"] == 1
        breached = json.loads(site.ok("report", "monthly", "--month", "2026-11", "-f", "json",
                                      now=at("2026-12-01 09:00")))["breached"]
        assert "report" in [b["timer"] for b in breached if b["complaint_id"] == 1]


# --- follow-ups that count ------------------------------------------------------------------------

def test_repair_and_paid_follow_ups_cannot_be_cancelled_and_go_to_the_order_taker(
        site: Cli) -> None:
    """Seed 004: 投訴事件、維修、有償服務的回訪率要求達到100%; 維修、有償服務的回訪由接單人負責."""
    site.ok("service", "log", "王小明", "更換水龍頭", "--type", "repair", "--by", "劉師傅",
            "--received-by", "李客服", "--at", "10:00", now=at("2026-11-20 10:05"))
    [row] = due(site, at("2026-11-21 10:00"), "--kind", "repair")
    assert (row["owner"], row["due"]) == ("李客服", "2026-11-21T10:00:00+08:00")
    code, _, err = site("visit", "cancel", str(row["visit_id"]))
    assert code == 1 and "回訪率100%" in err


def test_a_major_complaints_follow_up_is_met_only_in_person(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "電梯困人", "--severity", "major", "--at", "09:00",
            now=at("2026-11-20 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "已修復", "--at", "12:00",
            now=at("2026-11-20 12:00"))
    code, _, err = site("visit", "log", "王小明", "--complaint", "1", "--method", "wechat",
                        now=at("2026-11-20 18:00"))
    assert code == 0 and "still owed" in err
    assert timers(site, 1, at("2026-11-21 13:00"))["followup"] == "overdue"
    figures = monthly(site, "2026-11", at("2026-12-01 08:00"))
    assert (figures["followups_due"], figures["followups_done"]) == (1, 0)


# --- an unsatisfactory follow-up closes the loop --------------------------------------------------

@pytest.mark.parametrize(("ratings", "unsatisfied"), [
    (["--satisfaction", "2"], True),
    (["--satisfaction", "3"], False),
    (["--quality", "1", "--satisfaction", "4"], True),
    (["--attitude", "2"], True),
    (["--unresolved", "--satisfaction", "5"], True),
    ([], False),
])
def test_a_follow_up_rated_1_to_2_or_unresolved_goes_to_the_area_manager(
        site: Cli, ratings: list[str], unsatisfied: bool) -> None:
    """Seed 004: 片區經理對於回訪內容反饋不合格的事件應上報資產管理部."""
    site.ok("policy", "set", "area_manager", "陳經理")
    site.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now=at("2026-11-20 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "已修", "--at", "10:00",
            now=at("2026-11-20 10:00"))
    site.ok("visit", "log", "王小明", "--complaint", "1", "--method", "phone", *ratings,
            now=at("2026-11-20 16:00"))
    rows = due(site, at("2026-11-20 17:00"), "--kind", "unsatisfied")
    assert [(r["owner"], r["complaint_id"]) for r in rows] == (
        [("陳經理", 1)] if unsatisfied else [])
    assert monthly(site, "2026-11", at("2026-12-01 08:00"))["followups_unsatisfied"] == int(
        unsatisfied)
    if unsatisfied:
        assert any(e["action"] == "noted" and "不合格" in (e["note"] or "")
                   for e in doc(site, 1, at("2026-11-20 17:00"))["events"])


@pytest.mark.parametrize("clear", [
    ["complaint", "reopen", "1", "--reason", "客戶仍不滿意"],
    ["complaint", "note", "1", "轉工程部跟進", "--referred-to", "工程部"],
    ["visit", "refer", "1", "--to", "工程部"],
    ["visit", "log", "王小明", "--complaint", "1", "--method", "phone", "--satisfaction", "4"],
])
def test_the_unsatisfied_item_is_cleared_by_reopening_referring_or_a_good_follow_up(
        site: Cli, clear: list[str]) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now=at("2026-11-20 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "已修", "--at", "10:00",
            now=at("2026-11-20 10:00"))
    site.ok("visit", "log", "王小明", "--complaint", "1", "--method", "phone",
            "--satisfaction", "1", now=at("2026-11-20 16:00"))
    assert due(site, at("2026-11-21 09:00"), "--kind", "unsatisfied")
    site.ok(*clear, now=at("2026-11-21 09:00"))
    assert due(site, at("2026-11-21 09:01"), "--kind", "unsatisfied") == []


# --- every figure counts each complaint once ------------------------------------------------------

@pytest.mark.parametrize(("opened", "month"), [
    ("2026-10-30 23:59", "2026-10"),  # feedback due 31 Oct 23:59: October
    ("2026-10-31 00:00", "2026-11"),  # due 1 Nov 00:00: November
    ("2026-10-31 23:30", "2026-11"),  # opened in the last 24 h of October
])
def test_feedback_on_time_counts_in_the_month_its_deadline_fell_due(site: Cli, opened: str,
                                                                    month: str) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", opened, now=at(opened))
    figures = {m: monthly(site, m, at("2026-12-05 09:00"))["response_on_time_pct"]
               for m in ("2026-10", "2026-11")}
    assert figures == {m: (0.0 if m == month else None) for m in figures}


# --- every real contact resets the cadence --------------------------------------------------------

@pytest.mark.parametrize("contact", [
    ["complaint", "open", "王小明", "漏水", "--at", "2026-11-18 10:00"],
    ["service", "log", "王小明", "換燈泡", "--type", "maintenance", "--at", "2026-11-18 10:00"],
    ["visit", "log", "王小明", "--method", "phone", "--at", "2026-11-18 10:00"],
])
def test_any_real_contact_resets_the_contact_cadence(site: Cli, contact: list[str]) -> None:
    """Seed 000: 物業管理公司與業戶的每一次交往都是一次溝通."""
    site.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-10-01 10:00",
            now=at("2026-10-01 10:00"))
    assert due(site, at("2026-11-18 09:00"), "--kind", "cadence")  # a month passed
    site.ok(*contact, now=at("2026-11-18 10:05"))
    assert due(site, at("2026-11-18 11:00"), "--kind", "cadence") == []
    shown = json.loads(site.ok("customer", "show", "王小明", "-f", "json"))
    assert shown["last_contact_at"] == "2026-11-18T10:00:00+08:00"


# --- categories as people spell them --------------------------------------------------------------

@pytest.mark.parametrize(("first", "again", "repeat"), [
    ("空調", "空调", True),
    ("AC", "ac", True),
    ("ＡＣ", "Ac", True),
    ("空調", "漏水", False),
])
def test_repeat_complaints_see_through_spelling(site: Cli, first: str, again: str,
                                                repeat: bool) -> None:
    site.ok("complaint", "open", "王小明", "不製冷", "--category", first, "--at", "09:00",
            now=at("2026-11-20 09:00"))
    out = site.ok("complaint", "open", "王小明", "還是不製冷", "--category", again,
                  "--severity", "auto", "--at", "10:00", now=at("2026-11-20 10:00"))
    assert ("(major)" in out) is repeat
    categories = json.loads(site.ok("report", "monthly", "--month", "2026-11", "-f", "json",
                                    now=at("2026-11-25 10:00")))["by_category"]
    if repeat:
        assert [(c["category"], c["opened"]) for c in categories] == [(first, 2)]


# --- corrections without losing history -----------------------------------------------------------

def _event_id(cli: Cli, action: str) -> int:
    return int(next(e["id"] for e in doc(cli, 1, at("2026-11-20 12:00"))["events"]
                    if e["action"] == action))


def test_a_voided_feedback_no_longer_meets_the_deadline_but_stays_in_the_history(
        site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now=at("2026-11-20 09:00"))
    site.ok("complaint", "respond", "1", "--at", "10:00", now=at("2026-11-20 10:00"))
    assert timers(site, 1, at("2026-11-22 09:00"))["response"] == "met"
    code, _, err = site("complaint", "void-event", "1", str(_event_id(site, "responded")),
                        now=at("2026-11-20 12:00"))
    assert code == 2 and "--reason" in err
    site.ok("complaint", "void-event", "1", str(_event_id(site, "responded")), "--reason",
            "登記錯了投訴單", now=at("2026-11-20 12:00"))
    assert timers(site, 1, at("2026-11-22 09:00"))["response"] == "overdue"
    events = doc(site, 1, at("2026-11-22 09:00"))["events"]
    assert [(e["action"], e["voided"]) for e in events] == [
        ("opened", False), ("responded", True), ("voided", False)]
    assert "登記錯了投訴單" in events[-1]["note"]
    code, _, err = site("complaint", "void-event", "1", str(_event_id(site, "opened")),
                        "--reason", "x")
    assert code == 1 and "complaint edit" in err


def test_a_void_that_would_leave_a_step_without_its_cause_is_refused(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now=at("2026-11-20 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "修好", "--at", "10:00",
            now=at("2026-11-20 10:00"))
    site.ok("complaint", "reopen", "1", "--reason", "又漏", "--at", "11:00",
            now=at("2026-11-20 11:00"))
    code, _, err = site("complaint", "void-event", "1", str(_event_id(site, "closed")),
                        "--reason", "x", now=at("2026-11-20 12:00"))
    assert code == 1 and "void that entry first" in err


def test_correcting_the_severity_at_opening_moves_the_deadlines(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "天花板塌落", "--at", "09:00",
            now=at("2026-11-20 09:00"))
    out = site.ok("complaint", "edit", "1", "--severity", "major", "--category", "結構",
                  "--reason", "登記時選錯", now=at("2026-11-20 09:05"))
    assert "corrected category, severity (now major" in out
    assert "report to the department head due 2026-11-20 09:10" in out
    shown = doc(site, 1, at("2026-11-20 09:06"))
    assert (shown["severity"], shown["category"]) == ("major", "結構")
    edits = [(e["field"], e["old"], e["new"]) for e in shown["events"] if e["action"] == "edited"]
    assert edits == [("category", None, "結構"), ("severity_at_open", "minor", "major")]


def test_a_voided_follow_up_visit_is_owed_again_and_the_last_contact_moves_back(
        site: Cli, db_path: Path) -> None:
    site.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-11-01 10:00",
            now=at("2026-11-01 10:00"))
    site.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-19 09:00",
            now=at("2026-11-19 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "已修", "--at", "2026-11-19 10:00",
            now=at("2026-11-19 10:00"))
    site.ok("visit", "log", "王小明", "--complaint", "1", "--method", "phone",
            "--satisfaction", "5", "--at", "2026-11-20 09:00", now=at("2026-11-20 09:00"))
    [logged] = [v for v in json.loads(site.ok("visit", "list", "-f", "json"))
                if v["complaint_id"] == 1]
    site.ok("visit", "void", str(logged["id"]), "--reason", "記到別的客戶",
            now=at("2026-11-20 11:00"))
    assert timers(site, 1, at("2026-11-20 11:00"))["followup"] == "overdue"
    assert [r["kind"] for r in due(site, at("2026-11-20 11:00"), "--kind", "complaint")] == [
        "complaint"]
    shown = json.loads(site.ok("customer", "show", "王小明", "-f", "json"))
    assert shown["last_contact_at"] == "2026-11-19T09:00:00+08:00"  # the complaint itself
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT voided_by, void_reason FROM visits WHERE id = ?",
                            (logged["id"],)).fetchone() == ("tester", "記到別的客戶")
    figures = monthly(site, "2026-11", at("2026-12-01 08:00"))
    assert (figures["followups_due"], figures["followups_done"]) == (1, 0)


def test_a_voided_service_owes_no_follow_up(site: Cli) -> None:
    site.ok("service", "log", "王小明", "更換門鎖", "--type", "paid", "--fee", "80",
            "--at", "10:00", now=at("2026-11-20 10:00"))
    assert due(site, at("2026-11-21 10:00"), "--kind", "paid")
    out = site.ok("service", "void", "1", "--reason", "重複登記", now=at("2026-11-20 11:00"))
    assert out == "Voided paid #1 for 王小明.\n"
    assert due(site, at("2026-11-21 10:00"), "--kind", "paid") == []
    [row] = json.loads(site.ok("service", "list", "-f", "json"))
    assert (row["void_reason"], row["followup_overdue"]) == ("重複登記", False)
