"""Upgrades: a database written by every released schema opens with today's code, loses nothing,
and keeps working (SPEC §4 "Schema versions").

Each released schema version N has ``tests/fixtures/schema-vN.db``, made by
``tests/fixtures/make_fixtures.py`` with the code of that release, and ``schema-vN.json``,
what the file held when it was made. Adding a migration means adding a fixture.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from fixtures.make_fixtures import SECRET_PHONE, facts

from crmcli import db

FIXTURES = Path(__file__).parent / "fixtures"
RELEASED = sorted(FIXTURES.glob("schema-v*.db"), key=lambda p: int(re.sub(r"\D", "", p.stem)))


def test_every_schema_version_has_a_fixture() -> None:
    versions = [int(re.sub(r"\D", "", path.stem)) for path in RELEASED]
    assert versions == list(range(1, db.LATEST + 1)), (
        "each schema version needs tests/fixtures/schema-vN.db: run "
        "`python tests/fixtures/make_fixtures.py` with the release that introduced it")
    for path in RELEASED:
        assert path.with_suffix(".json").exists()


@pytest.fixture(params=RELEASED, ids=lambda p: p.stem)
def old(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of one released fixture (the committed file is never opened) and its manifest."""
    source: Path = request.param
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    copy.chmod(0o600)
    manifest = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))
    assert facts(copy) == manifest, f"{source.name} no longer matches its manifest"
    return copy, manifest


def _kept(path: Path, manifest: dict[str, Any]) -> None:
    """Every row the release wrote is still there, unchanged (later schemas may add columns)."""
    now = facts(path)
    conn = sqlite3.connect(path)
    try:  # schema 5 records the site's zone once, from the zone of whoever upgrades the file
        zones = conn.execute("SELECT count(*) FROM policy_settings WHERE key = 'timezone'"
                             ).fetchone()[0]
    finally:
        conn.close()
    assert zones == 1
    for table, count in manifest["counts"].items():
        added = 1 if table == "policy_settings" and manifest["schema_version"] < 5 else 0
        assert now["counts"][table] == count + added, table
    for key in ("customers", "complaints", "events", "visits"):
        assert now[key] == manifest[key], key


def test_an_old_database_opens_upgrades_and_loses_nothing(cli: Cli,
                                                          old: tuple[Path, dict[str, Any]]
                                                          ) -> None:
    path, manifest = old
    status = json.loads(cli.ok("--db", str(path), "db", "status", "--format", "json"))[0]
    assert status["schema_version"] == db.LATEST
    assert status["journal_mode"] == "wal"
    _kept(path, manifest)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.LATEST
        assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    finally:
        conn.close()
    assert "integrity ok" in cli.ok("--db", str(path), "check")


def test_an_old_database_reads_as_it_was_written(cli: Cli, old: tuple[Path, dict[str, Any]]
                                                 ) -> None:
    path, manifest = old
    listed = json.loads(cli.ok("--db", str(path), "customer", "list", "--format", "json"))
    assert [(c["id"], c["name"], c["segment"], c["grade"], c["since"]) for c in listed] == [
        (row[0], row[1], row[5], row[6], row[7]) for row in manifest["customers"]]
    secret = next(c for c in listed if c["confidential"])
    assert SECRET_PHONE not in json.dumps(secret, ensure_ascii=False)
    for row in manifest["complaints"]:
        shown = json.loads(cli.ok("--db", str(path), "complaint", "show", str(row[0]),
                                  "--format", "json"))
        assert (shown["customer_id"], shown["summary"], shown["category"]) == tuple(row[1:4])
        recorded = [e for e in manifest["events"] if e[0] == row[0]]
        assert len([e for e in shown["events"] if "not yet recorded" not in (e["note"] or "")]
                   ) == len(recorded)
    visits = [v["id"] for extra in ([], ["--cancelled"]) for v in json.loads(
        cli.ok("--db", str(path), "visit", "list", *extra, "--format", "json"))]
    assert sorted(visits) == [row[0] for row in manifest["visits"]]


def test_an_old_database_keeps_working(cli: Cli, old: tuple[Path, dict[str, Any]]) -> None:
    path, manifest = old
    before = manifest["counts"]
    at = ["--db", str(path)]
    cli.ok(*at, "customer", "add", "升級後新客", "--phone", "13700137000")
    opened = json.loads(cli.ok(*at, "complaint", "open", "升級後新客", "門禁卡失效",
                               "--format", "json"))
    cli.ok(*at, "complaint", "respond", str(opened["id"]))
    cli.ok(*at, "complaint", "close", str(opened["id"]), "--resolution", "已重新寫卡")
    cli.ok(*at, "visit", "log", "升級後新客", "--complaint", str(opened["id"]),
           "--method", "phone", "--satisfaction", "5")
    cli.ok(*at, "complaint", "sweep")
    cli.ok(*at, "visit", "due", "--format", "json")
    cli.ok(*at, "report", "monthly", "--format", "json")
    cli.ok(*at, "customer", "export")
    after = facts(path)["counts"]
    assert after["customers"] == before["customers"] + 1
    assert after["complaints"] == before["complaints"] + 1
    assert "integrity ok" in cli.ok(*at, "check")
