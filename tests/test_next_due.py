"""Stored next-due dates (crmcli.next_due) give the agenda the replay-based rules would.

The reference is the computation `visit due` made before the dates were stored: every
customer's contact cadence and yearly visit worked out by ``cadence.ContactRules`` and
``cadence.next_in_person`` row by row, at read time. It is kept here, and the stored-date path
must equal it on the sample site at several moments, and after random sequences of contacts,
corrections, customer edits and policy changes.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcli import cadence, next_due
from crmcli.db import connect
from crmcli.services import Session, agenda, visit_register
from crmcli.services.agenda.base import DueItem, due_rows, in_order
from crmcli.services.agenda.contact import reason

SAMPLE = Path(__file__).parent.parent / "sample.db"


def reference_items(session: Session, last_day: date, customer_id: int | None = None
                    ) -> list[DueItem]:
    """The cadence and yearly-visit items as worked out at read time, customer by customer."""
    policy = session.policies.current
    rules = cadence.ContactRules(policy)
    found = []
    where = " AND c.id = ?" if customer_id is not None else ""
    for cid, name, since, created, last, last_visit, segment, tags in session.conn.execute(
            "SELECT c.id, c.name, c.since, c.created_at, c.last_contact_at, "
            "c.last_in_person_at, c.segment, (SELECT group_concat(tag, char(31)) FROM "
            "customer_tags t WHERE t.customer_id = c.id) FROM customers c "
            "WHERE c.moved_out_at IS NULL" + where,
            (customer_id,) if customer_id is not None else ()).fetchall():
        who = visit_register.contactee(since, created, last, last_visit,
                               tuple(tags.split("\x1f")) if tags else (), segment)
        due = rules.next_contact(who.start, who.last_contact, who.entered, who.tags,
                                 who.segment)
        if customer_id is not None or due.due <= last_day:
            found.append(DueItem(cid, name, "cadence", due.due, reason(
                due, f"contact every {due.every} ({due.rule})"), policy.area_manager))
        visit = cadence.next_in_person(who, policy)
        if customer_id is not None or visit.due <= last_day:
            found.append(DueItem(cid, name, "annual", visit.due, reason(
                visit, "yearly in-person visit (年拜訪)"), policy.area_manager, "in-person"))
    return in_order(found)


def _stored_equals_reference(conn: sqlite3.Connection, now: datetime) -> None:
    session = Session(conn, now, "tester")
    today = now.date()
    for ahead in (0, 1, 7, 31, 400):
        last_day = today + timedelta(days=ahead)
        assert agenda.due_items(session, last_day, {"cadence", "annual"}) == \
            reference_items(session, last_day)
    for (cid,) in conn.execute("SELECT id FROM customers").fetchall():
        shown = [row for row in agenda.for_customer(session, cid)
                 if row["kind"] in ("cadence", "annual")]
        assert shown == due_rows(reference_items(session, today, cid), now)
    assert next_due.stale(conn, session.policies.current) == []


@pytest.mark.parametrize("now", ["2026-11-23T08:00:00+08:00", "2026-11-02T07:30:00+08:00",
                                 "2027-02-14T19:00:00+08:00"])
def test_the_sample_site_agenda_equals_the_replay_reference(tmp_path: Path, now: str) -> None:
    site = tmp_path / "sample.db"
    shutil.copyfile(SAMPLE, site)
    conn = connect(site)  # upgraded to the stored dates if it predates them
    _stored_equals_reference(conn, datetime.fromisoformat(now))
    conn.close()


def test_limit_lists_the_first_rows_of_the_whole_agenda(cli: Cli, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "sample.db"
    shutil.copyfile(SAMPLE, site)
    monkeypatch.setenv("CRMCLI_DB", str(site))
    now = "2026-11-23T08:00:00+08:00"
    whole = cli.ok("visit", "due", "--format", "csv", now=now).splitlines()
    for limit in ("1", "7", "50", str(len(whole) + 5)):
        assert cli.ok("visit", "due", "--format", "csv", "--limit", limit,
                      now=now).splitlines() == whole[:int(limit) + 1]
    rows = json.loads(cli.ok("visit", "due", "--format", "json", "--within", "30d", now=now))
    assert json.loads(cli.ok("visit", "due", "--format", "json", "--within", "30d",
                             "--limit", "20", now=now)) == rows[:20]
    code, _out, err = cli("visit", "due", "--summary", "--limit", "5", now=now)
    assert code == 2 and "choose one" in err


def test_check_finds_a_wrong_stored_date_and_repair_rewrites_it(cli: Cli, db_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    cli.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-11-01 10:00")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE customers SET next_contact_due = '2030-01-01'")
    conn.close()
    code, _out, err = cli("check")
    assert code != 0 and "1 customer(s) (#1) have stored next-due dates" in err
    assert "Rewrote the next-due dates of 1 customer" in cli.ok("check", "--repair")
    assert "2026-12-01" in cli.ok("visit", "due", "--within", "30d", "--kind", "cadence",
                                  "--format", "csv")


def test_a_policy_change_rewrites_every_customers_dates(cli: Cli, db_path: Path) -> None:
    for number in range(12):
        cli.ok("customer", "add", f"客戶{number}", "--since", f"2026-0{number % 9 + 1}-01")
    cli.ok("visit", "log", "客戶3", "--method", "in-person", "--at", "2026-11-01 10:00")
    for key, value in (("cadence_established", "2w"), ("new_customer_days", "30"),
                       ("cadence.tag.VIP", "3d"), ("annual_visit_days", "200"),
                       ("timezone", "America/New_York")):
        cli.ok("policy", "set", key, value)
        conn = connect(db_path)
        assert next_due.stale(conn, Session(conn, datetime(2026, 11, 20), "t").policies.current
                              ) == []
        conn.close()


# --- the property: after any history, the stored dates are the rules' ------------------------

NAMES = ["王小明", "李美玲", "陳大文"]
DAYS = st.integers(min_value=0, max_value=500)  # days before 2026-11-20
_CONTACT = st.tuples(st.just("contact"), st.integers(0, 2),
                     st.sampled_from(["phone", "in-person"]), DAYS)
_OPS = st.one_of(
    _CONTACT, _CONTACT, _CONTACT,
    st.tuples(st.just("service"), st.integers(0, 2), DAYS),
    st.tuples(st.just("complaint"), st.integers(0, 2), DAYS),
    st.tuples(st.just("void"), st.integers(1, 3)),
    st.tuples(st.just("since"), st.integers(0, 2), DAYS),
    st.tuples(st.just("tag"), st.integers(0, 2), st.sampled_from(["VIP", "key"]), st.booleans()),
    st.tuples(st.just("segment"), st.integers(0, 2), st.sampled_from(["owner", "tenant"])),
    st.tuples(st.just("moved"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("policy"), st.sampled_from([
        ("cadence_new", "3d"), ("cadence_new", "1w"), ("cadence_established", "1mo"),
        ("cadence_established", "10d"), ("new_customer_days", "30"), ("new_customer_days", "400"),
        ("annual_visit_days", "180"), ("cadence.tag.VIP", "2w"), ("cadence.segment.owner", "5d"),
        ("cadence.tag.key", "2mo")])),
)


def _day(ago: int, hour: int = 10) -> str:
    return f"{date(2026, 11, 20) - timedelta(days=ago)} {hour:02d}:00"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=st.lists(st.one_of(st.none(), DAYS), min_size=3, max_size=3),
       ops=st.lists(_OPS, min_size=2, max_size=15))
def test_stored_dates_follow_the_rules_after_any_history(
        cli: Cli, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        since: list[int | None], ops: list[tuple[object, ...]]) -> None:
    path = tmp_path_factory.mktemp("site") / "crm.db"
    monkeypatch.setenv("CRMCLI_DB", str(path))
    cli.ok("init")
    for name, ago in zip(NAMES, since, strict=True):
        cli.ok("customer", "add", name,
               *(["--since", _day(ago)[:10]] if ago is not None else []))
    for op in ops:
        kind, args = op[0], op[1:]
        who = NAMES[args[0]] if isinstance(args[0], int) and kind != "void" else ""
        if kind == "contact":
            cli("visit", "log", who, "--method", str(args[1]), "--at", _day(int(args[2])))
        elif kind == "service":
            cli("service", "log", who, "換燈泡", "--type", "repair", "--at",
                _day(int(args[1]), 9))
        elif kind == "complaint":
            cli("complaint", "open", who, "漏水", "--at", _day(int(args[1]), 8))
        elif kind == "void":
            cli("visit", "void", str(args[0]), "--reason", "entered by mistake")
        elif kind == "since":
            cli("customer", "edit", who, "--since", _day(int(args[1]))[:10])
        elif kind == "tag":
            cli("customer", "edit", who, "--tag" if args[2] else "--untag", str(args[1]))
        elif kind == "segment":
            cli("customer", "edit", who, "--segment", str(args[1]))
        elif kind == "moved":
            cli("customer", "edit", who, "--moved-out" if args[1] else "--active")
        else:
            key, value = args[0]  # type: ignore[misc]
            cli.ok("policy", "set", key, value)
    conn = connect(path)
    now = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    policy = Session(conn, now, "t").policies.current
    for (_cid, since_, created, last, last_visit, segment, tags, moved, *stored
         ) in conn.execute(
            "SELECT c.id, c.since, c.created_at, c.last_contact_at, c.last_in_person_at, "
            "c.segment, (SELECT group_concat(tag, char(31)) FROM customer_tags t WHERE "
            "t.customer_id = c.id), c.moved_out_at, next_contact_due, next_contact_every, "
            "next_contact_rule, next_contact_from, next_visit_due, next_visit_from "
            "FROM customers c"):
        if moved is not None:
            assert stored == [None] * 6
            continue
        who = visit_register.contactee(since_, created, last, last_visit,
                               tuple(tags.split("\x1f")) if tags else (), segment)
        contact = cadence.next_contact(who, policy)
        visit = cadence.next_in_person(who, policy)
        assert stored == [contact.due.isoformat(), contact.every, contact.rule,
                          contact.counted_from.isoformat(), visit.due.isoformat(),
                          visit.counted_from.isoformat()]
    _stored_equals_reference(conn, now)
    conn.close()


def test_reasons_follow_the_interface_language_machine_fields_do_not(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", "--tag", "VIP")
    cli.ok("policy", "set", "cadence.tag.VIP", "2w")
    cli.ok("visit", "log", "王小明", "--method", "phone", "--at", "2026-10-01 10:00")
    cli.ok("complaint", "open", "王小明", "電梯故障", "--severity", "major",
           "--at", "2026-11-19 09:00")
    english = cli.ok("visit", "due", "--format", "csv", "--within", "30d")
    assert "contact every 2w (tag VIP); last 2026-11-19" in english
    assert "complaint #1 (major): report to department head — 電梯故障" in english
    monkeypatch.setenv("CRMCLI_LANG", "zh-Hant")
    chinese = cli.ok("visit", "due", "--format", "csv", "--within", "30d")
    assert "每 2w 聯絡一次（標籤 VIP）；上次 2026-11-19" in chinese
    assert "投訴 #1（重大）：向department head報告 — 電梯故障" in chinese
    assert chinese.splitlines()[0] == english.splitlines()[0]  # the csv header
    assert [line.split(",")[2] for line in chinese.splitlines()] == \
        [line.split(",")[2] for line in english.splitlines()]  # the kinds
    shown = cli.ok("visit", "due", "--within", "30d")
    assert "每 2w 聯絡一次（標籤 VIP）" in shown


def test_visit_due_csv_keeps_a_formula_looking_name_inert(cli: Cli) -> None:
    cli.ok("customer", "add", "=HYPERLINK(1)", "--since", "2025-01-01")
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    lines = cli.ok("visit", "due", "--format", "csv", "--within", "45d").splitlines()
    assert lines[1].startswith("1,'=HYPERLINK(1),cadence,")
    assert lines[2].startswith("2,王小明,cadence,")
    assert len(lines) == 5 and all("'王小明" not in line for line in lines)


def test_imported_and_reimported_customers_carry_the_rules_dates(cli: Cli, db_path: Path,
                                                                 tmp_path: Path) -> None:
    cli.ok("policy", "set", "cadence.tag.VIP", "3d")
    cli.ok("policy", "set", "cadence.segment.owner", "2w")
    first = tmp_path / "first.csv"
    first.write_text("name,since,segment,tags\n王小明,2026-10-01,owner,\n李美玲,,tenant,VIP\n"
                     "陳大文,2024-05-05,,\n", encoding="utf-8")
    cli.ok("customer", "import", str(first))
    again = tmp_path / "again.csv"
    again.write_text("name,since,segment,tags\n王小明,2026-11-01,owner,VIP\n陳大文,2024-05-05,"
                     "owner,\n", encoding="utf-8")
    cli.ok("customer", "import", str(again), "--update-existing")
    conn = connect(db_path)
    _stored_equals_reference(conn, datetime.fromisoformat("2026-11-20T10:00:00+08:00"))
    conn.close()
