"""Property and money through the command line, as a site team uses it (SPEC §5).

The clock is 2026-11-20 10:00 Asia/Shanghai (conftest) unless a test moves it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from conftest import FIXED_NOW, Cli


def due(cli: Cli, *args: str, now: str = FIXED_NOW) -> list[tuple[Any, ...]]:
    rows = json.loads(cli.ok("visit", "due", "--format", "json", *args, now=now))
    return [(row["customer"], row["kind"], row["due"], row["overdue"]) for row in rows]


# --- handover visits (seed 002) ---------------------------------------------------------------

def test_handover_visits_invitation_a_week_before_then_the_visit(cli: Cli) -> None:
    # 房屋交付後三個月 … 回訪前一周發出回訪通知和邀請: handed over 20 August, visit 20 November
    cli.ok("customer", "add", "王小明", "--handover", "2026-08-20")
    assert due(cli, "--kind", "handover", now="2026-11-12T10:00:00+08:00") == []
    assert due(cli, "--kind", "handover", now="2026-11-13T10:00:00+08:00") == [
        ("王小明", "invitation", "2026-11-13", False)]
    assert due(cli, "--kind", "handover") == [
        ("王小明", "invitation", "2026-11-13", True), ("王小明", "residence", "2026-11-20", False)]
    out = cli.ok("visit", "log", "王小明", "--kind", "invitation", "--method", "letter",
                 "--at", "2026-11-14 09:00")
    assert out.startswith("Logged visit #1 to 王小明 (invitation, letter) at 2026-11-14 09:00.")
    assert due(cli, "--kind", "handover") == [("王小明", "residence", "2026-11-20", False)]
    cli.ok("visit", "log", "王小明", "--kind", "residence", "--method", "in-person")
    assert due(cli, "--kind", "handover") == []
    # the inspection's invitation a year on, a week before 2027-08-20
    assert due(cli, "--kind", "handover", now="2027-08-13T08:00:00+08:00") == [
        ("王小明", "invitation", "2027-08-13", False)]


def test_an_invitation_sent_as_a_notice_meets_the_invitation(cli: Cli) -> None:
    """Seed 002: 回訪前一周發出回訪通知和邀請 — a notice of kind invitation to the customer."""
    cli.ok("customer", "add", "王小明", "--handover", "2026-08-20")
    cli.ok("customer", "add", "李四", "--handover", "2026-08-20")
    cli.ok("notice", "send", "入伙三個月回訪邀請", "--kind", "invitation", "--to", "王小明",
           now="2026-11-13T09:00:00+08:00")
    assert due(cli, "--kind", "invitation") == [("李四", "invitation", "2026-11-13", True)]
    cli.ok("notice", "send", "回訪邀請", "--kind", "notice", "--to", "李四")
    assert [row[0] for row in due(cli, "--kind", "invitation")] == ["李四"]  # another kind


def test_handover_visit_methods(cli: Cli) -> None:
    # 一年房屋檢查: 入戶 (in person only); 三個月居住感受回訪: 入戶/電話
    cli.ok("customer", "add", "王小明", "--handover", "2025-11-30")
    assert cli("visit", "log", "王小明", "--kind", "inspection", "--method", "phone") == (
        2, "", "Error: --method phone: inspection visits are made in-person.\n")
    assert cli("visit", "log", "王小明", "--kind", "residence", "--method", "email")[0] == 2
    cli.ok("visit", "log", "王小明", "--kind", "inspection", "--method", "in-person")


def test_handover_across_month_end(cli: Cli) -> None:
    # handover 30 November 2025 → residence visit 28 February 2026 (no 30 February)
    cli.ok("customer", "add", "陳大文", "--handover", "2025-11-30")
    assert due(cli, "--kind", "residence", now="2026-02-28T09:00:00+08:00") == [
        ("陳大文", "residence", "2026-02-28", False)]
    assert due(cli, "--kind", "residence", now="2026-02-27T09:00:00+08:00") == []


def test_skipped_customers_and_their_reasons(cli: Cli) -> None:
    # 以下客戶無需安排回訪: ①有過重大投訴客戶 ②裝修期的客戶 ③沒有實際入住客戶
    cli.ok("customer", "add", "甲", "--handover", "2026-08-20")
    cli.ok("customer", "add", "乙", "--handover", "2026-08-20", "--renovating")
    cli.ok("customer", "add", "丙", "--handover", "2026-08-20", "--not-occupied")
    cli.ok("customer", "add", "丁", "--handover", "2026-08-20")
    cli.ok("complaint", "open", "丁", "漏水", "--severity", "major", "--at", "2026-10-01 09:00")
    assert {row[0] for row in due(cli, "--kind", "handover")} == {"甲"}
    rows = json.loads(cli.ok("visit", "due", "--kind", "residence", "--show-skipped",
                             "--format", "json"))
    skipped = {row["customer"]: row["reason"] for row in rows if "skipped" in row["reason"]}
    assert "①" in skipped["丁"] and "②" in skipped["乙"] and "③" in skipped["丙"]
    assert all(not row["overdue"] for row in rows if row["customer"] != "甲")
    # renovation over, moved in: the visits come back
    cli.ok("customer", "edit", "乙", "--not-renovating")
    assert {row[0] for row in due(cli, "--kind", "handover")} == {"甲", "乙"}


def test_a_minor_complaint_that_became_major_skips_too(cli: Cli) -> None:
    cli.ok("customer", "add", "甲", "--handover", "2026-08-20")
    cli.ok("complaint", "open", "甲", "噪音", "--at", "2026-11-01 09:00")  # major after 10 days
    assert due(cli, "--kind", "handover") == []


def test_report_monthly_counts_handover_visits(cli: Cli) -> None:
    cli.ok("customer", "add", "甲", "--handover", "2026-08-20")
    cli.ok("customer", "add", "乙", "--handover", "2026-08-05")
    cli.ok("visit", "log", "乙", "--kind", "residence", "--method", "phone", "--at",
           "2026-11-06 10:00")
    report = json.loads(cli.ok("report", "monthly", "--format", "json"))
    assert (report["handover_visits_due"], report["handover_visits_done"]) == (2, 1)


# --- contracts and renewals (seed 004: 續簽) --------------------------------------------------

def test_renewal_window_and_renewal(cli: Cli) -> None:
    cli.ok("customer", "add", "深圳數據科技有限公司")
    # today 2026-11-20: an end 60 days on (2027-01-19) is in the window, 61 days not
    cli.ok("contract", "add", "1", "--start", "2026-01-20", "--end", "2027-01-19")
    cli.ok("contract", "add", "1", "--start", "2026-01-21", "--end", "2027-01-20")
    rows = json.loads(cli.ok("visit", "due", "--kind", "renewal", "--format", "json"))
    assert [(r["due"], r["reason"]) for r in rows] == [
        ("2027-01-19", "contract #1 ends 2027-01-19: renewal (續簽)")]
    out = cli.ok("contract", "renew", "1", "--end", "2028-01-19", "--amount", "9000")
    assert out.startswith("Renewed contract #1 as contract #3: 2027-01-20 to 2028-01-19")
    assert due(cli, "--kind", "renewal") == []
    listed = json.loads(cli.ok("contract", "list", "--format", "json"))
    assert [(c["id"], c["status"], c["amount"]) for c in listed] == [
        (1, "renewed", None), (2, "running", None), (3, "future", "9000.00")]
    assert json.loads(cli.ok("contract", "list", "--expiring", "61d", "--format", "json"))[0][
        "id"] == 2


def test_ending_a_contract_asks_whether_they_moved_out(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("contract", "add", "王小明", "--start", "2026-01-01", "--end", "2026-11-30")
    code, out, err = cli("contract", "end", "1")
    assert code == 0 and out.startswith("Ended contract #1 (王小明) on 2026-11-20")
    assert "has 王小明 moved out?" in err and "crmcli contract end 1 --moved-out" in err
    assert due(cli, "--kind", "renewal") == []
    assert "moved out" in cli.ok("contract", "end", "1", "--moved-out")
    assert cli("contract", "end", "1", "--moved-out")[0] == 1
    # the customer left with the contract: hidden from the list, no more reminders
    shown = json.loads(cli.ok("customer", "show", "王小明", "-f", "json"))
    assert shown["moved_out_at"] == "2026-11-20T00:00:00+08:00"
    assert json.loads(cli.ok("customer", "list", "-f", "json")) == []


# --- invoices and payments (seed 004: 開發票並收款) --------------------------------------------

def test_part_payments_to_the_cent(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    out = cli.ok("invoice", "issue", "王小明", "1234.56", "--due", "2026-11-19", "--for", "物業費")
    assert out.startswith("Issued invoice #1 to 王小明: 1234.56 CNY due 2026-11-19")
    assert due(cli, "--kind", "invoice") == [("王小明", "invoice", "2026-11-19", True)]
    cli.ok("payment", "record", "王小明", "1,000.00", "--invoice", "1")
    cli.ok("payment", "record", "王小明", "234.55", "--method", "wechat")
    invoice = json.loads(cli.ok("invoice", "list", "--format", "json"))[0]
    assert (invoice["outstanding"], invoice["outstanding_minor"], invoice["status"]) == (
        "0.01", 1, "part-paid")
    out = cli.ok("payment", "record", "王小明", "0.02")
    assert out.endswith("; 0.01 CNY credit.\n")
    invoice = json.loads(cli.ok("invoice", "list", "--format", "json"))[0]
    assert (invoice["paid"], invoice["status"], invoice["settled_at"]) == (
        "1234.56", "paid", "2026-11-20T10:00:00+08:00")
    assert due(cli, "--kind", "invoice") == []
    show = json.loads(cli.ok("customer", "show", "王小明", "--format", "json"))
    assert (show["balance"], show["credit"], show["oldest_unpaid"]) == ("-0.01", "0.01", None)


def test_amounts_are_exact_or_refused(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    for text in ("1234.567", "0", "0.00", "1e3", "abc", "nan", "1,23.4"):
        code, _, err = cli("invoice", "issue", "王小明", text, "--due", "2026-12-01")
        assert code == 2 and err.startswith("Error: AMOUNT:"), (text, err)
    assert json.loads(cli.ok("invoice", "list", "--format", "json")) == []


def test_refused_payment_is_an_emergency_report(cli: Cli) -> None:
    # 拒付發生 … 緊急報告 … 尽可能以最迅速的方法做報告
    cli.ok("customer", "add", "陳大文")
    cli.ok("invoice", "issue", "陳大文", "5000", "--due", "2026-12-31")
    cli.ok("payment", "record", "陳大文", "5000", "--invoice", "1", "--method", "cheque",
           "--at", "2026-11-18 10:00")
    assert json.loads(cli.ok("invoice", "list", "--unpaid", "--format", "json")) == []
    out = cli.ok("payment", "refuse", "1", "--reason", "支票退票", "--at", "09:30")
    assert "Report it to department head now" in out
    rows = json.loads(cli.ok("visit", "due", "--kind", "refused-payment", "--format", "json"))
    assert [(r["due"], r["owner"], r["overdue"]) for r in rows] == [
        ("2026-11-20T09:30:00+08:00", "department head", True)]
    assert json.loads(cli.ok("invoice", "list", "--unpaid", "--format", "json"))[0]["id"] == 1
    cli.ok("payment", "report", "1", "--to", "張經理")
    assert due(cli, "--kind", "refused-payment") == []
    assert cli("payment", "refuse", "1", "--reason", "x")[0] == 1
    payment = json.loads(cli.ok("payment", "list", "--refused", "--format", "json"))[0]
    assert (payment["status"], payment["applied"], payment["reported_to"]) == (
        "refused", "0.00", "張經理")


def test_invoices_from_contracts_once_a_month(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("contract", "add", "王小明", "--start", "2026-01-31", "--end", "2026-12-31",
           "--amount", "8500.50", "--billing", "monthly")
    cli.ok("contract", "add", "王小明", "--start", "2026-02-15", "--end", "2027-02-14",
           "--amount", "3000", "--billing", "quarterly")
    out = cli.ok("invoice", "issue", "--from-contracts", "--month", "2026-11")
    assert out.startswith("Issued 2 invoices for 2026-11 from contracts (0 already issued)")
    assert "#1 王小明 8500.50 CNY due 2026-11-30" in out
    assert "#2 王小明 3000.00 CNY due 2026-11-15" in out
    again = cli.ok("invoice", "issue", "--from-contracts", "--month", "2026-11")
    assert again.startswith("Issued 0 invoices for 2026-11 from contracts (2 already issued)")
    assert "Issued 1 invoice for" in cli.ok("invoice", "issue", "--from-contracts", "--month",
                                           "2026-12")


def test_check_covers_balances(cli: Cli, db_path: Path) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("invoice", "issue", "王小明", "100", "--due", "2026-12-01")
    cli.ok("payment", "record", "王小明", "60")
    assert "records consistent" in cli.ok("check")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE payment_applications SET amount = 20000")
    conn.commit()
    conn.close()
    code, _, err = cli("check")
    assert code == 1
    assert "invoice #1 has more applied to it than its amount." in err
    assert "1 customer(s) (#1) have stored payment figures" in err
    assert "payment figures of 1 customer from" in cli.ok("check", "--repair")
    assert "records consistent" in cli.ok("check")


# --- credit grades (seed 003) -----------------------------------------------------------------

def test_reviews_due_by_grade_at_month_end(cli: Cli) -> None:
    # a等級: 每年9月、3月; b等級: 1月、4月、7月、10月; c等級: 每月一次
    for name, grade in (("甲", "A"), ("乙", "B"), ("丙", "C")):
        cli.ok("customer", "add", name, "--since", "2020-01-01", "--grade", grade,
               now="2025-01-05T10:00:00+08:00")

    def kinds(now: str) -> list[str]:
        return [row[0] for row in due(cli, "--kind", "review", now=now)]
    assert kinds("2026-11-29T10:00:00+08:00") == []
    assert kinds("2026-11-30T10:00:00+08:00") == ["丙"]
    assert kinds("2026-10-31T10:00:00+08:00") == ["乙", "丙"]
    assert kinds("2026-09-30T10:00:00+08:00") == ["甲", "丙"]
    assert kinds("2026-10-01T10:00:00+08:00") == []  # September's review is no longer owed
    cli.ok("customer", "review", "丙", "--note", "按時付款", now="2026-11-02T10:00:00+08:00")
    assert kinds("2026-11-30T10:00:00+08:00") == []


def test_review_changes_the_grade_and_keeps_the_first_year_rule(cli: Cli) -> None:
    cli.ok("customer", "add", "新客", "--since", "2026-03-01")
    code, _, err = cli("customer", "review", "新客", "--grade", "A", "--note", "大公司")
    assert code == 2 and "is graded C until 2027-03-01" in err
    cli.ok("customer", "add", "老客", "--since", "2020-03-01")
    out = cli.ok("customer", "review", "老客", "--grade", "B", "--note", "付款準時")
    assert out.startswith("Recorded review #1 of 老客 (grade C → B) at 2026-11-20 10:00.")
    history = json.loads(cli.ok("customer", "history", "老客", "--format", "json"))
    assert [(h["field"], h["old"], h["new"]) for h in history] == [("grade", "C", "B")]
    report = json.loads(cli.ok("report", "grades", "--format", "json"))
    assert (report["customers_b"], report["grade_changes"], report["reviews_done"]) == (1, 1, 1)


def test_report_grades_points_to_arrears_at_the_threshold(cli: Cli) -> None:
    # 尚欠帳款者(達50萬元以上)a等級以外的公司 → c
    cli.ok("policy", "set", "arrears_c_threshold", "500000")
    for name in ("乙一", "乙二", "甲一"):
        cli.ok("customer", "add", name, "--since", "2020-01-01")
        cli.ok("customer", "review", name, "--grade", "A" if name == "甲一" else "B",
               "--note", "x")
    cli.ok("invoice", "issue", "乙一", "499999.99", "--due", "2026-11-01")
    cli.ok("invoice", "issue", "乙二", "500000", "--due", "2026-11-01")
    cli.ok("invoice", "issue", "甲一", "900000", "--due", "2026-11-01")
    rows = [json.loads(line) for line in
            cli.ok("report", "grades", "--format", "jsonl").splitlines()]
    assert [(r["customer"], r["suggested"], r["arrears"]) for r in rows] == [
        ("乙二", "C", "500000.00")]
    assert rows[0]["rule"].startswith("arrears at or over 500,000.00 CNY, not grade A")


def test_report_grades_points_to_the_end_of_the_first_year(cli: Cli) -> None:
    cli.ok("customer", "add", "一年", "--since", "2025-11-20")
    cli.ok("customer", "add", "未滿", "--since", "2025-12-01")
    rows = json.loads(cli.ok("report", "grades", "--format", "json"))["attention"]
    assert [(r["customer"], r["first_year_ended"]) for r in rows] == [("一年", "2026-11-20")]


# --- the customer file ------------------------------------------------------------------------

def test_handover_fields_export_and_import(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--handover", "2026-08-20", "--renovating")
    cli.ok("customer", "add", "陳大文", "--handover", "2026-09-01", "--not-occupied")
    exported = cli.ok("customer", "export")
    header = exported.splitlines()[0].split(",")
    assert {"handover", "renovating", "occupied"} <= set(header)
    target = tmp_path / "copy.db"
    cli.ok("--db", str(target), "init")
    source = tmp_path / "c.csv"
    source.write_text(exported, encoding="utf-8")
    cli.ok("--db", str(target), "customer", "import", str(source))
    again = json.loads(cli.ok("--db", str(target), "customer", "list", "--format", "json"))
    assert [(c["handover"], c["renovating"], c["occupied"]) for c in again] == [
        ("2026-08-20", True, True), ("2026-09-01", False, False)]


def test_one_currency_per_site(cli: Cli) -> None:
    cli.ok("policy", "set", "currency", "hkd")
    cli.ok("customer", "add", "王小明")
    assert "HKD" in cli.ok("invoice", "issue", "王小明", "100", "--due", "2026-12-01")
    assert cli("policy", "set", "currency", "CNY") == (
        1, "", "Error: Money is already recorded in HKD; a site keeps one currency, so policy "
        "currency cannot change now.\n")
    cli.ok("policy", "set", "currency", "HKD")  # the same one is fine


def test_a_customer_who_moved_out_gets_no_handover_visit_or_review(cli: Cli) -> None:
    cli.ok("customer", "add", "甲", "--handover", "2026-08-20", "--since", "2020-01-01",
           now="2025-01-05T10:00:00+08:00")
    assert {row[1] for row in due(cli, "--within", "11d")} >= {"residence", "review"}
    cli.ok("customer", "edit", "甲", "--moved-out")
    assert not {row[1] for row in due(cli, "--within", "11d")} & {"residence", "review"}
