"""Parsing what people type for times, dates and spans; converting between UTC and site time.

Times are stored as UTC text (``2026-11-20T01:40:00Z``), to the whole minute for entries, and
shown, grouped into days and months, and read from what people type in the **site's zone**
(policy ``timezone``), whatever ``TZ`` the command runs under: opening a database sets it
(``use_site``). Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmcli.errors import BadInput
from crmcli.i18n import _

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


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone of that name (``Asia/Shanghai``), or BadInput."""
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadInput(_("{name!r} is not a time zone name (e.g. Asia/Shanghai, "
                         "Asia/Hong_Kong, Asia/Taipei, UTC).").format(
            name=name)) from None


def process_zone_name() -> str:
    """The IANA name of the zone this process runs in (``TZ``, else the system's), or UTC.

    Used once, to record a new site's zone; from then on the site's policy decides.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as handle:
            candidates.append(handle.read().strip())
    except OSError:
        pass
    for name in candidates:
        try:
            zone_named(name)
        except BadInput:
            continue
        return name
    return "UTC"


DATE_ORDERS = ("dmy", "mdy")
_site_zone: tzinfo = UTC
_date_order: str | None = None


def use_site(zone: str, date_order: str | None = None) -> None:
    """Days, months, shown times and typed times follow this zone from now on (set when a
    database is opened, from its policy); ``date_order`` reads ``1/12`` as the site writes it."""
    global _site_zone, _date_order
    _site_zone = zone_named(zone)
    _date_order = date_order if date_order in DATE_ORDERS else None


def site_zone() -> tzinfo:
    return _site_zone


def set_site_zone(name: str) -> None:
    """Set the site's zone alone (keeps the date order)."""
    use_site(name, _date_order)


def to_minute(moment: datetime) -> datetime:
    """An entry's time as kept and shown: the whole minute (a deadline shown as 09:40 is met
    by anything entered at 09:40)."""
    return moment.replace(second=0, microsecond=0)


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(_site_zone)


def local_day(moment: datetime) -> date:
    """The site's calendar day of a moment."""
    return moment.astimezone(_site_zone).date()


def iso_local(moment: datetime) -> str:
    """ISO 8601 in the site's zone with its offset, as csv and json carry times."""
    return moment.astimezone(_site_zone).isoformat(timespec="seconds")


def short_local(moment: datetime) -> str:
    """A time as a person reads it in a table: ``2026-11-20 09:40``."""
    local = moment.astimezone(_site_zone)
    if local.year < 1000:  # isoformat pads the year, strftime may not: keep one form
        return f"{local.year:04d}" + local.strftime("-%m-%d %H:%M")
    return local.isoformat(" ", "minutes")[:16]


def local_midnight(day: date) -> datetime:
    return _localize(datetime.combine(day, time()))


def local_today(now: datetime) -> date:
    return now.astimezone(_site_zone).date()


def _localize(naive: datetime) -> datetime:
    """A wall-clock time in the site's zone. A time skipped by a daylight-saving change is
    moved past the gap (midnight rarely is; typed times are refused by ``_site_time``)."""
    aware = naive.replace(tzinfo=_site_zone)
    back = aware.astimezone(UTC).astimezone(_site_zone)
    return aware if back.replace(tzinfo=None) == naive else back


