"""Use cases, callable without Typer: they read and write the database and decide through rules."""

from __future__ import annotations

from functools import cached_property

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:  # shell completion imports this package: it needs neither policy nor dataclasses
    import sqlite3
    from datetime import datetime

    from crmcli.policy import PolicyHistory


class Session:
    """One command's view of the world: its database, its moment, its user. (A plain class:
    a dataclass would import ``dataclasses`` and ``inspect`` on every shell Tab.)"""

    def __init__(self, conn: sqlite3.Connection, now: datetime, user: str) -> None:
        self.conn = conn
        self.now = now
        self.user = user

    def __repr__(self) -> str:
        return f"Session(now={self.now!r}, user={self.user!r})"

    @cached_property
    def policies(self) -> PolicyHistory:
        from crmcli.db import load_policies

        return load_policies(self.conn)

    def forget_policies(self) -> None:
        self.__dict__.pop("policies", None)
