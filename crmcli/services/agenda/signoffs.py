"""Deliveries of a notice with sign-off (簽收) still unsigned ``signoff_days`` (3) after it
was sent; owed by whoever sent it."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

_SELECT = ("SELECT n.id, n.kind, n.title, n.signoff_due, n.by, c.id, c.name FROM notices n "
           "CROSS JOIN notice_deliveries d INDEXED BY notice_deliveries_unsigned "
           "ON d.notice_id = n.id AND d.signed_at IS NULL "
           "JOIN customers c ON c.id = d.customer_id "
           "WHERE n.sign_off = 1 AND n.voided_at IS NULL AND c.moved_out_at IS NULL AND ")


def items(ctx: AgendaContext) -> list[DueItem]:
    text = _("sign-off (簽收) of notice #{id} ({kind}): {title}")
    notices: dict[int, tuple[datetime, str]] = {}  # a notice's due time and reason, once
    found = []
    for notice_id, kind, title, due, by, customer_id, name in _rows(ctx):
        shown = notices.get(notice_id)
        if shown is None:
            short = title if len(title) <= 24 else title[:23] + "…"
            shown = notices[notice_id] = (from_db(due), text.format(id=notice_id, kind=kind,
                                                                    title=short))
        found.append(DueItem(customer_id, name, "signoff", shown[0], shown[1], by))
    return found


def _rows(ctx: AgendaContext) -> list[Any]:
    conn = ctx.session.conn
    if ctx.customer_id is not None:
        return conn.execute(_SELECT + "d.customer_id = ?", (ctx.customer_id,)).fetchall()
    # In the agenda's order: the few notices with sign-off by due time, those due at the same
    # time together, each group's unsigned deliveries by customer (then notice); with a
    # limit, groups are read until it is reached.
    notices = conn.execute(
        "SELECT signoff_due, id FROM notices WHERE sign_off = 1 AND voided_at IS NULL "
        "AND signoff_due <= ? ORDER BY signoff_due, id", (to_db(ctx.horizon),)).fetchall()
    rows: list[Any] = []
    for _due, group in groupby(notices, key=itemgetter(0)):
        left = -1 if ctx.limit is None else ctx.limit - len(rows)
        if left == 0:
            break
        ids = [notice_id for _at, notice_id in group]
        # one notice (the usual case) is read in the order of its index of deliveries
        rows += conn.execute(
            _SELECT + ("n.id = ?" if len(ids) == 1 else "n.id IN (SELECT value FROM json_each(?))")
            + " ORDER BY d.customer_id, n.id LIMIT ?",
            (ids[0] if len(ids) == 1 else json.dumps(ids), left)).fetchall()
    return rows


SOURCE = Source("signoffs", {
    "signoff": "a delivery of a notice with sign-off (簽收) still unsigned 3 days after it was "
               "sent (signoff_days); owed by whoever sent it",
}, items)
