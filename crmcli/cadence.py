"""Contact cadence, yearly visits, care dates and the due/overdue boundary (SPEC §2), pure.

No I/O and no clock: callers pass ``now`` (an aware datetime) or ``today`` (the local date).
Calendar arithmetic is on local dates, so "a month after 31 January" is 28/29 February
(as dateutil's ``relativedelta`` has it; ``add_span``), never "30 days".

Decisions where SPEC and issue 4 are silent:

* Contact cadence and the yearly visit are *day* obligations: a contact due on a date may be
  made any time that day; it is overdue from the next local day. Follow-ups and complaint
  deadlines carry a time and are overdue the moment it has passed (``now > due``).
* A customer is new on the first ``new_customer_days`` days from ``since`` (else the day it was
  entered); the next contact is due one new-customer cadence after the last contact if that
  falls in the new period, else one established cadence after it (never before the new period
  ends).
* With no contact (or in-person visit) on record, the cadence and the yearly visit count from
  the start of the relationship or, if later, the day the customer was entered into crmcli:
  the file cannot know of contacts before it existed, and a site importing its customers must
  not wake up to every one of them years overdue.
* Tag/segment overrides (``cadence.tag.VIP = 2w``): the shortest matching one replaces the
  established cadence; during the new period it applies only if shorter than ``cadence_new``
  (an override can tighten the new-customer rule, never loosen it).
* A birthday or anniversary on 29 February is celebrated on 28 February in other years.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from crmcli.dates import local_day, local_midnight, short_span
from crmcli.errors import BadInput
from crmcli.i18n import _
from crmcli.policy import CADENCE_OVERRIDE, Policy

_SPAN = re.compile(r"^(\d+)\s*(d|w|mo)$")
_MIN_DAYS = {"d": 1, "w": 7, "mo": 28}  # the shortest a unit can be, for SQL prefilters


def _split(text: str) -> tuple[int, str]:
    match = _SPAN.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise BadInput(_("Cadence {text!r} is not a span such as 1w, 10d or 1mo; fix "
                         "it with `crmcli policy set`.").format(
            text=text))
    return int(match[1]), match[2]


@cache
def _step(text: str) -> tuple[int, bool]:
    """A cadence as (count, in calendar months?): days and weeks as a number of days."""
    n, unit = _split(text)
    if unit == "mo":
        return n, True
    return (n * 7 if unit == "w" else n), False


def add_span(day: date, text: str) -> date:
    """``day`` plus a cadence setting (``1w``, ``10d``, ``1mo``), without dateutil: ``visit
    due`` adds one per candidate customer.

    A month later is the same day of the month, or the month's last day if it has fewer
    (31 January + 1mo = 28/29 February), as ``relativedelta`` does.
    """
    n, months = _step(text)
    if not months:
        return day + timedelta(days=n)
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if _leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def latest_anchor(last_day: date, text: str) -> date:
    """The latest day whose next contact ``text`` later falls on or before ``last_day``."""
    n, months = _step(text)
    if not months:
        return last_day - timedelta(days=n)
    index = last_day.year * 12 + last_day.month - 1 - n
    year, month = divmod(index, 12)
    anchor = date(year, month + 1, min(last_day.day, _month_length(year, month + 1)))
    # A month's end absorbs the later days of a longer month (31 January + 1mo = 28 February).
    while add_span(anchor + timedelta(days=1), text) <= last_day:
        anchor += timedelta(days=1)
    return anchor


def shortest_days(text: str) -> int:
    """The fewest days a cadence can span (a month is at least 28 days)."""
    n, unit = _split(text)
    return n * _MIN_DAYS[unit]


def shortest_cadence_days(policy: Policy) -> int:
    """No customer's next contact is due sooner than this many days after the last one."""
    texts = [policy.cadence_new, policy.cadence_established, *policy.cadence_overrides.values()]
    return min(shortest_days(text) for text in texts)


