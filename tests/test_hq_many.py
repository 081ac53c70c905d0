"""`hq report` over 100 site files built by benchmarks/make_db.py: each site's row is its own
`report monthly`, and the company's counts are the sums of the sites' (SPEC §5 "Many sites")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import Cli

from crmcli.services import hq, reports

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import make_db

SITES = 100
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/London")


def test_hq_report_over_100_sites_is_the_sum_of_their_own_reports(cli: Cli, tmp_path: Path
                                                                   ) -> None:
    folder = tmp_path / "sites"
    for number in range(SITES):
        make_db.build(folder / f"site{number:03d}.db", customers=12, complaints=30, visits=20,
                      seed=number, as_of="2026-11-20T08:00:00+08:00",
                      tz=ZONES[number % len(ZONES)], years=1, site_name=f"第{number}站")
    (folder / "site050-broken.db").write_bytes(b"not a database" * 500)
    code, out, err = cli("hq", "report", "--sites", str(folder), "--month", "2026-10",
                         "--format", "json")
    assert code == 1, err  # read by several processes: the skipped file among them
    assert err.splitlines() == [
        f"Error: 1 of {SITES + 1} site files could not be read; the output covers the "
        f"other {SITES}:",
        f"- {folder / 'site050-broken.db'}: not a usable SQLite database (file is not a "
        "database)"]
    rows = json.loads(out)
    assert len(rows) == SITES + 1
    *sites, company = rows
    assert [row["file"] for row in sites] == [str(folder / f"site{n:03d}.db")
                                               for n in range(SITES)]
    for row in sites:
        own = json.loads(cli.ok("--db", row["file"], "report", "monthly", "--month", "2026-10",
                                "--format", "json"))
        assert {key: row[key] for key in reports.FIGURES} == {key: own[key]
                                                              for key in reports.FIGURES}
    assert company["site"] == hq.COMPANY and company["file"] == f"{SITES} sites"
    assert company["complaints_opened"] > SITES  # a real month at each site
    for key in hq.SUMMED:
        assert company[key] == sum(row[key] for row in sites), key
    assert company["followup_rate_pct"] == reports.pct(company["followups_done"],
                                                       company["followups_due"])
    ratings = sum(row["ratings"] for row in sites)
    average = sum(row["avg_satisfaction"] * row["ratings"] for row in sites if row["ratings"])
    assert abs(company["avg_satisfaction"] - average / ratings) < 0.01
    assert company["complete"] is True and company["month"] == "2026-10"
