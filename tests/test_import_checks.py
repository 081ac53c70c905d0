"""``customer import`` checks a column at a time: it must say and store exactly what checking
cell by cell with ``clean_field`` does. Also the bulk insert's index rebuild, and line numbers
in large files."""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import fields, text
from crmcli.errors import BadInput

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LONG = "字" * fields.MAX_TEXT
TEXT = ["王小明", "王 小明", " 王小明", "王小明 ", "王  小明", "王\u3000小明", "王\xa0小明",
        "王\t小明", "王\n小明", "王\r\n小明", "王\x07小明", "王\x1f小明", "王\x85小明",
        "王\u200b小明", "👨\u200d👩\u200d👧", "Ａｃｍｅ（深圳）", "", " ", "\u3000", "\x00",
        LONG, LONG + "字", LONG + " ", " " + LONG, "字 " * 1001]
CELLS: dict[str, list[str]] = {
    "name": TEXT,
    "contact": TEXT,
    "address": [*TEXT, "香港九龍彌敦道1號, 3樓"],
    "phone": ["13800138000", "+852 2345-6789", "(02) 2345 6789", "12345 ext 12", "12345ext.12",
              "12345 x 9", "12345轉1", "12345 转 1", "1234", "not a phone",
              "１３８００１３８０００", "12345 ext\n12", "12345 ext\t12", " 13800138000",
              "138  0013 8000", "12345\u3000ext 1", "12345 ext ٣", "12345+67890", "+", "", " "],
    "email": ["a@b.co", "user@example.com", "a@b", "a b@c.d", "@b.c", "a@b.c\n", " a@b.co",
              "a@b.c ", "ａ@ｂ.ｃ", "a@@b.c", "a@b.cx@y.z", "", " "],
    "note": ["一行", "兩行\n第二行", "a\r\nb", "a\rb", " x ", "tab\there", "a  b", "\x00", "x\x1f",
             LONG + "\n", "\n", "", " "],
    "grade": ["A", "b", " C ", "D", "AB", "", " "],
    "since": ["2024-01-01", "2024-1-1", "不知道", "yesterday", "-3d", "20240101", "2023-02-29",
              "0999-01-01", "1899-12-31", "1900-01-01", "9998-12-31", "9999-01-01",
              " 2024-01-01", "2024-01-01 10:00", "２０２４-01-01", "", " "],
    "birthday": ["1985-03-12", "03-12", "--02-29", "2-30", "3月12日", "13-01", "0001-01-01",
                 "2023-02-29", "1985-3-12", "", " "],
    "tags": ["VIP", "VIP;長者", "VIP, VIP", ";;", " a ; b ", "a，b；c", "a\x01", "", " "],
    "preferences": ["language=粵語", '{"a": "b"}', "{bad", "[1]", "a=1;b=2", "=x", "a",
                    '{"a": "\n"}', "a=\x02", "", " "],
    "confidential": ["yes", "no", "1", "0", "是", "否", "maybe", "TRUE", " y ", "", " "],
}
# Cells the column checks pass as they are, next to which each cell above is tried alone.
PLAIN: dict[str, list[str]] = {
    "name": ["王小明", "李 四", "Acme 科技"], "contact": ["陳太太", "Mr Chan"],
    "address": ["香港九龍彌敦道1號", "3樓 A座"], "phone": ["13800138000", "+852 2345-6789"],
    "email": ["a@b.co", "user@example.com"], "note": ["一行", "a b"], "grade": ["A", "B"],
    "since": ["2024-01-01", "1999-12-31"], "birthday": ["1985-03-12", "2000-02-29"],
    "tags": ["VIP", "VIP;長者"], "preferences": ["a=b"], "confidential": ["yes", "no"],
}
USUAL_DAYS = ["2024-01-01", "1900-01-01", "9998-12-31", "2024-02-29", "1985-03-12", ""]


