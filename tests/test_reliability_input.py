"""Bad input, generated: whatever is typed, crmcli answers with exit 0, 1, 2 or 3, never a
traceback, and a command that fails leaves the database exactly as it was (SPEC §3, §4).

Hypothesis drives the commands in-process with arbitrary text, dates, numbers, huge and empty
strings, control characters, SQL metacharacters and mixed scripts, on a copy of a small site
(tests/fixtures/make_fixtures.py). After a command that changed the file, the everyday commands
must still work: accepted input must not break the file for everyone else.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.make_fixtures import SECRET_NAME, build
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from crmcli.cli import app

EXAMPLES = 200
SLOW_EXAMPLES = 2000
_counter = itertools.count()
UNEXPECTED = re.compile(r"Error: unexpected \w+;")

NASTY = [
    "", " ", "\t", "\n", "\r\n", "'", '"', "`", "\\", "%", "_", "%_%", "*", "?", ";", "--",
    "'; DROP TABLE customers; --", "Robert'); DELETE FROM complaints;--", "1 OR 1=1",
    "\" OR \"\"=\"", "NULL", "null", "None", "true", "[]", "{}", '{"a": [1, {"b": null}]}',
    "\x00", "a\x00b", "\x1b[31mred\x1b[0m", "\x07", "\x7f", "\u202etxt.exe", "\ufeff王小明",
    "\u200b", "\ud800", "\udcb9\udcfe", "王小明", "李秘密", "陳大文", "深圳數據科技有限公司",
    "zhang wei", "ＺＨＡＮＧ　ＷＥＩ", "Zhang\u00a0Wei", "עברית", "مرحبا", "😀" * 3, "ß", "İ",
    "1", "#1", "#", "0", "-1", "+1", "01", "1.5", "1e3", "²", "١٢٣", "５", "Ⅻ", "0x10",
    "9223372036854775807", "9223372036854775808", "99999999999999999999", "-99999999999999999999",
    "nan", "NaN", "inf", "-inf", "1e308", "1e-308", "x" * 2001, "漢" * 2001, "a " * 1500,
]
_huge = st.sampled_from(["y" * 100_000, "字" * 100_000, "\n" * 5000])
# Half the draws come from the list above: random text alone rarely hits the edges that matter.
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=30), st.sampled_from(NASTY),
                 st.text(alphabet=st.characters(codec="utf-8"), max_size=8), _huge)
number = st.one_of(st.integers(-10, 10).map(str), st.integers(-2**70, 2**70).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(str), text)
customer = st.one_of(st.sampled_from(["王小明", "1", "4", "#2", SECRET_NAME, "Zhang Wei",
                                      "zhang  wei", "99"]), text)
complaint_id = st.one_of(st.sampled_from(["1", "2", "3", "4", "5"]), number)
when = st.one_of(
    st.sampled_from([
        "09:40", "0940", "yesterday 15:00", "昨天 09:00", "2026-11-20 10:00", "2026-11-19",
        "now", "today", "tomorrow", "-2h", "2h ago", "+3d", "-3d", "10", "2400", "25:00",
        "2026-02-30", "2026-11-19T09:00:00+14:00", "2026-11-19T09:00:00-12:00", "0001-01-01",
        "9999-12-31 23:59", "10000-01-01", "+99999999999d", "-99999999999w", "-999999999m",
        "1e9", "Nov 19 2026 3pm", "last tuesday", "2026-11-20T10:00:59+08:00",
    ]),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")), text)
span = st.one_of(st.sampled_from(["3d", "2w", "1mo", "0d", "1y", "10", "-1d", "99999999999y",
                                  "999999999d", "5000y", "1 mo", "3 days"]), text)
month = st.one_of(st.sampled_from(["2026-11", "2026-10", "this", "last", "2026-13", "0000-01",
                                   "9999-12", "2026-1", "1-2026"]), text)
quarter = st.one_of(st.sampled_from(["2026Q4", "2026Q1", "2026Q5", "0Q1", "9999Q4"]), text)
fmt = st.sampled_from(["table", "csv", "tsv", "json", "jsonl", "markdown", "xml", ""])
method = st.one_of(st.sampled_from(["phone", "wechat", "in-person", "email", "letter"]), text)
visit_kind = st.one_of(st.sampled_from(["complaint", "repair", "paid", "survey", "routine",
                                        "care", "cadence", "followup", "deadline"]), text)
policy_key = st.one_of(st.sampled_from([
    "response_hours", "upgrade_days", "report_minutes", "resolve_hours", "followup_hours",
    "service_followup_hours", "new_customer_days", "cadence_new", "cadence_established",
    "annual_visit_days", "grade_new_customer_days", "retention_years", "region",
    "area_manager", "department_head", "cadence.tag.VIP", "cadence.segment.owner",
    "cadence.tag.", "cadence.tag.'; --"]), text)
policy_value = st.one_of(number, span, st.sampled_from(["CN", "HK", "TW", "ZZ", "US-CA",
                                                        "cn", "XX-99"]), text)



@st.composite
def csv_file(draw: st.DrawFn) -> bytes:
    """The bytes of a CSV to import: any header, any cells, any encoding, maybe cut short."""
    columns = draw(st.lists(st.one_of(st.sampled_from([
        "name", "phone", "email", "address", "grade", "tags", "since", "birthday",
        "preferences", "confidential", "id", "Name", "電話", "mobile"]), text),
        min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(st.one_of(st.sampled_from(["王小明", "新客戶", "A", "yes",
                                                              "13800138000", "2026-01-02"]),
                                            text), min_size=0, max_size=6), max_size=4))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [columns, *rows]:
        writer.writerow(row)
    content = buffer.getvalue() + draw(st.sampled_from(["", '"unterminated,1\n', "\r\n",
                                                        "\x00"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "big5", "utf-16"]))
    data = content.encode(encoding, errors="ignore" if encoding != "utf-8" else
                          "surrogatepass")
    return draw(st.one_of(st.just(data), st.binary(max_size=200)))


amount = st.one_of(st.sampled_from(["1234.56", "0.01", "1,000", "-5", "1e3", "0", "¥80",
                                     "1234.567", "nan"]), text)
Options = dict[str, st.SearchStrategy[str]]
CUSTOMER_OPTIONS: Options = {
    "--contact": text, "--phone": st.one_of(st.sampled_from(["13800138000", "+852 9123 4567"]),
                                            text),
    "--email": st.one_of(st.just("a@b.cn"), text), "--address": text, "--site": text,
    "--unit": text, "--segment": text, "--grade": st.one_of(st.sampled_from("ABCabcD"), text),
    "--since": when, "--birthday": st.one_of(st.sampled_from(["03-12", "02-29", "1985-03-12",
                                                              "13-01", "--03-12"]), when),
    "--tag": text, "--note": text,
    "--preference": st.one_of(st.sampled_from(["language=粵語", "a=", "=b", "{}", "[1]",
                                               '{"k": 1}']), text),
}
COMMANDS: dict[str, tuple[list[str], list[st.SearchStrategy[Any]], Options, list[str]]] = {
    # name: (command words, positional arguments, options with values, flags)
    "customer add": (["customer", "add"], [text], CUSTOMER_OPTIONS,
                     ["--confidential", "--allow-duplicate"]),
    "customer edit": (["customer", "edit"], [customer],
                      {**CUSTOMER_OPTIONS, "--name": text, "--untag": text},
                      ["--confidential", "--not-confidential", "--allow-duplicate"]),
    "customer list": (["customer", "list"], [],
                      {"--grade": text, "--tag": text, "--segment": text, "--search": text,
                       "--limit": number, "--format": fmt}, ["--confidential", "--bom"]),
    "customer show": (["customer", "show"], [customer], {"--reason": text, "--format": fmt},
                      ["--reveal"]),
    "customer history": (["customer", "history"], [customer], {"--format": fmt}, []),
    "customer export": (["customer", "export"], [], {"--grade": text, "--tag": text,
                                                     "--reason": text, "--format": fmt},
                        ["--reveal"]),
    "complaint open": (["complaint", "open"], [customer, text],
                       {"--severity": st.one_of(st.sampled_from(["minor", "major", "auto"]),
                                                text),
                        "--category": text, "--channel": st.one_of(st.just("phone"), text),
                        "--at": when, "--by": text, "--owner": text, "--note": text,
                        "--complainant": text, "--contact": text, "--department": text,
                        "--format": fmt}, []),
    "complaint respond": (["complaint", "respond"], [complaint_id],
                          {"--note": text, "--at": when, "--by": text, "--format": fmt}, []),
    "complaint escalate": (["complaint", "escalate"], [complaint_id],
                           {"--reason": text, "--to": text, "--level": number, "--at": when,
                            "--by": text}, []),
    "complaint upgrade": (["complaint", "upgrade"], [complaint_id],
                          {"--reason": text, "--at": when}, []),
    "complaint close": (["complaint", "close"], [complaint_id],
                        {"--resolution": text, "--at": when, "--by": text, "--format": fmt},
                        ["--case", "--written-notice"]),
    "complaint reopen": (["complaint", "reopen"], [complaint_id],
                         {"--reason": text, "--at": when}, []),
    "complaint note": (["complaint", "note"], [complaint_id, text], {"--at": when}, []),
    "complaint report": (["complaint", "report"], [complaint_id],
                         {"--to": text, "--note": text, "--at": when, "--by": text,
                          "--format": fmt}, []),
    "complaint void-event": (["complaint", "void-event"], [complaint_id, complaint_id],
                             {"--reason": text, "--format": fmt}, []),
    "complaint edit": (["complaint", "edit"], [complaint_id],
                       {"--summary": text, "--category": text, "--department": text,
                        "--severity": st.one_of(st.sampled_from(["minor", "major"]), text),
                        "--reason": text, "--at": when, "--format": fmt}, []),
    "complaint plan": (["complaint", "plan"], [complaint_id],
                       {"--text": text, "--at": when, "--by": text, "--format": fmt}, []),
    "complaint refer": (["complaint", "refer"], [complaint_id],
                        {"--to": text, "--due": when, "--text": text, "--at": when,
                         "--by": text, "--format": fmt}, []),
    "complaint refer-done": (["complaint", "refer-done"], [complaint_id, complaint_id],
                             {"--note": text, "--at": when, "--by": text, "--format": fmt}, []),
    "complaint validity": (["complaint", "validity"], [complaint_id],
                           {"--reason": text, "--at": when, "--by": text, "--format": fmt},
                           ["--unreasonable", "--valid"]),
    "complaint opinion": (["complaint", "opinion"], [complaint_id],
                          {"--text": text, "--at": when, "--by": text, "--format": fmt}, []),
    "complaint notify": (["complaint", "notify"], [complaint_id],
                         {"--note": text, "--at": when, "--by": text, "--format": fmt},
                         ["--written", "--verbal"]),
    "visit void": (["visit", "void"], [complaint_id], {"--reason": text, "--format": fmt}, []),
    "visit refer": (["visit", "refer"], [complaint_id], {"--to": text, "--format": fmt}, []),
    "service void": (["service", "void"], [complaint_id], {"--reason": text,
                                                           "--format": fmt}, []),
    "complaint case": (["complaint", "case"], [complaint_id], {"--by": text}, ["--remove"]),
    "complaint list": (["complaint", "list"], [],
                       {"--status": text, "--severity": text, "--customer": customer,
                        "--category": text, "--month": month, "--limit": number,
                        "--format": fmt}, ["--overdue", "--cases", "--repeats"]),
    "complaint show": (["complaint", "show"], [complaint_id], {"--format": fmt}, []),
    "complaint sweep": (["complaint", "sweep"], [], {"--format": fmt}, ["--dry-run"]),
    "visit log": (["visit", "log"], [customer],
                  {"--method": method, "--kind": visit_kind, "--complaint": complaint_id,
                   "--service": complaint_id, "--visit": complaint_id,
                   "--satisfaction": number, "--quality": number, "--attitude": number,
                   "--shortcomings": text, "--suggestion": text, "--note": text, "--at": when,
                   "--by": text, "--format": fmt},
                  ["--price-ok", "--price-wrong", "--unresolved"]),
    "visit schedule": (["visit", "schedule"], [customer],
                       {"--due": when, "--kind": visit_kind, "--assign": text,
                        "--method": method, "--note": text, "--format": fmt}, []),
    "visit cancel": (["visit", "cancel"], [complaint_id], {"--reason": text}, []),
    "visit list": (["visit", "list"], [],
                   {"--customer": customer, "--kind": visit_kind, "--month": month,
                    "--limit": number, "--format": fmt},
                   ["--pending", "--done", "--overdue", "--cancelled"]),
    "visit due": (["visit", "due"], [], {"--within": span, "--kind": visit_kind,
                                         "--owner": text, "--format": fmt},
                  ["--fail-on-overdue"]),
    "care": (["care"], [], {"--within": span, "--format": fmt}, []),
    "service log": (["service", "log"], [customer, text],
                    {"--type": st.one_of(st.sampled_from(["repair", "maintenance", "paid"]),
                                         text),
                     "--fee": number, "--at": when, "--by": text, "--received-by": text,
                     "--request": complaint_id}, []),
    "service list": (["service", "list"], [], {"--customer": customer, "--type": text,
                                               "--month": month, "--format": fmt}, []),
    "report monthly": (["report", "monthly"], [], {"--month": month, "--by": text,
                                                   "--format": fmt}, []),
    "report quarterly": (["report", "quarterly"], [], {"--quarter": quarter, "--by": text,
                                                       "--sort": text}, []),
    "policy set": (["policy", "set"], [policy_key, policy_value], {}, []),
    "customer import": (["customer", "import"], [csv_file()], {},
                        ["--dry-run", "--skip-existing", "--update-existing",
                         "--allow-duplicate"]),
    "access-log": (["access-log"], [], {"--customer": customer, "--limit": number}, []),
    "request open": (["request", "open"], [customer, text],
                     {"--kind": text, "--channel": text, "--caller": text, "--phone": text,
                      "--meeting": complaint_id, "--at": when, "--by": text, "--format": fmt},
                     []),
    "request reply": (["request", "reply"], [complaint_id],
                      {"--note": text, "--at": when, "--by": text, "--format": fmt}, []),
    "request close": (["request", "close"], [complaint_id],
                      {"--note": text, "--at": when, "--by": text}, []),
    "request convert": (["request", "convert"], [complaint_id],
                        {"--to": st.one_of(st.sampled_from(["complaint", "service"]), text),
                         "--severity": text, "--category": text, "--type": text,
                         "--at": when, "--by": text}, []),
    "request void": (["request", "void"], [complaint_id], {"--reason": text}, []),
    "request list": (["request", "list"], [],
                     {"--kind": text, "--month": month, "--customer": customer,
                      "--meeting": complaint_id, "--limit": number, "--format": fmt},
                     ["--open", "--overdue"]),
    "request show": (["request", "show"], [complaint_id], {"--format": fmt}, []),
    "meeting log": (["meeting", "log"], [text],
                    {"--at": when, "--kind": text, "--attended": customer, "--note": text,
                     "--by": text, "--format": fmt}, []),
    "meeting void": (["meeting", "void"], [complaint_id], {"--reason": text}, []),
    "meeting list": (["meeting", "list"], [], {"--year": number, "--customer": customer,
                                               "--format": fmt}, []),
    "meeting show": (["meeting", "show"], [complaint_id], {"--format": fmt}, []),
    "notice send": (["notice", "send"], [text],
                    {"--kind": text, "--to": st.one_of(st.just("all"), customer, text),
                     "--note": text, "--at": when, "--by": text, "--format": fmt},
                    ["--sign-off"]),
    "notice sign": (["notice", "sign"], [complaint_id, customer], {"--at": when, "--by": text},
                    []),
    "notice void": (["notice", "void"], [complaint_id], {"--reason": text}, []),
    "notice list": (["notice", "list"], [], {"--kind": text, "--month": month,
                                             "--limit": number, "--format": fmt},
                    ["--unsigned"]),
    "notice show": (["notice", "show"], [complaint_id], {"--format": fmt}, ["--unsigned"]),
    "today": (["today"], [], {"--by": text, "--format": fmt}, []),
    "day close": (["day", "close"], [], {"--note": text, "--plan-done": number, "--by": text,
                                         "--day": when}, []),
    "day list": (["day", "list"], [], {"--month": month, "--by": text, "--format": fmt}, []),
    "report meetings": (["report", "meetings"], [], {"--year": number, "--format": fmt}, []),
    "archive": (["archive"], [], {"--before": when, "--format": fmt}, ["--dry-run"]),
    "customer review": (["customer", "review"], [customer],
                        {"--note": text, "--grade": st.one_of(st.sampled_from("ABCx"), text),
                         "--at": when, "--by": text, "--format": fmt}, []),
    "contract add": (["contract", "add"], [customer],
                     {"--start": when, "--end": when, "--amount": amount,
                      "--billing": st.one_of(st.sampled_from(["monthly", "once"]), text),
                      "--note": text, "--format": fmt}, []),
    "contract renew": (["contract", "renew"], [complaint_id],
                       {"--end": when, "--amount": amount, "--format": fmt}, []),
    "contract end": (["contract", "end"], [complaint_id], {"--at": when, "--format": fmt},
                     ["--moved-out"]),
    "contract list": (["contract", "list"], [], {"--customer": customer, "--expiring": span,
                                                 "--limit": number, "--format": fmt}, []),
    "invoice issue": (["invoice", "issue"], [customer, amount],
                      {"--due": when, "--contract": complaint_id, "--for": text, "--at": when,
                       "--month": month, "--format": fmt}, ["--from-contracts"]),
    "invoice list": (["invoice", "list"], [], {"--customer": customer, "--format": fmt},
                     ["--unpaid", "--overdue"]),
    "payment record": (["payment", "record"], [customer, amount],
                       {"--invoice": complaint_id, "--at": when, "--method": text,
                        "--note": text, "--by": text, "--format": fmt}, []),
    "payment refuse": (["payment", "refuse"], [complaint_id], {"--reason": text, "--at": when},
                       []),
    "payment report": (["payment", "report"], [complaint_id], {"--to": text, "--at": when}, []),
    "payment list": (["payment", "list"], [], {"--customer": customer, "--month": month,
                                               "--format": fmt}, ["--refused"]),
    "report grades": (["report", "grades"], [], {"--month": month, "--format": fmt}, []),
    "visit kinds": (["visit", "kinds"], [], {"--format": fmt}, []),
    # The head office reads files; replication writes only where it is told (kept away from the
    # working folder here: a made-up URL, a folder that does not exist).
    "hq report": (["hq", "report"], [], {"--sites": st.one_of(st.just("."), text),
                                         "--month": month, "--format": fmt}, []),
    "hq due": (["hq", "due"], [], {"--sites": st.one_of(st.just("."), text),
                                   "--oldest": number, "--format": fmt}, []),
    "replicate status": (["replicate", "status"], [], {"--format": fmt}, []),
    "replicate config": (["replicate", "config"], [],
                         {"--to": st.one_of(st.just("file:///nonexistent-dir/replica"),
                                            st.just("s3://"), text)}, []),
    "restore": (["restore"], [], {"--from": st.one_of(st.just("file:///nonexistent-dir/r"),
                                                      text),
                                  "--to": st.just("/nonexistent-dir/restored.db")}, []),
}
# After a command changed the file, these must still work on it.
PROBES = [["complaint", "list"], ["visit", "due"], ["report", "monthly"], ["care"],
          ["customer", "list"], ["visit", "list"], ["policy", "show"], ["complaint", "sweep"],
          ["check"], ["request", "list"], ["today"], ["report", "meetings"], ["invoice", "list"],
          ["report", "grades"]]


@st.composite
def invocation(draw: st.DrawFn) -> list[str | bytes]:
    words, positional, options, flags = COMMANDS[draw(st.sampled_from(sorted(COMMANDS)))]
    args: list[str | bytes] = [*words, *(draw(strategy) for strategy in positional)]
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=4, unique=True)
                       if options else st.just([])):
        args += [option, draw(options[option])]
    args += draw(st.lists(st.sampled_from(flags), max_size=2, unique=True)
                 if flags else st.just([]))
    return args


def _as_file(db: Path, content: bytes) -> str:
    """A generated file's bytes, written beside the example's database; its path."""
    path = db.with_name(f"{db.stem}-{next(_counter)}.csv")
    path.write_bytes(content)
    return str(path)


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site, built once through the commands."""
    path = tmp_path_factory.mktemp("site") / "site.db"
    build(path)
    return path


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Iterator[Callable[[], Path]]:
    """A new copy of the site for each example (a new name: nothing left open can touch it)."""
    def make() -> Path:
        path = tmp_path / f"example-{next(_counter)}.db"
        path.write_bytes(template.read_bytes())
        return path

    yield make
    gc.collect()


