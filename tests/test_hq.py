"""The head office's view of many sites (`hq report`, `hq due`): each site read read-only, its
row equal to its own `report monthly`, the company's figures from the complaints themselves,
unreadable files named and skipped (SPEC §5 "Many sites")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from crmcli import db
from crmcli.services import hq, reports

FIXTURES = Path(__file__).parent / "fixtures"
LATEST_FIXTURE = FIXTURES / f"schema-v{db.LATEST}.db"
SAMPLE = Path(__file__).parent.parent / "sample.db"
SAMPLE_NOW = "2026-11-23T08:00:00+08:00"  # README's first command


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_site(cli: Cli, path: Path, name: str) -> Path:
    cli.ok("--db", str(path), "init", "--site-name", name)
    return path


def json_rows(out: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


@pytest.fixture
def sample_site(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed sample site, at the moment it was built."""
    path = tmp_path / "sites" / "sample.db"
    path.parent.mkdir()
    shutil.copyfile(SAMPLE, path)
    monkeypatch.setenv("CRMCLI_NOW", SAMPLE_NOW)
    cli.ok("--db", str(path), "policy", "set", "site_name", "華信大廈")
    return path


@pytest.mark.parametrize("month", ["this", "2026-10", "last"])
def test_a_sites_row_is_exactly_its_own_report_monthly(cli: Cli, sample_site: Path,
                                                       month: str) -> None:
    own = json.loads(cli.ok("--db", str(sample_site), "report", "monthly", "--month", month,
                            "--format", "json"))
    rows = json_rows(cli.ok("hq", "report", "--sites", str(sample_site.parent), "--month", month,
                            "--format", "json"))
    site, company = rows
    assert site["site"] == "華信大廈" and site["scope"] == "site"
    assert site["file"] == str(sample_site)
    assert {key: site[key] for key in reports.FIGURES} == {key: own[key]
                                                           for key in reports.FIGURES}
    # one site: the company is that site
    assert {key: company[key] for key in reports.FIGURES} == {key: own[key]
                                                              for key in reports.FIGURES}
    assert company["scope"] == "company" and company["site"] == hq.COMPANY


def _complaint(cli: Cli, site: Path, customer: str, opened: str, closed: str | None) -> None:
    out = cli.ok("--db", str(site), "complaint", "open", customer, "漏水", "--at", opened,
                 "--format", "json")
    number = json.loads(out)["id"]
    if closed is not None:
        cli.ok("--db", str(site), "complaint", "close", str(number), "--resolution", "已修好",
               "--at", closed)


def test_company_figures_come_from_the_complaints_not_from_the_sites_figures(
        cli: Cli, tmp_path: Path) -> None:
    """Site A closes three complaints in 1 h, 2 h and 3 h; site B one in 100 h. The company's
    median is that of the four (2.5 h), not the mean of the sites' medians (51 h); its rates
    are weighted by their counts."""
    a = new_site(cli, tmp_path / "a.db", "A座")
    b = new_site(cli, tmp_path / "b.db", "B座")
    for site in (a, b):
        cli.ok("--db", str(site), "customer", "add", "王小明")
    for hours in (1, 2, 3):
        _complaint(cli, a, "王小明", "2026-10-05 09:00", f"2026-10-05 {9 + hours:02d}:00")
    _complaint(cli, b, "王小明", "2026-10-05 09:00", "2026-10-09 13:00")  # 100 h
    _complaint(cli, b, "王小明", "2026-10-06 09:00", None)
    _complaint(cli, b, "王小明", "2026-10-07 09:00", None)
    rows = json_rows(cli.ok("hq", "report", str(a), str(b), "--month", "2026-10",
                            "--format", "json"))
    by_site = {row["site"]: row for row in rows}
    assert by_site["A座"]["median_resolution_hours"] == 2.0
    assert by_site["B座"]["median_resolution_hours"] == 100.0
    company = by_site[hq.COMPANY]
    assert company["median_resolution_hours"] == 2.5
    assert company["complaints_opened"] == 6 and company["complaints_closed"] == 4
    # follow-ups: A's three closings are due in October, B's one; none done
    assert company["followups_due"] == 4
    assert company["followup_rate_pct"] == 0.0
    # the 90th percentile over the four (nearest rank: the 4th), not the sites' worst
    assert company["p90_resolution_hours"] == 100.0
    # resolved on time: A's three within the minor deadline, B's at 100 h too (10 days)
    assert company["resolved_on_time_pct"] == 100.0
    for key in hq.SUMMED:
        assert company[key] == by_site["A座"][key] + by_site["B座"][key], key