def one_by_one(field: str, cells: list[str]) -> tuple[list[Any], dict[int, str]]:
    """What the import made of each cell before it checked by column."""
    values: list[Any] = []
    errors: dict[int, str] = {}
    for index, cell in enumerate(cells):
        if field != "name" and not cell.strip() and not text.has_control(cell):
            values.append(None)
            continue
        try:
            values.append(fields.clean_field(field, cell, NOW))
        except BadInput as exc:
            values.append(None)
            errors[index] = str(exc)
    return values, errors


@pytest.mark.parametrize("field", sorted(CELLS))
def test_a_column_is_cleaned_as_its_cells_would_be(field: str) -> None:
    for odd in CELLS[field]:
        cells = [*PLAIN[field], odd]
        # all different: checked over the column; repeated: cleaned once per distinct text
        assert fields.ColumnCleaner(field, NOW)(cells) == one_by_one(field, cells), odd
        assert fields.ColumnCleaner(field, NOW)(cells * 3) == one_by_one(field, cells * 3), odd
    cells = CELLS[field]
    assert fields.ColumnCleaner(field, NOW)(cells) == one_by_one(field, cells)
    cleaner = fields.ColumnCleaner(field, NOW)  # a later chunk reuses what an earlier one saw
    half = len(cells) // 2
    assert cleaner(cells[:half] * 3) == one_by_one(field, cells[:half] * 3)
    assert cleaner(cells * 3) == one_by_one(field, cells * 3)


@pytest.mark.parametrize("field", ["since", "birthday"])
def test_usual_days_are_taken_as_written_and_the_rest_parsed(field: str) -> None:
    assert fields.ColumnCleaner(field, NOW)(USUAL_DAYS) == one_by_one(field, USUAL_DAYS)
    for odd in CELLS[field]:
        cells = [*USUAL_DAYS, odd]
        assert fields.ColumnCleaner(field, NOW)(cells) == one_by_one(field, cells)


ODD = st.sampled_from(["\u3000", "\xa0", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\u200b",
                       "\u2028", ";", ",", "，", "=", "@", ".", "-", "+", "(", "ext", "轉", "x",
                       "０", "٣", "{", '"', "月", "日"])
CELL = st.lists(st.one_of(ODD, st.sampled_from(" 12345678"), st.sampled_from("王Aa ")),
                max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(CELLS)), cells=st.lists(CELL, max_size=12),
       repeat=st.integers(1, 3))
def test_generated_cells_are_cleaned_as_one_by_one(field: str, cells: list[str],
                                                   repeat: int) -> None:
    assert fields.ColumnCleaner(field, NOW)(cells * repeat) == one_by_one(field, cells * repeat)


