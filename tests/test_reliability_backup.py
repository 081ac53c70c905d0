"""Backups and repair: `crmcli backup` makes a consistent, private copy while others write, never
replaces a file unasked or with a damaged copy; `crmcli check` says plainly what is wrong."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_reliability_concurrency import HAMMER, environment

SCRIPT = Path(sys.executable).parent / "crmcli"
FIXTURES = Path(__file__).parent / "fixtures"
ROUNDS = 25  # of the writer running beside the backups: five writes each


def crmcli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, umask=0o022)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the newest fixture site."""
    newest = max(FIXTURES.glob("schema-v*.db"), key=lambda p: int(p.stem.split("-v")[1]))
    path = tmp_path / "crm.db"
    shutil.copyfile(newest, path)
    path.chmod(0o600)
    return path


def consistent(copy: Path) -> dict[str, int]:
    """The copy is one moment of the database: every complaint has its history, every
    closed complaint its follow-up, every customer its tag."""
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        one = conn.execute
        counts = {
            "customers": one("SELECT count(*) FROM customers").fetchone()[0],
            "tagged": one("SELECT count(DISTINCT customer_id) FROM customer_tags").fetchone()[0],
            "complaints": one("SELECT count(*) FROM complaints").fetchone()[0],
            "opened": one("SELECT count(*) FROM complaint_events WHERE action = 'opened'"
                          ).fetchone()[0],
        }
    finally:
        conn.close()
    assert counts["opened"] == counts["complaints"]
    return counts


