"""Corrections without losing history: voids and edits, each with who, when and why.

Nothing is deleted or overwritten. A voided complaint entry stays in the history beside the
``voided`` entry that names it; a voided visit or service keeps its row, marked voided. Every
figure and deadline is worked out again as if the voided entry had not been made: the
complaint's replay leaves it out, the follow-up it answered is owed again, the customer's last
contact moves back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmcli import rules
from crmcli.dates import from_db, to_db
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.services import Session, complaints, contacts


def _reason(reason: str | None) -> str:
    why = clean_text(reason, "--reason", multiline=True) if reason else ""
    if not why:
        raise BadInput(_("--reason: say why the entry is voided (it stays in the "
                         "history)."))
    return why


# --- complaint entries ----------------------------------------------------------------------

def void_event(session: Session, complaint_id: int, event_id: int, reason: str | None
               ) -> complaints.Complaint:
    """`complaint void-event`: the entry stops counting; deadlines and figures follow."""
    why = _reason(reason)
    with transaction(session.conn):
        complaint = complaints.load(session, complaint_id)
        row = session.conn.execute(
            "SELECT action, automatic, at FROM complaint_events WHERE id = ? AND complaint_id = ?",
            (event_id, complaint_id)).fetchone()
        if row is None:
            raise NotFound(_("Complaint #{complaint_id} has no entry #{event_id}; "
                             "`crmcli complaint show {complaint_id}` lists its entries.").format(
                complaint_id=complaint_id, event_id=event_id))
        action, automatic, at = row
        if session.conn.execute(
                "SELECT 1 FROM complaint_events WHERE complaint_id = ? AND action = 'voided' "
                "AND old_value = ?", (complaint_id, str(event_id))).fetchone():
            raise IllegalTransition(_("Entry #{event_id} of complaint #{complaint_id} "
                                      "is already voided.").format(
                event_id=event_id, complaint_id=complaint_id))
        if automatic:
            raise IllegalTransition(_("Entry #{event_id} was made by the rules; void "
                                      "the entry that led to it, or record what really "
                                      "happened.").format(
                event_id=event_id))
        if action == "opened":
            raise IllegalTransition(_("Entry #{event_id} opens complaint "
                                      "#{complaint_id}; correct it with `crmcli "
                                      "complaint edit`.").format(
                event_id=event_id, complaint_id=complaint_id))
        if action == "followed_up":
            raise IllegalTransition(_("Entry #{event_id} is the follow-up visit; void "
                                      "the visit (`crmcli visit void VISIT --reason "
                                      "…`).").format(
                event_id=event_id))
        if action not in rules.VOIDABLE:
            raise IllegalTransition(_("Entry #{event_id} ({action}) cannot be voided.").format(
                event_id=event_id, action=action))
        remaining = [e for (eid, e) in _history(session, complaint_id) if eid != event_id]
        _check_still_consistent(complaint_id, remaining, session)
        complaints.insert_event(session, complaint_id, session.now, "voided", session.user,
                                f"voided entry #{event_id} ({action} at "
                                f"{from_db(at):%Y-%m-%dT%H:%MZ}): {why}", reason=why,
                                field="event", old=str(event_id))
        if action == "closed":
            _restore_resolution(session, complaint_id)
        after = complaints.store_state(session, complaint_id)
        complaints.sync_followup(session, after)
        contacts.refresh(session, [complaint.row["customer_id"]])
    return after


def _history(session: Session, complaint_id: int) -> list[tuple[int, rules.Event]]:
    """The complaint's entries still counting, with their ids."""
    from crmcli.outcomes import not_voided

    return [(eid, rules.Event(from_db(at), action, bool(automatic), new, by))
            for eid, at, action, automatic, new, by in session.conn.execute(
                "SELECT id, at, action, automatic, new_value, by FROM complaint_events e "
                f"WHERE complaint_id = ? AND {not_voided('e')} ORDER BY at, id",
                (complaint_id,))]


def _check_still_consistent(complaint_id: int, events: list[rules.Event],
                            session: Session) -> None:
    """Each remaining step must still be allowed where it stands (a reopening needs the closing
    before it): otherwise void the later step first."""
    manual = [e for e in events if not e.automatic]
    for index, event in enumerate(manual):
        if event.action == "opened":
            continue
        state = rules.evaluate(manual[:index], session.policies, event.at)
        problem = rules.check_transition(state.status, event.action)
        if problem:
            raise IllegalTransition(_("Voiding it would leave the {action} entry of "
                                      "{at:%Y-%m-%d %H:%M} UTC on a complaint that "
                                      "{problem}; void that entry first (complaint "
                                      "#{complaint_id}).").format(
                action=event.action, at=event.at, problem=problem, complaint_id=complaint_id))


def _restore_resolution(session: Session, complaint_id: int) -> None:
    from crmcli.outcomes import not_voided

    row = session.conn.execute(
        "SELECT new_value FROM complaint_events e WHERE complaint_id = ? AND action = 'closed' "
        f"AND {not_voided('e')} ORDER BY at DESC, id DESC LIMIT 1", (complaint_id,)).fetchone()
    session.conn.execute("UPDATE complaints SET resolution = ? WHERE id = ?",
                         (row[0] if row else None, complaint_id))


@dataclass
class Edit:
    summary: str | None = None
    category: str | None = None
    severity: str | None = None


