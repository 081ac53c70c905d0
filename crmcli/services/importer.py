"""``customer import``: all or nothing — every row is checked before any is written.

Rows are checked a column at a time (``fields.ColumnCleaner``): the same checks and messages
as cell by cell, at a fraction of the cost on a large file.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

from crmcli import fields, next_due
from crmcli.dates import from_db, local_day
from crmcli.db import transaction
from crmcli.errors import BadInput
from crmcli.i18n import _
from crmcli.services import Session
from crmcli.services.customers import NewCustomer, NewCustomers, _record_change, insert
from crmcli.services.import_file import IGNORED, MASKED, Records, Sheet, is_xlsx, load
from crmcli.text import from_cell, from_cells

MAX_ERRORS_SHOWN = 20
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
    # (line, customer id, fields) of the rows whose masked cells left the stored values alone
    kept: list[tuple[int, int, list[str]]] = field(default_factory=list)


def plan(session: Session, path: Path, on_existing: OnExisting,
         progress: Callable[[int], None] | None = None) -> Plan:
    """Check every row; raise BadInput listing every bad row, else return what to write.

    The file is read and its cells cleaned a chunk of records at a time: only the cleaned
    columns are kept (a text repeated down a column is kept once)."""
    data = load(path)
    source: Records | Sheet = Sheet(path, data) if is_xlsx(path) else Records(path, data)
    del data  # the source holds it while it needs it
    header, line = source.header, source.line
    result = Plan()
    problems: list[tuple[int, int, str]] = []  # (record, place in it, what follows "line N")
    cleaners = {j: fields.ColumnCleaner(name, session.now)
                for j, name in enumerate(header) if name not in IGNORED}
    columns: dict[str, list[Any]] = {header[j]: [] for j in cleaners}
    kept: dict[str, dict[str, str]] = {header[j]: {} for j in cleaners}
    good: list[int] = []
    masks: dict[int, list[str]] = {}
    # for updates: which cells were given (not blank), by field, row by row
    filled: dict[str, bytearray] | None = ({header[j]: bytearray() for j in cleaners}
                                           if on_existing is OnExisting.update else None)
    # crmcli's csv writes text a spreadsheet would take for a formula behind a quote
    # (crmcli.text.to_cell); an xlsx cell is typed text and carries no such quote.
    unquote = from_cells if not is_xlsx(path) else _as_written
    first = reported = 0  # the index of the chunk's first record; the rows reported read
    for records in source.chunks():
        counted, good_here = _full_rows(records, len(header), problems, first,
                                        header.index("name"))
        result.rows += len(counted)
        rows = records if len(good_here) == len(records) else [records[i - first]
                                                               for i in good_here]
        first += len(records)
        del records
        found = _masks(header, rows)
        if found:
            rows = _unmasked(header, rows, found)
            masks.update((len(good) + at, names) for at, names in found.items())
        _clean(cleaners, header, rows, good_here, problems, columns, kept, unquote, filled)
        good += good_here
        del rows
        if progress and result.rows // 1000 > reported:
            progress((result.rows // 1000 - reported) * 1000)
            reported = result.rows // 1000
    del kept
    names: list[str | None] = columns.pop("name")
    keys = fields.name_keys([name or "" for name in names])
    fresh, updates = _sort_out(session, on_existing, good, names, keys, result, problems, line)
    _first_year_grades(session, columns, good, fresh, updates, header, problems)
    for at in (at for at in fresh if at in masks):
        problems += [(good[at], header.index(name), f", column {name}: a masked value (from an "
                      "export without --reveal) is not the customer's; give the real value or "
                      "leave the cell empty") for name in masks[at]]
    _refuse_unmarking(session, header, columns.get("confidential"), updates, good, problems)
    if problems:
        problems.sort(key=lambda problem: problem[:2])
        shown = "\n".join(f"  line {line(index)}{message}"
                          for index, _column, message in problems[:MAX_ERRORS_SHOWN])
        more = len(problems) - MAX_ERRORS_SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise BadInput(_("{path}: {count} problem(s); nothing was "
                         "imported.\n{shown}{tail}").format(
            path=path, count=len(problems), shown=shown, tail=tail))
    tags = columns.pop("tags", [])

    def pick(column: list[Any]) -> list[Any]:
        return column if len(fresh) == len(good) else [column[at] for at in fresh]

    result.new = NewCustomers(pick(names), pick(keys),
                              {name: pick(column) for name, column in columns.items()},
                              pick(tags) if tags else [])
    for customer_id, at in updates:
        assert filled is not None  # updates only when on_existing is update
        given = {name: column[at] for name, column in columns.items() if filled[name][at]}
        if "preferences" in masks.get(at, ()) and given.get("preferences"):
            given["preferences"] = _MaskedPreferences(given["preferences"])
        result.updates.append((customer_id, NewCustomer(names[at] or "", given,
                                                        tags[at] or [] if tags else [])))
        if at in masks:
            result.kept.append((line(good[at]), customer_id, masks[at]))
    return result


class _MaskedPreferences(dict[str, Any]):
    """Preferences read from a masked export: a sensitive key's mask keeps the stored value."""


