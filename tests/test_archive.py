"""`crmcli archive`: complaints closed longer ago than retention_years move to an archive file."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import FIXED_NOW, Cli

OLD = "2023-06-10T10:00:00+08:00"


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", now="2023-01-01T09:00:00+08:00")
    cli.ok("customer", "add", "李四", now="2023-01-01T09:00:00+08:00")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2023-06-01 09:00", now=OLD)
    cli.ok("complaint", "close", "1", "--resolution", "已修", "--at", "2023-06-02 10:00",
           now=OLD)
    cli.ok("visit", "log", "王小明", "--complaint", "1", "--method", "phone", "--at",
           "2023-06-03 10:00", now=OLD)
    # closed 2024-11-25: younger than two years at 2026-11-20, it stays
    cli.ok("complaint", "open", "李四", "噪音", "--at", "2024-11-20 09:00",
           now="2024-11-25T10:00:00+08:00")
    cli.ok("complaint", "close", "2", "--resolution", "已協調", "--at", "2024-11-25 09:00",
           now="2024-11-25T10:00:00+08:00")
    cli.ok("complaint", "open", "李四", "電梯", "--at", "09:00", now=FIXED_NOW)
    return cli


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_dry_run_moves_nothing(site: Cli, db_path: Path, tmp_path: Path) -> None:
    out = site.ok("archive", "--dry-run", "--to", str(tmp_path / "a.db"))
    assert out.startswith("Would archive 1 complaint closed before 2024-11-20 (")
    assert not (tmp_path / "a.db").exists()
    assert _count(db_path, "complaints") == 3


def test_archive_moves_old_complaints_with_their_history_verified(site: Cli, db_path: Path,
                                                                  tmp_path: Path) -> None:
    target = tmp_path / "old.db"
    result = json.loads(site.ok("archive", "--to", str(target), "--format", "json"))
    assert (result["complaints"], result["visits"], result["batches"], result["months"]) == (
        1, 1, 1, ["2023-06"])
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [_count(target, t) for t in ("complaints", "complaint_events", "visits")] == [
        1, 3, 1]
    assert [_count(db_path, t) for t in ("complaints", "visits")] == [2, 1]  # #2 keeps its own
    assert site.ok("check").endswith("records consistent.\n")
    copy = site.ok("--db", str(target), "complaint", "show", "1", "--format", "json")
    assert json.loads(copy)["resolution"] == "已修"
    report = json.loads(site.ok("report", "monthly", "--month", "2023-06", "--format", "json"))
    assert (report["archived_complaints"], report["archived_to"]) == (1, str(target))
    assert report["complaints_opened"] == 0
    assert "This month is archived: 1 complaint(s)" in site.ok("report", "monthly", "--month",
                                                                "2023-06")
    # run again: nothing more to move
    assert site.ok("archive", "--to", str(target)).startswith("Nothing to archive")


def test_never_younger_than_the_retention_period(site: Cli, tmp_path: Path) -> None:
    code, out, err = site("archive", "--before", "2025-01-01", "--to", str(tmp_path / "a.db"))
    assert (code, out) == (2, "")
    assert "kept 2 years (retention_years); archive only those closed before 2024-11-20" in err
    out = site.ok("archive", "--before", "2023-01-01", "--dry-run")
    assert out.startswith("Would archive 0 complaints")