class Contactee(NamedTuple):
    """What the cadence rules need to know of a customer (dates are local)."""

    start: date  # ``since``, else the day the customer was entered
    last_contact: date | None = None
    last_in_person: date | None = None
    tags: tuple[str, ...] = ()
    segment: str | None = None
    entered: date | None = None  # the day the customer was entered into crmcli

    @property
    def known_from(self) -> date:
        """Where counting starts when nothing is on record."""
        return max(self.start, self.entered) if self.entered else self.start


class Due(NamedTuple):
    """When the next contact (or visit) is due, and why."""

    due: date
    every: str  # the cadence applied, e.g. ``1w``
    rule: str  # e.g. ``new customer``, ``tag VIP``
    counted_from: date
    contacted: bool  # counted from a contact (else from the start of the relationship)


def overrides_for(policy: Policy, tags: Iterable[str], segment: str | None
                  ) -> list[tuple[str, str]]:
    """The cadence overrides that apply to a customer, as (rule label, cadence)."""
    if not policy.cadence_overrides:
        return []
    tagset = set(tags)
    return [(f"{kind} {name}", value) for kind, name, value in _overrides(
                tuple(sorted(policy.cadence_overrides.items())))
            if (kind == "tag" and name in tagset) or (kind == "segment" and name == segment)]


@cache
def _overrides(settings: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str]]:
    found = []
    for key, value in settings:
        match = CADENCE_OVERRIDE.match(key)
        if match is not None:
            found.append((match[1], match[2], value))
    return found


def is_new(customer: Contactee, policy: Policy, today: date) -> bool:
    return today < new_until(customer, policy)


def new_until(customer: Contactee, policy: Policy) -> date:
    """The first day the customer is no longer new."""
    return customer.start + timedelta(days=policy.new_customer_days)


def _earliest(anchor: date, candidates: list[tuple[str, str]]) -> tuple[date, str, str]:
    # The shortest cadence is the one that comes due first from the same anchor; on a tie the
    # first listed (the policy's own rule) names it.
    best: tuple[date, str, str] | None = None
    for label, every in candidates:
        due = add_span(anchor, every)
        if best is None or due < best[0]:
            best = (due, label, every)
    assert best is not None
    return best


class ContactRules:
    """One policy's contact cadence, worked out once for many customers (``visit due``)."""

    def __init__(self, policy: Policy) -> None:
        self.new_days = timedelta(days=policy.new_customer_days)
        self.new = ("new customer", policy.cadence_new)
        self.established = [("established customer", policy.cadence_established)]
        self.overrides = [(kind, name, f"{kind} {name}", value) for kind, name, value in
                          _overrides(tuple(sorted(policy.cadence_overrides.items())))]

    def settled_start(self, start: date, entered: date) -> date:
        """One start that gives a customer entered on ``entered``, with no contact on record,
        the same ``next_contact`` and ``next_in_person`` as ``start`` does.

        Every start at least ``new_customer_days`` before the day entered gives the same
        answer: counting begins on that day, when the customer is already established (the
        new-customer cadence cannot come due before its end), so the start changes nothing.
        They all map to one, and an import of many long-standing customers works out a few
        starts instead of one per ``since``."""
        if start <= entered and start + self.new_days <= entered:
            return min(entered, entered - self.new_days)
        return start

    def next_contact(self, start: date, last_contact: date | None, entered: date | None,
                     tags: Iterable[str] = (), segment: str | None = None) -> Due:
        """``next_contact`` of the customer these values describe (see ``Contactee``)."""
        known_from = max(start, entered) if entered else start
        anchor = last_contact or known_from
        overrides = [(label, every) for kind, name, label, every in self.overrides
                     if (name in tags if kind == "tag" else name == segment)
                     ] if self.overrides else []
        ends = start + self.new_days
        due, rule, every = _earliest(anchor, [self.new, *overrides])
        if due < ends:
            return Due(due, every, rule, anchor, last_contact is not None)
        due, rule, every = _earliest(anchor, overrides or self.established)
        return Due(max(due, ends), every, rule, anchor, last_contact is not None)


