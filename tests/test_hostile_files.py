"""Files and failures a careful adversary (or a bad day) brings: private files whatever existed
before, hostile import files, long locks, multi-step commands, and a clear sentence for every
failure (issue 13, items 6-10)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXED_NOW, Cli

from crmcli import db as crmdb
from crmcli.services import complaints, import_file, sweep

PYTHON = Path(sys.executable)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- 6: private files -------------------------------------------------------------------------

def test_init_on_an_existing_empty_file_makes_it_private(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "touched.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    cli.ok("--db", str(path), "init")
    assert mode(path) == 0o600


def test_wal_and_shm_files_crmcli_uses_are_private(cli: Cli, db_path: Path) -> None:
    os.chmod(db_path, 0o644)  # as a loose umask or the sqlite3 shell would have left it
    holder = sqlite3.connect(db_path)  # keeps -wal and -shm in place
    holder.execute("SELECT count(*) FROM customers").fetchall()
    try:
        sidecars = [Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
        for path in sidecars:
            os.chmod(path, 0o644)  # as SQLite makes them beside a 0644 file
        cli.ok("customer", "add", "王小明")
        assert [mode(p) for p in sidecars] == [0o600, 0o600]
    finally:
        holder.close()


# --- 7: hostile import files ------------------------------------------------------------------

@pytest.mark.parametrize(("path", "what"), [("/dev/zero", "a device"), ("{tmp}", "a folder")])
def test_import_refuses_what_is_not_a_regular_file(cli: Cli, tmp_path: Path, path: str,
                                                   what: str) -> None:
    code, _, err = cli("customer", "import", path.format(tmp=tmp_path))
    assert code == 2
    assert f"{what}, not a CSV file" in err


def test_import_of_a_named_pipe_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    db = tmp_path / "site.db"
    env = {**os.environ, "CRMCLI_DB": str(db)}
    subprocess.run([PYTHON, "-m", "crmcli", "init"], env=env, check=True, capture_output=True)
    done = subprocess.run([PYTHON, "-m", "crmcli", "customer", "import", str(fifo)], env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "a pipe, not a CSV file" in done.stderr


def test_import_refuses_a_file_past_the_size_bound(cli: Cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_file, "MAX_FILE_BYTES", 1024)
    path = tmp_path / "big.csv"
    path.write_text("name\n" + "王小明\n" * 200, encoding="utf-8")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2 and "the most one import takes" in err
    assert cli.ok("customer", "list", "-f", "json") == "[]\n"


def test_import_refuses_an_endless_cell_naming_the_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('name,note\n王小明,ok\n李四,"' + "x" * 200_000 + "\n", encoding="utf-8")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert "line 3: a cell longer than 131,072 characters" in err


# --- 8: no long locks ------------------------------------------------------------------------

def due_complaints(cli: Cli, count: int) -> None:
    cli.ok("customer", "add", "長期投訴戶")
    for i in range(count):
        cli.ok("complaint", "open", "長期投訴戶", f"第{i}次", "--category", f"類{i}",
               now="2026-10-20T10:00:00+08:00")


def test_sweep_commits_a_batch_of_complaints_at_a_time(cli: Cli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    due_complaints(cli, 5)
    monkeypatch.setattr(sweep, "SWEEP_BATCH", 2)
    commits = []
    real = sweep.transaction

    def counted(conn: sqlite3.Connection) -> object:
        commits.append(conn.in_transaction)
        return real(conn)

    monkeypatch.setattr(sweep, "transaction", counted)
    swept = json.loads(cli.ok("complaint", "sweep", "-f", "json", now=FIXED_NOW))
    assert len(swept) == 10  # each: upgraded, then escalated
    assert commits == [False, False, False]  # three transactions of their own: 2 + 2 + 1
    assert json.loads(cli.ok("complaint", "sweep", "-f", "json")) == []


@pytest.fixture
def old_schema(tmp_path: Path) -> Path:
    source = Path(__file__).parent / "fixtures" / f"schema-v{crmdb.LATEST - 1}.db"
    path = tmp_path / "old.db"
    path.write_bytes(source.read_bytes())
    return path


def test_a_reader_started_during_an_upgrade_waits_for_it(old_schema: Path, cli: Cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """cron's `visit due` must not fail because someone's first run of a new release is
    upgrading the file (longer than one busy timeout)."""
    monkeypatch.setattr(crmdb, "BUSY_TIMEOUT_MS", 100)
    upgrading = sqlite3.connect(old_schema, isolation_level=None, check_same_thread=False)
    upgrading.execute("BEGIN IMMEDIATE")  # as a long migration holds the write lock
    release = threading.Timer(0.6, upgrading.execute, ["ROLLBACK"])
    release.start()
    try:
        code, out, err = cli("--db", str(old_schema), "visit", "due", "-f", "json")
    finally:
        release.join()
        upgrading.close()
    assert code == 0, err
    assert isinstance(json.loads(out), list)


# --- 9: one transaction a command; backups -----------------------------------------------------

def test_close_with_case_is_one_transaction(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "冷氣")

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(complaints, "set_case", broken)
    code, _, _ = cli("complaint", "close", "1", "--resolution", "已修好", "--case")
    assert code == 1
    assert json.loads(cli.ok("complaint", "show", "1", "-f", "json"))["status"] == "open"


def test_init_sample_is_one_transaction(cli: Cli, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sweep, "sweep", broken)  # the sample's last step
    path = tmp_path / "sample.db"
    code, _, _ = cli("--db", str(path), "init", "--sample")
    assert code == 1
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM complaints").fetchone()[0] == 0
    finally:
        conn.close()
    monkeypatch.undo()


def test_backup_removes_partial_copies_a_killed_backup_left(cli: Cli, tmp_path: Path) -> None:
    gone = subprocess.Popen([PYTHON, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".copy.db.partial-{gone.pid}"
    stale_journal = tmp_path / f".copy.db.partial-{gone.pid}-journal"
    running = tmp_path / f".copy.db.partial-{os.getpid()}0"  # not a running pid either
    alive = tmp_path / f".copy.db.partial-{os.getppid()}"  # a backup still under way
    for path in (stale, stale_journal, running, alive):
        path.write_bytes(b"half")
    cli.ok("backup", str(tmp_path / "copy.db"))
    assert not stale.exists() and not stale_journal.exists()
    assert alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == [alive.name]


def test_backup_runs_the_full_integrity_check(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    """An index that no longer matches its table passes SQLite's quick check, not the full one:
    such a copy must not replace last night's good backup."""
    cli.ok("customer", "add", "Acme Ltd")
    cli.ok("customer", "add", "B C")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX customers_name_key ON customers "
                 "(name)' WHERE name = 'customers_name_key'")
    conn.commit()
    conn.close()
    good = tmp_path / "copy.db"
    good.write_bytes(b"last night")
    code, _, err = cli("backup", str(good), "--force")
    assert code == 1 and "damaged" in err
    assert good.read_bytes() == b"last night"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


