"""A completed month's figures are stored once and dropped by any entry dated into the month.

History is the truth: a late entry, a correction or a void dated into a stored month must
change its figures exactly as if they were worked out afresh.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OCTOBER = ("report", "monthly", "--month", "2026-10", "-f", "json")
SEPTEMBER_START = "2026-09-01T09:00:00+08:00"
NOW = "2026-11-20T10:00:00+08:00"  # the tests' fixed clock


def stored(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT month FROM month_figures ORDER BY month")]


def afresh(cli: Cli, db: Path, *args: str) -> str:
    """The report worked out from the history alone (nothing stored)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM month_figures")
    conn.close()
    return cli.ok(*args)


def october_site(cli: Cli) -> None:
    """Three customers on file since September; an October with one of everything."""
    for name in ("王小明", "李四", "張三"):
        cli.ok("customer", "add", name, now=SEPTEMBER_START)
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-10-10 09:00", now=NOW)
    cli.ok("visit", "log", "王小明", "--method", "in-person", "--at", "2026-10-12 10:00")
    cli.ok("service", "log", "張三", "換燈泡", "--type", "repair", "--at", "2026-10-15 10:00")
    cli.ok("request", "open", "李四", "停車位月租多少", "--at", "2026-10-16 09:00")
    cli.ok("meeting", "log", "Q4 租戶大會", "--at", "2026-10-18 19:00", "--attended", "李四")
    cli.ok("notice", "send", "消防檢查", "--at", "2026-10-19 09:00")


# Every kind of write that can touch October's figures, made late (on 2026-11-20). Voiding a
# request or a notice after the month ended leaves the month's figures as they stood at its end
# (they count what was voided by then), so those two must agree without changing.
UNCHANGED = ("request voided", "notice voided")
WRITES: list[tuple[str, list[str]]] = [
    ("visit logged late", ["visit", "log", "李四", "--method", "in-person", "--at",
                           "2026-10-20 10:00"]),
    ("visit voided", ["visit", "void", "1", "--reason", "記錯了客戶"]),
    ("service logged late", ["service", "log", "李四", "換鎖", "--type", "repair", "--at",
                             "2026-10-21 10:00"]),
    ("service voided", ["service", "void", "1", "--reason", "重複登記"]),
    ("complaint opened late", ["complaint", "open", "李四", "噪音", "--at", "2026-10-22 10:00"]),
    ("complaint responded late", ["complaint", "respond", "1", "--at", "2026-10-10 12:00"]),
    ("complaint closed late", ["complaint", "close", "1", "--resolution", "修好",
                               "--at", "2026-10-11 09:00"]),
    ("complaint judged unreasonable", ["complaint", "validity", "1", "--unreasonable",
                                       "--reason", "非物業責任", "--at", "2026-10-10 10:00"]),
    ("complaint entry voided", ["complaint", "void-event", "1", "{responded}", "--reason",
                                "記錯了"]),
    ("request opened late", ["request", "open", "張三", "垃圾房", "--at", "2026-10-23 09:00"]),
    ("request replied late", ["request", "reply", "1", "--note", "已告知", "--at",
                              "2026-10-16 10:00"]),
    ("request voided", ["request", "void", "1", "--reason", "重複登記"]),
    ("meeting logged late", ["meeting", "log", "臨時會", "--kind", "special", "--at",
                             "2026-10-25 19:00", "--attended", "張三"]),
    ("meeting voided", ["meeting", "void", "1", "--reason", "日期記錯"]),
    ("notice sent late", ["notice", "send", "停水通知", "--at", "2026-10-26 09:00"]),
    ("notice voided", ["notice", "void", "1", "--reason", "發錯對象"]),
    ("customer moved out in October", ["customer", "edit", "張三", "--moved-out", "--at",
                                       "2026-10-05"]),
]


@pytest.mark.parametrize(("what", "write"), WRITES, ids=[what for what, _ in WRITES])
def test_a_write_dated_into_a_stored_month_changes_its_figures(
        cli: Cli, isolated: Path, what: str, write: list[str]) -> None:
    october_site(cli)
    if what == "complaint entry voided":  # an entry to void
        cli.ok("complaint", "respond", "1", "--at", "2026-10-10 12:00")
        with sqlite3.connect(isolated) as conn:
            (entry,) = conn.execute("SELECT id FROM complaint_events "
                                    "WHERE action = 'responded'").fetchone()
        write = [arg.format(responded=entry) for arg in write]
    before = cli.ok(*OCTOBER)
    assert stored(isolated) == ["2026-10"]
    assert cli.ok(*OCTOBER) == before  # read back as stored
    cli.ok(*write)
    after = cli.ok(*OCTOBER)
    assert (after == before) == (what in UNCHANGED), what
    assert after == afresh(cli, isolated, *OCTOBER)


def test_writes_after_the_month_leave_it_stored(cli: Cli, isolated: Path) -> None:
    october_site(cli)
    cli.ok(*OCTOBER)
    for write in (["visit", "log", "李四", "--method", "phone", "--at", "2026-11-20 09:00"],
                  ["complaint", "open", "張三", "噪音", "--at", "2026-11-19 09:00"],
                  ["customer", "edit", "王小明", "--phone", "13800138000"],
                  ["policy", "set", "response_hours", "12"]):
        cli.ok(*write)
        assert stored(isolated) == ["2026-10"], write


def test_a_month_in_progress_is_never_stored(cli: Cli, isolated: Path) -> None:
    october_site(cli)
    cli.ok("report", "monthly", "--month", "2026-11", "-f", "csv")
    assert stored(isolated) == []


