"""Follow-ups and contacts (回訪 / 拜訪): log, schedule, cancel, list, and what is due.

Decisions where SPEC and issue 4 are silent (the rules themselves are in ``crmcli.cadence``):

* A logged visit answers a pending one when it names it (``--visit``), its complaint
  (``--complaint``) or its service (``--service``); otherwise it answers the customer's earliest
  pending visit of the same kind due within ``MATCH_DAYS`` days of it. Without ``--kind`` only a
  scheduled visit (routine, survey, care) is answered, never a complaint/repair/paid follow-up:
  those carry ratings the monthly follow-up rate counts, so they are answered only on purpose.
* Every logged visit is a real contact (care greetings too); services are not contacts.
* A complaint's follow-up belongs to the complaint: it cannot be cancelled here.
* Everyone owes what the seeds say: pending visits their assignee, contact cadence and the
  yearly visit the area manager (片區經理), complaint feedback the complaint's owner, the
  report to the department head and a major complaint's resolution the area manager.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import cadence
from crmcli.dates import from_db, local_midnight, local_today, month_bounds, to_db
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.policy import CADENCE_OVERRIDE, Policy
from crmcli.render import Column
from crmcli.services import Session
from crmcli.services.customers import find as find_customer

if TYPE_CHECKING:
    from crmcli.services.complaints import Deadline

METHODS = ("phone", "wechat", "in-person", "email", "letter")
VISIT_KINDS = ("complaint", "repair", "paid", "survey", "routine", "care", "residence",
               "inspection", "invitation")
FOLLOWUP_KINDS = ("complaint", "repair", "paid")
SCHEDULED_KINDS = ("survey", "routine", "care")
DEADLINE_KINDS = ("response", "report", "resolve")
PROPERTY_KINDS = ("renewal", "invoice", "refused-payment", "review")
DUE_KINDS = (*VISIT_KINDS, "cadence", "annual", *DEADLINE_KINDS, *PROPERTY_KINDS)
KIND_GROUPS = {"followup": FOLLOWUP_KINDS, "deadline": DEADLINE_KINDS,
               "handover": ("residence", "inspection", "invitation")}
SERVICE_VISIT_KIND = {"repair": "repair", "paid": "paid", "maintenance": "routine"}
MATCH_DAYS = 7
MAX_ROWS = 2**63 - 1  # SQLite's LIMIT is a 64-bit integer

VISIT_COLUMNS = [
    Column("id", justify="right"), Column("customer_id"), Column("customer"), Column("kind"),
    Column("method"), Column("due"), Column("done_at"), Column("status"), Column("overdue"),
    Column("on_time"), Column("complaint_id"), Column("service_id"), Column("satisfaction"),
    Column("quality"), Column("attitude"), Column("price_ok"), Column("shortcomings"),
    Column("suggestion"), Column("by"), Column("assigned_to"), Column("expected_method"),
    Column("note"), Column("cancelled_at"),
]
VISIT_TABLE_COLUMNS = [
    Column("id", justify="right"), Column("customer"), Column("kind"), Column("method"),
    Column("due"), Column("done_at", "done"), Column("state", "status"), Column("who"),
    Column("satisfaction", "sat.", justify="right"), Column("note"),
]
VISIT_COLUMNS_SHORT = [c for c in VISIT_TABLE_COLUMNS if c.key != "customer"]
DUE_COLUMNS = [
    Column("customer_id"), Column("customer"), Column("kind"), Column("due"),
    Column("overdue"), Column("complaint_id"), Column("reason"), Column("owner"),
    Column("method"), Column("visit_id"), Column("service_id"),
]
DUE_TABLE_COLUMNS = [
    Column("customer"), Column("kind"), Column("due"), Column("state", "status"),
    Column("owner"), Column("method"), Column("reason"),
]
DUE_COLUMNS_SHORT = [c for c in DUE_TABLE_COLUMNS if c.key != "customer"]


def _visit_select(index: str | None = None) -> str:
    """The SELECT of ``visit_record``'s columns, read through ``index`` if named."""
    source = f"visits v INDEXED BY {index}" if index else "visits v"
    return (
        "SELECT v.id, v.customer_id, c.name, v.kind, v.method, v.due_at, v.done_at, "
        "v.cancelled_at, v.complaint_id, v.service_id, v.satisfaction, v.quality, v.attitude, "
        "v.price_ok, v.shortcomings, v.suggestion, v.by, v.assigned_to, v.expected_method, "
        f"v.note FROM {source} JOIN customers c ON c.id = v.customer_id"
    )


_VISIT_SELECT = _visit_select()

_VISIT_KEYS = (
    "id", "customer_id", "customer", "kind", "method", "due", "done_at", "cancelled_at",
    "complaint_id", "service_id", "satisfaction", "quality", "attitude", "price_ok",
    "shortcomings", "suggestion", "by", "assigned_to", "expected_method", "note",
)


