"""Start-up stays close to bare Python: what `--help` and a cron `visit due` import.

Each run is a fresh interpreter, so the modules it loads are exactly those its path needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

HEAVY = {"rich", "dateutil", "holidays", "sqlite_utils", "tabulate", "wcwidth", "csv"}
PROBE = """
import sys
from crmcli.launch import main
sys.argv = ["crmcli", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)))
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          check=True, timeout=60, env={**os.environ, **(env or {})})
    return set(done.stderr.rsplit("\nMODULES ", 1)[1].split())


def top(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_help_imports_no_command_module_and_nothing_heavy() -> None:
    modules = loaded("--help")
    assert not {m for m in modules if m.startswith("crmcli.commands.")}
    heavy = top(modules) & (HEAVY | {"json"})
    assert not heavy
    assert "crmcli.services" not in modules and "sqlite3" not in modules


@pytest.mark.parametrize("empty", [True, False])
def test_a_cron_visit_due_imports_only_its_own_path(cli: Cli, db_path: Path,
                                                    empty: bool) -> None:
    if not empty:
        cli.ok("customer", "add", "王小明", "--since", "2026-01-01")
    modules = loaded("--db", str(db_path), "visit", "due")
    commands = {m for m in modules if m.startswith("crmcli.commands.")}
    # in a pipe, as cron runs it: answered before Typer (crmcli.quickdue), no other command
    assert commands <= {"crmcli.commands.base", "crmcli.commands.due"}
    assert not top(modules) & (HEAVY | {"typer", "click"})


@pytest.mark.parametrize("line", ["crmcli customer show 谢", "crmcli complaint respond ",
                                  "crmcli visit due --kind f", "crmcli policy set res"])
def test_shell_completion_of_data_builds_no_command(cli: Cli, db_path: Path, line: str) -> None:
    """A shell asks on every Tab: a name, an open complaint, a kind or a policy key is answered
    before Typer, Click or any command module is imported (crmcli.quickcomplete)."""
    cli.ok("customer", "add", "謝麗華")
    env = {"CRMCLI_DB": str(db_path), "_CRMCLI_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(line.split(" ")) - 1)}
    modules = loaded(env=env)
    assert not top(modules) & (HEAVY | {"typer", "click"})
    assert not {m for m in modules if m.startswith(("crmcli.commands", "crmcli.cli"))}
    assert "crmcli.policy" not in modules and "crmcli.services.agenda" not in modules
