"""The database file: where it is, how it is made, what is refused, and its migrations."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import Cli

from crmcli import db


def header(path: Path) -> bytes:
    return path.read_bytes()[:100]


def pragmas(path: Path) -> tuple[int, int, str]:
    """application_id, user_version and journal_mode, read by plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("PRAGMA application_id").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0],
                conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def test_a_missing_database_is_not_created(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "crm.db"
    for args in (["--db", str(missing), "customer", "list"],
                 ["--db", str(missing), "complaint", "list", "-f", "json"],
                 ["--db", str(missing), "db", "status"]):
        code, out, err = cli(*args)
        assert (code, out) == (1, "")
        assert str(missing) in err
        assert "crmcli" in err and "init" in err
        assert err.count("\n") == 1
    assert not missing.exists()
    assert not missing.parent.exists()


def test_a_missing_database_named_by_the_environment(cli: Cli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "crm-typo.db"
    monkeypatch.setenv("CRMCLI_DB", str(missing))
    code, _, err = cli("customer", "add", "王小明")
    assert code == 1 and str(missing) in err
    assert not missing.exists()


def test_init_makes_a_private_wal_database_marked_as_crmcli(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    assert cli.ok("--db", str(path), "init") == f"Created {path} (schema {db.LATEST}).\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert header(path)[:16] == b"SQLite format 3\x00"
    assert header(path)[18:20] == b"\x02\x02"  # WAL read/write versions
    assert pragmas(path) == (int.from_bytes(b"CRMC", "big"), len(db.MIGRATIONS), "wal")


def test_init_twice_keeps_the_data(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    cli.ok("--db", str(path), "init")
    cli.ok("--db", str(path), "customer", "add", "王小明")
    assert cli.ok("--db", str(path), "init") == f"Checked {path} (schema {db.LATEST}).\n"
    assert "王小明" in cli.ok("--db", str(path), "customer", "list")


def test_the_default_database_lives_in_a_private_app_directory(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMCLI_DB")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "config" / "crmcli" / "crm.db"
    assert cli.ok("db", "path") == f"{expected}\n"
    assert not expected.parent.exists()
    cli.ok("init")
    assert stat.S_IMODE(expected.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600


def test_db_option_beats_the_environment(cli: Cli, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    chosen, ignored = tmp_path / "chosen.db", tmp_path / "ignored.db"
    monkeypatch.setenv("CRMCLI_DB", str(ignored))
    assert cli.ok("db", "path") == f"{ignored}\n"
    assert cli.ok("--db", str(chosen), "db", "path") == f"{chosen}\n"
    cli.ok("--db", str(chosen), "init")
    cli.ok("--db", str(chosen), "customer", "add", "王小明")
    assert chosen.exists() and not ignored.exists()


def test_db_status(cli: Cli, db_path: Path) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("customer", "add", "李四")
    cli.ok("complaint", "open", "李四", "漏水", "--at", "09:00")
    [status] = json.loads(cli.ok("db", "status", "-f", "json"))
    assert status["path"] == str(db_path)
    assert status["schema_version"] == len(db.MIGRATIONS)
    assert status["journal_mode"] == "wal"
    assert status["size_bytes"] >= db_path.stat().st_size > 0
    assert (status["rows_customers"], status["rows_complaints"]) == (2, 1)
    table = cli.ok("db", "status")
    assert str(db_path) in table and "rows_customers" in table


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('私人筆記')")
    conn.close()
    return path


def _refused(cli: Cli, path: Path, words: list[str]) -> None:
    gc.collect()  # close connections earlier in-process commands left for the collector
    before = path.read_bytes()
    for args in (["customer", "list"], ["init"], ["db", "status"]):
        code, out, err = cli("--db", str(path), *args)
        assert (code, out) == (1, ""), args
        assert str(path) in err
        for word in words:
            assert word in err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert path.read_bytes() == before


def test_another_programs_sqlite_file_is_refused_and_left_alone(cli: Cli, foreign: Path) -> None:
    _refused(cli, foreign, ["not a crmcli database"])


def test_a_file_of_random_bytes_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(os.urandom(8192))
    _refused(cli, path, ["not a usable SQLite database"])


def test_a_text_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("name,phone\n王小明,13800138000\n", encoding="utf-8")
    _refused(cli, path, [])


def test_a_database_from_a_newer_crmcli_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    cli.ok("--db", str(path), "init")
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {db.LATEST + 1}")
    conn.close()
    _refused(cli, path, ["newer crmcli", "upgrade"])


def test_a_directory_is_refused(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("--db", str(tmp_path), "customer", "list")
    assert code == 1 and "directory" in err


def test_init_on_an_empty_file_applies_every_migration(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    code, _, _ = cli("--db", str(path), "customer", "list")
    assert code == 1  # an empty file is not yet a crmcli database
    assert cli.ok("--db", str(path), "init") == f"Created {path} (schema {db.LATEST}).\n"
    assert pragmas(path) == (int.from_bytes(b"CRMC", "big"), len(db.MIGRATIONS), "wal")
    cli.ok("--db", str(path), "customer", "add", "王小明")


def test_migrations_from_nothing_create_the_documented_tables(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "new.db", create=True)
    tables = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"customers", "customer_tags", "customer_changes", "access_log", "complaints",
            "complaint_events", "visits", "policy_settings"} <= tables
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    references = {row[2] for row in conn.execute("PRAGMA foreign_key_list(complaints)")}
    assert references == {"customers", "complaints"}
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO complaint_events (complaint_id, at, action, by, recorded_at) "
                     "VALUES (999, '2026-11-20T00:00:00Z', 'opened', 'x', "
                     "'2026-11-20T00:00:00Z')")
    conn.close()


def test_every_connection_enforces_foreign_keys(cli: Cli, db_path: Path) -> None:
    conn = db.connect(db_path)
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    conn.close()


def test_a_new_migration_upgrades_an_existing_database_without_loss(
        cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "13800138000")

    def m_next(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE customers ADD COLUMN wechat TEXT")

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, m_next])
    monkeypatch.setattr(db, "LATEST", len(db.MIGRATIONS))
    rows = json.loads(cli.ok("customer", "list", "-f", "json"))
    assert [(r["name"], r["phone"]) for r in rows] == [("王小明", "13800138000")]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.LATEST
        columns = [row[1] for row in conn.execute("PRAGMA table_info(customers)")]
    conn.close()
    assert "wechat" in columns


def test_a_failing_migration_leaves_the_database_as_it_was(
        cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "王小明")
    version = db.LATEST

    def m_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, m_broken])
    monkeypatch.setattr(db, "LATEST", version + 1)
    code, _, err = cli("customer", "list")
    assert code == 1 and "Traceback" not in err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT name FROM customers").fetchall() == [("王小明",)]
    conn.close()


def test_ctrl_c_stops_a_long_statement_at_once(tmp_path: Path) -> None:
    """A long statement (here ~10 s; an integrity check of a large file takes minutes) stops
    within a moment of SIGINT instead of when it ends."""
    import os
    import signal
    import threading
    import time

    conn = db.connect(tmp_path / "crm.db", create=True)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(sqlite3.OperationalError, match=r"^interrupted$"):
            conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                         "WHERE i < 50000000) SELECT count(*) FROM n").fetchone()
    except KeyboardInterrupt:  # delivered outside the statement: the test failed, not the run
        pytest.fail("SIGINT reached Python outside the statement")
    finally:
        timer.cancel()
        conn.close()
    assert time.monotonic() - started < 3
