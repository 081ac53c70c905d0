"""Complaints (投訴): open, respond, escalate, upgrade, close, reopen, note, list, show (the sweep:
services/sweep.py; running deadlines: services/agenda/deadlines.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crmcli import outcomes, rules
from crmcli.dates import from_db, short_local, to_db, to_minute
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import N_, _
from crmcli.render import Column
from crmcli.services import Session, contacts, followups
from crmcli.services.customers import find as find_customer

CHANNELS = ("phone", "email", "wechat", "visit", "hotline", "web", "letter")
SYSTEM = "system"
ROW = (
    "SELECT p.id, p.customer_id, c.name, p.summary, p.category, p.channel, p.severity_at_open, "
    "p.status, p.opened_at, p.received_by, p.owner, p.resolution, p.is_case, p.repeat_of, "
    "p.complainant, p.contact, p.department, p.validity, c.confidential "
    "FROM complaints p JOIN customers c ON c.id = p.customer_id"
)
LIST_COLUMNS = [
    Column("id", justify="right"), Column("customer_id", in_table=False), Column("customer"),
    Column("severity", words=True), Column("status", words=True), Column("category"),
    Column("summary"),
    Column("channel", in_table=False), Column("opened_at", "opened"),
    Column("responded_at", in_table=False), Column("escalated_at", in_table=False),
    Column("closed_at", "closed"), Column("response_due", in_table=False),
    Column("report_due", in_table=False), Column("resolve_due", "resolve by"),
    Column("followup_due", in_table=False), Column("overdue", in_table=False),
    Column("late", "overdue"),
    Column("breached", in_table=False), Column("owner", in_table=False),
    Column("received_by", in_table=False), Column("repeat_of", in_table=False),
    Column("case", in_table=False), Column("resolution", in_table=False),
    Column("complainant", in_table=False), Column("contact", in_table=False),
    Column("department", in_table=False), Column("plan_due", in_table=False),
    Column("validity", in_table=False),
]
LIST_COLUMNS_SHORT = [c for c in LIST_COLUMNS if c.in_table and c.key != "customer"]
EVENT_COLUMNS = [Column("id", "entry", justify="right"), Column("at"),
                 Column("action", words=True),
                 Column("by"), Column("note"), Column("level", in_table=False),
                 Column("reason", in_table=False), Column("to", in_table=False),
                 Column("automatic", in_table=False), Column("voided", in_table=False),
                 Column("field", in_table=False), Column("old", in_table=False),
                 Column("new", in_table=False)]
TIMER_COLUMNS = [Column("timer", words=True), Column("started_at", "started"), Column("due"),
                 Column("met_at", "met"), Column("state", words=True)]
_FIX = {
    "reported": "",
    "responded": N_("reopen it first (crmcli complaint reopen {id} --reason …)"),
    "escalated": N_("reopen it first to escalate it"),
    "upgraded": N_("reopen it first to change its severity"),
    "closed": N_("reopen it first to close it again"),
    "reopened": N_("close it first, or add a note"),
    "assigned": N_("reopen it first to hand it to another department"),
}


@dataclass
class Complaint:
    row: dict[str, Any]
    events: list[rules.Event]
    effective: rules.Effective
    as_of: datetime
    entry_at: datetime | None = None  # the time of the entry just recorded, as stored

    @property
    def id(self) -> int:
        return int(self.row["id"])


def _row_dict(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    keys = ("id", "customer_id", "customer", "summary", "category", "channel",
            "severity_at_open", "status", "opened_at", "received_by", "owner", "resolution",
            "is_case", "repeat_of", "complainant", "contact", "department", "validity",
            "confidential")
    values = dict(zip(keys, row, strict=True))
    values["opened_at"] = from_db(values["opened_at"])
    return values


def _events_for(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[rules.Event]]:
    found: dict[int, list[rules.Event]] = {i: [] for i in ids}
    found.update(outcomes.histories(conn, ids))
    return found


def load_many(session: Session, rows: list[Any], now: datetime) -> list[Complaint]:
    dicts = [_row_dict(row) for row in rows]
    events = _events_for(session.conn, [d["id"] for d in dicts])
    return [Complaint(d, events[d["id"]], rules.evaluate(events[d["id"]], session.policies, now),
                      now) for d in dicts]


def load(session: Session, complaint_id: int, now: datetime | None = None) -> Complaint:
    row = session.conn.execute(ROW + " WHERE p.id = ?", (complaint_id,)).fetchone()
    if row is None:
        raise NotFound(_("No complaint #{complaint_id}; `crmcli complaint list` shows "
                         "them.").format(
            complaint_id=complaint_id))
    return load_many(session, [row], now or session.now)[0]


def _when(session: Session, at: datetime | None, floor: datetime | None = None) -> datetime:
    moment = to_minute(at or session.now)
    if moment > session.now + timedelta(minutes=1):
        raise BadInput(_("--at {short_local} is in the future.").format(
            short_local=short_local(moment)))
    if floor is not None and moment < floor:
        raise BadInput(_("--at {short_local} is before the complaint was opened "
                         "({short_local2}).").format(
            short_local=short_local(moment), short_local2=short_local(floor)))
    return moment


def insert_event(session: Session, complaint_id: int, at: datetime, action: str, by: str,
                  note: str | None = None, **extra: Any) -> None:
    session.conn.execute(
        "INSERT INTO complaint_events (complaint_id, at, action, by, note, level, reason, "
        "escalated_to, field, old_value, new_value, automatic, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (complaint_id, to_db(at), action, by, note, extra.get("level"), extra.get("reason"),
         extra.get("to"), extra.get("field"), extra.get("old"), extra.get("new"),
         int(extra.get("automatic", False)), to_db(session.now)),
    )


def _record_automatic(session: Session, complaint: Complaint, until: datetime | None = None
                      ) -> list[rules.Automatic]:
    pending = [a for a in rules.pending_automatic(complaint.effective, complaint.events)
               if until is None or a.at <= until]
    for auto in pending:
        insert_event(session, complaint.id, auto.at, auto.action, SYSTEM, auto.note,
                      level=auto.level, reason=auto.note if auto.action == "escalated" else None,
                      to=session.policies.at(auto.at).department_head
                      if auto.action == "escalated" else None, automatic=True)
    return pending


def store_state(session: Session, complaint_id: int) -> Complaint:
    """Record pending automatic events and refresh the cached columns from the replay."""
    complaint = load(session, complaint_id)
    if _record_automatic(session, complaint):
        complaint = load(session, complaint_id)
    _note_withdrawn(session, complaint)
    outcomes.store(session.conn, complaint_id, complaint.events, session.policies)
    _store_sheet(session, complaint_id)
    eff = complaint.effective
    session.conn.execute(
        "UPDATE complaints SET severity = ?, status = ?, major_at = ?, responded_at = ?, "
        "escalated_at = ?, closed_at = ?, reopened_at = ?, attention_at = ? WHERE id = ?",
        (eff.severity, eff.status, *(to_db(t) if t else None for t in (
            eff.major_at, eff.responded_at, eff.escalated_at, eff.closed_at, eff.reopened_at)),
         attention(eff), complaint_id),
    )
    return complaint


def _latest(session: Session, complaint_id: int, action: str) -> str | None:
    row = session.conn.execute(
        "SELECT new_value FROM complaint_events e WHERE complaint_id = ? AND action = ? "
        f"AND {outcomes.not_voided('e')} ORDER BY at DESC, id DESC LIMIT 1",
        (complaint_id, action)).fetchone()
    return row[0] if row else None


def _store_sheet(session: Session, complaint_id: int) -> None:
    """The department and validity as the history (voids left out) last says them, and the
    earliest due time of its referral letters still open."""
    session.conn.execute("UPDATE complaints SET department = ?, validity = ? WHERE id = ?",
                         (_latest(session, complaint_id, "assigned"),
                          _latest(session, complaint_id, "validity"), complaint_id))
    outcomes.store_letters(session.conn, complaint_id)


def attention(effective: rules.Effective) -> str | None:
    """The earliest running complaint deadline (in the past while one is overdue): a closed
    complaint's report to the head may still be owed."""
    dues = [t.due for t in effective.running_timers()
            if t.name != "followup" and (effective.status != "closed" or t.name == "report")]
    return to_db(min(dues)) if dues else None