def _masks(header: list[str], rows: list[list[str]]) -> dict[int, list[str]]:
    """The fields of each row whose cells hold masks, by row.

    `customer export` names them in its ``masked`` column, exactly. A file without that
    column (a hand-made one, or one that lost the column in a spreadsheet) is read safely: a
    cell of a maskable field that looks like a mask (three stars in a row), or a sensitive
    preference whose value is the mask, is taken for one — it can only ever keep what is
    stored, never replace it.
    """
    maskable = [(j, name) for j, name in enumerate(header) if name in fields.MASKABLE_FIELDS]
    found: dict[int, list[str]] = {}
    if MASKED in header:
        j = header.index(MASKED)
        if not any(row[j].strip() for row in rows):
            return found
        for at, row in enumerate(rows):
            named = {part.strip() for part in row[j].split(";")}
            hidden = [name for _, name in maskable if name in named and row[header.index(name)]]
            if hidden:
                found[at] = hidden
        return found
    for j, name in maskable:
        if "***" not in "\x00".join(map(itemgetter(j), rows)):
            continue
        looks = _masked_preferences if name == "preferences" else fields.looks_masked
        for at, row in enumerate(rows):
            if looks(row[j]):
                found.setdefault(at, []).append(name)
    return found


def _masked_preferences(cell: str) -> bool:
    try:
        values = fields.parse_preferences([from_cell(cell)])
    except BadInput:
        return False
    return any(fields.is_sensitive_key(k) and v == fields.MASK for k, v in values.items())


def _unmasked(header: list[str], rows: list[list[str]], masks: dict[int, list[str]]
              ) -> list[list[str]]:
    """The rows with each masked cell empty (preferences aside: their masks are read past by
    _update), so that a mask is never checked, stored or compared as a value."""
    rows = list(rows)
    for at, names in masks.items():
        row = rows[at] = list(rows[at])
        for name in names:
            if name != "preferences":
                row[header.index(name)] = ""
    return rows


def _refuse_unmarking(session: Session, header: list[str], confidential: list[Any] | None,
                      updates: list[tuple[int, int]], good: list[int],
                      problems: list[tuple[int, int, str]]) -> None:
    """Lifting confidentiality shows every detail to everyone: only `customer edit
    --not-confidential --reason` does it, with the access log, never a file."""
    if confidential is None:
        return
    lifting = {customer_id: at for customer_id, at in updates if confidential[at] is False}
    if not lifting:
        return
    marks = ",".join("?" * len(lifting))
    for (customer_id,) in session.conn.execute(
            f"SELECT id FROM customers WHERE confidential = 1 AND id IN ({marks})",
            list(lifting)):
        problems.append((good[lifting[customer_id]], header.index("confidential"),
                         f", column confidential: customer #{customer_id} is confidential; "
                         f"lift it with `crmcli customer edit {customer_id} --not-confidential "
                         "--reason TEXT` (logged), not by import"))


def _first_year_grades(session: Session, columns: dict[str, list[Any]], good: list[int],
                      fresh: list[int], updates: list[tuple[int, int]], header: list[str],
                      problems: list[tuple[int, int, str]]) -> None:
    """A new customer is graded C for its first year: rows giving A or B too early are bad."""
    grades = columns.get("grade")
    if grades is None or not any(grade in ("A", "B") for grade in grades):
        return
    from crmcli.services.customers import grade_problem

    sinces = columns.get("since") or [None] * len(grades)
    column = header.index("grade")
    # by (grade, since): the same answer; the rows are gone through only if one is a problem
    pairs = (set(zip(grades, sinces, strict=True)) if len(fresh) == len(grades)
             else {(grades[at], sinces[at]) for at in fresh})
    known = {pair: grade_problem(session, *pair) for pair in pairs}
    if any(known.values()):
        for at in fresh:
            problem = known[grades[at], sinces[at]]
            if problem:
                problems.append((good[at], column, f", column grade: {grades[at]}: {problem}"))
    for customer_id, at in updates:
        if grades[at] not in ("A", "B"):
            continue
        since, created = session.conn.execute(
            "SELECT since, created_at FROM customers WHERE id = ?", (customer_id,)).fetchone()
        problem = grade_problem(session, grades[at], sinces[at] or since,
                                local_day(from_db(created)))
        if problem:
            problems.append((good[at], column, f", column grade: {grades[at]}: {problem}"))


