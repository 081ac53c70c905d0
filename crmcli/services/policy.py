"""Reading and changing the site's policy settings."""

from __future__ import annotations

from typing import Any

from crmcli import outcomes, policy
from crmcli.dates import to_db
from crmcli.db import transaction
from crmcli.i18n import _
from crmcli.services import Session


def show(session: Session) -> list[dict[str, Any]]:
    return policy.as_rows(session.policies.current)


def set_default(session: Session, key: str, value: str) -> bool:
    """Set a policy setting that was never set (``init``); True if it was set now."""
    from crmcli.db import setting

    if setting(session.conn, key) is not None:
        return False
    set_value(session, key, value)
    return True


def set_value(session: Session, key: str, value: str) -> tuple[str, str]:
    key, value = policy.normalize(key, value)
    with transaction(session.conn):
        if key == "currency":
            _check_currency(session, value)
        session.conn.execute(
            "INSERT INTO policy_settings (key, value, set_at, set_by) VALUES (?, ?, ?, ?)",
            (key, value, to_db(session.now), session.user),
        )
        session.forget_policies()
        # Deadlines still to start (after an automatic upgrade) will follow the new value.
        outcomes.refresh_after(session.conn, session.policies, session.now)
    return key, value


def _check_currency(session: Session, currency: str) -> None:
    """One currency per site: money already kept in another one would be misread."""
    from crmcli.errors import Conflict
    from crmcli.services.billing import currencies

    kept = [code for code in currencies(session.conn) if code != currency]
    if kept:
        raise Conflict(_("Money is already recorded in {tables}; a site keeps one "
                         "currency, so policy currency cannot change now.").format(
            tables=", ".join(kept)))