def _note_withdrawn(session: Session, complaint: Complaint) -> None:
    """Say once in the history when a late entry undoes a recorded automatic event.

    Nothing is deleted: the automatic event stays, and a note by ``system`` says it no longer
    holds (e.g. a close entered late shows the complaint was resolved before the deadline).
    """
    derived = {(auto.action, auto.at) for auto in complaint.effective.automatic}
    noted = {value for (value,) in session.conn.execute(
        "SELECT old_value FROM complaint_events WHERE complaint_id = ? AND action = 'noted' "
        "AND field = 'withdrawn'", (complaint.id,))}
    for event_id, action, at in session.conn.execute(
        "SELECT id, action, at FROM complaint_events WHERE complaint_id = ? AND automatic = 1 "
        "ORDER BY id", (complaint.id,)
    ).fetchall():
        moment = from_db(at)
        if (action, rules.minute(moment)) in derived or str(event_id) in noted:
            continue
        insert_event(session, complaint.id, session.now, "noted", SYSTEM,
                      f"the automatic {action} of {short_local(moment)} no longer "
                      "holds: an entry made later shows it did not happen",
                      field="withdrawn", old=str(event_id))


def find_repeat(session: Session, customer_id: int, category: str | None, when: datetime,
                exclude: int | None = None) -> int | None:
    """The customer's complaint in the same category (spelling folded) still unresolved at
    ``when``, if any: the new one repeats it."""
    unresolved = session.conn.execute(
        "SELECT id, category FROM complaints WHERE customer_id = ? AND opened_at <= ? "
        "AND (status != 'closed' OR closed_at > ?) AND id IS NOT ? ORDER BY id",
        (customer_id, to_db(when), to_db(when), exclude),
    ).fetchall()
    return next((cid for cid, cat in unresolved if rules.is_repeat(category, [cat])), None)


