"""Parsing what people type for times, dates and spans; converting between UTC and local time.

Times are stored as UTC text (``2026-11-20T01:40:00Z``) and shown in the local zone (``TZ``).
Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from crmcli.errors import BadInput

if TYPE_CHECKING:
    from dateutil.relativedelta import relativedelta

DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_RELATIVE = re.compile(
    r"^(?P<sign>[+-]?)\s*(?P<n>\d+)\s*(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)"
    r"(?:\s+(?P<ago>ago))?$",
    re.IGNORECASE,
)
_SPAN = re.compile(
    r"^(?P<n>\d+)\s*(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?|mo|years?|y)$",
    re.IGNORECASE,
)
_DAY_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1, "今天": 0, "昨天": -1, "明天": 1}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Dates people mean; a step of a year or a month beyond either end stays inside datetime's range.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone()


def iso_local(moment: datetime) -> str:
    """ISO 8601 in the local zone with its offset, as csv and json carry times."""
    return moment.astimezone().isoformat(timespec="seconds")


def short_local(moment: datetime) -> str:
    """A time as a person reads it in a table: ``2026-11-20 09:40``."""
    # The local wall-clock time as astimezone() gives it (both ask the C library), about
    # twice as fast: a large `visit due` table shows thousands of times.
    local = datetime.fromtimestamp(moment.timestamp())
    if local.year < 1000:  # strftime does not pad the year to four digits
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")
    return local.isoformat(" ", "minutes")


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone()


def local_today(now: datetime) -> date:
    return now.astimezone().date()


def end_of_local_day(now: datetime) -> datetime:
    """The last instant of today in local time, as UTC."""
    tomorrow = local_today(now) + timedelta(days=1)
    return (local_midnight(tomorrow) - timedelta(microseconds=1)).astimezone(UTC)


def _unit_delta(n: int, unit: str) -> timedelta:
    unit = unit.lower()
    if unit.startswith("w"):
        return timedelta(weeks=n)
    if unit.startswith("d"):
        return timedelta(days=n)
    if unit.startswith("h"):
        return timedelta(hours=n)
    return timedelta(minutes=n)


def parse_when(text: str, now: datetime, option: str = "--at") -> datetime:
    """Parse an event time: ISO, ``09:40``, ``yesterday 15:00``, ``+3d``, ``2h ago``, ``now``.

    A time without a zone is local time. Returns an aware UTC datetime.
    """
    try:
        moment = _parse_when(text, now, option)
        in_range = FIRST_YEAR <= moment.astimezone().year <= LAST_YEAR
    except (OverflowError, ValueError, OSError):  # +99999999999d, 0001-01-01 east of UTC
        in_range = False
    if not in_range:
        raise BadInput(f"{option}: {text.strip()!r} is out of range "
                       f"(years {FIRST_YEAR}-{LAST_YEAR}).")
    return moment


def _parse_when(text: str, now: datetime, option: str) -> datetime:
    raw = text.strip()
    if not raw:
        raise BadInput(f"{option}: give a date or time (e.g. 2026-11-20 09:40, yesterday 15:00).")
    lowered = raw.lower()
    if lowered == "now":
        return now.astimezone(UTC)
    match = _RELATIVE.match(lowered)
    if match:
        delta = _unit_delta(int(match["n"]), match["unit"])
        backwards = match["sign"] == "-" or match["ago"] is not None
        return (now - delta if backwards else now + delta).astimezone(UTC)
    first, _, rest = raw.partition(" ")
    today = local_today(now)
    if first.lower() in _DAY_WORDS:
        day = today + timedelta(days=_DAY_WORDS[first.lower()])
        if not rest.strip():
            return local_midnight(day).astimezone(UTC)
        return _parse_general(rest.strip(), day, option, raw)
    return _parse_general(raw, today, option, raw)


def _parse_general(text: str, default_day: date, option: str, original: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if text.isdigit():  # dateutil would read 0940 as the year 940 and 10 as the 10th
            return _digits_time(text, default_day, option, original)
        import warnings

        from dateutil import parser

        try:
            with warnings.catch_warnings():
                # "10:00 PST": dateutil ignores a zone name it cannot resolve and reads the time
                # as local, hours off; refuse it instead (an offset, +08:00, is unambiguous).
                warnings.simplefilter("error", parser.UnknownTimezoneWarning)
                moment = parser.parse(text, default=datetime.combine(default_day, time()))
        except parser.UnknownTimezoneWarning:
            raise BadInput(
                f"{option}: {original!r} names a time zone crmcli cannot resolve; write the "
                "time without it (site time) or with an offset, e.g. 2026-11-20 10:00-08:00."
            ) from None
        except (ValueError, OverflowError):
            raise BadInput(
                f"{option}: cannot read {original!r} as a date or time "
                "(try 2026-11-20 09:40, 09:40, yesterday 15:00 or +3d)."
            ) from None
    if moment.tzinfo is None:
        try:
            moment = moment.astimezone()
        except (OverflowError, ValueError, OSError):
            raise BadInput(f"{option}: {original!r} is out of range.") from None
    return moment.astimezone(UTC)


def _digits_time(text: str, day: date, option: str, original: str) -> datetime:
    """``0940`` or ``940`` is 09:40 on ``day``; a bare day or hour number is ambiguous."""
    if len(text) in (3, 4):
        hour, minute = int(text[:-2]), int(text[-2:])
        if hour < 24 and minute < 60:
            return datetime.combine(day, time(hour, minute)).astimezone().astimezone(UTC)
    raise BadInput(f"{option}: cannot read {original!r} as a date or time "
                   "(write a time as 09:40, a day as 2026-11-20).")


def parse_day(text: str, now: datetime, option: str) -> date:
    """Parse a calendar date (``since``): ISO, ``today``, ``yesterday``, ``-3d``."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return parse_when(raw, now, option).astimezone().date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(f"{option}: {raw!r} is out of range (years {FIRST_YEAR}-{LAST_YEAR}).")
    return day


