"""``customer import``: all or nothing — every row is checked before any is written.

Rows are checked a column at a time (``fields.ColumnCleaner``): the same checks and messages
as cell by cell, at a fraction of the cost on a large file.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress
from pathlib import Path
from typing import Any

from crmcli import fields
from crmcli.db import transaction
from crmcli.errors import BadInput
from crmcli.services import Session
from crmcli.services.customers import NewCustomer, NewCustomers, _record_change, insert

ALIASES = {"tag": "tags", "preference": "preferences", "customer": "name", "mobile": "phone",
           "telephone": "phone", "e-mail": "email", "note": "note", "notes": "note"}
MAX_ERRORS_SHOWN = 20
# `customer export` writes each customer's id; this database gives its own, so it is read past.
IGNORED = ("id",)
CHUNK = 10_000  # rows checked at a time, between progress reports
AFTER_CELLS = 1 << 30  # a row's problem with its name comes after those with its cells


class OnExisting(StrEnum):
    error = "error"
    skip = "skip"
    update = "update"
    add = "add"


@dataclass
class Plan:
    new: NewCustomers = field(default_factory=lambda: NewCustomers([], []))
    updates: list[tuple[int, NewCustomer]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    rows: int = 0


def _load(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file.") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror}).") from None


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
        raise BadInput(f"{path}: line {line} is not UTF-8 text.{hint or ' Save it as UTF-8.'}"
                       ) from None


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
            raise BadInput(f"{path}: line {start}: {exc} (an unterminated quote?).") from None
        yield start, cells
        start = reader.line_num + 1


def _header(path: Path, cells: list[str]) -> list[str]:
    names = []
    for cell in cells:
        name = cell.strip().lower().replace(" ", "_")
        name = ALIASES.get(name, name)
        if name not in fields.CUSTOMER_FIELDS and name not in IGNORED:
            raise BadInput(f"{path}: line 1: unknown column {cell.strip()!r} "
                           f"(columns: {', '.join(fields.CUSTOMER_FIELDS)}).")
        if name in names:
            raise BadInput(f"{path}: line 1: column {name!r} appears twice.")
        names.append(name)
    if "name" not in names:
        raise BadInput(f"{path}: line 1: the header has no 'name' column.")
    return names


def _read(path: Path, data: bytes) -> tuple[list[str], list[list[str]], Callable[[int], int]]:
    """The header's field names, the records after it, and the line where record i starts.

    The text is decoded block by block as csv reads it; decoding it whole first kept a copy
    of the file in memory, and StringIO another at four bytes a character. Whatever stops the
    reading before the end decodes the whole file first, so that a line that is not UTF-8 is
    named before a bad header or quote, wherever it is.
    """
    lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(lines, strict=True)
    try:
        first = next(reader, None)
        if first is None:
            raise BadInput(f"{path}: the file is empty.")
        header = _header(path, first)
        rows = list(reader)
    except (UnicodeDecodeError, BadInput, csv.Error) as exc:
        text = _decode(path, data)  # raises if any line is not UTF-8
        if isinstance(exc, csv.Error):
            for _ in _records(path, text):  # raises, naming the line where the record starts
                pass
            raise BadInput(f"{path}: {exc}.") from None
        raise
    if reader.line_num == len(rows) + 1:  # one line a record: no line break inside a cell
        return header, rows, lambda index: index + 2
    starts: list[int] = []

    def line(index: int) -> int:  # only ever needed for a message: read the file again then
        if not starts:
            starts.extend(start for start, _ in _records(path, _decode(path, data)))
        return starts[index + 1]

    return header, rows, line


def plan(session: Session, path: Path, on_existing: OnExisting,
         progress: Callable[[int], None] | None = None) -> Plan:
    """Check every row; raise BadInput listing every bad row, else return what to write."""
    header, records, line = _read(path, _load(path))
    result = Plan()
    problems: list[tuple[int, int, str]] = []  # (record, place in it, what follows "line N")
    counted, good = _full_rows(records, len(header), problems)
    result.rows = len(counted)
    rows = records if len(good) == len(records) else [records[i] for i in good]
    columns = _clean(session, header, rows, good, problems, progress)
    if progress and (passed := result.rows // 1000 - len(rows) // 1000) > 0:
        progress(passed * 1000)  # rows with too few or too many cells count as read too
    names: list[str | None] = columns.pop("name")
    keys = [fields.name_key(name) if name is not None else "" for name in names]
    fresh, updates = _sort_out(session, on_existing, good, names, keys, result, problems, line)
    if problems:
        problems.sort(key=lambda problem: problem[:2])
        shown = "\n".join(f"  line {line(index)}{message}"
                          for index, _, message in problems[:MAX_ERRORS_SHOWN])
        more = len(problems) - MAX_ERRORS_SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise BadInput(f"{path}: {len(problems)} problem(s); nothing was imported.\n"
                       f"{shown}{tail}")
    tags = columns.pop("tags", [])

    def pick(column: list[Any]) -> list[Any]:
        return column if len(fresh) == len(rows) else [column[at] for at in fresh]

    result.new = NewCustomers(pick(names), pick(keys),
                              {name: pick(column) for name, column in columns.items()},
                              pick(tags) if tags else [])
    for customer_id, at in updates:
        given = {name: column[at] for name, column in columns.items()
                 if rows[at][header.index(name)].strip()}
        result.updates.append((customer_id, NewCustomer(names[at] or "", given,
                                                        tags[at] or [] if tags else [])))
    return result


def _full_rows(records: list[list[str]], width: int, problems: list[tuple[int, int, str]]
               ) -> tuple[list[int], list[int]]:
    """The records that are not blank, and those of them with a cell for every column."""
    counted = list(compress(range(len(records)), map(str.strip, map("".join, records))))
    if len(counted) == len(records) and set(map(len, records)) <= {width}:
        return counted, counted
    good = []
    for index in counted:
        if len(records[index]) == width:
            good.append(index)
        else:
            problems.append((index, -1, f": {len(records[index])} cells, the header has {width}"))
    return counted, good


def _clean(session: Session, header: list[str], rows: list[list[str]], good: list[int],
           problems: list[tuple[int, int, str]], progress: Callable[[int], None] | None
           ) -> dict[str, list[Any]]:
    """Each field's cleaned column (None where blank or bad), a chunk of rows at a time."""
    cleaners = {j: fields.ColumnCleaner(name, session.now)
                for j, name in enumerate(header) if name not in IGNORED}
    columns: dict[str, list[Any]] = {header[j]: [] for j in cleaners}
    for start in range(0, len(rows), CHUNK):
        cells = list(zip(*rows[start:start + CHUNK], strict=True))
        for j, cleaner in cleaners.items():
            values, errors = cleaner(cells[j])
            columns[header[j]] += values
            for i, message in errors.items():
                problems.append((good[start + i], j, f", column {header[j]}: "
                                 f"{_detail(message, header[j])}"))
        if progress:
            done = min(start + CHUNK, len(rows)) // 1000 - start // 1000
            if done:
                progress(done * 1000)
    return columns