# --- one visit as rows carry it ---------------------------------------------------------------

def visit_record(row: Any, now: datetime) -> dict[str, Any]:
    """A visit as list rows and json carry it (SPEC §3 fields and more)."""
    visit = dict(zip(_VISIT_KEYS, row, strict=True))
    for key in ("due", "done_at", "cancelled_at"):
        if visit[key]:
            visit[key] = from_db(visit[key])
    if visit["price_ok"] is not None:
        visit["price_ok"] = bool(visit["price_ok"])
    due, done = visit["due"], visit["done_at"]
    status = "cancelled" if visit["cancelled_at"] else "done" if done else "pending"
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
    row = session.conn.execute(_VISIT_SELECT + " WHERE v.id = ?", (visit_id,)).fetchone()
    if row is None:
        raise NotFound(f"No visit #{visit_id}; `crmcli visit list` shows them.")
    return visit_record(row, session.now)


def for_customer(session: Session, customer_id: int) -> Iterator[dict[str, Any]]:
    """The customer's visits, done and pending (not cancelled), oldest first."""
    for row in session.conn.execute(
        _VISIT_SELECT + " WHERE v.customer_id = ? AND v.cancelled_at IS NULL "
        "ORDER BY coalesce(v.done_at, v.due_at), v.id", (customer_id,)
    ):
        yield visit_record(row, session.now)


# --- logging a visit --------------------------------------------------------------------------

@dataclass
class VisitInput:
    """What `visit log` was told; ``kind`` None means "routine, or the scheduled visit"."""

    method: str
    kind: str | None = None
    complaint_id: int | None = None
    service_id: int | None = None
    visit_id: int | None = None
    satisfaction: int | None = None
    quality: int | None = None
    attitude: int | None = None
    price_ok: bool | None = None
    shortcomings: str | None = None
    suggestion: str | None = None
    note: str | None = None
    at: datetime | None = None
    by: str | None = None


@dataclass
class Logged:
    visit: dict[str, Any]
    answered: dict[str, Any] | None  # the pending visit as it was before, if one was answered
    notes: list[str] = field(default_factory=list)


def check_method(method: str, option: str = "--method") -> str:
    if method not in METHODS:
        raise BadInput(f"{option}: {method!r} is not one of {', '.join(METHODS)}.")
    return method


def check_kind(kind: str, option: str = "--kind") -> str:
    if kind not in VISIT_KINDS:
        raise BadInput(f"{option}: {kind!r} is not one of {', '.join(VISIT_KINDS)}.")
    return kind


def _rating(value: int | None, option: str) -> int | None:
    if value is not None and not 1 <= value <= 5:
        raise BadInput(f"{option}: {value} is not a rating from 1 to 5.")
    return value


def _check(given: VisitInput) -> VisitInput:
    check_method(given.method)
    if given.kind is not None:
        check_kind(given.kind)
    named = [opt for opt, value in (("--visit", given.visit_id), ("--complaint",
             given.complaint_id), ("--service", given.service_id)) if value is not None]
    if len(named) > 1:
        raise BadInput(f"{' and '.join(named)}: name one pending visit, complaint or service.")
    from crmcli.handover import METHODS as HANDOVER_METHODS

    allowed = HANDOVER_METHODS.get(given.kind or "")
    if allowed and given.method not in allowed:
        raise BadInput(f"--method {given.method}: a {given.kind} visit is made "
                       f"{' or '.join(allowed)} (seed 002).")
    if given.complaint_id is not None and given.kind not in (None, "complaint"):
        raise BadInput(f"--kind {given.kind}: a visit about a complaint is of kind complaint.")
    return VisitInput(
        method=given.method, kind=given.kind, complaint_id=given.complaint_id,
        service_id=given.service_id, visit_id=given.visit_id,
        satisfaction=_rating(given.satisfaction, "--satisfaction"),
        quality=_rating(given.quality, "--quality"),
        attitude=_rating(given.attitude, "--attitude"), price_ok=given.price_ok,
        shortcomings=clean_text(given.shortcomings, "--shortcomings", multiline=True)
        if given.shortcomings else None,
        suggestion=clean_text(given.suggestion, "--suggestion", multiline=True)
        if given.suggestion else None,
        note=clean_text(given.note, "--note", multiline=True) if given.note else None,
        at=given.at, by=clean_text(given.by, "--by") if given.by else None,
    )


def _when(session: Session, at: datetime | None) -> datetime:
    moment = at or session.now
    if moment > session.now + timedelta(minutes=1):
        raise BadInput(f"--at {moment.astimezone():%Y-%m-%d %H:%M} is in the future.")
    return moment


