"""Credit-grade reviews (顧客情報報告書, seed 003) and the periodic grade report."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from crmcli import credit, money
from crmcli.dates import (
    from_db,
    local_day,
    local_today,
    month_bounds,
    short_local,
    to_db,
    to_minute,
)
from crmcli.db import transaction
from crmcli.errors import BadInput
from crmcli.fields import clean_grade, clean_text, first_year_grade
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session

REVIEW_COLUMNS = [
    Column("id", justify="right"), Column("customer_id", in_table=False), Column("customer"),
    Column("at"), Column("grade_before", "before"), Column("grade"),
    Column("changed", in_table=False), Column("by"), Column("note"),
]
ATTENTION_COLUMNS = [
    Column("customer_id"), Column("customer"), Column("grade"), Column("suggested"),
    Column("rule"), Column("arrears"), Column("arrears_minor", in_table=False),
    Column("first_year_ended", in_table=False),
]
_SELECT = ("SELECT r.id, r.customer_id, c.name, r.at, r.grade_before, r.grade, r.by, r.note "
           "FROM customer_reviews r JOIN customers c ON c.id = r.customer_id")


def _record(row: Any) -> dict[str, Any]:
    rid, customer_id, name, at, before, grade, by, note = row
    return {"id": rid, "customer_id": customer_id, "customer": name, "at": from_db(at),
            "grade_before": before, "grade": grade, "changed": before != grade, "by": by,
            "note": note}


def _local_day(text: str) -> date:
    return local_day(from_db(text))


def record_review(session: Session, customer_ref: str, *, grade: str | None, note: str,
                  at: datetime | None, by: str | None) -> dict[str, Any]:
    """Record a review: the grade kept or changed, and why. A change goes into the customer's
    edit history too. Seed 003's first-year rule holds: no A or B in the first year."""
    from crmcli.services.customers import find as find_customer

    text = clean_text(note, "--note", multiline=True) if note else None
    if not text:
        raise BadInput(_("--note: say what the review found (顧客情報報告書)."))
    new_grade = clean_grade(grade) if grade else None
    when = to_minute(at or session.now)
    if when > session.now + timedelta(minutes=1):
        raise BadInput(_("--at {when} is in the future.").format(
            when=short_local(when)))
    who = clean_text(by, "--by") if by else session.user
    policy = session.policies.current
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        after = new_grade or customer["grade"]
        since = date.fromisoformat(customer["since"]) if customer["since"] else None
        error = first_year_grade(new_grade, since, local_day(customer["created_at"]),
                                 local_day(when), policy.grade_new_customer_days)
        if error:  # giving A or B; a grade kept is not a new grading
            raise BadInput(_("--grade {new_grade}: {name} (#{id}): {error}").format(
                new_grade=new_grade, name=customer['name'], id=customer['id'], error=error))
        stamp = to_db(when)
        cursor = session.conn.execute(
            "INSERT INTO customer_reviews (customer_id, at, by, grade_before, grade, note, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], stamp, who, customer["grade"], after, text, to_db(session.now)))
        if after != customer["grade"]:
            session.conn.execute(
                "INSERT INTO customer_changes (customer_id, at, by, field, old_value, new_value)"
                " VALUES (?, ?, ?, 'grade', ?, ?)",
                (customer["id"], to_db(session.now), who, customer["grade"], after))
            session.conn.execute("UPDATE customers SET grade = ?, updated_at = ? WHERE id = ?",
                                 (after, to_db(session.now), customer["id"]))
        row = session.conn.execute(_SELECT + " WHERE r.id = ?", (cursor.lastrowid,)).fetchone()
        return _record(row)


def iter_reviews(session: Session, customer_ref: str | None = None,
                 month: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    from crmcli.services.customers import find as find_customer

    where: list[str] = []
    params: list[Any] = []
    if customer_ref:
        where.append("r.customer_id = ?")
        params.append(find_customer(session, customer_ref)["id"])
    if month:
        start, end = month_bounds(*month)
        where.append("r.at >= ? AND r.at < ?")
        params += [to_db(start), to_db(end)]
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.at, r.id"
    return [_record(row) for row in session.conn.execute(sql, params)]


def owed(session: Session, year: int, month: int, customer_id: int | None = None
         ) -> list[tuple[int, str, str]]:
    """Customers owed a review in the month and without one in it: (id, name, grade)."""
    policy = session.policies.current
    grades = [g for g in ("A", "B", "C") if credit.review_due_in(g, year, month, policy)]
    if not grades:
        return []
    start, end = month_bounds(year, month)
    marks = ", ".join("?" * len(grades))
    # One customer: its own row by id (an ``? IS NULL OR`` test would scan every customer).
    one = "" if customer_id is None else "AND c.id = ? "
    return [(cid, name, grade) for cid, name, grade in session.conn.execute(
        f"SELECT c.id, c.name, c.grade FROM customers c WHERE c.grade IN ({marks}) "
        "AND c.created_at < ? AND c.moved_out_at IS NULL AND NOT EXISTS (SELECT 1 "
        "FROM customer_reviews r WHERE r.customer_id = c.id AND r.at >= ? AND r.at < ?) "
        f"{one}ORDER BY c.id",
        (*grades, to_db(start), to_db(start), to_db(end),
         *(() if customer_id is None else (customer_id,))))]


def grades_report(session: Session, year: int, month: int) -> dict[str, Any]:
    """Seed 003's periodic report (定期報告) for a month: customers by grade, reviews due and
    done, grade changes, and the customers the seed's rules point to."""
    policy = session.policies.current
    start = month_bounds(year, month)[0]
    last = credit.month_end(year, month)
    today = local_today(session.now)
    by_grade = dict(session.conn.execute(
        "SELECT grade, count(*) FROM customers GROUP BY grade").fetchall())
    due_grades = [g for g in ("A", "B", "C") if credit.review_due_in(g, year, month, policy)]
    due = 0
    if due_grades:
        marks = ", ".join("?" * len(due_grades))
        due = session.conn.execute(
            f"SELECT count(*) FROM customers WHERE grade IN ({marks}) AND created_at < ? "
            "AND moved_out_at IS NULL",
            (*due_grades, to_db(start))).fetchone()[0]
    reviews = iter_reviews(session, None, (year, month))
    done = len({r["customer_id"] for r in reviews})
    changes = [r for r in reviews if r["changed"]]
    attention: list[dict[str, Any]] = []
    threshold = credit.threshold_minor(policy)
    arrears = _arrears(session, min(last + timedelta(days=1), today))
    currency = policy.currency
    for cid, name, grade in session.conn.execute(
            "SELECT id, name, grade FROM customers WHERE grade != 'A' ORDER BY id"):
        owed_now = arrears.get(cid, 0)
        if owed_now and credit.arrears_point_to_c(grade, owed_now, threshold):
            attention.append({
                "customer_id": cid, "customer": name, "grade": grade, "suggested": "C",
                "rule": f"arrears at or over {money.format_amount(threshold, currency)} "
                        f"{currency}, not grade A" + ("" if grade != "C" else "; stays C"),
                "arrears": money.as_major(owed_now, currency), "arrears_minor": owed_now,
                "first_year_ended": None})
    attention += _leaving_first_year(session, last)
    return {
        "month": f"{year:04d}-{month:02d}",
        "customers_a": by_grade.get("A", 0), "customers_b": by_grade.get("B", 0),
        "customers_c": by_grade.get("C", 0),
        "review_grades": "".join(due_grades), "reviews_due": due, "reviews_done": done,
        "grade_changes": len(changes), "attention_count": len(attention),
        "currency": currency,
        "arrears_c_threshold": money.as_major(threshold, currency),
        "changes": changes, "attention": attention,
    }


def _arrears(session: Session, day: date) -> dict[int, int]:
    from crmcli.services.billing import arrears_by_customer

    return arrears_by_customer(session.conn, day)


def _leaving_first_year(session: Session, last: date) -> list[dict[str, Any]]:
    """Grade-C customers whose first year ended by ``last`` with no review since."""
    rows = []
    cutoff = date(last.year - 1, last.month, last.day if not (last.month == 2 and last.day == 29)
                  else 28)
    for cid, name, since, created, reviewed in session.conn.execute(
            "SELECT c.id, c.name, c.since, c.created_at, (SELECT max(r.at) FROM customer_reviews r "
            "WHERE r.customer_id = c.id) FROM customers c WHERE c.grade = 'C' AND "
            "coalesce(c.since, substr(c.created_at, 1, 10)) <= ? ORDER BY c.id",
            (cutoff.isoformat(),)):
        start = date.fromisoformat(since) if since else _local_day(created)
        last_review = _local_day(reviewed) if reviewed else None
        if credit.may_leave_c("C", start, last_review, last):
            from crmcli.fields import first_year_end

            rows.append({
                "customer_id": cid, "customer": name, "grade": "C", "suggested": "A/B/C",
                "rule": "first year as a new customer has ended: may leave C",
                "arrears": None, "arrears_minor": None,
                "first_year_ended": first_year_end(start)})
    return rows