# --- 10: clear words --------------------------------------------------------------------------

@pytest.mark.parametrize("now", ["9999-12-31T23:00:00-05:00", "9999-12-31T23:59:00+00:00",
                                 "1800-01-01T00:00:00+08:00"])
def test_a_clock_past_the_calendar_is_bad_input(cli: Cli, now: str) -> None:
    code, _, err = cli("visit", "due", now=now)
    assert code == 2
    assert err.startswith("Error: CRMCLI_NOW=") and "out of range" in err
    assert "unexpected" not in err


@pytest.mark.parametrize("at", ["10:00 PST", "2026-11-20 10:00 EST", "09:40 XYZ"])
def test_a_zone_abbreviation_crmcli_cannot_resolve_is_bad_input(cli: Cli, at: str) -> None:
    cli.ok("customer", "add", "王小明")
    code, _, err = cli("complaint", "open", "王小明", "冷氣", "--at", at)
    assert code == 2 and "time zone" in err
    assert cli.ok("complaint", "list", "-f", "json") == "[]\n"


@pytest.mark.parametrize("at", ["2026-11-19 10:00 UTC", "2026-11-19 10:00 +0800",
                                "2026-11-19T10:00:00-08:00"])
def test_a_zone_crmcli_resolves_is_taken(cli: Cli, at: str) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "冷氣", "--at", at)


