"""One row stream, five formats: table (plain or Rich), csv (RFC 4180), tsv, json, jsonl."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import Cli
from wcwidth import wcswidth

from crmcli.env import Env
from crmcli.render import Column, Format, render

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COLUMNS = [Column("id", justify="right"), Column("name"), Column("note"), Column("due"),
           Column("tags"), Column("overdue"), Column("hidden", in_table=False)]
ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "王小明", "note": '說："冷氣, 太吵"',
     "due": datetime(2026, 11, 20, 1, 40, tzinfo=UTC), "tags": ["VIP", "長租"], "overdue": True,
     "hidden": "x"},
    {"id": 12, "name": "Acme Ltd", "note": "two\nlines", "due": None, "tags": [],
     "overdue": False, "hidden": None},
    {"id": 123, "name": "陳大文先生", "note": "tab\there", "due": date(2026, 12, 1),
     "tags": ["IDC"], "overdue": False, "hidden": "y"},
]


def run(fmt: Format, rows: list[dict[str, Any]] | None = None, *, tty: bool = False,
        **options: Any) -> str:
    out = io.StringIO()
    env = Env(stdout=out, stderr=io.StringIO(), stdout_isatty=tty)
    render(env, iter(ROWS if rows is None else rows), COLUMNS, fmt, **options)
    return out.getvalue()


# --- csv ----------------------------------------------------------------------------------------

def test_csv_is_rfc_4180_with_a_header() -> None:
    out = run(Format.csv)
    assert out.startswith("id,name,note,due,tags,overdue,hidden\r\n")
    assert out.endswith("\r\n")
    assert '"說：""冷氣, 太吵"""' in out  # quotes doubled, the comma kept inside quotes
    assert '"two\nlines"' in out
    parsed = list(csv.reader(io.StringIO(out, newline="")))
    assert parsed == [
        ["id", "name", "note", "due", "tags", "overdue", "hidden"],
        ["1", "王小明", '說："冷氣, 太吵"', "2026-11-20T09:40:00+08:00", "VIP; 長租", "true", "x"],
        ["12", "Acme Ltd", "two\nlines", "", "", "false", ""],
        ["123", "陳大文先生", "tab\there", "2026-12-01", "IDC", "false", "y"],
    ]
    assert len({len(row) for row in parsed}) == 1  # rectangular


def test_csv_with_no_rows_is_the_header_alone() -> None:
    assert run(Format.csv, []) == "id,name,note,due,tags,overdue,hidden\r\n"


def test_bom_only_where_asked_and_only_for_csv_and_tsv() -> None:
    assert run(Format.csv, bom=True) == "\ufeff" + run(Format.csv)
    assert run(Format.tsv, bom=True).startswith("\ufeffid\tname")
    assert not run(Format.csv).startswith("\ufeff")
    assert run(Format.json, bom=True) == run(Format.json)


def test_tsv_keeps_one_line_per_row() -> None:
    lines = run(Format.tsv).split("\n")
    assert lines[0] == "id\tname\tnote\tdue\ttags\toverdue\thidden"
    assert [line.count("\t") for line in lines[1:4]] == [6, 6, 6]
    assert lines[2].split("\t")[2] == "two lines"
    assert lines[3].split("\t")[2] == "tab here"
    assert lines[4] == ""


def test_table_cells_flatten_tabs_and_line_breaks() -> None:
    out = run(Format.table)
    assert "\t" not in out
    assert "tab here" in out and "two lines" in out


# --- json / jsonl -------------------------------------------------------------------------------

def test_json_is_one_document_with_typed_values() -> None:
    out = run(Format.json)
    document = json.loads(out)
    assert document[0] == {"id": 1, "name": "王小明", "note": '說："冷氣, 太吵"',
                           "due": "2026-11-20T09:40:00+08:00", "tags": ["VIP", "長租"],
                           "overdue": True, "hidden": "x"}
    assert document[1]["due"] is None and document[1]["tags"] == []
    assert document[2]["due"] == "2026-12-01"
    assert "王小明" in out  # readable, not \\u escapes