def invoke(runner: CliRunner, path: Path, args: list[str]) -> Result:
    return runner.invoke(app, ["--db", str(path), *args])


def assert_clean(result: Result, args: list[str]) -> None:
    shown = f"crmcli {args!r}\nexit {result.exit_code}\n{result.stderr}"
    assert result.exit_code in (0, 1, 2, 3), shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}\n{result.exception!r}")
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert not UNEXPECTED.search(result.stderr), shown  # the safety net caught a bug
    if result.exit_code not in (0, 3):  # the head office names each unreadable file first
        lines = [line for line in result.stderr.splitlines()
                 if not (args[:1] == ["hq"] and line.startswith("Skipped"))]
        assert lines and lines[0].startswith("Error"), shown


def check_commands(fresh: Callable[[], Path], generated: list[list[str | bytes]]) -> None:
    path = fresh()
    runner = CliRunner()
    changed = False
    commands = [[_as_file(path, arg) if isinstance(arg, bytes) else arg for arg in args]
                for args in generated]
    for args in commands:
        before = dump(path)
        result = invoke(runner, path, args)
        event(f"exit {result.exit_code}")
        assert_clean(result, args)
        after = dump(path)
        if result.exit_code not in (0, 3):
            assert after == before, f"crmcli {args!r} failed but changed the database"
        changed = changed or after != before
    if changed:
        for probe in PROBES:
            result = invoke(runner, path, probe)
            assert_clean(result, [*commands[-1], "then", *probe])
            assert result.exit_code == 0, (commands, probe, result.stderr)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(commands=st.lists(invocation(), min_size=1, max_size=3))
