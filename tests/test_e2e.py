"""The installed console script, run as cron and a shell would run it: a separate process, pipes,
exit codes, nothing but data on stdout and one line on stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli import __version__

SCRIPT = Path(sys.executable).parent / "crmcli"


def environment(folder: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items()
              if not k.startswith("CRMCLI_") and k != "NO_COLOR"}
    values.update({
        "CRMCLI_DB": str(folder / "site.db"), "CRMCLI_NOW": "2026-11-20T10:00:00+08:00",
        "CRMCLI_USER": "cron", "TZ": "Asia/Shanghai", "TERM": "xterm-256color",
        "HOME": str(folder / "home"), "XDG_CONFIG_HOME": str(folder / "config"),
        "COLUMNS": "60",
    })
    return values


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database made once by `crmcli init` in a process of its own, copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    ok(environment(folder), "init")
    return folder / "site.db"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path)


@pytest.fixture
def site(env: dict[str, str], fresh_db: Path) -> dict[str, str]:
    shutil.copy2(fresh_db, env["CRMCLI_DB"])
    return env


def run(env: dict[str, str], *args: str, shell: str | None = None
        ) -> subprocess.CompletedProcess[bytes]:
    command: str | list[str] = shell if shell is not None else [str(SCRIPT), *args]
    return subprocess.run(command, env=env, capture_output=True, timeout=60,
                          shell=shell is not None, check=False)


def ok(env: dict[str, str], *args: str) -> str:
    done = run(env, *args)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def one_error_line(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode()
    assert done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("Error: "), err
    assert "Traceback" not in err
    return err


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"no crmcli next to {sys.executable}; pip install the project"


def test_version_from_the_script_and_from_python_m(env: dict[str, str]) -> None:
    assert ok(env, "--version") == f"crmcli {__version__}\n"
    done = subprocess.run([sys.executable, "-m", "crmcli", "--version"], env=env,
                          capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stdout.decode()) == (0, f"crmcli {__version__}\n")


def test_a_working_day_through_pipes(site: dict[str, str]) -> None:
    env = site
    assert ok(env, "customer", "add", "王小明", "--unit", "A-1201") == (
        "Added customer #1 王小明 (at 2026-11-20 10:00).\n")
    out = ok(env, "complaint", "open", "王小明", "空調不製冷", "--category", "空調",
             "--at", "09:40")
    assert out.startswith("Opened complaint #1 (minor) for 王小明 at ")
    table = ok(env, "complaint", "list")
    assert "\x1b" not in table  # a pipe gets no colour even on a colour terminal
    assert "王小明" in table and "空調不製冷" in table
    assert len(max(table.splitlines(), key=len)) > 60  # not wrapped to COLUMNS
    raw = run(env, "complaint", "list", "-f", "csv").stdout
    assert raw.startswith(b"id,customer_id,customer,severity,status,")
    assert raw.count(b"\r\n") == 2 and raw.endswith(b"\r\n")
    assert "空調不製冷".encode() in raw
    rows = json.loads(ok(env, "complaint", "list", "-f", "json"))
    assert [(r["id"], r["opened_at"]) for r in rows] == [(1, "2026-11-20T09:40:00+08:00")]
    bom = run(env, "customer", "export", "--bom").stdout
    assert bom.startswith(b"\xef\xbb\xbfid,name,")


def test_sweep_from_cron_is_silent_when_there_is_nothing_to_do(site: dict[str, str]) -> None:
    done = run(site, "complaint", "sweep")
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_a_missing_database_is_one_line_exit_1(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    done = run(env, "--db", str(missing), "customer", "list")
    assert done.returncode == 1
    err = one_error_line(done)
    assert str(missing) in err and "init" in err
    assert not missing.exists()


@pytest.mark.parametrize(("args", "code"), [
    (["complaint", "open", "王小明", "漏水", "--at", "whenever"], 2),
    (["customer", "list", "--no-such-option"], 2),
    (["complaint", "close", "7", "--resolution", "done"], 1),
    (["customer", "show", "無名氏"], 1),
])
def test_errors_are_one_line_on_stderr(site: dict[str, str], args: list[str], code: int) -> None:
    done = run(site, *args)
    assert done.returncode == code, done.stderr.decode()
    one_error_line(done)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_shows_the_traceback(env: dict[str, str], tmp_path: Path, how: str) -> None:
    missing = str(tmp_path / "typo.db")
    if how == "option":
        done = run(env, "--debug", "--db", missing, "customer", "list")
    else:
        done = run({**env, "CRMCLI_DEBUG": "1"}, "--db", missing, "customer", "list")
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "Traceback" in err
    assert "DatabaseProblem" in err


def test_a_closed_pipe_ends_quietly(site: dict[str, str], tmp_path: Path) -> None:
    env = site
    rows = "".join(f"客戶{i:05d},1380013{i:04d}\n" for i in range(3000))
    source = tmp_path / "many.csv"
    source.write_text("name,phone\n" + rows, encoding="utf-8")
    ok(env, "customer", "import", str(source))
    done = run(env, shell=f"'{SCRIPT}' customer list -f csv | head -n 2")
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[1].startswith("1,客戶00000,")
    assert done.stderr == b""
