"""Requests and inquiries (訴求/需求, seed 000 and 001): received, replied to in time, closed.

Every request goes into one register, whoever takes it and through whichever channel. One not
answered at once is owed a reply within ``request_reply_hours`` (24 h) of its receipt, the
policy in force at receipt, stored as ``reply_due``; its first reply time never changes. A
reply at the due minute is on time, a minute later is late, and a reply still owed after the
due time is missed: kept missed in every later list and report, as a complaint's deadlines are.

Decisions where the seeds are silent:

* Closing a request that was never replied to counts as its reply, at the closing time.
* Converting a request into a complaint or a service order ends its reply deadline (the
  complaint's own feedback deadline takes over, counted from the request's receipt); a
  conversion is left out of the request reply rates. A reply already given stays.
* A suggestion raised at a tenant meeting (``--meeting``) is a request like any other: it is
  owed a reply and counts in the meeting's reply rate.
* A reply to a customer on file is a real contact: it resets the contact cadence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crmcli import cadence
from crmcli.dates import from_db, month_bounds, to_db, to_local
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_phone, clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session, entry
from crmcli.services.customers import find as find_customer

KINDS = ("inquiry", "repair", "service", "suggestion", "praise", "other")
CHANNELS = ("phone", "hotline", "wechat", "visit", "web", "meeting", "letter", "email")
CONVERT_TO = ("complaint", "service")
MAX_ROWS = 2**63 - 1

COLUMNS = [
    Column("id", justify="right"), Column("customer_id"), Column("customer"), Column("caller"),
    Column("caller_phone"), Column("kind"), Column("channel"), Column("text"),
    Column("meeting_id"), Column("received_at"), Column("received_by"), Column("reply_due"),
    Column("replied_at"), Column("replied_by"), Column("reply_note"), Column("reply_state"),
    Column("overdue"), Column("status"), Column("closed_at"), Column("converted_at"),
    Column("complaint_id"), Column("service_id"), Column("voided_at"), Column("void_reason"),
]
TABLE_COLUMNS = [  # fits 80 columns; `request show` and the data formats carry the rest
    Column("id", justify="right"), Column("who", "customer"), Column("kind", words=True),
    Column("text"),
    Column("reply_due", "reply by"), Column("reply", words=True), Column("status", words=True),
]
TABLE_COLUMNS_SHORT = [c for c in TABLE_COLUMNS if c.key != "who"]
EVENT_COLUMNS = [Column("at"), Column("action", words=True), Column("by"), Column("note")]

_SELECT = (
    "SELECT r.id, r.customer_id, c.name, r.caller, r.caller_phone, r.kind, r.channel, r.text, "
    "r.meeting_id, r.received_at, r.received_by, r.reply_due, r.replied_at, r.replied_by, "
    "r.reply_note, r.closed_at, r.converted_at, r.complaint_id, r.service_id, r.voided_at, "
    "r.void_reason FROM requests r LEFT JOIN customers c ON c.id = r.customer_id"
)
_KEYS = ("id", "customer_id", "customer", "caller", "caller_phone", "kind", "channel", "text",
         "meeting_id", "received_at", "received_by", "reply_due", "replied_at", "replied_by",
         "reply_note", "closed_at", "converted_at", "complaint_id", "service_id", "voided_at",
         "void_reason")
_TIMES = ("received_at", "reply_due", "replied_at", "closed_at", "converted_at", "voided_at")

# The reply deadline's state at a moment t, in SQL over the stored times (the reports read it
# so; :upto and :past as ``outcomes.Moment`` gives them): a reply at or before the due minute
# is met, after it late; none by t and due before t is missed.
REPLY_STATE_SQL = (
    "CASE WHEN r.replied_at IS NOT NULL AND r.replied_at < :upto THEN "
    "(CASE WHEN r.replied_at <= r.reply_due THEN 'met' ELSE 'late' END) "
    "WHEN r.converted_at IS NOT NULL AND r.converted_at < :upto THEN 'converted' "
    "WHEN r.reply_due < :past THEN 'missed' ELSE 'running' END"
)


def reply_state(replied: datetime | None, converted: datetime | None, due: datetime,
                now: datetime) -> str:
    """The reply deadline at ``now``: met, late, missed, converted or running (pure)."""
    if replied is not None and replied <= now:
        return "met" if replied <= due else "late"
    if converted is not None and converted <= now:
        return "converted"
    return "missed" if now > due else "running"


def reply_due(received: datetime, hours: float) -> datetime:
    """A request received at ``received`` is owed a reply by this moment (pure)."""
    return received + timedelta(hours=hours)


def _record(row: Any, now: datetime) -> dict[str, Any]:
    request = dict(zip(_KEYS, row, strict=True))
    for key in _TIMES:
        if request[key]:
            request[key] = from_db(request[key])
    state = reply_state(request["replied_at"], request["converted_at"], request["reply_due"],
                        now)
    if request["voided_at"]:
        status, state = "void", "void"
    elif request["converted_at"]:
        status = "converted"
    elif request["closed_at"]:
        status = "closed"
    elif request["replied_at"]:
        status = "replied"
    else:
        status = "open"
    request["reply_state"] = state
    request["status"] = status
    request["overdue"] = status == "open" and state == "missed"
    request["who"] = request["customer"] or _("{name} (caller)").format(name=request["caller"])
    if status == "open":
        request["reply"] = cadence.due_words(request["reply_due"], now)
    else:
        request["reply"] = {"met": "on time", "late": "LATE", "missed": "MISSED"}.get(state, "")
    return request


def get(session: Session, request_id: int) -> dict[str, Any]:
    row = session.conn.execute(_SELECT + " WHERE r.id = ?", (request_id,)).fetchone()
    if row is None:
        raise NotFound(_("No request #{request_id}; `crmcli request list` shows them.").format(
            request_id=request_id))
    return _record(row, session.now)


def events(session: Session, request_id: int) -> list[dict[str, Any]]:
    return [{"at": from_db(at), "action": action, "by": by, "note": note}
            for at, action, by, note in session.conn.execute(
                "SELECT at, action, by, note FROM request_events WHERE request_id = ? "
                "ORDER BY at, id", (request_id,))]


def _event(session: Session, request_id: int, at: datetime, action: str, by: str,
           note: str | None) -> None:
    session.conn.execute(
        "INSERT INTO request_events (request_id, at, action, by, note, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", (request_id, to_db(at), action, by, note,
                                      to_db(session.now)))


@dataclass
class NewRequest:
    text: str
    customer: str | None = None
    caller: str | None = None
    phone: str | None = None
    kind: str = "inquiry"
    channel: str | None = None
    meeting_id: int | None = None
    at: datetime | None = None
    by: str | None = None


def _check(new: NewRequest) -> NewRequest:
    if new.kind not in KINDS:
        raise BadInput(_("--kind: {kind!r} is not one of {choices}.").format(
            kind=new.kind, choices=', '.join(KINDS)))
    if new.channel is not None and new.channel not in CHANNELS:
        raise BadInput(_("--channel: {channel!r} is not one of {choices}.").format(
            channel=new.channel, choices=', '.join(CHANNELS)))
    if (new.customer is None) == (new.caller is None):
        raise BadInput(_("Name the customer, or a caller not on file with --caller "
                         "NAME --phone N."))
    if new.caller is not None and not clean_text(new.caller, "--caller"):
        raise BadInput(_("--caller: give the caller's name."))
    if new.phone is not None and new.caller is None:
        raise BadInput(_("--phone: only for a caller not on file (--caller)."))
    return new


def open_request(session: Session, new: NewRequest) -> dict[str, Any]:
    """Record a request and its reply deadline (one transaction)."""
    new = _check(new)
    body = entry.text(new.text, "text", required=_("say what was asked."))
    when = entry.moment(session, new.at)
    who = entry.actor(session, new.by)
    caller = clean_text(new.caller, "--caller") if new.caller else None
    phone = clean_phone(new.phone) if new.phone else None
    channel = new.channel or ("meeting" if new.meeting_id else None)
    with transaction(session.conn):
        customer_id = find_customer(session, new.customer)["id"] if new.customer else None
        if new.meeting_id is not None:
            held = session.conn.execute("SELECT held_at, voided_at FROM meetings WHERE id = ?",
                                        (new.meeting_id,)).fetchone()
            if held is None or held[1] is not None:
                raise NotFound(_("No meeting #{meeting_id}; `crmcli meeting list` "
                                 "shows them.").format(
                    meeting_id=new.meeting_id))
            if when < from_db(held[0]):
                raise BadInput(_("--at: before meeting #{meeting_id} was held.").format(
                    meeting_id=new.meeting_id))
        due = reply_due(when, session.policies.at(when).request_reply_hours)
        cursor = session.conn.execute(
            "INSERT INTO requests (customer_id, caller, caller_phone, kind, channel, text, "
            "meeting_id, received_at, received_by, reply_due, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (customer_id, caller, phone, new.kind, channel, body, new.meeting_id, to_db(when),
             who, to_db(due), to_db(session.now)))
        request_id = int(cursor.lastrowid or 0)
        _event(session, request_id, when, "opened", who, None)
        return get(session, request_id)


def _open_one(session: Session, request_id: int, doing: str) -> dict[str, Any]:
    request = get(session, request_id)
    if request["status"] in ("void", "converted", "closed"):
        raise IllegalTransition(_("Request #{request_id} is {status}; it cannot be "
                                  "{doing}.").format(
            request_id=request_id, status=_(request["status"]), doing=_(doing)))
    return request


def _floor(request: dict[str, Any], when: datetime) -> None:
    if when < request["received_at"]:
        raise BadInput(_("--at {when:%Y-%m-%d %H:%M} is before request #{id} was "
                         "received ({received_at:%Y-%m-%d %H:%M}).").format(
            when=to_local(when), id=request['id'], received_at=to_local(request['received_at'])))


def _contact(session: Session, customer_id: int | None) -> None:
    from crmcli.services import contacts

    if customer_id is not None:
        contacts.refresh(session, [customer_id])


def reply(session: Session, request_id: int, note: str | None, at: datetime | None,
          by: str | None) -> dict[str, Any]:
    """Record the reply; the first one decides the deadline."""
    text = entry.text(note, "--note", required=_("say what was replied."))
    when = entry.moment(session, at)
    who = entry.actor(session, by)
    with transaction(session.conn):
        request = _open_one(session, request_id, "replied to")
        _floor(request, when)
        _event(session, request_id, when, "replied", who, text)
        if request["replied_at"] is None:
            session.conn.execute(
                "UPDATE requests SET replied_at = ?, replied_by = ?, reply_note = ? "
                "WHERE id = ?", (to_db(when), who, text, request_id))
        _contact(session, request["customer_id"])
        return get(session, request_id)


def close(session: Session, request_id: int, note: str | None, at: datetime | None,
          by: str | None) -> dict[str, Any]:
    text = entry.text(note, "--note")
    when = entry.moment(session, at)
    who = entry.actor(session, by)
    with transaction(session.conn):
        request = _open_one(session, request_id, "closed")
        _floor(request, when)
        _event(session, request_id, when, "closed", who, text)
        session.conn.execute("UPDATE requests SET closed_at = ? WHERE id = ?",
                             (to_db(when), request_id))
        if request["replied_at"] is None:  # closing answers it
            session.conn.execute(
                "UPDATE requests SET replied_at = ?, replied_by = ?, reply_note = ? "
                "WHERE id = ?", (to_db(when), who, text, request_id))
            _contact(session, request["customer_id"])
        return get(session, request_id)


def convert(session: Session, request_id: int, to: str, *, category: str | None = None,
            severity: str = "minor", service_type: str = "repair", at: datetime | None = None,
            by: str | None = None) -> dict[str, Any]:
    """Turn a request into a complaint (its deadlines count from the request's receipt) or a
    service order done (``service log``), linked both ways, in one transaction."""
    from crmcli.services import complaints, services_log

    if to not in CONVERT_TO:
        raise BadInput(_("--to: {to!r} is not one of {choices}.").format(
            to=to, choices=', '.join(CONVERT_TO)))
    when = entry.moment(session, at)
    who = entry.actor(session, by)
    with transaction(session.conn):
        request = convertible(session, request_id, None, when)
        ref = str(request["customer_id"])
        if to == "complaint":
            opened = complaints.open_complaint(
                session, ref, request["text"], severity=severity, category=category,
                channel=_complaint_channel(request["channel"]), at=request["received_at"],
                by=request["received_by"], owner=None, note=f"from request #{request_id}")
            mark_converted(session, request_id, "complaint", opened.complaint.id, when, who)
        else:  # the order taker is whoever took the request (接單人)
            services_log.log_service(session, ref, request["text"], kind=service_type, at=when,
                                     by=who, fee=None, received_by=request["received_by"],
                                     request_id=request_id)
        return get(session, request_id)


def convertible(session: Session, request_id: int, customer_id: int | None, when: datetime
                ) -> dict[str, Any]:
    """The request, if it can still become a complaint or a service (of ``customer_id``)."""
    request = _open_one(session, request_id, "converted")
    if request["customer_id"] is None:
        raise IllegalTransition(
            _("Request #{request_id} is from a caller not on file; add {caller} as a "
              "customer first (crmcli customer add).").format(
                request_id=request_id, caller=request['caller']))
    if customer_id is not None and request["customer_id"] != customer_id:
        raise BadInput(_("--request {request_id}: request #{request_id} is "
                         "{customer}'s (#{customer_id}).").format(
            request_id=request_id, customer=request["customer"],
            customer_id=request["customer_id"]))
    _floor(request, when)
    return request


def mark_converted(session: Session, request_id: int, to: str, number: int, when: datetime,
                   who: str) -> None:
    """Link the request to what it became (inside the caller's transaction)."""
    column = "complaint_id" if to == "complaint" else "service_id"
    session.conn.execute(f"UPDATE requests SET converted_at = ?, {column} = ? WHERE id = ?",
                         (to_db(when), number, request_id))
    _event(session, request_id, when, "converted", who, f"{to} #{number}")


def _complaint_channel(channel: str | None) -> str | None:
    from crmcli.services.complaints import CHANNELS as COMPLAINT_CHANNELS

    return channel if channel in COMPLAINT_CHANNELS else None


def void(session: Session, request_id: int, reason: str | None) -> dict[str, Any]:
    with transaction(session.conn):
        entry.void(session, "requests", request_id, reason)
        _event(session, request_id, session.now, "voided", session.user,
               entry.text(reason, "--reason"))
        request = get(session, request_id)
        _contact(session, request["customer_id"])  # its reply no longer counts
        return request


@dataclass
class Filters:
    customer: str | None = None
    kind: str | None = None
    status: str | None = None  # open | overdue
    month: tuple[int, int] | None = None
    meeting_id: int | None = None


def iter_requests(session: Session, filters: Filters, limit: int | None = None
                  ) -> Iterator[dict[str, Any]]:
    """The request register (訴求記錄表), in order of receipt."""
    where: list[str] = []
    params: list[Any] = []
    if filters.customer:
        where.append("r.customer_id = ?")
        params.append(find_customer(session, filters.customer)["id"])
    if filters.kind:
        if filters.kind not in KINDS:
            raise BadInput(_("--kind: {kind!r} is not one of {choices}.").format(
                kind=filters.kind, choices=', '.join(KINDS)))
        where.append("r.kind = ?")
        params.append(filters.kind)
    if filters.status in ("open", "overdue"):
        where.append("r.replied_at IS NULL AND r.closed_at IS NULL AND r.converted_at IS NULL "
                     "AND r.voided_at IS NULL")
    if filters.status == "overdue":
        where.append("r.reply_due < ?")
        params.append(to_db(session.now))
    if filters.month:
        start, end = month_bounds(*filters.month)
        where.append("r.received_at >= ? AND r.received_at < ?")
        params += [to_db(start), to_db(end)]
    if filters.meeting_id is not None:
        where.append("r.meeting_id = ?")
        params.append(filters.meeting_id)
    select = _SELECT
    if filters.status in ("open", "overdue"):  # the few still owed, not the whole register
        select = select.replace("FROM requests r", "FROM requests r INDEXED BY "
                                "requests_unreplied")
    # A register reads newest first; those still owed a reply, soonest due first.
    order = (" ORDER BY r.reply_due, r.id" if filters.status in ("open", "overdue")
             else " ORDER BY r.received_at DESC, r.id DESC")
    sql = select + (" WHERE " + " AND ".join(where) if where else "") + order
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        yield _record(row, session.now)


def for_customer(session: Session, customer_id: int) -> list[dict[str, Any]]:
    return list(iter_requests(session, Filters(customer=str(customer_id))))


def month_figures(session: Session, start: str, end: str, upto: str, past: str,
                  parts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The month's request figures, as the history stood at ``upto`` (SQL on the register).

    Received: requests received in the month (voided ones left out). Replied on time: among
    those whose deadline was decided by ``upto`` (met, late or missed), the share met. Reply
    rate: among those received, the share replied to at all by ``upto`` (conversions are
    answered by what they became and left out of both rates).
    """
    from crmcli.services.reports import pct

    received, met, decided, replied, answerable = session.conn.execute(
        f"SELECT count(*), total(s = 'met'), total(s IN ('met', 'late', 'missed')), "
        f"total(s IN ('met', 'late')), total(s != 'converted') FROM (SELECT {REPLY_STATE_SQL} "
        "AS s "
        "FROM requests r WHERE r.received_at >= :start AND r.received_at < :end "
        "AND r.received_at < :upto AND (r.voided_at IS NULL OR r.voided_at >= :upto))",
        {"start": start, "end": end, "upto": upto, "past": past}).fetchone()
    if parts is not None:  # the counts behind the rates, for a company total (crmcli hq)
        parts.update(requests_met=int(met), requests_decided=int(decided),
                     requests_replied=int(replied), requests_answerable=int(answerable))
    return {
        "requests_received": received,
        "requests_replied_on_time_pct": pct(int(met), int(decided)),
        "request_reply_rate_pct": pct(int(replied), int(answerable)),
    }
