"""What the front desk's entries share: when, by whom, and voiding with a reason.

An entry (a request, a meeting, a notice) is never deleted or edited in place: a mistake is
voided with who, when and why, the entry stays in the history, and every figure leaves it out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crmcli.dates import to_db, to_local
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.services import Session

VOIDABLE = {"requests": "request", "meetings": "meeting", "notices": "notice"}


def moment(session: Session, at: datetime | None, option: str = "--at") -> datetime:
    """When it happened: now, or ``--at`` (not in the future), to the whole minute."""
    when = (at or session.now).replace(second=0, microsecond=0)
    if when > session.now + timedelta(minutes=1):
        raise BadInput(f"{option} {to_local(when):%Y-%m-%d %H:%M} is in the future.")
    return when


def actor(session: Session, by: str | None) -> str:
    return (clean_text(by, "--by") if by else None) or session.user


def text(value: str | None, option: str, *, required: str | None = None) -> str | None:
    cleaned = clean_text(value, option, multiline=True) if value else None
    if required and not cleaned:
        raise BadInput(f"{option}: {required}")
    return cleaned


def void(session: Session, table: str, entry_id: int, reason: str | None) -> None:
    """Void an entry of ``table`` (inside the caller's transaction)."""
    what = VOIDABLE[table]
    why = text(reason, "--reason", required="say why it is voided.")
    row = session.conn.execute(f"SELECT voided_at FROM {table} WHERE id = ?",
                               (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"No {what} #{entry_id}; `crmcli {what} list` shows them.")
    if row[0] is not None:
        raise IllegalTransition(f"{what.capitalize()} #{entry_id} is already voided.")
    session.conn.execute(
        f"UPDATE {table} SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
        (to_db(session.now), session.user, why, entry_id))
