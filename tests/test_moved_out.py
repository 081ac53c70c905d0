"""Customers who moved out: no reminders, hidden from lists, nothing of their history lost."""

from __future__ import annotations

import json

import pytest
from conftest import FIXED_NOW, Cli


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--since", "2024-01-01", "--birthday", "11-22",
           now="2024-01-01T10:00:00+08:00")
    cli.ok("customer", "add", "李四", "--since", "2024-01-01", now="2024-01-01T10:00:00+08:00")
    cli.monkeypatch.setenv("CRMCLI_NOW", FIXED_NOW)
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "09:00")
    return cli


def test_moved_out_gets_no_cadence_yearly_care_or_notice_but_keeps_its_history(
        site: Cli) -> None:
    before = {r["kind"] for r in json.loads(site.ok("visit", "due", "--format", "json"))
              if r["customer"] == "王小明"}
    assert "annual" in before  # (the complaint opened today was a contact: no cadence)
    assert site.ok("customer", "edit", "王小明", "--moved-out", "--at", "2026-11-15") == (
        "Updated customer #1 王小明: moved_out_at (at 2026-11-20 10:00).\n")
    kinds = {r["kind"] for r in json.loads(site.ok("visit", "due", "--within", "2d",
                                                   "--format", "json"))
             if r["customer"] == "王小明"}
    assert "cadence" not in kinds and "annual" not in kinds
    assert "response" in kinds  # the complaint is still owed its feedback
    assert "王小明" not in site.ok("care", "--within", "7d")
    assert [c["name"] for c in json.loads(site.ok("customer", "list", "--format", "json"))] == [
        "李四"]
    everyone = json.loads(site.ok("customer", "list", "--all", "--format", "json"))
    assert [(c["name"], c["moved_out_at"]) for c in everyone] == [
        ("王小明", "2026-11-15T00:00:00+08:00"), ("李四", None)]
    shown = json.loads(site.ok("customer", "show", "王小明", "--format", "json"))
    assert [c["id"] for c in shown["complaints"]] == [1]
    assert {d["kind"] for d in shown["due"]} == {"response", "resolve"}
    history = site.ok("customer", "history", "王小明", "--format", "json")
    assert "moved_out_at" in history


def test_active_undoes_it(site: Cli) -> None:
    site.ok("customer", "edit", "王小明", "--moved-out")
    site.ok("customer", "edit", "王小明", "--active")
    assert len(json.loads(site.ok("customer", "list", "--format", "json"))) == 2
    assert "annual" in {r["kind"] for r in json.loads(site.ok("visit", "due", "--format",
                                                              "json"))
                        if r["customer"] == "王小明"}


@pytest.mark.parametrize(("args", "message"), [
    (("--moved-out", "--active"), "choose one"),
    (("--at", "2026-11-01"), "--at: only with --moved-out"),
    (("--moved-out", "--at", "2026-12-01"), "once it has happened"),
])
def test_bad_moved_out_input(site: Cli, args: tuple[str, ...], message: str) -> None:
    code, out, err = site("customer", "edit", "王小明", *args)
    assert (code, out) == (2, "") and message in err


def test_rates_about_current_customers_leave_the_moved_out_out(site: Cli) -> None:
    site.ok("visit", "log", "李四", "--method", "in-person", "--at", "09:00")
    report = json.loads(site.ok("report", "monthly", "--format", "json"))
    assert report["yearly_visits_done_pct"] == 50.0
    site.ok("customer", "edit", "王小明", "--moved-out", "--at", "2026-11-01")
    report = json.loads(site.ok("report", "monthly", "--format", "json"))
    assert report["yearly_visits_done_pct"] == 100.0
    assert report["complaints_opened"] == 1  # its complaint still counts
