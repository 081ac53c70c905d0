"""Invoices and payments (開發票並收款, seed 004), refused payments (拒付, seed 003).

Invoices and payments are written once; a refusal and its report to the department head are
recorded on the payment. Which payment pays which invoice is derived (``money.allocate``) and
rewritten for the customer in the same transaction as every money entry
(``payment_applications``, ``invoices.paid`` / ``settled_at``), so SQL readers and `visit due`
read it directly; `crmcli check` recomputes it and names any customer whose stored figures
do not follow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from crmcli import handover, money
from crmcli.dates import from_db, local_today, month_bounds, short_local, to_db, to_minute
from crmcli.db import transaction
from crmcli.errors import BadInput, Conflict, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session
from crmcli.services.customers import find as find_customer

PAYMENT_METHODS = ("transfer", "cash", "cheque", "card", "wechat", "alipay", "other")

INVOICE_COLUMNS = [
    Column("id"), Column("customer_id"), Column("customer"), Column("amount"), Column("paid"),
    Column("outstanding"), Column("currency"), Column("amount_minor"), Column("paid_minor"),
    Column("outstanding_minor"), Column("due_on"), Column("status"), Column("overdue"),
    Column("for"), Column("contract_id"), Column("period"), Column("issued_at"),
    Column("issued_by"), Column("settled_at"),
]
INVOICE_TABLE_COLUMNS = [
    Column("id", justify="right"), Column("customer"), Column("amount", justify="right"),
    Column("paid", justify="right"), Column("outstanding", justify="right"),
    Column("due_on", "due"), Column("state", "status", words="invoice"),
    Column("for"),
]
PAYMENT_COLUMNS = [
    Column("id", justify="right"), Column("customer_id", in_table=False), Column("customer"),
    Column("amount", justify="right"), Column("currency", in_table=False),
    Column("amount_minor", in_table=False), Column("paid_at", "received"),
    Column("method", words=True),
    Column("invoice_id", "invoice"), Column("applied", in_table=False),
    Column("status", words=True), Column("refused_at", in_table=False),
    Column("refused_reason", "reason"), Column("reported_at", in_table=False),
    Column("reported_to", in_table=False), Column("by", in_table=False), Column("note"),
]

_INVOICE_SELECT = (
    "SELECT i.id, i.customer_id, c.name, i.amount, i.paid, i.currency, i.due_on, i.issued_at, "
    "i.for_text, i.contract_id, i.period, i.issued_by, i.settled_at "
    "FROM invoices i JOIN customers c ON c.id = i.customer_id"
)
_PAYMENT_SELECT = (
    "SELECT p.id, p.customer_id, c.name, p.amount, p.currency, p.paid_at, p.method, "
    "p.invoice_id, (SELECT coalesce(sum(a.amount), 0) FROM payment_applications a "
    "WHERE a.payment_id = p.id), p.refused_at, p.refused_reason, p.reported_at, p.reported_to, "
    "p.by, p.note FROM payments p JOIN customers c ON c.id = p.customer_id"
)


def invoice_record(row: Any, today: date) -> dict[str, Any]:
    (iid, customer_id, name, amount, paid, currency, due_on, issued_at, for_text, contract_id,
     period, issued_by, settled_at) = row
    due = date.fromisoformat(due_on)
    left = amount - paid
    status = "paid" if not left else "part-paid" if paid else "unpaid"
    overdue = bool(left) and today > due
    return {
        "id": iid, "customer_id": customer_id, "customer": name,
        "amount": money.as_major(amount, currency), "paid": money.as_major(paid, currency),
        "outstanding": money.as_major(left, currency), "currency": currency,
        "amount_minor": amount, "paid_minor": paid, "outstanding_minor": left, "due_on": due,
        "status": status, "overdue": overdue,
        # shown in the invoice table only (csv/json carry status and overdue)
        "state": _("OVERDUE {days}d").format(days=(today - due).days) if overdue else status,
        "for": for_text, "contract_id": contract_id, "period": period,
        "issued_at": from_db(issued_at), "issued_by": issued_by,
        "settled_at": from_db(settled_at) if settled_at else None,
    }


def payment_record(row: Any) -> dict[str, Any]:
    (pid, customer_id, name, amount, currency, paid_at, method, invoice_id, applied, refused_at,
     reason, reported_at, reported_to, by, note) = row
    return {
        "id": pid, "customer_id": customer_id, "customer": name,
        "amount": money.as_major(amount, currency), "currency": currency,
        "amount_minor": amount, "paid_at": from_db(paid_at), "method": method,
        "invoice_id": invoice_id, "applied": money.as_major(applied, currency),
        "status": "refused" if refused_at else "received",
        "refused_at": from_db(refused_at) if refused_at else None, "refused_reason": reason,
        "reported_at": from_db(reported_at) if reported_at else None,
        "reported_to": reported_to, "by": by, "note": note,
    }


def get_invoice(session: Session, invoice_id: int) -> dict[str, Any]:
    row = session.conn.execute(_INVOICE_SELECT + " WHERE i.id = ?", (invoice_id,)).fetchone()
    if row is None:
        raise NotFound(_("No invoice #{invoice_id}; `crmcli invoice list` shows them.").format(
            invoice_id=invoice_id))
    return invoice_record(row, local_today(session.now))


def get_payment(session: Session, payment_id: int) -> dict[str, Any]:
    row = session.conn.execute(_PAYMENT_SELECT + " WHERE p.id = ?", (payment_id,)).fetchone()
    if row is None:
        raise NotFound(_("No payment #{payment_id}; `crmcli payment list` shows them.").format(
            payment_id=payment_id))
    return payment_record(row)


def _when(session: Session, at: datetime | None) -> datetime:
    moment = to_minute(at or session.now)
    if moment > session.now + timedelta(minutes=1):
        raise BadInput(_("--at {moment} is in the future.").format(
            moment=short_local(moment)))
    return moment


def _currency(session: Session) -> str:
    return session.policies.current.currency


# --- the derived figures ----------------------------------------------------------------------

def allocation(conn: sqlite3.Connection, customer_id: int) -> money.Allocation:
    """The customer's payments applied to its invoices, from the history."""
    invoices = [money.Invoice(i, amount, date.fromisoformat(due), from_db(issued))
                for i, amount, due, issued in conn.execute(
                    "SELECT id, amount, due_on, issued_at FROM invoices WHERE customer_id = ?",
                    (customer_id,))]
    payments = [money.Payment(p, amount, invoice, from_db(at), refused is not None)
                for p, amount, invoice, at, refused in conn.execute(
                    "SELECT id, amount, invoice_id, paid_at, refused_at FROM payments "
                    "WHERE customer_id = ?", (customer_id,))]
    return money.allocate(invoices, payments)


