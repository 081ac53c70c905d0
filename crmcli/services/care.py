"""Care reminders (節日問候、生日祝福): birthdays, lunar birthdays, the customer's own and
relationship anniversaries, and the public holidays of the site's region, ahead."""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import cadence
from crmcli.dates import local_today
from crmcli.render import Column
from crmcli.services import Session

CARE_COLUMNS = [
    Column("date"), Column("days", justify="right"), Column("kind"), Column("customer_id"),
    Column("customer"), Column("occasion"), Column("years"),
]
CARE_TABLE_COLUMNS = [
    Column("date"), Column("when"), Column("kind"), Column("customer"), Column("occasion"),
]


def care_rows(session: Session, last_day: date) -> list[dict[str, Any]]:
    """Birthdays (Gregorian and lunar), the customer's own and relationship anniversaries and
    public holidays from today to ``last_day``."""
    import json

    today = local_today(session.now)
    days = json.dumps(cadence.month_days(today, last_day))
    found: list[tuple[cadence.Occasion, int | None, str | None]] = []
    for cid, name, birthday in session.conn.execute(
            "SELECT id, name, birthday FROM customers WHERE birthday IS NOT NULL AND "
            "moved_out_at IS NULL AND "
            "substr(birthday, -5) IN (SELECT value FROM json_each(?))", (days,)):
        found += [(o, cid, name) for o in cadence.birthdays(birthday, today, last_day)]
    for cid, name, since in session.conn.execute(
            "SELECT id, name, since FROM customers WHERE since IS NOT NULL AND "
            "moved_out_at IS NULL AND "
            "substr(since, 6, 5) IN (SELECT value FROM json_each(?))", (days,)):
        found += [(o, cid, name) for o in cadence.anniversaries(date.fromisoformat(since),
                                                                 today, last_day)]
    for cid, name, own, lunar in session.conn.execute(
            "SELECT id, name, anniversaries, lunar_birthday FROM customers "
            "WHERE (anniversaries IS NOT NULL OR lunar_birthday IS NOT NULL) "
            "AND moved_out_at IS NULL"):
        if own:
            found += [(o, cid, name) for o in cadence.personal_anniversaries(own, today,
                                                                             last_day)]
        if lunar:
            found += [(o, cid, name) for o in cadence.lunar_birthdays(lunar, today, last_day)]
    region = session.policies.current.region
    found += [(o, None, None) for o in cadence.public_holidays(region, today, last_day)]
    order = {"holiday": 0, "birthday": 1, "lunar_birthday": 2, "occasion": 3, "anniversary": 4}
    found.sort(key=lambda item: (item[0].day, order[item[0].kind], item[1] or 0))
    return [_care_row(occasion, cid, name, today) for occasion, cid, name in found]


def _care_row(occasion: cadence.Occasion, customer_id: int | None, name: str | None,
              today: date) -> dict[str, Any]:
    ahead = (occasion.day - today).days
    if occasion.kind == "holiday":
        what = occasion.name
    elif occasion.kind == "birthday":
        turns = f", turns {occasion.years}" if occasion.years is not None else ""
        what = f"birthday (生日){turns}"
    elif occasion.kind == "lunar_birthday":
        what = f"lunar birthday (農曆生日 {occasion.name})"
    elif occasion.kind == "occasion":
        what = occasion.name
    else:
        what = f"{occasion.years} year{'s' if occasion.years != 1 else ''} as a customer"
    return {
        "date": occasion.day, "days": ahead,
        "when": "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"in {ahead}d",
        "kind": occasion.kind, "customer_id": customer_id, "customer": name,
        "occasion": what, "years": occasion.years,
    }