def _site_time(naive: datetime, option: str, original: str) -> datetime:
    """A typed wall-clock time in the site's zone, refused when the zone skips it."""
    aware = naive.replace(tzinfo=_site_zone)
    if aware.astimezone(UTC).astimezone(_site_zone).replace(tzinfo=None) != naive:
        raise BadInput(_("{option}: {value!r} does not exist in {site_zone} (the "
                         "clocks skip it for daylight saving); give a time outside the "
                         "gap or with its offset, e.g. 2026-03-08T03:30-04:00.").format(
            option=option, value=original.strip(), site_zone=_site_zone))
    return aware


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

    A time without a zone is the site's time; a form that reads two ways (``1/12``, ``9.40``)
    is refused unless the site declared its date order. Returns an aware UTC datetime on the
    whole minute.
    """
    try:
        moment = _parse_when(text, now, option)
        in_range = FIRST_YEAR <= moment.astimezone(_site_zone).year <= LAST_YEAR
    except (OverflowError, ValueError, OSError):  # +99999999999d, 0001-01-01 east of UTC
        in_range = False
    if not in_range:
        raise BadInput(_("{option}: {value!r} is out of range (years "
                         "{first_year}-{last_year}).").format(
            option=option, value=text.strip(), first_year=FIRST_YEAR, last_year=LAST_YEAR))
    return to_minute(moment)


def _parse_when(text: str, now: datetime, option: str) -> datetime:
    raw = text.strip()
    if not raw:
        raise BadInput(_("{option}: give a date or time (e.g. 2026-11-20 09:40, "
                         "yesterday 15:00).").format(
            option=option))
    lowered = raw.lower()
    if lowered == "now":
        return now.astimezone(UTC)
    match = _RELATIVE.match(lowered)
    if match:
        delta = _unit_delta(int(match["n"]), match["unit"])
        backwards = match["sign"] == "-" or match["ago"] is not None
        return (now - delta if backwards else now + delta).astimezone(UTC)
    first, _sep, rest = raw.partition(" ")
    today = local_today(now)
    if first.lower() in _DAY_WORDS:
        day = today + timedelta(days=_DAY_WORDS[first.lower()])
        if not rest.strip():
            return local_midnight(day).astimezone(UTC)
        return _parse_general(rest.strip(), day, option, raw)
    numeric = _NUMERIC_DATE.match(first)
    if numeric:
        day = _numeric_date(numeric, today, option, raw)
        if not rest.strip():
            return local_midnight(day).astimezone(UTC)
        return _parse_general(rest.strip(), day, option, raw)
    return _parse_general(raw, today, option, raw)


# ``1/12``, ``12.1``, ``9.40``, ``1/12/2026``: day and month in an order only the site knows.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./])(\d{1,2})(?:\2(\d{2}|\d{4}))?$")
_ORDER_WORDS = {"dmy": "day/month", "mdy": "month/day"}


def _numeric_date(match: re.Match[str], today: date, option: str, original: str) -> date:
    first, second, year_text = int(match[1]), int(match[3]), match[4]
    shown = original.strip()
    if _date_order is None:
        raise BadInput(_("{option}: {shown!r} reads two ways (day/month, month/day or "
                         "a time); write the date as YYYY-MM-DD (e.g. {value}) and a "
                         "time as 09:40, or declare the site's habit: crmcli policy "
                         "set date_order dmy|mdy.").format(
            option=option, shown=shown, value=today.isoformat()))
    day, month = (first, second) if _date_order == "dmy" else (second, first)
    year = today.year
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput(_("{option}: {shown!r} is not a date in {value} order (the "
                         "site's date_order); write it as YYYY-MM-DD, and a time as "
                         "09:40.").format(
            option=option, shown=shown, value=_ORDER_WORDS[_date_order])) from None


def _parse_general(text: str, default_day: date, option: str, original: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if text.isdigit():  # dateutil would read 0940 as the year 940 and 10 as the 10th
            return _digits_time(text, default_day, option, original)
        dotted = next((word for word in text.split() if _NUMERIC_DATE.match(word)), None)
        if dotted is not None:  # a date where a time belongs, or 9.40 for 09:40
            raise BadInput(_("{option}: {dotted!r} in {value!r} reads two ways (a date "
                             "or a time); write a time as 09:40 and a date as "
                             "YYYY-MM-DD.").format(
                option=option, dotted=dotted, value=original.strip())) from None
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
                _("{option}: {original!r} names a time zone crmcli cannot resolve; "
                  "write the time without it (site time) or with an offset, e.g. 2026-11-20 "
                  "10:00-08:00.").format(
                    option=option, original=original)
            ) from None
        except (ValueError, OverflowError):
            raise BadInput(_("{option}: cannot read {original!r} as a date or time "
                             "(try 2026-11-20 09:40, 09:40, yesterday 15:00 or +3d).").format(
                option=option, original=original)) from None
    if moment.tzinfo is None:
        try:
            moment = _site_time(moment, option, original)
        except (OverflowError, ValueError, OSError):
            raise BadInput(_("{option}: {original!r} is out of range.").format(
                option=option, original=original)) from None
    return moment.astimezone(UTC)


def _digits_time(text: str, day: date, option: str, original: str) -> datetime:
    """``0940`` or ``940`` is 09:40 on ``day``; a bare day or hour number is ambiguous."""
    if len(text) in (3, 4):
        hour, minute = int(text[:-2]), int(text[-2:])
        if hour < 24 and minute < 60:
            return _site_time(datetime.combine(day, time(hour, minute)), option,
                              original).astimezone(UTC)
    raise BadInput(_("{option}: cannot read {original!r} as a date or time (write a "
                     "time as 09:40, a day as 2026-11-20).").format(
        option=option, original=original))


def parse_day(text: str, now: datetime, option: str) -> date:
    """Parse a calendar date (``since``): ISO, ``today``, ``yesterday``, ``-3d``."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return local_day(parse_when(raw, now, option))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(_("{option}: {raw!r} is out of range (years "
                         "{first_year}-{last_year}).").format(
            option=option, raw=raw, first_year=FIRST_YEAR, last_year=LAST_YEAR))
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
            raise BadInput(_("{option}: {raw!r} is not a day of the year.").format(
                option=option, raw=raw)) from None
        return f"--{month:02d}-{day:02d}"
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadInput(_("{option}: cannot read {raw!r} as a birthday (use 1985-03-12, "
                         "or 03-12 without year).").format(
            option=option, raw=raw)) from None