def reallocate(conn: sqlite3.Connection, customer_id: int) -> money.Allocation:
    """Rewrite the customer's stored applications (inside the caller's transaction)."""
    result = allocation(conn, customer_id)
    conn.execute("DELETE FROM payment_applications WHERE payment_id IN "
                 "(SELECT id FROM payments WHERE customer_id = ?)", (customer_id,))
    conn.executemany("INSERT INTO payment_applications (payment_id, invoice_id, amount) "
                     "VALUES (?, ?, ?)", result.applications)
    conn.executemany("UPDATE invoices SET paid = ?, settled_at = ? WHERE id = ?",
                     [(paid, to_db(result.settled_at[i]) if i in result.settled_at else None, i)
                      for i, paid in result.paid.items()])
    return result


def stale_customers(conn: sqlite3.Connection) -> list[int]:
    """Customers whose stored applications do not follow from their invoices and payments.

    One pass over each table in customer order (grouped here), not three queries a customer:
    a large site has tens of thousands of customers with invoices."""
    from itertools import groupby

    def by_customer(sql: str) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        rows = conn.execute(sql)
        for customer_id, group in groupby(rows, key=lambda row: row[0]):
            yield customer_id, [row[1:] for row in group]

    invoices = dict(by_customer(
        "SELECT customer_id, id, amount, due_on, issued_at, paid FROM invoices "
        "ORDER BY customer_id"))
    payments = dict(by_customer(
        "SELECT customer_id, id, amount, invoice_id, paid_at, refused_at FROM payments "
        "ORDER BY customer_id"))
    stored = dict(by_customer(
        "SELECT p.customer_id, a.payment_id, a.invoice_id, a.amount FROM payment_applications a "
        "JOIN payments p ON p.id = a.payment_id ORDER BY p.customer_id"))
    stale = []
    for customer_id in sorted(invoices.keys() | payments.keys()):
        bills = invoices.get(customer_id, [])
        expected = money.allocate(
            [money.Invoice(i, amount, date.fromisoformat(due), from_db(issued))
             for i, amount, due, issued, _ in bills],
            [money.Payment(p, amount, invoice, from_db(at), refused is not None)
             for p, amount, invoice, at, refused in payments.get(customer_id, [])])
        paid = {i: paid for i, _, _, _, paid in bills}
        if (sorted(stored.get(customer_id, [])) != sorted(expected.applications)
                or paid != expected.paid):
            stale.append(customer_id)
    return stale