def test_json_with_no_rows_is_an_empty_list() -> None:
    assert run(Format.json, []) == "[]\n"
    assert json.loads(run(Format.json, [])) == []


def test_jsonl_is_one_object_per_line() -> None:
    lines = run(Format.jsonl).splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["id"] for line in lines] == [1, 12, 123]
    assert json.loads(lines[1])["note"] == "two\nlines"
    assert run(Format.jsonl, []) == ""


# --- tables ---------------------------------------------------------------------------------------

def test_plain_table_has_no_escape_codes_and_hides_table_less_columns() -> None:
    out = run(Format.table)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "note", "due", "tags", "overdue"]
    assert "hidden" not in out
    assert len(lines) == 2 + 3  # header, rule, one line per row (newlines flattened)
    assert "2026-11-20 09:40" in lines[2]  # times shown as a person reads them, local
    assert "yes" in lines[2]  # overdue in words, not only in colour


def test_plain_table_columns_line_up_with_chinese_text() -> None:
    lines = run(Format.table).splitlines()
    rule = lines[1]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    for line in [lines[0], *lines[2:]]:
        for start in (s for s in starts[1:] if s < wcswidth(line)):
            # every column starts at the same display column on every line
            cut = next(i for i in range(len(line) + 1) if wcswidth(line[:i]) >= start)
            assert wcswidth(line[:cut]) == start, line
            assert line[cut - 1] == " ", line


def test_plain_table_is_not_wrapped_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    note = "很長的備註" * 60
    out = run(Format.table, [{"id": 1, "name": "王小明", "note": note}])
    assert len(out.splitlines()) == 3
    assert note in out


def test_empty_table_says_so_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(Format.table, [], empty="No customers match.") == ""
    assert run(Format.table, [], tty=True, empty="No customers match.") == (
        "No customers match.\n")


def test_rich_table_on_a_terminal_aligns_chinese_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "200")
    out = run(Format.table, tty=True, alert_key="overdue")
    plain = ESCAPE.sub("", out)
    lines = [line for line in plain.splitlines() if line.strip()]
    assert "王小明" in plain and "陳大文先生" in plain
    assert len({wcswidth(line) for line in lines}) == 1  # a box: every line equally wide
    border = lines[0]
    for line in lines:
        # the vertical rules sit at the same display columns on every line
        columns = [wcswidth(line[:i]) for i, ch in enumerate(line) if ch in "│┃┆|"]
        expected = [wcswidth(border[:i]) for i, ch in enumerate(border) if ch in "┬┳╤┯"]
        if columns:
            assert columns[1:-1] == expected, line


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_colour_or_a_dumb_terminal_gets_the_plain_table(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv(name, value)
    out = run(Format.table, tty=True)
    assert "\x1b" not in out
    assert out == run(Format.table)


# --- the same through the CLI ---------------------------------------------------------------------

@pytest.fixture
def listing(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--note", '他說："冷氣, 太吵"', "--tag", "VIP")
    cli.ok("customer", "add", "Acme Ltd", "--tag", "IDC", "--tag", "長租")
    return cli


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "jsonl"])
def test_every_format_of_a_list_command(listing: Cli, fmt: str) -> None:
    out = listing.ok("customer", "list", "--format", fmt)
    assert "\x1b" not in out
    if fmt == "json":
        assert [r["name"] for r in json.loads(out)] == ["王小明", "Acme Ltd"]
    elif fmt == "jsonl":
        assert [json.loads(line)["name"] for line in out.splitlines()] == ["王小明", "Acme Ltd"]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        assert [(r["name"], r["tags"]) for r in rows] == [("王小明", "VIP"),
                                                          ("Acme Ltd", "IDC; 長租")]
        assert rows[0]["note"] == '他說："冷氣, 太吵"'
    elif fmt == "tsv":
        assert [line.split("\t")[1] for line in out.splitlines()] == ["name", "王小明",
                                                                      "Acme Ltd"]
    else:
        assert [line.split()[1] for line in out.splitlines()[2:]] == ["王小明", "Acme"]


