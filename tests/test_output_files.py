"""``--output FILE`` and ``--format xlsx``: files a site team opens in a spreadsheet.

Issue 16, "Survives the spreadsheet": text cells stay text (leading zeros, ``3/5``, ``+86…``),
numbers and times typed, header frozen, CJK column widths, one sheet per report section;
``--output`` is 0600 and atomic; csv to a file gets the BOM unless ``--no-bom``;
``customer import`` reads .xlsx with the same checks, all or nothing.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import Cli


def _customers(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "0912345678", "--address", "3/5",
           "--since", "2025-03-01", "--tag", "VIP")
    cli.ok("customer", "add", "=HYPERLINK(1)", "--phone", "+8613800138000", "--grade", "B",
           "--since", "2020-01-01")


def test_csv_to_a_file_gets_the_bom_and_is_private(cli: Cli, tmp_path: Path) -> None:
    _customers(cli)
    target = tmp_path / "customers.csv"
    code, out, _ = cli("customer", "list", "--format", "csv", "--output", str(target))
    assert code == 0 and out == ""
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,name,")
    assert "王小明" in data.decode("utf-8-sig")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_no_bom_and_the_screen_keep_their_ways(cli: Cli, tmp_path: Path) -> None:
    _customers(cli)
    target = tmp_path / "c.csv"
    cli.ok("customer", "list", "-f", "csv", "-o", str(target), "--no-bom")
    assert target.read_bytes().startswith(b"id,name,")
    assert not cli.ok("customer", "list", "-f", "csv").startswith("\ufeff")
    assert cli.ok("customer", "list", "-f", "csv", "--bom").startswith("\ufeff")
    json_file = tmp_path / "c.json"
    cli.ok("customer", "list", "-f", "json", "-o", str(json_file))
    assert json_file.read_text(encoding="utf-8").startswith("[\n")


def test_a_failed_command_leaves_the_old_file_as_it_was(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "complaints.csv"
    target.write_text("before\n")
    code, _, err = cli("complaint", "list", "--status", "nonsense", "-o", str(target))
    assert code == 2 and "--status" in err
    assert target.read_text() == "before\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_output_into_a_missing_folder_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("customer", "list", "-o", str(tmp_path / "nowhere" / "x.csv"))
    assert code == 2 and "does not exist" in err


def test_visit_due_fail_on_overdue_still_writes_its_file(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-01-01")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-10 09:00")
    target = tmp_path / "due.csv"
    code, _, _ = cli("visit", "due", "-f", "csv", "-o", str(target), "--fail-on-overdue")
    assert code == 3
    assert "王小明" in target.read_text(encoding="utf-8-sig")


def test_xlsx_needs_a_file_and_a_list(cli: Cli) -> None:
    code, _, err = cli("customer", "list", "--format", "xlsx")
    assert code == 2 and "--output" in err
    code, _, err = cli("customer", "add", "王小明", "--format", "xlsx")
    assert code == 2 and "lists and reports" in err


def test_xlsx_round_trip_keeps_text_as_text_and_types_the_rest(cli: Cli, tmp_path: Path) -> None:
    _customers(cli)
    target = tmp_path / "customers.xlsx"
    cli.ok("customer", "list", "--format", "xlsx", "--output", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    sheet = openpyxl.load_workbook(target).worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["id", "name", "contact"]
    assert all(cell.font.b for cell in sheet[1])
    rows = {row[1].value: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2)}
    wang, formula = rows["王小明"], rows["=HYPERLINK(1)"]
    assert (wang["phone"].value, wang["phone"].data_type) == ("0912345678", "s")
    assert (wang["address"].value, wang["address"].data_type) == ("3/5", "s")
    assert (formula["phone"].value, formula["phone"].data_type) == ("+8613800138000", "s")
    assert formula["name"].data_type == "s"  # a name is never a formula
    assert wang["id"].value == 1 and wang["id"].data_type == "n"
    assert wang["since"].value == datetime(2025, 3, 1) and wang["since"].is_date
    assert wang["confidential"].value is False
    assert wang["tags"].value == "VIP"
    assert wang["contact"].value is None
    widths = sheet.column_dimensions
    assert widths["B"].width >= len("=HYPERLINK(1)") + 2


def test_xlsx_column_width_counts_chinese_double(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "深圳市南山區科技園有限公司")  # 13 characters, 26 columns
    target = tmp_path / "c.xlsx"
    cli.ok("customer", "list", "-f", "xlsx", "-o", str(target))
    width = openpyxl.load_workbook(target).worksheets[0].column_dimensions["B"].width
    assert 28 <= width < 29  # 26 columns of text and a margin (Excel adds a fraction)


def test_times_are_excel_times_in_the_site_zone(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-01-01")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-19 09:40")
    target = tmp_path / "complaints.xlsx"
    cli.ok("complaint", "list", "-f", "xlsx", "-o", str(target))
    sheet = openpyxl.load_workbook(target).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    opened = sheet.cell(2, header.index("opened_at") + 1)
    assert opened.value == datetime(2026, 11, 19, 9, 40)
    assert opened.number_format == "yyyy-mm-dd hh:mm"


def test_report_monthly_xlsx_has_a_sheet_per_section(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-01-01")
    cli.ok("complaint", "open", "王小明", "漏水", "--category", "維修", "--at",
           "2026-11-10 09:40")
    target = tmp_path / "report.xlsx"
    cli.ok("report", "monthly", "--month", "2026-11", "-f", "xlsx", "-o", str(target))
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:3] == ["Figures", "Opened per week", "By category"]
    figures = {row[0]: row[2] for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["complaints_opened"] == 1
    assert figures["month"] == "2026-11"
    weeks = list(book["Opened per week"].iter_rows(min_row=2, values_only=True))
    assert weeks[0][0] == datetime(2026, 11, 1)  # a real date: the month's first week
    category = list(book["By category"].iter_rows(min_row=1, values_only=True))
    assert category[1][:2] == ("維修", 1)


def _workbook(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_customer_import_reads_xlsx(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "tenants.xlsx"
    _workbook(source, [["name", "phone", "address", "since", "grade"],
                       ["王小明", "0912345678", "3/5", date(2024, 5, 1), "B"],
                       ["李四", 13800138000, "A座", "2024-06-01", None],
                       [],
                       ["張三", "+8613800138001", None, datetime(2023, 1, 2), "A"]])
    out = cli.ok("customer", "import", str(source))
    assert "3" in out
    wang = cli.ok("customer", "show", "王小明", "-f", "json")
    assert '"phone": "0912345678"' in wang and '"address": "3/5"' in wang
    assert '"since": "2024-05-01"' in wang
    assert '"phone": "13800138000"' in cli.ok("customer", "show", "李四", "-f", "json")


def test_a_bad_row_in_an_xlsx_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "tenants.xlsx"
    _workbook(source, [["name", "grade"], ["王小明", "A"], [], ["李四", "Z"]])
    code, _, err = cli("customer", "import", str(source))
    assert code == 2
    assert "line 4, column grade" in err  # the spreadsheet's own row number
    assert cli.ok("customer", "list", "-f", "json") == "[]\n"


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"name\n"])
def test_a_broken_workbook_is_bad_input(cli: Cli, tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "tenants.xlsx"
    source.write_bytes(content)
    code, _, err = cli("customer", "import", str(source))
    assert code == 2 and "tenants.xlsx" in err and "Traceback" not in err


def test_xlsx_and_papers_show_times_in_the_site_zone_whatever_tz(
        cli: Cli, tmp_path: Path, set_tz: Callable[[str], None]) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2026-01-01")
    cli.ok("complaint", "open", "王小明", "漏水", "--at", "2026-11-19 09:40")
    set_tz("America/New_York")
    target = tmp_path / "complaints.xlsx"
    cli.ok("complaint", "list", "-f", "xlsx", "-o", str(target))
    sheet = openpyxl.load_workbook(target).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("opened_at") + 1).value == datetime(2026, 11, 19, 9, 40)
    assert "2026-11-19 09:40" in cli.ok("complaint", "show", "1", "-f", "html")


def test_every_command_that_writes_a_file_format_takes_output_and_every_list_does() -> None:
    """A list or report added later gets --output by declaring it (commands/_common does the
    rest). Commands that write a record list xlsx among their formats too (one Format enum)
    and refuse it with exit 2 (test_xlsx_needs_a_file_and_a_list)."""
    from test_help import COMMANDS, label

    for path, command in COMMANDS:
        options = {name for param in command.params for name in getattr(param, "opts", [])}
        formats = next((param.type.choices for param in command.params
                        if "--format" in getattr(param, "opts", [])), ())
        if "html" in formats:
            assert "--output" in options, label(path)
        if "--bom" in options or "--limit" in options:  # a list
            assert "xlsx" in formats and "--output" in options, label(path)


def test_report_quarterly_xlsx_has_the_customers_and_both_summaries(cli: Cli,
                                                                    tmp_path: Path) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", "--segment", "tenant")
    target = tmp_path / "q.xlsx"
    cli.ok("report", "quarterly", "--quarter", "2026Q4", "-f", "xlsx", "-o", str(target))
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Customers", "By segment", "By grade"]
    assert book["Customers"]["B2"].value == "王小明"
    assert book["By segment"]["A2"].value == "tenant" and book["By segment"]["B2"].value == 1


@pytest.mark.parametrize("name", ["", "\x00", "a\x00b"])
def test_an_output_that_names_no_file_is_bad_input(cli: Cli, name: str) -> None:
    code, _, err = cli("customer", "list", "--output", name)
    assert code == 2 and err.startswith("Error: --output: ") and err.count("\n") == 1


def test_an_output_that_is_a_folder_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("customer", "list", "--output", str(tmp_path))
    assert code == 2 and "is a folder" in err
