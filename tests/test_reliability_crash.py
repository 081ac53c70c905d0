"""Crashes: a crmcli killed at any moment leaves the database as before or as after, never half
(SPEC §4 "Nothing lost"). Real processes of the installed script, killed with SIGKILL at random
points — half of them while the write transaction is under way — and Ctrl-C (SIGINT).
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crmcli.db import connect
from crmcli.services import Session, complaints, maintenance

SCRIPT = Path(sys.executable).parent / "crmcli"
NOW = "2026-11-20T10:00:00+08:00"
ROWS = 12000
LARGE_ROWS, LARGE_KILLS = 200_000, 30  # the slow loop at a large site's size
PENDING = 600  # minor complaints left alone for 20 days: each owes an upgrade and an escalation
KILLS, SLOW_KILLS = 20, 200
SWEEP_KILLS, SLOW_SWEEP_KILLS = 10, 100


def environment(folder: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("CRMCLI_")}
    values.update({"CRMCLI_DB": str(folder / "crm.db"), "CRMCLI_NOW": NOW,
                   "CRMCLI_USER": "cron", "TZ": "Asia/Shanghai", "NO_COLOR": "1"})
    return values


def crmcli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def fresh_copy(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "crm.db"
    shutil.copyfile(template, target)
    return target


def checkpointed(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def digest(path: Path, *tables: str) -> str:
    conn = sqlite3.connect(path)
    try:
        text = "".join(repr(conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall())
                       for t in tables)
    finally:
        conn.close()
    return hashlib.sha256(text.encode()).hexdigest()


def sound(path: Path) -> None:
    """SQLite's own checks and crmcli's (foreign keys, every complaint has its history…)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    conn = connect(path)
    try:
        assert maintenance.check(conn) == []
    finally:
        conn.close()


@dataclass
class Kill:
    writing: bool  # it was writing (its transaction, or the checkpoint as it closed) when killed
    finished: bool  # the process had already ended by itself