def remember_category(session: Session, category: str | None) -> None:
    """Keep the spelling a category was first entered in (reports show it)."""
    if category:
        from crmcli.textfold import fold

        session.conn.execute("INSERT OR IGNORE INTO complaint_categories VALUES (?, ?)",
                             (fold(category), category))


def category_spellings(session: Session, category: str) -> list[str]:
    """Every spelling on record of the category, folded as people mean it."""
    from crmcli.textfold import fold

    key = fold(category)
    return [found for (found,) in session.conn.execute(
        "SELECT DISTINCT category FROM complaints WHERE category IS NOT NULL")
        if fold(found) == key] or [category]


@dataclass
class Opened:
    complaint: Complaint
    repeat_of: int | None


def open_complaint(session: Session, customer_ref: str, summary: str, *, severity: str,
                   category: str | None, channel: str | None, at: datetime | None,
                   by: str | None, owner: str | None, note: str | None,
                   complainant: str | None = None, contact: str | None = None,
                   department: str | None = None) -> Opened:
    text = clean_text(summary, "summary", multiline=True)
    who_complains = clean_text(complainant, "--complainant") if complainant else None
    reach = clean_text(contact, "--contact") if contact else None
    dept = clean_text(department, "--department") if department else None
    if department is not None and not dept:
        raise BadInput(_("--department: name the department complained about."))
    if not text:
        raise BadInput(_("summary: say what the complaint is about."))
    if severity not in ("minor", "major", "auto"):
        raise BadInput(_("--severity: {severity!r} is not minor, major or auto.").format(
            severity=severity))
    if channel is not None and channel not in CHANNELS:
        raise BadInput(_("--channel: {channel!r} is not one of {values}.").format(
            channel=channel, values=', '.join(CHANNELS)))
    category = clean_text(category, "--category") if category else None
    when = _when(session, at)
    who = by or session.user
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        repeat_of = find_repeat(session, customer["id"], category, when)
        chosen = ("major" if repeat_of else "minor") if severity == "auto" else severity
        cursor = session.conn.execute(
            "INSERT INTO complaints (customer_id, summary, category, channel, severity_at_open, "
            "severity, status, opened_at, received_by, owner, repeat_of, created_at, "
            "complainant, contact) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], text, category, channel, chosen, chosen, to_db(when), who,
             owner or who, repeat_of, to_db(session.now),
             who_complains or customer["contact"] or customer["name"],
             reach or customer["phone"] or customer["email"]),
        )
        complaint_id = int(cursor.lastrowid or 0)
        remember_category(session, category)
        insert_event(session, complaint_id, when, "opened", who, note, field="severity",
                      new=chosen)
        if repeat_of:
            insert_event(session, complaint_id, when, "noted", SYSTEM,
                          f"repeat of unresolved complaint #{repeat_of} ({category})",
                          automatic=False)
        if dept:
            insert_event(session, complaint_id, when, "assigned", who,
                          f"department complained about: {dept}", field="department", new=dept)
        complaint = store_state(session, complaint_id)
        contacts.refresh(session, [customer["id"]])
    complaint.entry_at = when
    return Opened(complaint, repeat_of)


