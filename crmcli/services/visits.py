"""Follow-ups and contacts (回訪 / 拜訪)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crmcli.dates import from_db
from crmcli.render import Column
from crmcli.services import Session

VISIT_COLUMNS_SHORT = [Column("id", justify="right"), Column("kind"), Column("due"),
                       Column("done_at", "done"), Column("method"), Column("by"),
                       Column("note")]
DUE_COLUMNS_SHORT = [Column("kind"), Column("due"), Column("overdue"), Column("reason")]


def for_customer(session: Session, customer_id: int) -> Iterator[dict[str, Any]]:
    for row in session.conn.execute(
        "SELECT id, kind, due_at, done_at, method, by, note FROM visits WHERE customer_id = ? "
        "ORDER BY coalesce(done_at, due_at), id", (customer_id,)
    ):
        yield {"id": row[0], "kind": row[1], "due": from_db(row[2]) if row[2] else None,
               "done_at": from_db(row[3]) if row[3] else None, "method": row[4], "by": row[5],
               "note": row[6]}


def due_for_customer(session: Session, customer: dict[str, Any]) -> list[dict[str, Any]]:
    return []
