"""`visit due --limit N` lists the first N rows of the whole agenda, read source by source.

With a limit (and no owner asked for), each source reads only its first ``limit`` items in
the agenda's order (``base.in_order``: the deadline moment, customer, kind, visit, complaint;
ties keep the source's own order) from an index that holds that order. The first N must be
exactly the N the whole list starts with, ties on the same day and customer included.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import Cli

from crmcli.db import connect
from crmcli.services import Session, agenda
from crmcli.services.agenda.base import AgendaContext, in_order

SAMPLE = Path(__file__).parent.parent / "sample.db"
NOW = "2026-11-23T08:00:00+08:00"
LIMITED = ("plan", "referral", "invoice", "renewal", "signoff", "reply")


@pytest.fixture
def tied(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The sample site, with items of each kind that tie on their day (or moment) and
    customer: two invoices, two contracts, two letters of one complaint, two plans, two
    notices with sign-off sent together, two requests taken together."""
    site = tmp_path / "sample.db"
    shutil.copyfile(SAMPLE, site)
    monkeypatch.setenv("CRMCLI_DB", str(site))
    at = "2026-11-21 09:00"
    for amount, what in (("300.00", "車位費"), ("120.00", "管理費"), ("120.00", "水費")):
        cli.ok("invoice", "issue", "1", amount, "--due", "2026-11-20", "--for", what,
               now=NOW)
    for _ in range(2):
        cli.ok("contract", "add", "4", "--start", "2025-12-01", "--end", "2026-12-10",
               now=NOW)
    for who, what, when in (("5", "電梯異響", at), ("5", "門禁失靈", at),
                            ("4", "漏水", "2026-11-21 08:00"), ("1", "噪音", "2026-11-22 08:00")):
        cli.ok("complaint", "open", who, what, "--department", "工程部", "--at", when,
               now=NOW)
    (complaint,) = (row for row in cli.ok("complaint", "list", "--customer", "5",
                                          "--format", "csv", now=NOW).splitlines()[1:]
                    if "門禁失靈" in row)
    number = complaint.split(",")[0]
    for to in ("保安部", "清潔部"):
        cli.ok("complaint", "refer", number, "--to", to, "--due", "2026-11-22 17:00",
               "--at", "2026-11-21 09:10", now=NOW)
    for title in ("停水通知", "消防演習通知"):
        cli.ok("notice", "send", title, "--to", "segment:tenant", "--sign-off", "--at", at,
               now=NOW)
    for text in ("停車位月租多少", "門禁卡補辦"):
        cli.ok("request", "open", "1", text, "--at", at, now=NOW)
    return cli


def _csv(cli: Cli, *args: str, now: str = NOW) -> list[str]:
    return cli.ok("visit", "due", "--format", "csv", *args, now=now).splitlines()


@pytest.mark.parametrize("kind", LIMITED)
def test_limit_lists_the_first_rows_of_a_kind_ties_included(tied: Cli, kind: str) -> None:
    whole = _csv(tied, "--kind", kind, "--within", "30d")
    assert len(whole) > 3, kind
    for limit in (*range(1, 9), len(whole) - 2, len(whole) - 1, len(whole) + 3):
        assert _csv(tied, "--kind", kind, "--within", "30d", "--limit", str(limit)) == \
            whole[:limit + 1], (kind, limit)


@pytest.mark.parametrize("now", [NOW, "2026-12-20T08:00:00+08:00"])
def test_limit_lists_the_first_rows_of_the_whole_agenda(tied: Cli, now: str) -> None:
    whole = _csv(tied, now=now)
    for limit in (1, 5, 20, 60, len(whole) - 1):
        assert _csv(tied, "--limit", str(limit), now=now) == whole[:limit + 1]


def test_each_source_gives_the_first_items_of_its_whole_list(tied: Cli, tmp_path: Path) -> None:
    # what every source promises (``AgendaContext.limit``): its first ``limit`` items in the
    # agenda's order, the same as the whole list sorted and cut
    conn = connect(tmp_path / "sample.db")
    now = datetime.fromisoformat(NOW)
    session = Session(conn, now, "tester")
    policy = session.policies.current
    last_day = now.date() + timedelta(days=30)
    for source in agenda.SOURCES:
        whole = in_order(source.items(AgendaContext(
            session, now, last_day, policy, frozenset(agenda.DUE_KINDS))))
        for limit in range(1, len(whole) + 2):
            some = source.items(AgendaContext(session, now, last_day, policy,
                                              frozenset(agenda.DUE_KINDS), limit=limit))
            assert in_order(some, limit) == whole[:limit], (source.name, limit)
    conn.close()
