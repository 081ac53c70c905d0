"""Visits as the register shows them: the kinds and methods, a visit's record and state, the
follow-up register (`visit list`), and the dates a customer's contacts are counted from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from crmcli import cadence
from crmcli.dates import from_db, local_day, month_bounds, to_db
from crmcli.errors import BadInput, NotFound
from crmcli.i18n import _
from crmcli.render import Column

if TYPE_CHECKING:
    from crmcli.services import Session

METHODS = ("phone", "wechat", "in-person", "email", "letter")
VISIT_KINDS = ("complaint", "repair", "paid", "survey", "routine", "care", "residence",
               "inspection", "invitation")
FOLLOWUP_KINDS = ("complaint", "repair", "paid")
SCHEDULED_KINDS = ("survey", "routine", "care")
SERVICE_VISIT_KIND = {"repair": "repair", "paid": "paid", "maintenance": "routine"}
MAX_ROWS = 2**63 - 1  # SQLite's LIMIT is a 64-bit integer

VISIT_COLUMNS = [
    Column("id", justify="right"), Column("customer_id"), Column("customer"), Column("kind"),
    Column("method"), Column("due"), Column("done_at"), Column("status"), Column("overdue"),
    Column("on_time"), Column("complaint_id"), Column("service_id"), Column("satisfaction"),
    Column("quality"), Column("attitude"), Column("price_ok"), Column("shortcomings"),
    Column("suggestion"), Column("by"), Column("assigned_to"), Column("expected_method"),
    Column("note"), Column("cancelled_at"), Column("unresolved"), Column("voided_at"),
    Column("voided_by"), Column("void_reason"),
]
VISIT_TABLE_COLUMNS = [
    Column("id", justify="right"), Column("customer"), Column("kind", words=True),
    Column("method", words=True), Column("due"), Column("done_at", "done"),
    Column("state", "status", words=True), Column("who"),
    Column("satisfaction", "sat.", justify="right"), Column("note"),
]
VISIT_COLUMNS_SHORT = [c for c in VISIT_TABLE_COLUMNS if c.key != "customer"]


def _visit_select(index: str | None = None) -> str:
    """The SELECT of ``visit_record``'s columns, read through ``index`` if named."""
    source = f"visits v INDEXED BY {index}" if index else "visits v"
    return (
        "SELECT v.id, v.customer_id, c.name, v.kind, v.method, v.due_at, v.done_at, "
        "v.cancelled_at, v.complaint_id, v.service_id, v.satisfaction, v.quality, v.attitude, "
        "v.price_ok, v.shortcomings, v.suggestion, v.by, v.assigned_to, v.expected_method, "
        "v.note, v.unresolved, v.voided_at, v.voided_by, v.void_reason "
        f"FROM {source} JOIN customers c ON c.id = v.customer_id"
    )


VISIT_SELECT = _visit_select()

_VISIT_KEYS = (
    "id", "customer_id", "customer", "kind", "method", "due", "done_at", "cancelled_at",
    "complaint_id", "service_id", "satisfaction", "quality", "attitude", "price_ok",
    "shortcomings", "suggestion", "by", "assigned_to", "expected_method", "note",
    "unresolved", "voided_at", "voided_by", "void_reason",
)


# --- one visit as rows carry it ---------------------------------------------------------------

def visit_record(row: Any, now: datetime) -> dict[str, Any]:
    """A visit as list rows and json carry it (SPEC §3 fields and more)."""
    visit = dict(zip(_VISIT_KEYS, row, strict=True))
    for key in ("due", "done_at", "cancelled_at", "voided_at"):
        if visit[key]:
            visit[key] = from_db(visit[key])
    if visit["price_ok"] is not None:
        visit["price_ok"] = bool(visit["price_ok"])
    visit["unresolved"] = bool(visit["unresolved"])
    due, done = visit["due"], visit["done_at"]
    status = ("voided" if visit["voided_at"] else "cancelled" if visit["cancelled_at"]
              else "done" if done else "pending")
    visit["status"] = status
    visit["overdue"] = status == "pending" and due is not None and cadence.is_overdue(due, now)
    visit["on_time"] = done <= due if done and due else None
    if status == "pending":
        visit["state"] = cadence.due_words(due, now) if due else "pending"
    else:
        visit["state"] = "done late" if visit["on_time"] is False else status
    visit["who"] = visit["by"] if done else visit["assigned_to"]
    return visit


