"""The whole handling sheet (seed 004 《客戶投訴處置表》): complainant and contact, the
department's one-hour plan, referral letters, validity, the head's opinion, the written notice.
Each rule's rows are written from the seed text, both sides of every boundary. The site is in
Asia/Shanghai; the commands run under ``TZ=UTC``, as cron does on a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Cli

from crmcli.fields import mask_email, mask_phone


@pytest.fixture
def site(cli: Cli, set_tz: Callable[[str], None]) -> Cli:
    set_tz("UTC")
    cli.ok("customer", "add", "王小明", "--phone", "13800138000", "--since", "2024-01-01",
           now=at("2026-10-01 08:00"))
    cli.ok("customer", "add", "深圳數據科技", "--contact", "周經理", "--phone", "13900139000",
           "--since", "2024-01-01", "--segment", "enterprise", now=at("2026-10-01 08:00"))
    cli.ok("customer", "add", "李秘密", "--contact", "李太", "--phone", "13912345678",
           "--since", "2024-01-01", "--confidential", now=at("2026-10-01 08:00"))
    return cli


def at(moment: str) -> str:
    return moment.replace(" ", "T") + ":00+08:00"


def doc(cli: Cli, complaint: int, now: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(cli.ok("complaint", "show", str(complaint), "--format",
                                              "json", now=now))
    return shown


def plan_state(cli: Cli, complaint: int, now: str) -> list[str]:
    return [t["state"] for t in doc(cli, complaint, now)["timers"] if t["timer"] == "plan"]


def due(cli: Cli, now: str, kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(cli.ok("visit", "due", "--kind", kind, "--format",
                                                   "json", now=now))
    return rows


def monthly(cli: Cli, month: str, now: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(cli.ok("report", "monthly", "--month", month,
                                                "--format", "json", now=now))
    return figures


# --- complainant and contact (seed 001: 投訴時間、投訴人、投訴事項、聯繫方式) -------------------

@pytest.mark.parametrize(("customer", "options", "complainant", "contact"), [
    ("王小明", [], "王小明", "13800138000"),  # a person: the customer and its phone
    ("深圳數據科技", [], "周經理", "13900139000"),  # an enterprise: its contact person
    ("深圳數據科技", ["--complainant", "前台小陳", "--contact", "wechat:chen88"], "前台小陳",
     "wechat:chen88"),  # the caller who really rang
    # confidential: masked as the customer's own phone or email is
    ("李秘密", [], "李太", mask_phone("13912345678")),
    ("李秘密", ["--contact", "li.tai@example.com"], "李太", mask_email("li.tai@example.com")),
])
def test_the_complainant_and_their_contact_are_kept_and_masked_like_the_customer(
        site: Cli, customer: str, options: list[str], complainant: str, contact: str) -> None:
    site.ok("complaint", "open", customer, "漏水", *options, now=at("2026-11-02 09:00"))
    shown = doc(site, 1, at("2026-11-02 09:01"))
    assert (shown["complainant"], shown["contact"]) == (complainant, contact)
    listed = site.ok("complaint", "list", "--format", "csv", now=at("2026-11-02 09:01"))
    assert contact in listed and "12345678" not in listed
    assert "li.tai@" not in listed


# --- the department's plan (被投訴部門接到…後,1小時內…制定處理措施,填寫到"處理方法"欄目) ---------

@pytest.mark.parametrize(("plan_at", "state"), [
    ("10:00", "met"),  # 60 minutes after the department had it: on time
    ("10:01", "late"),  # 61 minutes: missed, and kept missed
])
def test_the_plan_is_due_within_the_hour_of_the_department_having_it(
        site: Cli, plan_at: str, state: str) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--department", "工程部", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "plan", "1", "--text", "今日更換閥門", "--by", "工程部王工", "--at",
            plan_at, now=at("2026-11-02 10:30"))
    assert plan_state(site, 1, at("2026-11-02 10:30")) == [state]
    figures = monthly(site, "2026-11", at("2026-11-03 08:00"))
    assert (figures["plans_due"], figures["plans_on_time_pct"]) == (
        1, 100.0 if state == "met" else 0.0)


@pytest.mark.parametrize(("now", "overdue"), [("10:00", False), ("10:01", True)])
def test_a_plan_still_owed_is_on_the_agenda_of_the_complaints_owner(
        site: Cli, now: str, overdue: bool) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--owner", "李客服", "--at", "08:30",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "edit", "1", "--department", "工程部", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    rows = due(site, at(f"2026-11-02 {now}"), "plan")
    assert [(r["owner"], r["overdue"]) for r in rows] == [("李客服", overdue)]
    assert "工程部" in rows[0]["reason"]
    site.ok("complaint", "plan", "1", "--text", "x", now=at(f"2026-11-02 {now}"))
    assert due(site, at(f"2026-11-02 {now}"), "plan") == []


@pytest.mark.parametrize(("now", "owed"), [
    ("09:59", True), ("10:00", True), ("10:59", True), ("11:00", False), ("11:01", False)])
def test_the_agenda_at_an_earlier_moment_still_owes_a_plan_made_later(
        site: Cli, now: str, owed: bool) -> None:
    # the agenda reads plans by the moment they stopped running (met at 11:00): asked for
    # an earlier moment (with the week ahead, so the complaint's next deadline is in view),
    # the plan was still owed then
    site.ok("complaint", "open", "王小明", "漏水", "--department", "工程部", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "plan", "1", "--text", "x", "--at", "11:00",
            now=at("2026-11-02 11:00"))
    rows = json.loads(site.ok("visit", "due", "--kind", "plan", "--within", "7d", "--format",
                              "json", now=at(f"2026-11-02 {now}")))
    assert [r["complaint_id"] for r in rows] == ([1] if owed else [])


def test_a_plan_needs_a_department_and_voiding_it_owes_it_again(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--at", "09:00", now=at("2026-11-02 09:00"))
    code, _, err = site("complaint", "plan", "1", "--text", "x", now=at("2026-11-02 09:10"))
    assert code != 0 and "--department" in err
    site.ok("complaint", "edit", "1", "--department", "工程部", now=at("2026-11-02 09:10"))
    site.ok("complaint", "plan", "1", "--text", "x", now=at("2026-11-02 09:20"))
    entry = next(e["id"] for e in doc(site, 1, at("2026-11-02 09:20"))["events"]
                 if e["action"] == "planned")
    site.ok("complaint", "void-event", "1", str(entry), "--reason", "記錯單",
            now=at("2026-11-02 10:30"))
    assert plan_state(site, 1, at("2026-11-02 10:30")) == ["overdue"]
    assert site("check", now=at("2026-11-02 10:30"))[0] == 0


def test_handing_it_to_another_department_starts_its_own_hour(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "漏水", "--department", "工程部", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "edit", "1", "--department", "保安部", "--reason", "其實是門禁",
            now=at("2026-11-02 09:30"))
    shown = doc(site, 1, at("2026-11-02 10:15"))
    assert shown["department"] == "保安部"
    assert [t["state"] for t in shown["timers"] if t["timer"] == "plan"] == [
        "cancelled", "pending"]


# --- referral letters (以《工作聯繫函》形式傳遞給相關責任部門…限期內協調解決) ---------------------

@pytest.mark.parametrize(("now", "overdue"), [("17:00", False), ("17:01", True)])
def test_an_open_letter_past_its_due_is_on_the_senders_agenda(
        site: Cli, now: str, overdue: bool) -> None:
    site.ok("complaint", "open", "王小明", "夜間噪音", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "refer", "1", "--to", "保安部", "--due", "2026-11-02 17:00",
            "--text", "加強夜間巡邏", "--by", "張片區經理", now=at("2026-11-02 09:10"))
    site.ok("complaint", "refer", "1", "--to", "清潔部", "--due", "2026-11-09 17:00",
            now=at("2026-11-02 09:12"))
    rows = due(site, at(f"2026-11-02 {now}"), "referral")
    assert [(r["owner"], r["overdue"]) for r in rows] == [("張片區經理", overdue)]
    letters = doc(site, 1, at(f"2026-11-02 {now}"))["letters"]
    assert [(x["to"], x["state"]) for x in letters] == [
        ("保安部", "overdue" if overdue else "open"), ("清潔部", "open")]
    site.ok("complaint", "refer-done", "1", str(letters[0]["letter"]), "--note", "已加派夜班",
            now=at(f"2026-11-02 {now}"))
    assert due(site, at(f"2026-11-02 {now}"), "referral") == []
    code, _, _ = site("complaint", "refer-done", "1", str(letters[0]["letter"]),
                      now=at(f"2026-11-02 {now}"))
    assert code != 0  # already closed


# --- validity (無理投訴: 耐心解釋, not a service failure) ---------------------------------------

def test_an_unreasonable_complaint_is_counted_but_not_as_a_service_failure(site: Cli) -> None:
    for number, customer in ((1, "王小明"), (2, "深圳數據科技")):
        site.ok("complaint", "open", customer, "要求賠償", "--severity", "major", "--at",
                "09:00", now=at("2026-11-02 09:00"))
        site.ok("complaint", "report", str(number), now=at("2026-11-02 09:05"))
        site.ok("complaint", "close", str(number), "--resolution", "已解釋",  # 12 h: missed
                now=at("2026-11-03 09:00"))
    site.ok("complaint", "validity", "2", "--unreasonable", "--reason", "要求超出合同範圍",
            now=at("2026-11-03 10:00"))
    figures = monthly(site, "2026-11", at("2026-12-01 08:00"))
    assert (figures["complaints_opened"], figures["complaints_closed"]) == (2, 2)
    assert (figures["complaints_valid"], figures["complaints_unreasonable"]) == (1, 1)
    assert figures["resolved_on_time_pct"] == 0.0  # of the one valid complaint
    assert figures["median_resolution_hours"] == 24.0
    # judged valid again: it counts as a failure once more
    site.ok("complaint", "validity", "2", "--valid", now=at("2026-11-03 11:00"))
    assert monthly(site, "2026-11", at("2026-12-01 08:00"))["complaints_unreasonable"] == 0
    code, _, err = site("complaint", "validity", "1", "--unreasonable",
                        now=at("2026-11-03 11:00"))
    assert code == 2 and "--reason" in err


def test_an_unreasonable_complaint_still_owes_its_feedback(site: Cli) -> None:
    site.ok("complaint", "open", "王小明", "要求免物業費", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "validity", "1", "--unreasonable", "--reason", "無合同依據",
            now=at("2026-11-02 09:30"))
    rows = due(site, at("2026-11-03 09:01"), "response")
    assert [r["overdue"] for r in rows] == [True]


# --- the head's opinion and the written notice (處理結果要以書面形式告知客戶) -----------------

def test_closings_without_a_written_notice_are_counted(site: Cli) -> None:
    for customer in ("王小明", "深圳數據科技", "李秘密"):
        site.ok("complaint", "open", customer, "漏水", "--at", "09:00",
                now=at("2026-11-02 09:00"))
    site.ok("complaint", "close", "1", "--resolution", "已修", "--written-notice",
            now=at("2026-11-02 15:00"))
    site.ok("complaint", "close", "2", "--resolution", "已修", now=at("2026-11-02 15:00"))
    site.ok("complaint", "close", "3", "--resolution", "已修", now=at("2026-11-02 15:00"))
    site.ok("complaint", "notify", "3", "--written", "--note", "回覆函已送達",
            now=at("2026-11-02 16:00"))
    site.ok("complaint", "opinion", "2", "--text", "同意處理方案", "--by", "李部長",
            now=at("2026-11-02 16:00"))
    assert monthly(site, "2026-11", at("2026-12-01 08:00"))[
        "closed_without_written_notice"] == 1
    events = doc(site, 2, at("2026-11-02 16:00"))["events"]
    assert [(e["action"], e["by"], e["note"]) for e in events if e["action"] == "opinion"] == [
        ("opinion", "李部長", "同意處理方案")]


def test_the_printed_sheet_shows_complainant_department_validity_and_letters(site: Cli) -> None:
    site.ok("complaint", "open", "李秘密", "門禁", "--department", "保安部", "--at", "09:00",
            now=at("2026-11-02 09:00"))
    site.ok("complaint", "refer", "1", "--to", "工程部", "--due", "2026-11-03 17:00",
            now=at("2026-11-02 09:30"))
    site.ok("complaint", "validity", "1", "--unreasonable", "--reason", "無理",
            now=at("2026-11-02 09:40"))
    page = site.ok("complaint", "show", "1", "-f", "html", now=at("2026-11-02 10:00"))
    assert 'id="complainant">李太<' in page and mask_phone("13912345678") in page
    assert "13912345678" not in page
    assert 'id="department">保安部<' in page and "unreasonable 無理投訴" in page
    assert 'class="letters"' in page and "工程部" in page


def test_check_finds_a_department_that_its_history_does_not_say(site: Cli, db_path: Any) -> None:
    import sqlite3

    site.ok("complaint", "open", "王小明", "漏水", "--department", "工程部",
            now=at("2026-11-02 09:00"))
    assert site("check", now=at("2026-11-02 09:10"))[0] == 0
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE complaints SET department = '保安部'")
    conn.commit()
    conn.close()
    code, out, err = site("check", now=at("2026-11-02 09:10"))
    assert code == 1 and "department or validity" in out + err


def test_the_stored_due_of_open_letters_follows_letters_answers_and_voids(
        site: Cli, db_path: Any) -> None:
    # The agenda finds the complaints with a letter still open through their stored
    # ``open_letter_due`` (the earliest due of those open), rewritten by every entry.
    import sqlite3

    from crmcli import outcomes

    def stored() -> str | None:
        conn = sqlite3.connect(db_path)
        value, stale = (conn.execute("SELECT open_letter_due FROM complaints").fetchone()[0],
                        outcomes.stale_letters(conn))
        conn.close()
        assert stale == []
        return str(value) if value is not None else None

    def events() -> dict[str, int]:
        return {f"{e['action']} {e.get('note')}": e["id"]
                for e in doc(site, 1, now)["events"]}

    now = at("2026-11-02 12:00")
    site.ok("complaint", "open", "王小明", "夜間噪音", "--at", "09:00", now=now)
    assert stored() is None
    site.ok("complaint", "refer", "1", "--to", "保安部", "--due", "2026-11-02 17:00",
            "--text", "甲", "--at", "09:10", now=now)
    site.ok("complaint", "refer", "1", "--to", "清潔部", "--due", "2026-11-09 17:00",
            "--text", "乙", "--at", "09:20", now=now)
    assert stored() == "2026-11-02T09:00:00Z"
    first, second = (x["letter"] for x in doc(site, 1, now)["letters"])
    site.ok("complaint", "refer-done", "1", str(first), "--note", "已辦", now=now)
    assert stored() == "2026-11-09T09:00:00Z"
    site.ok("complaint", "void-event", "1", str(events()["referral_done 已辦"]), "--reason",
            "記錯", now=now)
    assert stored() == "2026-11-02T09:00:00Z"  # the answer no longer counts: open again
    site.ok("complaint", "void-event", "1", str(first), "--reason", "發錯", now=now)
    assert stored() == "2026-11-09T09:00:00Z"
    assert [r["reason"] for r in due(site, at("2026-11-09 17:00"), "referral")] == [
        f"complaint #1: letter #{second} (工作聯繫函) to 清潔部 not yet answered"]
    site.ok("complaint", "refer-done", "1", str(second), now=now)
    assert stored() is None
    assert due(site, at("2026-11-09 17:00"), "referral") == []


def test_check_finds_a_wrong_stored_due_of_open_letters_and_repair_rewrites_it(
        site: Cli, db_path: Any) -> None:
    import sqlite3

    now = at("2026-11-02 12:00")
    site.ok("complaint", "open", "王小明", "夜間噪音", "--at", "09:00", now=now)
    site.ok("complaint", "open", "李秘密", "門禁", "--at", "09:00", now=now)
    site.ok("complaint", "refer", "1", "--to", "保安部", "--due", "2026-11-02 17:00",
            "--at", "09:10", now=now)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE complaints SET open_letter_due = CASE id WHEN 1 THEN NULL "
                     "ELSE '2026-11-01T00:00:00Z' END")
    conn.close()
    code, out, err = site("check", now=now)
    assert code == 1 and "2 complaint(s) (#1, #2) have a stored due time of their open " \
        "referral letters" in out + err
    assert due(site, at("2026-11-02 17:01"), "referral") == []  # misread, as check says
    site.ok("check", "--repair", now=now)
    assert site("check", now=now)[0] == 0
    assert len(due(site, at("2026-11-02 17:01"), "referral")) == 1