def edit(session: Session, complaint_id: int, changes: Edit, reason: str | None
         ) -> tuple[complaints.Complaint, list[str]]:
    """`complaint edit`: correct what was typed at opening; each change is an ``edited`` entry
    (old → new, who, why), and the deadlines follow a corrected severity."""
    why = clean_text(reason, "--reason", multiline=True) if reason else None
    wanted: dict[str, str] = {}
    if changes.summary is not None:
        text = clean_text(changes.summary, "--summary", multiline=True)
        if not text:
            raise BadInput(_("--summary: say what the complaint is about."))
        wanted["summary"] = text
    if changes.category is not None:
        wanted["category"] = clean_text(changes.category, "--category") or ""
    if changes.severity is not None:
        if changes.severity not in rules.SEVERITIES:
            raise BadInput(_("--severity: {severity!r} is not minor or major.").format(
                severity=changes.severity))
        wanted["severity_at_open"] = changes.severity
    if not wanted:
        raise BadInput(_("Nothing to change: give --summary, --category or --severity."))
    with transaction(session.conn):
        before = complaints.load(session, complaint_id)
        current = dict(zip(("summary", "category", "severity_at_open"), session.conn.execute(
            "SELECT summary, category, severity_at_open FROM complaints WHERE id = ?",
            (complaint_id,)).fetchone(), strict=True))
        changed = [key for key, value in wanted.items() if (current[key] or "") != value]
        for key in changed:
            complaints.insert_event(session, complaint_id, session.now, "edited", session.user,
                                    why, reason=why, field=key, old=current[key],
                                    new=wanted[key])
            session.conn.execute(f"UPDATE complaints SET {key} = ? WHERE id = ?",
                                 (wanted[key] or None, complaint_id))
        if "category" in changed:
            complaints.remember_category(session, wanted["category"] or None)
            repeat = complaints.find_repeat(session, before.row["customer_id"],
                                            wanted["category"] or None,
                                            before.row["opened_at"], exclude=complaint_id)
            session.conn.execute("UPDATE complaints SET repeat_of = ? WHERE id = ?",
                                 (repeat, complaint_id))
        after = complaints.store_state(session, complaint_id)
        complaints.sync_followup(session, after)
    return after, changed


# --- visits and services ----------------------------------------------------------------------

def void_visit(session: Session, visit_id: int, reason: str | None) -> dict[str, Any]:
    """`visit void`: a logged visit entered by mistake. A follow-up it answered is owed again."""
    from crmcli.services.visit_register import get_visit

    why = _reason(reason)
    with transaction(session.conn):
        visit = get_visit(session, visit_id)
        if visit["status"] == "voided":
            raise IllegalTransition(_("Visit #{visit_id} is already voided.").format(
                visit_id=visit_id))
        if visit["status"] != "done":
            raise IllegalTransition(_("Visit #{visit_id} is {status}; only a logged "
                                      "visit is voided (a scheduled one is cancelled: "
                                      "`crmcli visit cancel`).").format(
                visit_id=visit_id, status=visit['status']))
        session.conn.execute(
            "UPDATE visits SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
            (to_db(session.now), session.user, why, visit_id))
        complaint_id = visit["complaint_id"]
        if visit["due"] is not None and visit["kind"] == "complaint" and complaint_id:
            _void_followed_up(session, int(complaint_id), visit, why)
        elif visit["due"] is not None:  # a scheduled visit or service follow-up: owed again
            session.conn.execute(
                "INSERT INTO visits (customer_id, kind, due_at, expected_method, assigned_to, "
                "complaint_id, service_id, note, created_at) SELECT customer_id, kind, due_at, "
                "expected_method, assigned_to, complaint_id, service_id, ?, ? FROM visits "
                "WHERE id = ?", (f"owed again: visit #{visit_id} was voided",
                                 to_db(session.now), visit_id))
        contacts.refresh(session, [visit["customer_id"]])
        return get_visit(session, visit_id)


def _void_followed_up(session: Session, complaint_id: int, visit: dict[str, Any],
                      why: str) -> None:
    """The complaint's follow-up entry that this visit made is voided with it."""
    from crmcli.outcomes import not_voided

    for (event_id,) in session.conn.execute(
            "SELECT id FROM complaint_events e WHERE complaint_id = ? AND action = 'followed_up' "
            f"AND at = ? AND {not_voided('e')}", (complaint_id, to_db(visit["done_at"]))
    ).fetchall():
        complaints.insert_event(session, complaint_id, session.now, "voided", session.user,
                                f"voided entry #{event_id} with visit #{visit['id']}: {why}",
                                reason=why, field="event", old=str(event_id))
    complaints.sync_followup(session, complaints.store_state(session, complaint_id))


def void_service(session: Session, service_id: int, reason: str | None) -> dict[str, Any]:
    """`service void`: work entered by mistake; its pending follow-up is no longer owed."""
    from crmcli.services.services_log import get_service

    why = _reason(reason)
    with transaction(session.conn):
        service = get_service(session, service_id)
        if service["voided_at"] is not None:
            raise IllegalTransition(_("Service #{service_id} is already voided.").format(
                service_id=service_id))
        session.conn.execute(
            "UPDATE services SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
            (to_db(session.now), session.user, why, service_id))
        session.conn.execute(
            "UPDATE visits SET cancelled_at = ?, note = coalesce(note || '; ', '') || ? "
            "WHERE service_id = ? AND done_at IS NULL AND cancelled_at IS NULL",
            (to_db(session.now), f"service #{service_id} voided: {why}", service_id))
        contacts.refresh(session, [service["customer_id"]])
        return get_service(session, service_id)
