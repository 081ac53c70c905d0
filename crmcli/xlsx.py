"""Excel workbooks (.xlsx) out and in, through openpyxl (imported only on this path).

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
    from crmcli.render import _width as display_width

    return max((display_width(line) for line in _display(value).splitlines()), default=0)


def _clean_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters cannot be stored in a workbook; they show as U+FFFD instead.
    return str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))


def _cell(sheet: Any, value: Any, date_key: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if value == [] or value == "":
        return None
    if isinstance(value, str) and date_key and _ISO_DATE.fullmatch(value):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, to_local(value).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, list):
        text = "; ".join(map(str, value))
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    cell = WriteOnlyCell(sheet, _clean_text(text))
    cell.data_type = "s"  # never a formula, whatever it starts with
    cell.number_format = "@"  # Excel keeps it text when the cell is edited too
    return cell


def write_workbook(env: Env, sheets: Iterable[Sheet]) -> int:
    """Write each (title, columns, rows) as a sheet of the file ``--output`` is filling;
    returns the number of rows written."""
    if env.file is None:
        raise BadInput("--format xlsx writes a file: add --output FILE.xlsx.")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    count = 0
    for title, columns, rows in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.freeze_panes = "A2"
        stream = iter(rows)
        ahead = list(islice(stream, WIDTH_SAMPLE))
        for number, column in enumerate(columns, 1):
            widest = max((_width(row.get(column.key)) for row in ahead), default=0)
            sheet.column_dimensions[get_column_letter(number)].width = min(
                MAX_WIDTH, max(widest, _width(column.key)) + 2)
        heads = []
        for column in columns:
            head = WriteOnlyCell(sheet, column.key)
            head.font = bold
            heads.append(head)
        sheet.append(heads)
        dated = [is_date_key(column.key) for column in columns]
        for row in chain(ahead, stream):
            sheet.append([_cell(sheet, row.get(column.key), day)
                          for column, day in zip(columns, dated, strict=True)])
            count += 1
    if not taken:
        book.create_sheet("Sheet")
    book.save(env.file)
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
    empty; trailing empty cells are dropped."""
    import io
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a readable Excel workbook (.xlsx): {exc}.") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [_text(value) for value in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                yield number, cells
    finally:
        book.close()