def overpaid_invoices(conn: sqlite3.Connection) -> list[int]:
    """Invoices whose applied payments add up to more than the invoice (never possible when
    the figures follow from the history; the file may have been edited by hand)."""
    return [row[0] for row in conn.execute(
        "SELECT i.id FROM invoices i JOIN payment_applications a ON a.invoice_id = i.id "
        "GROUP BY i.id HAVING sum(a.amount) > i.amount")]


def currencies(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT currency FROM invoices UNION SELECT currency FROM payments ORDER BY 1")]


def summary(session: Session, customer_id: int) -> dict[str, Any]:
    """Balance (owed minus credit), credit and the oldest unpaid invoice, for `customer show`."""
    currency = _currency(session)
    owed = session.conn.execute(
        "SELECT coalesce(sum(amount - paid), 0) FROM invoices WHERE customer_id = ?",
        (customer_id,)).fetchone()[0]
    credit = allocation(session.conn, customer_id).credit if session.conn.execute(
        "SELECT 1 FROM payments WHERE customer_id = ?", (customer_id,)).fetchone() else 0
    oldest = session.conn.execute(
        "SELECT id, due_on, amount - paid FROM invoices WHERE customer_id = ? AND settled_at "
        "IS NULL ORDER BY due_on, id LIMIT 1", (customer_id,)).fetchone()
    return {
        "balance": money.as_major(owed - credit, currency),
        "credit": money.as_major(credit, currency) if credit else None,
        "oldest_unpaid": (f"#{oldest[0]} due {oldest[1]} ({money.as_major(oldest[2], currency)}"
                          f" outstanding)") if oldest else None,
        "currency": currency,
    }


# --- invoices ---------------------------------------------------------------------------------

def issue(session: Session, customer_ref: str, amount: str, due: date, *,
          contract_id: int | None, for_text: str | None, at: datetime | None
          ) -> dict[str, Any]:
    currency = _currency(session)
    minor = money.parse_amount(amount, currency)
    when = _when(session, at)
    text = clean_text(for_text, "--for") if for_text else None
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        if contract_id is not None:
            row = session.conn.execute("SELECT customer_id FROM contracts WHERE id = ?",
                                       (contract_id,)).fetchone()
            if row is None:
                raise NotFound(_("No contract #{contract_id}; `crmcli contract list` "
                                 "shows them.").format(
                    contract_id=contract_id))
            if row[0] != customer["id"]:
                raise BadInput(_("--contract {contract_id}: contract #{contract_id} "
                                 "is another customer's (#{owner}), not {name}'s.").format(
                    contract_id=contract_id, owner=row[0], name=customer["name"]))
        cursor = session.conn.execute(
            "INSERT INTO invoices (customer_id, contract_id, amount, currency, due_on, "
            "issued_at, for_text, issued_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], contract_id, minor, currency, due.isoformat(), to_db(when), text,
             session.user, to_db(session.now)))
        invoice_id = int(cursor.lastrowid or 0)
        reallocate(session.conn, customer["id"])
        return get_invoice(session, invoice_id)