def test_generated_commands_never_crash_and_failures_write_nothing(
        fresh: Callable[[], Path], commands: list[list[str | bytes]]) -> None:
    check_commands(fresh, commands)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(commands=st.lists(invocation(), min_size=1, max_size=5))
def test_many_generated_commands(fresh: Callable[[], Path],
                                 commands: list[list[str | bytes]]) -> None:
    check_commands(fresh, commands)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=csv_file(), mode=st.sampled_from([[], ["--skip-existing"], ["--update-existing"],
                                                 ["--allow-duplicate"]]))
def test_a_generated_csv_is_imported_whole_or_refused_naming_the_line(
        fresh: Callable[[], Path], content: bytes, mode: list[str]) -> None:
    path = fresh()
    runner = CliRunner()
    before = dump(path)
    args = ["customer", "import", _as_file(path, content), *mode]
    result = invoke(runner, path, args)
    assert_clean(result, args)
    if result.exit_code:
        assert result.exit_code == 2, result.stderr
        assert dump(path) == before
        assert re.search(r"line \d+|is empty", result.stderr), result.stderr
        return
    added = re.search(r": (\d+) new, (\d+) updated", result.stdout)
    assert added, result.stdout
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 5 + int(added[1])
    finally:
        conn.close()


@pytest.mark.parametrize(("content", "line"), [
    # a legacy encoding late in a long file: the message points at the first line it breaks
    ("name,phone\n" + "".join(f"客戶{i},1380013{i:04d}\n" for i in range(700)), 702),
])
@pytest.mark.parametrize("encoding", ["gbk", "big5"])
def test_a_late_legacy_line_is_named(fresh: Callable[[], Path], content: str, line: int,
                                     encoding: str) -> None:
    path = fresh()
    before = dump(path)
    data = content.encode() + "陳大文,13800138000\n".encode(encoding)
    result = invoke(CliRunner(), path, ["customer", "import", _as_file(path, data)])
    assert result.exit_code == 2
    assert f"line {line} is not UTF-8" in result.stderr
    assert dump(path) == before


