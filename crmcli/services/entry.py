"""What the front desk's entries share: when, by whom, and voiding with a reason.

An entry (a request, a meeting, a notice) is never deleted or edited in place: a mistake is
voided with who, when and why, the entry stays in the history, and every figure leaves it out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crmcli.dates import to_db, to_local
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import N_, _
from crmcli.services import Session

VOIDABLE = {"requests": "request", "meetings": "meeting", "notices": "notice"}
_MISSING = {"request": N_("No request #{id}; `crmcli request list` shows them."),
            "meeting": N_("No meeting #{id}; `crmcli meeting list` shows them."),
            "notice": N_("No notice #{id}; `crmcli notice list` shows them.")}
_VOIDED = {"request": N_("Request #{id} is already voided."),
           "meeting": N_("Meeting #{id} is already voided."),
           "notice": N_("Notice #{id} is already voided.")}


def moment(session: Session, at: datetime | None, option: str = "--at") -> datetime:
    """When it happened: now, or ``--at`` (not in the future), to the whole minute."""
    when = (at or session.now).replace(second=0, microsecond=0)
    if when > session.now + timedelta(minutes=1):
        raise BadInput(_("{option} {when:%Y-%m-%d %H:%M} is in the future.").format(
            option=option, when=to_local(when)))
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
    why = text(reason, "--reason", required=_("say why it is voided."))
    row = session.conn.execute(f"SELECT voided_at FROM {table} WHERE id = ?",
                               (entry_id,)).fetchone()
    if row is None:
        raise NotFound(_(_MISSING[what]).format(id=entry_id))
    if row[0] is not None:
        raise IllegalTransition(_(_VOIDED[what]).format(id=entry_id))
    session.conn.execute(
        f"UPDATE {table} SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
        (to_db(session.now), session.user, why, entry_id))
