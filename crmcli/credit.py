"""Credit grades and their reviews (顧客情報報告書, seed 003), pure.

Seed 003: a等級:6個月一次(每年9月、3月); b等級:3個月一次(每年1月、4月、7月、10月);
c等級:每月一次. 尚欠帳款者(達50萬元以上)a等級以外的公司 → c. 新開發顧客(不問其規模如何,一年間
將其列為c等級。). 報告書於每月底向營業主管提示.

Decisions where the seed is silent:

* A review is owed in each review month of the customer's grade (policy ``review_months_a``,
  ``_b``, ``_c``) and is due by that month's last day (the report goes up at month end); a
  review recorded any time in that month (local) meets it. A customer entered during a month
  is first owed the next review month after it.
* Arrears are what is still owed on invoices past their due date. At or over the threshold
  (policy ``arrears_c_threshold``, in major units: 500000 means 50萬元, as the seed says it)
  they point to grade C, unless the customer is grade A (the seed exempts a等級).
* A customer whose first year has ended and who is still C is pointed out once its first year
  has ended and no review has been recorded since: it may leave C.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from crmcli.fields import first_year_end
from crmcli.money import to_minor
from crmcli.policy import Policy, parse_months


def review_months(grade: str, policy: Policy) -> tuple[int, ...]:
    setting = {"A": policy.review_months_a, "B": policy.review_months_b,
               "C": policy.review_months_c}[grade]
    return parse_months(setting, f"policy review_months_{grade.lower()}")


def review_due_in(grade: str, year: int, month: int, policy: Policy) -> bool:
    """Is a customer of ``grade`` owed a review in this calendar month?"""
    return month in review_months(grade, policy)


def month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def review_owed(grade: str, entered: date, year: int, month: int, policy: Policy) -> bool:
    """Owed this month: a review month of the grade, and the customer was on file before it."""
    return review_due_in(grade, year, month, policy) and entered < date(year, month, 1)


def threshold_minor(policy: Policy) -> int:
    """``arrears_c_threshold`` (major units) in the currency's minor units."""
    return to_minor(Decimal(policy.arrears_c_threshold), policy.currency,
                    "policy arrears_c_threshold")


def arrears_point_to_c(grade: str, arrears: int, threshold: int) -> bool:
    """Seed 003 c-2: arrears (minor units) at or over the threshold, a customer not graded A."""
    return grade != "A" and arrears >= threshold


def may_leave_c(grade: str, start: date, last_review: date | None, day: date) -> bool:
    """Seed 003 c-7: the first year (as C) has ended by ``day`` and no review since its end."""
    end = first_year_end(start)
    return grade == "C" and end <= day and (last_review is None or last_review < end)