def issue_from_contracts(session: Session, year: int, month: int) -> tuple[list[dict[str, Any]],
                                                                            int]:
    """Each running contract's invoice for the month, by its billing (idempotent: a contract's
    invoice for a month is issued once). Returns the new invoices and how many existed."""
    currency = _currency(session)
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    period = f"{year:04d}-{month:02d}"
    created: list[int] = []
    existing = 0
    with transaction(session.conn):
        rows = session.conn.execute(
            "SELECT k.id, k.customer_id, k.start_on, k.end_on, k.amount, k.billing, "
            "(SELECT 1 FROM invoices i WHERE i.contract_id = k.id AND i.period = ?) "
            "FROM contracts k WHERE k.amount IS NOT NULL AND k.amount > 0 AND k.start_on <= ? "
            "AND k.end_on >= ? AND (k.ended_on IS NULL OR k.ended_on >= ?) ORDER BY k.id",
            (period, last.isoformat(), first.isoformat(), first.isoformat())).fetchall()
        touched: set[int] = set()
        for contract_id, customer_id, start_on, end_on, amount, billing, issued in rows:
            due = handover.bills_in(billing, date.fromisoformat(start_on),
                                    date.fromisoformat(end_on), year, month)
            if due is None:
                continue
            if issued:
                existing += 1
                continue
            cursor = session.conn.execute(
                "INSERT INTO invoices (customer_id, contract_id, amount, currency, due_on, "
                "issued_at, for_text, period, issued_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (customer_id, contract_id, amount, currency, due.isoformat(),
                 to_db(session.now), f"contract #{contract_id} {billing} {period}", period,
                 session.user, to_db(session.now)))
            created.append(int(cursor.lastrowid or 0))
            touched.add(customer_id)
        for customer_id in touched:
            reallocate(session.conn, customer_id)
        return [get_invoice(session, i) for i in created], existing


