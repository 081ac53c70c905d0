"""Nobody let in: a confidential customer's phone, email and address appear in no output of any
command — lists, exports, reports, confirmations, error messages, --debug tracebacks — unless
`--reveal --reason` is given, and then the access log says who, when and why (SPEC §2, seed 003).

Every command of the tree is run here against the confidential customer (a test fails when a new
command has no case), in every output format, and stdout and stderr are searched for the details.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli
from fixtures.make_fixtures import (
    SECRET_ADDRESS,
    SECRET_ALLERGY,
    SECRET_EMAIL,
    SECRET_HEALTH,
    SECRET_NAME,
    SECRET_PHONE,
    SECRET_UNIT,
    build,
)
from test_reliability_input import command_paths

from crmcli import fields

SCRIPT = Path(sys.executable).parent / "crmcli"
# The details, and the parts of them a mask must hide: 139****78, s***@***.com, 深圳市****,
# 保密苑****; the sensitive preference and note (of another customer) wholly.
LEAKS = [SECRET_PHONE, SECRET_PHONE[3:], SECRET_PHONE[:7], SECRET_PHONE[-4:], SECRET_EMAIL,
         SECRET_EMAIL[:9], "ecret", SECRET_ADDRESS, SECRET_ADDRESS[3:], "保密路",
         SECRET_UNIT, "2301", SECRET_ALLERGY, "花生", SECRET_HEALTH, "起搏器"]
FORMATS = ["table", "csv", "tsv", "json", "jsonl"]


def each_format(*args: str) -> list[list[str]]:
    return [[*args, "--format", fmt] for fmt in FORMATS]


# Command → invocations that show, list, count, change or fail on the confidential customer
# (#4 李秘密, whose complaint is #1). Commands that change something run on a fresh copy.
CASES: dict[str, list[list[str]]] = {
    "init": [["init"]],
    "backup": [["backup", "{tmp}/copy.db"], ["backup", "{tmp}/copy.db"]],
    "check": [["check"]],
    "db path": [["db", "path"]],
    "db status": each_format("db", "status"),
    "hq report": [*each_format("hq", "report", "--sites", "{tmp}"),
                  ["hq", "report", "--sites", "{tmp}", "--month", "2026-11", "--format", "json"]],
    "hq due": [*each_format("hq", "due", "--sites", "{tmp}"),
               *each_format("hq", "due", "--sites", "{tmp}", "--oldest", "50")],
    "replicate config": [["replicate", "config", "--to", "file://{tmp}/replica"]],
    "replicate status": each_format("replicate", "status"),
    "restore": [["restore", "--from", "file://{tmp}/replica", "--to", "{tmp}/restored.db"]],
    "customer add": [["customer", "add", SECRET_NAME], ["customer", "add", "李 秘密"],
                     ["customer", "add", "新客", "--phone", "bad phone", "--format", "json"]],
    "customer list": [*each_format("customer", "list"),
                      ["customer", "list", "--confidential", "--format", "json"],
                      ["customer", "list", "--search", SECRET_NAME, "--format", "csv"],
                      ["customer", "list", "--search", "1391234", "--format", "json"],
                      ["customer", "list", "--search", "secret", "--format", "jsonl"],
                      ["customer", "list", "--reveal", "--format", "json"],
                      ["customer", "list", "--reason", "看看", "--format", "json"]],
    "customer show": [*each_format("customer", "show", SECRET_NAME),
                      ["customer", "show", "4", "--reveal"],
                      ["customer", "show", "4", "--reason", "想看"],
                      ["customer", "show", "4", "--reveal", "--reason", ""]],
    "customer edit": [["customer", "edit", SECRET_NAME, "--note", "改了備註", "--format", "json"],
                      ["customer", "edit", "4", "--phone", "13700137000"],
                      ["customer", "edit", "4", "--phone", "13700137000", "--format", "json"],
                      ["customer", "edit", "4", "--name", "王小明"],
                      ["customer", "edit", "4", "--email", "not an email"]],
    "customer history": each_format("customer", "history", SECRET_NAME),
    "customer import": [["customer", "import", "{tmp}/same.csv"],
                        ["customer", "import", "{tmp}/same.csv", "--update-existing"],
                        ["customer", "import", "{tmp}/same.csv", "--skip-existing"]],
    "customer export": [*each_format("customer", "export"),
                        ["customer", "export", "--reveal"],
                        ["customer", "export", "--tag", "none", "--format", "json"]],
    "access-log": each_format("access-log", "--customer", SECRET_NAME),
    "complaint open": [["complaint", "open", SECRET_NAME, "又吵了", "--category", "噪音"],
                       ["complaint", "open", "4", "門禁", "--severity", "major", "--format",
                        "json"],
                       ["complaint", "open", "4", "x", "--at", "tomorrow"],
                       ["complaint", "open", "4", "又吵", "--complainant", "李太",
                        "--contact", SECRET_EMAIL, "--format", "json"],
                       *each_format("complaint", "open", "4", "又吵", "--contact",
                                    SECRET_PHONE)],
    "complaint respond": [["complaint", "respond", "1", "--format", "json"]],
    "complaint escalate": [["complaint", "escalate", "1", "--reason", "再升級", "--format",
                            "json"]],
    "complaint upgrade": [["complaint", "upgrade", "1"]],
    "complaint close": [["complaint", "close", "1", "--resolution", "已協調", "--format", "json"],
                        ["complaint", "close", "1", "--resolution", "已協調", "--case"]],
    "complaint reopen": [["complaint", "reopen", "1", "--reason", "x"]],
    "complaint note": [["complaint", "note", "1", "備註", "--format", "json"]],
    "complaint case": [["complaint", "case", "1"]],
    "complaint report": [["complaint", "report", "1", "--format", "json"],
                         ["complaint", "report", "1"]],
    "complaint void-event": [["complaint", "void-event", "1", "2", "--reason", "記錯",
                              "--format", "json"]],
    "complaint edit": [["complaint", "edit", "1", "--category", "噪聲", "--reason", "更正",
                        "--format", "json"], ["complaint", "edit", "1", "--summary", "x"]],
    "complaint plan": [["complaint", "edit", "1", "--department", "工程部", "--format", "json"],
                       ["complaint", "plan", "1", "--text", "換鎖", "--format", "json"]],
    "complaint refer": [["complaint", "refer", "1", "--to", "保安部", "--due", "+1d",
                         "--format", "json"], ["complaint", "refer", "1", "--to", "x",
                                               "--due", "+1d"]],
    "complaint refer-done": [["complaint", "refer-done", "1", "99", "--format", "json"]],
    "complaint validity": [["complaint", "validity", "1", "--unreasonable", "--reason", "無理",
                            "--format", "json"], ["complaint", "validity", "1", "--valid"]],
    "complaint opinion": [["complaint", "opinion", "1", "--text", "同意", "--format", "json"]],
    "complaint notify": [["complaint", "notify", "1", "--written", "--format", "json"],
                         ["complaint", "notify", "1", "--verbal"]],
    "visit void": [["visit", "void", "1", "--reason", "記錯", "--format", "json"]],
    "visit refer": [["visit", "refer", "1", "--to", "工程部", "--format", "json"]],
    "service void": [["service", "void", "1", "--reason", "重複", "--format", "json"]],
    "complaint list": [*each_format("complaint", "list"),
                       ["complaint", "list", "--customer", SECRET_NAME, "--format", "json"]],
    "complaint show": each_format("complaint", "show", "1"),
    "complaint sweep": each_format("complaint", "sweep"),
    "visit log": [["visit", "log", SECRET_NAME, "--method", "wechat", "--format", "json"],
                  ["visit", "log", "4", "--method", "phone", "--complaint", "1"],
                  ["visit", "log", "4", "--method", "fax"]],
    "visit schedule": [["visit", "schedule", SECRET_NAME, "--due", "2026-11-25", "--format",
                        "json"],
                       ["visit", "schedule", "4", "--due", "+3d"]],
    "visit cancel": [["visit", "cancel", "5"], ["visit", "cancel", "1"]],
    "visit list": [*each_format("visit", "list"), ["visit", "list", "--customer", "4"]],
    "visit due": [*each_format("visit", "due", "--within", "30d"),
                  ["visit", "due", "--fail-on-overdue"]],
    "care": each_format("care", "--within", "30d"),
    "service log": [["service", "log", SECRET_NAME, "更換門鎖", "--type", "paid", "--fee", "80",
                     "--format", "json"],
                    ["service", "log", "4", "x", "--type", "x"]],
    "service list": each_format("service", "list"),
    "report monthly": [*each_format("report", "monthly"),
                       ["report", "monthly", "--format", "markdown"],
                       ["report", "monthly", "--by", "customer", "--format", "json"],
                       ["report", "monthly", "--month", "last", "--format", "csv"]],
    "report quarterly": [*each_format("report", "quarterly"),
                         ["report", "quarterly", "--by", "segment"]],
    "request open": [["request", "open", SECRET_NAME, "又問", "--format", "json"],
                     ["request", "open", "4", "x", "--kind", "bad"]],
    "request reply": [["request", "reply", "1", "--note", "已答", "--format", "json"]],
    "request close": [["request", "close", "1", "--format", "json"]],
    "request convert": [["request", "convert", "1", "--to", "complaint", "--format", "json"]],
    "request void": [["request", "void", "1", "--reason", "重複", "--format", "json"]],
    "request list": [*each_format("request", "list"),
                     ["request", "list", "--customer", SECRET_NAME, "--format", "json"]],
    "request show": each_format("request", "show", "1"),
    "meeting log": [["meeting", "log", "特別會議", "--at", "09:00", "--kind", "special",
                     "--attended", SECRET_NAME, "--format", "json"]],
    "meeting void": [["meeting", "void", "1", "--reason", "記錯", "--format", "json"]],
    "meeting list": each_format("meeting", "list"),
    "meeting show": each_format("meeting", "show", "1"),
    "notice send": [["notice", "send", "颱風預警", "--kind", "weather", "--format", "json"],
                    ["notice", "send", "整改函", "--to", SECRET_NAME, "--sign-off"]],
    "notice sign": [["notice", "sign", "1", SECRET_NAME, "--format", "json"]],
    "notice void": [["notice", "void", "1", "--reason", "發錯", "--format", "json"]],
    "notice list": each_format("notice", "list"),
    "notice show": each_format("notice", "show", "1"),
    "today": each_format("today"),
    "day close": [["day", "close", "--note", "ok", "--format", "json"]],
    "day list": each_format("day", "list"),
    "report meetings": each_format("report", "meetings"),
    "visit kinds": each_format("visit", "kinds"),
    "archive": [["archive", "--dry-run"], ["archive", "--dry-run", "--format", "json"]],
    "policy show": each_format("policy", "show"),
    "policy set": [["policy", "set", "cadence.segment.owner", "2w"]],
    "customer review": [["customer", "review", SECRET_NAME, "--note", "按時付款", "--format",
                         "json"], ["customer", "review", "4", "--note", "x"]],
    "contract add": [["contract", "add", SECRET_NAME, "--start", "2026-01-01", "--end",
                      "2026-12-31", "--amount", "8500", "--billing", "monthly", "--format",
                      "json"]],
    "contract renew": [["contract", "renew", "1", "--end", "2027-12-31", "--format", "json"]],
    "contract end": [["contract", "end", "2", "--moved-out", "--format", "json"]],
    "contract list": each_format("contract", "list"),
    "invoice issue": [["invoice", "issue", SECRET_NAME, "1234.56", "--due", "2026-11-01",
                       "--format", "json"],
                      ["invoice", "issue", "--from-contracts", "--month", "2026-11"]],
    "invoice list": each_format("invoice", "list"),
    "payment record": [["payment", "record", SECRET_NAME, "1000", "--format", "json"]],
    "payment refuse": [["payment", "refuse", "1", "--reason", "退票", "--format", "json"]],
    "payment report": [["payment", "report", "1", "--format", "json"]],
    "payment list": each_format("payment", "list"),
    "report grades": each_format("report", "grades"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("privacy") / "site.db"
    build(path)
    return path


@pytest.fixture
def copy(site: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "site.db"  # not crm.db: the cli fixture has made that one (and its WAL)
    shutil.copyfile(site, path)
    (tmp_path / "same.csv").write_text(
        f"name,phone,email,address,confidential\n{SECRET_NAME},13700137000,,,yes\n",
        encoding="utf-8")
    yield path


def leaked(text: str) -> list[str]:
    return [secret for secret in LEAKS if secret in text]


def access_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM access_log").fetchone()[0])
    finally:
        conn.close()


def masked_phone(cli: Cli, path: Path) -> str:
    listed = json.loads(cli.ok("--db", str(path), "customer", "list", "--confidential",
                               "--format", "json"))
    assert [c["name"] for c in listed] == [SECRET_NAME]
    assert listed[0]["phone"] == fields.mask_phone(SECRET_PHONE) == "139****78"
    return str(listed[0]["phone"])


def test_every_command_has_a_privacy_case() -> None:
    missing = set(command_paths()) - set(CASES)
    assert not missing, f"add privacy cases for: {sorted(missing)}"


@pytest.mark.parametrize("command", sorted(CASES))
def test_no_command_shows_confidential_details_unrevealed(cli: Cli, copy: Path,
                                                          command: str) -> None:
    runs = 0
    logged = access_count(copy)
    assert masked_phone(cli, copy)  # the secret is there to leak
    for args in CASES[command]:
        args = [arg.replace("{tmp}", str(copy.parent)) for arg in args]
        code, out, err = cli("--db", str(copy), *args)
        assert code in (0, 1, 2, 3), (args, err)
        assert "Traceback" not in err
        assert leaked(out + err) == [], (args, out, err)
        runs += 1
    assert access_count(copy) == logged, "something was revealed (and logged) unasked"
    assert runs


def test_reveal_with_a_reason_shows_the_details_and_logs_who_when_why(cli: Cli, copy: Path
                                                                      ) -> None:
    shown = json.loads(cli.ok("--db", str(copy), "customer", "show", SECRET_NAME, "--reveal",
                              "--reason", "客戶來電核對", "--format", "json"))
    assert (shown["phone"], shown["email"], shown["address"]) == (
        SECRET_PHONE, SECRET_EMAIL, SECRET_ADDRESS)
    exported = cli.ok("--db", str(copy), "customer", "export", "--reveal", "--reason", "年度核對")
    assert SECRET_PHONE in exported
    assert SECRET_HEALTH in exported  # another customer's sensitive note: revealed, logged
    log = json.loads(cli.ok("--db", str(copy), "access-log", "--format", "json"))
    assert sorted((e["by"], e["customer"], e["action"], e["reason"]) for e in log[:3]) == [
        ("tester", SECRET_NAME, "export", "年度核對"),
        ("tester", SECRET_NAME, "show", "客戶來電核對"),
        ("tester", "王小明", "export", "年度核對")]
    assert all(e["at"] for e in log)


def test_the_history_of_a_confidential_customer_keeps_details_masked(cli: Cli, copy: Path
                                                                      ) -> None:
    cli.ok("--db", str(copy), "customer", "edit", SECRET_NAME, "--phone", "13700137000",
           "--email", "new.secret@example.com", "--address", "深圳市羅湖區新址1號")
    for args in each_format("customer", "history", SECRET_NAME):
        out = cli.ok("--db", str(copy), *args)
        assert leaked(out) == [] and "13700137000" not in out and "new.secret" not in out
        assert "羅湖區新址" not in out


def test_unmarking_a_customer_needs_a_reason_and_is_logged_like_a_reveal(cli: Cli, copy: Path
                                                                         ) -> None:
    """Un-marking shows the details from then on to everyone (that is its point): it needs a
    reason, is written to the access log, and the customer's history keeps who and when."""
    logged = access_count(copy)
    for missing in ([], ["--reason", ""], ["--reason", "\u200b"]):
        code, out, err = cli("--db", str(copy), "customer", "edit", SECRET_NAME,
                             "--not-confidential", *missing)
        assert code == 2 and "--reason" in err and leaked(out + err) == []
    assert access_count(copy) == logged
    assert masked_phone(cli, copy)
    cli.ok("--db", str(copy), "customer", "edit", SECRET_NAME, "--not-confidential",
           "--reason", "業主書面同意")
    history = json.loads(cli.ok("--db", str(copy), "customer", "history", SECRET_NAME,
                                "--format", "json"))
    assert [(h["field"], h["old"], h["new"], h["by"]) for h in history][-1] == (
        "confidential", "1", "0", "tester")
    log = json.loads(cli.ok("--db", str(copy), "access-log", "--format", "json"))
    assert (log[0]["customer"], log[0]["action"], log[0]["reason"]) == (
        SECRET_NAME, "unmark", "業主書面同意")


