"""The pure rules of property and money (SPEC §5 "Property and money"), table-driven.

Each table quotes the seed line it is written from; expectations are worked out by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crmcli import credit, handover, money
from crmcli.errors import BadInput
from crmcli.fields import first_year_grade
from crmcli.policy import Policy, normalize

D = date.fromisoformat
P = Policy()


# --- handover visits --------------------------------------------------------------------------
# seed 002: 三個月居住感受回訪 … 房屋交付後三個月; 一年房屋檢查 … 房屋交付後一年;
#           回訪前一周發出回訪通知和邀請

PLAN = [
    # (handover, residence due, inspection due)
    ("2026-01-15", "2026-04-15", "2027-01-15"),
    ("2025-11-30", "2026-02-28", "2026-11-30"),  # Nov 30 → Feb 28 (no Feb 30)
    ("2027-11-30", "2028-02-29", "2028-11-30"),  # Nov 30 → Feb 29 in a leap year
    ("2026-10-31", "2027-01-31", "2027-10-31"),
    ("2026-05-31", "2026-08-31", "2027-05-31"),
    ("2026-11-30", "2027-02-28", "2027-11-30"),
    ("2028-02-29", "2028-05-29", "2029-02-28"),  # a leap day: the inspection on 28 February
]


@pytest.mark.parametrize(("given", "residence", "inspection"), PLAN)
def test_handover_plan_in_calendar_months(given: str, residence: str, inspection: str) -> None:
    first, second = handover.plan(D(given), P)
    assert (first.kind, first.due) == ("residence", D(residence))
    assert (second.kind, second.due) == ("inspection", D(inspection))
    # 回訪前一周: the invitation a week before each
    assert first.invite_on == D(residence) - timedelta(days=7)
    assert second.invite_on == D(inspection) - timedelta(days=7)


def _owed(last_day: str, done: dict[str, list[str]] | None = None,
          invited: list[str] | None = None, handed: str = "2026-08-20",
          today: str | None = None) -> list[tuple[str, str]]:
    items = handover.owed(D(handed), {k: [D(d) for d in v] for k, v in (done or {}).items()},
                          [D(d) for d in invited or []], D(today or last_day), D(last_day), P)
    return [(item.kind, item.due.isoformat()) for item in items]


OWED = [
    # (case, last day, done, invited, expected)
    ("the day before the invitation: nothing", "2026-11-12", None, None, []),
    ("the invitation's day (a week before 2026-11-20)", "2026-11-13", None, None,
     [("invitation", "2026-11-13")]),
    ("invitation sent: only the visit on its day", "2026-11-20", None, ["2026-11-13"],
     [("residence", "2026-11-20")]),
    ("the day before the visit, invited: nothing", "2026-11-19", None, ["2026-11-12"], []),
    ("visit done (even without invitation): nothing more for it", "2026-11-25",
     {"residence": ["2026-11-18"]}, None, []),
    ("a residence visit before the handover does not count", "2026-11-20",
     {"residence": ["2026-08-01"]}, ["2026-11-10"], [("residence", "2026-11-20")]),
    ("inspection's invitation: an invitation after the residence visit's day",
     "2027-08-13", {"residence": ["2026-11-20"]}, ["2026-11-13"],
     [("invitation", "2027-08-13")]),
    ("the residence visit lapses once the inspection is due", "2027-08-20",
     None, ["2026-11-13", "2027-08-13"], [("inspection", "2027-08-20")]),
]


@pytest.mark.parametrize(("case", "last_day", "done", "invited", "expected"), OWED,
                         ids=[row[0] for row in OWED])
def test_handover_owed(case: str, last_day: str, done: dict[str, list[str]] | None,
                       invited: list[str] | None, expected: list[tuple[str, str]]) -> None:
    assert _owed(last_day, done, invited) == expected


def test_inspection_lapses_after_a_second_interval() -> None:
    # handed over 2026-08-20: inspection 2027-08-20, owed to 2028-08-19
    assert _owed("2028-08-19", invited=["2027-08-13"]) == [("inspection", "2027-08-20")]
    assert _owed("2028-08-20", invited=["2027-08-13"]) == []


# seed 002: 以下客戶無需安排回訪:①有過重大投訴客戶;②裝修期的客戶;③沒有實際入住客戶
SKIPS = [
    ({"had_major": False, "renovating": False, "occupied": True}, []),
    ({"had_major": True, "renovating": False, "occupied": True}, ["①"]),
    ({"had_major": False, "renovating": True, "occupied": True}, ["②"]),
    ({"had_major": False, "renovating": False, "occupied": False}, ["③"]),
    ({"had_major": True, "renovating": True, "occupied": False}, ["①", "②", "③"]),
]


@pytest.mark.parametrize(("flags", "marks"), SKIPS)
def test_skip_reasons(flags: dict[str, bool], marks: list[str]) -> None:
    reasons = handover.skip_reasons(**flags)
    assert [next(m for m in "①②③" if m in r) for r in reasons] == marks


# --- contracts --------------------------------------------------------------------------------
# SPEC §5: contract renewal (續簽) reminder 60 days before the end (renewal_notice_days)

RENEWAL = [
    ("2027-01-30", "2026-11-30", False),  # 61 days before: not yet
    ("2027-01-29", "2026-11-30", True),   # exactly 60 days before
    ("2026-11-30", "2026-11-30", True),   # its last day
    ("2026-11-01", "2026-11-30", True),   # ended by date, not renewed: still owed
]


@pytest.mark.parametrize(("end_on", "last_day", "expected"), RENEWAL)
def test_renewal_window(end_on: str, last_day: str, expected: bool) -> None:
    assert handover.renewal_owed(D(end_on), D(last_day), renewed=False, ended=False,
                                 policy=P) is expected
    assert handover.renewal_owed(D(end_on), D(last_day), renewed=True, ended=False,
                                 policy=P) is False
    assert handover.renewal_owed(D(end_on), D(last_day), renewed=False, ended=True,
                                 policy=P) is False


BILLS = [
    ("monthly", "2026-01-31", 2026, 2, "2026-02-28"),
    ("monthly", "2026-01-31", 2026, 1, "2026-01-31"),
    ("monthly", "2026-01-31", 2025, 12, None),
    ("quarterly", "2026-01-15", 2026, 4, "2026-04-15"),
    ("quarterly", "2026-01-15", 2026, 5, None),
    ("yearly", "2026-03-01", 2027, 3, "2027-03-01"),
    ("yearly", "2026-03-01", 2027, 4, None),
    ("once", "2026-03-01", 2026, 3, "2026-03-01"),
    ("once", "2026-03-01", 2026, 4, None),
    ("monthly", "2026-01-10", 2027, 1, None),  # after the end (2026-12-31)
]


@pytest.mark.parametrize(("billing", "start", "year", "month", "expected"), BILLS)
def test_contract_billing(billing: str, start: str, year: int, month: int,
                          expected: str | None) -> None:
    due = handover.bills_in(billing, D(start), D("2026-12-31") if billing == "monthly"
                            and start == "2026-01-10" else D("2030-12-31"), year, month)
    assert (due.isoformat() if due else None) == expected


# --- money ------------------------------------------------------------------------------------
# SPEC §5: money is exact (integer minor units), one currency per site (CNY)

AMOUNTS = [
    ("1234.56", "CNY", 123456), ("1,234.56", "CNY", 123456), ("0.01", "CNY", 1),
    ("¥500", "CNY", 50000), ("500元", "CNY", 50000), ("1234.5", "CNY", 123450),
    ("1234.", "CNY", 123400), ("0.1", "CNY", 10), ("1000", "JPY", 1000),
    ("999999999999.99", "CNY", 99999999999999),
]


@pytest.mark.parametrize(("text", "currency", "minor"), AMOUNTS)
def test_amounts_parse_exactly(text: str, currency: str, minor: int) -> None:
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [
    ("1234.567", "CNY"), ("0", "CNY"), ("0.00", "CNY"), ("-5", "CNY"), ("1e3", "CNY"),
    ("nan", "CNY"), ("inf", "CNY"), ("1,23.4", "CNY"), ("", "CNY"), ("10.5", "JPY"),
    ("10000000000000", "CNY"),
])
def test_bad_amounts(text: str, currency: str) -> None:
    with pytest.raises(BadInput):
        money.parse_amount(text, currency)


def test_format_and_major_text() -> None:
    assert money.format_amount(123456, "CNY") == "1,234.56"
    assert money.format_amount(-5, "CNY") == "-0.05"
    assert money.as_major(123456, "CNY") == "1234.56"
    assert money.format_amount(1000, "JPY") == "1,000"
    # 0.1 + 0.2 as floats is 0.30000000000000004; as minor units it is exact
    assert money.parse_amount("0.1", "CNY") + money.parse_amount("0.2", "CNY") == 30


T = datetime(2026, 11, 1, tzinfo=UTC)


def inv(i: int, amount: int, due: str) -> money.Invoice:
    return money.Invoice(i, amount, D(due), T)


def pay(i: int, amount: int, invoice: int | None = None, day: int = 0,
        refused: bool = False) -> money.Payment:
    return money.Payment(i, amount, invoice, T + timedelta(days=day), refused)


def test_part_payments_to_the_cent() -> None:
    invoices = [inv(1, 123456, "2026-11-30")]
    part = money.allocate(invoices, [pay(1, 100000, 1), pay(2, 23455, 1, 1)])
    assert part.paid == {1: 123455} and part.settled_at == {} and part.credit == 0
    full = money.allocate(invoices, [pay(1, 100000, 1), pay(2, 23455, 1, 1), pay(3, 1, 1, 2)])
    assert full.paid == {1: 123456} and full.settled_at == {1: T + timedelta(days=2)}
    over = money.allocate(invoices, [pay(1, 123457, 1)])
    assert over.paid == {1: 123456} and over.credit == 1


def test_payments_oldest_due_first_named_invoice_first() -> None:
    invoices = [inv(1, 1000, "2026-10-31"), inv(2, 1000, "2026-11-30")]
    fifo = money.allocate(invoices, [pay(1, 1500)])
    assert fifo.paid == {1: 1000, 2: 500}
    named = money.allocate(invoices, [pay(1, 1500, 2)])
    assert named.paid == {1: 500, 2: 1000}
    assert named.applications == [(1, 2, 1000), (1, 1, 500)]


def test_a_refused_payment_pays_nothing() -> None:
    invoices = [inv(1, 1000, "2026-10-31")]
    result = money.allocate(invoices, [pay(1, 1000, 1, refused=True)])
    assert result.paid == {1: 0} and result.applications == [] and result.credit == 0


def test_credit_before_the_invoice_settles_it_when_issued() -> None:
    later = money.Invoice(1, 1000, D("2026-12-31"), T + timedelta(days=5))
    result = money.allocate([later], [pay(1, 1000)])
    assert result.settled_at == {1: T + timedelta(days=5)}


# --- credit grades ----------------------------------------------------------------------------
# seed 003: a等級:6個月一次(每年9月、3月) b等級:3個月一次(每年1月、4月、7月、10月) c等級:每月一次

REVIEW = [
    ("A", [3, 9]), ("B", [1, 4, 7, 10]), ("C", list(range(1, 13))),
]


@pytest.mark.parametrize(("grade", "months"), REVIEW)
def test_review_months(grade: str, months: list[int]) -> None:
    assert [m for m in range(1, 13) if credit.review_due_in(grade, 2026, m, P)] == months


@pytest.mark.parametrize(("grade", "year", "month", "end"), [
    ("A", 2026, 3, "2026-03-31"), ("A", 2026, 9, "2026-09-30"),
    ("B", 2026, 1, "2026-01-31"), ("B", 2028, 2, "2028-02-29"), ("C", 2026, 12, "2026-12-31"),
])
def test_review_due_at_month_end(grade: str, year: int, month: int, end: str) -> None:
    # 報告書於每月底向營業主管提示: due on the month's last day, not the day after
    assert credit.month_end(year, month) == D(end)


def test_review_owed_edges() -> None:
    # entered on the last day of February: owed first in March (A), not in February
    assert credit.review_owed("A", D("2026-02-28"), 2026, 3, P)
    assert not credit.review_owed("A", D("2026-03-01"), 2026, 3, P)
    assert not credit.review_owed("A", D("2026-01-01"), 2026, 4, P)
    custom = replace(P, review_months_a="6,12")
    assert credit.review_owed("A", D("2026-01-01"), 2026, 6, custom)


# seed 003: 尚欠帳款者(達50萬元以上)a等級以外的公司 → c等級
def test_arrears_threshold() -> None:
    threshold = credit.threshold_minor(P)
    assert threshold == 50_000_000  # 500 000 yuan in fen
    assert not credit.arrears_point_to_c("B", threshold - 1, threshold)
    assert credit.arrears_point_to_c("B", threshold, threshold)
    assert credit.arrears_point_to_c("C", threshold, threshold)
    assert not credit.arrears_point_to_c("A", threshold * 10, threshold)


def test_arrears_threshold_policy_in_major_units() -> None:
    assert normalize("arrears_c_threshold", "200,000") == ("arrears_c_threshold", "200000")
    assert normalize("arrears_c_threshold", "0.5") == ("arrears_c_threshold", "0.5")
    assert credit.threshold_minor(replace(P, arrears_c_threshold="0.5")) == 50
    with pytest.raises(BadInput):
        normalize("arrears_c_threshold", "-1")
    assert normalize("review_months_c", "monthly")[1] == "1,2,3,4,5,6,7,8,9,10,11,12"
    assert normalize("review_months_a", "9, 3")[1] == "3,9"
    with pytest.raises(BadInput):
        normalize("review_months_b", "13")
    assert Decimal(P.arrears_c_threshold) == 500000


# seed 003: 新開發顧客(不問其規模如何,一年間將其列為c等級。)
@pytest.mark.parametrize(("since", "today", "allowed"), [
    ("2025-11-20", "2026-11-19", False), ("2025-11-20", "2026-11-20", True),
    (None, "2026-11-20", False),
])
def test_first_year_grade(since: str | None, today: str, allowed: bool) -> None:
    error = first_year_grade("B", D(since) if since else None, D("2026-01-05"), D(today),
                             P.grade_new_customer_days)
    assert (error is None) is allowed


def test_may_leave_c() -> None:
    assert not credit.may_leave_c("C", D("2025-11-21"), None, D("2026-11-20"))
    assert credit.may_leave_c("C", D("2025-11-20"), None, D("2026-11-20"))
    assert not credit.may_leave_c("C", D("2025-11-20"), D("2026-11-20"), D("2026-11-25"))
    assert not credit.may_leave_c("B", D("2025-11-20"), None, D("2026-11-20"))


@pytest.mark.parametrize("handed", ["2025-11-27", "2025-12-31", "2026-02-28", "2026-03-31"])
def test_inspection_prefilter_is_conservative(handed: str) -> None:
    # a handover after inspection_not_yet(last_day) has its inspection invitation after last_day
    last_day = D("2026-11-20")
    if D(handed) > handover.inspection_not_yet(last_day, P):
        assert handover.plan(D(handed), P)[1].invite_on > last_day
