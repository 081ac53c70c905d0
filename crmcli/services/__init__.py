"""Use cases, callable without Typer: they read and write the database and decide through rules."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from crmcli.policy import PolicyHistory


@dataclass
class Session:
    """One command's view of the world: its database, its moment, its user."""

    conn: sqlite3.Connection
    now: datetime
    user: str

    @cached_property
    def policies(self) -> PolicyHistory:
        from crmcli.dates import from_db

        rows = self.conn.execute(
            "SELECT set_at, key, value FROM policy_settings ORDER BY set_at, id"
        ).fetchall()
        return PolicyHistory([(from_db(at), key, value) for at, key, value in rows])

    def forget_policies(self) -> None:
        self.__dict__.pop("policies", None)