def parse_birthday(text: str, option: str = "--birthday") -> str:
    """A birthday is ``YYYY-MM-DD`` or, when the year is unknown, ``--MM-DD`` (ISO 8601)."""
    raw = text.strip()
    match = re.fullmatch(r"(?:--)?(\d{1,2})-(\d{1,2})", raw) or re.fullmatch(
        r"(\d{1,2})月(\d{1,2})日", raw
    )
    if match:
        month, day = int(match[1]), int(match[2])
        try:
            date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            raise BadInput(f"{option}: {raw!r} is not a day of the year.") from None
        return f"--{month:02d}-{day:02d}"
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadInput(
            f"{option}: cannot read {raw!r} as a birthday (use 1985-03-12, or 03-12 without year)."
        ) from None


def parse_span(text: str, option: str = "--within") -> relativedelta:
    """A span such as ``3d``, ``12h``, ``2w``, ``1mo``; months are calendar months."""
    from dateutil.relativedelta import relativedelta

    match = _SPAN.match(text.strip())
    if not match:
        raise BadInput(f"{option}: cannot read {text!r} as a span (try 3d, 12h, 2w, 1mo).")
    n, unit = int(match["n"]), match["unit"].lower()
    if unit.startswith("mo"):
        return relativedelta(months=n)
    if unit.startswith("y"):
        return relativedelta(years=n)
    if unit in {"m", "min", "mins", "minute", "minutes"}:
        return relativedelta(minutes=n)
    return relativedelta(seconds=int(_unit_delta(n, unit).total_seconds()))


def parse_month(text: str, now: datetime, option: str = "--month") -> tuple[int, int]:
    """``YYYY-MM``, ``this`` or ``last``; returns (year, month)."""
    raw = text.strip().lower()
    today = local_today(now)
    if raw in {"this", "current"}:
        return today.year, today.month
    if raw in {"last", "previous"}:
        return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    match = _MONTH.match(raw)
    if match and 1 <= int(match[2]) <= 12:
        if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise BadInput(f"{option}: {text!r} is out of range (years {FIRST_YEAR}-{LAST_YEAR}).")
        return int(match[1]), int(match[2])
    raise BadInput(f"{option}: cannot read {text!r} as a month (use YYYY-MM, this or last).")


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of the local calendar month and of the next one, as UTC."""
    start = local_midnight(date(year, month, 1))
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start.astimezone(UTC), local_midnight(following).astimezone(UTC)


def humanize_delta(delta: timedelta) -> str:
    """``3d 4h``, ``45m``: how long, in words a cron mail reader takes in at a glance."""
    seconds = int(abs(delta).total_seconds())
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
