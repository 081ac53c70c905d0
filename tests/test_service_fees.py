"""Service fees are money: integer minor units with the site's currency, never a float.

Design rule (brief, "Money is exact"): "integer minor units, never floats". The first schema
kept ``services.fee`` as a float; the upgrade converts it once and every fee typed since is
parsed exactly, like invoice and payment amounts.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli

FIXTURES = Path(__file__).parent / "fixtures"


def _services(cli: Cli, *at: str) -> list[dict[str, object]]:
    listed = json.loads(cli.ok(*at, "service", "list", "--format", "json"))
    return [{k: s[k] for k in ("id", "fee", "fee_minor", "currency")} for s in listed]


@pytest.mark.parametrize(("typed", "minor", "shown"), [
    ("0", 0, "0.00"),            # work done free of charge
    ("80", 8000, "80.00"),
    ("80.5", 8050, "80.50"),
    ("80.55", 8055, "80.55"),
    ("0.1", 10, "0.10"),         # a float would keep 0.1000000000000000055…
    ("1,200.30", 120030, "1200.30"),
    ("¥300", 30000, "300.00"),
])
def test_a_typed_fee_is_kept_exactly(cli: Cli, typed: str, minor: int, shown: str) -> None:
    cli.ok("customer", "add", "李四")
    cli.ok("service", "log", "李四", "更換門鎖", "--type", "paid", "--fee", typed)
    assert _services(cli) == [{"id": 1, "fee": shown, "fee_minor": minor, "currency": "CNY"}]


def test_a_fee_follows_the_sites_currency(cli: Cli) -> None:
    cli.ok("policy", "set", "currency", "JPY")
    cli.ok("customer", "add", "李四")
    cli.ok("service", "log", "李四", "更換門鎖", "--type", "paid", "--fee", "1500")
    assert _services(cli) == [{"id": 1, "fee": "1500", "fee_minor": 1500, "currency": "JPY"}]
    assert cli("service", "log", "李四", "更換門鎖", "--type", "paid", "--fee", "1500.5") == (
        2, "", "Error: --fee: 1500.5 JPY has more than 0 decimal places.\n")


def test_no_fee_stays_empty(cli: Cli) -> None:
    cli.ok("customer", "add", "李四")
    cli.ok("service", "log", "李四", "清洗濾網", "--type", "maintenance")
    assert _services(cli) == [{"id": 1, "fee": None, "fee_minor": None, "currency": None}]


@pytest.mark.parametrize(("currency", "stored", "minor", "shown"), [
    (None, 1200.0, 120000, "1200.00"),        # the default currency, CNY
    (None, 80.5, 8050, "80.50"),
    (None, 0.1 + 0.2, 30, "0.30"),            # 0.30000000000000004 → 30 分
    (None, 19.99, 1999, "19.99"),             # 19.99 * 100 = 1998.9999999999998
    ("JPY", 1500.0, 1500, "1500"),
    ("KWD", 2.5, 2500, "2.500"),
])
def test_the_upgrade_turns_stored_float_fees_into_minor_units(
        cli: Cli, tmp_path: Path, currency: str | None, stored: float, minor: int,
        shown: str) -> None:
    path = tmp_path / "site.db"
    shutil.copyfile(FIXTURES / "schema-v10.db", path)
    path.chmod(0o600)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE services SET fee = ? WHERE id = 1", (stored,))
        if currency:
            conn.execute("INSERT INTO policy_settings (key, value, set_at, set_by) "
                         "VALUES ('currency', ?, '2026-10-09T00:00:00Z', 'admin')",
                         (currency,))
    conn.close()
    assert _services(cli, "--db", str(path)) == [
        {"id": 1, "fee": shown, "fee_minor": minor, "currency": currency or "CNY"}]
    conn = sqlite3.connect(path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(services)")]
    finally:
        conn.close()
    assert "fee" not in columns and "fee_minor" in columns
