"""The SQLite connection and its transactions; the schema's version and upgrade.

A crmcli database is marked with ``PRAGMA application_id`` and versioned with
``PRAGMA user_version``; the migrations themselves are in ``crmcli.migrations``.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.errors import DatabaseProblem
from crmcli.i18n import _
from crmcli.migrations import LATEST, MIGRATIONS, execute_script, remember_categories

if TYPE_CHECKING:
    from crmcli.policy import PolicyHistory

__all__ = ["LATEST", "MIGRATIONS", "execute_script", "remember_categories"]

APPLICATION_ID = 0x43524D43  # "CRMC"
BUSY_TIMEOUT_MS = 10_000


def site_settings(conn: sqlite3.Connection) -> tuple[str, str]:
    """The site's zone and date order as last set (``policy set timezone|date_order``)."""
    found = dict(conn.execute(
        "SELECT key, value FROM policy_settings WHERE key IN ('timezone', 'date_order') "
        "ORDER BY set_at, id").fetchall())
    return found.get("timezone", "UTC"), found.get("date_order", "")


def load_policies(conn: sqlite3.Connection) -> PolicyHistory:
    """The policy history recorded in the file."""
    from crmcli.dates import from_db
    from crmcli.policy import PolicyHistory

    rows = conn.execute("SELECT set_at, key, value FROM policy_settings ORDER BY set_at, id")
    return PolicyHistory([(from_db(at), key, value) for at, key, value in rows])


