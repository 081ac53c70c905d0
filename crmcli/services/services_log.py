"""The work log (seed 000 daily maintenance, seed 004 repairs): services done for a customer.

A repair or paid service schedules its follow-up visit (回訪) ``service_followup_hours`` after
completion, assigned to whoever took the order (接單人: seed 004 維修、有償服務的回訪由接單人負責),
never to the worker, since the follow-up checks the work; any method will do. Maintenance needs
no follow-up. A service done on site is a contact for the cadence. A service entered by mistake
is voided (who, when, why), never deleted; its pending follow-up is then no longer owed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crmcli import cadence, money
from crmcli.dates import from_db, month_bounds, short_local, to_db, to_minute
from crmcli.db import transaction
from crmcli.errors import BadInput, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session, contacts
from crmcli.services.customers import find as find_customer
from crmcli.services.visit_register import MAX_ROWS, get_visit

TYPES = ("repair", "maintenance", "paid")
NEEDS_FOLLOWUP = ("repair", "paid")

SERVICE_COLUMNS = [
    Column("id", justify="right"), Column("customer_id"), Column("customer"), Column("type"),
    Column("description"), Column("done_at"), Column("by"), Column("fee"),
    Column("followup_visit_id"), Column("followup_due"), Column("followup_done_at"),
    Column("followup_overdue"), Column("received_by"), Column("voided_at"),
    Column("voided_by"), Column("void_reason"), Column("fee_minor"), Column("currency"),
]
SERVICE_TABLE_COLUMNS = [
    Column("id", justify="right"), Column("customer"), Column("type", words=True),
    Column("description"),
    Column("done_at", "done"), Column("by"), Column("fee", justify="right"),
    Column("followup", "follow-up"),
]

_SELECT = (
    "SELECT s.id, s.customer_id, c.name, s.type, s.description, s.done_at, s.by, s.fee_minor, "
    "s.currency, v.id, v.due_at, v.done_at, s.received_by, s.voided_at, s.voided_by, "
    "s.void_reason "
    "FROM services s JOIN customers c ON c.id = s.customer_id "
    "LEFT JOIN visits v ON v.id = (SELECT max(f.id) FROM visits f WHERE f.service_id = s.id "
    "AND f.due_at IS NOT NULL AND f.cancelled_at IS NULL AND f.voided_at IS NULL)"
)


def check_type(kind: str) -> str:
    if kind not in TYPES:
        raise BadInput(_("--type: {kind!r} is not one of {values}.").format(
            kind=kind, values=', '.join(TYPES)))
    return kind


def _record(row: Any, now: datetime) -> dict[str, Any]:
    (service_id, customer_id, name, kind, description, done_at, by, fee, currency, visit_id,
     due_at, visited_at, received_by, voided_at, voided_by, void_reason) = row
    due = from_db(due_at) if due_at else None
    visited = from_db(visited_at) if visited_at else None
    overdue = due is not None and visited is None and cadence.is_overdue(due, now)
    if voided_at:
        words = "voided"
        overdue = False
    elif due is None:
        words = ""
    elif visited is not None:
        words = "done" if visited <= due else "done late"
    else:
        words = cadence.due_words(due, now)
    return {
        "id": service_id, "customer_id": customer_id, "customer": name, "type": kind,
        "description": description, "done_at": from_db(done_at), "by": by,
        "fee": None if fee is None else money.as_major(fee, currency), "fee_minor": fee,
        "currency": currency,
        "followup_visit_id": visit_id, "followup_due": due, "followup_done_at": visited,
        "followup_overdue": overdue, "followup": words,
        "received_by": received_by or by, "voided_at": from_db(voided_at) if voided_at else None,
        "voided_by": voided_by, "void_reason": void_reason,
    }


def get_service(session: Session, service_id: int) -> dict[str, Any]:
    row = session.conn.execute(_SELECT + " WHERE s.id = ?", (service_id,)).fetchone()
    if row is None:
        raise NotFound(_("No service #{service_id}; `crmcli service list` shows them.").format(
            service_id=service_id))
    return _record(row, session.now)


@dataclass
class Logged:
    service: dict[str, Any]
    followup: dict[str, Any] | None


def log_service(session: Session, customer_ref: str, description: str, *, kind: str,
                at: datetime | None, by: str | None, fee: str | None,
                received_by: str | None = None, request_id: int | None = None) -> Logged:
    """Record work done; a repair or paid service schedules its follow-up (one transaction).

    With ``request_id`` the work answers a request taken at the desk (訴求): the request is
    converted into this service, and whoever took it took the order unless told otherwise.
    """
    check_type(kind)
    text = clean_text(description, "description", multiline=True)
    if not text:
        raise BadInput(_("description: say what was done."))
    currency = session.policies.current.currency
    # exact, in minor units: ``80``, ``80.50``, ``¥1,200``; 0 for work done free of charge
    fee_minor = None if fee is None else money.to_minor(
        money.parse_major(fee, "--fee"), currency, "--fee")
    when = to_minute(at or session.now)
    if when > session.now + timedelta(minutes=1):
        raise BadInput(_("--at {short_local} is in the future.").format(
            short_local=short_local(when)))
    who = clean_text(by, "--by") if by else session.user
    taker = clean_text(received_by, "--received-by") if received_by else session.user
    if not taker:
        raise BadInput(_("--received-by: give the name of whoever took the order."))
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        if request_id is not None:
            from crmcli.services import requests

            request = requests.convertible(session, request_id, customer["id"], when)
            taker = taker if received_by else request["received_by"]
        cursor = session.conn.execute(
            "INSERT INTO services (customer_id, type, description, done_at, by, fee_minor, "
            "currency, created_at, "
            "received_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], kind, text, to_db(when), who, fee_minor,
             None if fee_minor is None else currency, to_db(session.now), taker),
        )
        service_id = int(cursor.lastrowid or 0)
        followup = None
        if kind in NEEDS_FOLLOWUP:
            hours = session.policies.at(when).service_followup_hours
            visit = session.conn.execute(
                "INSERT INTO visits (customer_id, kind, due_at, assigned_to, service_id, note, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (customer["id"], kind, to_db(to_minute(when + timedelta(hours=hours))), taker,
                 service_id, f"follow-up of {kind} #{service_id}", to_db(session.now)),
            )
            followup = get_visit(session, int(visit.lastrowid or 0))
        if request_id is not None:
            requests.mark_converted(session, request_id, "service", service_id, when,
                                    who or session.user)
        contacts.refresh(session, [customer["id"]])
        service = get_service(session, service_id)
    return Logged(service, followup)


@dataclass
class Filters:
    customer: str | None = None
    kind: str | None = None
    month: tuple[int, int] | None = None
    by: str | None = None


def iter_services(session: Session, filters: Filters, limit: int | None = None
                  ) -> Iterator[dict[str, Any]]:
    """The work log, oldest first."""
    where: list[str] = []
    params: list[Any] = []
    if filters.customer:
        where.append("s.customer_id = ?")
        params.append(find_customer(session, filters.customer)["id"])
    if filters.kind:
        where.append("s.type = ?")
        params.append(check_type(filters.kind))
    if filters.by:
        where.append("s.by = ?")
        params.append(filters.by)
    if filters.month:
        start, end = month_bounds(*filters.month)
        where.append("s.done_at >= ? AND s.done_at < ?")
        params += [to_db(start), to_db(end)]
    sql = (_SELECT + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY s.done_at DESC, s.id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        yield _record(row, session.now)