def run_and_kill(args: list[str], env: dict[str, str], db: Path, delay: float,
                 after_write_starts: bool) -> Kill:
    """Start crmcli; SIGKILL it ``delay`` seconds after it starts, or after it starts writing."""
    wal = Path(f"{db}-wal")
    process = subprocess.Popen([str(SCRIPT), *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    started = time.monotonic()
    if after_write_starts:
        while process.poll() is None and not (wal.exists() and wal.stat().st_size > 0):
            if time.monotonic() - started > 60:
                break
            time.sleep(0.001)
        started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < delay:
        time.sleep(0.001)
    writing = wal.exists() and wal.stat().st_size > 0
    finished = process.poll() is not None
    if not finished:
        process.kill()
    process.wait()
    return Kill(writing and not finished, finished)


@dataclass
class Timing:
    total: float  # seconds an uninterrupted run takes
    writing: float  # of which the last part, from its first write (to the WAL) to its exit


def measure(args: list[str], env: dict[str, str], db: Path) -> Timing:
    wal = Path(f"{db}-wal")
    began = time.monotonic()
    process = subprocess.Popen([str(SCRIPT), *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    first_write = None
    while process.poll() is None:
        if first_write is None and wal.exists() and wal.stat().st_size > 0:
            first_write = time.monotonic()
        time.sleep(0.001)
    ended = time.monotonic()
    assert process.returncode == 0, process.communicate()[1]
    return Timing(ended - began, ended - (first_write or ended))


def kill_at(rng: random.Random, timing: Timing, mid_write: bool) -> float:
    """Anywhere in the run, or (mid_write) somewhere in its write transaction."""
    return rng.uniform(0, timing.writing * 0.5) if mid_write else rng.uniform(0, timing.total)


# --- customer import --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def import_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Timing]]:
    """An empty database, a CSV of ROWS customers, and how long an uninterrupted import takes."""
    yield _import_site(tmp_path_factory, ROWS)


@pytest.fixture(scope="module")
def large_import_site(tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[tuple[Path, Path, Timing]]:
    yield _import_site(tmp_path_factory, LARGE_ROWS)


def _import_site(tmp_path_factory: pytest.TempPathFactory, rows: int
                 ) -> tuple[Path, Path, Timing]:
    folder = tmp_path_factory.mktemp("import")
    env = environment(folder)
    assert crmcli(env, "init").returncode == 0
    template = checkpointed(folder / "crm.db").rename(folder / "template.db")
    data = folder / "customers.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "email", "address", "segment", "tags", "since", "note"])
        for i in range(rows):
            writer.writerow([f"客戶{i:06d}", f"138{i:08d}", f"u{i}@example.com",
                             f"深圳市南山區科技園{i}號", "tenant", "VIP;新客", "2026-01-02",
                             "只接受微信聯繫"])
    db = fresh_copy(template, folder / "timing")
    return template, data, measure(["customer", "import", str(data)], environment(db.parent), db)


def import_trial(template: Path, data: Path, timing: Timing, folder: Path, seed: int,
                 rows: int = ROWS) -> Kill:
    rng = random.Random(seed)
    db = fresh_copy(template, folder)
    mid_write = seed % 2 == 1
    kill = run_and_kill(["customer", "import", str(data)], environment(folder), db,
                        kill_at(rng, timing, mid_write), after_write_starts=mid_write)
    sound(db)
    conn = sqlite3.connect(db)
    try:
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        tags = conn.execute("SELECT count(*) FROM customer_tags").fetchone()[0]
    finally:
        conn.close()
    assert (customers, tags) in ((0, 0), (rows, 2 * rows)), (seed, kill, customers, tags)
    # a large import builds the indexes after the rows, inside its transaction
    assert customer_indexes(db) == customer_indexes(template), (seed, kill)
    shutil.rmtree(folder)
    return kill


def customer_indexes(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                            "AND tbl_name = 'customers' ORDER BY name").fetchall()
    finally:
        conn.close()


def kill_imports(import_site: tuple[Path, Path, Timing], tmp_path: Path, count: int,
                 rows: int = ROWS) -> None:
    template, data, timing = import_site
    with ThreadPoolExecutor(max_workers=2) as pool:
        kills = list(pool.map(lambda seed: import_trial(template, data, timing,
                                                        tmp_path / f"kill-{seed}", seed, rows),
                              range(count)))
    writing = sum(k.writing for k in kills)
    print(f"{count} imports killed, {writing} of them mid-write: every file sound, "
          "all or nothing")
    assert writing >= count // 4, "too few kills landed while the import was writing"


def test_killing_an_import_leaves_all_or_nothing(import_site: tuple[Path, Path, Timing],
                                                 tmp_path: Path) -> None:
    kill_imports(import_site, tmp_path, KILLS)


@pytest.mark.slow
def test_killing_an_import_many_times(import_site: tuple[Path, Path, Timing],
                                      tmp_path: Path) -> None:
    kill_imports(import_site, tmp_path, SLOW_KILLS)


@pytest.mark.slow
def test_killing_a_200000_row_import(large_import_site: tuple[Path, Path, Timing],
                                     tmp_path: Path) -> None:
    kill_imports(large_import_site, tmp_path, LARGE_KILLS, LARGE_ROWS)


# --- complaint sweep --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Timing]]:
    """A site with PENDING untouched minor complaints (each owes an upgrade and an escalation),
    the digest of its complaint tables after a full sweep, and how long that sweep takes."""
    folder = tmp_path_factory.mktemp("sweep")
    env = environment(folder)
    assert crmcli(env, "init").returncode == 0
    assert crmcli(env, "customer", "add", "長期投訴戶").returncode == 0
    path = folder / "crm.db"
    conn = connect(path)
    conn.execute("PRAGMA synchronous = OFF")  # building only; the sweep runs as shipped
    opened = datetime.fromisoformat(NOW) - timedelta(days=20)
    session = Session(conn, opened, "builder")
    for i in range(PENDING):
        session.now = opened + timedelta(minutes=i)
        complaints.open_complaint(session, "長期投訴戶", f"第{i}次：電梯異響", severity="minor",
                                  category=f"類別{i}", channel=None, at=None, by=None,
                                  owner=None, note=None)
    conn.close()
    template = checkpointed(path).rename(folder / "template.db")
    db = fresh_copy(template, folder / "timing")
    timing = measure(["complaint", "sweep"], environment(db.parent), db)
    conn = sqlite3.connect(db)
    automatic = conn.execute("SELECT count(*) FROM complaint_events WHERE automatic = 1"
                             ).fetchone()[0]
    conn.close()
    assert automatic == 2 * PENDING
    yield template, digest(db, *SWEPT), timing


SWEPT = ("complaints", "complaint_events", "visits")


def sweep_trial(template: Path, after: str, timing: Timing, folder: Path, seed: int) -> Kill:
    rng = random.Random(seed)
    db = fresh_copy(template, folder)
    before = digest(db, *SWEPT)
    mid_write = seed % 2 == 1
    kill = run_and_kill(["complaint", "sweep"], environment(folder), db,
                        kill_at(rng, timing, mid_write), after_write_starts=mid_write)
    # The sweep commits a batch of complaints at a time: killed, it leaves each complaint
    # before or after (sound replays every history against its stored outcome), and the next
    # sweep does the rest, to exactly what one whole sweep writes.
    sound(db)
    if digest(db, *SWEPT) not in (before, after):
        assert crmcli(environment(folder), "complaint", "sweep").returncode == 0
        assert digest(db, *SWEPT) == after, (seed, kill)
    shutil.rmtree(folder)
    return kill


def kill_sweeps(sweep_site: tuple[Path, str, Timing], tmp_path: Path, count: int) -> None:
    template, after, timing = sweep_site
    with ThreadPoolExecutor(max_workers=2) as pool:
        kills = list(pool.map(lambda seed: sweep_trial(template, after, timing,
                                                       tmp_path / f"kill-{seed}", seed),
                              range(count)))
    print(f"{count} sweeps of {PENDING} complaints killed, {sum(k.writing for k in kills)} "
          "mid-write: every file sound, all or nothing")
    assert sum(k.writing for k in kills) >= count // 4


def test_killing_a_sweep_leaves_whole_complaints_and_resumes(sweep_site: tuple[Path, str, Timing],
                                               tmp_path: Path) -> None:
    kill_sweeps(sweep_site, tmp_path, SWEEP_KILLS)


@pytest.mark.slow
def test_killing_a_sweep_many_times(sweep_site: tuple[Path, str, Timing], tmp_path: Path
                                    ) -> None:
    kill_sweeps(sweep_site, tmp_path, SLOW_SWEEP_KILLS)


# --- Ctrl-C -----------------------------------------------------------------------------------

def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path)
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
@pytest.mark.parametrize("moment", ["reading", "writing"])
def test_ctrl_c_mid_import_says_one_line_rolls_back_and_exits_130(
        import_site: tuple[Path, Path, Timing], tmp_path: Path, moment: str) -> None:
    """Interrupted once the command is under way (it has the database open), or once its write
    transaction has begun: one line on stderr, exit 130, not one customer imported."""
    template, data, _ = import_site
    db = fresh_copy(template, tmp_path / "site")
    wal = Path(f"{db}-wal")
    process = subprocess.Popen([str(SCRIPT), "customer", "import", str(data)],
                               env=environment(db.parent), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if _has_open(process.pid, db) and (
                moment == "reading" or (wal.exists() and wal.stat().st_size > 0)):
            break
        time.sleep(0.001)
    assert process.poll() is None, "the import ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    # "rolled back" only when a transaction was: while reading, the import may not have begun
    # its transaction yet (then nothing was changed, and it says only that it was interrupted).
    rolled_back = "Interrupted; the unfinished change was rolled back.\n"
    assert err in ((rolled_back, "Interrupted.\n") if moment == "reading" else (rolled_back,))
    assert out == ""
    sound(db)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    finally:
        conn.close()
