"""Shell completion knows the data: customers, open complaints, categories in use, methods,
kinds and policy keys — asked through Click's completion protocol, as a shell asks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import Cli
from typer.testing import CliRunner

from crmcli.cli import app


def complete(line: str, db: Path | None = None) -> list[str]:
    """The candidates a shell gets for the last word of ``line`` (bash's protocol)."""
    words = line.split(" ")
    env = {"_CRMCLI_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1)}
    if db is not None:
        env["CRMCLI_DB"] = str(db)
    result = CliRunner().invoke(app, [], env=env, prog_name="crmcli")
    return [line for line in result.output.splitlines() if line]


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "謝麗華", "--unit", "8B")
    cli.ok("customer", "add", "謝建國")
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "謝麗華", "漏水", "--category", "漏水", "--at", "08:00")
    cli.ok("complaint", "open", "王小明", "噪音", "--category", "噪音", "--at", "08:10")
    cli.ok("complaint", "open", "王小明", "空調", "--category", "空調", "--at", "08:20")
    cli.ok("complaint", "close", "2", "--resolution", "已處理")
    return cli


def test_customer_names_and_ids(site: Cli) -> None:
    assert complete("crmcli customer show 謝") == ["謝麗華", "謝建國"]  # by folded name
    assert complete("crmcli complaint open 王") == ["王小明"]
    assert complete("crmcli visit log 1") == ["1"]
    assert complete("crmcli complaint list --customer 謝麗") == ["謝麗華"]


def test_open_complaint_ids_newest_first(site: Cli) -> None:
    assert complete("crmcli complaint respond ") == ["3", "1"]  # #2 is closed
    assert complete("crmcli visit log 王小明 --complaint 3") == ["3"]


def test_categories_in_use(site: Cli) -> None:
    assert complete("crmcli complaint list --category ") == ["噪音", "漏水", "空調"]
    assert complete("crmcli complaint open 王小明 x --category 空") == ["空調"]


@pytest.mark.parametrize(("line", "expected"), [
    ("crmcli visit log 王小明 --method ", ["phone", "wechat", "in-person", "email", "letter"]),
    ("crmcli visit log 王小明 --method w", ["wechat"]),
    ("crmcli visit schedule 王小明 --kind s", ["survey"]),
    ("crmcli visit due --kind f", ["followup"]),
    ("crmcli service log 王小明 x --type ", ["repair", "maintenance", "paid"]),
    ("crmcli complaint open 王小明 x --channel h", ["hotline"]),
    ("crmcli policy set res", ["response_hours", "resolve_hours", "residence_visit_months"]),
    ("crmcli policy set cadence.", ["cadence.tag.", "cadence.segment."]),
    ("crmcli cust", ["customer"]),
])
def test_fixed_words(cli: Cli, line: str, expected: list[str]) -> None:
    assert complete(line) == expected


def test_no_database_completes_nothing_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert complete("crmcli customer show ", missing) == []
    assert not missing.exists()


def test_completion_is_quick(site: Cli) -> None:
    for _ in range(3):  # once to warm the imports, then as a shell would ask
        started = time.perf_counter()
        complete("crmcli customer show 謝")
        elapsed = time.perf_counter() - started
    assert elapsed < 0.2
