"""`visit log/schedule/cancel/list/due`, `service log/list` and `care`, as a user types them.

The clock is fixed at 2026-11-20 10:00 (Friday) in Asia/Shanghai (conftest). Expected output is
written from the rules of SPEC §2/§3 and issue 4.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from crmcli import cadence, next_due
from crmcli.dates import to_db
from crmcli.db import connect
from crmcli.services import Session, agenda, visit_register

# CliRunner reads csv's CRLF line ends as "\n"; the cron test checks the bytes themselves.
DUE_HEADER = "customer_id,customer,kind,due,overdue,complaint_id,reason,owner,method,visit_id," \
             "service_id\n"


def csv_lines(out: str) -> list[str]:
    assert out.endswith("\n")
    return out.split("\n")[:-1]


def ids(cli: Cli, *args: str) -> list[int]:
    return [row["id"] for row in json.loads(cli.ok("visit", "list", "--format", "json", *args))]


def profile(cli: Cli, customer: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.ok("customer", "show", customer, "--format",
                                                 "json"))
    return document


# --- visit log --------------------------------------------------------------------------------

def test_logging_a_call_records_a_done_visit_and_the_last_contact(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    out = cli.ok("visit", "log", "王小明", "--method", "phone", "--note", "問候近況",
                 "--at", "09:15")
    assert out == "Logged visit #1 to 王小明 (routine, phone) at 2026-11-20 09:15.\n"
    assert csv_lines(cli.ok("visit", "list", "--format", "csv")) == [
        "id,customer_id,customer,kind,method,due,done_at,status,overdue,on_time,complaint_id,"
        "service_id,satisfaction,quality,attitude,price_ok,shortcomings,suggestion,by,"
        "assigned_to,expected_method,note,cancelled_at,unresolved,voided_at,voided_by,"
        "void_reason",
        "1,1,王小明,routine,phone,,2026-11-20T09:15:00+08:00,done,false,,,,,,,,,,tester,,,"
        "問候近況,,false,,,",
    ]
    customer = profile(cli, "王小明")
    assert customer["last_contact_at"] == "2026-11-20T09:15:00+08:00"
    assert customer["last_in_person_at"] is None


def test_every_visit_moves_the_last_contact_forward_never_back(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("visit", "log", "王小明", "--method", "in-person", "--at", "2026-11-18 10:00")
    cli.ok("visit", "log", "王小明", "--method", "phone", "--at", "09:00")
    cli.ok("visit", "log", "王小明", "--method", "in-person", "--at", "2026-11-01 10:00")
    customer = profile(cli, "王小明")
    assert customer["last_contact_at"] == "2026-11-20T09:00:00+08:00"
    assert customer["last_in_person_at"] == "2026-11-18T10:00:00+08:00"


def test_ratings_and_what_was_said_are_recorded(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    out = cli.ok("visit", "log", "王小明", "--method", "wechat", "--kind", "survey",
                 "--satisfaction", "4", "--quality", "5", "--attitude", "3", "--price-wrong",
                 "--shortcomings", "維修等了兩天", "--suggestion", "週末也安排值班",
                 "--format", "json")
    record = json.loads(out)
    assert {k: record[k] for k in ("id", "kind", "method", "satisfaction", "quality",
                                   "attitude", "price_ok", "shortcomings", "suggestion",
                                   "status", "fulfilled", "done_at", "by")} == {
        "id": 1, "kind": "survey", "method": "wechat", "satisfaction": 4, "quality": 5,
        "attitude": 3, "price_ok": False, "shortcomings": "維修等了兩天",
        "suggestion": "週末也安排值班", "status": "done", "fulfilled": False,
        "done_at": "2026-11-20T10:00:00+08:00", "by": "tester",
    }


@pytest.mark.parametrize(("option", "value"), [
    ("--satisfaction", "6"), ("--satisfaction", "0"), ("--quality", "0"), ("--attitude", "9"),
])
def test_a_rating_outside_1_to_5_is_exit_2_and_writes_nothing(cli: Cli, option: str,
                                                              value: str) -> None:
    cli.ok("customer", "add", "王小明")
    code, out, err = cli("visit", "log", "王小明", "--method", "phone", option, value)
    assert (code, out, err) == (2, "", f"Error: {option}: {value} is not a rating from 1 to 5.\n")
    assert cli.ok("visit", "list", "--format", "json") == "[]\n"
    assert profile(cli, "王小明")["last_contact_at"] is None


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--method", "fax"), 2,
     "Error: --method: 'fax' is not one of phone, wechat, in-person, email, letter.\n"),
    (("--method", "phone", "--kind", "party"), 2,
     "Error: --kind: 'party' is not one of complaint, repair, paid, survey, routine, care, "
         "residence, inspection, invitation.\n"),
    (("--method", "phone", "--at", "12:00"), 2,
     "Error: --at 2026-11-20 12:00 is in the future.\n"),
    (("--method", "phone", "--complaint", "7"), 1,
     "Error: No complaint #7; `crmcli complaint list` shows them.\n"),
    (("--method", "phone", "--complaint", "7", "--service", "2"), 2,
     "Error: --complaint and --service: name one pending visit, complaint or service.\n"),
])
def test_bad_visit_input(cli: Cli, args: tuple[str, ...], code: int, message: str) -> None:
    cli.ok("customer", "add", "王小明")
    assert cli("visit", "log", "王小明", *args) == (code, "", message)
    assert cli.ok("visit", "list", "--format", "json") == "[]\n"


@pytest.mark.parametrize("option", ["--complaint", "--service", "--visit"])
def test_an_id_beyond_any_database_is_bad_usage(cli: Cli, option: str) -> None:
    cli.ok("customer", "add", "王小明")
    code, out, err = cli("visit", "log", "王小明", "--method", "phone", option,
                         "9223372036854775808")
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: Invalid value for '{option}'") and err.count("\n") == 1


def test_an_unknown_customer_is_exit_1(cli: Cli) -> None:
    code, out, err = cli("visit", "log", "無名氏", "--method", "phone")
    assert (code, out) == (1, "")
    assert err.startswith("Error: No customer '無名氏'")


# --- answering a complaint's follow-up ------------------------------------------------------

def _closed_complaint(cli: Cli, severity: str = "minor") -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "空調不製冷", "--severity", severity,
           "--at", "2026-11-18 09:40")
    if severity == "major":
        cli.ok("complaint", "escalate", "1", "--reason", "客戶要求賠償",
               "--at", "2026-11-18 09:45")
    cli.ok("complaint", "close", "1", "--resolution", "更換壓縮機", "--at", "2026-11-19 09:00")


def test_the_follow_up_of_a_closed_complaint_is_due_24h_later_and_answered_by_the_visit(
        cli: Cli) -> None:
    _closed_complaint(cli)
    assert csv_lines(cli.ok("visit", "due", "--kind", "complaint", "--format", "csv")) == [
        DUE_HEADER.rstrip("\n"),
        "1,王小明,complaint,2026-11-20T09:00:00+08:00,true,1,follow-up (回訪) of complaint #1,"
        "tester,phone/wechat,1,",
    ]
    out = cli.ok("visit", "log", "王小明", "--complaint", "1", "--method", "phone",
                 "--satisfaction", "5", "--quality", "4", "--attitude", "5", "--price-ok",
                 "--at", "09:30")
    assert out == ("Logged visit #1 to 王小明 (complaint, phone) at 2026-11-20 09:30. It "
                   "fulfils the follow-up of complaint #1 (due 2026-11-20 09:00): done 30 min "
                   "late.\n")
    assert cli.ok("visit", "due", "--kind", "complaint", "--format", "csv") == DUE_HEADER
    shown = json.loads(cli.ok("complaint", "show", "1", "--format", "json"))
    followup = [t for t in shown["timers"] if t["timer"] == "followup"]
    assert followup == [{"timer": "followup", "started_at": "2026-11-19T09:00:00+08:00",
                         "due": "2026-11-20T09:00:00+08:00",
                         "met_at": "2026-11-20T09:30:00+08:00", "state": "late"}]
    assert shown["events"][-1]["action"] == "followed_up"
    [visit] = json.loads(cli.ok("visit", "list", "--format", "json"))
    assert {k: visit[k] for k in ("id", "kind", "complaint_id", "status", "on_time",
                                  "satisfaction", "quality", "attitude", "price_ok")} == {
        "id": 1, "kind": "complaint", "complaint_id": 1, "status": "done", "on_time": False,
        "satisfaction": 5, "quality": 4, "attitude": 5, "price_ok": True}
    assert profile(cli, "王小明")["last_contact_at"] == "2026-11-20T09:30:00+08:00"


def test_a_visit_without_kind_does_not_answer_a_follow_up_but_says_one_is_pending(
        cli: Cli) -> None:
    _closed_complaint(cli)
    assert cli("visit", "log", "王小明", "--method", "phone") == (
        0, "Logged visit #2 to 王小明 (routine, phone) at 2026-11-20 10:00.\n",
        "Note: the follow-up of complaint #1 (visit #1, due 2026-11-20 09:00) is still pending; "
        "to record it, log the visit with --complaint 1.\n")
    out = cli.ok("visit", "log", "王小明", "--kind", "complaint", "--method", "wechat")
    assert out == ("Logged visit #1 to 王小明 (complaint, wechat) at 2026-11-20 10:00. It "
                   "fulfils the follow-up of complaint #1 (due 2026-11-20 09:00): done 1 h "
                   "late.\n")


def test_a_major_complaint_is_followed_up_in_person_by_the_area_manager(cli: Cli) -> None:
    """Seed 004: 重大投訴在投訴事件解決後24小時內由片區經理進行上門面談回訪 — a call is a contact,
    not the follow-up, which stays owed until a visit in person."""
    _closed_complaint(cli, "major")
    [row] = json.loads(cli.ok("visit", "due", "--kind", "complaint", "--format", "json"))
    assert (row["owner"], row["method"]) == ("area manager", "in-person")
    code, out, err = cli("visit", "log", "王小明", "--complaint", "1", "--method", "phone",
                         "--at", "08:00")
    assert code == 0
    assert out == "Logged visit #2 to 王小明 (complaint, phone) at 2026-11-20 08:00.\n"
    assert "in-person follow-up (visit #1, due 2026-11-20 09:00) is still owed" in err
    [still] = json.loads(cli.ok("visit", "due", "--kind", "complaint", "--format", "json"))
    assert (still["visit_id"], still["method"]) == (1, "in-person")
    assert profile(cli, "王小明")["last_contact_at"] == "2026-11-20T08:00:00+08:00"
    out = cli.ok("visit", "log", "王小明", "--complaint", "1", "--method", "in-person",
                 "--at", "08:50")
    assert "It fulfils the follow-up of complaint #1 (due 2026-11-20 09:00): done on time" in out
    assert cli.ok("visit", "due", "--kind", "complaint", "--format", "json") == "[]\n"


def test_a_follow_up_cannot_be_dated_before_the_complaint_was_closed(cli: Cli) -> None:
    _closed_complaint(cli)
    assert cli("visit", "log", "王小明", "--complaint", "1", "--method", "phone",
               "--at", "2026-11-18 12:00") == (
        2, "", "Error: --at 2026-11-18 12:00 is before complaint #1 was closed "
               "(2026-11-19 09:00).\n")


def test_a_complaint_of_another_customer_is_refused(cli: Cli) -> None:
    _closed_complaint(cli)
    cli.ok("customer", "add", "李四")
    assert cli("visit", "log", "李四", "--complaint", "1", "--method", "phone") == (
        2, "", "Error: --complaint 1: complaint #1 is another customer's (#1), not 李四's "
               "(#2).\n")


def test_a_complaint_follow_up_cannot_be_cancelled(cli: Cli) -> None:
    _closed_complaint(cli)
    code, out, err = cli("visit", "cancel", "1")
    assert (code, out) == (1, "")
    assert err.startswith("Error: Visit #1 is the follow-up of complaint #1, which every "
                          "complaint must have (回訪率100%)")


# --- services ---------------------------------------------------------------------------------

def test_repairs_and_paid_services_schedule_their_follow_up(cli: Cli) -> None:
    cli.ok("customer", "add", "李四")
    # seed 004: 維修、有償服務的回訪由接單人負責 — whoever took the order, not the worker
    assert cli.ok("service", "log", "李四", "更換UPS電池", "--type", "repair", "--by", "張三",
                  "--received-by", "李客服", "--at", "2026-11-19 15:30", "--fee", "0") == (
        "Logged repair #1 for 李四 at 2026-11-19 15:30. Follow-up visit #1 due 2026-11-20 15:30, "
        "assigned to 李客服.\n")
    assert cli.ok("service", "log", "李四", "空調濾網清洗", "--type", "maintenance",
                  "--at", "08:30") == "Logged maintenance #2 for 李四 at 2026-11-20 08:30.\n"
    assert cli.ok("service", "log", "李四", "會議室布置", "--type", "paid", "--fee", "300",
                  "--by", "張三", "--at", "09:00") == (
        "Logged paid #3 for 李四 at 2026-11-20 09:00. Follow-up visit #2 due 2026-11-21 09:00, "
        "assigned to tester.\n")
    assert csv_lines(cli.ok("visit", "due", "--kind", "followup", "--within", "1d",
                            "--format", "csv")) == [
        DUE_HEADER.rstrip("\n"),
        "1,李四,repair,2026-11-20T15:30:00+08:00,false,,follow-up (回訪) of repair #1: "
        "更換UPS電池,李客服,,1,1",
        "1,李四,paid,2026-11-21T09:00:00+08:00,false,,follow-up (回訪) of paid #3: 會議室布置,"
        "tester,,2,3",
    ]
    assert cli.ok("visit", "log", "李四", "--service", "1", "--method", "phone",
                  "--satisfaction", "4") == (
        "Logged visit #1 to 李四 (repair, phone) at 2026-11-20 10:00. It fulfils the follow-up "
        "of service #1 (due 2026-11-20 15:30): done on time.\n")
    assert csv_lines(cli.ok("service", "list", "--format", "csv")) == [
        "id,customer_id,customer,type,description,done_at,by,fee,followup_visit_id,"
        "followup_due,followup_done_at,followup_overdue,received_by,voided_at,voided_by,"
        "void_reason,fee_minor,currency",
        "3,1,李四,paid,會議室布置,2026-11-20T09:00:00+08:00,張三,300.00,2,"
        "2026-11-21T09:00:00+08:00,,false,tester,,,,30000,CNY",
        "2,1,李四,maintenance,空調濾網清洗,2026-11-20T08:30:00+08:00,tester,,,,,false,tester,"
        ",,,,",
        "1,1,李四,repair,更換UPS電池,2026-11-19T15:30:00+08:00,張三,0.00,1,"
        "2026-11-20T15:30:00+08:00,2026-11-20T10:00:00+08:00,false,李客服,,,,0,CNY",
    ]
    assert cli.ok("service", "list") == (
        "  id  customer    type         description    done              by         fee  "
        "follow-up\n"
        "----  ----------  -----------  -------------  ----------------  ------  ------  "
        "------------\n"
        "   3  李四        paid         會議室布置     2026-11-20 09:00  張三    300.00  "
        "due tomorrow\n"
        "   2  李四        maintenance  空調濾網清洗   2026-11-20 08:30  tester\n"
        "   1  李四        repair       更換UPS電池    2026-11-19 15:30  張三      0.00  done\n"
    )


@pytest.mark.parametrize(("args", "message"), [
    (("--type", "cleaning"), "Error: --type: 'cleaning' is not one of repair, maintenance, "
                             "paid.\n"),
    (("--type", "paid", "--fee", "-5"),
     "Error: --fee: '-5' is not an amount (e.g. 1234.56).\n"),
    (("--type", "paid", "--fee", "nan"),
     "Error: --fee: 'nan' is not an amount (e.g. 1234.56).\n"),
    (("--type", "paid", "--fee", "inf"),
     "Error: --fee: 'inf' is not an amount (e.g. 1234.56).\n"),
    # exact money: a fee has at most the currency's two decimals, never a float's rounding
    (("--type", "paid", "--fee", "80.505"),
     "Error: --fee: 80.505 CNY has more than 2 decimal places.\n"),
    (("--type", "paid", "--fee", "1e3"),
     "Error: --fee: '1e3' is not an amount (e.g. 1234.56).\n"),
    (("--type", "paid", "--fee", "99999999999999"),
     "Error: --fee: '99999999999999' is too large.\n"),
])
def test_bad_service_input(cli: Cli, args: tuple[str, ...], message: str) -> None:
    cli.ok("customer", "add", "李四")
    assert cli("service", "log", "李四", "修門鎖", *args) == (2, "", message)
    assert cli.ok("service", "list", "--format", "csv").count("\n") == 1


# --- scheduling --------------------------------------------------------------------------------

def test_a_visit_answers_the_scheduled_one_due_within_the_week(cli: Cli) -> None:
    cli.ok("customer", "add", "陳大文")
    assert cli.ok("visit", "schedule", "陳大文", "--due", "2026-11-23", "--kind", "survey",
                  "--assign", "李四", "--note", "滿意度調查") == (
        "Scheduled visit #1 (survey) to 陳大文, due 2026-11-23 23:59, assigned to 李四.\n")
    assert cli.ok("visit", "schedule", "陳大文", "--due", "2026-12-30 10:00") == (
        "Scheduled visit #2 (routine) to 陳大文, due 2026-12-30 10:00, assigned to tester.\n")
    assert cli.ok("visit", "log", "陳大文", "--method", "phone", "--satisfaction", "4") == (
        "Logged visit #1 to 陳大文 (survey, phone) at 2026-11-20 10:00. It fulfils the "
        "scheduled survey visit (due 2026-11-23 23:59): done on time.\n")
    assert cli.ok("visit", "log", "陳大文", "--method", "wechat") == (
        "Logged visit #3 to 陳大文 (routine, wechat) at 2026-11-20 10:00.\n")
    assert ids(cli, "--pending") == [2]


@pytest.mark.parametrize(("due", "answered"), [
    ("2026-11-27 23:59", True),  # seven days after the visit's day: still answered
    ("2026-11-28 00:00", False),
])
def test_the_week_window_for_answering_a_scheduled_visit(cli: Cli, due: str,
                                                         answered: bool) -> None:
    cli.ok("customer", "add", "陳大文")
    cli.ok("visit", "schedule", "陳大文", "--due", due)
    out = cli.ok("visit", "log", "陳大文", "--method", "phone")
    assert ("It fulfils" in out) is answered
    assert ids(cli, "--pending") == ([] if answered else [1])


@pytest.mark.parametrize(("due", "message"), [
    ("9999-12-31", "Error: --due: '9999-12-31' is out of range.\n"),
    ("0001-01-01 10:00", "Error: --due: '0001-01-01 10:00' is out of range (years 1900-9998).\n"),
    ("2026-02-30", "Error: --due: '2026-02-30' is not a date.\n"),
    ("someday", "Error: --due: cannot read 'someday' as a date or time"),
])
def test_schedule_needs_a_real_due_date(cli: Cli, due: str, message: str) -> None:
    cli.ok("customer", "add", "王小明")
    code, out, err = cli("visit", "schedule", "王小明", "--due", due)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_cancel_a_scheduled_visit(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("visit", "schedule", "王小明", "--due", "tomorrow")
    assert cli.ok("visit", "cancel", "1", "--reason", "客戶出差") == (
        "Cancelled visit #1 (routine) to 王小明.\n")
    assert cli("visit", "cancel", "1") == (
        1, "", "Error: Visit #1 is cancelled; only a pending visit can be cancelled.\n")
    assert cli.ok("visit", "due", "--within", "3d", "--kind", "routine") == ""
    [visit] = json.loads(cli.ok("visit", "list", "--cancelled", "--format", "json"))
    assert (visit["status"], visit["note"]) == ("cancelled", "cancelled by tester: 客戶出差")


# --- the register ------------------------------------------------------------------------------

def _register(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("customer", "add", "李四")
    cli.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-10-31 10:00")  # 1
    cli.ok("visit", "log", "李四", "--method", "in-person", "--at", "2026-11-02 10:00")  # 2
    cli.ok("visit", "schedule", "王小明", "--due", "2026-11-19")  # 3, overdue
    cli.ok("visit", "schedule", "李四", "--due", "2026-12-01", "--kind", "care")  # 4
    cli.ok("visit", "schedule", "李四", "--due", "2026-11-25")  # 5
    cli.ok("visit", "cancel", "5")


@pytest.mark.parametrize(("args", "expected"), [
    ((), [4, 3, 2, 1]),  # the register: newest first
    (("--pending",), [3, 4]),  # work to do: soonest due first
    (("--done",), [2, 1]),
    (("--overdue",), [3]),
    (("--cancelled",), [5]),
    (("--month", "2026-11"), [3, 2]),
    (("--month", "2026-10"), [1]),
    (("--customer", "李四"), [4, 2]),
    (("--kind", "care"), [4]),
    (("--kind", "care", "--kind", "routine"), [4, 3, 2, 1]),
    (("--limit", "1"), [4]),
])
def test_visit_list_filters(cli: Cli, args: tuple[str, ...], expected: list[int]) -> None:
    _register(cli)
    assert ids(cli, *args) == expected


def test_visit_list_table_marks_overdue_in_words(cli: Cli) -> None:
    _register(cli)
    assert cli.ok("visit", "list", "--pending") == (
        "  id  customer    kind     method    due               done    status       who"
        "       sat.  note\n"
        "----  ----------  -------  --------  ----------------  ------  -----------  ------"
        "  ------  ------\n"
        "   3  王小明      routine            2026-11-19 23:59          OVERDUE 10h  tester\n"
        "   4  李四        care               2026-12-01 23:59          due in 11d   tester\n"
    )


def test_visit_list_refuses_two_states(cli: Cli) -> None:
    assert cli("visit", "list", "--pending", "--done") == (
        2, "", "Error: --pending and --done: choose one.\n")


# --- visit due ---------------------------------------------------------------------------------

def _day_of_work(cli: Cli) -> None:
    """Four customers, each owed something by the end of 2026-11-20."""
    cli.ok("customer", "add", "王小明", "--since", "2026-11-01")
    cli.ok("complaint", "open", "王小明", "空調不製冷", "--at", "2026-11-18 09:40")
    cli.ok("complaint", "close", "1", "--resolution", "更換壓縮機", "--at", "2026-11-19 09:00")
    cli.ok("customer", "add", "李四", "--since", "2020-03-15")
    cli.ok("visit", "log", "李四", "--method", "in-person", "--at", "2025-11-19 10:00")
    cli.ok("visit", "log", "李四", "--method", "phone", "--at", "2026-10-15 10:00")
    cli.ok("customer", "add", "陳大文", "--since", "2024-05-01")
    cli.ok("complaint", "open", "陳大文", "電梯噪音", "--at", "2026-11-19 09:00")
    cli.ok("service", "log", "陳大文", "更換UPS電池", "--type", "repair", "--by", "王師傅",
           "--received-by", "張三", "--at", "2026-11-19 14:00")
    cli.ok("customer", "add", "趙六")
    cli.ok("complaint", "open", "趙六", "停車場漏水", "--severity", "major", "--at", "09:55")


def test_visit_due_lists_everything_owed_today_most_overdue_first(cli: Cli) -> None:
    _day_of_work(cli)
    assert cli("visit", "due") == (0, (
        "customer    kind       due               status      owner         method        "
        "reason\n"
        "----------  ---------  ----------------  ----------  ------------  ------------  "
        "------------------------------------------------------------\n"
        "李四        cadence    2026-11-15        OVERDUE 5d  area manager                "
        "contact every 1mo (established customer); last 2026-10-15\n"
        "李四        annual     2026-11-19        OVERDUE 1d  area manager  in-person     "
        "yearly in-person visit (年拜訪); last 2025-11-19\n"
        "王小明      complaint  2026-11-20 09:00  OVERDUE 1h  tester        phone/wechat  "
        "follow-up (回訪) of complaint #1\n"
        "陳大文      response   2026-11-20 09:00  OVERDUE 1h  tester                      "
        "complaint #2 (minor): feedback to the customer — 電梯噪音\n"
        "趙六        report     2026-11-20 10:05  due today   area manager                "
        "complaint #3 (major): report to department head — 停車場漏水\n"
        "陳大文      repair     2026-11-20 14:00  due today   張三                        "
        "follow-up (回訪) of repair #1: 更換UPS電池\n"
        "趙六        resolve    2026-11-20 21:55  due today   area manager                "
        "complaint #3 (major): resolve (major) — 停車場漏水\n"
    ), "")


def test_visit_due_csv_and_json(cli: Cli) -> None:
    _day_of_work(cli)
    assert csv_lines(cli.ok("visit", "due", "--format", "csv")) == [
        DUE_HEADER.rstrip("\n"),
        "2,李四,cadence,2026-11-15,true,,contact every 1mo (established customer); last "
        "2026-10-15,area manager,,,",
        "2,李四,annual,2026-11-19,true,,yearly in-person visit (年拜訪); last 2025-11-19,"
        "area manager,in-person,,",
        "1,王小明,complaint,2026-11-20T09:00:00+08:00,true,1,follow-up (回訪) of complaint #1,"
        "tester,phone/wechat,1,",
        "3,陳大文,response,2026-11-20T09:00:00+08:00,true,2,complaint #2 (minor): feedback to "
        "the customer — 電梯噪音,tester,,,",
        "4,趙六,report,2026-11-20T10:05:00+08:00,false,3,complaint #3 (major): report to "
        "department head — 停車場漏水,area manager,,,",
        "3,陳大文,repair,2026-11-20T14:00:00+08:00,false,,follow-up (回訪) of repair #1: "
        "更換UPS電池,張三,,4,1",
        "4,趙六,resolve,2026-11-20T21:55:00+08:00,false,3,complaint #3 (major): resolve "
        "(major) — 停車場漏水,area manager,,,",
    ]
    assert cli.ok("visit", "due", "--kind", "response", "--format", "json") == (
        '[\n  {"customer_id": 3, "customer": "陳大文", "kind": "response", '
        '"due": "2026-11-20T09:00:00+08:00", "overdue": true, "complaint_id": 2, '
        '"reason": "complaint #2 (minor): feedback to the customer — 電梯噪音", '
        '"owner": "tester", "method": null, "visit_id": null, "service_id": null}\n]\n')
    lines = cli.ok("visit", "due", "--format", "jsonl").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == [
        "cadence", "annual", "complaint", "response", "report", "repair", "resolve"]


@pytest.mark.parametrize(("args", "kinds"), [
    (("--owner", "張三"), ["repair"]),
    (("--owner", "area manager"), ["cadence", "annual", "report", "resolve"]),
    (("--kind", "deadline"), ["response", "report", "resolve"]),
    (("--kind", "followup"), ["complaint", "repair"]),
    (("--kind", "cadence", "--kind", "annual"), ["cadence", "annual"]),
    (("--kind", "annual", "--owner", "張三"), []),
])
def test_visit_due_filters(cli: Cli, args: tuple[str, ...], kinds: list[str]) -> None:
    _day_of_work(cli)
    rows = json.loads(cli.ok("visit", "due", "--format", "json", *args))
    assert [row["kind"] for row in rows] == kinds


def test_visit_due_rejects_an_unknown_kind(cli: Cli) -> None:
    code, out, err = cli("visit", "due", "--kind", "party")
    assert (code, out) == (2, "")
    assert err.startswith("Error: --kind: 'party' is not one of complaint, repair, paid,")


def test_fail_on_overdue_exits_3_after_printing(cli: Cli) -> None:
    _day_of_work(cli)
    code, out, err = cli("visit", "due", "--fail-on-overdue", "--format", "csv")
    assert (code, err) == (3, "")
    assert len(csv_lines(out)) == 8


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "jsonl", "tsv"])
def test_nothing_due_is_quiet_for_cron(cli: Cli, fmt: str) -> None:
    cli.ok("customer", "add", "王小明")  # its first contact is due in a week
    expected = {"table": "", "csv": DUE_HEADER, "json": "[]\n", "jsonl": "",
                "tsv": DUE_HEADER.replace(",", "\t")}[fmt]
    assert cli("visit", "due", "--fail-on-overdue", "--format", fmt) == (0, expected, "")


@pytest.mark.parametrize(("now", "expected", "code"), [
    ("2026-11-20T13:59:00+08:00",
     "customer    kind    due               status     owner    method    reason\n"
     "----------  ------  ----------------  ---------  -------  --------  "
     "-------------------------------------\n"
     "李四        repair  2026-11-20 14:00  due today  tester             "
     "follow-up (回訪) of repair #1: 修門鎖\n", 0),
    ("2026-11-20T14:00:00+08:00",
     "customer    kind    due               status     owner    method    reason\n"
     "----------  ------  ----------------  ---------  -------  --------  "
     "-------------------------------------\n"
     "李四        repair  2026-11-20 14:00  due today  tester             "
     "follow-up (回訪) of repair #1: 修門鎖\n", 0),
    ("2026-11-20T14:01:00+08:00",
     "customer    kind    due               status      owner    method    reason\n"
     "----------  ------  ----------------  ----------  -------  --------  "
     "-------------------------------------\n"
     "李四        repair  2026-11-20 14:00  OVERDUE 1m  tester             "
     "follow-up (回訪) of repair #1: 修門鎖\n", 3),
])
def test_a_follow_up_due_at_14_00_is_overdue_at_14_01(cli: Cli, now: str, expected: str,
                                                       code: int) -> None:
    cli.ok("customer", "add", "李四")
    cli.ok("service", "log", "李四", "修門鎖", "--type", "repair", "--at", "2026-11-19 14:00")
    assert cli("visit", "due", "--kind", "repair", "--fail-on-overdue", now=now) == (
        code, expected, "")


@pytest.mark.parametrize(("now", "within", "words", "code"), [
    ("2026-11-19T10:00:00+08:00", None, None, 0),
    ("2026-11-19T10:00:00+08:00", "1d", "due tomorrow", 0),
    ("2026-11-20T00:00:00+08:00", None, "due today", 0),
    ("2026-11-20T23:59:59+08:00", None, "due today", 0),
    ("2026-11-21T00:00:00+08:00", None, "OVERDUE 1d", 3),
])
def test_a_contact_due_today_is_due_and_yesterday_overdue(
        cli: Cli, now: str, within: str | None, words: str | None, code: int) -> None:
    cli.ok("customer", "add", "李四", "--since", "2020-03-15")
    cli.ok("visit", "log", "李四", "--method", "phone", "--at", "2026-10-20 10:00")
    extra = ("--within", within) if within else ()
    rows = json.loads(cli.ok("visit", "due", "--kind", "cadence", "--format", "json", *extra,
                             now=now))
    assert [row["due"] for row in rows] == (["2026-11-20"] if words else [])
    if words:
        table = cli.ok("visit", "due", "--kind", "cadence", *extra, now=now)
        assert f"  2026-11-20  {words}  " in table.splitlines()[2]
    assert cli("visit", "due", "--kind", "cadence", "--fail-on-overdue", "--format", "csv",
               *extra, now=now)[0] == code


@pytest.mark.parametrize(("command", "within", "message"), [
    (("visit", "due"), "11y", "Error: --within: 11y is too far ahead (at most 3660 days).\n"),
    (("visit", "due"), "99999999999999d",
     "Error: --within: 99999999999999d is too far ahead (at most 3660 days).\n"),
    (("care",), "13mo", "Error: --within: 13mo is too far ahead (at most 366 days).\n"),
    (("care",), "soon", "Error: --within: cannot read 'soon' as a span (try 3d, 12h, 2w, "
                        "1mo).\n"),
])
def test_within_must_be_a_reasonable_span(cli: Cli, command: tuple[str, ...], within: str,
                                          message: str) -> None:
    assert cli(*command, "--within", within) == (2, "", message)


def test_within_looks_ahead_to_the_end_of_that_day(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-11-01")  # first contact due 11-27
    assert cli.ok("visit", "due", "--kind", "cadence", "--within", "6d") == ""
    assert cli.ok("visit", "due", "--kind", "cadence", "--within", "7d") == (
        "customer    kind     due         status     owner         method    reason\n"
        "----------  -------  ----------  ---------  ------------  --------  "
        "----------------------------------------------------------------\n"
        "王小明      cadence  2026-11-27  due in 7d  area manager            "
        "contact every 1w (new customer); none on record since 2026-11-20\n")


def test_a_tag_cadence_from_policy(cli: Cli) -> None:
    cli.ok("policy", "set", "cadence.tag.VIP", "2w")
    cli.ok("customer", "add", "李四", "--since", "2020-03-15", "--tag", "VIP")
    cli.ok("customer", "add", "王五", "--since", "2020-03-15")
    cli.ok("visit", "log", "李四", "--method", "phone", "--at", "2026-11-05 10:00")
    cli.ok("visit", "log", "王五", "--method", "phone", "--at", "2026-11-05 10:00")
    rows = json.loads(cli.ok("visit", "due", "--kind", "cadence", "--format", "json"))
    assert [(row["customer"], row["due"], row["overdue"], row["reason"]) for row in rows] == [
        ("李四", "2026-11-19", True, "contact every 2w (tag VIP); last 2026-11-05")]


def test_customer_show_lists_visits_and_what_is_due_next(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-11-01")
    cli.ok("visit", "log", "王小明", "--method", "in-person", "--at", "2026-11-18 15:00")
    cli.ok("visit", "schedule", "王小明", "--due", "2026-11-30 10:00", "--kind", "survey")
    document = profile(cli, "王小明")
    assert [(v["id"], v["kind"], v["status"]) for v in document["visits"]] == [
        (1, "routine", "done"), (2, "survey", "pending")]
    assert [(d["kind"], d["due"], d["state"], d["reason"]) for d in document["due"]] == [
        ("cadence", "2026-11-25", "due in 5d",
         "contact every 1w (new customer); last 2026-11-18"),
        ("survey", "2026-11-30T10:00:00+08:00", "due in 10d", "scheduled survey visit"),
        ("review", "2026-12-31", "due in 41d",
         "credit review (顧客情報報告書), grade C, 2026-12"),
        ("annual", "2027-11-18", "due in 363d", "yearly in-person visit (年拜訪); last 2026-11-18"),
    ]
    table = cli.ok("customer", "show", "王小明")
    assert ("Due\n"
            "kind     due               status       owner         method     reason\n") in table


def _on_a_terminal(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
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
    result = CliRunner().invoke(app, list(args), obj=terminal)
    return result.exit_code, re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())


def test_on_a_terminal_the_counts_by_kind_and_owner_come_first(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _day_of_work(cli)
    code, text = _on_a_terminal(monkeypatch, "visit", "due")
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "4 overdue, 3 due by the end of 2026-11-20."
    summary, table = text.index("4 overdue"), text.index("customer ")
    assert summary < table
    assert "李四" in text[table:] and "OVERDUE 5d" in text[table:]


SUMMARY = [
    "4 overdue, 3 due by the end of 2026-11-20.",
    "",
    "kind       overdue      due    owner         overdue      due",
    "annual           1        ·    area manager        2        2",
    "cadence          1        ·    tester              2        ·",
    "complaint        1        ·    張三                ·        1",
    "response         1        ·",
    "repair           ·        1",
    "report           ·        1",
    "resolve          ·        1",
]


def test_visit_due_summary_alone_for_a_cron_mail(cli: Cli) -> None:
    _day_of_work(cli)
    code, out, _ = cli("visit", "due", "--summary", "--fail-on-overdue")
    assert code == 3
    assert out.splitlines() == SUMMARY
    assert max(len(line) for line in out.splitlines()) <= 100
    assert cli("visit", "due", "--summary", "--within", "1d", now="2026-11-10T08:00") == (
        0, "", "")  # nothing due: nothing to mail
    code, _, err = cli("visit", "due", "--summary", "--format", "csv")
    assert code == 2 and "--summary" in err


def test_on_a_terminal_nothing_due_says_so(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _on_a_terminal(monkeypatch, "visit", "due") == (0, "Nothing due.\n")


def test_schedule_and_service_log_print_the_record_in_json_and_csv(cli: Cli) -> None:
    cli.ok("customer", "add", "李四")
    record = json.loads(cli.ok("visit", "schedule", "李四", "--due", "tomorrow 15:00",
                               "--method", "in-person", "--format", "json"))
    assert {k: record[k] for k in ("id", "customer", "kind", "due", "status", "overdue",
                                   "assigned_to", "expected_method")} == {
        "id": 1, "customer": "李四", "kind": "routine", "due": "2026-11-21T15:00:00+08:00",
        "status": "pending", "overdue": False, "assigned_to": "tester",
        "expected_method": "in-person"}
    service = json.loads(cli.ok("service", "log", "李四", "修門鎖", "--type", "paid",
                                "--fee", "80", "--at", "09:00", "--format", "json"))
    assert service == {
        "id": 1, "customer_id": 1, "customer": "李四", "type": "paid", "description": "修門鎖",
        "done_at": "2026-11-20T09:00:00+08:00", "by": "tester", "fee": "80.00",
        "fee_minor": 8000, "currency": "CNY",
        "followup_visit_id": 2, "followup_due": "2026-11-21T09:00:00+08:00",
        "followup_done_at": None, "followup_overdue": False, "received_by": "tester",
        "voided_at": None, "voided_by": None, "void_reason": None}
    assert csv_lines(cli.ok("visit", "cancel", "1", "--format", "csv"))[1].startswith(
        "1,1,李四,routine,,2026-11-21T15:00:00+08:00,,cancelled,false,")


def test_the_service_follow_up_delay_is_the_policy_in_force_when_the_work_was_done(
        cli: Cli) -> None:
    cli.ok("customer", "add", "李四")
    cli.ok("policy", "set", "service_followup_hours", "4", now="2026-11-20T08:00:00+08:00")
    assert cli.ok("service", "log", "李四", "修門鎖", "--type", "repair", "--at", "09:00",
                  now="2026-11-20T10:00:00+08:00") == (
        "Logged repair #1 for 李四 at 2026-11-20 09:00. Follow-up visit #1 due 2026-11-20 13:00, "
        "assigned to tester.\n")
    assert cli.ok("service", "log", "李四", "換燈管", "--type", "repair", "--at", "07:00") == (
        "Logged repair #2 for 李四 at 2026-11-20 07:00. Follow-up visit #2 due 2026-11-21 07:00, "
        "assigned to tester.\n")


# --- care ----------------------------------------------------------------------------------------

def test_care_lists_birthdays_anniversaries_and_holidays_ahead(cli: Cli) -> None:
    now = "2026-09-28T10:00:00+08:00"
    cli.ok("customer", "add", "王小明", "--since", "2023-09-29", "--birthday", "--10-02", now=now)
    cli.ok("customer", "add", "李四", "--birthday", "1980-09-30", now=now)
    assert csv_lines(cli.ok("care", "--format", "csv", now=now)) == [
        "date,days,kind,customer_id,customer,occasion,years",
        "2026-09-29,1,anniversary,1,王小明,3 years as a customer,3",
        '2026-09-30,2,birthday,2,李四,"birthday (生日), turns 46",46',
        "2026-10-01,3,holiday,,,国庆节,",
        "2026-10-02,4,birthday,1,王小明,birthday (生日),",
    ]
    assert cli.ok("care", "--within", "2d", now=now) == (
        "date        when      kind         customer    occasion\n"
        "----------  --------  -----------  ----------  -------------------------\n"
        "2026-09-29  tomorrow  anniversary  王小明      3 years as a customer\n"
        "2026-09-30  in 2d     birthday     李四        birthday (生日), turns 46\n")
    assert cli.ok("care", "--within", "0d", now=now) == ""


def test_care_uses_the_policy_region(cli: Cli) -> None:
    cli.ok("policy", "set", "region", "HK", now="2026-09-28T10:00:00+08:00")
    rows = json.loads(cli.ok("care", "--format", "json", now="2026-09-28T10:00:00+08:00"))
    assert [(row["date"], row["occasion"]) for row in rows] == [("2026-10-01", "國慶日")]


# --- help ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ("visit", "log"), ("visit", "schedule"), ("visit", "cancel"), ("visit", "list"),
    ("visit", "due"), ("service", "log"), ("service", "list"), ("care",),
])
def test_every_command_has_help_with_an_example(cli: Cli, command: tuple[str, ...]) -> None:
    assert "Example: crmcli " in cli.ok(*command, "--help")


# --- the stored next-due dates of `visit due` find exactly the customers that are due -------

@pytest.mark.parametrize("seed", range(6))
def test_the_stored_dates_find_exactly_the_customers_the_rules_say_are_due(
        cli: Cli, db_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

    def moment(first: str, last: str) -> str:
        start = datetime.fromisoformat(first + "T00:00:00+00:00")
        span = (datetime.fromisoformat(last + "T00:00:00+00:00") - start).total_seconds()
        return to_db(start + timedelta(seconds=rng.randrange(int(span))))

    conn = connect(db_path)
    settings = {"cadence_new": rng.choice(["1w", "3d", "2w"]),
                "cadence_established": rng.choice(["1mo", "2mo", "10d"]),
                "new_customer_days": rng.choice(["30", "90", "400"]),
                "annual_visit_days": rng.choice(["180", "365"])}
    for key in rng.sample(["cadence.tag.VIP", "cadence.segment.owner", "cadence.tag.key"],
                          rng.randrange(3)):
        settings[key] = rng.choice(["5d", "2w", "3mo"])
    conn.executemany("INSERT INTO policy_settings (key, value, set_at, set_by) VALUES "
                     "(?, ?, '2026-01-01T00:00:00Z', 'test')", settings.items())
    # Dates crowd around the edges the prefilter reasons about: contacts within the last few
    # cadences, relationships starting around the end of the new-customer period.
    new_days = int(settings["new_customer_days"])
    edge = (date(2026, 11, 20) - timedelta(days=new_days)).isoformat()
    late = (date(2026, 11, 20) - timedelta(days=new_days - 60)).isoformat()
    early = (date(2026, 11, 20) - timedelta(days=new_days + 60)).isoformat()
    for number in range(1, 501):
        since = rng.choice([None, moment(early, late)[:10],
                            moment("2019-01-01", "2027-01-01")[:10]])
        conn.execute(
            "INSERT INTO customers (id, name, name_key, segment, since, last_contact_at, "
            "last_in_person_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, f"c{number}", f"c{number}",
             rng.choice([None, "owner", "tenant"]), since,
             rng.choice([None, moment("2026-08-01", "2026-11-20"),
                         moment("2026-10-01", "2026-11-20"), moment(early, edge)]),
             rng.choice([None, moment("2025-05-01", "2026-11-20")]),
             rng.choice([moment(early, late), moment("2024-01-01", "2026-11-20")]),
             "2026-11-20T00:00:00Z"))
        for tag in rng.sample(["VIP", "key", "other"], rng.randrange(3)):
            conn.execute("INSERT INTO customer_tags VALUES (?, ?)", (number, tag))
    session = Session(conn, now, "tester")
    policy = session.policies.current
    next_due.rebuild(conn, policy)  # as a bulk writer does after writing customers directly
    people = [(row[0], visit_register.contactee(row[1], row[2], row[3], row[4],
                                        tuple(row[6].split(",")) if row[6] else (), row[5]))
              for row in conn.execute(
                  "SELECT c.id, since, created_at, last_contact_at, last_in_person_at, segment, "
                  "(SELECT group_concat(tag) FROM customer_tags t WHERE t.customer_id = c.id) "
                  "FROM customers c")]
    for ahead in (0, 3, 10, 12, 40, 41, 100):  # 10, 41, 100: the ends of Nov, Dec, Feb
        last_day = date(2026, 11, 20) + timedelta(days=ahead)
        found = {(item.customer_id, item.kind, item.due)
                 for item in agenda.due_items(session, last_day, {"cadence", "annual"})}
        expected = {(cid, kind, due.due) for cid, who in people
                    for kind, due in (("cadence", cadence.next_contact(who, policy)),
                                      ("annual", cadence.next_in_person(who, policy)))
                    if due.due <= last_day}
        assert found == expected


# --- the order and the words of `visit due`, worked out in bulk --------------------------------

@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe"])
def test_due_items_in_bulk_sort_and_read_as_one_at_a_time(
        set_tz: Any, zone: str) -> None:
    set_tz(zone)
    rng = random.Random(zone)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    items = []
    for number in range(3000):
        due: date | datetime = (start + timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
                                if rng.random() < 0.5
                                else date(2026, 3, 1) + timedelta(days=rng.randrange(400)))
        items.append(agenda.DueItem(rng.randrange(20), "x", rng.choice(["cadence", "annual",
                                    "complaint", "resolve"]), due, "r",
                                    visit_id=rng.choice([None, number]),
                                    complaint_id=rng.choice([None, number])))
    assert agenda.in_order(items) == sorted(items, key=lambda i: (
        cadence.deadline(i.due), i.customer_id, i.kind, i.visit_id or 0, i.complaint_id or 0))
    for now in (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), datetime(2026, 4, 5, 15, 59, tzinfo=UTC)):
        rows = agenda.due_rows(items, now)
        for item, row in zip(items, rows, strict=True):
            assert row["overdue"] is cadence.is_overdue(item.due, now)
            assert row["state"] == cadence.due_words(item.due, now)
            assert [row[c.key] for c in agenda.DUE_COLUMNS] == [
                getattr(item, c.key) if c.key != "overdue" else row["overdue"]
                for c in agenda.DUE_COLUMNS]