def _as_written(cells: Sequence[str]) -> Sequence[str]:
    return cells


def _full_rows(records: list[list[str]], width: int, problems: list[tuple[int, int, str]],
               first: int = 0, name_at: int = 0) -> tuple[list[int], list[int]]:
    """The records that are not blank, and those of them with a cell for every column, by
    their index in the file (``first`` is the index of ``records[0]``). The usual chunk, every
    record full and named (so not blank), is told by its name cells alone."""
    if set(map(len, records)) <= {width} and all(map(str.strip, map(itemgetter(name_at),
                                                                     records))):
        every = list(range(first, first + len(records)))
        return every, every
    counted = list(compress(range(first, first + len(records)),
                            map(str.strip, map("".join, records))))
    if len(counted) == len(records) and set(map(len, records)) <= {width}:
        return counted, counted
    good = []
    for index in counted:
        cells = len(records[index - first])
        if cells == width:
            good.append(index)
        else:
            problems.append((index, -1, f": {cells} cells, the header has {width}"))
    return counted, good


def _clean(cleaners: dict[int, fields.ColumnCleaner], header: list[str],
           rows: list[list[str]], good: list[int], problems: list[tuple[int, int, str]],
           columns: dict[str, list[Any]], kept: dict[str, dict[str, str]],
           unquote: Callable[[Sequence[str]], Sequence[str]],
           filled: dict[str, bytearray] | None) -> None:
    """Clean a chunk of rows (``good``: their records) into each field's column (None where
    blank or bad). A text already in a column (a site, a segment, a date) is kept once."""
    if not rows:
        return
    cells = list(zip(*rows, strict=True))
    for j, cleaner in cleaners.items():
        values, errors = cleaner(unquote(cells[j]))
        if filled is not None:
            filled[header[j]] += bytes(map(bool, map(str.strip, cells[j])))
        texts = kept[header[j]]
        if texts is not None and not texts and not all(
                type(value) is str or value is None for value in values):
            texts = kept[header[j]] = None  # type: ignore[assignment]  # texts only
        if texts is not None:
            values = list(map(texts.setdefault, values, values))
            if len(texts) > len(values) // 2:  # mostly different: not worth a lookup
                kept[header[j]] = None  # type: ignore[assignment]
        columns[header[j]] += values
        for i, message in errors.items():
            problems.append((good[i], j, f", column {header[j]}: "
                             f"{_detail(message, header[j])}"))


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
    """Check every row, then write them all, in one transaction. The rows are checked before
    the write lock is taken, so other writers are held up only by the writing; if another
    writer committed meanwhile (a customer of the same name may have been added), the rows
    are checked again inside the lock: no other writer can add a customer between the
    duplicate checks that hold and the insert. ``dry_run`` only checks."""
    with _collector_paused():
        if dry_run:
            return plan(session, path, on_existing, progress)
        conn = session.conn
        checked = None
        if not conn.in_transaction:
            mark = _data_version(conn)
            checked = plan(session, path, on_existing, progress)
        with transaction(conn):
            if checked is None or _data_version(conn) != mark:
                checked = plan(session, path, on_existing)
            insert(session, checked.new)
            for customer_id, new in checked.updates:
                _update(session, customer_id, new)
        return checked


def _data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection commits a write to the file."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """An import holds millions of small objects (a list and its strings per row) and makes
    no reference cycles; the cyclic garbage collector would walk them all again and again as
    they pile up (~0.1 s of a 100 000-row import). Afterwards what is left (the plan's
    columns) is frozen, as ``launch.settle`` froze what the imports made, instead of being walked
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
    moved = False  # since or segment changed
    for (name, value), old in zip(new.values.items(), row, strict=False):
        stored = value
        if name == "preferences":
            if isinstance(value, _MaskedPreferences):
                kept = json.loads(old or "{}")
                value = {key: kept[key] if fields.is_sensitive_key(key)
                         and text == fields.MASK else text
                         for key, text in value.items()
                         if not (fields.is_sensitive_key(key) and text == fields.MASK)
                         or key in kept}
            stored = json.dumps(value, ensure_ascii=False)
        elif name in ("confidential", *fields.FLAG_FIELDS):
            stored = int(bool(value))
        if stored == old:
            continue
        _record_change(session, customer_id, name, old, stored)
        session.conn.execute(f"UPDATE customers SET {name} = ? WHERE id = ?",
                             (stored, customer_id))
        moved |= name in ("since", "segment")
    tagged = session.conn.executemany(
        "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?, ?)",
        ((customer_id, tag) for tag in new.tags),
    ).rowcount
    if moved or tagged > 0:  # what the customer is owed next may have changed
        next_due.refresh(session.conn, session.policies.current, [customer_id])