def _pending(session: Session, where: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    row = session.conn.execute(
        _VISIT_SELECT + " WHERE v.done_at IS NULL AND v.cancelled_at IS NULL AND " + where
        + " ORDER BY v.due_at IS NULL, v.due_at, v.id LIMIT 1", params,
    ).fetchone()
    return visit_record(row, session.now) if row else None


def _owned(kind: str, number: int, owner_id: int, customer: dict[str, Any]) -> None:
    if owner_id != customer["id"]:
        raise BadInput(f"--{kind} {number}: {kind} #{number} is another customer's "
                       f"(#{owner_id}), not {customer['name']}'s (#{customer['id']}).")


def _service(session: Session, service_id: int) -> tuple[int, str, datetime]:
    row = session.conn.execute("SELECT customer_id, type, done_at FROM services WHERE id = ?",
                               (service_id,)).fetchone()
    if row is None:
        raise NotFound(f"No service #{service_id}; `crmcli service list` shows them.")
    return int(row[0]), str(row[1]), from_db(row[2])


def _answered(session: Session, customer: dict[str, Any], given: VisitInput, when: datetime
              ) -> tuple[dict[str, Any] | None, str]:
    """The pending visit this one answers (if any), and the kind of the logged visit."""
    target: dict[str, Any] | None
    if given.visit_id is not None:
        named = get_visit(session, given.visit_id)
        _owned("visit", given.visit_id, named["customer_id"], customer)
        if named["status"] != "pending":
            raise IllegalTransition(
                f"Visit #{given.visit_id} is {named['status']}; log a new visit without "
                "--visit.")
        if given.kind is not None and given.kind != named["kind"]:
            raise BadInput(f"--kind {given.kind}: visit #{given.visit_id} is a "
                           f"{named['kind']} visit.")
        return named, named["kind"]
    if given.complaint_id is not None:
        row = session.conn.execute("SELECT customer_id FROM complaints WHERE id = ?",
                                   (given.complaint_id,)).fetchone()
        if row is None:
            raise NotFound(f"No complaint #{given.complaint_id}; `crmcli complaint list` "
                           "shows them.")
        _owned("complaint", given.complaint_id, int(row[0]), customer)
        return _pending(session, "v.complaint_id = ? AND v.kind = 'complaint'",
                        (given.complaint_id,)), "complaint"
    if given.service_id is not None:
        owner_id, service_type, _ = _service(session, given.service_id)
        _owned("service", given.service_id, owner_id, customer)
        target = _pending(session, "v.service_id = ?", (given.service_id,))
        kind = target["kind"] if target else SERVICE_VISIT_KIND[service_type]
        if given.kind is not None and given.kind != kind:
            raise BadInput(f"--kind {given.kind}: the follow-up of service #{given.service_id} "
                           f"is of kind {kind}.")
        return target, kind
    latest = to_db(local_midnight(when.astimezone().date() + timedelta(days=MATCH_DAYS + 1)))
    kinds = (given.kind,) if given.kind else SCHEDULED_KINDS
    marks = ", ".join("?" * len(kinds))
    target = _pending(session, f"v.customer_id = ? AND v.kind IN ({marks}) AND v.due_at < ?"
                      + ("" if given.kind else " AND v.complaint_id IS NULL "
                         "AND v.service_id IS NULL"), (customer["id"], *kinds, latest))
    return target, target["kind"] if target else given.kind or "routine"


def log_visit(session: Session, customer_ref: str, given: VisitInput) -> Logged:
    """Record a done visit or call; answer the pending follow-up it fulfils (one transaction)."""
    from crmcli.services import complaints

    given = _check(given)
    when = _when(session, given.at)
    who = given.by or session.user
    notes: list[str] = []
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        target, kind = _answered(session, customer, given, when)
        ratings = (given.method, who, given.satisfaction, given.quality, given.attitude,
                   None if given.price_ok is None else int(given.price_ok),
                   given.shortcomings, given.suggestion)
        if target is not None:
            _check_answer_time(session, target, when)
            session.conn.execute(
                "UPDATE visits SET done_at = ?, method = ?, by = ?, satisfaction = ?, "
                "quality = ?, attitude = ?, price_ok = ?, shortcomings = ?, suggestion = ?, "
                "note = coalesce(?, note) WHERE id = ?",
                (to_db(when), *ratings, given.note, target["id"]),
            )
            visit_id = int(target["id"])
            if target["kind"] == "complaint" and target["complaint_id"] is not None:
                complaints.followed_up(session, target["complaint_id"], when, who, given.note)
            expected = target["expected_method"]
            if expected and given.method not in expected.split("/"):
                notes.append(f"Note: this follow-up was expected by {expected} (seed 004).")
        else:
            cursor = session.conn.execute(
                "INSERT INTO visits (customer_id, kind, done_at, method, by, satisfaction, "
                "quality, attitude, price_ok, shortcomings, suggestion, complaint_id, "
                "service_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                (customer["id"], kind, to_db(when), *ratings, given.complaint_id,
                 given.service_id, given.note, to_db(session.now)),
            )
            visit_id = int(cursor.lastrowid or 0)
            notes += _open_followups(session, customer)
        stamp = to_db(when)
        session.conn.execute(
            "UPDATE customers SET last_contact_at = max(coalesce(last_contact_at, ?1), ?1), "
            "last_in_person_at = CASE WHEN ?2 THEN max(coalesce(last_in_person_at, ?1), ?1) "
            "ELSE last_in_person_at END WHERE id = ?3",
            (stamp, given.method == "in-person", customer["id"]),
        )
        visit = get_visit(session, visit_id)
    return Logged(visit, target, notes)


