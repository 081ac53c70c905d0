"""Excel workbooks (.xlsx): written with XlsxWriter, read with python-calamine (each imported
only on its path).

Written: one sheet per table, the header row frozen, columns as wide as their text (CJK counts
double), text cells typed as text (a phone ``0912345678``, a unit ``3/5`` or ``=A1`` stays
what was typed), numbers as numbers, times as Excel date-times in the site's time zone.
Read: the first sheet's cells as the text a csv would carry, for ``customer import``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcli.dates import to_local
from crmcli.env import Env
from crmcli.errors import BadInput
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.render import Column, Row

Sheet = tuple[str, "list[Column]", "Iterable[Row]"]
WIDTH_SAMPLE = 1000  # rows read ahead to size the columns; the rest stream through
MAX_WIDTH = 60
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_KEYS = ("since", "birthday", "date", "week", "day", "due")  # held as ISO text in rows


def is_date_key(key: str) -> bool:
    """A column whose text values are calendar days (typed as dates, not left as text)."""
    return key in DATE_KEYS or key.endswith(("_on", "_date", "_day"))


_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = " ".join(title.translate(_BAD_TITLE).split())[:31].strip("'") or "Sheet"
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return DATETIME_FORMAT  # as wide as what Excel shows
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    return str(value)


def _width(value: Any) -> int:
    from crmcli.render import display_width

    return max((display_width(line) for line in _display(value).splitlines()), default=0)


MAX_TEXT = 32_767  # characters a cell holds


def _cell_writer(book: Any) -> Any:
    """A function writing one value into a cell, typed: text as text, numbers as numbers,
    times and days as Excel dates; None leaves the cell empty."""
    text_format = book.add_format({"num_format": "@"})  # edited later, it stays text
    time_format = book.add_format({"num_format": DATETIME_FORMAT})
    day_format = book.add_format({"num_format": DATE_FORMAT})

    def write(sheet: Any, row: int, column: int, value: Any, date_key: bool) -> None:
        if value is None or value == "" or value == [] or value == ():
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, to_local(value).replace(tzinfo=None), time_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, datetime.combine(value, time(0)), day_format)
        elif isinstance(value, str) and date_key and _ISO_DATE.fullmatch(value):
            sheet.write_datetime(row, column, datetime.fromisoformat(value), day_format)
        else:
            if isinstance(value, list | tuple):
                text = "; ".join(map(str, value))
            elif isinstance(value, dict):
                text = json.dumps(value, ensure_ascii=False)
            else:
                text = str(value)
            # write_string: never a number, date, formula or link, whatever the text looks like
            sheet.write_string(row, column, text[:MAX_TEXT], text_format)

    return write


def write_workbook(env: Env, sheets: Iterable[Sheet]) -> int:
    """Write each (title, columns, rows) as a sheet of the file ``--output`` is filling;
    returns the number of rows written. Rows stream through (XlsxWriter's constant memory
    mode): only the first ``WIDTH_SAMPLE`` are held, to size the columns."""
    if env.file is None:
        raise BadInput(_("--format xlsx writes a file: add --output FILE.xlsx."))
    import xlsxwriter

    book = xlsxwriter.Workbook(str(env.file), {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False})
    write = _cell_writer(book)
    bold = book.add_format({"bold": True})
    taken: set[str] = set()
    count = 0
    for title, columns, rows in sheets:
        sheet = book.add_worksheet(sheet_title(title, taken))
        sheet.freeze_panes(1, 0)
        stream = iter(rows)
        ahead = list(islice(stream, WIDTH_SAMPLE))
        for number, column in enumerate(columns):
            widest = max((_width(row.get(column.key)) for row in ahead), default=0)
            sheet.set_column(number, number, min(MAX_WIDTH, max(widest, _width(column.key)) + 2))
            sheet.write_string(0, number, column.key, bold)
        dated = [is_date_key(column.key) for column in columns]
        keys = [column.key for column in columns]
        for line, row in enumerate(chain(ahead, stream), 1):
            for number, (key, day) in enumerate(zip(keys, dated, strict=True)):
                write(sheet, line, number, row.get(key), day)
            count += 1
    if not taken:
        book.add_worksheet("Sheet1")
    book.close()
    return count


def _text(value: Any) -> str:
    """A cell as the text a csv would carry (the import's checks read text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def read_rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) for each row of the workbook's first sheet that is not
    empty; trailing empty cells are dropped. Read by python-calamine (a formula's last
    computed value is what it reads)."""
    import io

    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, OSError, ValueError, IndexError) as exc:
        raise BadInput(_("{path}: not a readable Excel workbook (.xlsx): {exc}.").format(
            path=path, exc=exc)) from None
    for number, row in enumerate(values, 1):  # from A1: the numbers are the sheet's rows
        cells = [_text(value) for value in row]
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            yield number, cells
