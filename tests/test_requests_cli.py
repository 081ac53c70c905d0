"""Requests (訴求): open, reply, close, convert, void, list, show — as a user types them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import Cli

NOW = "2026-11-20T10:00:00+08:00"


@pytest.fixture
def desk(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    cli.ok("customer", "add", "李四", "--since", "2025-01-01")
    return cli


def test_open_prints_the_id_and_the_reply_deadline(desk: Cli) -> None:
    assert desk.ok("request", "open", "王小明", "停車位月租多少", "--channel", "hotline",
                   "--at", "09:10") == (
        "Opened request #1 from 王小明 (2026-11-20 09:10); reply due 2026-11-21 09:10.\n")


def test_a_caller_not_on_file(desk: Cli) -> None:
    out = desk.ok("request", "open", "--caller", "張先生", "--phone", "13800138000", "問租金",
                  "--format", "json")
    request = json.loads(out)
    assert (request["customer_id"], request["caller"], request["caller_phone"]) == (
        None, "張先生", "13800138000")
    rows = json.loads(desk.ok("visit", "due", "--within", "1d", "--format", "json"))
    assert [(r["customer_id"], r["customer"], r["kind"]) for r in rows
            if r["kind"] == "reply"] == [(None, "張先生 (caller)", "reply")]


@pytest.mark.parametrize(("args", "message"), [
    (("request", "open", "王小明", "x", "--kind", "gossip"), "--kind: 'gossip' is not one of"),
    (("request", "open", "王小明", "x", "--channel", "pigeon"), "--channel: 'pigeon'"),
    (("request", "open", "王小明", " "), "text: say what was asked."),
    (("request", "open", "王小明", "x", "--at", "tomorrow 10:00"), "is in the future"),
    (("request", "open", "王小明", "x", "--caller", "張"), "Name the customer, or a caller"),
    (("request", "reply", "1", "--note", ""), "--note: say what was replied."),
    (("request", "convert", "1", "--to", "party"), "--to: 'party' is not one of"),
    (("request", "void", "1", "--reason", " "), "--reason: say why it is voided."),
])
def test_bad_input_is_exit_2_and_writes_nothing(desk: Cli, args: tuple[str, ...],
                                                message: str) -> None:
    desk.ok("request", "open", "王小明", "問題", "--at", "09:00")
    before = desk.ok("request", "list", "--format", "json")
    code, out, err = desk(*args)
    assert (code, out) == (2, "")
    assert message in err and err.startswith("Error: ") and err.count("\n") == 1
    assert desk.ok("request", "list", "--format", "json") == before


def test_reply_at_24h_is_on_time_and_at_24h_1min_missed_for_good(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "一", "--at", "2026-11-18 09:00", now=NOW)
    desk.ok("request", "open", "李四", "二", "--at", "2026-11-18 09:00", now=NOW)
    assert "on time" in desk.ok("request", "reply", "1", "--note", "答", "--at",
                                "2026-11-19 09:00")
    assert "late" in desk.ok("request", "reply", "2", "--note", "答", "--at",
                             "2026-11-19 09:01")
    rows = json.loads(desk.ok("request", "list", "--format", "json"))
    assert [(r["reply_state"], r["overdue"], r["status"]) for r in rows] == [
        ("late", False, "replied"), ("met", False, "replied")]  # the register: newest first
    # a later reply never changes the first one's verdict
    desk.ok("request", "reply", "2", "--note", "再答", "--at", "2026-11-19 10:00")
    assert json.loads(desk.ok("request", "show", "2", "--format", "json"))["reply_state"] == (
        "late")


def test_an_unanswered_request_is_on_the_agenda_and_overdue_a_minute_after(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "空調聲音大", "--at", "2026-11-19 10:00")
    line = desk.ok("visit", "due", "--kind", "reply", now="2026-11-20T10:00:00+08:00")
    assert "due today" in line and "reply to request #1 (inquiry): 空調聲音大" in line
    code, out, _ = desk("visit", "due", "--kind", "reply", "--fail-on-overdue",
                        now="2026-11-20T10:01:00+08:00")
    assert code == 3 and "OVERDUE 1m" in out
    assert [r["id"] for r in json.loads(desk.ok("request", "list", "--overdue", "--format",
                                                "json"))] == [1]


def test_close_counts_as_the_reply_and_a_closed_request_takes_no_more(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "報修門鎖", "--kind", "repair", "--at", "09:00")
    assert desk.ok("request", "close", "1", "--note", "已修好", "--at", "09:30") == (
        "Closed request #1 (2026-11-20 09:30); reply met.\n")
    code, _, err = desk("request", "reply", "1", "--note", "x")
    assert code == 1 and "Request #1 is closed" in err


def test_convert_to_a_complaint_counts_from_the_request_and_links_both_ways(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "樓上漏水", "--at", "2026-11-19 09:40",
            "--channel", "phone")
    assert desk.ok("request", "convert", "1", "--to", "complaint", "--category", "漏水") == (
        "Converted request #1 into complaint #1.\n")
    complaint = json.loads(desk.ok("complaint", "show", "1", "--format", "json"))
    assert complaint["opened_at"] == "2026-11-19T09:40:00+08:00"
    assert complaint["response_due"] == "2026-11-20T09:40:00+08:00"
    assert complaint["events"][0]["note"] == "from request #1"
    request = json.loads(desk.ok("request", "show", "1", "--format", "json"))
    assert (request["status"], request["complaint_id"], request["reply_state"]) == (
        "converted", 1, "converted")
    assert [e["action"] for e in request["events"]] == ["opened", "converted"]


def test_convert_to_a_service_logs_it_and_schedules_its_follow_up(desk: Cli) -> None:
    desk.ok("request", "open", "李四", "更換燈管", "--kind", "repair", "--at", "08:00")
    desk.ok("request", "convert", "1", "--to", "service", "--by", "張三", "--at", "09:30")
    service = json.loads(desk.ok("service", "list", "--format", "json"))[0]
    assert (service["description"], service["by"], service["followup_due"]) == (
        "更換燈管", "張三", "2026-11-21T09:30:00+08:00")
    assert json.loads(desk.ok("request", "show", "1", "--format", "json"))["service_id"] == 1


def test_a_caller_not_on_file_cannot_be_converted(desk: Cli) -> None:
    desk.ok("request", "open", "--caller", "張先生", "漏水")
    code, _, err = desk("request", "convert", "1", "--to", "complaint")
    assert code == 1 and "add 張先生 as a customer first" in err
    assert desk.ok("complaint", "list", "--format", "json") == "[]\n"


def test_void_keeps_the_request_and_leaves_it_out_of_agenda_and_figures(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "重複", "--at", "2026-11-18 09:00")
    assert desk.ok("request", "void", "1", "--reason", "重複登記") == "Voided request #1.\n"
    assert desk.ok("visit", "due", "--kind", "reply") == ""
    shown = json.loads(desk.ok("request", "show", "1", "--format", "json"))
    assert (shown["status"], shown["void_reason"]) == ("void", "重複登記")
    assert [e["action"] for e in shown["events"]] == ["opened", "voided"]
    report = json.loads(desk.ok("report", "monthly", "--format", "json"))
    assert report["requests_received"] == 0
    code, _, err = desk("request", "void", "1", "--reason", "again")
    assert code == 1 and "already voided" in err


def test_list_in_every_format(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "一", "--at", "09:00", "--kind", "suggestion")
    desk.ok("request", "open", "李四", "二,\"引號\"", "--at", "09:30")
    table = desk.ok("request", "list")
    assert table.splitlines()[0].split() == ["id", "customer", "kind", "text", "reply", "by",
                                             "reply", "status"]
    rows = list(csv.DictReader(io.StringIO(desk.ok("request", "list", "--format", "csv"))))
    assert [r["text"] for r in rows] == ["二,\"引號\"", "一"]  # newest first
    assert list(rows[0]) == [
        "id", "customer_id", "customer", "caller", "caller_phone", "kind", "channel", "text",
        "meeting_id", "received_at", "received_by", "reply_due", "replied_at", "replied_by",
        "reply_note", "reply_state", "overdue", "status", "closed_at", "converted_at",
        "complaint_id", "service_id", "voided_at", "void_reason"]
    tsv = desk.ok("request", "list", "--format", "tsv").splitlines()
    assert tsv[0].startswith("id\tcustomer_id\t")
    jsonl = [json.loads(line) for line in desk.ok("request", "list", "--format",
                                                  "jsonl").splitlines()]
    assert [r["kind"] for r in jsonl] == ["inquiry", "suggestion"]
    assert [r["id"] for r in json.loads(desk.ok("request", "list", "--kind", "suggestion",
                                                "--format", "json"))] == [1]
    assert [r["id"] for r in json.loads(desk.ok("request", "list", "--customer", "李四",
                                                "--format", "json"))] == [2]
    assert json.loads(desk.ok("request", "list", "--month", "2026-10", "--format",
                              "json")) == []


def test_a_reply_is_a_contact_that_resets_the_cadence(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "問", "--at", "09:00")
    desk.ok("request", "reply", "1", "--note", "答", "--at", "09:30")
    customer = json.loads(desk.ok("customer", "show", "王小明", "--format", "json"))
    assert customer["last_contact_at"] == "2026-11-20T09:30:00+08:00"
    assert [r["id"] for r in customer["requests"]] == [1]


def test_monthly_report_request_figures(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "a", "--at", "2026-11-02 09:00")
    desk.ok("request", "open", "王小明", "b", "--at", "2026-11-03 09:00")
    desk.ok("request", "open", "李四", "c", "--at", "2026-11-04 09:00")
    desk.ok("request", "open", "李四", "d", "--at", "2026-11-20 09:00")  # still running
    desk.ok("request", "reply", "1", "--note", "ok", "--at", "2026-11-02 10:00")
    desk.ok("request", "reply", "2", "--note", "late", "--at", "2026-11-05 10:00")
    report = json.loads(desk.ok("report", "monthly", "--format", "json"))
    assert (report["requests_received"], report["requests_replied_on_time_pct"],
            report["request_reply_rate_pct"]) == (4, 33.3, 50.0)
    rows = dict(csv.reader(io.StringIO(desk.ok("report", "monthly", "--format", "csv"))))
    assert rows["requests_received"] == "4" and rows["notices_sent"] == "0"


def test_a_repair_request_done_later_goes_into_service_log(desk: Cli) -> None:
    desk.ok("request", "open", "李四", "洗手間燈不亮", "--kind", "repair", "--by", "黃客服",
            "--at", "08:00")
    desk.ok("service", "log", "李四", "更換燈管", "--type", "repair", "--by", "張師傅",
            "--request", "1", "--at", "09:30")
    request = json.loads(desk.ok("request", "show", "1", "--format", "json"))
    assert (request["status"], request["service_id"]) == ("converted", 1)
    followup = json.loads(desk.ok("visit", "list", "--pending", "--format", "json"))[0]
    assert followup["assigned_to"] == "黃客服"  # the order taker follows it up
    code, _, err = desk("service", "log", "王小明", "x", "--type", "repair", "--request", "1")
    assert code == 1 and "Request #1 is converted" in err
    desk.ok("request", "open", "李四", "門鎖壞", "--kind", "repair")
    code, _, err = desk("service", "log", "王小明", "x", "--type", "repair", "--request", "2")
    assert code == 2 and "request #2 is 李四's" in err
    assert len(json.loads(desk.ok("service", "list", "--format", "json"))) == 1
