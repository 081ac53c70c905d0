"""Use cases, callable without Typer: they read and write the database and decide through rules."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # shell completion imports this package and needs no policy
    from crmcli.policy import PolicyHistory


@dataclass
class Session:
    """One command's view of the world: its database, its moment, its user."""

    conn: sqlite3.Connection
    now: datetime
    user: str

    @cached_property
    def policies(self) -> PolicyHistory:
        from crmcli.db import load_policies

        return load_policies(self.conn)

    def forget_policies(self) -> None:
        self.__dict__.pop("policies", None)