def test_rates_are_weighted_by_their_counts(cli: Cli, tmp_path: Path) -> None:
    """Site A: one follow-up due and done (100 %); site B: three due, none done (0 %). The
    company did 1 of 4: 25 %, not the 50 % of averaging the sites."""
    a = new_site(cli, tmp_path / "a.db", "A座")
    b = new_site(cli, tmp_path / "b.db", "B座")
    for site in (a, b):
        cli.ok("--db", str(site), "customer", "add", "王小明")
    _complaint(cli, a, "王小明", "2026-10-05 09:00", "2026-10-05 10:00")
    cli.ok("--db", str(a), "visit", "log", "王小明", "--method", "phone", "--complaint", "1",
           "--at", "2026-10-05 15:00", "--satisfaction", "5")
    for day in (5, 6, 7):
        _complaint(cli, b, "王小明", f"2026-10-{day:02d} 09:00", f"2026-10-{day:02d} 10:00")
    rows = json_rows(cli.ok("hq", "report", str(a), str(b), "--month", "2026-10", "-f", "json"))
    rates = {row["site"]: row["followup_rate_pct"] for row in rows}
    assert rates == {"A座": 100.0, "B座": 0.0, hq.COMPANY: 25.0}


def test_unreadable_files_are_named_skipped_and_fail_the_run_at_the_end(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "READ_BUSY_TIMEOUT_MS", 200)
    sites = tmp_path / "sites"
    sites.mkdir()
    good = new_site(cli, sites / "good.db", "好站")
    (sites / "notes.db").write_text("not a database at all\n" * 300)
    plain = sqlite3.connect(sites / "plain.db")
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    newer = new_site(cli, sites / "newer.db", "新站")
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {db.LATEST + 1}")
    conn.close()
    damaged = new_site(cli, sites / "damaged.db", "壞站")
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[page:] = bytes((i * 7 + 3) % 251 for i in range(len(data) - page))
    damaged.write_bytes(bytes(data))
    locked = new_site(cli, sites / "locked.db", "鎖站")
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out, err = cli("hq", "report", "--sites", str(sites), "--sites",
                             str(tmp_path / "missing.db"), "--format", "csv")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    first, *lines = err.splitlines()
    assert first == ("Error: 6 of 7 site files could not be read; the output covers the "
                     "other 1:")
    reasons = {line.split(": ", 1)[0].removeprefix("- "): line.split(": ", 1)[1]
               for line in lines}
    assert reasons[str(tmp_path / "missing.db")] == "no such file"
    assert reasons[str(sites / "notes.db")].startswith("not a usable SQLite database")
    assert reasons[str(sites / "plain.db")] == "not a crmcli database"
    assert reasons[str(newer)].startswith(f"written by a newer crmcli (schema {db.LATEST + 1}")
    assert reasons[str(damaged)].startswith(("damaged", "not a usable SQLite database"))
    assert reasons[str(locked)].startswith("locked by another program")
    assert len(reasons) == 6
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["site"] for row in rows] == ["好站", hq.COMPANY]
    assert rows[0]["file"] == str(good)


