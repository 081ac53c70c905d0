"""What shell completion offers from the data: customers, open complaints, categories.

Each answer is a few index range scans and at most ``LIMIT`` rows, so a completion stays well
under 200 ms on a site of 100 000 customers and a million complaints.
"""

from __future__ import annotations

import sqlite3

# textfold, not fields: fields.name_key is textfold's fold, and fields (with dates and the
# time zones) is more than a shell's Tab needs to import.
from crmcli.textfold import fold_all

LIMIT = 50


def customers(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    """Names (folded: 谢 completes 謝麗華) or, for digits, ids; each with a hint."""
    text = incomplete.strip().lstrip("#")
    if text.isdigit():
        rows = conn.execute(
            "SELECT id, name FROM customers WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (int(text), int(text) + 1, LIMIT)).fetchall()
        rows += conn.execute(
            "SELECT id, name FROM customers WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (int(text) * 10, int(text) * 10 + 10, LIMIT)).fetchall()
        return [(str(customer_id), name) for customer_id, name in rows[:LIMIT]]
    key = fold_all([text])[0]  # ASCII is folded without loading OpenCC's dictionary
    rows = conn.execute(
        "SELECT id, name, unit FROM customers WHERE name_key >= ? AND name_key < ? "
        "ORDER BY name_key, id LIMIT ?", (key, key + "\U0010ffff", LIMIT)).fetchall()
    return [(name, f"#{customer_id}" + (f" {unit}" if unit else ""))
            for customer_id, name, unit in rows]


def open_complaints(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    """Ids of complaints not closed, with customer and summary; the newest first."""
    rows = conn.execute(
        "SELECT p.id, c.name, p.summary FROM complaints p JOIN customers c ON c.id = "
        "p.customer_id WHERE p.status != 'closed' AND CAST(p.id AS TEXT) LIKE ? "
        "ORDER BY p.opened_at DESC LIMIT ?", (f"{incomplete}%", LIMIT)).fetchall()
    return [(str(complaint_id), f"{name}: {summary}"[:60]) for complaint_id, name, summary in rows]


# The distinct categories of the complaints, one index seek each (a DISTINCT would read every
# complaint's entry of the index: a million at a large site).
_CATEGORIES_IN_COMPLAINTS = """
    WITH RECURSIVE seen(label) AS (
        SELECT min(category) FROM complaints WHERE category IS NOT NULL
        UNION ALL
        SELECT (SELECT min(category) FROM complaints WHERE category > seen.label)
        FROM seen WHERE seen.label IS NOT NULL LIMIT 1000)
    SELECT label FROM seen WHERE label IS NOT NULL"""


def categories(conn: sqlite3.Connection, incomplete: str) -> list[str]:
    """The categories in use, as first typed (the category table; a file whose complaints
    came in before it was kept, from the complaints themselves)."""
    try:
        rows = conn.execute("SELECT label FROM complaint_categories ORDER BY label").fetchall()
    except sqlite3.OperationalError:  # an older file, before the category table
        rows = []
    if not rows:
        rows = conn.execute(_CATEGORIES_IN_COMPLAINTS).fetchall()
    keys = fold_all([incomplete, *(label for (label,) in rows)])
    return [label for (label,), folded in zip(rows, keys[1:], strict=True)
            if folded.startswith(keys[0])][:LIMIT]