def test_short_format_option(listing: Cli) -> None:
    assert listing.ok("customer", "list", "-f", "jsonl") == listing.ok(
        "customer", "list", "--format", "jsonl")


def test_csv_bom_through_the_cli(listing: Cli) -> None:
    out = listing.ok("customer", "list", "-f", "csv", "--bom")
    assert out.startswith("\ufeffid,name,")


# --- display width --------------------------------------------------------------------------------

def test_the_width_fast_paths_agree_with_wcwidth() -> None:
    from crmcli import render

    ranges = re.findall(r"(.)-(.)", render._WIDE_RANGES)
    wide = [chr(c) for a, b in ranges for c in range(ord(a), ord(b) + 1)]
    assert all(len(c.encode()) == 3 for c in wide)  # the UTF-8 shortcut counts on it
    for text in [*wide, *render._NARROW_MARKS, *map(chr, range(32, 127))]:
        assert render._width(text) == wcswidth(text), hex(ord(text))
    for text in ["南京安信建筑设计（深圳）有限公司", "王小明 VIP",
                 "complaint #1 (major): report to 資產管理部負責人 — 停车收费有误…",
                 "a·b", "“引號”", "é中", "ｱｲ", "\u302a中",
                 "x\ty中", "😀 smile", "e\u0301", "한국어", "〇〇", "中\u200d文"]:
        expected = wcswidth(text)
        assert render._width(text) == (expected if expected >= 0 else len(text)), text


def test_a_plain_table_lines_up_mixed_scripts_and_right_justifies() -> None:
    columns = [Column("id", justify="right"), Column("name"), Column("note")]
    rows = [{"id": 1, "name": "王小明", "note": "a"}, {"id": 1234, "name": "Acme", "note": ""},
            {"id": 12, "name": "陳·大文—", "note": "b  "}]
    out = io.StringIO()
    render(Env(stdout=out, stderr=io.StringIO(), stdout_isatty=False), rows, columns)
    assert out.getvalue() == (
        "  id  name      note\n"
        "----  --------  ------\n"
        "   1  王小明    a\n"
        "1234  Acme\n"
        "  12  陳·大文—  b\n")


def test_column_widths_agree_with_wcwidth_cell_by_cell() -> None:
    import random

    from crmcli import render

    rng = random.Random(6)
    alphabet = ["a", " ", "1", "王", "（", "ア", "한", "—", "…", "·", "“", "é", "😀", "\u0301"]
    for kinds in (alphabet[:7], alphabet[:10], alphabet):
        texts = ["".join(rng.choice(kinds) for _ in range(rng.randrange(12)))
                 for _ in range(300)]
        expected = [wcswidth(t) if wcswidth(t) >= 0 else len(t) for t in texts]
        assert render._widths(texts, [len(t) for t in texts]) == expected


# --- fitting the terminal ------------------------------------------------------------------------

WIDE_COLUMNS = [Column("id", justify="right"), Column("customer"), Column("kind"),
                Column("summary"), Column("opened_at", "opened"), Column("closed_at", "closed"),
                Column("resolve_due", "resolve by"), Column("count", justify="right"),
                Column("owner"), Column("empty")]
WIDE_ROWS = [{"id": 10_000 + i, "customer": "星辰数据服务有限公司（10部）" if i % 2 else "王小明",
              "kind": "cadence", "summary": "空調不製冷，客戶要求今天派人上門檢查並更換壓縮機" * 2,
              "opened_at": datetime(2026, 11, 20, 1, 40, tzinfo=UTC),
              "closed_at": datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
              "resolve_due": datetime(2026, 11, 30, 1, 40, tzinfo=UTC), "count": 12345 * i,
              "owner": "張片區經理", "empty": ""} for i in range(5)]


