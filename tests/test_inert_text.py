"""Text from users is data: never a spreadsheet formula in crmcli's csv/tsv, never Rich markup
or a terminal escape on a screen, never a control code stored or echoed (issue 13, items 4, 5).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import Cli

from crmcli import text
from crmcli.env import Env
from crmcli.render import Column, Format, render

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dump(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


@pytest.mark.parametrize(("stored", "cell"), [
    ("=1+1", "'=1+1"),
    ("+8613800138000", "'+8613800138000"),  # a phone is text, not a number
    ("-x", "'-x"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("'Tis", "''Tis"),  # a text's own leading quote is doubled: the scheme stays reversible
    ("''", "'''"),
    ("'", "''"),
    ("-5", "-5"),  # a plain number
    ("-12.50", "-12.50"),
    ("-", "'-"),
    ("5-", "5-"),
    ("王=1", "王=1"),
    ("", ""),
])
def test_a_cell_that_would_be_a_formula_is_written_as_text_and_read_back(stored: str,
                                                                         cell: str) -> None:
    assert text.to_cell(stored) == cell
    assert text.from_cell(cell) == stored
    assert text.to_cells([stored, "x"]) == [cell, "x"]
    assert list(text.from_cells([cell, "x"])) == [stored, "x"]
    assert text.to_cells(["x", stored]) == ["x", cell]
    assert list(text.from_cells(["x", cell])) == ["x", stored]
    # a batch of rows (csv of `visit due`): the first cell of all, a middle one, the last
    for place in range(3):
        rows = [("a", "b"), ("c", "d")]
        at = [(0, 0), (0, 1), (1, 1)][place]
        rows[at[0]] = tuple(stored if i == at[1] else v for i, v in enumerate(rows[at[0]]))
        want = [tuple(cell if (r, i) == at else v for i, v in enumerate(row))
                for r, row in enumerate(rows)]
        assert [tuple(row) for row in text.to_cell_rows(rows)] == want


@pytest.mark.parametrize("written", ["'Tis", "'abc", "'", "'5"])
def test_a_hand_made_leading_quote_before_other_text_is_kept(written: str) -> None:
    assert text.from_cell(written) == written


HOSTILE = {"name": "=HYPERLINK(\"http://x\",\"y\")", "contact": "@SUM(1+1)",
           "phone": "+8613800138000", "address": "-2+3", "note": "'quoted", "unit": "+A-1"}


def test_customer_csv_and_tsv_cells_never_start_a_formula_and_import_back_exactly(
        cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", HOSTILE["name"], "--contact", HOSTILE["contact"],
           "--phone", HOSTILE["phone"], "--address", HOSTILE["address"],
           "--note", HOSTILE["note"], "--unit", HOSTILE["unit"], "--tag", "=cmd")
    for fmt in ("csv", "tsv"):
        out = cli.ok("customer", "export", "--format", fmt)
        rows = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
        for cell in (cell for row in rows for cell in row):
            assert not cell.startswith(FORMULA_START), cell
    exported = tmp_path / "out.csv"
    exported.write_text(cli.ok("customer", "export"), encoding="utf-8")
    cli.ok("--db", str(tmp_path / "new.db"), "init")
    cli.ok("--db", str(tmp_path / "new.db"), "customer", "import", str(exported))
    back = json.loads(cli.ok("--db", str(tmp_path / "new.db"), "customer", "list", "-f", "json"))
    assert {key: back[0][key] for key in HOSTILE} == HOSTILE
    assert back[0]["tags"] == ["=cmd"]


def test_complaint_and_visit_csv_cells_are_inert(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "王小明", "=cmd|' /C calc'!A0", "--category", "+噪音")
    for args in (["complaint", "list"], ["visit", "due"],
                 ["report", "monthly", "--by", "category"]):
        for fmt in ("csv", "tsv"):
            out = cli.ok(*args, "--format", fmt)
            cells = [c for row in csv.reader(io.StringIO(out),
                                             delimiter="," if fmt == "csv" else "\t") for c in row]
            assert not [c for c in cells if c.startswith(FORMULA_START)], (args, fmt)
    assert "'=cmd" in cli.ok("complaint", "list", "--format", "csv")
    # json stays raw
    assert json.loads(cli.ok("complaint", "list", "--format", "json"))[0]["summary"].startswith("=")


MARKUP_NAMES = ["[/x]", "[link=https://evil.example]點我[/link]", "[bold red]假警報[/]",
                ":warning:"]


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_markup_in_user_text_is_shown_literally_in_rich_tables(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = io.StringIO()
    env = Env(stdout=out, stderr=io.StringIO(), stdout_isatty=True)
    render(env, [{"name": name}], [Column("name")], Format.table, title=f"Customer #1 {name}")
    shown = out.getvalue()
    assert "\x1b]8;" not in shown  # no live hyperlink
    assert "⚠" not in shown
    assert shown.count(name) == 2 or name in shown.replace("\n", "")


def test_a_customer_named_like_markup_is_listed_on_a_rich_terminal(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "[/x]")
    cli.ok("customer", "add", "[link=https://evil.example]x[/link]")
    from typer.testing import CliRunner

    from crmcli.cli import app
    from crmcli.commands.base import AppState

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("PAGER", "cat")
    monkeypatch.setenv("COLUMNS", "160")
    screen = io.StringIO()
    terminal = AppState(env=Env(stdout=screen, stderr=io.StringIO(), stdout_isatty=True))
    result = CliRunner().invoke(app, ["customer", "list"], obj=terminal)
    assert result.exit_code == 0, result.output
    out = screen.getvalue()
    assert "\x1b[" in out  # drawn by Rich, in colour
    assert "[/x]" in out and "[link=https://evil.example]x[/link]" in out
    assert "\x1b]8;" not in out


CONTROLS = ["\x1b[31m", "\x07", "a\rb", "\x9b31m", "\u202e", "\u2066", "\x00", "\x0b", "\u2028"]


@pytest.mark.parametrize("bad", CONTROLS, ids=repr)
@pytest.mark.parametrize("args", [
    ["customer", "add", "王{}"],
    ["customer", "add", "王小明", "--note", "x{}"],
    ["customer", "list", "--search", "{}"],
    ["complaint", "open", "1", "冷氣{}"],
    ["complaint", "escalate", "1", "--reason", "{}"],
    ["customer", "show", "1", "--reveal", "--reason", "看{}"],
], ids=lambda a: " ".join(a[:2]))
def test_control_characters_in_any_text_option_are_refused_and_not_echoed(
        cli: Cli, args: list[str], bad: str, db_path: Path) -> None:
    cli.ok("customer", "add", "李四", "--confidential", "--phone", "13800138000")
    cli.ok("complaint", "open", "李四", "冷氣")
    before = dump(db_path)
    code, out, err = cli(*[arg.replace("{}", bad) for arg in args])
    assert code == 2, (args, out, err)
    assert bad not in err and bad not in out
    assert "control characters" in err
    assert dump(db_path) == before


def test_a_windows_line_end_in_a_note_is_a_line_end(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--note", "一\r\n二")
    assert json.loads(cli.ok("customer", "show", "王小明", "-f", "json"))["note"] == "一\n二"


@pytest.mark.parametrize("bad", ["\x1b]0;pwned\x07", "a\rb", "\u202eevil"], ids=repr)
def test_a_control_character_in_crmcli_user_is_refused(cli: Cli, bad: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMCLI_USER", bad)
    code, _, err = cli("customer", "add", "王小明")
    assert code == 2
    assert "CRMCLI_USER" in err and bad not in err
    monkeypatch.setenv("CRMCLI_USER", "tester")
    assert cli.ok("customer", "list", "-f", "json") == "[]\n"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u200d", "\ufeff \u2060", "\u00ad"])
def test_invisible_text_counts_as_empty(cli: Cli, invisible: str) -> None:
    cli.ok("customer", "add", "李四", "--confidential", "--phone", "13800138000")
    cli.ok("complaint", "open", "李四", "冷氣")
    code, _, err = cli("complaint", "escalate", "1", "--reason", invisible)
    assert code == 2, err
    code, _, err = cli("customer", "show", "李四", "--reveal", "--reason", invisible)
    assert code == 2, err
    code, _, err = cli("customer", "add", invisible)
    assert code == 2, err
    assert cli.ok("access-log", "-f", "json") == "[]\n"


def test_a_control_character_in_a_csv_cell_is_refused_naming_line_and_column(
        cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("name,note\n王小明,ok\n李四,\"a\x1b[2Jb\"\n陳,\"\u202eevil\"\n",
                    encoding="utf-8")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert "line 3, column note: control characters" in err
    assert "line 4, column note: control characters" in err
    assert "\x1b" not in err and "\u202e" not in err
    assert cli.ok("customer", "list", "-f", "json") == "[]\n"


def test_a_control_character_already_in_a_file_is_shown_inert(cli: Cli, db_path: Path) -> None:
    import sqlite3

    cli.ok("customer", "add", "王小明")
    with sqlite3.connect(db_path) as conn:  # edited outside crmcli
        conn.execute("UPDATE customers SET name = 'x\x1b[2Jy', unit = '\u202eA'")
    out = cli.ok("customer", "list")
    assert "\x1b" not in out and "\u202e" not in out
    assert "x\ufffd[2Jy" in out


@pytest.mark.parametrize("args", [["hq", "due", "--sites", "\x1e"],
                                  ["customer", "import", "a\x1b[2J.csv"],
                                  ["backup", "/tmp/x\u202e.db"]], ids=repr)
def test_control_characters_in_a_file_name_are_refused_and_not_echoed(
        cli: Cli, args: list[str]) -> None:
    code, out, err = cli(*args)
    assert code == 2, err
    assert "control characters" in err
    assert not any(c in err + out for c in "\x1e\x1b\u202e")
