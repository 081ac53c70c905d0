"""What a write says it did: the one place confirmations and deadline notes are worded.

A confirmation names the record (``#12``), whom it concerns, what was done and when; when the
entry answered a deadline it says whether it made it (``feedback given 35 min after its
deadline``). Pure: the commands pass the moments in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crmcli.dates import short_local
from crmcli.i18n import _


def span(delta: timedelta) -> str:
    """``35 min``, ``2 h 10 min``, ``3 d 4 h``: a length of time a person reads at a glance."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return (_("{days} d {hours} h") if hours else _("{days} d")).format(days=days, hours=hours)
    if hours:
        return (_("{hours} h {minutes} min") if minutes else _("{hours} h")).format(
            hours=hours, minutes=minutes)
    return _("{minutes} min").format(minutes=minutes)


def deadline_note(what: str, done: datetime, due: datetime) -> str:
    """``feedback given 35 min after its deadline`` / ``… on time (deadline 12-02 09:40)``.
    ``what`` is already in the interface language (``_("feedback given")``)."""
    if done <= due:
        return _("{what} on time (deadline {due})").format(what=what, due=short_local(due))
    return _("{what} {late} after its deadline ({due})").format(
        what=what, late=span(done - due), due=short_local(due))


def timing(done: datetime, due: datetime) -> str:
    """``on time`` / ``35 min late``: how an entry met its deadline, in a few words."""
    if done <= due:
        return _("on time")
    return _("{late} late").format(late=span(done - due))


def confirmation(text: str, at: datetime | None = None, notes: list[str] | None = None) -> str:
    """One confirmation: its sentence, when it was recorded, then its notes, one a line."""
    head = text
    if at is not None:
        stop = text[-1:] if text[-1:] in (".", "。") else ""
        head = _("{text} (at {at})").format(text=text[:len(text) - len(stop)],
                                            at=short_local(at)) + stop
    return "\n".join([head, *(f"  {note}" for note in notes or [])])
