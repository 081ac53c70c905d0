"""After handover (交付/入伙) and around contracts: what is owed when (seed 002, seed 004), pure.

Seed 002: 三個月居住感受回訪 (入戶/電話, 房屋交付後三個月), 一年房屋檢查 (入戶, 房屋交付後一年),
回訪前一周發出回訪通知和邀請; 以下客戶無需安排回訪: ①有過重大投訴客戶 ②裝修期的客戶
③沒有實際入住客戶. Seed 004: 完成在網客戶的續簽及續費工作.

Decisions where the seeds are silent:

* Months are calendar months on local dates: a handover on 30 November has its residence
  visit on 28 (29) February and its inspection on 30 November next year.
* The residence visit, the inspection and each invitation are *day* obligations: due on a
  date, overdue from the next day. A visit is met by a logged visit of its kind on or after
  the handover; an invitation by an invitation logged after the previous obligation's due date
  (for the residence visit: on or after the handover), and is no longer owed once its visit
  is met.
* A handover visit not made is owed until the next one falls due (the residence visit until
  the inspection; the inspection for as long again), then the yearly visit takes over: a
  site entering old handovers must not wake up to years of overdue visits.
* The skip reasons are read at the moment of looking: a customer who stops renovating gets its
  visits back.
* A contract's renewal is owed from ``renewal_notice_days`` before its end until it is renewed
  or ended; it is due on its last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from crmcli.cadence import add_span
from crmcli.i18n import N_, _
from crmcli.policy import Policy

VISIT_KINDS = ("residence", "inspection")
KINDS = (*VISIT_KINDS, "invitation")
# What a handover visit may be made by (seed 002: 入戶/電話; 入戶).
METHODS = {"residence": ("in-person", "phone"), "inspection": ("in-person",)}
LABELS = {"residence": "residence-experience visit (居住感受回訪)",
          "inspection": "house inspection (房屋檢查)"}
SKIP_REASONS = {  # seed 002 ①②③
    "major": N_("① had a major complaint"),
    "renovating": N_("② under renovation"),
    "not_occupied": N_("③ not living there"),
}


@dataclass(frozen=True)
class HandoverVisit:
    kind: str  # residence | inspection
    due: date
    invite_on: date  # the invitation is due this day
    counts_from: date  # an invitation logged on or after this day is for this visit
    owed_until: date  # not owed any more from the day after


def plan(handover: date, policy: Policy) -> tuple[HandoverVisit, HandoverVisit]:
    """The residence visit and the house inspection owed after ``handover``."""
    residence = add_span(handover, f"{policy.residence_visit_months}mo")
    inspection = add_span(handover, f"{policy.inspection_visit_months}mo")
    invite = timedelta(days=policy.invitation_days)
    lapse = add_span(inspection, f"{policy.inspection_visit_months}mo")
    return (
        HandoverVisit("residence", residence, residence - invite, handover,
                      max(residence, inspection - timedelta(days=1))),
        HandoverVisit("inspection", inspection, inspection - invite,
                      residence + timedelta(days=1), max(inspection, lapse - timedelta(days=1))),
    )


def skip_reasons(*, had_major: bool, renovating: bool, occupied: bool) -> list[str]:
    """Why no handover visit is arranged (seed 002 ①②③); empty when it is."""
    reasons = []
    if had_major:
        reasons.append(_(SKIP_REASONS["major"]))
    if renovating:
        reasons.append(_(SKIP_REASONS["renovating"]))
    if not occupied:
        reasons.append(_(SKIP_REASONS["not_occupied"]))
    return reasons


@dataclass(frozen=True)
class Owed:
    kind: str  # residence | inspection | invitation
    due: date
    visit: HandoverVisit  # the visit it is, or the visit the invitation is for

    @property
    def reason(self) -> str:
        what = _(LABELS[self.visit.kind])
        if self.kind == "invitation":
            return _("invitation (回訪通知和邀請) to the {what} due {day}").format(
                what=what, day=self.visit.due.isoformat())
        return _("{what} after handover").format(what=what)


def owed(handover: date, visits_done: dict[str, list[date]], invited: list[date],
         today: date, last_day: date, policy: Policy,
         planned: tuple[HandoverVisit, HandoverVisit] | None = None) -> list[Owed]:
    """What is owed by ``last_day`` and not met: ``visits_done`` maps residence/inspection to
    the days they were logged, ``invited`` the days invitations were logged; ``planned`` is
    ``plan(handover, policy)`` when already worked out (handovers share their days)."""
    items = []
    for visit in planned or plan(handover, policy):
        if any(day >= handover for day in visits_done.get(visit.kind, ())):
            continue
        if today > visit.owed_until:
            continue
        if visit.invite_on <= last_day and not any(day >= visit.counts_from for day in invited):
            items.append(Owed("invitation", visit.invite_on, visit))
        if visit.due <= last_day:
            items.append(Owed(visit.kind, visit.due, visit))
    return items


def earliest_handover(last_day: date, policy: Policy) -> date:
    """No handover after this day owes anything by ``last_day`` (for an SQL prefilter)."""
    first = min(policy.residence_visit_months, policy.inspection_visit_months)
    # A month is at least 28 days: conservative.
    return last_day + timedelta(days=policy.invitation_days) - timedelta(days=28 * first)


def inspection_not_yet(last_day: date, policy: Policy) -> date:
    """A handover after this day owes nothing for its inspection by ``last_day`` (not even the
    invitation): with the residence visit made, it owes nothing at all (an SQL prefilter)."""
    first = policy.inspection_visit_months * 28  # a month is at least 28 days: conservative
    return last_day + timedelta(days=policy.invitation_days) - timedelta(days=first)


def owed_from(today: date, first: date, last: date, policy: Policy) -> list[date | None]:
    """For each visit of ``plan`` (residence, inspection): the first handover day from
    ``first`` to ``last`` whose visit can still be owed ``today``, or None. A visit is owed
    until a day that only grows with the handover day, so from that day on it always can."""
    found: list[date | None] = []
    for index in range(2):
        low, high = first, last + timedelta(days=1)
        while low < high:
            middle = low + (high - low) // 2
            if today <= plan(middle, policy)[index].owed_until:
                high = middle
            else:
                low = middle + timedelta(days=1)
        found.append(low if low <= last else None)
    return found


def latest_lapsed(today: date, policy: Policy) -> date:
    """Every handover before this day has nothing owed any more (for an SQL prefilter)."""
    # 2 × the inspection interval, each month at most 31 days: conservative.
    return today - timedelta(days=31 * 2 * policy.inspection_visit_months + 1)


# --- contracts --------------------------------------------------------------------------------

def renewal_from(end_on: date, policy: Policy) -> date:
    """The first day a contract ending ``end_on`` is on the agenda for renewal (續簽)."""
    return end_on - timedelta(days=policy.renewal_notice_days)


def renewal_owed(end_on: date, last_day: date, *, renewed: bool, ended: bool,
                 policy: Policy) -> bool:
    return not renewed and not ended and renewal_from(end_on, policy) <= last_day


BILLING = ("monthly", "quarterly", "yearly", "once")
_STEP = {"monthly": 1, "quarterly": 3, "yearly": 12}


def bills_in(billing: str, start_on: date, end_on: date, year: int, month: int) -> date | None:
    """The day a contract's invoice for the month falls due, or None if it bills nothing then.

    Billed in advance on the contract's day of the month (the 31st is the month's last day in a
    shorter month): every month, every third month or every twelfth from the start month;
    ``once`` only in the start month. Nothing outside the contract's term.
    """
    months = (year - start_on.year) * 12 + (month - start_on.month)
    if months < 0:
        return None
    if billing == "once":
        if months:
            return None
    elif months % _STEP[billing]:
        return None
    due = add_span(start_on, f"{months}mo") if months else start_on
    return due if due <= end_on else None
