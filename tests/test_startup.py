"""Start-up stays close to bare Python: what `--help` and a cron `visit due` import.

Each run is a fresh interpreter, so the modules it loads are exactly those its path needs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

HEAVY = {"rich", "dateutil", "holidays", "sqlite_utils", "tabulate", "wcwidth", "csv"}
PROBE = """
import sys
from crmcli.cli import main
sys.argv = ["crmcli", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)))
"""


def loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          check=True, timeout=60)
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
    assert commands <= {"crmcli.commands._common", "crmcli.commands.visit"}
    heavy = top(modules) & HEAVY
    assert not heavy
