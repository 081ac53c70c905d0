"""The pure cadence, yearly-visit, care and due/overdue rules (SPEC §2 "Visits and contact").

Every expectation is worked out from the rule by hand: weekly contact for a customer's first
90 days, then monthly by the calendar (a contact on 31 January is next due on 28/29 February),
an in-person visit every 365 days, overrides per tag/segment, and "due today is due, due
yesterday is overdue; a follow-up due 14:00 is overdue at 14:01".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crmcli import cadence
from crmcli.cadence import Contactee
from crmcli.errors import BadInput
from crmcli.policy import Policy

CST = timezone(timedelta(hours=8))  # the tests run with TZ=Asia/Shanghai (conftest)
D = date.fromisoformat


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


BASE = Policy()
VIP = replace(BASE, cadence_overrides={"cadence.tag.VIP": "2w"})


# --- contact cadence ----------------------------------------------------------------------------

# (case, start, last contact, policy, tags, segment, expected due, expected cadence, rule)
CADENCE = [
    ("new, never contacted: a week after the start",
     "2026-01-01", None, BASE, (), None, "2026-01-08", "1w", "new customer"),
    ("new: a week after the last contact",
     "2026-01-01", "2026-01-10", BASE, (), None, "2026-01-17", "1w", "new customer"),
    # 90 days from 2026-01-01 is 2026-04-01: the customer is new to 31 March inclusive.
    ("last weekly contact that still falls in the new period",
     "2026-01-01", "2026-03-24", BASE, (), None, "2026-03-31", "1w", "new customer"),
    ("a week later would be the first established day: the monthly cadence applies",
     "2026-01-01", "2026-03-25", BASE, (), None, "2026-04-25", "1mo", "established customer"),
    ("established: calendar month, 31 January -> 28 February",
     "2025-01-01", "2026-01-31", BASE, (), None, "2026-02-28", "1mo", "established customer"),
    ("established: 31 January of a leap year -> 29 February",
     "2025-01-01", "2028-01-31", BASE, (), None, "2028-02-29", "1mo", "established customer"),
    ("established: 31 March -> 30 April",
     "2025-01-01", "2026-03-31", BASE, (), None, "2026-04-30", "1mo", "established customer"),
    ("established: 28 February -> 28 March (not the month's end)",
     "2025-01-01", "2026-02-28", BASE, (), None, "2026-03-28", "1mo", "established customer"),
    ("established: across the year end",
     "2025-01-01", "2026-12-15", BASE, (), None, "2027-01-15", "1mo", "established customer"),
    ("tag override replaces the monthly cadence",
     "2025-01-01", "2026-01-31", VIP, ("VIP",), None, "2026-02-14", "2w", "tag VIP"),
    ("tag override needs the exact tag",
     "2025-01-01", "2026-01-31", VIP, ("vip",), None, "2026-02-28", "1mo",
     "established customer"),
    ("a new VIP is still contacted weekly (the shorter rule wins)",
     "2026-01-01", "2026-01-10", VIP, ("VIP",), None, "2026-01-17", "1w", "new customer"),
    ("an override shorter than a week tightens the new period too",
     "2026-01-01", "2026-01-10",
     replace(BASE, cadence_overrides={"cadence.segment.enterprise": "3d"}), (), "enterprise",
     "2026-01-13", "3d", "segment enterprise"),
    ("a longer override applies once the customer is established",
     "2025-01-01", "2026-01-31",
     replace(BASE, cadence_overrides={"cadence.segment.owner": "3mo"}), (), "owner",
     "2026-04-30", "3mo", "segment owner"),
    ("a longer override never loosens the new period",
     "2026-01-01", "2026-01-10",
     replace(BASE, cadence_overrides={"cadence.segment.owner": "3mo"}), (), "owner",
     "2026-01-17", "1w", "new customer"),
    ("of several overrides the shortest wins",
     "2025-01-01", "2026-03-01",
     replace(BASE, cadence_overrides={"cadence.tag.VIP": "2w", "cadence.segment.owner": "10d"}),
     ("VIP",), "owner", "2026-03-11", "10d", "segment owner"),
    ("policy settings change the numbers: two months by the calendar",
     "2025-01-01", "2026-12-31", replace(BASE, cadence_established="2mo"), (), None,
     "2027-02-28", "2mo", "established customer"),
    ("policy: new for 30 days only",
     "2026-01-01", "2026-01-24", replace(BASE, new_customer_days=30), (), None,
     "2026-02-24", "1mo", "established customer"),
    ("an established cadence shorter than a new one starts when the new period ends",
     "2026-01-01", "2026-03-28", replace(BASE, cadence_established="3d"), (), None,
     "2026-04-01", "3d", "established customer"),
]


@pytest.mark.parametrize(
    ("start", "last", "policy", "tags", "segment", "due", "every", "rule"),
    [case[1:] for case in CADENCE], ids=[case[0] for case in CADENCE],
)
def test_next_contact(start: str, last: str | None, policy: Policy, tags: tuple[str, ...],
                      segment: str | None, due: str, every: str, rule: str) -> None:
    customer = Contactee(D(start), D(last) if last else None, tags=tags, segment=segment)
    result = cadence.next_contact(customer, policy)
    assert (result.due, result.every, result.rule) == (D(due), every, rule)
    assert result.counted_from == (D(last) if last else D(start))
    assert result.contacted is (last is not None)


def test_without_contacts_counting_starts_when_the_customer_was_entered() -> None:
    # A customer since 2020 entered on 2026-11-20 is not "six years overdue" on its first day.
    customer = Contactee(D("2020-03-15"), entered=D("2026-11-20"))
    result = cadence.next_contact(customer, BASE)
    assert (result.due, result.rule, result.counted_from) == (
        D("2026-12-20"), "established customer", D("2026-11-20"))
    assert cadence.next_in_person(customer, BASE).due == D("2027-11-20")


def test_a_future_since_counts_from_since() -> None:
    customer = Contactee(D("2026-12-01"), entered=D("2026-11-20"))
    assert cadence.next_contact(customer, BASE).due == D("2026-12-08")


def test_a_logged_contact_counts_even_before_the_customer_was_entered() -> None:
    customer = Contactee(D("2020-03-15"), last_contact=D("2026-11-01"), entered=D("2026-11-20"))
    assert cadence.next_contact(customer, BASE).due == D("2026-12-01")


@pytest.mark.parametrize(("start", "last_visit", "days", "due"), [
    ("2026-01-01", None, 365, "2027-01-01"),
    ("2025-01-01", "2026-03-01", 365, "2027-03-01"),
    ("2025-01-01", "2027-03-01", 365, "2028-02-29"),  # 365 days across 29 February 2028
    ("2025-01-01", "2026-03-01", 180, "2026-08-28"),
])
def test_next_in_person(start: str, last_visit: str | None, days: int, due: str) -> None:
    customer = Contactee(D(start), last_in_person=D(last_visit) if last_visit else None)
    result = cadence.next_in_person(customer, replace(BASE, annual_visit_days=days))
    assert result.due == D(due)
    assert result.contacted is (last_visit is not None)


@pytest.mark.parametrize(("today", "new"), [
    ("2026-03-31", True), ("2026-04-01", False),  # 90 days from 2026-01-01
])
def test_a_customer_is_new_for_its_first_90_days(today: str, new: bool) -> None:
    assert cadence.is_new(Contactee(D("2026-01-01")), BASE, D(today)) is new


@pytest.mark.parametrize(("text", "days"), [("1w", 7), ("10d", 10), ("1mo", 28), ("3mo", 84)])
def test_shortest_days(text: str, days: int) -> None:
    assert cadence.shortest_days(text) == days


def test_shortest_cadence_days_bounds_every_rule() -> None:
    assert cadence.shortest_cadence_days(BASE) == 7
    assert cadence.shortest_cadence_days(
        replace(BASE, cadence_overrides={"cadence.tag.x": "3d"})) == 3
    assert cadence.shortest_cadence_days(
        replace(BASE, cadence_new="2mo", cadence_established="1mo")) == 28


@pytest.mark.parametrize("text", ["", "2", "1y", "0w", "w"])
def test_a_broken_cadence_setting_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput):
        cadence.add_span(D("2026-11-20"), text)


# --- due and overdue ----------------------------------------------------------------------------

@pytest.mark.parametrize(("due", "now", "overdue", "words"), [
    # a timed follow-up due 14:00
    (at("2026-11-20 14:00"), at("2026-11-20 13:59"), False, "due today"),
    (at("2026-11-20 14:00"), at("2026-11-20 14:00"), False, "due today"),
    (at("2026-11-20 14:00"), at("2026-11-20 14:00:30"), True, "OVERDUE <1m"),
    (at("2026-11-20 14:00"), at("2026-11-20 14:01"), True, "OVERDUE 1m"),
    (at("2026-11-20 14:00"), at("2026-11-22 17:00"), True, "OVERDUE 2d 3h"),
    (at("2026-11-20 14:00"), at("2026-11-27 13:59"), True, "OVERDUE 6d 23h"),
    (at("2026-11-20 14:00"), at("2026-11-27 14:00"), True, "OVERDUE 7d"),  # days alone
    (at("2026-11-21 09:00"), at("2026-11-20 23:00"), False, "due tomorrow"),
    (at("2026-11-23 09:00"), at("2026-11-20 10:00"), False, "due in 3d"),
    # a day obligation (contact cadence, yearly visit)
    (D("2026-11-20"), at("2026-11-20 00:00"), False, "due today"),
    (D("2026-11-20"), at("2026-11-20 23:59:59"), False, "due today"),
    (D("2026-11-20"), at("2026-11-21 00:00"), True, "OVERDUE 1d"),
    (D("2026-11-19"), at("2026-11-20 10:00"), True, "OVERDUE 1d"),
    (D("2026-11-10"), at("2026-11-20 10:00"), True, "OVERDUE 10d"),
    (D("2026-11-21"), at("2026-11-20 10:00"), False, "due tomorrow"),
])
def test_due_and_overdue(due: date | datetime, now: datetime, overdue: bool, words: str) -> None:
    assert cadence.is_overdue(due, now) is overdue
    assert cadence.due_words(due, now) == words
    assert cadence.due_state(due, now, now.astimezone().date()) == (overdue, words)


def test_a_day_obligation_is_in_time_to_the_last_instant_of_its_local_day() -> None:
    assert cadence.deadline(D("2026-11-20")) == at("2026-11-20 23:59:59.999999")
    assert cadence.deadline(at("2026-11-20 14:00")) == at("2026-11-20 14:00")


def test_day_boundaries_follow_the_local_zone() -> None:
    # 2026-11-20 16:30 UTC is already 21 November in Shanghai.
    now = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    assert cadence.is_overdue(D("2026-11-20"), now)


# --- care -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("month", "day", "year", "expected"), [
    (2, 29, 2027, "2027-02-28"), (2, 29, 2028, "2028-02-29"), (3, 12, 2027, "2027-03-12"),
])
def test_on_year(month: int, day: int, year: int, expected: str) -> None:
    assert cadence.on_year(month, day, year) == D(expected)


@pytest.mark.parametrize(("birthday", "first", "last", "expected"), [
    ("1985-11-25", "2026-11-20", "2026-11-27", [("2026-11-25", 41)]),
    ("1985-11-25", "2026-11-25", "2026-11-25", [("2026-11-25", 41)]),
    ("1985-11-25", "2026-11-26", "2026-12-31", []),
    ("1985-11-25", "2026-11-01", "2026-11-24", []),
    ("--11-25", "2026-11-20", "2026-11-27", [("2026-11-25", None)]),
    ("--02-29", "2027-02-20", "2027-03-05", [("2027-02-28", None)]),
    ("--02-29", "2028-02-20", "2028-03-05", [("2028-02-29", None)]),
    ("1996-02-29", "2027-02-28", "2027-02-28", [("2027-02-28", 31)]),
    ("--01-02", "2026-12-28", "2027-01-03", [("2027-01-02", None)]),
    ("2026-12-01", "2026-11-20", "2026-12-31", []),  # not born yet this year: no birthday
])
def test_birthdays(birthday: str, first: str, last: str,
                   expected: list[tuple[str, int | None]]) -> None:
    found = cadence.birthdays(birthday, D(first), D(last))
    assert [(o.day.isoformat(), o.years) for o in found] == expected
    assert all(o.kind == "birthday" for o in found)


@pytest.mark.parametrize(("since", "first", "last", "expected"), [
    ("2023-11-25", "2026-11-20", "2026-11-27", [("2026-11-25", 3)]),
    ("2025-11-25", "2026-11-25", "2026-11-25", [("2026-11-25", 1)]),
    ("2026-11-25", "2026-11-20", "2026-11-27", []),  # the start itself is no anniversary
    ("2024-02-29", "2027-02-20", "2027-03-01", [("2027-02-28", 3)]),
])
def test_anniversaries(since: str, first: str, last: str,
                       expected: list[tuple[str, int]]) -> None:
    found = cadence.anniversaries(D(since), D(first), D(last))
    assert [(o.day.isoformat(), o.years) for o in found] == expected


def test_month_days_include_29_february_when_28_february_of_a_common_year_is_in_view() -> None:
    assert cadence.month_days(D("2027-02-27"), D("2027-03-01")) == ["02-27", "02-28", "02-29",
                                                                   "03-01"]
    assert cadence.month_days(D("2028-02-28"), D("2028-02-28")) == ["02-28"]


def test_public_holidays_one_greeting_per_holiday() -> None:
    found = cadence.public_holidays("CN", D("2026-09-28"), D("2026-10-08"))
    # 国庆节 runs 1-3 October; the 调休 rest days (6-7 October) are not occasions.
    assert [(o.day.isoformat(), o.name) for o in found] == [("2026-10-01", "国庆节")]


def test_public_holidays_spring_festival() -> None:
    found = cadence.public_holidays("CN", D("2026-02-10"), D("2026-02-25"))
    assert [(o.day.isoformat(), o.name) for o in found] == [
        ("2026-02-16", "农历除夕"), ("2026-02-17", "春节")]


def test_a_holiday_already_under_way_is_not_ahead() -> None:
    assert cadence.public_holidays("CN", D("2026-10-02"), D("2026-10-04")) == []


def test_an_unknown_region_is_bad_input() -> None:
    with pytest.raises(BadInput, match="region 'XX'"):
        cadence.public_holidays("XX", D("2026-10-01"), D("2026-10-08"))


# --- calendar arithmetic without dateutil ---------------------------------------------------------

SPANS = ["1d", "3d", "10d", "1w", "2w", "1mo", "2mo", "3mo", "12mo", "13mo"]


@pytest.mark.parametrize("every", SPANS)
def test_add_span_is_the_calendar_arithmetic_of_relativedelta(every: str) -> None:
    from dateutil.relativedelta import relativedelta

    n = int(every.rstrip("dwmo"))
    step = (relativedelta(months=n) if every.endswith("mo")
            else timedelta(days=n * 7 if every.endswith("w") else n))
    day = D("2023-12-01")
    while day < D("2029-03-01"):
        assert cadence.add_span(day, every) == day + step, (day, every)
        day += timedelta(days=1)


@pytest.mark.parametrize("every", SPANS)
def test_latest_anchor_is_the_last_day_whose_next_contact_is_due_in_time(every: str) -> None:
    last_day = D("2025-12-01")
    while last_day < D("2029-03-01"):
        anchor = cadence.latest_anchor(last_day, every)
        assert cadence.add_span(anchor, every) <= last_day < cadence.add_span(
            anchor + timedelta(days=1), every), (last_day, every)
        last_day += timedelta(days=1)


def test_contact_rules_for_many_customers_agree_with_next_contact() -> None:
    import random

    rng = random.Random(4)
    policies = [BASE, VIP, replace(BASE, cadence_overrides={
        "cadence.tag.VIP": "2w", "cadence.segment.owner": "10d", "cadence.tag.key": "3mo"}),
        replace(BASE, cadence_new="3d", cadence_established="2mo", new_customer_days=30)]
    for policy in policies:
        rules = cadence.ContactRules(policy)
        for _ in range(2000):
            start = D("2025-01-01") + timedelta(days=rng.randrange(700))
            last = rng.choice([None, start + timedelta(days=rng.randrange(-30, 300))])
            entered = rng.choice([None, start + timedelta(days=rng.randrange(-60, 60))])
            tags = tuple(rng.sample(["VIP", "key", "x"], rng.randrange(3)))
            segment = rng.choice([None, "owner", "tenant"])
            customer = Contactee(start, last, None, tags, segment, entered)
            assert rules.next_contact(start, last, entered, tags, segment) == \
                cadence.next_contact(customer, policy)


@pytest.mark.parametrize("policy", [BASE, VIP, replace(BASE, new_customer_days=0),
                                    replace(BASE, new_customer_days=1, cadence_new="3d"),
                                    replace(BASE, cadence_overrides={
                                        "cadence.segment.owner": "10d"}, new_customer_days=30)])
def test_a_settled_start_gives_the_same_dates_as_the_start(policy: Policy) -> None:
    # SPEC: weekly for a new customer's first new_customer_days, then the established
    # cadence; counting starts on the day the customer was entered when nothing is on record.
    # Every start from 400 days before the day entered to 30 days after it, both sides of
    # the new-customer boundary: the settled start gives the same next contact and visit.
    rules = cadence.ContactRules(policy)
    entered = D("2026-11-23")
    for offset in range(-400, 31):
        start = entered + timedelta(days=offset)
        settled = rules.settled_start(start, entered)
        for tags, segment in (((), None), (("VIP",), "owner"), (("x",), "tenant")):
            assert rules.next_contact(settled, None, entered, tags, segment) == \
                rules.next_contact(start, None, entered, tags, segment), (offset, tags)
        assert cadence.next_in_person(Contactee(settled, entered=entered), policy) == \
            cadence.next_in_person(Contactee(start, entered=entered), policy), offset
        # the starts still new on the day entered are their own; the others are one
        new = start + timedelta(days=policy.new_customer_days) > entered or start > entered
        assert (settled == start) if new else (
            settled == entered - timedelta(days=policy.new_customer_days))
