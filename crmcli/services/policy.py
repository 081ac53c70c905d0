"""Reading and changing the site's policy settings."""

from __future__ import annotations

from typing import Any

from crmcli import policy
from crmcli.dates import to_db
from crmcli.db import transaction
from crmcli.services import Session


def show(session: Session) -> list[dict[str, Any]]:
    return policy.as_rows(session.policies.current)


def set_value(session: Session, key: str, value: str) -> tuple[str, str]:
    key, value = policy.normalize(key, value)
    with transaction(session.conn):
        session.conn.execute(
            "INSERT INTO policy_settings (key, value, set_at, set_by) VALUES (?, ?, ?, ?)",
            (key, value, to_db(session.now), session.user),
        )
    session.forget_policies()
    return key, value