def _check_answer_time(session: Session, target: dict[str, Any], when: datetime) -> None:
    """A follow-up cannot be done before what it follows up."""
    from crmcli.services import complaints

    started: datetime | None = None
    what = ""
    if target["kind"] == "complaint" and target["complaint_id"] is not None:
        timer = complaints.load(session, target["complaint_id"]).effective.current("followup")
        started = timer.started_at if timer is not None else None
        what = f"complaint #{target['complaint_id']} was closed"
    elif target["service_id"] is not None:
        started = _service(session, target["service_id"])[2]
        what = f"service #{target['service_id']} was done"
    if started is not None and when < started:
        raise BadInput(f"--at {when.astimezone():%Y-%m-%d %H:%M} is before {what} "
                       f"({started.astimezone():%Y-%m-%d %H:%M}).")


def _open_followups(session: Session, customer: dict[str, Any]) -> list[str]:
    """Pending follow-ups a visit did not answer, so the user can answer them on purpose."""
    rows = session.conn.execute(
        _VISIT_SELECT + " WHERE v.customer_id = ? AND v.done_at IS NULL AND v.cancelled_at IS "
        "NULL AND v.kind IN ('complaint', 'repair', 'paid') ORDER BY v.due_at, v.id LIMIT 3",
        (customer["id"],),
    ).fetchall()
    notes = []
    for row in rows:
        visit = visit_record(row, session.now)
        link = next((name for name in ("complaint", "service") if visit[f"{name}_id"]),
                    "visit")
        number = visit[f"{link}_id"] if link != "visit" else visit["id"]
        what, option = f"{link} #{number}", f"--{link} {number}"
        due = f", due {visit['due'].astimezone():%Y-%m-%d %H:%M}" if visit["due"] else ""
        notes.append(f"Note: the follow-up of {what} (visit #{visit['id']}{due}) is still "
                     f"pending; to record it, log the visit with {option}.")
    return notes


def describe_logged(logged: Logged) -> str:
    """The confirmation line of `visit log`."""
    visit, answered = logged.visit, logged.answered
    text = (f"Logged visit #{visit['id']} to {visit['customer']} ({visit['kind']}, "
            f"{visit['method']}).")
    if answered is None:
        return text
    what = (f"the follow-up of complaint #{answered['complaint_id']}"
            if answered["kind"] == "complaint" and answered["complaint_id"]
            else f"the follow-up of service #{answered['service_id']}"
            if answered["service_id"] else f"the scheduled {answered['kind']} visit")
    if answered["due"] is None:
        return f"{text} It fulfils {what}."
    due = f"{answered['due'].astimezone():%Y-%m-%d %H:%M}"
    late = visit["done_at"] - answered["due"]
    from crmcli.dates import humanize_delta

    timing = "on time" if late <= timedelta(0) else f"{humanize_delta(late)} late"
    return f"{text} It fulfils {what} (due {due}): done {timing}."


# --- scheduling and cancelling ----------------------------------------------------------------

_DAY_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_DAY_WORDS = {"today": 0, "tomorrow": 1, "yesterday": -1, "今天": 0, "明天": 1, "昨天": -1}


def parse_due(text: str, now: datetime, option: str = "--due") -> datetime:
    """A due time; a bare date (``2026-11-25``, ``tomorrow``) means by the end of that day."""
    from crmcli.dates import parse_when

    raw = text.strip()
    day: date | None = None
    if raw.lower() in _DAY_WORDS:
        day = local_today(now) + timedelta(days=_DAY_WORDS[raw.lower()])
    elif _DAY_ONLY.match(raw):
        try:
            day = date(*(int(part) for part in raw.split("-")))
        except ValueError:
            raise BadInput(f"{option}: {raw!r} is not a date.") from None
    try:
        due = (parse_when(raw, now, option) if day is None
               else cadence.deadline(day).replace(microsecond=0))
        if not 1900 <= due.astimezone().year <= 9998:
            raise ValueError
    except (OverflowError, ValueError, OSError):
        raise BadInput(f"{option}: {raw!r} is out of range.") from None
    return due


