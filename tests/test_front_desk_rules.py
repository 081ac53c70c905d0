"""The front desk's rules (SPEC §5), table-driven from the seed text, both sides of each edge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crmcli.services import meetings, notices, requests
from crmcli.services.agenda import notices as recurring

T0 = datetime(2026, 11, 20, 1, 40, tzinfo=UTC)  # 09:40 in Shanghai


# seed 001: 對于不能立即解答的問題,要記錄下來,并在規定時間內給予客戶回復。
# seed 000 4.2: 向租戶公布24小時服務熱線 — SPEC §5: replied to within 24 h (request_reply_hours)
@pytest.mark.parametrize(("replied_after", "looked_after", "state"), [
    (None, timedelta(hours=23, minutes=59), "running"),
    (None, timedelta(hours=24), "running"),             # at the due minute: still in time
    (None, timedelta(hours=24, minutes=1), "missed"),   # a minute after: missed
    (timedelta(hours=24), timedelta(days=30), "met"),   # replied at 24 h: on time
    (timedelta(hours=24, minutes=1), timedelta(days=30), "late"),  # 24 h 1 min: missed, late
    (timedelta(hours=2), timedelta(hours=1), "running"),  # a reply not yet made at that moment
    (timedelta(hours=30), timedelta(days=900), "late"),  # kept missed years later
])
def test_reply_deadline(replied_after: timedelta | None, looked_after: timedelta,
                        state: str) -> None:
    due = requests.reply_due(T0, 24)
    replied = T0 + replied_after if replied_after is not None else None
    assert due == T0 + timedelta(hours=24)
    assert requests.reply_state(replied, None, due, T0 + looked_after) == state


def test_a_conversion_ends_the_reply_deadline_but_a_reply_before_it_stays() -> None:
    due = requests.reply_due(T0, 24)
    later = T0 + timedelta(days=3)
    assert requests.reply_state(None, T0 + timedelta(hours=2), due, later) == "converted"
    assert requests.reply_state(T0 + timedelta(hours=1), T0 + timedelta(hours=2), due,
                                later) == "met"


# seed 000 4.7: 每季或有重大事件通知時 … 召開全體租戶大會,并形成記錄。
# SPEC §5: a tenant meeting every quarter — agenda item in the quarter's last 14 days
@pytest.mark.parametrize(("day", "quarter", "first", "last", "shown_from"), [
    (date(2026, 1, 1), (2026, 1), date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 18)),
    (date(2026, 3, 31), (2026, 1), date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 18)),
    (date(2026, 4, 1), (2026, 2), date(2026, 4, 1), date(2026, 6, 30), date(2026, 6, 17)),
    (date(2026, 9, 30), (2026, 3), date(2026, 7, 1), date(2026, 9, 30), date(2026, 9, 17)),
    (date(2026, 12, 31), (2026, 4), date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 18)),
])
def test_quarters_and_the_meeting_warning(day: date, quarter: tuple[int, int], first: date,
                                          last: date, shown_from: date) -> None:
    assert meetings.quarter_of(day) == quarter
    assert meetings.quarter_days(*quarter) == (first, last)
    assert meetings.meeting_due(*quarter, 14) == (shown_from, last)
    assert (last - shown_from).days + 1 == 14


# seed 000 4.8: 重大通知及文件有專人發放,并有簽收記錄 — SPEC §5: unsigned chased after 3 days
@pytest.mark.parametrize(("days", "after", "chased"), [
    (3, timedelta(days=3), False),
    (3, timedelta(days=3, minutes=1), True),
    (3, timedelta(days=2, hours=23), False),
    (1, timedelta(days=1, minutes=1), True),
])
def test_signoff_days(days: int, after: timedelta, chased: bool) -> None:
    due = notices.signoff_due(T0, days)
    assert due == T0 + timedelta(days=days)
    assert (T0 + after > due) is chased


# seed 000 4.8.1: 每月配合安全部給租戶發消防安全檢查通知 — policy notice.every.fire-safety 1mo
@pytest.mark.parametrize(("last", "every", "due"), [
    (date(2026, 10, 15), "1mo", date(2026, 11, 15)),
    (date(2026, 1, 31), "1mo", date(2026, 2, 28)),
    (date(2026, 11, 1), "2w", date(2026, 11, 15)),
    (None, "1mo", date(2026, 11, 3)),  # none sent: due from the day the setting was made
])
def test_recurring_notice_due(last: date | None, every: str, due: date) -> None:
    assert recurring.next_due(last, date(2026, 11, 3), every) == due
