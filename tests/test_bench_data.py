"""The benchmark site's data is a site crmcli itself could have written: `crmcli check` finds
it consistent, built whole or extended in place (benchmarks/make_db.py --extend)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

MAKE_DB = Path(__file__).resolve().parent.parent / "benchmarks" / "make_db.py"
pytestmark = pytest.mark.slow


def make_db(*args: str) -> None:
    subprocess.run([sys.executable, str(MAKE_DB), *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("contracts", "requests", "request_events", "meetings",
                              "meeting_attendees", "notices", "notice_deliveries",
                              "day_records")}
    finally:
        conn.close()


def test_a_whole_build_with_money_and_the_front_desk_checks_clean(cli: Cli,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "built.db"
    make_db("--customers", "300", "--complaints", "3000", "--visits", "3000", str(path))
    assert all(counts(path).values())
    assert cli.ok("--db", str(path), "check").endswith("records consistent.\n")


def test_an_older_file_extended_in_place_checks_clean(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_db("--customers", "300", "--complaints", "3000", "--visits", "3000",
            "--money-months", "0", "--desk-months", "0", str(path))
    assert not any(counts(path).values())
    make_db("--extend", str(path))
    found = counts(path)
    assert all(found.values())
    assert cli.ok("--db", str(path), "check").endswith("records consistent.\n")
    make_db("--extend", str(path))  # a second time adds nothing
    assert counts(path) == found