def next_contact(customer: Contactee, policy: Policy) -> Due:
    """When the customer's next contact is due under the contact cadence."""
    return ContactRules(policy).next_contact(customer.start, customer.last_contact,
                                             customer.entered, customer.tags, customer.segment)


def next_in_person(customer: Contactee, policy: Policy) -> Due:
    """When the yearly in-person visit (年拜訪) is due."""
    anchor = customer.last_in_person or customer.known_from
    return Due(anchor + timedelta(days=policy.annual_visit_days),
               f"{policy.annual_visit_days}d", "yearly visit", anchor,
               customer.last_in_person is not None)


# --- due and overdue -------------------------------------------------------------------------

def is_overdue(due: date | datetime, now: datetime) -> bool:
    """A timed obligation is overdue once its moment has passed; a day one from the next day."""
    if isinstance(due, datetime):
        return now > due
    return local_day(now) > due


def deadline(due: date | datetime) -> datetime:
    """The last instant that still counts as in time (for sorting timed and day items)."""
    if isinstance(due, datetime):
        return due
    return local_midnight(due + timedelta(days=1)) - timedelta(microseconds=1)


def due_words(due: date | datetime, now: datetime) -> str:
    """How overdue, or how soon, in words: ``OVERDUE 2d 3h``, ``due today``, ``due in 3d``."""
    return due_state(due, now, local_day(now))[1]


def due_state(due: date | datetime, now: datetime, today: date) -> tuple[bool, str]:
    """``is_overdue`` and ``due_words`` at once, ``today`` being ``now``'s local date (worked
    out once by callers with many items)."""
    if isinstance(due, datetime):
        if now > due:
            late = now - due
            # A week or more overdue: the days say it (the hours would only widen the column).
            return True, _("OVERDUE {late}").format(
                late="<1m" if late < _MINUTE else short_span(timedelta(days=late.days))
                if late >= _WEEK else short_span(late))
        day = local_day(due)
    elif today > due:
        return True, _("OVERDUE {days}d").format(days=(today - due).days)
    else:
        day = due
    ahead = (day - today).days
    if ahead <= 0:
        return False, _("due today")
    if ahead == 1:
        return False, _("due tomorrow")
    return False, _("due in {days}d").format(days=ahead)


_MINUTE = timedelta(minutes=1)
_WEEK = timedelta(days=7)


def horizon_day(today: date, within_days: int = 0) -> date:
    """The last day `visit due` and `care` look at: today, or ``within_days`` days on."""
    return today + timedelta(days=within_days)


# --- care: birthdays, anniversaries, holidays ------------------------------------------------

