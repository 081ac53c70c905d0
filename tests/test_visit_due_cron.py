"""`crmcli visit due` as cron runs it: the installed script, no terminal, TZ set, a fixed clock.

The database is prepared in-process; the run under test is the console script next to the
interpreter, in a subprocess with a bare environment, its output captured through pipes (so not
a terminal) and compared byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

SCRIPT = Path(sys.executable).parent / "crmcli"


def cron(db: Path, tmp_path: Path, *args: str, now: str = "2026-11-21T07:00:00+08:00"
         ) -> subprocess.CompletedProcess[bytes]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "TZ": "Asia/Shanghai",
        "TERM": "xterm-256color",  # cron mail must carry no colour even when TERM says it could
        "CRMCLI_NOW": now,
        "CRMCLI_USER": "cron",
    }
    return subprocess.run([str(SCRIPT), "--db", str(db), "visit", "due", *args], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                          check=False)


@pytest.fixture
def site(cli: Cli, db_path: Path) -> Path:
    """By the next morning's run: a complaint follow-up overdue, a repair follow-up due."""
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "空調不製冷", "--at", "2026-11-18 09:40")
    cli.ok("complaint", "close", "1", "--resolution", "更換壓縮機", "--at", "2026-11-19 17:30")
    cli.ok("customer", "add", "李四")
    cli.ok("service", "log", "李四", "更換UPS電池", "--type", "repair", "--by", "王師傅",
           "--received-by", "張三", "--at", "2026-11-20 08:00")
    return db_path


def test_the_script_is_installed() -> None:
    assert SCRIPT.exists(), f"crmcli is not installed next to {sys.executable}"


def test_cron_mail_is_a_plain_table_and_exit_3_when_something_is_overdue(
        site: Path, tmp_path: Path) -> None:
    result = cron(site, tmp_path, "--fail-on-overdue")
    assert result.returncode == 3
    assert result.stderr == b""
    assert result.stdout.decode("utf-8") == (
        "customer    kind       due               status           owner    method        "
        "reason\n"
        "----------  ---------  ----------------  ---------------  -------  ------------  "
        "------------------------------------------\n"
        "王小明      complaint  2026-11-20 17:30  OVERDUE 13h 30m  tester   phone/wechat  "
        "follow-up (回訪) of complaint #1\n"
        "李四        repair     2026-11-21 08:00  due today        張三                   "
        "follow-up (回訪) of repair #1: 更換UPS電池\n"
    )


def test_without_the_flag_overdue_items_still_exit_0(site: Path, tmp_path: Path) -> None:
    result = cron(site, tmp_path, "--format", "csv")
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode("utf-8") == (
        "customer_id,customer,kind,due,overdue,complaint_id,reason,owner,method,visit_id,"
        "service_id\r\n"
        "1,王小明,complaint,2026-11-20T17:30:00+08:00,true,1,follow-up (回訪) of complaint #1,"
        "tester,phone/wechat,1,\r\n"
        "2,李四,repair,2026-11-21T08:00:00+08:00,false,,follow-up (回訪) of repair #1: "
        "更換UPS電池,張三,,2,1\r\n"
    )


@pytest.mark.parametrize(("fmt", "expected"), [
    ("table", b""),
    ("json", b"[]\n"),
    ("csv", b"customer_id,customer,kind,due,overdue,complaint_id,reason,owner,method,visit_id,"
            b"service_id\r\n"),
])
def test_nothing_due_prints_nothing_and_exits_0(cli: Cli, db_path: Path, tmp_path: Path,
                                               fmt: str, expected: bytes) -> None:
    cli.ok("customer", "add", "王小明")  # first contact due in a week; nothing today
    result = cron(db_path, tmp_path, "--fail-on-overdue", "--format", fmt)
    assert (result.returncode, result.stdout, result.stderr) == (0, expected, b"")


def test_a_mistyped_database_path_fails_loudly_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = cron(missing, tmp_path)
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode("utf-8").startswith(f"Error: No database at {missing}")
    assert not missing.exists()


def test_one_cron_run_lists_the_front_desk_kinds_beside_the_others(
        site: Path, cli: Cli, tmp_path: Path) -> None:
    """A request owed a reply, an unsigned notice and a recurring notice reach the morning
    mail in one list with the rest, most overdue first."""
    cli.ok("customer", "edit", "王小明", "--since", "2025-01-01")
    cli.ok("request", "open", "李四", "停車位", "--at", "2026-11-19 08:30")
    cli.ok("notice", "send", "消防通知", "--kind", "fire-safety", "--to", "王小明",
           "--sign-off", "--at", "2026-11-17 09:00")
    cli.ok("policy", "set", "notice.every.weather", "2w", now="2026-11-01T09:00:00+08:00")
    result = cron(site, tmp_path, "--format", "csv", now="2026-12-20T07:00:00+08:00")
    assert result.returncode == 0 and result.stderr == b""
    kinds = [line.split(",")[2] for line in result.stdout.decode().splitlines()[1:]]
    assert {"reply", "signoff", "notice"} <= set(kinds)
    assert kinds.index("reply") < kinds.index("signoff")  # 11-20 08:30 before 09:00
    assert b"\x1b" not in result.stdout