def debug_run(db: Path, *args: str, **env: str) -> str:
    values = {k: v for k, v in os.environ.items() if not k.startswith("CRMCLI_")}
    values.update({"CRMCLI_DB": str(db), "CRMCLI_NOW": "2026-11-20T10:00:00+08:00",
                   "TZ": "Asia/Shanghai", "COLUMNS": "200", **env})
    done = subprocess.run([str(SCRIPT), *args], env=values, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode != 0
    return done.stdout + done.stderr


@pytest.mark.parametrize(("args", "env"), [
    (["--debug", "customer", "edit", SECRET_NAME, "--name", "王小明"], {}),
    (["--debug", "customer", "show", SECRET_NAME, "--reveal"], {}),
    (["customer", "export", "--reveal"], {"CRMCLI_DEBUG": "1"}),
    (["--debug", "complaint", "close", "1", "--resolution", "x", "--at", "2020-01-01"], {}),
    (["--debug", "customer", "edit", SECRET_NAME, "--note", "x"], {"FAIL_WRITES": "1"}),
    (["--debug", "customer", "edit", "4", "--phone", "13700137000"], {"FAIL_WRITES": "1"}),
])
def test_debug_tracebacks_carry_no_confidential_details(copy: Path, args: list[str],
                                                        env: dict[str, str]) -> None:
    """The records in the frames of a traceback (found, before, rows…) are never printed."""
    if env.pop("FAIL_WRITES", None):  # the write fails deep inside, with the record loaded
        conn = sqlite3.connect(copy)
        conn.execute("CREATE TRIGGER fail BEFORE UPDATE ON customers "
                     "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        conn.commit()
        conn.close()
    text = debug_run(copy, *args, **env)
    assert "Traceback" in text
    assert leaked(text) == [], text
