"""`visit due --limit N` is the first N of the whole list, and an earlier moment is exact.

The complaint deadlines are read from an index of those nothing has met or cancelled yet (plus
those met or cancelled after the moment asked); the handover visits from a covering index of
handover days. With a limit each source gives only its first items: these must be the first of
the list, ties on a due time, a day and a customer included.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from conftest import Cli

from crmcli.services.agenda import handover

NOW = "2026-11-20T10:00:00+08:00"


def _lines(cli: Cli, *args: str, now: str = NOW) -> list[str]:
    return cli.ok("visit", "due", "--format", "csv", *args, now=now).splitlines()


@pytest.fixture
def ties(cli: Cli) -> Cli:
    """Complaints of two customers opened at the same minutes: their deadlines fall due
    together (feedback, report, resolution); handovers on the same days (one renovating)."""
    for name in ("王小明", "李美玲"):
        cli.ok("customer", "add", name, "--since", "2025-01-01", "--handover", "2026-08-20",
               now="2026-11-01T09:00:00+08:00")
    for name, day in (("陳大文", "2026-08-20"), ("張三", "2026-08-20"), ("李四", "2026-08-20"),
                      ("趙六", "2026-08-21"), ("孫七", "2026-08-13"), ("周經理", "2026-08-20")):
        cli.ok("customer", "add", name, "--since", "2025-01-01", "--handover", day,
               *(("--renovating",) if name == "周經理" else ()),
               now="2026-11-01T09:00:00+08:00")
    for at in ("2026-11-18 09:00", "2026-11-19 09:00"):
        for name in ("李美玲", "王小明"):
            cli.ok("complaint", "open", name, "漏水", "--at", at, now=NOW)
            cli.ok("complaint", "open", name, "噪音", "--severity", "major", "--at", at, now=NOW)
    return cli


@pytest.mark.parametrize("kinds", [("--kind", "deadline"), ("--kind", "handover"), ()])
def test_limit_gives_the_first_rows_of_the_whole_list(ties: Cli, kinds: tuple[str, ...]
                                                      ) -> None:
    for within in ((), ("--within", "30d")):
        whole = _lines(ties, *kinds, *within)
        assert len(whole) > 6
        for limit in range(1, len(whole) + 1):
            assert _lines(ties, *kinds, *within, "--limit", str(limit)) == whole[:limit + 1]


def test_a_deadline_met_after_the_moment_still_runs_then(cli: Cli) -> None:
    # A major complaint (SPEC §2: report to the head within 10 minutes, resolve within 12 h)
    # opened 18 Nov 09:00 and closed 20:00, never reported: the agenda as of 18 Nov 12:00
    # (typed later, CRMCLI_NOW earlier) owes both; once closed, only the report
    cli.ok("customer", "add", "王小明", now="2026-11-01T09:00:00+08:00")
    cli.ok("complaint", "open", "王小明", "漏水", "--severity", "major",
           "--at", "2026-11-18 09:00", now=NOW)
    cli.ok("complaint", "close", "1", "--resolution", "已修好", "--at", "2026-11-18 20:00",
           now=NOW)
    earlier = "2026-11-18T12:00:00+08:00"
    rows = json.loads(cli.ok("visit", "due", "--kind", "deadline", "--format", "json",
                             now=earlier))
    assert [(row["kind"], row["due"], row["overdue"]) for row in rows] == [
        ("report", "2026-11-18T09:10:00+08:00", True),
        ("resolve", "2026-11-18T21:00:00+08:00", False)]
    whole = _lines(cli, "--kind", "deadline", now=earlier)
    for limit in (1, 2):
        assert _lines(cli, "--kind", "deadline", "--limit", str(limit),
                      now=earlier) == whole[:limit + 1]
    for later in ("2026-11-18T20:00:00+08:00", NOW):
        rows = json.loads(cli.ok("visit", "due", "--kind", "deadline", "--format", "json",
                                 now=later))
        assert [row["kind"] for row in rows] == ["report"]


@pytest.mark.parametrize("chunk", [1, 4])
def test_limited_handover_visits_are_the_first_of_a_varied_site(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    # Handovers over three years, some visits and invitations made, some customers skipped
    # (seed 002 ①②③): at several moments the first N handover items are those of the
    # whole list, however few candidates the limit needs to read (read a few at a time
    # here, so the reading stops early).
    monkeypatch.setattr(handover, "_CHUNK", chunk)
    rng = random.Random("handover-limits")
    typed = "2027-09-01T09:00:00+08:00"
    start = date(2024, 1, 1)
    for number in range(60):
        name = f"客戶{number:02d}"
        handed = start + timedelta(days=rng.randrange(0, 3 * 365))
        flags = rng.choice([(), (), (), (), ("--renovating",), ("--not-occupied",)])
        cli.ok("customer", "add", name, "--handover", handed.isoformat(), *flags, now=typed)
        for kind, months in (("invitation", 3), ("residence", 3), ("inspection", 12)):
            if rng.random() < 0.35:
                day = handed + timedelta(days=30 * months + rng.randrange(-10, 20))
                cli.ok("visit", "log", name, "--kind", kind, "--method", "in-person",
                       "--at", f"{day.isoformat()} 10:00", now=typed)
        if rng.random() < 0.15:
            cli.ok("complaint", "open", name, "漏水", "--severity", "major",
                   "--at", "2024-06-01 09:00", now=typed)
    for now in ("2025-03-01T09:00:00+08:00", "2025-11-23T09:00:00+08:00",
                "2026-06-15T09:00:00+08:00", "2027-02-01T09:00:00+08:00"):
        for within in ((), ("--within", "60d")):
            whole = _lines(cli, "--kind", "handover", *within, now=now)
            assert len(whole) > 3, now
            for limit in range(1, len(whole) + 1):
                assert _lines(cli, "--kind", "handover", *within, "--limit", str(limit),
                              now=now) == whole[:limit + 1], (now, within, limit)