def test_whitespace_other_than_the_space_and_control_characters_are_not_printable() -> None:
    """What the column check relies on: a printable text holds neither."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if (char.isspace() and char != " ") or text._CONTROL.match(char):
            assert not char.isprintable(), hex(code)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(BadInput, match="Unknown customer field 'colour'"):
        fields.ColumnCleaner("colour", NOW)


# --- through the CLI ----------------------------------------------------------------------------

def indexes(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers' "
            "AND sql IS NOT NULL"))


def rows_csv(count: int, start: int = 0) -> str:
    return "name,phone,grade,since,tags\n" + "".join(
        f"客戶{i},1380013{i:04d},B,2020-03-01,VIP;長者\n" for i in range(start, start + count))


def test_a_large_import_builds_the_indexes_again_as_they_were(cli: Cli, db_path: Path,
                                                               tmp_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE INDEX my_phone ON customers (phone) WHERE phone IS NOT NULL")
        conn.execute("CREATE UNIQUE INDEX my_unit ON customers (site, unit)")
    before = indexes(db_path)
    path = tmp_path / "many.csv"
    path.write_text(rows_csv(1500), encoding="utf-8")
    assert cli.ok("customer", "import", str(path)) == (
        f"Imported {path}: 1500 new, 0 updated, 0 skipped of 1500 rows (at 2026-11-20 10:00).\n")
    assert indexes(db_path) == before
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*), count(DISTINCT name_key) FROM customers "
                            "INDEXED BY customers_name_key WHERE name_key > ''"
                            ).fetchone() == (1500, 1500)
        assert conn.execute("SELECT count(*) FROM customer_tags").fetchone() == (3000,)
    assert cli.ok("customer", "show", "客戶1234", "-f", "json").count("13800131234") == 1


def test_an_analyzed_file_keeps_its_statistics(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(rows_csv(10), encoding="utf-8")
    cli.ok("customer", "import", str(first))
    with sqlite3.connect(db_path) as conn:
        conn.execute("ANALYZE")
        stats = conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers'").fetchall()
    assert stats
    more = tmp_path / "more.csv"
    more.write_text(rows_csv(1500, start=10), encoding="utf-8")
    cli.ok("customer", "import", str(more))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers'"
                            ).fetchall() == stats


def test_problems_in_a_large_file_name_their_lines_in_order(cli: Cli, db_path: Path,
                                                             tmp_path: Path) -> None:
    lines = ["name,grade,note", '客戶0,C,"第一行', '第二行"']  # record 1 takes lines 2-3
    lines += [f"客戶{i},C," for i in range(1, 12_000)]
    lines[10_500] = "客戶10497,Z,"  # line 10501: a bad grade, and the name is also on line 10500
    lines[11_000] = "客戶5,C,\x07"  # line 11001: a control character; the name is on line 8
    lines[11_500] = ",,"  # a blank record is passed over
    path = tmp_path / "large.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli("customer", "import", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"Error: {path}: 4 problem(s); nothing was imported.",
        "  line 10501, column grade: 'Z' is not a grade (A, B or C).",
        "  line 10501, column name: '客戶10497' is also on line 10500",
        "  line 11001, column note: control characters are not allowed.",
        "  line 11001, column name: '客戶5' is also on line 8",
    ]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)


@pytest.mark.parametrize(("head", "first_row_line"), [
    ("name,colour", 2),  # an unknown column
    ('name,note\n王小明,"引號"之後', 3),  # a quote closed mid-cell
])
def test_a_line_that_is_not_utf8_is_named_before_any_other_problem(
        cli: Cli, db_path: Path, tmp_path: Path, head: str, first_row_line: int) -> None:
    rows = "".join(f"客戶{i},x\n" for i in range(3000))  # well past the first block read
    path = tmp_path / "late.csv"
    path.write_bytes(f"{head}\n{rows}".encode() + "陳大文,x\n".encode("gbk"))
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert f"line {first_row_line + 3000} is not UTF-8 text" in err, err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)


def test_rows_are_checked_before_the_write_lock_and_again_if_another_writer_came_between(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    """The checks run before the lock is taken; a customer of the same name added by another
    process meanwhile is still refused (the rows are checked again inside the lock)."""
    from crmcli.services import importer

    data = tmp_path / "in.csv"
    data.write_text("name,phone\n王小明,13800138000\n李四,13900139000\n", encoding="utf-8")
    calls: list[bool] = []
    intruded: list[bool] = []
    checked = importer.plan

    def plan_then_another_writer(session: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(session.conn.in_transaction)
        result = checked(session, *args, **kwargs)
        if not intruded:  # another process files 李四 between the check and the lock
            intruded.append(True)
            with sqlite3.connect(isolated) as other:
                other.execute("INSERT INTO customers (name, name_key, created_at, updated_at) "
                              "VALUES ('李四', ?, '2026-11-20T01:00:00Z', "
                              "'2026-11-20T01:00:00Z')", (fields.name_key("李四"),))
            other.close()
        return result

    monkeypatch.setattr(importer, "plan", plan_then_another_writer)
    code, out, err = cli("customer", "import", str(data))
    assert calls == [False, True]
    assert (code, out) == (2, "")
    assert "column name: '李四' is already customer #1" in err
    with sqlite3.connect(isolated) as conn:
        assert conn.execute("SELECT name FROM customers").fetchall() == [("李四",)]
    conn.close()
    calls.clear()  # nobody in between: checked once, outside the lock
    data.write_text("name,phone\n王小明,13800138000\n", encoding="utf-8")
    cli.ok("customer", "import", str(data))
    assert calls == [False]