def test_check_finds_stored_figures_that_do_not_follow_and_repair_drops_them(
        cli: Cli, isolated: Path) -> None:
    october_site(cli)
    before = cli.ok(*OCTOBER)
    conn = sqlite3.connect(isolated)
    with conn:  # tampered with behind crmcli's back (triggers see no dated entry)
        (document,) = conn.execute("SELECT figures FROM month_figures").fetchone()
        figures = json.loads(document)
        figures["figures"]["visits_done"] = 99
        conn.execute("UPDATE month_figures SET figures = ?", (json.dumps(figures),))
    conn.close()
    code, _, err = cli("check")
    assert code != 0 and "2026-10" in err
    cli.ok("check", "--repair")
    assert stored(isolated) == []
    assert cli.ok(*OCTOBER) == before


def test_a_read_only_file_reports_without_storing(cli: Cli, isolated: Path) -> None:
    october_site(cli)
    expected = afresh(cli, isolated, *OCTOBER)
    afresh(cli, isolated, "report", "monthly", "--month", "2026-09", "-f", "csv")
    isolated.chmod(0o400)
    try:
        assert cli.ok(*OCTOBER) == expected
    finally:
        isolated.chmod(0o600)


# Random histories: entries of every kind dated anywhere from September to November, entered
# on random later days, with the report asked for between them. The stored figures must always
# be those worked out afresh.
DAYS = [f"2026-{m:02d}-{d:02d}" for m in (9, 10, 11) for d in (1, 5, 12, 19, 28)]
DAYS = [day for day in DAYS if day < "2026-11-20"]


def _entry(kind: str, day: str, n: int) -> list[str]:
    who = ("王小明", "李四", "張三")[n % 3]
    at = f"{day} {9 + n % 8:02d}:00"
    return {
        "visit": ["visit", "log", who, "--method", ("in-person", "phone")[n % 2], "--at", at],
        "visit-void": ["visit", "void", str(1 + n % 3), "--reason", "x"],
        "service": ["service", "log", who, "修", "--type", "repair", "--at", at],
        "complaint": ["complaint", "open", who, "漏水", "--at", at],
        "respond": ["complaint", "respond", str(1 + n % 2), "--at", at],
        "close": ["complaint", "close", str(1 + n % 2), "--resolution", "好", "--at", at],
        "request": ["request", "open", who, "問", "--at", at],
        "reply": ["request", "reply", str(1 + n % 2), "--note", "答", "--at", at],
        "meeting": ["meeting", "log", "會", "--at", at, "--attended", who],
        "notice": ["notice", "send", "通知", "--at", at],
        "moved-out": ["customer", "edit", who, "--moved-out", "--at", day],
        "report": ["report", "monthly", "--month", day[:7], "-f", "json"],
    }[kind]


KINDS = ["visit", "visit-void", "service", "complaint", "respond", "close", "request", "reply",
         "meeting", "notice", "moved-out", "report", "report"]


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(DAYS),
                          st.integers(0, 30)), min_size=3, max_size=14))
def test_stored_figures_always_agree_with_the_history_worked_out_afresh(
        cli: Cli, isolated: Path, steps: list[tuple[str, str, int]]) -> None:
    _random_history(cli, isolated, steps)


def test_stored_figures_agree_on_one_fixed_history(cli: Cli, isolated: Path) -> None:
    _random_history(cli, isolated, [
        ("report", "2026-10-01", 0), ("complaint", "2026-10-05", 1), ("visit", "2026-10-12", 0),
        ("report", "2026-10-01", 0), ("close", "2026-10-28", 3), ("visit-void", "", 0),
        ("report", "2026-09-01", 0), ("moved-out", "2026-09-19", 2), ("meeting", "2026-09-28", 4),
    ])


def _random_history(cli: Cli, db: Path, steps: list[tuple[str, str, int]]) -> None:
    if db.exists():
        db.unlink()
    cli.ok("init")
    for name in ("王小明", "李四", "張三"):
        cli.ok("customer", "add", name, now="2026-08-01T09:00:00+08:00")
    cli.ok("policy", "show", now=NOW)
    run: Callable[..., tuple[int, str, str]] = cli
    for kind, day, n in steps:
        run(*_entry(kind, day or "2026-10-01", n))  # refused entries (exit 1/2) change nothing
    for month in ("2026-09", "2026-10"):
        args = ("report", "monthly", "--month", month, "-f", "json")
        first = cli.ok(*args)
        assert cli.ok(*args) == first  # as stored
        assert first == afresh(cli, db, *args)


TABLES = ["visits", "complaints", "complaint_outcomes", "complaint_cycles", "complaint_timers",
          "services", "requests", "meetings", "notices", "policy_settings", "complaint_events",
          "meeting_attendees", "customers"]


@pytest.mark.parametrize("table", TABLES)
def test_any_program_changing_a_row_dated_into_the_month_drops_it(
        cli: Cli, isolated: Path, table: str) -> None:
    """The triggers hold whoever writes (an archive's deletes, a repair's rewrites, a tool)."""
    october_site(cli)
    key = {"complaint_outcomes": "complaint_id", "complaint_cycles": "complaint_id",
           "complaint_timers": "complaint_id", "meeting_attendees": "meeting_id"}.get(table, "id")
    first = f"{key} = (SELECT min({key}) FROM {table})"
    for statement in (f"UPDATE {table} SET {key} = {key} WHERE {first}",
                      f"DELETE FROM {table} WHERE {first}"):
        if table == "customers" and statement.startswith("UPDATE"):
            statement = ("UPDATE customers SET moved_out_at = '2026-10-20T00:00:00Z' "
                         "WHERE id = 1")
        cli.ok(*OCTOBER)
        assert stored(isolated) == ["2026-10"]
        conn = sqlite3.connect(isolated)
        with conn:
            assert conn.execute(statement).rowcount >= 1, statement
        conn.close()
        assert stored(isolated) == [], statement
