"""Follow-ups and contacts (回訪 / 拜訪): log, schedule, cancel (the register and what a visit
shows: ``crmcli.services.visit_register``).

Decisions where SPEC and issue 4 are silent (the rules themselves are in ``crmcli.cadence``):

* A logged visit answers a pending one when it names it (``--visit``), its complaint
  (``--complaint``) or its service (``--service``); otherwise it answers the customer's earliest
  pending visit of the same kind due within ``MATCH_DAYS`` days of it. Without ``--kind`` only a
  scheduled visit (routine, survey, care) is answered, never a complaint/repair/paid follow-up:
  those carry ratings the monthly follow-up rate counts, so they are answered only on purpose.
* Every logged visit is a real contact (care greetings too), as are complaints opened or
  answered and services done (``crmcli.services.contacts``).
* Complaint, repair and paid-service follow-ups cannot be cancelled (回訪率100%). A major
  complaint's follow-up is met only in person (上門面談回訪): a call is logged as a contact
  about the complaint and the follow-up stays owed. A logged visit entered by mistake is
  voided (`visit void`), never deleted: a follow-up it answered is owed again.
* Everyone owes what the seeds say: pending visits their assignee, contact cadence and the
  yearly visit the area manager (片區經理), complaint feedback the complaint's owner, the
  report to the department head and a major complaint's resolution the area manager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmcli import cadence
from crmcli.dates import (
    from_db,
    local_day,
    local_midnight,
    local_today,
    short_local,
    to_db,
    to_minute,
)
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.services import Session
from crmcli.services.customers import find as find_customer
from crmcli.services.visit_register import (
    FOLLOWUP_KINDS,
    SCHEDULED_KINDS,
    SERVICE_VISIT_KIND,
    VISIT_SELECT,
    check_kind,
    check_method,
    get_visit,
    visit_record,
)

if TYPE_CHECKING:
    pass

MATCH_DAYS = 7


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
    unresolved: bool = False


@dataclass
class Logged:
    visit: dict[str, Any]
    answered: dict[str, Any] | None  # the pending visit as it was before, if one was answered
    notes: list[str] = field(default_factory=list)


def _rating(value: int | None, option: str) -> int | None:
    if value is not None and not 1 <= value <= 5:
        raise BadInput(_("{option}: {value} is not a rating from 1 to 5.").format(
            option=option, value=value))
    return value


def _check(given: VisitInput) -> VisitInput:
    check_method(given.method)
    if given.kind is not None:
        check_kind(given.kind)
    named = [opt for opt, value in (("--visit", given.visit_id), ("--complaint",
             given.complaint_id), ("--service", given.service_id)) if value is not None]
    if len(named) > 1:
        raise BadInput(_("{values}: name one pending visit, complaint or service.").format(
            values=' and '.join(named)))
    from crmcli.handover import METHODS as HANDOVER_METHODS

    allowed = HANDOVER_METHODS.get(given.kind or "")
    if allowed and given.method not in allowed:
        raise BadInput(_("--method {method}: {kind} visits are made {methods}.").format(
            method=given.method, kind=_(given.kind or ""),
            methods=_(" or ").join(_(method) for method in allowed)))
    if given.complaint_id is not None and given.kind not in (None, "complaint"):
        raise BadInput(_("--kind {kind}: a visit about a complaint is of kind "
                         "complaint.").format(
            kind=given.kind))
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
        unresolved=given.unresolved,
    )


def _when(session: Session, at: datetime | None) -> datetime:
    moment = to_minute(at or session.now)
    if moment > session.now + timedelta(minutes=1):
        raise BadInput(_("--at {short_local} is in the future.").format(
            short_local=short_local(moment)))
    return moment


def _pending(session: Session, where: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    row = session.conn.execute(
        VISIT_SELECT + " WHERE v.done_at IS NULL AND v.cancelled_at IS NULL AND " + where
        + " ORDER BY v.due_at IS NULL, v.due_at, v.id LIMIT 1", params,
    ).fetchone()
    return visit_record(row, session.now) if row else None


def _owned(kind: str, number: int, owner_id: int, customer: dict[str, Any]) -> None:
    if owner_id != customer["id"]:
        raise BadInput(_("--{kind} {number}: {kind} #{number} is another customer's "
                         "(#{owner_id}), not {name}'s (#{id}).").format(
            kind=kind, number=number, owner_id=owner_id, name=customer['name'], id=customer['id']))


def _service(session: Session, service_id: int) -> tuple[int, str, datetime]:
    row = session.conn.execute("SELECT customer_id, type, done_at FROM services WHERE id = ?",
                               (service_id,)).fetchone()
    if row is None:
        raise NotFound(_("No service #{service_id}; `crmcli service list` shows them.").format(
            service_id=service_id))
    return int(row[0]), str(row[1]), from_db(row[2])


def _answered(session: Session, customer: dict[str, Any], given: VisitInput, when: datetime
              ) -> tuple[dict[str, Any] | None, str]:
    """The pending visit this one answers (if any), and the kind of the logged visit."""
    target: dict[str, Any] | None
    if given.visit_id is not None:
        named = get_visit(session, given.visit_id)
        _owned("visit", given.visit_id, named["customer_id"], customer)
        if named["status"] != "pending":
            raise IllegalTransition(_("Visit #{visit_id} is {status}; log a new visit "
                                      "without --visit.").format(
                visit_id=given.visit_id, status=named['status']))
        if given.kind is not None and given.kind != named["kind"]:
            raise BadInput(_("--kind {kind}: visit #{visit_id} is a {kind2} visit.").format(
                kind=given.kind, visit_id=given.visit_id, kind2=named['kind']))
        return named, named["kind"]
    if given.complaint_id is not None:
        row = session.conn.execute("SELECT customer_id FROM complaints WHERE id = ?",
                                   (given.complaint_id,)).fetchone()
        if row is None:
            raise NotFound(_("No complaint #{complaint_id}; `crmcli complaint list` "
                             "shows them.").format(
                complaint_id=given.complaint_id))
        _owned("complaint", given.complaint_id, int(row[0]), customer)
        return _pending(session, "v.complaint_id = ? AND v.kind = 'complaint'",
                        (given.complaint_id,)), "complaint"
    if given.service_id is not None:
        owner_id, service_type, _done = _service(session, given.service_id)
        _owned("service", given.service_id, owner_id, customer)
        target = _pending(session, "v.service_id = ?", (given.service_id,))
        kind = target["kind"] if target else SERVICE_VISIT_KIND[service_type]
        if given.kind is not None and given.kind != kind:
            raise BadInput(_("--kind {kind}: the follow-up of service #{service_id} is "
                             "of kind {kind2}.").format(
                kind=given.kind, service_id=given.service_id, kind2=kind))
        return target, kind
    latest = to_db(local_midnight(local_day(when) + timedelta(days=MATCH_DAYS + 1)))
    kinds = (given.kind,) if given.kind else SCHEDULED_KINDS
    marks = ", ".join("?" * len(kinds))
    target = _pending(session, f"v.customer_id = ? AND v.kind IN ({marks}) AND v.due_at < ?"
                      + ("" if given.kind else " AND v.complaint_id IS NULL "
                         "AND v.service_id IS NULL"), (customer["id"], *kinds, latest))
    return target, target["kind"] if target else given.kind or "routine"


def log_visit(session: Session, customer_ref: str, given: VisitInput) -> Logged:
    """Record a done visit or call; answer the pending follow-up it fulfils (one transaction)."""
    from crmcli.services import complaints, contacts, followups

    given = _check(given)
    when = _when(session, given.at)
    who = given.by or session.user
    notes: list[str] = []
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        target, kind = _answered(session, customer, given, when)
        ratings = (given.method, who, given.satisfaction, given.quality, given.attitude,
                   None if given.price_ok is None else int(given.price_ok),
                   given.shortcomings, given.suggestion, int(given.unresolved))
        if target is not None and not followups.meets(session, target, given.method):
            notes.append(followups.still_owed(target))
            given = VisitInput(**{**given.__dict__, "complaint_id": target["complaint_id"]})
            target = None
        if target is not None:
            _check_answer_time(session, target, when)
            session.conn.execute(
                "UPDATE visits SET done_at = ?, method = ?, by = ?, satisfaction = ?, "
                "quality = ?, attitude = ?, price_ok = ?, shortcomings = ?, suggestion = ?, "
                "unresolved = ?, note = coalesce(?, note) WHERE id = ?",
                (to_db(when), *ratings, given.note, target["id"]),
            )
            visit_id = int(target["id"])
            if target["kind"] == "complaint" and target["complaint_id"] is not None:
                complaints.followed_up(session, target["complaint_id"], when, who, given.note)
            expected = target["expected_method"]
            if expected and given.method not in expected.split("/"):
                notes.append(_("Note: this follow-up was expected by {method}.").format(
                    method=expected))
        else:
            cursor = session.conn.execute(
                "INSERT INTO visits (customer_id, kind, done_at, method, by, satisfaction, "
                "quality, attitude, price_ok, shortcomings, suggestion, unresolved, "
                "complaint_id, service_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?, ?)",
                (customer["id"], kind, to_db(when), *ratings, given.complaint_id,
                 given.service_id, given.note, to_db(session.now)),
            )
            visit_id = int(cursor.lastrowid or 0)
            notes += _open_followups(session, customer)
        contacts.refresh(session, [customer["id"]])
        visit = get_visit(session, visit_id)
        notes += followups.after_logged(session, visit)
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
        raise BadInput(_("--at {short_local} is before {what} ({short_local2}).").format(
            short_local=short_local(when), what=what, short_local2=short_local(started)))


def _open_followups(session: Session, customer: dict[str, Any]) -> list[str]:
    """Pending follow-ups a visit did not answer, so the user can answer them on purpose."""
    rows = session.conn.execute(
        VISIT_SELECT + " WHERE v.customer_id = ? AND v.done_at IS NULL AND v.cancelled_at IS "
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
        due = f", due {short_local(visit['due'])}" if visit["due"] else ""
        notes.append(f"Note: the follow-up of {what} (visit #{visit['id']}{due}) is still "
                     f"pending; to record it, log the visit with {option}.")
    return notes


def describe_logged(logged: Logged) -> str:
    """The confirmation line of `visit log`."""
    from crmcli.confirm import timing
    from crmcli.dates import short_local
    from crmcli.i18n import join

    visit, answered = logged.visit, logged.answered
    text = _("Logged visit #{id} to {customer} ({kind}, {method}) at {at}.").format(
        id=visit["id"], customer=visit["customer"], kind=_(visit["kind"]),
        method=_(visit["method"]), at=short_local(visit["done_at"]))
    if answered is None:
        return text
    what = (_("the follow-up of complaint #{id}").format(id=answered["complaint_id"])
            if answered["kind"] == "complaint" and answered["complaint_id"]
            else _("the follow-up of service #{id}").format(id=answered["service_id"])
            if answered["service_id"] else _("the scheduled {kind} visit").format(
                kind=_(answered["kind"])))
    if answered["due"] is None:
        return join(text, _("It fulfils {what}.").format(what=what))
    return join(text, _("It fulfils {what} (due {due}): done {timing}.").format(
        what=what, due=short_local(answered["due"]),
        timing=timing(visit["done_at"], answered["due"])))


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
            raise BadInput(_("{option}: {raw!r} is not a date.").format(
                option=option, raw=raw)) from None
    try:
        due = (parse_when(raw, now, option) if day is None
               else cadence.deadline(day).replace(microsecond=0))
        if not 1900 <= local_day(due).year <= 9998:
            raise ValueError
    except (OverflowError, ValueError, OSError):
        raise BadInput(_("{option}: {raw!r} is out of range.").format(
            option=option, raw=raw)) from None
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
            raise IllegalTransition(_("Visit #{visit_id} is {status}; only a pending "
                                      "visit can be cancelled.").format(
                visit_id=visit_id, status=visit['status']))
        if visit["kind"] == "complaint" and visit["complaint_id"] is not None:
            raise IllegalTransition(_("Visit #{visit_id} is the follow-up of complaint "
                                      "#{complaint_id}, which every complaint must have "
                                      "(回訪率100%); log it with `crmcli visit log "
                                      "{customer_id} --complaint {complaint_id} "
                                      "--method …`.").format(
                visit_id=visit_id, complaint_id=visit['complaint_id'],
                customer_id=visit['customer_id']))
        if visit["service_id"] is not None and visit["kind"] in FOLLOWUP_KINDS:
            raise IllegalTransition(_("Visit #{visit_id} is the follow-up of {kind} "
                                      "#{service_id}, which every service must have "
                                      "(回訪率100%); log it with `crmcli visit log "
                                      "{customer_id} --service {service_id} --method "
                                      "…`, or void the service if it was entered by "
                                      "mistake (crmcli service void {service_id} "
                                      "--reason …).").format(
                visit_id=visit_id, kind=visit['kind'], service_id=visit['service_id'],
                customer_id=visit['customer_id']))
        session.conn.execute(
            "UPDATE visits SET cancelled_at = ?, note = coalesce(note || '; ', '') || ? "
            "WHERE id = ?",
            (to_db(session.now), f"cancelled by {session.user}" + (f": {why}" if why else ""),
             visit_id),
        )
        return get_visit(session, visit_id)
