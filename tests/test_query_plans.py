"""The cron query and the monthly report read the big tables through their indexes.

At a large site a full scan of complaints, their events or visits costs a second where an index
costs milliseconds (benchmarks/README.md). These tests trace every SELECT that `visit due`,
`complaint sweep` and `report monthly` run and ask SQLite for its plan, so a later change
cannot silently fall back to a scan.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli

from crmcli import db
from crmcli.services import agenda

BIG = {"complaints", "p", "complaint_events", "e", "visits", "v", "f", "complaint_timers", "t",
       "d", "complaint_cycles", "y", "complaint_outcomes", "o", "requests", "r",
       "request_events", "notice_deliveries"}
NOW = "2026-11-20T10:00:00+08:00"


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    cli.ok("customer", "add", "李美玲", "--since", "2026-10-01", "--tag", "VIP")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-10 09:00")
    cli.ok("complaint", "open", "李美玲", "噪音", "--severity", "major", "--at", "09:00")
    cli.ok("complaint", "close", "1", "--resolution", "已修好", "--at", "2026-11-12 10:00")
    cli.ok("visit", "log", "王小明", "--method", "phone", "--complaint", "1",
           "--satisfaction", "5", "--at", "2026-11-13 10:00")
    cli.ok("service", "log", "李美玲", "更換水龍頭", "--type", "repair", "--at", "08:00")
    cli.ok("visit", "schedule", "王小明", "--due", "2026-11-25 10:00")
    cli.ok("request", "open", "王小明", "問停車", "--at", "09:00")
    cli.ok("request", "open", "李美玲", "報修", "--at", "09:10")
    cli.ok("request", "reply", "2", "--note", "已安排", "--at", "09:20")
    cli.ok("meeting", "log", "Q4", "--at", "2026-11-18 19:00", "--attended", "王小明")
    cli.ok("notice", "send", "消防通知", "--kind", "fire-safety", "--sign-off", "--at",
           "2026-11-16 10:00")
    cli.ok("notice", "sign", "1", "王小明", "--at", "2026-11-17 10:00")
    cli.ok("policy", "set", "notice.every.fire-safety", "1mo")
    return cli


def _plans(cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str
           ) -> list[tuple[str, list[str]]]:
    """Each SELECT the command ran, with SQLite's plan for it (one line a step)."""
    statements: list[str] = []
    connect = db.connect

    def traced(path: Path, *, create: bool = False) -> sqlite3.Connection:
        conn = connect(path, create=create)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(db, "connect", traced)
    cli.ok(*args, now=NOW)
    monkeypatch.setattr(db, "connect", connect)
    reader = sqlite3.connect(db_path)
    plans = [(" ".join(sql.split()),
              [row[3] for row in reader.execute("EXPLAIN QUERY PLAN " + sql)])
             for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    reader.close()
    return plans


def _scans(cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    found = []
    for sql, plan in _plans(cli, db_path, monkeypatch, *args):
        for detail in plan:
            match = re.match(r"SCAN (\w+)", detail)
            if match and match[1] in BIG:
                found.append(f"{detail}  <-  {sql[:120]}")
    return found


@pytest.mark.parametrize("command", [
    ("visit", "due"),
    ("visit", "due", "--within", "7d"),
    ("complaint", "sweep"),
    ("report", "monthly", "--format", "csv"),
    ("report", "monthly", "--month", "2026-10", "--format", "json"),
    ("report", "monthly", "--format", "markdown"),
    ("report", "monthly", "--by", "customer"),
    ("today",),
    ("report", "meetings"),
    ("request", "list", "--overdue"),
])
def test_no_full_scan_of_the_big_tables(site: Cli, db_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        command: tuple[str, ...]) -> None:
    assert _scans(site, db_path, monkeypatch, *command) == []


def _plan_of(plans: list[tuple[str, list[str]]], table: str) -> str:
    return " / ".join(" ".join(plan) for sql, plan in plans if f"FROM {table}" in sql)


def test_visit_due_reads_through_its_indexes(site: Cli, db_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    plans = _plans(site, db_path, monkeypatch, "visit", "due")
    # pending visits and unclosed complaints come from covering partial indexes, never rows
    assert "COVERING INDEX visits_pending" in _plan_of(plans, "visits v")
    # the running complaint deadlines: from the small index of those nothing has met or
    # cancelled yet, not every deadline of every complaint needing attention
    running = _plan_of(plans, "complaints p JOIN complaint_timers t")
    assert "COVERING INDEX complaint_timers_running (due<?)" in running
    # whether each is major by then: one search of an index that holds it
    assert "COVERING INDEX complaint_outcomes_major" in running


@pytest.mark.parametrize("args", [
    ("--limit", "10"), ("--month", "2026-11"), ("--limit", "5", "--done"),
])
def test_visit_register_is_read_in_its_index_order(site: Cli, db_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    args: tuple[str, ...]) -> None:
    plan = _plan_of(_plans(site, db_path, monkeypatch, "visit", "list", *args), "visits v")
    assert "visits_register" in plan
    assert "TEMP B-TREE" not in plan  # no sort of every visit before the first row


@pytest.mark.parametrize("status", ["--pending", "--overdue"])
def test_pending_visits_are_listed_from_their_own_index(site: Cli, db_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        status: str) -> None:
    plan = _plan_of(_plans(site, db_path, monkeypatch, "visit", "list", status, "--limit", "5"),
                    "visits v")
    assert "visits_pending" in plan


AGENDA_KINDS = [kind for source in agenda.SOURCES for kind in source.kinds]


@pytest.mark.parametrize("kind", AGENDA_KINDS)
def test_each_agenda_kind_keeps_off_full_scans(site: Cli, db_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    for args in ((), ("--within", "30d")):
        assert _scans(site, db_path, monkeypatch, "visit", "due", "--kind", kind, *args) == []


@pytest.mark.parametrize("args", [(), ("--limit", "50"), ("--within", "30d", "--format", "csv")])
def test_cadence_and_yearly_visits_come_from_their_stored_dates(
        site: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    # each customer's next contact and yearly visit are stored (crmcli.next_due): the agenda
    # reads a range of an index that holds all it prints, in its order, not the customers
    plans = _plans(site, db_path, monkeypatch, "visit", "due", *args)
    contact = " / ".join(" ".join(plan) for sql, plan in plans if "next_contact_due <=" in sql)
    visit = " / ".join(" ".join(plan) for sql, plan in plans if "next_visit_due <=" in sql)
    assert "COVERING INDEX customers_next_contact (next_contact_due<?)" in contact
    assert "COVERING INDEX customers_next_visit (next_visit_due<?)" in visit
    assert "TEMP B-TREE" not in contact + visit
    assert not [sql for sql, _plan in plans if "FROM customers c NOT INDEXED" in sql]


def test_visit_due_limit_reads_deadlines_and_visits_in_the_agendas_order(
        site: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plans = _plans(site, db_path, monkeypatch, "visit", "due", "--limit", "5")
    limited = [sql for sql, _plan in plans if sql.endswith("LIMIT 5")]
    # cadence and yearly visits (one statement), complaint deadlines, pending visits, plans,
    # letters, replies, sign-offs (the one notice's), renewals, invoices
    assert len(limited) == 10
    # the deadlines in the index's due order: only ties on a due time are sorted
    running = _plan_of(plans, "complaints p JOIN complaint_timers t")
    assert "COVERING INDEX complaint_timers_running (due<?)" in running
    assert "TEMP B-TREE FOR ORDER BY" not in running
    # renewals, invoices and replies straight from an index in the agenda's order
    for index in ("contracts_renewal", "invoices_unpaid_owed", "requests_unreplied"):
        (plan,) = [steps for _sql, steps in plans if any(index in step for step in steps)]
        assert not [step for step in plan if "TEMP B-TREE" in step], index


def test_plans_and_letters_read_only_what_may_still_be_open(
        site: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a plan still running stopped at or after the moment (a range of the index of plans by
    # the moment they stopped); a letter still open is on a complaint whose stored
    # open_letter_due is set: neither reads every plan or letter ever made
    plans = _plans(site, db_path, monkeypatch, "visit", "due", "--kind", "plan",
                   "--kind", "referral")
    timers = " / ".join(" ".join(steps) for sql, steps in plans if "complaint_timers t" in sql)
    assert "INDEX complaint_timers_open_plans (<expr>>?)" in timers
    letters = " / ".join(" ".join(steps) for sql, steps in plans if "e.escalated_to" in sql)
    assert "INDEX complaints_open_letter (open_letter_due<?)" in letters
    assert "complaint_events_letters" not in letters


@pytest.fixture
def owing(site: Cli) -> Cli:
    """Both customers owe a handling plan and a referral letter; one has a running contract."""
    for who, what in (("王小明", "電梯異響"), ("李美玲", "門禁失靈")):
        site.ok("complaint", "open", who, what, "--department", "工程部", "--at",
                "2026-11-20 08:00", now=NOW)
    site.ok("complaint", "refer", "3", "--to", "保安部", "--due", "2026-11-20 09:00",
            "--at", "2026-11-20 08:10", now=NOW)
    site.ok("complaint", "refer", "4", "--to", "保安部", "--due", "2026-11-20 09:30",
            "--at", "2026-11-20 08:20", now=NOW)
    site.ok("contract", "add", "王小明", "--start", "2025-12-01", "--end", "2026-12-10",
            now=NOW)
    return site


def test_customer_show_reads_only_that_customers_rows(owing: Cli, db_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the agenda of one customer (renewal, referral letters, handling plans, credit reviews)
    # goes to the customer's rows through an index: no scan of the site's, nor the running
    # contracts of every customer
    plans = _plans(owing, db_path, monkeypatch, "customer", "show", "1")
    scans = [f"{detail}  <-  {sql[:120]}" for sql, plan in plans for detail in plan
             if (found := re.match(r"SCAN (\w+)", detail))
             and found[1] in {*BIG, "c", "k", "customers", "contracts"}]
    assert scans == []
    assert not [sql for sql, plan in plans if "contracts_running" in " ".join(plan)]
    assert "INDEX contracts_customer (customer_id=?)" in _plan_of(plans, "contracts k")
    # letters and plans: from the customer's complaints, not a range of the site's
    for marker in ("e.escalated_to", "complaint_timers t"):
        plan = " / ".join(" ".join(steps) for sql, steps in plans if marker in sql)
        assert "complaints_customer (customer_id=?)" in plan, marker
        assert "complaint_events_letters" not in plan and "complaint_timers_plan" not in plan
    review = " ".join(" ".join(plan) for sql, plan in plans if "c.grade IN" in sql)
    assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in review


def test_customer_show_lists_that_customers_own_items(owing: Cli) -> None:
    import json

    kinds = {}
    for customer in ("1", "2"):
        shown = json.loads(owing.ok("customer", "show", customer, "--format", "json", now=NOW))
        kinds[customer] = sorted((row["kind"], row["customer_id"], row["complaint_id"] or 0)
                                 for row in shown["due"] if row["kind"] in (
                                     "plan", "referral", "renewal"))
    assert kinds == {"1": [("plan", 1, 3), ("referral", 1, 3), ("renewal", 1, 0)],
                     "2": [("plan", 2, 4), ("referral", 2, 4)]}
