"""A list on a terminal shows its first screens at once (issue "fits the screen": 50 000
customers left a blank screen for two minutes). Pipes, cron, files and the machine formats
always get every row; an explicit --limit is what the person asked for."""

from __future__ import annotations

import io
import re

import pytest
from conftest import Cli
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.commands._common import AppState
from crmcli.env import Env


@pytest.fixture
def many(cli: Cli) -> Cli:
    for n in range(7):
        cli.ok("customer", "add", f"客戶{n}")
    return cli


def _on_screen(*args: str, rows: int = 5) -> tuple[list[str], str]:
    screen, errors = io.StringIO(), io.StringIO()
    terminal = AppState(env=Env(stdout=screen, stderr=errors, stdout_isatty=True,
                                screen_rows=rows))
    result = CliRunner().invoke(app, list(args), obj=terminal)
    assert result.exit_code == 0, result.output
    names = re.findall(r"客戶\d", screen.getvalue())
    return names, errors.getvalue()


def test_a_long_list_on_a_terminal_shows_its_first_rows_and_says_there_are_more(
        many: Cli) -> None:
    names, said = _on_screen("customer", "list", rows=5)
    assert names == ["客戶0", "客戶1", "客戶2", "客戶3", "客戶4"]
    assert said == ("Showing the first 5 rows; more match. Narrow the list, give --limit N "
                    "for more, or --format csv for every row.\n")


@pytest.mark.parametrize(("rows", "shown"), [(6, 6), (7, 7), (8, 7)])
def test_a_list_that_fits_says_nothing(many: Cli, rows: int, shown: int) -> None:
    names, said = _on_screen("customer", "list", rows=rows)
    assert len(names) == shown
    assert said == ("" if shown == 7 else
                    f"Showing the first {rows} rows; more match. Narrow the list, give "
                    "--limit N for more, or --format csv for every row.\n")


def test_an_explicit_limit_is_what_the_person_asked_for(many: Cli) -> None:
    names, said = _on_screen("customer", "list", "--limit", "6", rows=5)
    assert len(names) == 6 and said == ""


def test_a_pipe_and_the_machine_formats_get_every_row(many: Cli) -> None:
    assert many.ok("customer", "list").count("客戶") == 7  # CliRunner's output is a pipe
    names, said = _on_screen("customer", "list", "--format", "csv", rows=5)
    assert len(names) == 7 and said == ""