def schedule_visit(session: Session, customer_ref: str, due: datetime, *, kind: str,
                   note: str | None, assign: str | None, method: str | None) -> dict[str, Any]:
    check_kind(kind)
    if method is not None:
        check_method(method)
    text = clean_text(note, "--note", multiline=True) if note else None
    assignee = clean_text(assign, "--assign") if assign else None
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        cursor = session.conn.execute(
            "INSERT INTO visits (customer_id, kind, due_at, expected_method, assigned_to, note, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], kind, to_db(due), method, assignee or session.user, text,
             to_db(session.now)),
        )
        visit = get_visit(session, int(cursor.lastrowid or 0))
    return visit


def cancel_visit(session: Session, visit_id: int, reason: str | None) -> dict[str, Any]:
    why = clean_text(reason, "--reason", multiline=True) if reason else None
    with transaction(session.conn):
        visit = get_visit(session, visit_id)
        if visit["status"] != "pending":
            raise IllegalTransition(f"Visit #{visit_id} is {visit['status']}; only a pending "
                                    "visit can be cancelled.")
        if visit["kind"] == "complaint" and visit["complaint_id"] is not None:
            raise IllegalTransition(
                f"Visit #{visit_id} is the follow-up of complaint #{visit['complaint_id']}, "
                "which seed 004 requires (回訪率100%); log it with `crmcli visit log "
                f"{visit['customer_id']} --complaint {visit['complaint_id']} --method …`.")
        session.conn.execute(
            "UPDATE visits SET cancelled_at = ?, note = coalesce(note || '; ', '') || ? "
            "WHERE id = ?",
            (to_db(session.now), f"cancelled by {session.user}" + (f": {why}" if why else ""),
             visit_id),
        )
        return get_visit(session, visit_id)


# --- the register -----------------------------------------------------------------------------

@dataclass
class Filters:
    customer: str | None = None
    kinds: tuple[str, ...] = ()
    status: str | None = None  # pending | done | cancelled | overdue
    month: tuple[int, int] | None = None


def iter_visits(session: Session, filters: Filters, limit: int | None = None
                ) -> Iterator[dict[str, Any]]:
    """The follow-up register: visits in time order (done time, else due time)."""
    where: list[str] = []
    params: list[Any] = []
    if filters.customer:
        where.append("v.customer_id = ?")
        params.append(find_customer(session, filters.customer)["id"])
    if filters.kinds:
        where.append(f"v.kind IN ({', '.join('?' * len(filters.kinds))})")
        params += [check_kind(kind) for kind in filters.kinds]
    if filters.status == "cancelled":
        where.append("v.cancelled_at IS NOT NULL")
    else:
        where.append("v.cancelled_at IS NULL")
    if filters.status == "done":
        where.append("v.done_at IS NOT NULL")
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
    sql = (select + " WHERE " + " AND ".join(where)
           + " ORDER BY coalesce(v.done_at, v.due_at), v.id")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        visit = visit_record(row, session.now)
        if filters.status == "overdue" and not visit["overdue"]:
            continue  # due this very second: not yet overdue
        yield visit


# --- what is due ------------------------------------------------------------------------------

class DueItem(NamedTuple):
    """One thing due. A named tuple: ``visit due`` makes one per row, thousands at a site."""

    customer_id: int
    customer: str
    kind: str
    due: date | datetime  # a date for day obligations (cadence, yearly visit)
    reason: str
    owner: str | None = None
    method: str | None = None
    complaint_id: int | None = None
    visit_id: int | None = None
    service_id: int | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def in_order(items: list[DueItem]) -> list[DueItem]:
    """Sorted by the last moment still in time (``cadence.deadline``), then customer, kind,
    visit and complaint; each day's deadline worked out once rather than once an item, and
    compared as a span from the epoch (cheaper than zone-aware times)."""
    ends: dict[date, timedelta] = {}

    def key(item: DueItem) -> tuple[timedelta, int, str, int, int]:
        due = item.due
        if isinstance(due, datetime):
            moment = due - _EPOCH
        else:
            found = ends.get(due)
            moment = found if found is not None else ends.setdefault(
                due, cadence.deadline(due) - _EPOCH)
        return moment, item.customer_id, item.kind, item.visit_id or 0, item.complaint_id or 0

    return sorted(items, key=key)


def due_rows(items: list[DueItem], now: datetime) -> list[dict[str, Any]]:
    """The rows of `visit due` (``DUE_COLUMNS``, plus ``state`` in words for the table)."""
    today = now.astimezone().date()
    days: dict[date, tuple[bool, str]] = {}  # day obligations share a few hundred days
    rows = []
    for (customer_id, customer, kind, due, reason, owner, method, complaint_id, visit_id,
         service_id) in items:
        if type(due) is date:
            overdue, state = days.get(due) or days.setdefault(
                due, cadence.due_state(due, now, today))
        else:
            overdue, state = cadence.due_state(due, now, today)
        rows.append({
            "customer_id": customer_id, "customer": customer, "kind": kind, "due": due,
            "overdue": overdue, "state": state, "complaint_id": complaint_id,
            "reason": reason, "owner": owner, "method": method, "visit_id": visit_id,
            "service_id": service_id,
        })
    return rows