def on_year(month: int, day: int, year: int) -> date:
    """A yearly date in a given year; 29 February falls on 28 February in common years."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, 2, 28)


def parse_birthday(text: str) -> tuple[int | None, int, int]:
    """``1985-03-12`` or ``--03-12`` as (year or None, month, day)."""
    raw = text.strip()
    if raw.startswith("--"):
        month, day = raw[2:].split("-")
        return None, int(month), int(day)
    born = date.fromisoformat(raw)
    return born.year, born.month, born.day


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def month_days(first: date, last: date) -> list[str]:
    """Every ``MM-DD`` whose yearly date can fall between first and last (for SQL prefilters)."""
    found: set[str] = set()
    for day in _days(first, min(last, first + timedelta(days=366))):
        found.add(f"{day.month:02d}-{day.day:02d}")
        if day.month == 2 and day.day == 28 and not _leap(day.year):
            found.add("02-29")
    return sorted(found)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def yearly_between(month: int, day: int, first: date, last: date) -> list[date]:
    """The dates a yearly occasion falls on between first and last (inclusive)."""
    found = []
    for year in range(first.year, last.year + 1):
        occasion = on_year(month, day, year)
        if first <= occasion <= last:
            found.append(occasion)
    return found


class Occasion(NamedTuple):
    day: date
    kind: str  # birthday | lunar_birthday | anniversary | occasion | holiday
    years: int | None  # age, or years of the relationship; None when unknown
    name: str = ""


def birthdays(birthday: str, first: date, last: date) -> list[Occasion]:
    year, month, day = parse_birthday(birthday)
    return [Occasion(when, "birthday", when.year - year if year is not None else None)
            for when in yearly_between(month, day, first, last)
            if year is None or when.year > year]


def anniversaries(since: date, first: date, last: date) -> list[Occasion]:
    """Relationship anniversaries (1 year and on) between first and last."""
    return [Occasion(when, "anniversary", when.year - since.year)
            for when in yearly_between(since.month, since.day, first, last)
            if when.year > since.year]


def personal_anniversaries(text: str, first: date, last: date) -> list[Occasion]:
    """A customer's own anniversaries (``LABEL=MM-DD; …``, seed 003: 業戶周年紀念日) between
    first and last, each named by its label; years unknown."""
    found = []
    for item in text.split("; "):
        label, _, when = item.rpartition("=")
        month, day = (int(part) for part in when.split("-"))
        found += [Occasion(on, "occasion", None, label)
                  for on in yearly_between(month, day, first, last)]
    return found


def lunar_on(lunar_year: int, month: int, day: int, leap: bool) -> date | None:
    """The Gregorian day of a lunar birthday in a lunar year (lunardate: 1900-2099, leap
    months from the published tables). One born in a leap month keeps it in the years that
    have that leap month, else the ordinary month of that number; a 30th falls on the 29th in
    a month of 29 days (the month's last day)."""
    from lunardate import LunarDate

    try:
        leap = leap and LunarDate.leap_month_for_year(lunar_year) == month
    except (ValueError, IndexError):  # outside the library's years
        return None
    for the_day in (day, 29) if day == 30 else (day,):
        try:
            solar: date = LunarDate(lunar_year, month, the_day, leap).to_solar_date()
            return solar
        except (ValueError, IndexError):
            continue
    return None


def lunar_birthdays(text: str, first: date, last: date) -> list[Occasion]:
    """The Gregorian days a lunar birthday (``MM-DD``, or ``LMM-DD`` born in a leap month)
    falls on between first and last: a lunar year starts in January or February, so its last
    months fall in the next Gregorian year."""
    leap = text.startswith("L")
    month, day = (int(part) for part in text.lstrip("L").split("-"))
    found = []
    for lunar_year in range(first.year - 1, last.year + 1):
        when = lunar_on(lunar_year, month, day, leap)
        if when is not None and first <= when <= last:
            found.append(Occasion(when, "lunar_birthday", None,
                                  f"{'閏' if leap else ''}{month}月{day}日"))
    return found


def public_holidays(region: str, first: date, last: date) -> list[Occasion]:
    """The region's public holidays starting between first and last, one per occasion.

    Consecutive days of the same holiday (春节 ×3) are one occasion on its first day; the
    working-day swaps of mainland China (休息日（由…调休）) are not occasions for a greeting.
    """
    import holidays

    country, _dash, subdivision = region.upper().partition("-")
    years = range(first.year - (1 if first.month == 1 else 0), last.year + 1)
    try:
        probe = holidays.country_holidays(country, subdiv=subdivision or None, years=())
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=years, observed=False,
            language=probe.default_language,
        )
    except NotImplementedError:
        raise BadInput(_("policy region {region!r} has no holiday calendar; set "
                         "another with `crmcli policy set region CN`.").format(
            region=region)) from None
    label = getattr(calendar, "substituted_label", None)
    swap = str(label).split("%s")[0] if label else None
    found: list[Occasion] = []
    previous: tuple[date, str] | None = None
    for day, names in sorted(calendar.items()):
        name = str(names).split("; ")[0]
        if swap and name.startswith(swap):
            continue
        continued = previous is not None and previous[1] == name and (
            day - previous[0]).days == 1
        previous = (day, name)
        if not continued and first <= day <= last:
            found.append(Occasion(day, "holiday", None, name))
    return found
