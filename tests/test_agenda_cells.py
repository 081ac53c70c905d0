"""`visit due --format csv` cells made straight from the items: the same text as the rows'
(``iso_local`` for a time, the day for a day obligation), whatever the site's zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from crmcli.dates import iso_local, local_day
from crmcli.services.agenda import base, invoice
from crmcli.services.agenda.base import DueItem

# (zone, a transition of its clocks in 2026, in UTC): spring forward and fall back
TRANSITIONS = [
    ("Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, 0, tzinfo=UTC)),  # a half-hour change
    ("Asia/Shanghai", datetime(2026, 11, 23, 1, 0, tzinfo=UTC)),  # none
]


@pytest.mark.parametrize(("zone", "change"), TRANSITIONS)
def test_csv_times_are_iso_local_on_both_sides_of_a_clock_change(
        set_tz: Callable[[str], None], zone: str, change: datetime) -> None:
    set_tz(zone)
    # every 10 minutes from 3 h before to 3 h after, each moment twice (the second time its
    # text is the one already worked out), the same moment in another zone's terms too
    moments = [change + timedelta(minutes=10 * step) for step in range(-18, 19)]
    moments += [moment.astimezone(datetime.fromisoformat("2026-01-01T00:00+05:30").tzinfo)
                for moment in moments]
    items = [DueItem(7, "陳大文", "complaint", moment, "follow-up", "amy", "phone", 3, 9)
             for moment in moments * 2]
    items.append(DueItem(8, "李", "cadence", change.date(), "every 2 weeks"))
    now = change
    cells = list(base.due_cells(items, now))
    assert [row[3] for row in cells[:-1]] == [iso_local(moment) for moment in moments * 2]
    assert [row[4] for row in cells[:-1]] == [
        "true" if now > moment else "false" for moment in moments * 2]
    assert cells[-1][3:5] == (change.date().isoformat(),
                              "true" if local_day(now) > change.date() else "false")
    assert cells[0] == ("7", "陳大文", "complaint", iso_local(moments[0]), "true", "3",
                        "follow-up", "amy", "phone", "9", "")


def test_merged_cells_are_the_whole_lists_first_rows_at_every_limit() -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    items = [DueItem(customer, "x", "complaint", now + timedelta(hours=hours), "r", "amy",
                     visit_id=customer)
             for customer, hours in ((1, -30), (2, -30), (5, 2), (3, 40), (9, 90))]
    ordered, keys = base.keyed_in_order(items)
    days = [(str(c), "y", kind, day, "true", "", "r", "m", "", "", "", c)
            for c, kind, day in ((1, "cadence", "2026-11-21"), (4, "annual", "2026-11-22"),
                                 (4, "cadence", "2026-11-22"), (2, "cadence", "2026-11-24"))]
    whole = list(base.merged_cells(days, ordered, keys, now))
    assert [row[0] for row in whole] == ["1", "1", "2", "4", "4", "5", "2", "3", "9"]
    for limit in range(len(whole) + 2):
        first, first_keys = base.keyed_in_order(items, limit)
        assert list(base.merged_cells(days, first, first_keys, now, limit)) == whole[:limit]


@pytest.mark.parametrize("line", [
    "invoice #{id} unpaid: {left} {currency} of {amount}",
    "invoice #{id} unpaid: {left} {currency} of {amount} — {what}",
    "發票 #{id} 未付：{amount} {currency} 中尚欠 {left} — {what}",  # the fields in another order
    "{what}：{currency}{left}／{amount}（#{id}）",
    "{{literal}} #{id} {left}{currency}{amount}",  # braces kept as the translation has them
])
@pytest.mark.parametrize("currency", ["CNY", "HKD", "JPY"])
def test_an_invoice_reason_is_its_translated_line_filled_in(line: str, currency: str) -> None:
    filled = invoice._positional(line, currency).format(1234, "1,200.00", "2,000.00",
                                                        "管理費 {x}")
    assert filled == line.format(id=1234, left="1,200.00", currency=currency,
                                 amount="2,000.00", what="管理費 {x}")


def test_a_day_and_a_time_of_that_day_are_told_apart() -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    day, moment = date(2026, 11, 22), datetime(2026, 11, 22, tzinfo=UTC)
    cells = list(base.due_cells([DueItem(1, "a", "cadence", day, "r"),
                                 DueItem(1, "a", "care", moment, "r")], now))
    assert [row[3] for row in cells] == ["2026-11-22", iso_local(moment)]
