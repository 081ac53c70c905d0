"""Reading a `customer import` file: bounded in size, decoded, its header checked, its records
read a chunk at a time from csv (any of the encodings a spreadsheet writes) or xlsx."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from crmcli import fields
from crmcli.errors import BadInput
from crmcli.i18n import _
from crmcli.text import from_cell

ALIASES = {"tag": "tags", "preference": "preferences", "customer": "name", "mobile": "phone",
           "telephone": "phone", "e-mail": "email", "note": "note", "notes": "note",
           "anniversary": "anniversaries"}
# `customer export` writes each customer's id; this database gives its own, so it is read past.
# Its `masked` column names the cells of the row that hold masks, not values (see _masks).
MASKED = "masked"
IGNORED = ("id", MASKED)
# Bounds on what a file may hold, so that a hostile or mistaken one (/dev/zero, a disk image)
# is refused at once instead of filling the memory: the file (a million customers take about
# 150 MB), and each cell (csv's own limit; a stored text is at most fields.MAX_TEXT anyway).
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_CELL = 128 * 1024
CHUNK = 5_000  # rows checked at a time, between progress reports


def load(path: Path) -> bytes:
    """The file's bytes: a regular file, at most MAX_FILE_BYTES. Opened without blocking, so a
    named pipe with no writer is refused instead of waited for."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BadInput(_("{path}: no such file.").format(
            path=path)) from None
    except OSError as exc:
        raise BadInput(_("{path}: cannot read it ({strerror}).").format(
            path=path, strerror=exc.strerror)) from None
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            what = ("a folder" if stat.S_ISDIR(kind) else "a pipe" if stat.S_ISFIFO(kind)
                    else "a device" if stat.S_ISCHR(kind) or stat.S_ISBLK(kind)
                    else "not a regular file")
            raise BadInput(_("{path}: {what}, not a CSV file; save the rows to a file "
                             "and import that.").format(
                path=path, what=what))
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInput(_("{path}: cannot read it ({strerror}).").format(
            path=path, strerror=exc.strerror)) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise BadInput(_("{path}: larger than {value} MB, the most one import takes; "
                         "split it into several files.").format(
            path=path, value=MAX_FILE_BYTES // 2**20))
    return data


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # Big5 bytes usually decode as GB18030 too, so name every candidate rather than guess.
        names = []
        for encoding, name in (("gb18030", "GBK/GB18030"), ("big5", "Big5")):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            names.append(name)
        hint = (f" It looks like {' or '.join(names)}: save it as UTF-8 (CSV UTF-8 in Excel)."
                if names else "")
        raise BadInput(_("{path}: line {line} is not UTF-8 text.{value}").format(
            path=path, line=line, value=hint or ' Save it as UTF-8.')) from None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each record of the file."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            what = (f"a cell longer than {MAX_CELL:,} characters" if "field limit" in str(exc)
                    else "the file ends inside a quoted cell" if "end of data" in str(exc)
                    else str(exc))
            raise BadInput(_("{path}: line {start}: {what} (an unterminated quote?).").format(
                path=path, start=start, what=what)) from None
        yield start, cells
        start = reader.line_num + 1


def _header(path: Path, cells: list[str]) -> list[str]:
    names = []
    for cell in map(from_cell, cells):
        name = cell.strip().lower().replace(" ", "_")
        name = ALIASES.get(name, name)
        if name not in fields.CUSTOMER_FIELDS and name not in IGNORED:
            raise BadInput(_("{path}: line 1: unknown column {value!r} (columns: "
                             "{values}).").format(
                path=path, value=cell.strip(), values=', '.join(fields.CUSTOMER_FIELDS)))
        if name in names:
            raise BadInput(_("{path}: line 1: column {name!r} appears twice.").format(
                path=path, name=name))
        names.append(name)
    if "name" not in names:
        raise BadInput(_("{path}: line 1: the header has no 'name' column.").format(
            path=path))
    return names


class Records:
    """The records after the header, a chunk at a time, and the line where record i starts.

    The text is decoded block by block as csv reads it; decoding it whole first kept a copy
    of the file in memory, and StringIO another at four bytes a character; holding every
    record at once kept a string object per cell. Whatever stops the reading before the end
    decodes the whole file first, so that a line that is not UTF-8 is named before a bad
    header or quote, wherever it is.
    """

    def __init__(self, path: Path, data: bytes) -> None:
        if csv.field_size_limit() != MAX_CELL:
            csv.field_size_limit(MAX_CELL)
        self.path, self.data = path, data
        self.count = 0
        self.starts: list[int] = []
        self.one_line_each = False
        lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        self.reader = csv.reader(lines, strict=True)
        with self._named_errors():
            first = next(self.reader, None)
            if first is None:
                raise BadInput(_("{path}: the file is empty.").format(
                    path=path))
            self.header = _header(path, first)

    @contextmanager
    def _named_errors(self) -> Iterator[None]:
        try:
            yield
        except (UnicodeDecodeError, BadInput, csv.Error) as exc:
            text = _decode(self.path, self.data)  # raises if any line is not UTF-8
            if isinstance(exc, csv.Error):
                for _record in _records(self.path, text):  # raises, naming the record's line
                    pass
                raise BadInput(_("{path}: {exc}.").format(
                    path=self.path, exc=exc)) from None
            raise

    def chunks(self) -> Iterator[list[list[str]]]:
        with self._named_errors():
            while chunk := list(islice(self.reader, CHUNK)):
                self.count += len(chunk)
                yield chunk
        # one line a record: no line break inside a cell
        self.one_line_each = self.reader.line_num == self.count + 1
        del self.reader
        if self.one_line_each:  # the file is not needed again
            self.data = b""

    def line(self, index: int) -> int:
        """The line where record ``index`` starts: only ever needed for a message, so a file
        with line breaks inside cells is read again then."""
        if self.one_line_each:
            return index + 2
        if not self.starts:
            self.starts.extend(start for start, _record in
                               _records(self.path, _decode(self.path, self.data)))
        return self.starts[index + 1]


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() == ".xlsx"  # by name: a csv may start with any bytes


class Sheet:
    """The first sheet of a workbook, read as the csv would be: the same header and checks;
    a message's line is the spreadsheet's row number (empty rows are passed over)."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.header, self.rows, self.line = _read_xlsx(path, data)

    def chunks(self) -> Iterator[list[list[str]]]:
        for start in range(0, len(self.rows), CHUNK):
            yield self.rows[start:start + CHUNK]


def _read_xlsx(path: Path, data: bytes
               ) -> tuple[list[str], list[list[str]], Callable[[int], int]]:
    """The sheet's header, its rows and the row number of each."""
    from crmcli.xlsx import read_rows

    numbered = list(read_rows(path, data))
    if not numbered:
        raise BadInput(_("{path}: the workbook's first sheet is empty.").format(
            path=path))
    header = _header(path, numbered[0][1])
    rows = [cells for _, cells in numbered[1:]]
    for cells in rows:  # a row shorter than the header ends in empty cells
        if len(cells) < len(header):
            cells.extend([""] * (len(header) - len(cells)))
    return header, rows, lambda index: numbered[index + 1][0]
