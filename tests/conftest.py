"""Shared fixtures: no test touches a real database, and the clock is fixed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

from crmcli import dates, i18n
from crmcli.cli import app

FIXED_NOW = "2026-11-20T10:00:00+08:00"

# Under CI the property tests draw the same examples every run (a submission's result must not
# depend on the draw); `pytest -m slow` and local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Building the Click command tree from the Typer app is most of an in-process run's cost
# (~25 ms); build it once per app so the CLI tests stay fast.
_commands: dict[int, Any] = {}
_build_command: Callable[[typer.Typer], Any] = typer.main.get_command


def _cached_command(typer_app: typer.Typer) -> Any:
    key = id(typer_app)
    if key not in _commands:
        _commands[key] = _build_command(typer_app)
    return _commands[key]


typer.testing._get_command = _cached_command  # type: ignore[attr-defined,assignment]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point CRMCLI_DB at a temporary file, fix the clock and the zone, drop colour."""
    db = tmp_path / "crm.db"
    monkeypatch.setenv("CRMCLI_DB", str(db))
    monkeypatch.setenv("CRMCLI_NOW", FIXED_NOW)
    monkeypatch.setenv("CRMCLI_USER", "tester")
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    monkeypatch.delenv("CRMCLI_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # English unless a test asks for another language (CRMCLI_LANG or policy language).
    monkeypatch.delenv("CRMCLI_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.use_policy(None)
    time.tzset()
    dates.use_site("Asia/Shanghai")  # what a database made here records; opening one sets it
    yield db
    i18n.use_policy(None)
    monkeypatch.undo()
    time.tzset()
    dates.use_site("UTC")


@pytest.fixture
def set_tz(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Run under another ``TZ``; the pure date functions follow the site zone, set alike."""

    def setter(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        dates.use_site(zone)

    return setter


class Cli:
    """Run crmcli in-process as a user would type it; returns (exit code, stdout, stderr)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runner = CliRunner()
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, now: str | None = None, input: str | None = None
                 ) -> tuple[int, str, str]:
        if now is not None:
            self.monkeypatch.setenv("CRMCLI_NOW", now)
        result = self.runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str, now: str | None = None) -> str:
        code, out, err = self(*args, now=now)
        assert code == 0, f"exit {code}: {err}{out}"
        return out


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> Cli:
    runner = Cli(monkeypatch)
    runner.ok("init")
    return runner


@pytest.fixture
def db_path(isolated: Path) -> Path:
    return isolated


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