def act(session: Session, complaint_id: int, action: str, *, at: datetime | None,
        by: str | None, note: str | None = None, case: bool = False, **extra: Any
        ) -> Complaint:
    """Record one manual step of a complaint's life, if the complaint's state allows it;
    ``case`` also marks it for the case library, in the same transaction."""
    with transaction(session.conn):
        if case:
            act(session, complaint_id, action, at=at, by=by, note=note, **extra)
            return set_case(session, complaint_id, True, by)
        before = load(session, complaint_id)
        when = _when(session, at, before.row["opened_at"])
        state_then = rules.evaluate(before.events, session.policies, when)
        problem = rules.check_transition(state_then.status, action)
        if problem:
            fix = _(_FIX[action]).format(id=complaint_id)
            raise IllegalTransition(_("Complaint #{complaint_id} {problem}; {fix}.").format(
                complaint_id=complaint_id, problem=_(problem), fix=fix))
        if action == "upgraded" and state_then.severity == "major":
            raise IllegalTransition(_("Complaint #{complaint_id} is already major.").format(
                complaint_id=complaint_id))
        _refuse_repeated_step(complaint_id, action, when, before.events)
        # Only what happened before this event: a back-filled close may undo a later upgrade.
        _record_automatic(session, before, until=when)
        if (action in ("escalated", "reported") and not extra.get("to")
                and extra.get("level", 1) == 1):
            extra["to"] = session.policies.at(when).department_head  # whom it was reported to
        referred = extra.pop("referred_to", None)
        written = extra.pop("written_notice", False)
        insert_event(session, complaint_id, when, action, by or session.user, note, **extra)
        if written:  # the result told to the customer in writing, with the closing
            insert_event(session, complaint_id, when, "notified", by or session.user,
                          "result told to the customer in writing", field="notice",
                          new="written")
        if action == "closed":
            session.conn.execute("UPDATE complaints SET resolution = ? WHERE id = ?",
                                 (extra.get("new"), complaint_id))
        if action == "reopened" or referred:
            followups.clear(session, "complaint_id", complaint_id,
                            f"referred to {referred}" if referred else "complaint reopened")
        after = store_state(session, complaint_id)
        sync_followup(session, after)
        contacts.refresh(session, [after.row["customer_id"]])
    after.entry_at = when
    return after


def record_note(session: Session, complaint_id: int, at: datetime, by: str, note: str,
                **extra: Any) -> None:
    """A note on a complaint's history inside the caller's transaction."""
    insert_event(session, complaint_id, to_minute(at), "noted", by, note, **extra)
    store_state(session, complaint_id)


def _refuse_repeated_step(complaint_id: int, action: str, when: datetime,
                          events: list[rules.Event]) -> None:
    """A back-dated close (or reopen) must not land just before another close (or reopen):
    closing a complaint that was closed later, with no reopening between, is closing it twice."""
    if action not in ("closed", "reopened"):
        return
    later = [e for e in events if e.at > when and e.action in ("closed", "reopened")
             and not e.automatic]
    following = min(later, key=lambda e: e.at, default=None)
    if following is not None and following.action == action:
        text = (_("Complaint #{id} was already closed at {at}; reopen it first to close it "
                  "again.") if action == "closed" else
                _("Complaint #{id} was already reopened at {at}; close it first, or add a "
                  "note."))
        raise IllegalTransition(text.format(id=complaint_id, at=short_local(following.at)))