def iter_invoices(session: Session, customer_ref: str | None = None, *, unpaid: bool = False,
                  overdue: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    today = local_today(session.now)
    if customer_ref:
        where.append("i.customer_id = ?")
        params.append(find_customer(session, customer_ref)["id"])
    if unpaid or overdue:
        where.append("i.settled_at IS NULL")
    if overdue:
        where.append("i.due_on < ?")
        params.append(today.isoformat())
    sql = (_INVOICE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY i.due_on, i.id")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [invoice_record(row, today) for row in session.conn.execute(sql, params)]


# --- payments ---------------------------------------------------------------------------------

def record_payment(session: Session, customer_ref: str, amount: str, *, invoice_id: int | None,
                   at: datetime | None, method: str | None, note: str | None, by: str | None
                   ) -> tuple[dict[str, Any], int]:
    """Record money received; returns the payment and the credit left after it."""
    currency = _currency(session)
    minor = money.parse_amount(amount, currency)
    when = _when(session, at)
    if method is not None and method not in PAYMENT_METHODS:
        raise BadInput(_("--method: {method!r} is not one of {choices}.").format(
            method=method, choices=', '.join(PAYMENT_METHODS)))
    text = clean_text(note, "--note", multiline=True) if note else None
    who = clean_text(by, "--by") if by else session.user
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        if invoice_id is not None:
            invoice = get_invoice(session, invoice_id)
            if invoice["customer_id"] != customer["id"]:
                raise BadInput(_("--invoice {invoice_id}: invoice #{invoice_id} is "
                                 "another customer's (#{customer_id}), not {name}'s.").format(
                    invoice_id=invoice_id, customer_id=invoice["customer_id"],
                    name=customer["name"]))
        cursor = session.conn.execute(
            "INSERT INTO payments (customer_id, invoice_id, amount, currency, paid_at, method, "
            "by, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], invoice_id, minor, currency, to_db(when), method, who, text,
             to_db(session.now)))
        payment_id = int(cursor.lastrowid or 0)
        result = reallocate(session.conn, customer["id"])
        return get_payment(session, payment_id), result.credit


def refuse(session: Session, payment_id: int, reason: str, at: datetime | None
           ) -> dict[str, Any]:
    """A refused payment or bounced cheque (拒付): it pays nothing from now on, and the
    department head is owed an emergency report at once (seed 003: 緊急報告…以最迅速的方法)."""
    why = clean_text(reason, "--reason", multiline=True) if reason else None
    if not why:
        raise BadInput(_("--reason: say why the payment was refused (e.g. 支票退票)."))
    when = _when(session, at)
    with transaction(session.conn):
        payment = get_payment(session, payment_id)
        if payment["refused_at"] is not None:
            raise IllegalTransition(_("Payment #{payment_id} was already refused on "
                                      "{refused_at}.").format(
                payment_id=payment_id, refused_at=short_local(payment['refused_at'])))
        if when < payment["paid_at"]:
            raise BadInput(_("--at is before payment #{payment_id} was received.").format(
                payment_id=payment_id))
        session.conn.execute(
            "UPDATE payments SET refused_at = ?, refused_by = ?, refused_reason = ? WHERE id = ?",
            (to_db(when), session.user, why, payment_id))
        reallocate(session.conn, payment["customer_id"])
        return get_payment(session, payment_id)


def report_refusal(session: Session, payment_id: int, at: datetime | None, to: str | None
                   ) -> dict[str, Any]:
    """Record that the refused payment was reported to the department head (meets the item)."""
    when = _when(session, at)
    head = clean_text(to, "--to") if to else session.policies.current.department_head
    with transaction(session.conn):
        payment = get_payment(session, payment_id)
        if payment["refused_at"] is None:
            raise IllegalTransition(_("Payment #{payment_id} was not refused; refuse "
                                      "it first with `crmcli payment refuse {payment_id} "
                                      "--reason …`.").format(
                payment_id=payment_id))
        if payment["reported_at"] is not None:
            raise Conflict(_("Payment #{payment_id}'s refusal was already reported to "
                             "{reported_to}.").format(
                payment_id=payment_id, reported_to=payment['reported_to']))
        if when < payment["refused_at"]:
            raise BadInput(_("--at is before payment #{payment_id} was refused.").format(
                payment_id=payment_id))
        session.conn.execute(
            "UPDATE payments SET reported_at = ?, reported_by = ?, reported_to = ? WHERE id = ?",
            (to_db(when), session.user, head, payment_id))
        return get_payment(session, payment_id)


def iter_payments(session: Session, customer_ref: str | None = None, *, refused: bool = False,
                  month: tuple[int, int] | None = None, limit: int | None = None
                  ) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if customer_ref:
        where.append("p.customer_id = ?")
        params.append(find_customer(session, customer_ref)["id"])
    if refused:
        where.append("p.refused_at IS NOT NULL")
    if month:
        start, end = month_bounds(*month)
        where.append("p.paid_at >= ? AND p.paid_at < ?")
        params += [to_db(start), to_db(end)]
    sql = (_PAYMENT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY p.paid_at, p.id")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [payment_record(row) for row in session.conn.execute(sql, params)]


def arrears_by_customer(conn: sqlite3.Connection, day: date) -> dict[int, int]:
    """What each customer still owes on invoices due before ``day`` (minor units)."""
    return dict(conn.execute(
        "SELECT customer_id, sum(amount - paid) FROM invoices WHERE settled_at IS NULL "
        "AND due_on < ? GROUP BY customer_id", (day.isoformat(),)).fetchall())
