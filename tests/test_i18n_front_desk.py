"""The front desk speaks Traditional Chinese: exact confirmations, tables and errors of
requests, notices, the day's screen and contracts, as a site team reads them."""

from __future__ import annotations

import pytest
from conftest import Cli


@pytest.fixture
def desk(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in ("王小明", "李四", "陳大文"):
        cli.ok("customer", "add", name, "--since", "2025-01-01")
    monkeypatch.setenv("CRMCLI_LANG", "zh-Hant")
    monkeypatch.setenv("CRMCLI_USER", "李客服")
    return cli


def test_requests_in_traditional_chinese(desk: Cli) -> None:
    assert desk.ok("request", "open", "王小明", "停車位月租多少", "--channel", "hotline",
                   "--at", "09:10") == (
        "已登記 王小明 的訴求 #1（2026-11-20 09:10）；回覆期限 2026-11-21 09:10。\n")
    assert desk.ok("request", "open", "冷氣滴水", "--caller", "張先生", "--phone", "91234567",
                   "--kind", "repair", "--at", "09:30") == (
        "已登記 張先生（來電者） 的訴求 #2（2026-11-20 09:30）；回覆期限 2026-11-21 09:30。\n")
    assert desk.ok("request", "reply", "1", "--note", "已告知", "--at", "09:40") == (
        "已回覆訴求 #1（2026-11-20 09:40，按時）。\n")
    assert desk.ok("request", "close", "2", "--at", "09:50") == (
        "訴求 #2 已結案（2026-11-20 09:50）；回覆按時。\n")
    desk.ok("request", "open", "李四", "噪音", "--at", "09:55")
    assert desk.ok("request", "convert", "3", "--to", "complaint") == "訴求 #3 已轉為投訴 #1。\n"
    assert desk.ok("request", "list") == (
        "  編號  客戶              種類    內容            回覆期限          回覆    狀態\n"
        "------  ----------------  ------  --------------  ----------------  ------  ------\n"
        "     3  李四              查詢    噪音            2026-11-21 09:55          已轉單\n"
        "     2  張先生（來電者）  維修    冷氣滴水        2026-11-21 09:30  按時    已結案\n"
        "     1  王小明            查詢    停車位月租多少  2026-11-21 09:10  按時    已回覆\n")
    assert desk.ok("request", "void", "1", "--reason", "重複") == "已作廢訴求 #1。\n"


@pytest.mark.parametrize(("args", "code", "error"), [
    (("request", "reply", "9", "--note", "x"), 1,
     "錯誤：沒有訴求 #9；`crmcli request list` 會列出訴求。\n"),
    (("request", "open", "王小明", "x", "--at", "11:00"), 2,
     "錯誤：--at 2026-11-20 11:00 是將來的時間。\n"),
    (("request", "list", "--kind", "bogus"), 2,
     "錯誤：--kind：'bogus' 不是 inquiry, repair, service, suggestion, praise, other 之一。\n"),
    (("notice", "sign", "5", "李四"), 1,
     "錯誤：沒有通知 #5；`crmcli notice list` 會列出通知。\n"),
    (("day", "close", "--note", "x", "--plan-done", "120"), 2,
     "錯誤：--plan-done：120 不是 0 到 100 的百分比。\n"),
])
def test_errors_in_traditional_chinese(desk: Cli, args: tuple[str, ...], code: int,
                                       error: str) -> None:
    assert desk(*args) == (code, "", error)


def test_a_request_replied_twice_says_why_not(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "x", "--at", "09:10")
    desk.ok("request", "close", "1", "--at", "09:20")
    assert desk("request", "reply", "1", "--note", "x") == (
        1, "", "錯誤：訴求 #1 已結案；不能再回覆。\n")


def test_notices_in_traditional_chinese(desk: Cli) -> None:
    assert desk.ok("notice", "send", "11月消防安全檢查通知", "--kind", "fire-safety", "--to",
                   "all", "--sign-off", "--at", "08:00") == (
        "已向 3 位客戶發出通知 #1（消防安全，2026-11-20 08:00）；2026-11-23 08:00 起追簽收。\n")
    assert desk.ok("notice", "sign", "1", "李四", "--at", "09:00") == (
        "李四 已簽收通知 #1（2026-11-20 09:00）；尚有 2 位未簽收。\n")
    assert desk.ok("notice", "show", "1") == (
        "通知 #1\n"
        "  編號  發送時間          種類      標題                    已簽收  狀態\n"
        "------  ----------------  --------  --------------------  --------  ------\n"
        "     1  2026-11-20 08:00  消防安全  11月消防安全檢查通知       1/3  已發出\n"
        "\n"
        "送達與簽收\n"
        "客戶編號    客戶    簽收時間          簽收人    狀態\n"
        "----------  ------  ----------------  --------  ------\n"
        "1           王小明                              未簽收\n"
        "2           李四    2026-11-20 09:00  李四      已簽收\n"
        "3           陳大文                              未簽收\n")


def test_the_end_of_the_day_in_traditional_chinese(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "停車位月租多少", "--at", "09:10")
    desk.ok("meeting", "log", "Q4 租戶大會", "--at", "2026-11-18 19:00", "--attended", "王小明")
    desk.ok("notice", "send", "停水通知", "--to", "李四", "--sign-off", "--at", "08:00")
    desk.ok("notice", "sign", "1", "李四", "--at", "09:00")
    assert desk.ok("day", "close", "--plan-done", "90", "--note", "完成回訪") == (
        "已記錄 李客服 2026-11-20 的每日記錄（#1）。\n")
    out = desk.ok("today")
    assert out.startswith("今日已登記\n"
                          "時間              經辦人    事項          編號    客戶    內容\n")
    assert "李客服    訴求登記      #1      王小明  停車位月租多少\n" in out
    assert "李客服    通知已簽收    #1      李四    由 李四 簽收\n" in out
    assert "\n明日到期\n" in out and "回覆客戶" not in out
    assert desk.ok("meeting", "void", "1", "--reason", "登記錯誤") == "已作廢租戶大會 #1。\n"


def test_contracts_and_payments_in_traditional_chinese(desk: Cli) -> None:
    assert desk.ok("contract", "add", "王小明", "--start", "2026-01-01", "--end", "2026-12-31",
                   "--amount", "8500") == (
        "已為 王小明 新增合同 #1：2026-01-01 至 2026-12-31，登記時間 2026-11-20 10:00。\n")
    assert desk.ok("invoice", "issue", "王小明", "8500", "--due", "2026-12-05") == (
        "已向 王小明 開出發票 #1：8500.00 CNY，2026-12-05 到期，時間 2026-11-20 10:00。\n")
    assert desk.ok("payment", "record", "王小明", "9000", "--invoice", "1") == (
        "已記錄 王小明 的收款 #1：9000.00 CNY，時間 2026-11-20 10:00；預收 500.00 CNY。\n")


def test_overdue_spans_are_said_in_chinese(desk: Cli) -> None:
    desk.ok("request", "open", "王小明", "x", "--at", "2026-11-18 08:00")
    out = desk.ok("visit", "due", "--kind", "reply")
    assert "逾期 1 天 2 小時" in out and "2h" not in out


def test_a_step_a_closed_complaint_cannot_take_says_so_in_chinese(desk: Cli) -> None:
    desk.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    desk.ok("complaint", "close", "1", "--resolution", "已修好", "--at", "09:30")
    assert desk("complaint", "escalate", "1", "--reason", "x") == (
        1, "", "錯誤：投訴 #1 已結案；要升級請先重開。\n")


def test_a_word_with_two_senses_reads_right_in_each_table(desk: Cli) -> None:
    # "paid" is a service charged for (有償服務) and an invoice settled (已付清): one stored
    # word, two meanings; csv keeps the stored word either way.
    desk.ok("service", "log", "王小明", "更換門鎖", "--type", "paid", "--fee", "80")
    desk.ok("invoice", "issue", "王小明", "100", "--due", "2026-12-05")
    desk.ok("payment", "record", "王小明", "100", "--invoice", "1")
    services = desk.ok("service", "list")
    assert "有償服務" in services and "已付清" not in services
    invoices = desk.ok("invoice", "list")
    assert "已付清" in invoices and "有償服務" not in invoices
    assert ",paid," in desk.ok("service", "list", "--format", "csv")
    assert ",paid," in desk.ok("invoice", "list", "--format", "csv")
