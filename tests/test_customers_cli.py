"""The customer file (客戶檔案) through the CLI: add, list, show, edit, history, privacy, import,
export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

SPEC_FIELDS = {"id", "name", "contact", "phone", "email", "address", "segment", "grade", "tags",
               "since", "birthday", "confidential"}


def customers(cli: Cli, *args: str) -> list[dict[str, Any]]:
    rows = json.loads(cli.ok("customer", "list", *args, "-f", "json"))
    assert isinstance(rows, list)
    return rows


def names(cli: Cli, *args: str) -> list[str]:
    return [row["name"] for row in customers(cli, *args)]


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- add ------------------------------------------------------------------------------------

def test_add_with_every_option_round_trips_exactly(cli: Cli) -> None:
    out = cli.ok("customer", "add", "陳大文", "--contact", "陳太太", "--phone", "13800138000",
                 "--email", "chan@example.com", "--address", "香港九龍彌敦道1號",
                 "--site", "A座", "--unit", "1201", "--segment", "owner", "--grade", "C",
                 "--since", "2025-03-01", "--birthday", "1985-03-12", "--tag", "VIP",
                 "--tag", "長租", "--note", "怕吵，請勿早上來電", "--preference", "language=粵語",
                 "--preference", "dietary=素食")
    assert out == "Added customer #1 陳大文 (at 2026-11-20 10:00).\n"
    [row] = customers(cli)
    assert row.keys() >= SPEC_FIELDS
    assert {k: row[k] for k in (*SPEC_FIELDS, "site", "unit", "note", "preferences")} == {
        "id": 1, "name": "陳大文", "contact": "陳太太", "phone": "13800138000",
        "email": "chan@example.com", "address": "香港九龍彌敦道1號", "segment": "owner",
        "grade": "C", "tags": ["VIP", "長租"], "since": "2025-03-01", "birthday": "1985-03-12",
        "confidential": False, "site": "A座", "unit": "1201", "note": "怕吵，請勿早上來電",
        # dietary needs are sensitive (seed 003): masked unless revealed
        "preferences": {"language": "粵語", "dietary": "****"}}


def test_add_defaults_and_json_confirmation(cli: Cli) -> None:
    record = json.loads(cli.ok("customer", "add", "李四", "-f", "json"))
    assert (record["id"], record["name"], record["grade"], record["tags"]) == (1, "李四", "C", [])
    assert record["confidential"] is False
    assert record["since"] is None


def test_birthday_without_a_year_and_since_in_human_form(cli: Cli) -> None:
    cli.ok("customer", "add", "李四", "--birthday", "03-12", "--since", "yesterday")
    [row] = customers(cli)
    assert (row["birthday"], row["since"]) == ("--03-12", "2026-11-19")


# Seed 003: 對新顧客,不問其規模如何,一年間將其列為c等級 — today is 2026-11-20 (conftest).
@pytest.mark.parametrize(("since", "grade", "allowed"), [
    (None, "A", False),  # entered today: its first year has just begun
    (None, "C", True),
    ("2025-11-21", "B", False),  # the year ends tomorrow
    ("2025-11-20", "B", True),  # 365 days ago today: the year is over
    ("2025-11-20", "A", True),
    ("2020-01-01", "A", True),
])
def test_a_new_customer_is_grade_c_for_its_first_year(cli: Cli, since: str | None, grade: str,
                                                     allowed: bool) -> None:
    args = ["--grade", grade] + (["--since", since] if since else [])
    code, out, err = cli("customer", "add", "李四", *args)
    if allowed:
        assert (code, out) == (0, "Added customer #1 李四 (at 2026-11-20 10:00).\n")
        assert customers(cli)[0]["grade"] == grade
    else:
        assert (code, out) == (2, "")
        until = "2027-11-20" if since is None else "2026-11-21"
        assert f"graded C until {until}" in err
        assert customers(cli) == []


def test_edit_and_import_keep_a_new_customer_at_grade_c(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "李四", "--since", "2026-06-01")
    code, _, err = cli("customer", "edit", "李四", "--grade", "A")
    assert code == 2 and "graded C until 2027-06-01" in err
    code, _, err = cli("customer", "edit", "李四", "--since", "2025-01-01", "--grade", "A")
    assert code == 0, err
    code, _, err = cli("customer", "edit", "李四", "--since", "2026-10-01")
    assert code == 2 and "graded C until 2027-10-01" in err  # A and a first year do not mix
    table = tmp_path / "new.csv"
    table.write_text("name,grade,since\n王五,B,2026-03-01\n趙六,B,2024-03-01\n", "utf-8")
    code, _, err = cli("customer", "import", str(table))
    assert code == 2
    assert "line 2, column grade: B: a customer in its first year (since 2026-03-01)" in err
    assert "line 3" not in err


@pytest.mark.parametrize("again", ["王小明", "王小明 ", " 王 小明", "王小明\t"])
def test_a_name_already_on_file_is_refused(cli: Cli, again: str) -> None:
    cli.ok("customer", "add", "王小明")
    code, out, err = cli("customer", "add", again)
    assert (code, out) == (1, "")
    assert err.startswith("Error: Customer #1 王小明 is already on file;")
    assert "--allow-duplicate" in err
    assert names(cli) == ["王小明"]


def test_duplicate_check_ignores_case_and_spaces(cli: Cli) -> None:
    cli.ok("customer", "add", "Acme Ltd")
    code, _, err = cli("customer", "add", "ACME  LTD")
    assert code == 1 and "#1 Acme Ltd" in err
    assert cli.ok("customer", "add", "ACME  LTD", "--allow-duplicate") == (
        "Added customer #2 ACME LTD (at 2026-11-20 10:00).\n")
    assert names(cli) == ["Acme Ltd", "ACME LTD"]


@pytest.mark.parametrize(("args", "words"), [
    (["--grade", "D"], ["--grade", "'D'"]),
    (["--phone", "call me"], ["--phone", "'call me'"]),
    (["--email", "nobody"], ["--email", "'nobody'"]),
    (["--since", "某年某月"], ["--since", "'某年某月'"]),
    (["--birthday", "02-30"], ["--birthday", "'02-30'"]),
    (["--preference", "粵語"], ["--preference", "KEY=VALUE"]),
    (["--format", "xml"], ["xml"]),
    (["--frobnicate"], ["--frobnicate"]),
])
def test_bad_customer_input_exits_2_and_writes_nothing(cli: Cli, db_path: Path,
                                                       args: list[str], words: list[str]) -> None:
    code, out, err = cli("customer", "add", "王小明", *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    for word in words:
        assert word in err
    assert count(db_path, "customers") == 0


def test_an_empty_name_is_refused(cli: Cli) -> None:
    code, _, err = cli("customer", "add", "  ")
    assert code == 2 and "name" in err


# --- list -------------------------------------------------------------------------------------

@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "王小明", "--grade", "A", "--segment", "tenant", "--tag", "VIP",
           "--unit", "A-1201", "--since", "2020-01-01")
    cli.ok("customer", "add", "李四", "--grade", "B", "--segment", "owner", "--tag", "VIP",
           "--tag", "長租", "--note", "裝修中", "--since", "2020-01-01")
    cli.ok("customer", "add", "張三", "--segment", "tenant", "--contact", "張太太")
    cli.ok("customer", "add", "Acme 科技", "--segment", "enterprise", "--tag", "IDC")
    return cli


def test_list_filters(site: Cli) -> None:
    assert names(site) == ["王小明", "李四", "張三", "Acme 科技"]
    assert names(site, "--grade", "A") == ["王小明"]
    assert names(site, "--grade", "c") == ["張三", "Acme 科技"]
    assert names(site, "--tag", "VIP") == ["王小明", "李四"]
    assert names(site, "--tag", "VIP", "--tag", "長租") == ["李四"]
    assert names(site, "--segment", "tenant") == ["王小明", "張三"]
    assert names(site, "--search", "裝修") == ["李四"]
    assert names(site, "--search", "張太") == ["張三"]
    assert names(site, "--search", "1201") == ["王小明"]
    assert names(site, "--search", "acme") == ["Acme 科技"]
    assert names(site, "--search", "%") == []
    assert names(site, "--segment", "tenant", "--grade", "A") == ["王小明"]
    assert names(site, "--tag", "無此標籤") == []


def test_list_limit(site: Cli) -> None:
    assert names(site, "--limit", "2") == ["王小明", "李四"]
    assert names(site, "-n", "1", "--tag", "VIP") == ["王小明"]
    code, _, err = site("customer", "list", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_list_table_lines_up_chinese_names(site: Cli) -> None:
    from wcwidth import wcswidth

    lines = site.ok("customer", "list").splitlines()
    header = lines[0]
    grade_column = wcswidth(header[:header.index("grade")])
    for line, grade in zip(lines[2:], ["A", "B", "C", "C"], strict=True):
        cells = line.split()
        assert grade in cells
        # the grade sits in the grade column, whatever the width of the names before it
        position = (line + " ").index(f" {grade} ") + 1
        assert wcswidth(line[:position]) == grade_column, line


def test_list_empty(cli: Cli) -> None:
    assert cli.ok("customer", "list") == ""
    assert cli.ok("customer", "list", "-f", "json") == "[]\n"


# --- show, ambiguity --------------------------------------------------------------------------

def test_show_by_id_or_name(site: Cli) -> None:
    by_name = json.loads(site.ok("customer", "show", "李四", "-f", "json"))
    by_id = json.loads(site.ok("customer", "show", "2", "-f", "json"))
    assert by_name == by_id
    assert (by_name["id"], by_name["name"], by_name["tags"]) == (2, "李四", ["VIP", "長租"])
    table = site.ok("customer", "show", "#2")
    assert table.splitlines()[0] == "Customer #2 李四"
    assert "裝修中" in table


def test_an_ambiguous_name_lists_the_candidates(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--site", "A座", "--unit", "1201")
    cli.ok("customer", "add", "王小明", "--site", "B座", "--unit", "0303", "--allow-duplicate")
    code, out, err = cli("customer", "show", "王小明")
    assert (code, out) == (1, "")
    assert "#1 王小明 (A座 1201)" in err and "#2 王小明 (B座 0303)" in err
    assert err.count("\n") == 1
    code, _, err = cli("complaint", "open", "王小明", "漏水")
    assert code == 1 and "#1" in err and "#2" in err
    assert json.loads(cli.ok("customer", "show", "2", "-f", "json"))["site"] == "B座"


def test_an_unknown_customer_exits_1(cli: Cli) -> None:
    code, out, err = cli("customer", "show", "無名氏")
    assert (code, out) == (1, "")
    assert "無名氏" in err and "customer list --search" in err
    code, _, _ = cli("customer", "edit", "42", "--grade", "B")
    assert code == 1


# --- edit and history ---------------------------------------------------------------------------

def test_edit_keeps_every_change_with_who_and_when(site: Cli, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    monkeypatch.setenv("CRMCLI_USER", "陳主任")
    out = site.ok("customer", "edit", "李四", "--grade", "A", "--tag", "新盤", "--untag", "VIP",
                  "--phone", "13900139000", now="2026-11-21T09:30")
    assert out == "Updated customer #2 李四: phone, grade, tags (at 2026-11-21 09:30).\n"
    assert site.ok("customer", "edit", "李四", "--grade", "A") == (
        "Customer #2 李四: nothing to change.\n")
    row = customers(site, "--search", "李四")[0]
    assert (row["grade"], row["tags"], row["phone"]) == ("A", ["新盤", "長租"], "13900139000")
    history = json.loads(site.ok("customer", "history", "李四", "-f", "json"))
    assert [(h["field"], h["old"], h["new"], h["by"], h["at"]) for h in history] == [
        ("phone", None, "13900139000", "陳主任", "2026-11-21T09:30:00+08:00"),
        ("grade", "B", "A", "陳主任", "2026-11-21T09:30:00+08:00"),
        ("tags", '["VIP", "長租"]', '["新盤", "長租"]', "陳主任", "2026-11-21T09:30:00+08:00"),
    ]


def test_rename_to_a_name_on_file_is_refused(site: Cli) -> None:
    code, _, err = site("customer", "edit", "李四", "--name", "王 小明")
    assert code == 1 and "#1 王小明" in err
    assert site.ok("customer", "edit", "李四", "--name", "李四四") == (
        "Updated customer #2 李四四: name (at 2026-11-20 10:00).\n")


def test_history_of_an_untouched_customer_is_empty(site: Cli) -> None:
    assert site.ok("customer", "history", "張三", "-f", "json") == "[]\n"


# --- privacy (seed 003) -------------------------------------------------------------------------

@pytest.fixture
def secret(cli: Cli) -> Cli:
    cli.ok("customer", "add", "周先生", "--phone", "13800138000", "--email", "zhou@example.com",
           "--address", "北京市朝陽區建國路88號", "--confidential")
    cli.ok("customer", "add", "吳小姐", "--phone", "13700137000")
    return cli


def test_confidential_details_are_masked_in_lists_exports_and_json(secret: Cli) -> None:
    hidden = ("13800138000", "zhou@example.com", "建國路88號")
    for args in (["customer", "list"], ["customer", "list", "-f", "json"],
                 ["customer", "list", "-f", "csv"], ["customer", "export"],
                 ["customer", "export", "-f", "jsonl"], ["customer", "show", "周先生"],
                 ["customer", "show", "1", "-f", "json"]):
        out = secret.ok(*args)
        for detail in hidden:
            assert detail not in out, (args, detail)
    row = customers(secret)[0]
    assert (row["phone"], row["confidential"]) == ("138****00", True)
    # the domain would be most of the address: only its last part is shown
    assert row["email"] == "z***@***.com"
    assert customers(secret)[1]["phone"] == "13700137000"  # others are not masked


def test_reveal_needs_a_reason_and_is_logged(secret: Cli, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    code, out, err = secret("customer", "show", "周先生", "--reveal")
    assert (code, out) == (2, "")
    assert "--reason" in err
    assert secret.ok("access-log", "-f", "json") == "[]\n"

    monkeypatch.setenv("CRMCLI_USER", "陳主任")
    out = secret.ok("customer", "show", "周先生", "--reveal", "--reason", "投訴回訪電話",
                    now="2026-11-20T14:05")
    assert "13800138000" in out and "建國路88號" in out
    log = json.loads(secret.ok("access-log", "-f", "json"))
    assert [(e["at"], e["by"], e["customer_id"], e["customer"], e["action"], e["reason"])
            for e in log] == [("2026-11-20T14:05:00+08:00", "陳主任", 1, "周先生", "show",
                               "投訴回訪電話")]


def test_export_of_confidential_details_needs_reveal_with_reason(secret: Cli) -> None:
    code, _, err = secret("customer", "export", "--reveal")
    assert code == 2 and "--reason" in err
    out = secret.ok("customer", "export", "--reveal", "--reason", "年度備份")
    assert "13800138000" in out
    log = json.loads(secret.ok("access-log", "--customer", "周先生", "-f", "json"))
    assert [(e["action"], e["reason"]) for e in log] == [("export", "年度備份")]


def test_history_of_a_confidential_customer_hides_old_and_new_details(secret: Cli) -> None:
    secret.ok("customer", "edit", "周先生", "--phone", "13900139000", "--grade", "B",
              "--since", "2020-01-01")
    history = secret.ok("customer", "history", "周先生", "-f", "json")
    assert "13800138000" not in history and "13900139000" not in history
    assert '"grade"' in history


def test_edit_json_confirmation_of_a_confidential_customer_is_masked(secret: Cli) -> None:
    out = secret.ok("customer", "edit", "周先生", "--note", "VIP", "-f", "json")
    assert "13800138000" not in out and json.loads(out)["note"] == "VIP"


# --- import ---------------------------------------------------------------------------------------

def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    return folder


def test_import_a_good_file(cli: Cli, csv_dir: Path) -> None:
    path = write(csv_dir / "tenants.csv",
                 "name,phone,grade,tags,since,birthday,preferences,confidential,note\n"
                 '王小明,13800138000,B,VIP;長租,2024-03-01,03-12,language=粵語,no,"一行,含逗號"\n'
                 '李四,,,,,,,yes,"兩行\n第二行"\n')
    assert cli.ok("customer", "import", str(path)) == (
        f"Imported {path}: 2 new, 0 updated, 0 skipped of 2 rows (at 2026-11-20 10:00).\n")
    rows = customers(cli)
    assert [(r["name"], r["grade"], r["tags"], r["since"], r["birthday"], r["preferences"],
             r["confidential"], r["note"]) for r in rows] == [
        ("王小明", "B", ["VIP", "長租"], "2024-03-01", "--03-12", {"language": "粵語"}, False,
         "一行,含逗號"),
        ("李四", "C", [], None, None, {}, True, "兩行\n第二行")]


def test_import_header_aliases_bom_and_windows_line_ends(cli: Cli, csv_dir: Path) -> None:
    path = write(csv_dir / "excel.csv",
                 '\ufeffName,Mobile,Tag,Note\r\n張三,13800138000,VIP,"第一行\r\n第二行"\r\n')
    cli.ok("customer", "import", str(path))
    [row] = customers(cli)
    assert (row["name"], row["phone"], row["tags"], row["note"]) == (
        "張三", "13800138000", ["VIP"], "第一行\n第二行")


def test_import_is_all_or_nothing_and_names_every_bad_cell(cli: Cli, db_path: Path,
                                                          csv_dir: Path) -> None:
    path = write(csv_dir / "bad.csv",
                 "name,phone,grade,since\n"
                 "王小明,13800138000,A,2024-01-01\n"
                 '李四,"not a phone",D,2024-01-01\n'
                 "張三,,C,不知道\n"
                 ",13700137000,C,\n"
                 "陳大文,,C,2024-01-01\n")
    code, out, err = cli("customer", "import", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == f"Error: {path}: 4 problem(s); nothing was imported."
    assert lines[1] == "  line 3, column phone: 'not a phone' is not a phone number."
    assert lines[2] == "  line 3, column grade: 'D' is not a grade (A, B or C)."
    assert lines[3].startswith("  line 4, column since: cannot read '不知道'")
    assert lines[4].startswith("  line 5, column name:")
    assert count(db_path, "customers") == 0


def test_import_line_numbers_count_lines_inside_quoted_cells(cli: Cli, csv_dir: Path) -> None:
    path = write(csv_dir / "multi.csv",
                 'name,note,grade\n王小明,"第一行\n第二行\n第三行",A\n李四,,Z\n')
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert "  line 5, column grade: 'Z' is not a grade (A, B or C)." in err.splitlines()


@pytest.mark.parametrize(("row", "problem"), [
    ("李四,13700137000", "line 3: 2 cells, the header has 3"),
    ("李四,13700137000,B,多餘", "line 3: 4 cells, the header has 3"),
])
def test_import_rows_with_missing_or_extra_cells(cli: Cli, db_path: Path, csv_dir: Path,
                                                 row: str, problem: str) -> None:
    path = write(csv_dir / "cells.csv", f"name,phone,grade\n王小明,13800138000,A\n{row}\n")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert f"  {problem}" in err.splitlines()
    assert count(db_path, "customers") == 0


@pytest.mark.parametrize(("text", "words"), [
    ("name,colour\n王小明,red\n", ["line 1", "'colour'"]),
    ("phone\n13800138000\n", ["line 1", "'name'"]),
    ("name,name\n王小明,王小明\n", ["line 1", "twice"]),
    ('name,note\n王小明,"沒有結束的引號\n李四,x\n', ["line 2", "quote"]),
    ("", ["empty"]),
])
def test_import_bad_files(cli: Cli, db_path: Path, csv_dir: Path, text: str,
                          words: list[str]) -> None:
    path = write(csv_dir / "broken.csv", text)
    code, out, err = cli("customer", "import", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert str(path) in err
    for word in words:
        assert word in err
    assert count(db_path, "customers") == 0


@pytest.mark.parametrize(("encoding", "name"), [("gbk", "GBK"), ("big5", "Big5")])
def test_import_of_a_legacy_chinese_encoding_says_to_save_as_utf8(
        cli: Cli, db_path: Path, csv_dir: Path, encoding: str, name: str) -> None:
    path = write(csv_dir / f"{encoding}.csv", "name,note\n陳大文,長期租戶\n", encoding)
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert "line 2 is not UTF-8" in err and name in err and "UTF-8" in err
    assert count(db_path, "customers") == 0


def test_import_a_missing_file(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("customer", "import", str(tmp_path / "nowhere.csv"))
    assert code == 2 and "nowhere.csv" in err


def test_import_dry_run_writes_nothing(cli: Cli, db_path: Path, csv_dir: Path) -> None:
    path = write(csv_dir / "ok.csv", "name,grade,since\n王小明,A,2020-01-01\n李四,B,2019-05-01\n")
    assert cli.ok("customer", "import", str(path), "--dry-run") == (
        f"Checked {path}: all rows are good (2 new, 0 updated, 0 skipped of 2 rows); "
        "nothing written.\n")
    assert count(db_path, "customers") == 0
    bad = write(csv_dir / "bad.csv", "name,grade\n王小明,Q\n")
    code, _, err = cli("customer", "import", str(bad), "--dry-run")
    assert code == 2 and "line 2, column grade" in err


def test_import_names_already_on_file(cli: Cli, db_path: Path, csv_dir: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("customer", "add", "王小明", "--grade", "C", "--phone", "13800138000",
           "--since", "2021-04-01")
    path = write(csv_dir / "again.csv",
                 "name,grade,since,tags\n王 小明,A,2020-01-01,VIP\n李四,B,2020-01-01,\n")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert ("  line 2, column name: '王 小明' is already customer #1 "
            "(use --skip-existing or --update-existing)") in err.splitlines()
    assert count(db_path, "customers") == 1

    assert cli.ok("customer", "import", str(path), "--skip-existing") == (
        f"Imported {path}: 1 new, 0 updated, 1 skipped of 2 rows (at 2026-11-20 10:00).\n")
    assert [(r["name"], r["grade"]) for r in customers(cli)] == [("王小明", "C"), ("李四", "B")]

    monkeypatch.setenv("CRMCLI_USER", "匯入員")
    path = write(csv_dir / "update.csv", "name,grade,tags\n王小明,A,VIP\n")
    assert cli.ok("customer", "import", str(path), "--update-existing") == (
        f"Imported {path}: 0 new, 1 updated, 0 skipped of 1 rows (at 2026-11-20 10:00).\n")
    row = customers(cli)[0]
    assert (row["grade"], row["tags"], row["phone"]) == ("A", ["VIP"], "13800138000")
    history = json.loads(cli.ok("customer", "history", "王小明", "-f", "json"))
    assert [(h["field"], h["old"], h["new"], h["by"]) for h in history] == [
        ("grade", "C", "A", "匯入員")]


def test_import_refuses_a_name_twice_in_the_file(cli: Cli, csv_dir: Path) -> None:
    path = write(csv_dir / "twice.csv", "name\n王小明\nwang\n王小明\n")
    code, _, err = cli("customer", "import", str(path))
    assert code == 2
    assert "  line 4, column name: '王小明' is also on line 2" in err.splitlines()


def test_import_choices_are_exclusive(cli: Cli, csv_dir: Path) -> None:
    path = write(csv_dir / "ok.csv", "name\n王小明\n")
    code, _, err = cli("customer", "import", str(path), "--skip-existing", "--update-existing")
    assert code == 2 and "--skip-existing" in err


# --- export ---------------------------------------------------------------------------------------

def test_export_round_trips_through_import(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "陳大文", "--contact", "陳太太", "--phone", "+852 2345-6789",
           "--email", "chan@example.com", "--address", "香港九龍彌敦道1號, 3樓",
           "--site", "A座", "--unit", "1201", "--segment", "owner", "--grade", "B",
           "--since", "2023-03-01", "--birthday", "03-12", "--tag", "VIP", "--tag", "長租",
           "--note", '他說："冷氣太吵"\n第二行', "--preference", "language=粵語",
           "--preference", "dietary=素食", "--confidential")
    cli.ok("customer", "add", "李四")
    cli.ok("customer", "add", "Acme 科技", "--segment", "enterprise", "--grade", "A",
           "--since", "2020-01-01", "--tag", "IDC")
    first = cli.ok("customer", "export", "--reveal", "--reason", "搬到新數據庫")
    exported = tmp_path / "customers.csv"
    exported.write_text(first, encoding="utf-8", newline="")

    other = tmp_path / "other.db"
    cli.ok("--db", str(other), "init")
    assert cli.ok("--db", str(other), "customer", "import", str(exported)) == (
        f"Imported {exported}: 3 new, 0 updated, 0 skipped of 3 rows (at 2026-11-20 10:00).\n")
    again = cli.ok("--db", str(other), "customer", "export", "--reveal", "--reason", "核對")
    assert again == first
    rows = list(csv.DictReader(io.StringIO(again, newline="")))
    assert rows[0]["note"] == '他說："冷氣太吵"\n第二行'


def test_export_is_csv_with_a_header_and_optional_bom(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--tag", "VIP")
    out = cli.ok("customer", "export")
    assert out.startswith("id,name,contact,phone,email,address,")
    bom = cli.ok("customer", "export", "--bom")
    assert bom == "\ufeff" + out
    assert cli.ok("customer", "export", "--tag", "無") == out.splitlines(keepends=True)[0]


def test_update_existing_never_guesses_between_namesakes(cli: Cli, csv_dir: Path) -> None:
    cli.ok("customer", "add", "王小明", "--unit", "A-1201")
    cli.ok("customer", "add", "王小明", "--unit", "B-0303", "--allow-duplicate")
    path = write(csv_dir / "update.csv", "name,grade\n王小明,A\n")
    code, _, err = cli("customer", "import", str(path), "--update-existing")
    assert code == 2
    assert "matches customers #1, #2" in err
    assert [r["grade"] for r in customers(cli)] == ["C", "C"]


def test_list_reveal_shows_details_and_logs_each_confidential_customer(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "13800138000")
    cli.ok("customer", "add", "李秘密", "--phone", "13912345678", "--confidential")
    masked = cli.ok("customer", "list", "-f", "csv")
    assert "13912345678" not in masked and "139****78" in masked
    code, out, err = cli("customer", "list", "--reveal")
    assert (code, out) == (2, "") and "--reason" in err
    shown = cli.ok("customer", "list", "-f", "csv", "--reveal", "--reason", "回訪電話")
    assert "13912345678" in shown
    log = cli.ok("access-log", "-f", "csv").splitlines()
    assert len(log) == 2 and log[1].endswith(",2,李秘密,list,回訪電話")


def test_search_does_not_match_a_confidential_customers_hidden_details(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "13800138000")
    cli.ok("customer", "add", "李秘密", "--phone", "13912345678", "--confidential")
    assert cli.ok("customer", "list", "--search", "1380", "-f", "csv").count("\n") == 2
    assert cli.ok("customer", "list", "--search", "1391234", "-f", "csv").count("\n") == 1
    assert "李秘密" in cli.ok("customer", "list", "--search", "李秘", "-f", "csv")


def test_customer_show_draws_every_section_of_a_profile(cli: Cli, tmp_path: Path) -> None:
    """On a screen, each section of a profile (complaints, visits, requests, meetings, notices,
    contracts, invoices, payments, reviews, due) has its heading."""
    import shutil

    site = tmp_path / "sample.db"
    shutil.copyfile(Path(__file__).parent.parent / "sample.db", site)
    queries = {
        "Requests": "SELECT customer_id FROM requests WHERE customer_id IS NOT NULL",
        "Meetings": "SELECT customer_id FROM meeting_attendees",
        "Notices": "SELECT customer_id FROM notice_deliveries",
        "Contracts": "SELECT customer_id FROM contracts",
        "Invoices": "SELECT customer_id FROM invoices",
        "Payments": "SELECT customer_id FROM payments",
        "Credit reviews": "SELECT customer_id FROM customer_reviews",
    }
    with sqlite3.connect(site) as conn:
        found = {title: conn.execute(sql + " LIMIT 1").fetchone() for title, sql in
                 queries.items()}
    for title, row in found.items():
        assert row is not None, title  # the sample has one of each
        out = cli.ok("--db", str(site), "customer", "show", str(row[0]),
                     now="2026-11-23T08:00:00+08:00")
        assert f"\n{title}" in out, title
