"""What people type for times, days, months and spans, read in the local zone (TZ honoured)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Cli

from crmcli import dates
from crmcli.clock import parse_fixed
from crmcli.errors import BadInput, ExitCode

# 10:00 on Friday 20 November 2026 in Shanghai
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SHANGHAI = [
    ("09:40", utc(2026, 11, 20, 1, 40)),
    ("9:40", utc(2026, 11, 20, 1, 40)),
    ("yesterday 15:00", utc(2026, 11, 19, 7, 0)),
    ("昨天 15:00", utc(2026, 11, 19, 7, 0)),
    ("today 08:15", utc(2026, 11, 20, 0, 15)),
    ("tomorrow", utc(2026, 11, 20, 16, 0)),  # local midnight starting the 21st
    ("tomorrow 09:00", utc(2026, 11, 21, 1, 0)),
    ("2026-11-20 10:00", utc(2026, 11, 20, 2, 0)),
    ("2026-11-20T10:00", utc(2026, 11, 20, 2, 0)),
    ("2026-11-20", utc(2026, 11, 19, 16, 0)),
    ("2026-11-20T10:00+00:00", utc(2026, 11, 20, 10, 0)),  # an explicit offset wins
    ("2026-11-20T10:00Z", utc(2026, 11, 20, 10, 0)),
    ("+3d", NOW + timedelta(days=3)),
    ("-2h", NOW - timedelta(hours=2)),
    ("2h ago", NOW - timedelta(hours=2)),
    ("30 min ago", NOW - timedelta(minutes=30)),
    ("1w", NOW + timedelta(weeks=1)),
    ("now", NOW),
    ("  09:40  ", utc(2026, 11, 20, 1, 40)),
    ("0940", utc(2026, 11, 20, 1, 40)),  # not the year 940
    ("1540", utc(2026, 11, 20, 7, 40)),
    ("yesterday 1500", utc(2026, 11, 19, 7, 0)),
    ("20261120", utc(2026, 11, 19, 16, 0)),
]


@pytest.mark.parametrize(("text", "expected"), SHANGHAI, ids=[t for t, _ in SHANGHAI])
def test_at_forms_are_read_in_shanghai_time(text: str, expected: datetime) -> None:
    moment = dates.parse_when(text, NOW)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("text", "expected"), [
    ("09:40", utc(2026, 11, 20, 9, 40)),
    ("yesterday 15:00", utc(2026, 11, 19, 15, 0)),
    ("2026-11-20 10:00", utc(2026, 11, 20, 10, 0)),
    ("tomorrow", utc(2026, 11, 21, 0, 0)),
    ("+3d", NOW + timedelta(days=3)),
])
def test_at_forms_are_read_in_the_zone_of_tz(set_tz: Callable[[str], None], text: str,
                                             expected: datetime) -> None:
    set_tz("UTC")
    assert dates.parse_when(text, NOW) == expected


def test_today_is_the_local_day_just_after_midnight(set_tz: Callable[[str], None]) -> None:
    set_tz("Asia/Shanghai")
    just_after_midnight = utc(2026, 11, 30, 16, 30)  # 00:30 on 1 December in Shanghai
    assert dates.parse_when("09:40", just_after_midnight) == utc(2026, 12, 1, 1, 40)
    assert dates.parse_when("yesterday 23:30", just_after_midnight) == utc(2026, 11, 30, 15, 30)
    assert dates.local_today(just_after_midnight) == date(2026, 12, 1)
    set_tz("UTC")
    assert dates.local_today(just_after_midnight) == date(2026, 11, 30)


@pytest.mark.parametrize("text", ["soon", "25:00", "2026-02-30", "yesterday at noonish",
                                  "明年某天", "+", "3 fortnights ago", "10", "2460", "123456"])
def test_unparseable_times_are_bad_input_naming_option_and_text(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        dates.parse_when(text, NOW, "--due")
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    assert int(caught.value.exit_code) == 2
    message = str(caught.value)
    assert message.startswith("--due: ")
    assert repr(text) in message or text in message


def test_an_empty_time_is_bad_input() -> None:
    with pytest.raises(BadInput, match="--at"):
        dates.parse_when("   ", NOW)


def test_cli_names_the_option_and_the_text(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    code, out, err = cli("complaint", "open", "王小明", "漏水", "--at", "下週某時")
    assert (code, out) == (2, "")
    assert err == ("Error: --at: cannot read '下週某時' as a date or time "
                   "(try 2026-11-20 09:40, 09:40, yesterday 15:00 or +3d).\n")
    code, _, err = cli("customer", "add", "李四", "--since", "去年某天")
    assert code == 2 and "--since" in err and "去年某天" in err


def test_cli_reads_at_in_local_time(cli: Cli, set_tz: Callable[[str], None]) -> None:
    cli.ok("customer", "add", "王小明")
    set_tz("Asia/Shanghai")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "yesterday 15:00",
           now="2026-11-20T10:00:00+08:00")
    import json

    doc = json.loads(cli.ok("complaint", "show", "1", "-f", "json"))
    assert doc["opened_at"] == "2026-11-19T15:00:00+08:00"


# --- days, birthdays, months, spans -----------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-01", date(2025, 3, 1)),
    ("yesterday", date(2026, 11, 19)),
    ("today", date(2026, 11, 20)),
    ("-3d", date(2026, 11, 17)),
])
def test_parse_day(text: str, expected: date) -> None:
    assert dates.parse_day(text, NOW, "--since") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1985-03-12", "1985-03-12"), ("03-12", "--03-12"), ("--03-12", "--03-12"),
    ("3-2", "--03-02"), ("3月12日", "--03-12"), ("02-29", "--02-29"),
])
def test_parse_birthday(text: str, expected: str) -> None:
    assert dates.parse_birthday(text) == expected


@pytest.mark.parametrize("text", ["02-30", "13-01", "1985-02-29", "someday"])
def test_bad_birthdays(text: str) -> None:
    with pytest.raises(BadInput, match="--birthday"):
        dates.parse_birthday(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11", (2026, 11)), ("this", (2026, 11)), ("last", (2026, 10)),
])
def test_parse_month(text: str, expected: tuple[int, int]) -> None:
    assert dates.parse_month(text, NOW) == expected


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert dates.parse_month("last", utc(2027, 1, 15, 4, 0)) == (2026, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "Nov", "2026/11", "11-2026"])
def test_bad_months(text: str) -> None:
    with pytest.raises(BadInput, match="--month"):
        dates.parse_month(text, NOW)


def test_a_month_is_the_local_calendar_month(set_tz: Callable[[str], None]) -> None:
    assert dates.month_bounds(2026, 11) == (utc(2026, 10, 31, 16, 0), utc(2026, 11, 30, 16, 0))
    assert dates.month_bounds(2026, 12) == (utc(2026, 11, 30, 16, 0), utc(2026, 12, 31, 16, 0))
    set_tz("UTC")
    assert dates.month_bounds(2026, 12) == (utc(2026, 12, 1), utc(2027, 1, 1))


@pytest.mark.parametrize(("text", "start", "end"), [
    ("3d", NOW, NOW + timedelta(days=3)),
    ("12h", NOW, NOW + timedelta(hours=12)),
    ("2w", NOW, NOW + timedelta(weeks=2)),
    ("30m", NOW, NOW + timedelta(minutes=30)),
    ("1mo", utc(2026, 1, 31), utc(2026, 2, 28)),  # calendar months
])
def test_parse_span(text: str, start: datetime, end: datetime) -> None:
    assert start + dates.parse_span(text) == end


@pytest.mark.parametrize("text", ["3", "d", "three days", "-3d", "3x"])
def test_bad_spans(text: str) -> None:
    with pytest.raises(BadInput, match="--within"):
        dates.parse_span(text)


# --- the clock and showing times ------------------------------------------------------------

def test_crmcli_now_without_an_offset_is_local_time(set_tz: Callable[[str], None]) -> None:
    assert parse_fixed("2026-11-20T10:00") == utc(2026, 11, 20, 2, 0)
    assert parse_fixed("2026-11-20T10:00:00+00:00") == utc(2026, 11, 20, 10, 0)
    set_tz("UTC")
    assert parse_fixed("2026-11-20T10:00") == utc(2026, 11, 20, 10, 0)


def test_a_bad_crmcli_now_is_bad_input(cli: Cli) -> None:
    with pytest.raises(BadInput, match="CRMCLI_NOW"):
        parse_fixed("next tuesday")
    code, _, err = cli("customer", "add", "王小明", now="next tuesday")
    assert code == 2 and "CRMCLI_NOW" in err


def test_times_are_shown_in_the_local_zone(set_tz: Callable[[str], None]) -> None:
    moment = utc(2026, 11, 30, 16, 30)
    assert dates.iso_local(moment) == "2026-12-01T00:30:00+08:00"
    assert dates.short_local(moment) == "2026-12-01 00:30"
    assert dates.to_db(moment) == "2026-11-30T16:30:00Z"
    assert dates.from_db("2026-11-30T16:30:00Z") == moment
    set_tz("UTC")
    assert dates.iso_local(moment) == "2026-11-30T16:30:00+00:00"
    assert dates.short_local(moment) == "2026-11-30 16:30"


@pytest.mark.parametrize(("delta", "words"), [
    (timedelta(minutes=1), "1m"), (timedelta(minutes=45), "45m"), (timedelta(hours=2), "2h"),
    (timedelta(hours=7, minutes=20), "7h 20m"), (timedelta(days=9), "9d"),
    (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
])
def test_humanize_delta(delta: timedelta, words: str) -> None:
    assert dates.humanize_delta(delta) == words