def expand_kinds(kinds: list[str]) -> set[str]:
    """``--kind`` values (repeatable; ``followup`` and ``deadline`` name groups)."""
    chosen: set[str] = set()
    for kind in kinds:
        if kind in KIND_GROUPS:
            chosen.update(KIND_GROUPS[kind])
        elif kind in DUE_KINDS:
            chosen.add(kind)
        else:
            raise BadInput(f"--kind: {kind!r} is not one of {', '.join(DUE_KINDS)}, followup "
                           "or deadline.")
    return chosen


def due_items(session: Session, last_day: date, kinds: set[str] | None = None,
              owner: str | None = None) -> list[DueItem]:
    """Everything overdue or due by the end of ``last_day`` (local), most overdue first."""
    wanted = kinds or set(DUE_KINDS)
    policy = session.policies.current
    horizon = cadence.deadline(last_day)
    items: list[DueItem] = []
    if wanted & set(VISIT_KINDS):
        # Without ANALYZE statistics SQLite prefers visits_due, which holds every visit ever
        # scheduled; the partial index of pending visits is the small one.
        items += [item for item in _pending_items(session, "v.due_at <= ?", (to_db(horizon),),
                                                  "INDEXED BY visits_pending")
                  if item.kind in wanted]
    if "cadence" in wanted:
        items += _cadence_items(session, policy, last_day)
    if "annual" in wanted:
        items += _annual_items(session, policy, last_day)
    if wanted & set(DEADLINE_KINDS):
        from crmcli.services import complaints

        items += [_deadline_item(session, deadline)
                  for deadline in complaints.running_deadlines(session, horizon)
                  if deadline.timer.name in wanted]
    if wanted & {*PROPERTY_KINDS, "residence", "inspection", "invitation"}:
        from crmcli.services.agenda.context import Context, property_sources

        ctx = Context(session, last_day)
        for source in property_sources():
            if wanted & set(source.KINDS):
                items += [item for item in source.items(ctx) if item.kind in wanted]
    if owner is not None:
        key = owner.strip().casefold()
        items = [item for item in items if (item.owner or "").casefold() == key]
    return in_order(items)


def _pending_items(session: Session, where: str, params: tuple[Any, ...],
                   index: str = "") -> list[DueItem]:
    rows = session.conn.execute(
        "SELECT v.id, v.customer_id, c.name, v.kind, v.due_at, v.assigned_to, "
        "v.expected_method, v.complaint_id, v.service_id, v.note, s.type, s.description "
        f"FROM visits v {index} JOIN customers c ON c.id = v.customer_id "
        "LEFT JOIN services s ON s.id = v.service_id "
        "WHERE v.done_at IS NULL AND v.cancelled_at IS NULL AND " + where, params,
    ).fetchall()
    items = []
    for (visit_id, customer_id, name, kind, due_at, assigned, method, complaint_id, service_id,
         note, service_type, description) in rows:
        if complaint_id is not None and kind == "complaint":
            reason = f"follow-up (回訪) of complaint #{complaint_id}"
        elif service_id is not None:
            reason = f"follow-up (回訪) of {service_type} #{service_id}: {description}"
        else:
            reason = f"scheduled {kind} visit" + (f": {note}" if note else "")
        items.append(DueItem(customer_id, name, kind, from_db(due_at), reason, assigned,
                             method, complaint_id, visit_id, service_id))
    return items


def _local_day(text: str | None) -> date | None:
    return from_db(text).astimezone().date() if text else None


def contactee(since: str | None, created_at: str | datetime, last_contact: str | None,
              last_in_person: str | None, tags: tuple[str, ...] = (),
              segment: str | None = None) -> cadence.Contactee:
    created = from_db(created_at) if isinstance(created_at, str) else created_at
    entered = created.astimezone().date()
    start = date.fromisoformat(since) if since else entered
    return cadence.Contactee(start, _local_day(last_contact), _local_day(last_in_person),
                             tags, segment, entered)


def _before(column: str, day: date) -> tuple[str, str]:
    """``column`` (a UTC time) falls on a local day before ``day``."""
    return f"c.{column} < ?", to_db(local_midnight(day))


def _reaching(last_day: date, *cadences: str) -> date:
    """The first day from which a contact is too recent for the next one (by the shortest of
    ``cadences``) to fall due by ``last_day``."""
    return max(cadence.latest_anchor(last_day, every) for every in cadences) + timedelta(days=1)


