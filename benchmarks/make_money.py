"""Property and money for the large benchmark site (called by make_db.py, same connection).

Handover dates and their visits, yearly contracts with renewals, monthly (some quarterly)
invoices for the last ``months`` months with their payments, a few refused cheques, and the
credit reviews of those months. Rows are written directly, in the shapes the services write:
every payment names its invoice and never exceeds what it still owes, so its application is
itself (exactly what ``crmcli.money.allocate`` derives) and `crmcli check` finds the stored
figures consistent. Secondary indexes of these tables are dropped and rebuilt around the load.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from typing import Any

from crmcli import credit, handover
from crmcli.cadence import add_span
from crmcli.policy import Policy

TABLES = ("contracts", "invoices", "payments", "payment_applications", "customer_reviews")
HOUR = 3_600
DAY = 86_400


def _ts(day: date, hour: int, offset: int) -> int:
    return (day - date(1970, 1, 1)).days * DAY + hour * HOUR - offset


def write(conn: sqlite3.Connection, customers: list[Any], *, today: date, offset: int,
          months: int, seed: int, ts_text: Any) -> dict[str, int]:
    """Generate and insert; ``customers`` are make_db's (id = position + 1)."""
    rng = random.Random(seed + 15)
    policy = Policy()
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        f"tbl_name IN ({', '.join(repr(t) for t in TABLES)}) ORDER BY rowid").fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    handovers: list[tuple[str, int, int, int]] = []
    visits: list[tuple[Any, ...]] = []
    contracts: list[list[Any]] = []
    invoices: list[tuple[Any, ...]] = []
    payments: list[tuple[Any, ...]] = []
    applications: list[tuple[int, int, int]] = []
    reviews: list[tuple[Any, ...]] = []
    index = today.year * 12 + today.month - 1 - (months - 1)
    first_month = date(index // 12, index % 12 + 1, 1)
    for cid, customer in enumerate(customers, start=1):
        values = customer.values
        since = date.fromisoformat(values["since"])
        segment = values["segment"]
        if segment != "enterprise" and (today - since).days <= 800 and rng.random() < 0.6:
            renovating, occupied = "裝修中" in customer.tags, "不在住" not in customer.tags
            handovers.append((since.isoformat(), int(renovating), int(occupied), cid))
            if not renovating and occupied:
                for visit in handover.plan(since, policy):
                    if visit.invite_on < today - timedelta(days=1) and rng.random() < 0.97:
                        visits.append((cid, "invitation", _ts(visit.invite_on, 10, offset),
                                       "letter", "李客服"))
                    if visit.due < today - timedelta(days=2) and rng.random() < 0.96:
                        visits.append((cid, visit.kind, _ts(visit.due, 15, offset),
                                       "in-person", "張片區經理"))
        if segment in ("tenant", "enterprise"):
            monthly = (rng.randrange(3000_00, 20000_00, 50_00) if segment == "tenant"
                       else rng.randrange(8000_00, 60000_00, 100_00))
            billing = "quarterly" if rng.random() < 0.15 else "monthly"
            amount = monthly * (3 if billing == "quarterly" else 1)
            start, renews = since, None
            while True:
                end = add_span(start, "12mo") - timedelta(days=1)
                contract_id = len(contracts) + 1
                contracts.append([contract_id, cid, start.isoformat(), end.isoformat(), amount,
                                  billing, renews, None, ts_text(_ts(start, 9, offset)), "陳主任"])
                if renews is not None:
                    contracts[renews - 1][7] = contract_id
                if end >= first_month:
                    _bill(rng, contract_id, cid, start, end, amount, billing, first_month,
                          today, offset, invoices, payments, applications, ts_text)
                renew_on = end - timedelta(days=rng.randint(35, 80))
                if renew_on >= today:
                    break
                start, renews = end + timedelta(days=1), contract_id
        grade = values["grade"]
        year, month = first_month.year, first_month.month
        while (year, month) < (today.year, today.month):
            if since < date(year, month, 1) and credit.review_due_in(grade, year, month, policy) \
                    and rng.random() < 0.92:
                at = _ts(credit.month_end(year, month) - timedelta(days=rng.randint(0, 4)),
                         rng.randint(9, 17), offset)
                reviews.append((cid, ts_text(at), "陳主任", grade, grade, "信用狀況良好",
                                ts_text(at)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    conn.executemany("UPDATE customers SET handover = ?, renovating = ?, occupied = ? "
                     "WHERE id = ?", handovers)
    conn.executemany(
        "INSERT INTO visits (customer_id, kind, done_at, method, by, created_at) VALUES "
        "(?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', ?3, 'unixepoch'), ?, ?, "
        "strftime('%Y-%m-%dT%H:%M:%SZ', ?3, 'unixepoch'))", visits)
    conn.executemany("INSERT INTO contracts (id, customer_id, start_on, end_on, amount, "
                     "billing, renews, renewed_by, created_at, created_by) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", contracts)
    conn.executemany("INSERT INTO invoices (id, customer_id, contract_id, amount, currency, "
                     "due_on, issued_at, for_text, period, issued_by, created_at, paid, "
                     "settled_at) VALUES (?, ?, ?, ?, 'CNY', ?, ?, ?, ?, '李客服', ?7, ?, ?)",
                     invoices)
    conn.executemany("INSERT INTO payments (id, customer_id, invoice_id, amount, currency, "
                     "paid_at, method, by, created_at, refused_at, refused_by, "
                     "refused_reason, reported_at, reported_by, reported_to) VALUES "
                     "(?, ?, ?, ?, 'CNY', ?, ?, '李客服', ?5, ?, ?, ?, ?, ?, ?)", payments)
    conn.executemany("INSERT INTO payment_applications (payment_id, invoice_id, amount) "
                     "VALUES (?, ?, ?)", applications)
    conn.executemany("INSERT INTO customer_reviews (customer_id, at, by, grade_before, grade, "
                     "note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", reviews)
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    return {"handovers": len(handovers), "handover_visits": len(visits),
            "contracts": len(contracts), "invoices": len(invoices), "payments": len(payments),
            "reviews": len(reviews)}


def _bill(rng: random.Random, contract_id: int, cid: int, start: date, end: date, amount: int,
          billing: str, first_month: date, today: date, offset: int,
          invoices: list[tuple[Any, ...]], payments: list[tuple[Any, ...]],
          applications: list[tuple[int, int, int]], ts_text: Any) -> None:
    """The contract's invoices from ``first_month`` to this month, and their payments."""
    year, month = first_month.year, first_month.month
    while (year, month) <= (today.year, today.month):
        due = handover.bills_in(billing, start, end, year, month)
        if due is not None:
            invoice_id = len(invoices) + 1
            issued = ts_text(_ts(date(year, month, 1), 9, offset))
            roll = rng.random()
            paid_on = due + timedelta(days=rng.randint(-8, 3))
            paid, settled = 0, None
            if paid_on < today and roll >= 0.005:
                part = roll < 0.03
                first = amount // 2 if part else amount
                at = _ts(paid_on, 16, offset)
                refused = roll > 0.9995 and rng.random() < 0.5
                payment_id = len(payments) + 1
                refusal = ((ts_text(at + 3 * DAY), "李客服", "支票退票", ts_text(at + 3 * DAY
                            + 1200), "李客服", "張片區經理") if refused else (None,) * 6)
                payments.append((payment_id, cid, invoice_id, first, ts_text(at),
                                 "cheque" if refused else rng.choice(["transfer", "wechat"]),
                                 *refusal))
                if not refused:
                    applications.append((payment_id, invoice_id, first))
                    paid = first
                    rest_on = paid_on + timedelta(days=rng.randint(10, 30))
                    if part and rest_on < today and rng.random() < 0.8:
                        payment_id += 1
                        at = _ts(rest_on, 11, offset)
                        payments.append((payment_id, cid, invoice_id, amount - first,
                                         ts_text(at), "transfer", *(None,) * 6))
                        applications.append((payment_id, invoice_id, amount - first))
                        paid, part = amount, False
                    if not part:
                        settled = ts_text(max(at, _ts(date(year, month, 1), 9, offset)))
            invoices.append((invoice_id, cid, contract_id, amount, due.isoformat(), issued,
                             f"contract #{contract_id} {billing} {year:04d}-{month:02d}",
                             f"{year:04d}-{month:02d}", paid, settled))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
