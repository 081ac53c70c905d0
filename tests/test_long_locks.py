"""Nobody is locked out by long work: a sweep of 60 000 due complaints lets a person's write in
within about a second at any moment (issue 13, item 8). Slow: run with `pytest -m slow`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crmcli.db import connect, transaction
from crmcli.services import Session, complaints, customers

DUE = 60_000
MAX_WAIT = 2.0  # seconds a writer may wait (a transaction is ~0.3 s; the machine is shared)
NOW = "2026-11-20T10:00:00+08:00"


def build(path: Path) -> None:
    conn = connect(path, create=True)
    conn.execute("PRAGMA synchronous = OFF")  # building only; the sweep runs as shipped
    opened = datetime.fromisoformat(NOW) - timedelta(days=20)
    session = Session(conn, opened, "builder")
    people = DUE // 10  # ten complaints each, in ten categories (none is a repeat)
    with transaction(conn):
        customers.insert(session, customers.NewCustomers(
            [f"業戶{i}" for i in range(people)], [f"業戶{i}" for i in range(people)]))
        for i in range(DUE):
            session.now = opened + timedelta(seconds=i)
            complaints.open_complaint(session, str(i % people + 1), f"第{i}次：電梯異響",
                                      severity="minor", category=f"類別{i // people}",
                                      channel=None, at=None, by=None, owner=None, note=None)
    conn.close()


@pytest.mark.slow
def test_a_sweep_of_60000_due_complaints_never_locks_people_out(tmp_path: Path) -> None:
    db = tmp_path / "site.db"
    build(db)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRMCLI_")},
           "CRMCLI_DB": str(db), "CRMCLI_NOW": NOW, "TZ": "Asia/Shanghai"}
    waits: list[float] = []
    failures: list[str] = []
    done = threading.Event()

    def person() -> None:  # a write every 50 ms, as busy as a team can be
        conn = sqlite3.connect(db, timeout=10, isolation_level=None)
        while not done.is_set():
            began = time.monotonic()
            try:
                conn.execute("BEGIN IMMEDIATE")
                waits.append(time.monotonic() - began)
                conn.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                failures.append(str(exc))
            time.sleep(0.05)
        conn.close()

    writer = threading.Thread(target=person)
    started = time.monotonic()
    sweep = subprocess.Popen([sys.executable, "-m", "crmcli", "complaint", "sweep"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    writer.start()
    _, err = sweep.communicate(timeout=1800)
    done.set()
    writer.join()
    took = time.monotonic() - started
    print(f"sweep of {DUE} complaints: {took:.1f} s; {len(waits)} writes, longest wait "
          f"{max(waits):.2f} s")
    assert sweep.returncode == 0, err
    assert failures == []
    assert max(waits) < MAX_WAIT
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM complaint_events WHERE automatic = 1"
                            ).fetchone()[0] == 2 * DUE
    finally:
        conn.close()
