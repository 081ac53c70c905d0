"""Service fees in integer minor units, like every other amount of money."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script


def m014_service_fees_in_minor_units(conn: sqlite3.Connection) -> None:
    """``services.fee`` (a float since the first schema) becomes ``fee_minor`` (integer minor
    units, 分 for CNY) with the site's ``currency`` on the row, as invoices and payments keep
    theirs. A fee typed before (``80``, ``80.5``) is rounded to the nearest minor unit once,
    here; from now on a fee is parsed exactly and never passes through a float.
    """
    from crmcli import money  # only when upgrading, not on every connection

    row = conn.execute("SELECT value FROM policy_settings WHERE key = 'currency' "
                       "ORDER BY set_at DESC, id DESC LIMIT 1").fetchone()
    currency = str(row[0]) if row else "CNY"
    scale = 10 ** money.exponent(currency)
    execute_script(
        conn,
        """
        ALTER TABLE services ADD COLUMN fee_minor INTEGER CHECK (fee_minor >= 0);
        ALTER TABLE services ADD COLUMN currency TEXT;
        """,
    )
    conn.execute("UPDATE services SET fee_minor = CAST(round(fee * ?) AS INTEGER), "
                 "currency = ? WHERE fee IS NOT NULL", (scale, currency))
    conn.execute("ALTER TABLE services DROP COLUMN fee")
