"""Cron's `visit due` runs before Typer is imported (crmcli.quickdue), and says exactly what the
Typer command says: the same list, the same one-line errors, the same exit codes. A line it
does not take is left to Typer, whose messages it never imitates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli.quickdue import parse

SAMPLE = Path(__file__).parent.parent / "sample.db"
MORNING = "2026-11-23T08:00:00+08:00"  # the sample site's morning (README's first command)
# Runs crmcli as the installed program does (launch.main), or straight through Typer
# (cli.main), and says whether Typer was imported.
RUN = """
import sys
which, args = sys.argv[1], sys.argv[2:]
sys.argv = ["crmcli", *args]
if which == "launch":
    from crmcli.launch import main
else:
    from crmcli.cli import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
sys.stdout.flush()
sys.stderr.write("\\nTYPER %s CODE %d" % ("typer" in sys.modules, code))
"""


def run(which: str, *args: str, env: dict[str, str] | None = None
        ) -> tuple[str, str, int, bool]:
    """stdout, stderr, exit code, and whether Typer was imported."""
    done = subprocess.run([sys.executable, "-c", RUN, which, *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})
    err, _, tail = done.stderr.rpartition("\nTYPER ")
    typer_loaded, _, code = tail.partition(" CODE ")
    return done.stdout, err, int(code), typer_loaded == "True"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "site.db"
    shutil.copyfile(SAMPLE, path)
    monkeypatch.setenv("CRMCLI_NOW", MORNING)
    monkeypatch.setenv("CRMCLI_DB", str(path))
    return path


TAKEN = [
    ["visit", "due"],
    ["visit", "due", "--format", "csv"],
    ["visit", "due", "-f", "tsv", "--within", "2w"],
    ["visit", "due", "--format=json", "--kind", "followup", "--kind=cadence"],
    ["visit", "due", "--format", "jsonl", "--owner", "張片區經理"],
    ["visit", "due", "--limit", "7"],
    ["visit", "due", "-n", "3", "--format", "csv", "--bom"],
    ["visit", "due", "--summary"],
    ["visit", "due", "--summary", "--fail-on-overdue"],
    ["visit", "due", "--fail-on-overdue", "--format", "csv"],
    ["visit", "due", "--show-skipped", "--within", "1mo"],
    ["visit", "due", "--kind", "invoice", "--kind", "renewal", "--no-bom"],
    ["visit", "due", "--kind", "nonsense"],  # a service refuses it: exit 2, one line
    ["visit", "due", "--within", "99y"],  # too far ahead: exit 2
    ["visit", "due", "--summary", "--format", "csv"],  # choose one: exit 2
    ["visit", "due", "--owner", "nobody"],  # nothing due: the list's empty form
]


@pytest.mark.parametrize("args", TAKEN, ids=[" ".join(a) for a in TAKEN])
def test_a_cron_line_is_answered_before_typer_exactly_as_typer_answers(site: Path,
                                                                       args: list[str]) -> None:
    quick = run("launch", *args)
    typed = run("cli", *args)
    assert quick[3] is False and typed[3] is True
    assert quick[:3] == typed[:3]


def test_the_database_can_be_named_on_the_line_and_a_missing_one_is_one_line(
        site: Path, tmp_path: Path) -> None:
    for args in (["--db", str(site), "visit", "due", "--limit", "4"],
                 [f"--db={site}", "visit", "due", "--format", "csv"],
                 ["--db", str(tmp_path / "none.db"), "visit", "due"]):
        quick, typed = run("launch", *args), run("cli", *args)
        assert quick[3] is False
        assert quick[:3] == typed[:3]
    out, err, code, _ = run("launch", "--db", str(tmp_path / "none.db"), "visit", "due")
    assert (out, code) == ("", 1) and err.startswith("Error: No database at ")
    assert err.count("\n") == 1


LEFT_TO_TYPER = [
    ["visit", "due", "--help"],
    ["visit", "due", "--limit", "0"],
    ["visit", "due", "--limit", "x"],
    ["visit", "due", "--format", "xlsx"],
    ["visit", "due", "--format", "CSV"],
    ["visit", "due", "--output", "due.csv"],
    ["visit", "due", "--kind"],
    ["visit", "due", "--frobnicate"],
    ["visit", "due", "extra"],
    ["visit", "due", "--summary=yes"],
    ["--debug", "visit", "due"],
    ["visit", "list"],
    ["customer", "show", "due"],
    ["visit", "due", "--owner", "a\x1b[31mb"],
]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=[repr(" ".join(a)) for a in LEFT_TO_TYPER])
def test_any_other_line_is_typer_s_own(site: Path, args: list[str]) -> None:
    assert parse(args) is None or "\x1b" in "".join(args)
    quick, typed = run("launch", *args), run("cli", *args)
    assert quick[3] is True
    assert quick[:3] == typed[:3]


def test_debug_from_the_environment_is_left_to_typer(site: Path) -> None:
    assert run("launch", "visit", "due", env={"CRMCLI_DEBUG": "1"})[3] is True


def test_a_cron_visit_due_imports_neither_typer_nor_click(site: Path) -> None:
    code = ("import sys; sys.argv = ['crmcli', 'visit', 'due', '--format', 'csv']\n"
            "from crmcli.launch import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    modules = set(done.stderr.split())
    assert done.stdout.startswith("customer_id,customer,kind,due,")
    assert not {m.split(".")[0] for m in modules} & {"typer", "click", "rich"}
    assert "crmcli.cli" not in modules


def test_every_option_of_visit_due_is_read_or_left_to_typer_on_purpose() -> None:
    """A new option of `visit due` is either read by the quick path or named here as Typer's."""
    import typer.main

    from crmcli.commands import visit
    from crmcli.quickdue import _OPTIONS

    group = typer.main.get_command(visit.app)
    command = group.commands["due"]  # type: ignore[attr-defined]
    declared = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)
                if opt.startswith("-")}
    assert declared - set(_OPTIONS) == {"--output", "-o"}  # a file: Typer's command writes it
    assert set(_OPTIONS) <= declared
