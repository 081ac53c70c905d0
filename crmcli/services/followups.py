"""What a follow-up (回訪) must be to count, and what an unsatisfactory one sets going.

Seed 004: a major complaint's follow-up is a face-to-face visit by the area manager
(重大投訴…由片區經理進行上門面談回訪); a call is a contact, not the follow-up. A follow-up rated
1–2 on any scale, or logged ``--unresolved``, is 不合格: the area manager reports it upward and
refers it to the department responsible (片區經理對於回訪內容反饋不合格的事件應上報資產管理部,
並及時以《工作聯繫函》形式傳遞給相關責任部門跟進處理). It stays on the agenda (kind
``unsatisfied``) until the complaint is reopened, it is referred (`complaint note --referred-to`,
`visit refer`), or a later follow-up of the same complaint or service is satisfactory.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import rules
from crmcli.dates import from_db, local_day, short_local, to_db
from crmcli.errors import IllegalTransition
from crmcli.i18n import _
from crmcli.services import Session

UNSATISFIED = (  # a done follow-up, not voided, not yet dealt with, below standard
    "v.done_at IS NOT NULL AND v.voided_at IS NULL AND v.cleared_at IS NULL AND "
    "(v.satisfaction <= 2 OR v.quality <= 2 OR v.attitude <= 2 OR v.unresolved = 1)"
)


def _severity(session: Session, complaint_id: int) -> str:
    from crmcli.services import complaints

    return complaints.load(session, complaint_id).effective.severity


def meets(session: Session, target: dict[str, Any], method: str) -> bool:
    """Whether a visit made by ``method`` meets the pending follow-up ``target``."""
    if target["kind"] != "complaint" or target["complaint_id"] is None:
        return True
    return rules.followup_meets(_severity(session, target["complaint_id"]), method)


def still_owed(target: dict[str, Any]) -> str:
    text = (_("Note: complaint #{complaint} is major: its follow-up is a visit in person "
              "(上門面談回訪); this call is logged as a contact and the in-person follow-up "
              "(visit #{visit}, due {due}) is still owed.") if target["due"] else
            _("Note: complaint #{complaint} is major: its follow-up is a visit in person "
              "(上門面談回訪); this call is logged as a contact and the in-person follow-up "
              "(visit #{visit}) is still owed."))
    return text.format(complaint=target["complaint_id"], visit=target["id"],
                       due=short_local(target["due"]) if target["due"] else "")


def _is_unsatisfactory(visit: dict[str, Any]) -> bool:
    return rules.unsatisfactory((visit["satisfaction"], visit["quality"], visit["attitude"]),
                                bool(visit["unresolved"]))


def _linked(visit: dict[str, Any]) -> tuple[str, int] | None:
    if visit["complaint_id"] is not None:
        return "complaint_id", int(visit["complaint_id"])
    if visit["service_id"] is not None:
        return "service_id", int(visit["service_id"])
    return None


def after_logged(session: Session, visit: dict[str, Any]) -> list[str]:
    """Inside `visit log`'s transaction: an unsatisfactory follow-up goes on the complaint's
    history and on the agenda; a satisfactory one clears those before it."""
    from crmcli.services import complaints

    link = _linked(visit)
    if link is None:
        return []
    column, number = link
    if not _is_unsatisfactory(visit):
        if any(visit[key] is not None for key in ("satisfaction", "quality", "attitude")):
            clear(session, column, number, f"satisfactory follow-up #{visit['id']}")
        return []
    if column == "complaint_id":
        complaints.record_note(session, number, visit["done_at"], visit["by"] or session.user,
                               f"follow-up visit #{visit['id']} unsatisfactory (不合格): to be "
                               "reported upward, referred or reopened", field="unsatisfied",
                               old=str(visit["id"]))
    what = (_("complaint #{id}") if column == "complaint_id" else _("service #{id}")).format(
        id=number)
    return [_("Unsatisfactory follow-up of {what}: on the agenda for the area manager (report "
              "it upward, refer it to the department responsible, or reopen it).").format(
        what=what)]


def clear(session: Session, column: str, number: int, how: str) -> int:
    """Mark the unsatisfactory follow-ups of a complaint or service as dealt with."""
    assert column in ("complaint_id", "service_id")
    cursor = session.conn.execute(
        f"UPDATE visits AS v SET cleared_at = ?, cleared_by = ?, cleared_how = ? "
        f"WHERE v.{column} = ? AND {UNSATISFIED}",
        (to_db(session.now), session.user, how, number))
    return int(cursor.rowcount)


def refer(session: Session, visit_id: int, department: str) -> dict[str, Any]:
    """`visit refer`: an unsatisfactory follow-up handed to the department responsible."""
    from crmcli.db import transaction
    from crmcli.services.visit_register import get_visit

    with transaction(session.conn):
        visit = get_visit(session, visit_id)
        if visit["status"] != "done" or not _is_unsatisfactory(visit):
            raise IllegalTransition(_("Visit #{visit_id} is not an unsatisfactory "
                                      "follow-up; only those are referred.").format(
                visit_id=visit_id))
        session.conn.execute(
            "UPDATE visits SET cleared_at = ?, cleared_by = ?, cleared_how = ? WHERE id = ? "
            "AND cleared_at IS NULL", (to_db(session.now), session.user,
                                       f"referred to {department}", visit_id))
        return get_visit(session, visit_id)


def items(session: Session, last_day: date) -> list[Any]:
    """Agenda source ``unsatisfied``: each unsatisfactory follow-up not yet dealt with, due by
    the end of the day it was logged, owed by the area manager."""
    from crmcli.services.agenda.base import DueItem

    manager = session.policies.current.area_manager
    reason = _("unsatisfactory follow-up (不合格) of {what} (visit #{visit}): report it upward, "
               "refer it, or reopen it")
    of_complaint, of_service = _("complaint #{id}"), _("service #{id}")
    found = []
    for visit_id, customer_id, name, done_at, complaint_id, service_id in session.conn.execute(
        "SELECT v.id, v.customer_id, c.name, v.done_at, v.complaint_id, v.service_id "
        "FROM visits v INDEXED BY visits_unsatisfied JOIN customers c ON c.id = v.customer_id "
        f"WHERE {UNSATISFIED} AND (v.complaint_id IS NOT NULL OR v.service_id IS NOT NULL) "
        "AND v.done_at < ?", (to_db(_after(last_day)),)
    ):
        what = (of_complaint.format(id=complaint_id) if complaint_id is not None
                else of_service.format(id=service_id))
        found.append(DueItem(
            customer_id, name, "unsatisfied", local_day(from_db(done_at)),
            reason.format(what=what, visit=visit_id), manager, None, complaint_id, visit_id,
            service_id))
    return found


def _after(day: date) -> Any:
    from datetime import timedelta

    from crmcli.dates import local_midnight

    return local_midnight(day + timedelta(days=1))