def _cadence_candidates(session: Session, policy: Policy, last_day: date) -> list[Any]:
    """Customers whose next contact may be due by ``last_day``: a conservative SQL prefilter.

    Exact dates come from ``cadence.ContactRules`` in Python; this only keeps the candidates
    few. A customer can be due only (1) by the established cadence, if its last contact is at
    least that long before the horizon; (2) by the new-customer cadence, if its relationship
    started recently enough to be new at its last contact; (3) by a tag/segment override it
    matches; or (4) never contacted, if it was entered at least the shortest cadence ago.
    """
    est_cut = _reaching(last_day, policy.cadence_established)
    recent = est_cut - timedelta(days=policy.new_customer_days)
    clauses = [_before("last_contact_at", est_cut),
               _before("last_contact_at", _reaching(last_day, policy.cadence_new))]
    where = [clauses[0][0],
             # start = since, else the UTC day of creation (a day early at most: conservative)
             f"({clauses[1][0]} AND coalesce(c.since, substr(c.created_at, 1, 10)) >= ?)"]
    params: list[Any] = [clauses[0][1], clauses[1][1], recent.isoformat()]
    overrides = [CADENCE_OVERRIDE.match(key) for key in policy.cadence_overrides]
    tags = [m[2] for m in overrides if m and m[1] == "tag"]
    segments = [m[2] for m in overrides if m and m[1] == "segment"]
    if overrides:
        import json

        sql, moment = _before("last_contact_at", _reaching(
            last_day, *policy.cadence_overrides.values()))
        # IN (a list the subquery makes once) rather than a correlated EXISTS for every row
        where.append(
            f"({sql} AND (c.segment IN (SELECT value FROM json_each(?)) OR c.id IN (SELECT "
            "t.customer_id FROM customer_tags t WHERE t.tag IN (SELECT value FROM "
            "json_each(?)))))")
        params += [moment, json.dumps(segments), json.dumps(tags)]
    sql, moment = _before("created_at", last_day - timedelta(
        days=cadence.shortest_cadence_days(policy) - 1))
    where.append(f"(c.last_contact_at IS NULL AND {sql})")
    params.append(moment)
    tag_column = ("(SELECT group_concat(tag, char(31)) FROM customer_tags t "
                  "WHERE t.customer_id = c.id)") if tags else "NULL"
    # (2) has no index to go by (since), so every plan reads every customer: one pass over the
    # table is the cheapest. (A UNION of one SELECT a case, with an index on each customer's
    # start, read 30 ms instead of 37 at 100 000 customers; the index cost customer import
    # ~60 ms more at that size.) Without ANALYZE statistics SQLite may rather pick a multi-index OR
    # that fetches most customers one by one through customers_last_contact, four times
    # slower at 100 000 customers.
    return session.conn.execute(
        "SELECT c.id, c.name, c.since, c.created_at, c.last_contact_at, c.segment, "
        f"{tag_column} FROM customers c NOT INDEXED WHERE " + " OR ".join(where), params,
    ).fetchall()


def _annual_candidates(session: Session, policy: Policy, last_day: date) -> list[Any]:
    """Customers whose yearly visit may be due by ``last_day`` (exact but for the
    never-visited, whose start may be later than their entry)."""
    cut = to_db(local_midnight(last_day - timedelta(days=policy.annual_visit_days - 1)))
    return session.conn.execute(
        "SELECT c.id, c.name, c.since, c.created_at, c.last_in_person_at "
        "FROM customers c WHERE c.last_in_person_at < ? OR (c.last_in_person_at IS NULL AND "
        "c.created_at < ?)", (cut, cut),
    ).fetchall()


def _cadence_reason(due: cadence.Due, what: str) -> str:
    if due.contacted:
        return f"{what}; last {due.counted_from.isoformat()}"
    return f"{what}; none on record since {due.counted_from.isoformat()}"


def _cadence_item(customer_id: int, name: str, due: cadence.Due, policy: Policy) -> DueItem:
    return DueItem(customer_id, name, "cadence", due.due,
                   _cadence_reason(due, f"contact every {due.every} ({due.rule})"),
                   policy.area_manager)


def _annual_item(customer_id: int, name: str, due: cadence.Due, policy: Policy) -> DueItem:
    return DueItem(customer_id, name, "annual", due.due,
                   _cadence_reason(due, "yearly in-person visit (年拜訪)"),
                   policy.area_manager, "in-person")


def _cadence_items(session: Session, policy: Policy, last_day: date) -> list[DueItem]:
    rules = cadence.ContactRules(policy)
    items = []
    for cid, name, since, created, last, segment, tags in _cadence_candidates(
            session, policy, last_day):
        entered: date | None = None  # matters only without a since or a contact (most have both)
        if since and last:
            start = date.fromisoformat(since)
        else:
            entered = from_db(created).astimezone().date()
            start = date.fromisoformat(since) if since else entered
        due = rules.next_contact(start, _local_day(last), entered,
                                 tags.split("\x1f") if tags else (), segment)
        if due.due <= last_day:
            items.append(_cadence_item(cid, name, due, policy))
    return items