def set_case(session: Session, complaint_id: int, on: bool, by: str | None) -> Complaint:
    with transaction(session.conn):
        complaint = load(session, complaint_id)
        session.conn.execute("UPDATE complaints SET is_case = ? WHERE id = ?",
                             (int(on), complaint_id))
        insert_event(session, complaint_id, session.now, "case", by or session.user,
                      "marked for the case library (案例庫)" if on else "removed from the case "
                      "library", field="is_case", old=str(complaint.row["is_case"]),
                      new=str(int(on)))
    return load(session, complaint_id)


def sync_followup(session: Session, complaint: Complaint) -> None:
    """Keep the follow-up visit (回訪) in step with the complaint's follow-up timer."""
    timer = complaint.effective.current("followup")
    pending = session.conn.execute(
        "SELECT id, due_at FROM visits WHERE complaint_id = ? AND kind = 'complaint' "
        "AND done_at IS NULL AND cancelled_at IS NULL", (complaint.id,),
    ).fetchall()
    wanted = to_db(timer.due) if timer is not None and timer.running else None
    for visit_id, due_at in pending:
        if due_at != wanted:
            session.conn.execute("UPDATE visits SET cancelled_at = ? WHERE id = ?",
                                 (to_db(session.now), visit_id))
    if wanted and all(due_at != wanted for _, due_at in pending):
        policy = session.policies.at(timer.started_at) if timer else session.policies.current
        who, method = rules.followup_assignment(complaint.effective.severity,
                                                complaint.row["received_by"], policy)
        session.conn.execute(
            "INSERT INTO visits (customer_id, kind, due_at, expected_method, assigned_to, "
            "complaint_id, note, created_at) VALUES (?, 'complaint', ?, ?, ?, ?, ?, ?)",
            (complaint.row["customer_id"], wanted, method, who, complaint.id,
             f"follow-up of complaint #{complaint.id}", to_db(session.now)),
        )


def followed_up(session: Session, complaint_id: int, at: datetime, by: str,
                note: str | None) -> None:
    """A follow-up visit of a complaint was logged (inside the caller's transaction)."""
    insert_event(session, complaint_id, at, "followed_up", by, note)
    store_state(session, complaint_id)


@dataclass
class Filters:
    status: str | None = None
    severity: str | None = None
    customer: str | None = None
    category: str | None = None
    overdue: bool = False
    month: tuple[datetime, datetime] | None = None
    cases: bool = False
    repeats: bool = False


