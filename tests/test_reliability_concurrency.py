"""Cron and people at once: several crmcli processes on one database file, writing and reading
together. No "database is locked" reaches anyone, every command succeeds, no write is lost and
the counts add up (SPEC §4 "Nothing lost": WAL, a busy timeout, BEGIN IMMEDIATE).

Two kinds of run: the installed script, one process per command as a person and cron run it;
and a hammer, processes that each run hundreds of commands back to back through the same entry
point, so that write transactions really do collide.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "crmcli"
NOW = "2026-11-20T10:00:00+08:00"


def environment(db: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("CRMCLI_")}
    values.update({"CRMCLI_DB": str(db), "CRMCLI_NOW": NOW, "CRMCLI_USER": "tester",
                   "TZ": "Asia/Shanghai", "NO_COLOR": "1"})
    return values


@dataclass
class Log:
    """Every command run, with what it said; shared by the threads that drive the processes."""

    runs: list[tuple[list[str], int, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, env: dict[str, str], *args: str) -> str:
        done = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        with self.lock:
            self.runs.append((list(args), done.returncode, done.stdout, done.stderr))
        return done.stdout

    def failures(self) -> list[tuple[list[str], int, str]]:
        return [(args, code, err) for args, code, _, err in self.runs
                if code != 0 or "Error" in err or "locked" in err or "busy" in err]


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return {
            "customers": conn.execute("SELECT count(*) FROM customers").fetchone()[0],
            "contacts": conn.execute("SELECT count(*) FROM visits WHERE kind = 'routine' "
                                     "AND done_at IS NOT NULL").fetchone()[0],
            "complaints": conn.execute("SELECT count(*) FROM complaints").fetchone()[0],
            "closed": conn.execute("SELECT count(*) FROM complaints WHERE status = 'closed'"
                                   ).fetchone()[0],
            "opened_events": conn.execute("SELECT count(*) FROM complaint_events "
                                          "WHERE action = 'opened'").fetchone()[0],
            "followups": conn.execute("SELECT count(*) FROM visits WHERE kind = 'complaint' "
                                      "AND cancelled_at IS NULL").fetchone()[0],
        }
    finally:
        conn.close()


def write_csv(path: Path, prefix: str, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "segment", "tags"])
        for i in range(rows):
            writer.writerow([f"{prefix}{i:05d}", f"1390013{i:04d}", "tenant", "批量"])
    return path


def people_and_cron(tmp_path: Path, rounds: int, imported: int) -> None:
    db = tmp_path / "crm.db"
    env = environment(db)
    log = Log()
    log.run(env, "init")
    done = threading.Event()

    def writer(name: str) -> None:
        log.run(env, "customer", "import", str(write_csv(tmp_path / f"{name}.csv",
                                                          f"{name}批量", imported)))
        for i in range(rounds):
            customer = f"{name}客戶{i}"
            log.run(env, "customer", "add", customer, "--phone", f"13800138{i:03d}")
            log.run(env, "visit", "log", customer, "--method", "phone", "--satisfaction", "4")
            opened = json.loads(log.run(env, "complaint", "open", customer, "空調噪音",
                                        "--category", "空調", "--format", "json") or "{}")
            log.run(env, "complaint", "close", str(opened.get("id", 0)),
                    "--resolution", "已更換風扇")

    def cron() -> None:
        while not done.is_set():
            log.run(env, "complaint", "sweep")
            json.loads(log.run(env, "visit", "due", "--format", "json"))
            json.loads(log.run(env, "complaint", "list", "--format", "json"))
            json.loads(log.run(env, "report", "monthly", "--format", "json"))

    writers = [threading.Thread(target=writer, args=(name,)) for name in ("甲", "乙")]
    reader = threading.Thread(target=cron)
    for thread in (*writers, reader):
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()

    assert log.failures() == []
    assert "integrity ok" in log.run(env, "check")
    expected = 2 * rounds
    assert counts(db) == {"customers": expected + 2 * imported, "contacts": expected,
                          "complaints": expected, "closed": expected,
                          "opened_events": expected, "followups": expected}
    print(f"{len(log.runs)} crmcli processes ({2 * (4 * rounds + 1)} writes) on one file: "
          "all exit 0, nothing lost")


def test_people_writing_while_cron_sweeps_and_reads(tmp_path: Path) -> None:
    people_and_cron(tmp_path, rounds=3, imported=1000)


@pytest.mark.slow
def test_people_writing_while_cron_sweeps_and_reads_for_a_while(tmp_path: Path) -> None:
    people_and_cron(tmp_path, rounds=40, imported=20000)


# --- the hammer -------------------------------------------------------------------------------

# One process: run crmcli commands back to back through its entry point, each with a connection
# of its own as a separate process would have; print one JSON line per command.
HAMMER = r"""
import json, sys
from typer.testing import CliRunner
from crmcli.cli import app

role, count = sys.argv[1], int(sys.argv[2])
runner = CliRunner()

def run(*args):
    result = runner.invoke(app, list(args))
    print(json.dumps([list(args), result.exit_code, result.stderr,
                      repr(result.exception) if result.exit_code else ""]), flush=True)
    return result.stdout

for i in range(count):
    if role == "cron":
        run("complaint", "sweep")
        run("visit", "due", "--format", "json")
        run("complaint", "list", "--status", "open", "--format", "json")
        continue
    name = f"{role}-{i}"
    run("customer", "add", name, "--tag", role)
    run("visit", "log", name, "--method", "wechat")
    opened = json.loads(run("complaint", "open", name, "門禁失靈", "--format", "json") or "{}")
    run("complaint", "respond", str(opened.get("id", 0)))
    run("complaint", "close", str(opened.get("id", 0)), "--resolution", "已修復")
"""


def hammer(tmp_path: Path, writers: int, rounds: int, check: Callable[[int], None]) -> None:
    db = tmp_path / "crm.db"
    env = environment(db)
    assert subprocess.run([str(SCRIPT), "init"], env=env, capture_output=True,
                          check=False).returncode == 0
    roles = [f"w{n}" for n in range(writers)] + ["cron"]
    began = time.monotonic()
    processes = [subprocess.Popen([sys.executable, "-c", HAMMER, role,
                                   str(rounds if role != "cron" else rounds // 2)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for role in roles]
    lines: list[list[object]] = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        lines += [json.loads(line) for line in out.splitlines()]
    elapsed = time.monotonic() - began
    failed = [line for line in lines if line[1] != 0 or line[2]]
    assert failed == []
    expected = writers * rounds
    assert counts(db) == {"customers": expected, "contacts": expected, "complaints": expected,
                          "closed": expected, "opened_events": expected,
                          "followups": expected}
    check(len(lines))
    print(f"{len(lines)} commands from {len(roles)} processes in {elapsed:.1f}s "
          f"({writers * rounds * 5} writes): all exit 0, nothing lost")


def test_colliding_writers_and_cron_lose_nothing(tmp_path: Path) -> None:
    hammer(tmp_path, writers=2, rounds=15, check=lambda n: None)


@pytest.mark.slow
def test_colliding_writers_and_cron_lose_nothing_at_length(tmp_path: Path) -> None:
    hammer(tmp_path, writers=4, rounds=400, check=lambda n: None)