def _annual_items(session: Session, policy: Policy, last_day: date) -> list[DueItem]:
    items = []
    for cid, name, since, created, last_visit in _annual_candidates(session, policy, last_day):
        due = cadence.next_in_person(contactee(since, created, None, last_visit), policy)
        if due.due <= last_day:
            items.append(_annual_item(cid, name, due, policy))
    return items


_DEADLINE_LABELS = {"response": "feedback to the customer", "resolve": "resolve"}


def _deadline_item(session: Session, deadline: Deadline) -> DueItem:
    timer = deadline.timer
    policy = session.policies.at(timer.started_at)
    if timer.name == "report":
        label, owner = f"report to {policy.department_head}", policy.area_manager
    elif timer.name == "resolve" and deadline.severity == "major":
        label, owner = "resolve (major)", policy.area_manager
    else:
        label, owner = _DEADLINE_LABELS[timer.name], deadline.handler
    summary = deadline.summary
    summary = summary if len(summary) <= 24 else summary[:23] + "…"
    return DueItem(deadline.customer_id, deadline.customer, timer.name, timer.due,
                   f"complaint #{deadline.complaint_id} ({deadline.severity}): {label} — "
                   f"{summary}", owner, complaint_id=deadline.complaint_id)


def skipped_rows(session: Session, last_day: date, kinds: set[str] | None = None
                 ) -> list[dict[str, Any]]:
    """Handover visits not arranged because of seed 002's skip rules (``--show-skipped``)."""
    from crmcli.services.agenda import handover
    from crmcli.services.agenda.context import Context

    wanted = kinds or set(DUE_KINDS)
    rows = due_rows(in_order([item for item in handover.skipped(Context(session, last_day))
                              if item.kind in wanted]), session.now)
    for row in rows:
        row["overdue"], row["state"] = False, "skipped"
    return rows


def due_for_customer(session: Session, customer: dict[str, Any]) -> list[dict[str, Any]]:
    """What the customer is owed next, whenever it is due (for `customer show`)."""
    from crmcli.services import complaints

    policy = session.policies.current
    cid, name = customer["id"], customer["name"]
    items = _pending_items(session, "v.customer_id = ? AND v.due_at IS NOT NULL", (cid,))
    last = customer.get("last_contact_at")
    last_visit = customer.get("last_in_person_at")
    who = contactee(customer.get("since"), customer["created_at"],
                    to_db(last) if last else None, to_db(last_visit) if last_visit else None,
                    tuple(customer.get("tags") or ()), customer.get("segment"))
    items += [_cadence_item(cid, name, cadence.next_contact(who, policy), policy),
              _annual_item(cid, name, cadence.next_in_person(who, policy), policy)]
    for (complaint_id,) in session.conn.execute(
            "SELECT id FROM complaints WHERE customer_id = ? AND status != 'closed'", (cid,)
    ).fetchall():
        items += [_deadline_item(session, deadline)
                  for deadline in complaints.deadlines_of(complaints.load(session, complaint_id))
                  if deadline.timer.name in DEADLINE_KINDS]
    return due_rows(in_order(items), session.now)


# --- care ---------------------------------------------------------------------------------------

CARE_COLUMNS = [
    Column("date"), Column("days", justify="right"), Column("kind"), Column("customer_id"),
    Column("customer"), Column("occasion"), Column("years"),
]
CARE_TABLE_COLUMNS = [
    Column("date"), Column("when"), Column("kind"), Column("customer"), Column("occasion"),
]


def care_rows(session: Session, last_day: date) -> list[dict[str, Any]]:
    """Birthdays, relationship anniversaries and public holidays from today to ``last_day``."""
    import json

    today = local_today(session.now)
    days = json.dumps(cadence.month_days(today, last_day))
    found: list[tuple[cadence.Occasion, int | None, str | None]] = []
    for cid, name, birthday in session.conn.execute(
            "SELECT id, name, birthday FROM customers WHERE birthday IS NOT NULL AND "
            "substr(birthday, -5) IN (SELECT value FROM json_each(?))", (days,)):
        found += [(o, cid, name) for o in cadence.birthdays(birthday, today, last_day)]
    for cid, name, since in session.conn.execute(
            "SELECT id, name, since FROM customers WHERE since IS NOT NULL AND "
            "substr(since, 6, 5) IN (SELECT value FROM json_each(?))", (days,)):
        found += [(o, cid, name) for o in cadence.anniversaries(date.fromisoformat(since),
                                                                 today, last_day)]
    region = session.policies.current.region
    found += [(o, None, None) for o in cadence.public_holidays(region, today, last_day)]
    order = {"holiday": 0, "birthday": 1, "anniversary": 2}
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
    else:
        what = f"{occasion.years} year{'s' if occasion.years != 1 else ''} as a customer"
    return {
        "date": occasion.day, "days": ahead,
        "when": "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"in {ahead}d",
        "kind": occasion.kind, "customer_id": customer_id, "customer": name,
        "occasion": what, "years": occasion.years,
    }