def test_a_utf16_file_from_excel_is_refused_plainly(fresh: Callable[[], Path]) -> None:
    path = fresh()
    before = dump(path)
    data = "name,phone\n陳大文,13800138000\n".encode("utf-16")
    result = invoke(CliRunner(), path, ["customer", "import", _as_file(path, data)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "line 1 is not UTF-8" in result.stderr and "UTF-8" in result.stderr
    assert dump(path) == before


# What the generator found, kept as plain cases so they are checked on every run.
FOUND = [
    (["customer", "show", "²"], 1),  # "²".isdigit() is true, int("²") is not
    (["customer", "show", "99999999999999999999"], 1),  # wider than SQLite's integer
    (["access-log", "--customer", "99999999999999999999"], 1),
    (["complaint", "show", "99999999999999999999"], 2),
    (["customer", "list", "--limit", "99999999999999999999"], 0),
    (["complaint", "open", "1", "x", "--at", "+99999999999d"], 2),
    (["complaint", "respond", "1", "--at", "-99999999999w"], 2),
    (["complaint", "open", "1", "x", "--at", "0001-01-01"], 2),
    (["customer", "add", "新客", "--since", "0001-01-01"], 2),
    (["report", "monthly", "--month", "9999-12"], 2),
    (["report", "monthly", "--month", "0000-01"], 2),
    (["complaint", "list", "--month", "0000-01"], 2),
    (["report", "quarterly", "--quarter", "9999Q4"], 2),
    (["customer", "add", "\udcb9\udcfe"], 2),  # GBK bytes typed in a UTF-8 terminal
    (["customer", "list", "--search", "\ud800"], 2),
    (["policy", "set", "response_hours", "nan"], 2),  # accepted, it broke every complaint
    (["policy", "set", "resolve_hours", "inf"], 2),
    (["policy", "set", "upgrade_days", "1e300"], 2),
    (["policy", "set", "annual_visit_days", "99999999999"], 2),
    (["policy", "set", "cadence_new", "99999999mo"], 2),
    (["policy", "set", "region", "ZZ"], 2),  # accepted, it broke `care` for good
    (["policy", "set", "area_manager", "a\x1b[31mb"], 2),  # terminal codes in every list
]


@pytest.mark.parametrize(("args", "code"), FOUND, ids=[" ".join(a)[:40] for a, _ in FOUND])
def test_inputs_the_generator_found(fresh: Callable[[], Path], args: list[str], code: int
                                    ) -> None:
    path = fresh()
    runner = CliRunner()
    before = dump(path)
    result = invoke(runner, path, args)
    assert_clean(result, args)
    assert result.exit_code == code, result.stderr
    if code:
        assert dump(path) == before
    for probe in PROBES:
        assert invoke(runner, path, probe).exit_code == 0, probe


def command_paths() -> list[str]:
    """Every command of the tree, as typed after `crmcli`, through Click's own listing (the
    root group may build its subcommands only when they are named)."""
    import typer.main

    def leaves(command: Any, parent: Any, path: tuple[str, ...]) -> Iterator[str]:
        if not hasattr(command, "list_commands"):
            yield " ".join(path)
            return
        ctx = command.context_class(command, info_name=path[-1] if path else "crmcli",
                                    parent=parent)
        for name in command.list_commands(ctx):
            yield from leaves(command.get_command(ctx, name), ctx, (*path, name))

    return sorted(leaves(typer.main.get_command(app), None, ()))


def test_every_command_is_generated() -> None:
    """A new command must join the generator (or be listed here as taking no input)."""
    without_input = {"init", "backup", "check", "db path", "db status", "policy show",
                     "visit kinds"}
    paths = command_paths()
    assert "complaint open" in paths
    missing = set(paths) - set(COMMANDS) - without_input
    assert not missing, f"add these commands to COMMANDS: {sorted(missing)}"
