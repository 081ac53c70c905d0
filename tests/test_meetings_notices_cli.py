"""Tenant meetings, notices with sign-off and recurring notices, as a user types them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import FIXED_NOW, Cli


@pytest.fixture
def site(cli: Cli) -> Cli:
    """Three tenants on file since 2025 (entered before the quarters looked at)."""
    for name, segment in (("王小明", "tenant"), ("李四", "tenant"), ("陳大文", "owner")):
        cli.ok("customer", "add", name, "--since", "2025-01-01", "--segment", segment,
               now="2026-06-01T10:00:00+08:00")
    cli.monkeypatch.setenv("CRMCLI_NOW", FIXED_NOW)
    return cli


def test_meeting_log_with_attendees_and_suggestions(site: Cli, tmp_path: Path) -> None:
    names = tmp_path / "attended.txt"
    names.write_text("# 簽到表\n李四\n\n3\n", encoding="utf-8")
    assert site.ok("meeting", "log", "Q4 租戶大會", "--at", "2026-11-18 19:00", "--attended",
                   "王小明", "--attended-file", str(names)) == (
        "Logged meeting #1 (2026-11-18 19:00), 3 customers attended.\n")
    site.ok("request", "open", "王小明", "增設充電樁", "--kind", "suggestion", "--meeting", "1",
            "--at", "2026-11-18 19:30")
    shown = json.loads(site.ok("meeting", "show", "1", "--format", "json"))
    assert [a["customer"] for a in shown["attendees"]] == ["王小明", "李四", "陳大文"]
    assert [(s["channel"], s["reply_state"]) for s in shown["suggestions"]] == [
        ("meeting", "missed")]  # owed a reply by 11-19 19:30
    # attending is a contact
    customer = json.loads(site.ok("customer", "show", "李四", "--format", "json"))
    assert customer["last_contact_at"] == "2026-11-18T19:00:00+08:00"
    assert [m["id"] for m in customer["meetings"]] == [1]


def test_meeting_input_errors(site: Cli) -> None:
    assert site("meeting", "log", "x", "--at", "09:00", "--kind", "party")[0] == 2
    code, _, err = site("meeting", "log", "x", "--at", "09:00", "--attended", "nobody")
    assert code == 1 and "No customer 'nobody'" in err
    assert site.ok("meeting", "list", "--format", "json") == "[]\n"
    code, _, err = site("request", "open", "王小明", "x", "--meeting", "9")
    assert code == 1 and "No meeting #9" in err


@pytest.mark.parametrize(("now", "shown"), [
    ("2026-12-17T23:59:00+08:00", False),  # 15 days before the quarter ends
    ("2026-12-18T00:00:00+08:00", True),   # its last 14 days: on the agenda, due 12-31
    ("2026-12-31T23:59:00+08:00", True),
    ("2027-01-01T00:00:00+08:00", True),   # missed: overdue into the next quarter
    ("2027-01-15T00:00:00+08:00", False),  # for as long as it was warned of
])
def test_a_quarter_without_a_meeting_is_on_the_agenda_in_its_last_14_days(
        site: Cli, now: str, shown: bool) -> None:
    rows = json.loads(site.ok("visit", "due", "--kind", "meeting", "--format", "json", now=now))
    assert [(r["due"], r["customer_id"]) for r in rows] == (
        [("2026-12-31", None)] if shown else [])
    if shown:
        assert rows[0]["reason"] == "no tenant meeting (租戶大會) held in 2026-Q4"


def test_a_meeting_held_in_the_quarter_takes_it_off_until_voided(site: Cli) -> None:
    now = "2026-12-20T09:00:00+08:00"
    site.ok("meeting", "log", "Q4", "--at", "2026-10-10 19:00", now=now)
    assert site.ok("visit", "due", "--kind", "meeting", now=now) == ""
    site.ok("meeting", "void", "1", "--reason", "記錯", now=now)
    assert "2026-Q4" in site.ok("visit", "due", "--kind", "meeting", now=now)


def test_report_meetings(site: Cli) -> None:
    now = "2026-11-20T10:00:00+08:00"
    site.ok("meeting", "log", "Q3", "--at", "2026-08-10 19:00", "--attended", "王小明",
            "--attended", "李四", now=now)
    site.ok("request", "open", "李四", "增加綠化", "--kind", "suggestion", "--meeting", "1",
            "--at", "2026-08-10 19:30", now=now)
    site.ok("request", "reply", "1", "--note", "已安排", "--at", "2026-08-11 10:00", now=now)
    report = json.loads(site.ok("report", "meetings", "--year", "2026", "--format", "json",
                                now=now))
    assert report == {
        "year": 2026, "meetings_held": 1, "quarters_with_meeting": 1,
        "quarters_without_meeting": ["2026-Q2"], "customers_active": 3,  # on file from June
        "customers_met": 2, "face_to_face_pct": 66.7, "face_to_face_target_pct": 90,
        "suggestions": 1, "suggestions_replied": 1, "suggestion_reply_rate_pct": 100.0,
        "suggestions_replied_on_time_pct": 100.0}
    rows = dict(csv.reader(io.StringIO(site.ok("report", "meetings", "--format", "csv",
                                                 now=now))))
    assert rows["face_to_face_pct"] == "66.7"
    assert "Face-to-face share %" in site.ok("report", "meetings", now=now)


def test_notice_to_a_segment_with_sign_off_chased_after_3_days(site: Cli) -> None:
    assert site.ok("notice", "send", "11月消防安全檢查通知", "--kind", "fire-safety", "--to",
                   "segment:tenant", "--sign-off", "--at", "2026-11-17 10:00") == (
        "Sent notice #1 (fire-safety, 2026-11-17 10:00) to 2 customers; sign-off chased "
        "from 2026-11-20 10:00.\n")
    site.ok("notice", "sign", "1", "王小明", "--at", "2026-11-18 09:00")
    assert site.ok("visit", "due", "--kind", "signoff", now="2026-11-20T10:00:00+08:00") != ""
    rows = json.loads(site.ok("visit", "due", "--kind", "signoff", "--format", "json",
                              now="2026-11-20T10:01:00+08:00"))
    assert [(r["customer"], r["overdue"]) for r in rows] == [("李四", True)]
    unsigned = json.loads(site.ok("notice", "show", "1", "--unsigned", "--format", "json"))
    assert [d["customer"] for d in unsigned["deliveries"]] == ["李四"]
    code, _, err = site("notice", "sign", "1", "王小明")
    assert code == 1 and "signed notice #1 on 2026-11-18 09:00" in err
    code, _, err = site("notice", "sign", "1", "陳大文")
    assert code == 1 and "was not sent to 陳大文" in err


def test_a_weather_reminder_to_all_is_one_command_and_leaves_out_the_moved_out(
        site: Cli) -> None:
    site.ok("customer", "edit", "陳大文", "--moved-out", "--at", "2026-10-31")
    notice = json.loads(site.ok("notice", "send", "颱風預警：請關好門窗", "--kind", "weather",
                                "--format", "json"))
    assert (notice["audience"], notice["recipients"], notice["sign_off"]) == ("all", 2, False)
    code, _, err = site("notice", "sign", "1", "王小明")
    assert code == 1 and "without sign-off" in err
    code, _, err = site("notice", "send", "x", "--to", "陳大文")
    assert code == 2 and "moved out" in err


def test_notice_list_formats_and_void(site: Cli) -> None:
    site.ok("notice", "send", "元旦問候", "--kind", "greeting", "--at", "2026-11-19 09:00")
    site.ok("notice", "send", "整改通知", "--kind", "rectification", "--to", "李四",
            "--sign-off", "--at", "2026-11-19 10:00")
    rows = list(csv.DictReader(io.StringIO(site.ok("notice", "list", "--format", "csv"))))
    assert [(r["kind"], r["recipients"], r["signed"]) for r in rows] == [
        ("greeting", "3", ""), ("rectification", "1", "0")]
    assert [n["id"] for n in json.loads(site.ok("notice", "list", "--unsigned", "--format",
                                                "json"))] == [2]
    site.ok("notice", "void", "2", "--reason", "發錯")
    assert site.ok("visit", "due", "--kind", "signoff", "--within", "7d") == ""
    assert json.loads(site.ok("report", "monthly", "--format", "json"))["notices_sent"] == 1
    customer = json.loads(site.ok("customer", "show", "李四", "--format", "json"))
    assert [n["kind"] for n in customer["notices"]] == ["greeting"]


def test_a_recurring_notice_is_due_a_span_after_the_last(site: Cli) -> None:
    site.ok("policy", "set", "notice.every.fire-safety", "1mo", now="2026-09-01T09:00:00+08:00")
    site.ok("notice", "send", "10月消防通知", "--kind", "fire-safety", "--at", "2026-10-15 10:00",
            now="2026-10-15T10:00:00+08:00")
    assert site.ok("visit", "due", "--kind", "notice", now="2026-11-14T09:00:00+08:00") == ""
    rows = json.loads(site.ok("visit", "due", "--kind", "notice", "--format", "json",
                              now="2026-11-16T09:00:00+08:00"))
    assert [(r["due"], r["overdue"], r["reason"]) for r in rows] == [
        ("2026-11-15", True, "fire-safety notice due every 1mo; last sent 2026-10-15")]
    assert "notice.every.fire-safety" in site.ok("policy", "show")
