"""Real contacts with a customer, which reset the contact cadence (seed 000: 每一次交往).

A contact is any of: a complaint opened or answered (its feedback), a service done on site, a
visit or call logged, a request replied to, a tenant meeting attended.
``customers.last_contact_at`` and ``last_in_person_at`` are worked out from these entries,
voided ones left out, so a correction moves them back as well as forward; and with them the
customer's stored next-due dates (``crmcli.next_due``).
"""

from __future__ import annotations

from collections.abc import Iterable

from crmcli import next_due
from crmcli.outcomes import not_voided
from crmcli.services import Session

# Every contact on record of customer ``c``: (when, in person).
CONTACTS = f"""
    SELECT v.done_at AS at, v.method = 'in-person' AS in_person FROM visits v
        WHERE v.customer_id = c.id AND v.done_at IS NOT NULL AND v.voided_at IS NULL
    UNION ALL
    SELECT e.at, 0 FROM complaints p JOIN complaint_events e ON e.complaint_id = p.id
        WHERE p.customer_id = c.id AND e.action IN ('opened', 'responded') AND e.automatic = 0
        AND {not_voided('e')}
    UNION ALL
    SELECT s.done_at, 0 FROM services s WHERE s.customer_id = c.id AND s.voided_at IS NULL
    UNION ALL
    SELECT r.replied_at, 0 FROM requests r INDEXED BY requests_customer
        WHERE r.customer_id = c.id AND r.replied_at IS NOT NULL AND r.voided_at IS NULL
    UNION ALL
    SELECT m.held_at, 0 FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id
        WHERE a.customer_id = c.id AND m.voided_at IS NULL
"""


def refresh(session: Session, customer_ids: Iterable[int]) -> None:
    """Work out these customers' latest contact and latest in-person visit again (inside the
    caller's transaction)."""
    ids = set(customer_ids)
    for customer_id in ids:
        session.conn.execute(
            f"UPDATE customers AS c SET last_contact_at = (SELECT max(at) FROM ({CONTACTS})), "
            "last_in_person_at = (SELECT max(v.done_at) FROM visits v WHERE v.customer_id = c.id "
            "AND v.method = 'in-person' AND v.done_at IS NOT NULL AND v.voided_at IS NULL) "
            "WHERE c.id = ?", (customer_id,))
    next_due.refresh(session.conn, session.policies.current, ids)