def _sort_out(session: Session, on_existing: OnExisting, good: list[int],
              names: list[str | None], keys: list[str], result: Plan,
              problems: list[tuple[int, int, str]], line: Callable[[int], int]
              ) -> tuple[list[int], list[tuple[int, int]]]:
    """Which rows are new and which update a customer (id, row); skipped ones and
    duplicate names go into the result and the problems."""
    existing: dict[str, list[int]] = {}
    for name_key, customer_id in session.conn.execute(
            "SELECT name_key, id FROM customers ORDER BY id"):
        existing.setdefault(name_key, []).append(customer_id)
    if on_existing is OnExisting.add or (
            len(set(keys)) == len(keys) and existing.keys().isdisjoint(keys)):
        return list(range(len(good))), []
    fresh: list[int] = []
    updates: list[tuple[int, int]] = []
    seen: dict[str, int] = {}
    for at, (index, name, key) in enumerate(zip(good, names, keys, strict=True)):
        if name is None:
            continue
        if key in seen:
            problems.append((index, AFTER_CELLS, f", column name: {name!r} is also on "
                             f"line {line(seen[key])}"))
            continue
        seen[key] = index
        ids = existing.get(key)
        if ids is None:
            fresh.append(at)
        elif on_existing is OnExisting.skip:
            result.skipped.append(line(index))
        elif on_existing is OnExisting.update and len(ids) == 1:
            updates.append((ids[0], at))
        elif on_existing is OnExisting.update:  # which one? never guess
            problems.append((index, AFTER_CELLS, f", column name: {name!r} matches customers "
                             f"{', '.join(f'#{i}' for i in ids)}; update them one by one "
                             "with `crmcli customer edit ID`"))
        else:
            problems.append((index, AFTER_CELLS, f", column name: {name!r} is already customer "
                             f"#{ids[0]} (use --skip-existing or --update-existing)"))
    return fresh, updates


def _detail(text: str, name: str) -> str:
    prefix = f"{name}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def run(session: Session, path: Path, on_existing: OnExisting,
        progress: Callable[[int], None] | None = None, *, dry_run: bool = False) -> Plan:
    """Check every row, then write them all, in one transaction: no other writer can add a
    customer between the duplicate checks and the insert. ``dry_run`` only checks."""
    with _collector_paused():
        if dry_run:
            return plan(session, path, on_existing, progress)
        with transaction(session.conn):
            result = plan(session, path, on_existing, progress)
            insert(session, result.new)
            for customer_id, new in result.updates:
                _update(session, customer_id, new)
        return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """An import holds millions of small objects (a list and its strings per row) and makes
    no reference cycles; the cyclic garbage collector would walk them all again and again as
    they pile up (~0.1 s of a 100 000-row import). Afterwards what is left (the plan's
    columns) is frozen, as ``cli.main`` froze what the imports made, instead of being walked
    once more by the next collection; reference counting still frees it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _update(session: Session, customer_id: int, new: NewCustomer) -> None:
    import json

    row = session.conn.execute(
        "SELECT " + ", ".join(new.values) + " FROM customers WHERE id = ?" if new.values
        else "SELECT 1 FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    for (name, value), old in zip(new.values.items(), row, strict=False):
        stored = value
        if name == "preferences":
            stored = json.dumps(value, ensure_ascii=False)
        elif name in ("confidential", *fields.FLAG_FIELDS):
            stored = int(bool(value))
        if stored == old:
            continue
        _record_change(session, customer_id, name, old, stored)
        session.conn.execute(f"UPDATE customers SET {name} = ? WHERE id = ?",
                             (stored, customer_id))
    session.conn.executemany(
        "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?, ?)",
        ((customer_id, tag) for tag in new.tags),
    )
