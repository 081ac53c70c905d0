"""Referral letters (《工作聯繫函》): a problem handed to another department with a time limit
(seed 004: 以《工作聯繫函》形式傳遞給相關責任部門…限期內協調解決).

A letter is the complaint entry ``referred`` (its number is the entry's; ``escalated_to`` the
department, ``new_value`` the due time); ``referral_done`` (``old_value`` the letter's number)
closes it. Several may be open at once. A voided letter, or a voided answer, stops counting.
An open letter due by the agenda's horizon is an item ``referral`` for whoever sent it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli.dates import from_db, to_db
from crmcli.errors import NotFound
from crmcli.i18n import _
from crmcli.outcomes import ANSWERED, not_voided
from crmcli.render import Column
from crmcli.services import Session

LETTER_COLUMNS = [Column("letter", justify="right"), Column("to"), Column("sent_at", "sent"),
                  Column("by"), Column("due"), Column("state"), Column("done_at", "done"),
                  Column("text"), Column("done_note", in_table=False)]

# The answer to letter ``e`` still counting (its first, if several were entered).
_DONE = ("SELECT d.at, d.note FROM complaint_events d "
         "WHERE d.complaint_id = e.complaint_id AND d.action = 'referral_done' "
         f"AND d.old_value = CAST(e.id AS TEXT) AND {not_voided('d')} ORDER BY d.at LIMIT 1")


def letters(session: Session, complaint_id: int) -> list[dict[str, Any]]:
    """The complaint's letters still counting, oldest first, with their state now."""
    found = []
    for letter_id, at, by, to, due, text, done_at, done_note in session.conn.execute(
            "SELECT e.id, e.at, e.by, e.escalated_to, e.new_value, e.note, "
            f"({_DONE.replace('d.at, d.note', 'd.at')}), "
            f"({_DONE.replace('d.at, d.note', 'd.note')}) "
            "FROM complaint_events e WHERE e.complaint_id = ? AND e.action = 'referred' "
            f"AND {not_voided('e')} ORDER BY e.at, e.id", (complaint_id,)).fetchall():
        due_at = from_db(due)
        done = (done_at, done_note) if done_at else None
        state = "done" if done else "overdue" if session.now > due_at else "open"
        found.append({"letter": letter_id, "to": to, "sent_at": from_db(at), "by": by,
                      "due": due_at, "state": state,
                      "done_at": from_db(done[0]) if done else None, "text": text,
                      "done_note": done[1] if done else None})
    return found


def get(session: Session, complaint_id: int, letter_id: int) -> dict[str, Any]:
    found = {item["letter"]: item for item in letters(session, complaint_id)}
    if letter_id not in found:
        raise NotFound(_("Complaint #{complaint_id} has no letter #{letter_id}; "
                         "`crmcli complaint show {complaint_id}` lists its letters.").format(
            complaint_id=complaint_id, letter_id=letter_id))
    letter = found[letter_id]
    return {**letter, "at": letter["sent_at"]}


def items(session: Session, last_day: date, customer_id: int | None = None,
          limit: int | None = None) -> list[Any]:
    """Open letters due by the end of ``last_day`` (local): kind ``referral``, for the sender,
    by due time, customer, complaint and letter (the agenda's order); with ``limit``, the first
    ``limit``; with ``customer_id``, that customer's alone (read from their complaints, not the
    site's)."""
    from crmcli import cadence
    from crmcli.services.agenda.base import DueItem

    horizon = to_db(cadence.deadline(last_day))
    if customer_id is None:
        # only the complaints with a letter still open (``complaints.open_letter_due``, stored
        # from the history), then their letters, each checked against the history
        rows = session.conn.execute(
            "SELECT p.customer_id, c.name, e.complaint_id, e.id, e.by, e.escalated_to, "
            "e.new_value FROM complaints p INDEXED BY complaints_open_letter "
            "CROSS JOIN complaint_events e INDEXED BY complaint_events_complaint "
            "JOIN customers c ON c.id = p.customer_id "
            "WHERE p.open_letter_due <= ?1 AND e.complaint_id = p.id "
            "AND e.action = 'referred' AND e.new_value <= ?1 "
            f"AND {not_voided('e')} AND NOT {ANSWERED} "
            "ORDER BY e.new_value, p.customer_id, e.complaint_id, e.id LIMIT ?2",
            (horizon, -1 if limit is None else limit)).fetchall()
    else:  # in the order of the site's index (due, complaint, letter)
        rows = session.conn.execute(
            "SELECT p.customer_id, c.name, e.complaint_id, e.id, e.by, e.escalated_to, "
            "e.new_value FROM complaints p INDEXED BY complaints_customer "
            "CROSS JOIN complaint_events e INDEXED BY complaint_events_complaint "
            "JOIN customers c ON c.id = p.customer_id "
            "WHERE p.customer_id = ? AND e.complaint_id = p.id AND e.action = 'referred' "
            f"AND e.new_value <= ? AND {not_voided('e')} AND NOT EXISTS ({_DONE}) "
            "ORDER BY e.new_value, e.complaint_id, e.id", (customer_id, horizon)).fetchall()
    reason = _("complaint #{id}: letter #{letter} (工作聯繫函) to {to} not yet answered")
    return [DueItem(customer_id, name, "referral", from_db(due),
                    reason.format(id=complaint_id, letter=letter_id, to=to), by,
                    complaint_id=complaint_id)
            for customer_id, name, complaint_id, letter_id, by, to, due in rows]