def test_an_older_schema_is_read_without_upgrading_the_file(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema-v1.db", old)
    before = digest(old)
    rows = json_rows(cli.ok("hq", "report", str(old), "--month", "2026-11", "-f", "json"))
    assert digest(old) == before
    conn = sqlite3.connect(f"{old.as_uri()}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    upgraded = tmp_path / "upgraded.db"
    shutil.copyfile(FIXTURES / "schema-v1.db", upgraded)
    own = json.loads(cli.ok("--db", str(upgraded), "report", "monthly", "--month", "2026-11",
                            "-f", "json"))
    assert own["complaints_opened"] > 0
    assert {key: rows[0][key] for key in reports.FIGURES} == {key: own[key]
                                                              for key in reports.FIGURES}
    assert rows[0]["site"] == "old"  # no site_name recorded then: the file's name


def test_reading_changes_no_site_file(cli: Cli, sample_site: Path) -> None:
    before = digest(sample_site)
    cli.ok("hq", "report", "--sites", str(sample_site))
    cli.ok("hq", "due", "--sites", str(sample_site))
    assert digest(sample_site) == before


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "jsonl"])
def test_every_format(cli: Cli, sample_site: Path, fmt: str) -> None:
    out = cli.ok("hq", "report", "--sites", str(sample_site), "--format", fmt)
    if fmt == "json":
        assert [row["scope"] for row in json.loads(out)] == ["site", "company"]
    elif fmt == "jsonl":
        assert [json.loads(line)["scope"] for line in out.splitlines()] == ["site", "company"]
    elif fmt in ("csv", "tsv"):
        header, *body = out.splitlines()
        assert header.split("," if fmt == "csv" else "\t") == list(hq.REPORT_KEYS)
        assert len(body) == 2
    else:
        assert "華信大廈" in out and hq.COMPANY in out
        assert max(len(line) for line in out.splitlines()) <= 120
    due = cli.ok("hq", "due", "--sites", str(sample_site), "--format", fmt)
    assert due.strip()


def test_due_counts_what_each_site_shows_overdue(cli: Cli, sample_site: Path,
                                                 tmp_path: Path) -> None:
    second = tmp_path / "second.db"
    shutil.copyfile(sample_site, second)
    own = json.loads(cli.ok("--db", str(sample_site), "visit", "due", "--format", "json"))
    expected: dict[str, int] = {}
    for row in own:
        if row["overdue"]:
            expected[row["kind"]] = expected.get(row["kind"], 0) + 1
    rows = json_rows(cli.ok("hq", "due", "--sites", str(sample_site), str(second),
                            "--format", "json"))
    assert {row["file"] for row in rows} == {str(sample_site), str(second)}
    for path in (sample_site, second):
        counts = {row["kind"]: row["overdue"] for row in rows if row["file"] == str(path)}
        assert counts == expected
    oldest = json_rows(cli.ok("hq", "due", "--sites", str(sample_site), "--oldest", "3",
                              "--format", "json"))
    first_overdue = [row for row in own if row["overdue"]][:3]
    assert [(row["customer_id"], row["kind"]) for row in oldest] == [
        (row["customer_id"], row["kind"]) for row in first_overdue]


def test_confidential_values_stay_masked(cli: Cli, tmp_path: Path) -> None:
    from fixtures.make_fixtures import SECRET_ADDRESS, SECRET_EMAIL, SECRET_PHONE

    site = tmp_path / "site.db"
    shutil.copyfile(LATEST_FIXTURE, site)
    outputs = [cli.ok("hq", "report", str(site), "--month", "2026-11", "-f", fmt)
               for fmt in ("table", "csv", "json")]
    outputs += [cli.ok("hq", "due", str(site), *extra, "-f", fmt)
                for fmt in ("table", "csv", "json") for extra in ((), ("--oldest", "50"))]
    for out in outputs:
        for secret in (SECRET_PHONE, SECRET_EMAIL, SECRET_ADDRESS):
            assert secret not in out