def iter_complaints(session: Session, filters: Filters, limit: int | None = None
                    ) -> Iterator[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filters.status == "closed":
        where.append("p.status = 'closed'")
    elif filters.status in ("open", "escalated"):
        where.append("p.status != 'closed'")
    if filters.customer:
        where.append("p.customer_id = ?")
        params.append(find_customer(session, filters.customer)["id"])
    if filters.category:
        spellings = category_spellings(session, filters.category)
        where.append(f"p.category IN ({', '.join('?' * len(spellings))})")
        params += spellings
    if filters.month:
        where.append("p.opened_at >= ? AND p.opened_at < ?")
        params += [to_db(filters.month[0]), to_db(filters.month[1])]
    if filters.cases:
        where.append("p.is_case = 1")
    if filters.repeats:
        where.append("p.repeat_of IS NOT NULL")
    sql = (ROW + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY p.opened_at DESC, p.id DESC")
    cursor = session.conn.execute(sql, params)
    shown = 0
    while True:
        # Each complaint is replayed: read no more than the page still needs (a filter that
        # leaves some out reads on, batch by batch).
        batch = cursor.fetchmany(500 if limit is None else min(500, limit - shown))
        if not batch:
            return
        for complaint in load_many(session, batch, session.now):
            row = summary(complaint)
            if filters.status and row["status"] != filters.status:
                continue
            if filters.severity and row["severity"] != filters.severity:
                continue
            if filters.overdue and not row["overdue"]:
                continue
            yield row
            shown += 1
            if limit is not None and shown >= limit:
                return


def for_customer(session: Session, customer_id: int) -> Iterator[dict[str, Any]]:
    rows = session.conn.execute(ROW + " WHERE p.customer_id = ? ORDER BY p.opened_at, p.id",
                                (customer_id,)).fetchall()
    for complaint in load_many(session, rows, session.now):
        yield summary(complaint)


def _due(timer: rules.Timer | None) -> datetime | None:
    return timer.due if timer is not None else None


def overdue_words(effective: rules.Effective, now: datetime) -> str:
    from crmcli.dates import humanize_delta

    late = [t for t in effective.timers if t.overdue]
    if not late:
        return ""
    worst = min(late, key=lambda t: t.due)
    return f"OVERDUE: {worst.name} {humanize_delta(now - worst.due)}"


def summary(complaint: Complaint) -> dict[str, Any]:
    """A complaint as list rows and json carry it (SPEC §3 fields, plus its timers' dues)."""
    row, eff = complaint.row, complaint.effective
    resolve = eff.current("resolve")
    return {
        "id": row["id"], "customer_id": row["customer_id"], "customer": row["customer"],
        "severity": eff.severity, "status": eff.status, "category": row["category"],
        "summary": row["summary"], "channel": row["channel"], "opened_at": eff.opened_at,
        "responded_at": eff.responded_at, "escalated_at": eff.escalated_at,
        "closed_at": eff.closed_at, "response_due": _due(eff.current("response")),
        "report_due": _due(eff.current("report")), "resolve_due": _due(resolve),
        "followup_due": _due(eff.current("followup")), "overdue": eff.overdue,
        "late": overdue_words(eff, complaint.as_of),
        "breached": sorted({t.name for t in eff.breached}), "owner": row["owner"],
        "received_by": row["received_by"], "repeat_of": row["repeat_of"],
        "case": bool(row["is_case"]), "resolution": row["resolution"],
        "complainant": row["complainant"],
        "contact": mask_contact(row["contact"]) if row["confidential"] else row["contact"],
        "department": row["department"], "plan_due": _due(eff.current("plan")),
        "validity": row["validity"] or "valid",
    }


def mask_contact(contact: str | None) -> str | None:
    """A confidential customer's complainant contact, masked as its own phone or email is."""
    from crmcli.fields import mask_email, mask_phone

    if not contact:
        return contact
    return mask_email(contact) if "@" in contact else mask_phone(contact)


def detail(session: Session, complaint_id: int) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
    """The record, its timers and its whole history."""
    complaint = load(session, complaint_id)
    record = summary(complaint)
    timers = [{"timer": t.name, "started_at": t.started_at, "due": t.due, "met_at": t.met_at,
               "state": t.state}
              for t in complaint.effective.timers]
    events = [
        {"id": event_id, "at": from_db(at), "action": action, "by": by,
         "note": f"[VOIDED] {note or ''}".rstrip() if voided else note, "level": level,
         "reason": reason, "to": to, "automatic": bool(automatic), "voided": bool(voided),
         "field": field_, "old": old, "new": new}
        for event_id, at, action, by, note, level, reason, to, automatic, voided, field_, old,
        new in session.conn.execute(
            "SELECT id, at, action, by, note, level, reason, escalated_to, automatic, "
            f"NOT {outcomes.not_voided('e')}, field, old_value, new_value "
            "FROM complaint_events e WHERE complaint_id = ? ORDER BY at, id", (complaint_id,))
    ]
    for auto in rules.pending_automatic(complaint.effective, complaint.events):
        events.append({"id": None, "at": auto.at, "action": auto.action, "by": SYSTEM,
                       "note": auto.note + " (not yet recorded by sweep)", "level": auto.level,
                       "reason": auto.note, "to": None, "automatic": True, "voided": False,
                       "field": None, "old": None, "new": None})
    events.sort(key=lambda e: e["at"])
    return record, timers, events
