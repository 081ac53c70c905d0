"""Contract renewals (續簽, seed 004): a contract ending within ``renewal_notice_days`` and
neither renewed nor ended, due on its last day (``crmcli.handover.renewal_owed``)."""

from __future__ import annotations

from datetime import date, timedelta

from crmcli.dates import local_today
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

KINDS = ("renewal",)
_SELECT = ("SELECT k.id, k.customer_id, c.name, k.end_on FROM contracts k {index} "
           "JOIN customers c ON c.id = k.customer_id WHERE k.ended_on IS NULL "
           "AND k.renewed_by IS NULL AND {where}")


def items(ctx: AgendaContext) -> list[DueItem]:
    policy = ctx.policy
    today = local_today(ctx.now).isoformat()
    if ctx.customer_id is not None:
        # the customer's own contracts (left alone, the planner reads every running one)
        rows = ctx.session.conn.execute(
            _SELECT.format(index="INDEXED BY contracts_customer", where="k.customer_id = ?"),
            (ctx.customer_id,))
    else:
        # owed (``handover.renewal_owed``) once its renewal is in view: ending by the last
        # day plus the notice; in the agenda's order (last day, customer), from an index
        # that holds it
        latest_end = ctx.last_day + timedelta(days=policy.renewal_notice_days)
        rows = ctx.session.conn.execute(
            _SELECT.format(index="INDEXED BY contracts_renewal", where="k.end_on <= ? ")
            + "ORDER BY k.end_on, k.customer_id, k.id LIMIT ?",
            (latest_end.isoformat(), -1 if ctx.limit is None else ctx.limit))
    ended = _("contract #{id} ended {day} without renewal (續簽): renew it, or end it "
              "(`contract end {id}`, --moved-out if they left)")
    ends = _("contract #{id} ends {day}: renewal (續簽)")
    days: dict[str, date] = {}  # contracts share their last days
    owner = policy.area_manager
    found = []
    for contract_id, cid, name, end_on in rows:
        end = days.get(end_on)
        if end is None:
            end = days[end_on] = date.fromisoformat(end_on)
        found.append(DueItem(cid, name, "renewal", end, (ended if end_on < today else ends)
                             .format(id=contract_id, day=end_on), owner))
    return found


SOURCE = Source("renewal", {
    "renewal": "contract renewal (續簽), on the agenda 60 days (renewal_notice_days) before "
               "the contract ends, due on its last day; owed by the area manager (seed 004)",
}, items)
