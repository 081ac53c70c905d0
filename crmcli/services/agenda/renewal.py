"""Contract renewals (續簽, seed 004): a contract ending within ``renewal_notice_days`` and
neither renewed nor ended, due on its last day (``crmcli.handover.renewal_owed``)."""

from __future__ import annotations

from datetime import date

from crmcli import handover
from crmcli.services.agenda.context import Context
from crmcli.services.visits import DueItem

KINDS = ("renewal",)


def items(ctx: Context) -> list[DueItem]:
    policy = ctx.policy
    latest_end = ctx.last_day.toordinal() + policy.renewal_notice_days
    found = []
    for contract_id, cid, name, end_on in ctx.session.conn.execute(
            "SELECT k.id, k.customer_id, c.name, k.end_on FROM contracts k "
            "INDEXED BY contracts_running JOIN customers c ON c.id = k.customer_id "
            "WHERE k.ended_on IS NULL AND k.end_on <= ? AND NOT EXISTS "
            "(SELECT 1 FROM contracts r WHERE r.renews = k.id)",
            (date.fromordinal(latest_end).isoformat(),)):
        end = date.fromisoformat(end_on)
        if not handover.renewal_owed(end, ctx.last_day, renewed=False, ended=False,
                                     policy=policy):
            continue
        if end < ctx.today:
            reason = (f"contract #{contract_id} ended {end_on} without renewal (續簽): renew "
                      f"it, or end it (`contract end {contract_id}`, --moved-out if they left)")
        else:
            reason = f"contract #{contract_id} ends {end_on}: renewal (續簽)"
        found.append(DueItem(cid, name, "renewal", end, reason, policy.area_manager))
    return found
