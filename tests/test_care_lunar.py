"""Care that no anchor offers: a customer's own anniversaries (seed 003: 業戶周年紀念日) and a
lunar birthday (農曆生日), shown by `care` on the right Gregorian day.

The lunar rows are checked against the published calendar of the State Council's holiday
notices (春節 正月初一, 端午 五月初五, 中秋 八月十五) for 2023-2025, and against the leap
months of those years: 2023 has a leap second month (閏二月, from 22 March), 2025 a leap sixth
month (閏六月, from 25 July).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import Cli

from crmcli import cadence


@pytest.mark.parametrize(("lunar", "year", "gregorian"), [
    ("01-01", 2023, date(2023, 1, 22)), ("01-01", 2024, date(2024, 2, 10)),
    ("01-01", 2025, date(2025, 1, 29)),
    ("05-05", 2023, date(2023, 6, 22)), ("05-05", 2024, date(2024, 6, 10)),
    ("05-05", 2025, date(2025, 5, 31)),
    ("08-15", 2023, date(2023, 9, 29)), ("08-15", 2024, date(2024, 9, 17)),
    ("08-15", 2025, date(2025, 10, 6)),  # after 2025's leap sixth month
    # leap months: the ordinary month, and the leap month of the same number
    ("02-15", 2023, date(2023, 3, 6)), ("L02-15", 2023, date(2023, 4, 5)),
    ("06-01", 2025, date(2025, 6, 25)), ("L06-01", 2025, date(2025, 7, 25)),
    # born in a leap month, in a year without that leap month: the ordinary month
    ("L06-01", 2024, date(2024, 7, 6)),
    # a 30th in a month of 29 days: its last day (2024's twelfth month ends on 除夕 28 Jan 2025)
    ("12-30", 2024, date(2025, 1, 28)),
])
def test_a_lunar_birthday_falls_on_the_published_day(lunar: str, year: int,
                                                     gregorian: date) -> None:
    leap = lunar.startswith("L")
    month, day = (int(part) for part in lunar.lstrip("L").split("-"))
    assert cadence.lunar_on(year, month, day, leap) == gregorian
    found = cadence.lunar_birthdays(lunar, gregorian, gregorian)
    assert [o.day for o in found] == [gregorian]


def test_a_lunar_birthday_is_found_once_a_year_across_the_gregorian_new_year() -> None:
    days = [o.day for o in cadence.lunar_birthdays("12-20", date(2023, 1, 1),
                                                   date(2025, 12, 31))]
    assert days == [date(2023, 1, 11), date(2024, 1, 30), date(2025, 1, 19)]


def test_care_shows_lunar_birthdays_and_own_anniversaries_on_their_day(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--lunar-birthday", "08-15", "--anniversary",
           "結婚紀念日=09-28", "--anniversary", "入伙=10-01")
    rows = json.loads(cli.ok("care", "--within", "30d", "--format", "json",
                             now="2026-09-20T08:00:00+08:00"))
    mine = [(r["date"], r["kind"], r["occasion"]) for r in rows if r["customer"] == "王小明"]
    assert mine == [("2026-09-25", "lunar_birthday", "lunar birthday (農曆生日 8月15日)"),
                    ("2026-09-28", "occasion", "結婚紀念日"),
                    ("2026-10-01", "occasion", "入伙")]
    shown = json.loads(cli.ok("customer", "show", "王小明", "--format", "json"))
    assert (shown["anniversaries"], shown["lunar_birthday"]) == (
        "結婚紀念日=09-28; 入伙=10-01", "08-15")


def test_edit_and_import_take_them_and_bad_ones_are_refused(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "李太")
    cli.ok("customer", "edit", "李太", "--lunar-birthday", "閏4-15", "--anniversary",
           "開業=02-29")
    shown = json.loads(cli.ok("customer", "show", "李太", "--format", "json"))
    assert (shown["anniversaries"], shown["lunar_birthday"]) == ("開業=02-29", "L04-15")
    for option, value in (("--lunar-birthday", "13-01"), ("--lunar-birthday", "04-31"),
                          ("--anniversary", "05-20"), ("--anniversary", "x=02-30")):
        code, _, err = cli("customer", "edit", "李太", option, value)
        assert code == 2 and err.startswith(f"Error: {option}:"), err
    sheet = tmp_path / "in.csv"
    sheet.write_text("name,anniversary,lunar_birthday\n陳,結婚=09-25; 開業=10-02,09-01\n",
                     encoding="utf-8")
    cli.ok("customer", "import", str(sheet))
    shown = json.loads(cli.ok("customer", "show", "陳", "--format", "json"))
    assert (shown["anniversaries"], shown["lunar_birthday"]) == ("結婚=09-25; 開業=10-02",
                                                                 "09-01")