def on_a_terminal(monkeypatch: pytest.MonkeyPatch, width: int) -> tuple[str, str]:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", str(width))
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdout=out, stderr=err, stdout_isatty=True)
    render(env, iter(WIDE_ROWS), WIDE_COLUMNS, Format.table)
    return ESCAPE.sub("", out.getvalue()), err.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_a_wide_table_fits_the_terminal_without_breaking_values(
        monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    text, err = on_a_terminal(monkeypatch, width)
    lines = text.splitlines()
    assert len(lines) == 2 + len(WIDE_ROWS)  # one line a row: nothing wraps
    assert all(wcswidth(line) <= width for line in lines)
    for row, line in zip(WIDE_ROWS, lines[2:], strict=True):
        assert str(row["id"]) in line and str(row["count"]) in line  # numbers whole
        assert "2026-11-20 09:40" in line  # the first time whole
        assert "…" in line  # the long summary cut, marked
    header = lines[0].split()
    assert "customer" in header and "summary" in header  # text shrinks, never to nothing
    for line in lines[2:]:  # each text column shows something
        assert ("王小明" in line or "星辰" in line) and "空調" in line and "張片區經理" in line
    if width == 80:
        assert "empty" not in header and "resolve" not in lines[0]
        assert err == "Not shown at this width: closed, resolve by, empty.\n"
    else:
        assert "resolve by" in lines[0] and "2026-11-30 09:40" in lines[2]


def test_the_fit_gives_narrow_needs_first_and_keeps_fixed_widths() -> None:
    from crmcli.render import fit

    row = ["12345", "王小明", "x" * 200, "2026-11-20"]
    shown, sizes = fit(["id", "name", "note", "due"], [row], [True, False, False, True], 60)
    assert shown == [0, 1, 2, 3]
    assert sizes[0] == 5 and sizes[3] == 10 and sizes[1] == 6  # whole, whole, whole
    assert sum(sizes) + 2 * 3 == 60  # the note takes the rest


def test_a_pager_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmcli import render as module

    paged: list[str] = []
    monkeypatch.setattr(module, "_page", lambda pager, text: paged.append(text) or True)
    monkeypatch.setenv("LINES", "5")
    monkeypatch.setenv("PAGER", "less -FRX")
    piped = Env(stdout=io.StringIO(), stderr=io.StringIO(), stdout_isatty=False)
    with module.paged(piped):
        piped.out("\n".join(map(str, range(50))))
    assert not paged and piped.stdout.getvalue().count("\n") == 50
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    screen = Env(stdout=io.StringIO(), stderr=io.StringIO(), stdout_isatty=True)
    with module.paged(screen):
        screen.out("short")
    assert not paged and screen.stdout.getvalue() == "short\n"
    with module.paged(screen):
        screen.out("\n".join(map(str, range(50))))
    assert len(paged) == 1 and paged[0].count("\n") == 50


# --- csv from cells (visit due) -----------------------------------------------------------------

_CELL_TEXT = ["a", ",", '"', "\r", "\n", " ", "", "=", "'", "中", "\t", "\\", "-5", "+86"]


@pytest.mark.parametrize("width", [1, 2, 11])
def test_cells_csv_is_what_the_csv_writer_writes(width: int) -> None:
    # Rows written as joined cells (the usual row: no comma, quote or line break) and rows
    # the writer quotes come out exactly as csv.writer writes them, formula guard included.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from crmcli.render import cells
    from crmcli.text import to_cells

    cell = st.lists(st.sampled_from(_CELL_TEXT), max_size=4).map("".join)

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(*[cell] * width), max_size=2100))
    def check(rows: list[tuple[str, ...]]) -> None:
        out = io.StringIO()
        columns = [Column(f"c{i}") for i in range(width)]
        written = cells(Env(stdout=out, stderr=io.StringIO()), iter(rows), columns, Format.csv)
        expected = io.StringIO()
        writer = csv.writer(expected, lineterminator="\r\n")
        writer.writerow([c.key for c in columns])
        writer.writerows(to_cells(list(row)) for row in rows)
        assert written == len(rows)
        assert out.getvalue() == expected.getvalue()

    check()