def test_backups_taken_while_another_process_writes_are_sound_and_private(
        tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    env = environment(db)
    assert crmcli(env, "init").returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", HAMMER, "w0", str(ROUNDS)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    copies: list[Path] = []
    while (writer.poll() is None and len(copies) < 5) or not copies:
        copy = tmp_path / f"backup-{len(copies)}.db"
        done = crmcli(env, "backup", str(copy))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Backed up {db} to {copy}")
        assert mode(copy) == 0o600
        assert not Path(f"{copy}-wal").exists()
        copies.append(copy)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 5 * ROUNDS and all(code == 0 for _, code, _, _ in results)
    seen = [consistent(copy) for copy in copies]
    assert [c["customers"] for c in seen] == sorted(c["customers"] for c in seen)
    for copy in copies:
        checked = crmcli(environment(copy), "check")
        assert checked.returncode == 0 and "integrity ok" in checked.stdout, checked.stderr
    final = consistent(db)
    assert final["customers"] == ROUNDS and seen[-1]["customers"] <= ROUNDS
    print(f"{len(copies)} backups taken while {5 * ROUNDS} writes ran: all sound, checked "
          "and 0600")


def test_backup_refuses_to_overwrite_without_force(site: Path, tmp_path: Path) -> None:
    env = environment(site)
    target = tmp_path / "nightly.db"
    target.write_text("last night's copy", encoding="utf-8")
    target.chmod(0o644)
    done = crmcli(env, "backup", str(target))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {target} exists; add --force to replace it.\n"
    assert target.read_text(encoding="utf-8") == "last night's copy"
    done = crmcli(env, "backup", str(target), "--force")
    assert done.returncode == 0, done.stderr
    assert mode(target) == 0o600
    assert crmcli(environment(target), "check").returncode == 0
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_backup_to_a_missing_folder_is_bad_input(site: Path, tmp_path: Path) -> None:
    done = crmcli(environment(site), "backup", str(tmp_path / "nowhere" / "copy.db"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "does not exist" in done.stderr


def damage_pages(path: Path, table: str) -> None:
    """Scribble over the b-tree page of one table or index, as a failing disk would."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                            (table,)).fetchone()[0]
    finally:
        conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff" * 192)


@pytest.mark.parametrize("table", ["customers", "complaint_events", "visits"])
def test_a_damaged_file_is_named_plainly_and_never_replaces_a_good_backup(
        site: Path, tmp_path: Path, table: str) -> None:
    env = environment(site)
    good = tmp_path / "good.db"
    assert crmcli(env, "backup", str(good)).returncode == 0
    before = good.read_bytes()
    damage_pages(site, table)
    checked = crmcli(env, "check")
    assert (checked.returncode, checked.stdout) == (1, "")
    first, last = checked.stderr.splitlines()[0], checked.stderr.splitlines()[-1]
    assert first.startswith("- The file is damaged (")
    assert "restore the latest backup" in first and f"sqlite3 {site} .recover" in first
    assert last == f"Error: 1 problem found in {site}."
    assert "Traceback" not in checked.stderr
    refused = crmcli(env, "backup", str(good), "--force")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: The database is damaged (")
    assert f"{good} was left as it was" in refused.stderr
    assert good.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_damaged_indexes_only_say_reindex(site: Path) -> None:
    conn = sqlite3.connect(site)
    conn.execute("PRAGMA writable_schema = ON")  # the index no longer matches its b-tree
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX customers_name_key ON "
                 "customers (phone)' WHERE name = 'customers_name_key'")
    conn.commit()
    conn.close()
    checked = crmcli(environment(site), "check")
    assert checked.returncode == 1
    assert "missing from index customers_name_key" in checked.stderr
    assert f"the tables are intact; rebuild the indexes with: sqlite3 {site} REINDEX" in (
        checked.stderr)


def test_broken_links_and_records_are_listed_one_a_line(site: Path) -> None:
    conn = sqlite3.connect(site)
    conn.execute("DELETE FROM customers WHERE id = 3")  # foreign keys are off in plain sqlite3
    conn.execute("DELETE FROM complaint_events WHERE complaint_id = 2 AND action = 'opened'")
    conn.commit()
    conn.close()
    checked = crmcli(environment(site), "check")
    assert checked.returncode == 1
    lines = checked.stderr.splitlines()
    assert "- a customer_tags row points to a missing customers row." in lines
    assert "- complaints row 5 points to a missing customers row." in lines
    assert "- complaint #2 has no 'opened' event in its history." in lines
    assert lines[-1].startswith("Error: ") and "problems found" in lines[-1]
    assert all("None" not in line for line in lines)


def test_a_truncated_file_is_refused_plainly(site: Path) -> None:
    data = site.read_bytes()
    site.write_bytes(data[: len(data) // 2])
    checked = crmcli(environment(site), "check")
    assert checked.returncode == 1
    assert checked.stderr.count("\n") in (1, 2) and "Traceback" not in checked.stderr
    assert "malformed" in checked.stderr or "damaged" in checked.stderr


def test_database_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    db = tmp_path / "private" / "crm.db"
    env = environment(db)
    assert crmcli(env, "init").returncode == 0
    assert crmcli(env, "customer", "add", "王小明", "--phone", "13800138000").returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time; "
                               "c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM "
                               "customers').fetchall(); print('open', flush=True); "
                               "time.sleep(30)", str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "open\n"
    try:
        assert crmcli(env, "customer", "add", "李四").returncode == 0
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert {path.name: mode(path) for path in files if path.exists()} == {
            path.name: 0o600 for path in files if path.exists()}
        assert Path(f"{db}-wal").exists()
        assert mode(db.parent) == 0o700
    finally:
        holder.kill()
        holder.wait()
    assert os.stat(db).st_uid == os.getuid()


def test_a_stored_outcome_changed_by_hand_is_found_and_rewritten_from_the_history(
        site: Path) -> None:
    env = environment(site)
    report = crmcli(env, "report", "monthly", "--month", "2026-11", "-f", "json").stdout
    conn = sqlite3.connect(site)
    events = conn.execute("SELECT * FROM complaint_events ORDER BY id").fetchall()
    conn.execute("UPDATE complaint_outcomes SET closed_at = NULL WHERE complaint_id = 2")
    conn.execute("DELETE FROM complaint_timers WHERE complaint_id = 1 AND seq = 0")
    conn.commit()
    conn.close()
    assert crmcli(env, "report", "monthly", "--month", "2026-11", "-f", "json").stdout != report
    checked = crmcli(env, "check")
    assert checked.returncode == 1
    assert checked.stderr.splitlines()[0] == (
        "- 2 complaint(s) (#1, #2) have a stored outcome that does not follow from their "
        "history, so reports would misread them; rewrite them from the history with: "
        "crmcli check --repair")
    repaired = crmcli(env, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert repaired.stdout.splitlines()[0] == (
        "Rewrote the stored outcome of 2 complaints from their history.")
    assert crmcli(env, "report", "monthly", "--month", "2026-11", "-f", "json").stdout == report
    conn = sqlite3.connect(site)
    assert conn.execute("SELECT * FROM complaint_events ORDER BY id").fetchall() == events
    conn.close()
