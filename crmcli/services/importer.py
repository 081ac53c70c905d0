"""``customer import``: all or nothing — every row is checked before any is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from crmcli import fields
from crmcli.db import transaction
from crmcli.errors import BadInput
from crmcli.services import Session
from crmcli.services.customers import NewCustomer, _insert, _record_change

ALIASES = {"tag": "tags", "preference": "preferences", "customer": "name", "mobile": "phone",
           "telephone": "phone", "e-mail": "email", "note": "note", "notes": "note"}
MAX_ERRORS_SHOWN = 20
# `customer export` writes each customer's id; this database gives its own, so it is read past.
IGNORED = ("id",)


class OnExisting(StrEnum):
    error = "error"
    skip = "skip"
    update = "update"
    add = "add"


@dataclass
class Plan:
    new: list[NewCustomer] = field(default_factory=list)
    updates: list[tuple[int, NewCustomer]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    rows: int = 0


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file.") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror}).") from None
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


def plan(session: Session, path: Path, on_existing: OnExisting,
         progress: Callable[[int], None] | None = None) -> Plan:
    """Check every row; raise BadInput listing every bad row, else return what to write."""
    records = _records(path, _decode(path))
    first = next(records, None)
    if first is None:
        raise BadInput(f"{path}: the file is empty.")
    header = _header(path, first[1])
    existing: dict[str, list[int]] = {}
    for name_key, customer_id in session.conn.execute(
            "SELECT name_key, id FROM customers ORDER BY id"):
        existing.setdefault(name_key, []).append(customer_id)
    seen: dict[str, int] = {}
    result = Plan()
    errors: list[str] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        result.rows += 1
        if progress and result.rows % 1000 == 0:
            progress(1000)
        if len(cells) != len(header):
            errors.append(f"line {line}: {len(cells)} cells, the header has {len(header)}")
            continue
        values: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=True):
            if name in IGNORED or (name != "name" and not cell.strip()):
                continue
            try:
                values[name] = fields.clean_field(name, cell, session.now)
            except BadInput as exc:
                errors.append(f"line {line}, column {name}: {_detail(exc, name)}")
        if "name" not in values:
            continue
        name = values.pop("name")
        tags = values.pop("tags", [])
        new = NewCustomer(name, values, tags)
        key = fields.name_key(name)
        if key in seen and on_existing is not OnExisting.add:
            errors.append(f"line {line}, column name: {name!r} is also on line {seen[key]}")
            continue
        seen[key] = line
        if key in existing and on_existing is not OnExisting.add:
            ids = existing[key]
            if on_existing is OnExisting.skip:
                result.skipped.append(line)
            elif on_existing is OnExisting.update and len(ids) == 1:
                result.updates.append((ids[0], new))
            elif on_existing is OnExisting.update:  # which one? never guess
                errors.append(f"line {line}, column name: {name!r} matches customers "
                              f"{', '.join(f'#{i}' for i in ids)}; update them one by one "
                              "with `crmcli customer edit ID`")
            else:
                errors.append(f"line {line}, column name: {name!r} is already customer "
                              f"#{ids[0]} (use --skip-existing or --update-existing)")
            continue
        result.new.append(new)
    if errors:
        shown = "\n".join("  " + error for error in errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise BadInput(f"{path}: {len(errors)} problem(s); nothing was imported.\n{shown}{tail}")
    return result


def _detail(exc: BadInput, name: str) -> str:
    text = str(exc)
    prefix = f"{name}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def run(session: Session, path: Path, on_existing: OnExisting,
        progress: Callable[[int], None] | None = None, *, dry_run: bool = False) -> Plan:
    """Check every row, then write them all, in one transaction: no other writer can add a
    customer between the duplicate checks and the insert. ``dry_run`` only checks."""
    if dry_run:
        return plan(session, path, on_existing, progress)
    with transaction(session.conn):
        result = plan(session, path, on_existing, progress)
        _insert(session, result.new)
        for customer_id, new in result.updates:
            _update(session, customer_id, new)
    return result


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
        elif name == "confidential":
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
