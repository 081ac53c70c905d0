"""What the printed papers gather beyond a list or a report: the site's name and the whole of
one complaint for its handling sheet (《客戶投訴處置表》)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmcli.services import Session


def site_name(session: Session) -> str:
    """The name printed at the head of every paper: policy ``site_name`` when the site has
    set one, else the database file's name without its extension (``tower-a.db``: tower-a)."""
    named = session.policies.current.site_name.strip()
    if named:
        return named
    for _, schema, file in session.conn.execute("PRAGMA database_list"):
        if schema == "main" and file:
            return Path(file).stem
    return "crmcli"


def handling_sheet(session: Session, complaint_id: int) -> dict[str, Any]:
    """One complaint as its handling sheet shows it: the record, the complainant (confidential
    details masked), its timers and history, and its follow-up visits with their ratings."""
    from crmcli.services import complaints, customers, referrals, visit_register

    record, timers, events = complaints.detail(session, complaint_id)
    customer = customers.public(customers.find(session, str(record["customer_id"])))
    followups = [visit for visit in visit_register.for_customer(session, record["customer_id"])
                 if visit.get("complaint_id") == complaint_id]
    return {"complaint": record, "customer": customer, "timers": timers, "events": events,
            "followups": followups, "letters": referrals.letters(session, complaint_id)}