ROLLBACKS = [0]  # transactions rolled back in this process (an interrupt says whether one was)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once so a second writer waits instead of failing.

    Inside another (a command whose steps are each a service's transaction, as `complaint
    close --case` or `init --sample`), it is a savepoint of the outer one: the command is
    still one transaction, committed or rolled back whole.
    """
    if conn.in_transaction:
        name = f"step{next(_SAVEPOINTS)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        ROLLBACKS[0] += 1
        raise
    conn.execute("COMMIT")


_SAVEPOINTS = itertools.count(1)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


MIGRATION_WAITS = 90  # busy timeouts (15 min in all) to wait for another process's upgrade


def _begin_upgrade(conn: sqlite3.Connection) -> None:
    """Take the write lock for an upgrade, waiting as long as another process's upgrade may
    take (a million complaints: about two minutes), not just one busy timeout: cron's `visit
    due` started while someone's first run of a new release upgrades the file waits for it."""
    for attempt in range(MIGRATION_WAITS):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == MIGRATION_WAITS - 1:
                raise


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration the file lacks; returns how many ran."""
    applied = 0
    while (version := schema_version(conn)) < LATEST:
        _begin_upgrade(conn)
        try:
            if schema_version(conn) != version:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            ROLLBACKS[0] += 1
            raise
        conn.execute("COMMIT")
        applied += 1
    return applied


INTERRUPT_STEPS = 100_000  # SQLite steps between two chances for Ctrl-C


def _let_python_run() -> int:
    return 0


def _setting(conn: sqlite3.Connection, key: str) -> str | None:
    """The latest recorded value of one policy setting (the connection needs it before any
    session loads the whole history)."""
    row = conn.execute("SELECT value FROM policy_settings WHERE key = ? "
                       "ORDER BY set_at DESC, id DESC LIMIT 1", (key,)).fetchone()
    return None if row is None else str(row[0])



def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Python runs a signal's handler only between its own bytecodes, which a long statement
    # (the integrity check of a large file) never reaches: Ctrl-C waited for it to end. This
    # callback gives the handler its chance; the KeyboardInterrupt it raises there stops the
    # statement, and the sqlite3 module reports it as OperationalError('interrupted').
    conn.set_progress_handler(_let_python_run, INTERRUPT_STEPS)


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open a crmcli database, upgrading its schema; ``create`` makes a new one (mode 0600).

    A file the user may read but not write (or in a folder they cannot write, where SQLite
    cannot make its -wal/-shm files) is opened read-only: lists, reports and `visit due`
    work, and a command that writes is told why it cannot.
    """
    made = False
    if not path.exists():
        if not create:
            raise DatabaseProblem(_("No database at {path}; create it with `crmcli "
                                    "--db {path} init` (or check --db / CRMCLI_DB).").format(
                path=path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            import errno

            why = (f"the folder {path.parent} is not writable by you"
                   if exc.errno in (errno.EACCES, errno.EPERM) else os_reason(exc))
            raise DatabaseProblem(_("Cannot create {path}: {why}.").format(
                path=path, why=why)) from None
        made = True
    elif path.is_dir():
        raise DatabaseProblem(_("{path} is a directory, not a crmcli database.").format(
            path=path))
    elif not path.is_file():
        raise DatabaseProblem(_("{path} is not a regular file (a device or a pipe), "
                                "not a crmcli database.").format(
            path=path))
    elif create and path.stat().st_size == 0:
        _private(path)  # an empty file is made into a database now: private, like a new one
    try:
        conn = _open(path, create=create)
    except BaseException:
        if made:  # a failed init (a full disk) leaves no empty file behind
            path.unlink(missing_ok=True)
        raise
    return conn


def _open(path: Path, *, create: bool) -> sqlite3.Connection:
    read_only = not create and not _writable(path)
    conn = _sqlite_connect(path, read_only=read_only)
    try:
        _configure(conn)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = schema_version(conn)
        if app_id != APPLICATION_ID:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables or not create:
                raise DatabaseProblem(_("{path} is not a crmcli database.").format(
                    path=path))
        if version > LATEST:
            raise DatabaseProblem(
                _("{path} was written by a newer crmcli (schema {version}; this one "
                  "knows {LATEST}); upgrade crmcli to use it.").format(
                    path=path, version=version, LATEST=LATEST)
            )
        if version < LATEST and read_only:  # read as it would be after the upgrade
            conn = _upgraded_copy(conn, version)
        elif version < LATEST:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise DatabaseProblem(_("{path}: cannot switch the database to WAL "
                                        "mode.").format(
                    path=path))
            migrate(conn)
        from crmcli.dates import use_site

        use_site(*site_settings(conn))
        # Litestream replicates the WAL: a checkpoint it does not see (SQLite's automatic
        # one, run by whichever crmcli commits past 1000 pages, while Litestream is down)
        # leaves a replica that restores corrupt (Litestream 0.5; tests/test_replicate_crash).
        # With a replica configured, only Litestream checkpoints (README, "Many sites").
        if version and not read_only and _setting(conn, "checkpoints") == "litestream":
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        if not read_only:
            for sidecar in ("-wal", "-shm"):
                _private(path.with_name(path.name + sidecar))
    except sqlite3.DatabaseError as exc:
        conn.close()
        text = str(exc)
        if "full" in text:
            raise DatabaseProblem(_("The disk is full; {path} was left as it was.").format(
                path=path)) from None
        if "locked" in text or "busy" in text:
            raise DatabaseProblem(_("{path} is busy (another crmcli holds it); try "
                                    "again in a moment.").format(
                path=path)) from None
        if "readonly" in text or "unable to open" in text:
            raise DatabaseProblem(_("Cannot write {path} or its folder (permissions, "
                                    "or a read-only file system).").format(
                path=path)) from None
        raise DatabaseProblem(_("{path} is not a usable SQLite database ({exc}).").format(
            path=path, exc=exc)) from None
    except BaseException:
        conn.close()
        raise
    return conn


def setting(conn: sqlite3.Connection, key: str) -> str | None:
    """The latest value of one policy setting, None if it was never set."""
    row = conn.execute("SELECT value FROM policy_settings WHERE key = ? "
                       "ORDER BY set_at DESC, id DESC LIMIT 1", (key,)).fetchone()
    return str(row[0]) if row else None


def _writable(path: Path) -> bool:
    """Whether SQLite can write the file and make its -wal and -shm files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _sqlite_connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    from urllib.parse import quote

    uri = "file:" + quote(str(path.resolve()))
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # A WAL file with no -shm beside it, in a folder where none can be made: nobody can be
        # writing it (a writer would have made one), so it is read as it stands.
        conn.close()
        conn = sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)
    return conn


def _private(path: Path) -> None:
    """Mode 0600 for a file crmcli made or uses, whatever made it first (a `touch`, the
    sqlite3 shell under a loose umask); only the owner can change it, so others' are left."""
    try:
        info = path.lstat()
        if (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid()
                and info.st_mode & 0o077):
            os.chmod(path, 0o600)
    except OSError:  # gone meanwhile (a -shm removed by the last reader), or not ours
        pass


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, in words: "the disk is full", "/x is not writable"…"""
    import errno

    where = f"{exc.filename}" if exc.filename else _("a file")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _("{file}: permission denied (not writable or readable by you)").format(
            file=where)
    if exc.errno == errno.EROFS:
        return _("{file} is on a read-only file system").format(file=where)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("the disk is full")
    if exc.errno == errno.ENOENT:
        return _("{file}: no such file or folder").format(file=where)
    return f"{where}: {exc.strerror or exc}"


READ_BUSY_TIMEOUT_MS = 2_000  # a site file locked longer than this is skipped, not waited on


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a crmcli database without changing it: the head office reads site files this way.

    The file is opened read-only (``mode=ro``) and never migrated. A file of an older schema
    is copied into memory and the copy brought up to date there (about a second per 100 000
    complaints of an older schema 1 or 2, which lack the stored outcomes); the file itself is
    left as it is. Raises DatabaseProblem with the reason the file cannot be read.
    """
    try:
        if not path.exists():
            raise DatabaseProblem(_("no such file"))
        if path.is_dir():
            raise DatabaseProblem(_("a directory, not a database file"))
        uri = f"{path.resolve().as_uri()}?mode=ro"
    except OSError as exc:  # a name too long, a folder we may not enter
        raise DatabaseProblem(_("cannot be read ({reason})").format(
            reason=exc.strerror or exc)) from None
    try:
        conn = sqlite3.connect(uri, uri=True,
                               isolation_level=None, timeout=READ_BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise DatabaseProblem(_("cannot be opened read-only ({exc})").format(
            exc=exc)) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = schema_version(conn)
        if app_id != APPLICATION_ID:
            raise DatabaseProblem(_("not a crmcli database"))
        if version > LATEST:
            raise DatabaseProblem(_("written by a newer crmcli (schema {version}; "
                                    "this one reads up to {LATEST}); upgrade crmcli at the head "
                                    "office").format(
                version=version, LATEST=LATEST))
        if version < LATEST:
            conn = _upgraded_copy(conn, version)
    except sqlite3.DatabaseError as exc:
        conn.close()  # the copy's failures are DatabaseProblem already
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise DatabaseProblem(_("locked by another program; try again later")) from None
        raise DatabaseProblem(_("not a usable SQLite database ({text})").format(
            text=text)) from None
    except BaseException:
        conn.close()
        raise
    conn.set_progress_handler(_let_python_run, INTERRUPT_STEPS)
    return conn


def _upgraded_copy(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """An in-memory copy of an older file, migrated; the file is closed untouched."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.backup(memory)
        conn.close()
        memory.execute("PRAGMA foreign_keys = ON")
        migrate(memory)
    except sqlite3.DatabaseError as exc:
        memory.close()
        raise DatabaseProblem(
            _("older schema {version} that could not be read in memory ({exc}); open "
              "it once with crmcli to upgrade it").format(
                version=version, exc=exc)) from None
    except MemoryError:
        memory.close()
        raise DatabaseProblem(_("older schema {version}, too large to read in memory; "
                                "open it once with crmcli to upgrade it").format(
            version=version)) from None
    return memory


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table, read through sqlite-utils as any outside tool would see the file."""
    import sqlite_utils

    database = sqlite_utils.Database(conn)
    return {name: database.table(name).count for name in sorted(database.table_names())}