def test_interrupted_says_rolled_back_only_when_something_was(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from crmcli.services import customers

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(customers, "iter_customers", interrupt)
    code, _, err = cli("customer", "list")
    assert (code, err) == (130, "Interrupted.\n")
    monkeypatch.setattr(customers, "insert", interrupt)
    code, _, err = cli("customer", "add", "王小明")
    assert (code, err) == (130, "Interrupted; the unfinished change was rolled back.\n")


def test_backup_into_a_missing_folder_says_so(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("backup", str(tmp_path / "no" / "such" / "copy.db"))
    assert code == 2 and "does not exist" in err


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB file system, full after a few writes (needs root to mount tmpfs)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_init_on_a_full_disk_says_so_and_leaves_no_empty_file(cli: Cli, tiny_disk: Path) -> None:
    (tiny_disk / "filler").write_bytes(b"x" * (60 * 1024))
    code, _, err = cli("--db", str(tiny_disk / "site.db"), "init")
    assert code == 1
    assert "disk is full" in err and "unexpected" not in err
    assert not (tiny_disk / "site.db").exists()


def test_backup_onto_a_full_disk_says_so(cli: Cli, tiny_disk: Path) -> None:
    for i in range(40):
        cli.ok("customer", "add", f"客戶{i}", "--note", "備註" * 500)
    code, _, err = cli("backup", str(tiny_disk / "copy.db"))
    assert code == 1
    assert "disk is full" in err and "unexpected" not in err
    assert list(tiny_disk.iterdir()) == []


def as_nobody(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRMCLI_")},
           "CRMCLI_DB": str(db), "CRMCLI_NOW": "2026-11-20T10:00:00+08:00",
           "TZ": "Asia/Shanghai", "CRMCLI_USER": "night-shift"}
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           str(PYTHON), "-m", "crmcli", *args], env=env, cwd="/",
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder others may enter (pytest's own are private to the user running it)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="crmcli-shared-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def read_only_site(open_folder: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    reach = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            str(PYTHON), "-c", "import crmcli"], cwd="/", capture_output=True,
                           text=True, timeout=60, check=False)
    if reach.returncode != 0:  # a checkout in a private folder (mktemp -d is 0700)
        pytest.skip(f"user 65534 cannot run this checkout's crmcli: {reach.stderr.strip()}")
    folder = open_folder / "shared"
    folder.mkdir()
    db = folder / "site.db"
    env = {**os.environ, "CRMCLI_DB": str(db)}
    for args in (["init"], ["customer", "add", "王小明"],
                 ["complaint", "open", "王小明", "冷氣", "--at", "2026-11-19 09:00"]):
        subprocess.run([PYTHON, "-m", "crmcli", *args], env=env, check=True,
                       capture_output=True)
    os.chmod(db, 0o644)
    os.chmod(folder, 0o755)
    return db


@pytest.mark.parametrize("args", [["visit", "due"], ["customer", "list"],
                                  ["customer", "show", "王小明"], ["report", "monthly"],
                                  ["complaint", "list", "-f", "json"]])
def test_a_database_in_a_folder_the_user_cannot_write_can_still_be_read(
        read_only_site: Path, args: list[str]) -> None:
    done = as_nobody(read_only_site, *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_write_to_a_read_only_database_says_why(read_only_site: Path) -> None:
    done = as_nobody(read_only_site, "customer", "add", "李四")
    assert done.returncode == 1
    assert "read-only" in done.stderr and "needs to write" in done.stderr
    assert "unexpected" not in done.stderr


def test_init_in_a_folder_the_user_cannot_write_says_so(read_only_site: Path) -> None:
    done = as_nobody(read_only_site.parent / "new.db", "init")
    assert done.returncode == 1
    assert "not writable by you" in done.stderr and "unexpected" not in done.stderr


def test_backup_into_a_folder_the_user_cannot_write_says_so(read_only_site: Path,
                                                            open_folder: Path) -> None:
    own = open_folder / "own"
    own.mkdir()
    os.chmod(own, 0o777)
    db = own / "mine.db"
    subprocess.run([PYTHON, "-m", "crmcli", "--db", str(db), "init"], check=True,
                   capture_output=True)
    os.chown(db, 65534, 65534)
    done = as_nobody(db, "backup", str(read_only_site.parent / "copy.db"))
    assert done.returncode == 1
    assert "Cannot write the backup" in done.stderr and "unexpected" not in done.stderr


def test_backup_never_replaces_what_is_not_a_regular_file(cli: Cli, tmp_path: Path) -> None:
    """`backup /dev/null --force` run as root once replaced the device with a file."""
    target = tmp_path / "pipe"
    os.mkfifo(target)
    code, _, err = cli("backup", str(target), "--force")
    assert code == 2 and "not a regular file" in err
    assert stat.S_ISFIFO(os.stat(target).st_mode)


def test_a_device_is_not_taken_for_a_database(cli: Cli) -> None:
    code, _, err = cli("--db", "/dev/zero", "init")
    assert code == 1 and "not a regular file" in err
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)


def test_output_never_replaces_what_is_not_a_regular_file(cli: Cli, tmp_path: Path) -> None:
    """`--output /dev/null` run as root replaced the device with a 0600 file."""
    target = tmp_path / "pipe"
    os.mkfifo(target)
    code, _, err = cli("customer", "list", "--output", str(target))
    assert code == 2 and "not a regular file" in err
    assert stat.S_ISFIFO(os.stat(target).st_mode)
