"""`complaint sweep --dry-run` shows exactly what `complaint sweep` records at that moment.

The dry run reads the stored outcomes (no replay); the sweep replays each complaint. Seed 004:
a minor complaint unresolved in ``upgrade_days`` becomes major, and a major one unresolved
``resolve_hours`` after it became major is escalated — the site's cron records both.
"""

from __future__ import annotations

import json

import pytest
from conftest import Cli


def items(cli: Cli, *args: str, now: str) -> list[tuple[int, str, str, str]]:
    rows = json.loads(cli.ok("complaint", "sweep", *args, "-f", "json", now=now))
    return [(r["complaint_id"], r["action"], r["at"], r["note"]) for r in rows]


@pytest.fixture
def site(cli: Cli) -> Cli:
    """Complaints at every stage: left alone, upgraded by hand, closed, reopened, one whose
    upgrade by hand was voided, and a policy change between two openings."""
    cli.ok("customer", "add", "王小明", now="2026-10-01T08:00")
    cli.ok("customer", "add", "李美玲", now="2026-10-01T08:00")
    cli.ok("complaint", "open", "王小明", "漏水", now="2026-10-20T09:00")  # 1
    cli.ok("complaint", "open", "李美玲", "噪音", "--severity", "major",
           now="2026-10-25T10:30")  # 2
    cli.ok("complaint", "open", "王小明", "電梯", now="2026-10-26T11:15")  # 3
    cli.ok("complaint", "close", "3", "--resolution", "已修", now="2026-10-27T09:00")
    cli.ok("complaint", "reopen", "3", "--reason", "又壞了", now="2026-11-02T09:00")
    cli.ok("complaint", "open", "李美玲", "空調", now="2026-11-02T10:00")  # 4
    cli.ok("policy", "set", "upgrade_days", "7", now="2026-11-03T08:00")
    cli.ok("complaint", "open", "李美玲", "停車", now="2026-11-04T14:20")  # 5
    cli.ok("complaint", "open", "王小明", "清潔", now="2026-11-05T08:05")  # 6
    cli.ok("complaint", "upgrade", "6", "--reason", "客戶投訴升級", now="2026-11-05T09:00")
    cli.ok("complaint", "open", "李美玲", "門禁", now="2026-11-06T16:45")  # 7
    cli.ok("complaint", "close", "7", "--resolution", "已換卡", now="2026-11-06T17:00")
    cli.ok("complaint", "sweep", now="2026-11-07T07:00")
    upgrade = [e for e in json.loads(cli.ok("complaint", "show", "6", "-f", "json",
                                            now="2026-11-07T07:00"))["events"]
               if e["action"] == "upgraded"]
    cli.ok("complaint", "void-event", "6", str(upgrade[0]["id"]), "--reason", "升級記錯了",
           now="2026-11-07T07:05")
    return cli


@pytest.mark.parametrize("now", ["2026-11-07T07:06", "2026-11-11T14:20", "2026-11-11T14:21",
                                 "2026-11-13T21:00", "2026-11-20T08:00", "2026-12-31T23:59"])
def test_the_dry_run_shows_what_the_sweep_records(site: Cli, now: str) -> None:
    dry = items(site, "--dry-run", now=now)
    assert items(site, "--dry-run", now=now) == dry  # it records nothing
    assert (5, "upgraded", "2026-11-11T14:20:00+08:00", "not resolved within 7 days") in dry \
        or now != "2026-11-11T14:21"  # a deadline passed the minute after it is due
    assert not any(cid == 5 for cid, *_ in dry) or now != "2026-11-11T14:20"
    assert items(site, now=now) == dry
    assert items(site, "--dry-run", now=now) == []


def test_the_dry_run_names_the_policy_in_force_when_the_deadline_started(site: Cli) -> None:
    notes = {(cid, note) for cid, action, _, note in items(site, "--dry-run",
                                                           now="2026-12-01T09:00")
             if action == "upgraded"}
    assert (4, "not resolved within 10 days") in notes
    assert (5, "not resolved within 7 days") in notes