def test_a_directory_stands_for_its_site_files_each_read_once(cli: Cli, tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    for name in ("b", "a"):
        new_site(cli, sites / f"{name}.db", name.upper())
    (sites / "readme.txt").write_text("not a site")
    (tmp_path / "empty").mkdir()
    code, out, err = cli("hq", "report", "--sites", str(sites), str(sites / "a.db"),
                         str(tmp_path / "empty"), "-f", "csv")
    assert code == 1 and "a directory with no .db files" in err
    assert [row["site"] for row in csv.DictReader(io.StringIO(out))] == ["A", "B", hq.COMPANY]


def test_bad_usage(cli: Cli, sample_site: Path) -> None:
    code, _, err = cli("hq", "report")
    assert code == 2 and "--sites" in err
    code, _, err = cli("hq", "report", str(sample_site), "--month", "2026-13")
    assert code == 2 and "--month" in err


def test_each_site_is_read_in_its_own_zone(cli: Cli, tmp_path: Path,
                                           set_tz: Callable[[str], None]) -> None:
    """One complaint at 2026-10-31 20:00 UTC at two sites: 1 November 04:00 in Shanghai,
    31 October 20:00 in London. Each site's October is its own calendar month."""
    east = new_site(cli, tmp_path / "east.db", "上海")
    west = new_site(cli, tmp_path / "west.db", "London")
    cli.ok("--db", str(east), "policy", "set", "timezone", "Asia/Shanghai")
    cli.ok("--db", str(west), "policy", "set", "timezone", "Europe/London")
    for site in (east, west):
        cli.ok("--db", str(site), "customer", "add", "王小明")
        cli.ok("--db", str(site), "complaint", "open", "王小明", "漏水", "--at",
               "2026-10-31T20:00:00+00:00")
    rows = {row["site"]: row for row in json_rows(cli.ok(
        "hq", "report", str(east), str(west), "--month", "2026-10", "-f", "json"))}
    assert rows["上海"]["complaints_opened"] == 0 and rows["上海"]["zone"] == "Asia/Shanghai"
    assert rows["London"]["complaints_opened"] == 1 and rows["London"]["zone"] == "Europe/London"
    assert rows[hq.COMPANY]["complaints_opened"] == 1
    for site in (east, west):
        own = json.loads(cli.ok("--db", str(site), "report", "monthly", "--month", "2026-10",
                                "-f", "json"))
        name = "上海" if site == east else "London"
        assert {key: rows[name][key] for key in reports.FIGURES} == {
            key: own[key] for key in reports.FIGURES}
    # 20:30 UTC on 31 October: this month is November in Shanghai, still October in London
    rows = {row["site"]: row for row in json_rows(cli.ok(
        "hq", "report", str(east), str(west), "-f", "json", now="2026-10-31T20:30:00+00:00"))}
    assert (rows["上海"]["month"], rows["London"]["month"]) == ("2026-11", "2026-10")
    assert rows[hq.COMPANY]["month"] == "2026-10 / 2026-11"
    # the head office's own zone changes nothing
    before = cli.ok("hq", "report", str(east), str(west), "--month", "2026-10", "-f", "json")
    set_tz("America/New_York")
    assert cli.ok("hq", "report", str(east), str(west), "--month", "2026-10", "-f",
                  "json") == before


def test_the_company_adds_up_the_front_desk_from_its_counts(cli: Cli, sample_site: Path) -> None:
    shutil.copyfile(sample_site, sample_site.with_name("copy.db"))
    cli.ok("--db", str(sample_site.with_name("copy.db")), "policy", "set", "site_name", "分部")
    own = json.loads(cli.ok("--db", str(sample_site), "report", "monthly", "--format", "json"))
    *_, company = json_rows(cli.ok("hq", "report", "--sites", str(sample_site.parent),
                                   "--format", "json"))
    assert own["requests_received"] > 0
    for key in ("requests_received", "notices_sent", "meetings_held"):
        assert company[key] == 2 * own[key], key
    for key in ("requests_replied_on_time_pct", "request_reply_rate_pct"):
        assert company[key] == own[key], key