def get_visit(session: Session, visit_id: int) -> dict[str, Any]:
    row = session.conn.execute(VISIT_SELECT + " WHERE v.id = ?", (visit_id,)).fetchone()
    if row is None:
        raise NotFound(_("No visit #{visit_id}; `crmcli visit list` shows them.").format(
            visit_id=visit_id))
    return visit_record(row, session.now)


def for_customer(session: Session, customer_id: int) -> Iterator[dict[str, Any]]:
    """The customer's visits, done and pending (not cancelled), oldest first."""
    for row in session.conn.execute(
        VISIT_SELECT + " WHERE v.customer_id = ? AND v.cancelled_at IS NULL "
        "ORDER BY coalesce(v.done_at, v.due_at), v.id", (customer_id,)
    ):
        yield visit_record(row, session.now)


def check_method(method: str, option: str = "--method") -> str:
    if method not in METHODS:
        raise BadInput(_("{option}: {method!r} is not one of {values}.").format(
            option=option, method=method, values=', '.join(METHODS)))
    return method


def check_kind(kind: str, option: str = "--kind") -> str:
    if kind not in VISIT_KINDS:
        raise BadInput(_("{option}: {kind!r} is not one of {values}.").format(
            option=option, kind=kind, values=', '.join(VISIT_KINDS)))
    return kind


# --- the register -----------------------------------------------------------------------------

@dataclass
class Filters:
    customer: str | None = None
    kinds: tuple[str, ...] = ()
    status: str | None = None  # pending | done | cancelled | overdue | voided
    month: tuple[int, int] | None = None


def iter_visits(session: Session, filters: Filters, limit: int | None = None
                ) -> Iterator[dict[str, Any]]:
    """The follow-up register: visits in time order (done time, else due time)."""
    where: list[str] = []
    params: list[Any] = []
    if filters.customer:
        where.append("v.customer_id = ?")
        from crmcli.services.customers import find as find_customer

        params.append(find_customer(session, filters.customer)["id"])
    if filters.kinds:
        where.append(f"v.kind IN ({', '.join('?' * len(filters.kinds))})")
        params += [check_kind(kind) for kind in filters.kinds]
    if filters.status == "cancelled":
        where.append("v.cancelled_at IS NOT NULL")
    else:
        where.append("v.cancelled_at IS NULL")
    if filters.status == "done":
        where.append("v.done_at IS NOT NULL AND v.voided_at IS NULL")
    elif filters.status == "voided":
        where.append("v.voided_at IS NOT NULL")
    elif filters.status in ("pending", "overdue"):
        where.append("v.done_at IS NULL")
    if filters.status == "overdue":
        where.append("v.due_at < ?")
        params.append(to_db(session.now))
    if filters.month:
        start, end = month_bounds(*filters.month)
        where.append("coalesce(v.done_at, v.due_at) >= ? AND coalesce(v.done_at, v.due_at) < ?")
        params += [to_db(start), to_db(end)]
    # Pending ones: the few pending visits, sorted, rather than the register's order walked
    # past every visit ever done (SQLite, without statistics, prefers the order).
    select = _visit_select("visits_pending" if filters.status in ("pending", "overdue")
                           else None)
    # The register newest first; pending work (a to-do list) soonest due first.
    order = "" if filters.status in ("pending", "overdue") else " DESC"
    sql = (select + " WHERE " + " AND ".join(where)
           + f" ORDER BY coalesce(v.done_at, v.due_at){order}, v.id{order}")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        visit = visit_record(row, session.now)
        if filters.status == "overdue" and not visit["overdue"]:
            continue  # due this very second: not yet overdue
        yield visit


# --- contact counting ---------------------------------------------------------------------

def _local_day(text: str | None) -> date | None:
    return local_day(from_db(text)) if text else None


def contactee(since: str | None, created_at: str | datetime, last_contact: str | None,
              last_in_person: str | None, tags: tuple[str, ...] = (),
              segment: str | None = None) -> cadence.Contactee:
    created = from_db(created_at) if isinstance(created_at, str) else created_at
    entered = local_day(created)
    start = date.fromisoformat(since) if since else entered
    return cadence.Contactee(start, _local_day(last_contact), _local_day(last_in_person),
                             tags, segment, entered)