def parse_span(text: str, option: str = "--within") -> relativedelta:
    """A span such as ``3d``, ``12h``, ``2w``, ``1mo``; months are calendar months."""
    from dateutil.relativedelta import relativedelta

    match = _SPAN.match(text.strip())
    if not match:
        raise BadInput(_("{option}: cannot read {text!r} as a span (try 3d, 12h, 2w, "
                         "1mo).").format(
            option=option, text=text))
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
            raise BadInput(_("{option}: {text!r} is out of range (years "
                             "{first_year}-{last_year}).").format(
                option=option, text=text, first_year=FIRST_YEAR, last_year=LAST_YEAR))
        return int(match[1]), int(match[2])
    raise BadInput(_("{option}: cannot read {text!r} as a month (use YYYY-MM, this or "
                     "last).").format(
        option=option, text=text))


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of the local calendar month and of the next one, as UTC."""
    start = local_midnight(date(year, month, 1))
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start.astimezone(UTC), local_midnight(following).astimezone(UTC)


def short_span(delta: timedelta) -> str:
    """``3d 4h``, ``45m`` in the interface language (``3天4小時``, ``45分鐘``): how long, for a
    person reading a table. Machine text (csv) uses ``humanize_delta``."""
    seconds = int(abs(delta).total_seconds())
    days, rem = divmod(seconds, 86400)
    hours, minutes = divmod(rem // 60, 60)
    if days:
        text = _("{days}d {hours}h") if hours else _("{days}d")
    elif hours:
        text = _("{hours}h {minutes}m") if minutes else _("{hours}h")
    else:
        text = _("{minutes}m")
    return text.format(days=days, hours=hours, minutes=minutes)


def humanize_delta(delta: timedelta) -> str:
    """``3d 4h``, ``45m``: how long, in words a cron mail reader takes in at a glance (the
    same in every language: it is written to csv; tables use ``short_span``)."""
    seconds = int(abs(delta).total_seconds())
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
