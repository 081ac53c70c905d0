"""The customer file (客戶檔案): add, find, list, edit, show, import, export, reveal."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from crmcli import fields, next_due
from crmcli.dates import from_db, local_day, local_today, to_db
from crmcli.db import transaction
from crmcli.errors import Ambiguous, BadInput, Conflict, NotFound
from crmcli.i18n import _
from crmcli.services import Session

COLUMNS = (
    "id", "name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
    "since", "birthday", "preferences", "note", "sensitive_note", "confidential",
    "last_contact_at", "last_in_person_at", "created_at", "updated_at", "moved_out_at",
    "anniversaries", "lunar_birthday",
    "handover", "renovating", "occupied",
)
_SELECT = (
    "SELECT " + ", ".join(f"c.{name}" for name in COLUMNS) + ", "
    "(SELECT group_concat(tag, char(31)) FROM customer_tags t WHERE t.customer_id = c.id) "
    "AS tags FROM customers c"
)
ROWS_PER_STATEMENT = 1000
BULK_ROWS = 1000  # an insert at least this large, into a table holding fewer, builds indexes after
BULK_CACHE_SIZE = -8192  # PRAGMA cache_size while it does: 8 MiB (negative: in KiB)
MAX_ROWS = 2**63 - 1  # SQLite's LIMIT is a 64-bit integer; --limit beyond it means all
_TIME_COLUMNS = ("last_contact_at", "last_in_person_at", "created_at", "updated_at",
                 "moved_out_at")


def record(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """A customer as the renderer and json see it (times as datetimes, tags as a list)."""
    values = dict(zip((*COLUMNS, "tags"), row, strict=True))
    values["confidential"] = bool(values["confidential"])
    values["renovating"] = bool(values["renovating"])
    values["occupied"] = bool(values["occupied"])
    values["preferences"] = json.loads(values["preferences"] or "{}")
    values["tags"] = sorted(values["tags"].split("\x1f")) if values["tags"] else []
    for name in _TIME_COLUMNS:
        if values[name]:
            values[name] = from_db(values[name])
    return values


def public(customer: dict[str, Any]) -> dict[str, Any]:
    """What may be shown without a reveal: confidential and sensitive details masked, and
    ``masked`` naming the fields that hold masks."""
    return fields.mask(customer)


def revealed(customer: dict[str, Any]) -> dict[str, Any]:
    """The record in clear (after a logged reveal): nothing masked."""
    return {**customer, "masked": []}


def find(session: Session, ref: str) -> dict[str, Any]:
    """A customer named by id or by exact name; an ambiguous name lists the candidates."""
    text = ref.strip()
    # ASCII digits only ("²".isdigit() is true), and no wider than SQLite's integer.
    if re.fullmatch(r"#?[0-9]{1,18}", text):
        row = session.conn.execute(_SELECT + " WHERE c.id = ?", (int(text.lstrip("#")),)).fetchone()
        if row:
            return record(row)
    rows = session.conn.execute(_SELECT + " WHERE c.name = ? ORDER BY c.id", (text,)).fetchall()
    if not rows:
        rows = session.conn.execute(
            _SELECT + " WHERE c.name_key = ? ORDER BY c.id", (fields.name_key(text),)
        ).fetchall()
    if len(rows) == 1:
        return record(rows[0])
    if rows:
        candidates = "; ".join(_label(record(row)) for row in rows[:10])
        raise Ambiguous(_("{count} customers are named {name!r}: {candidates}. Use the "
                          "id.").format(count=len(rows), name=text, candidates=candidates))
    close = closest(session, text)
    if close:
        raise NotFound(_("No customer {name!r}. Did you mean {names}?").format(
            name=text, names="; ".join(_label(record(row)) for row in close)))
    raise NotFound(_("No customer {name!r}; `crmcli customer list --search TEXT` finds "
                     "one.").format(name=text))


def closest(session: Session, text: str, limit: int = 5) -> list[Any]:
    """The customers whose names come closest to a name that matched none (for "did you
    mean"): among those sharing its first or last character or containing it, the most alike."""
    import difflib

    key = fields.name_key(text)
    if not key:
        return []
    rows = session.conn.execute(
        "SELECT id, name_key FROM customers WHERE substr(name_key, 1, 1) = ? "
        "OR substr(name_key, -1) = ? OR instr(name_key, ?) OR instr(?, name_key) LIMIT 20000",
        (key[0], key[-1], key, key)).fetchall()
    scored = sorted(((difflib.SequenceMatcher(None, key, found).ratio(), customer_id)
                     for customer_id, found in rows), key=lambda item: (-item[0], item[1]))
    ids = [customer_id for score, customer_id in scored[:limit] if score >= 0.5]
    return [session.conn.execute(_SELECT + " WHERE c.id = ?", (customer_id,)).fetchone()
            for customer_id in ids]


def _label(customer: dict[str, Any]) -> str:
    shown = public(customer)
    where = " ".join(p for p in (shown["site"], shown["unit"], shown["segment"]) if p)
    return f"#{customer['id']} {customer['name']}" + (f" ({where})" if where else "")


def duplicates_of(session: Session, name: str, *, exclude: int | None = None) -> list[int]:
    return [
        row[0]
        for row in session.conn.execute(
            "SELECT id FROM customers WHERE name_key = ? AND id IS NOT ? ORDER BY id",
            (fields.name_key(name), exclude),
        )
    ]


def _on_file(session: Session, customer_id: int) -> str:
    name = session.conn.execute("SELECT name FROM customers WHERE id = ?",
                                (customer_id,)).fetchone()[0]
    return _("Customer #{id} {name}").format(id=customer_id, name=name)


@dataclass
class NewCustomer:
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


@dataclass
class NewCustomers:
    """New customers as columns, for one insert: ``values[field][i]`` is the cleaned value of
    customer ``i``'s field, None where it was not given; a field not in ``values`` is given for
    no one. ``tags`` is empty (no tags at all), or each customer's tags (None or [] for none)."""

    names: list[str]
    keys: list[str]  # fields.name_key of each name
    values: dict[str, list[Any]] = field(default_factory=dict)
    tags: list[list[str] | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def of(cls, batch: list[NewCustomer]) -> NewCustomers:
        given = dict.fromkeys(name for new in batch for name in new.values)
        tags: list[list[str] | None] = [new.tags for new in batch]
        return cls([new.name for new in batch], fields.name_keys([new.name for new in batch]),
                   {name: [new.values.get(name) for new in batch] for name in given}, tags)


def grade_problem(session: Session, grade: str | None, since: str | date | None,
                  entered: date | None = None) -> str | None:
    """Why a grade cannot be given to this customer yet (``fields.first_year_grade``)."""
    start = date.fromisoformat(since) if isinstance(since, str) else since
    today_ = today(session)
    return fields.first_year_grade(grade, start, entered or today_, today_,
                                   session.policies.current.grade_new_customer_days)


def add(session: Session, new: NewCustomer, *, allow_duplicate: bool = False) -> dict[str, Any]:
    problem = grade_problem(session, new.values.get("grade"), new.values.get("since"))
    if problem:
        raise BadInput(_("--grade {value}: {problem}").format(
            value=new.values.get('grade'), problem=problem))
    with transaction(session.conn):
        if not allow_duplicate:
            existing = duplicates_of(session, new.name)
            if existing:
                raise Conflict(_(
                    "{existing} is already on file; add --allow-duplicate if {name!r} is "
                    "another customer.").format(existing=_on_file(session, existing[0]),
                                                name=new.name))
        customer_id = insert(session, NewCustomers.of([new]))[0]
    return find(session, str(customer_id))


def insert(session: Session, batch: NewCustomers) -> range:
    """Insert customers inside the caller's transaction; ids are assigned here, in order."""
    first = session.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM customers").fetchone()[0]
    ids = range(first, first + len(batch))
    # One statement for every row, so what all rows share is written into it once: the
    # timestamps, and the stored form of the fields no row gives (bound per row, they cost
    # a parameter each, 100 000 times over in a large import).
    stamp = "'" + to_db(session.now).replace("'", "''") + "'"
    columns: dict[str, str] = {"id": "?", "name": "?", "name_key": "?"}
    params: list[Iterable[Any]] = [ids, batch.names, batch.keys]
    for name in (*fields.TEXT_FIELDS, "since", "birthday", "anniversaries", "lunar_birthday",
                 "handover"):
        if name in batch.values:
            columns[name] = "?"
            params.append(batch.values[name])
    columns["grade"] = "coalesce(nullif(?, ''), 'C')" if "grade" in batch.values else "'C'"
    if "grade" in batch.values:
        params.append(batch.values["grade"])
    columns["preferences"] = "?" if "preferences" in batch.values else "'{}'"
    if "preferences" in batch.values:
        params.append(_json_texts(batch.values["preferences"]))
    columns["confidential"] = "?" if "confidential" in batch.values else "0"
    if "confidential" in batch.values:
        params.append(map(int, map(bool, batch.values["confidential"])))
    for name, default in (("renovating", 0), ("occupied", 1)):
        if name in batch.values:
            columns[name] = f"coalesce(?, {default})"
            params.append([None if flag is None else int(bool(flag))
                           for flag in batch.values[name]])
    columns["created_at"] = columns["updated_at"] = stamp
    # Each new customer's next contact and yearly visit (crmcli.next_due), stored with it.
    nothing = [None] * len(batch)
    stored = next_due.for_new(session.policies.current, to_db(session.now),
                              batch.values.get("since") or nothing, batch.tags or nothing,
                              batch.values.get("segment") or nothing)
    for index, name in enumerate(next_due.STORED):
        columns[name] = "?"
        params.append(map(itemgetter(index), stored))  # read as the rows go in, not copied
    with _indexes_built_after(session.conn, "customers", len(batch), first - 1):
        _insert_rows(session.conn, "customers", columns, zip(*params, strict=True), len(batch))
    if batch.tags:
        pairs = [(cid, tag) for cid, tags in zip(ids, batch.tags, strict=True) if tags
                 for tag in tags]
        _insert_rows(session.conn, "customer_tags", {"customer_id": "?", "tag": "?"},
                     iter(pairs), len(pairs))
    return ids


@contextmanager
def _indexes_built_after(conn: sqlite3.Connection, table: str, adding: int, highest_id: int
                         ) -> Iterator[None]:
    """Add many rows to a table that holds fewer, then build its indexes once.

    Adding a row to an index is a search down its b-tree, and name_key's entries land all
    over it; building an index after the rows sorts its entries and writes each page once
    (about a tenth of a 100 000-row import). The indexes are dropped and made again from
    their own definitions inside the caller's transaction: no other connection ever sees
    the table without them, and an error or a crash rolls the drop back with the rows. Only
    plain indexes (a UNIQUE one made afterwards would report a duplicate differently), and
    never once ANALYZE has run (dropping an index drops its statistics). Meanwhile a larger
    page cache keeps the sorting in memory instead of temporary files.
    """
    if adding < BULK_ROWS or highest_id > adding or not conn.in_transaction or conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").fetchone():
        yield
        return
    plain = {row[1] for row in conn.execute(f"PRAGMA index_list({table})")
             if row[2] == 0 and row[3] == "c"}  # not unique, made by CREATE INDEX
    indexes = [(name, sql) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "ORDER BY rowid", (table,)) if name in plain]
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = {BULK_CACHE_SIZE}")
    try:
        for name, _ in indexes:
            conn.execute('DROP INDEX "' + name.replace('"', '""') + '"')
        yield
        for _, sql in indexes:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


def _insert_rows(conn: sqlite3.Connection, table: str, columns: dict[str, str],
                 rows: Iterator[tuple[Any, ...]], count: int) -> None:
    """INSERT ``count`` rows, up to a thousand to a statement: a statement run costs about as
    much for one row as for many (binding aside), and SQLite builds the list of a CHECK
    (grade IN ('A', 'B', 'C')) once a run; inserting takes about a quarter less time."""
    per_row = sum(mark.count("?") for mark in columns.values())
    rows_each = max(1, min(ROWS_PER_STATEMENT,
                           conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(per_row, 1)))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    row = "(" + ", ".join(columns.values()) + ")"
    full, rest = divmod(count, rows_each)
    if full:
        conn.executemany(head + ", ".join([row] * rows_each),
                         (tuple(chain.from_iterable(islice(rows, rows_each))) for _ in range(full)))
    if rest:
        conn.execute(head + ", ".join([row] * rest), tuple(chain.from_iterable(rows)))


def _json_texts(values: list[Any]) -> list[str]:
    """Each preferences object as stored; an import shares one object among the rows that
    gave the same text, so each is written out once."""
    texts: dict[int, str] = {}
    out = []
    for value in values:
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = json.dumps(value or {}, ensure_ascii=False)
        out.append(text)
    return out


def edit(session: Session, ref: str, changes: dict[str, Any],
         *, add_tags: list[str], remove_tags: list[str], reason: str | None = None
         ) -> tuple[dict[str, Any], list[str]]:
    """Change fields, keeping every change (old → new, who, when) in customer_changes.

    Lifting confidentiality shows every detail from then on: it needs a reason and is
    written to the access log, like a reveal, in the same transaction.
    """
    with transaction(session.conn):
        before = find(session, ref)
        if before["confidential"] and changes.get("confidential") is False:
            _log(session, [before["id"]], "unmark", reason or "",
                 _("--not-confidential needs --reason TEXT: it shows this customer's details "
                   "to everyone from now on."))
        changed: list[str] = []
        if "name" in changes and changes["name"] != before["name"]:
            clash = duplicates_of(session, changes["name"], exclude=before["id"])
            if clash and not changes.pop("_allow_duplicate", False):
                raise Conflict(_(
                    "{existing} is already on file; add --allow-duplicate to rename to "
                    "{name!r} anyway.").format(existing=_on_file(session, clash[0]),
                                               name=changes["name"]))
        changes.pop("_allow_duplicate", None)
        if "grade" in changes or "since" in changes:
            problem = grade_problem(session, changes.get("grade", before["grade"]),
                                    changes.get("since", before["since"]),
                                    local_day(before["created_at"]))
            grade = changes.get("grade", before["grade"])
            if problem and (grade != before["grade"] or "since" in changes):
                raise BadInput(_("--grade {grade}: {problem}").format(
                    grade=grade, problem=problem))
        for name, value in changes.items():
            old = before[name]
            if name == "preferences":
                value = {**old, **value}
            if value == old:
                continue
            _record_change(session, before["id"], name, old, value)
            stored = json.dumps(value, ensure_ascii=False) if name == "preferences" else value
            if name in ("confidential", *fields.FLAG_FIELDS):
                stored = int(bool(value))
            if name == "moved_out_at":
                stored = to_db(value) if value is not None else None
            session.conn.execute(f"UPDATE customers SET {name} = ? WHERE id = ?",
                                 (stored, before["id"]))
            if name == "name":
                session.conn.execute("UPDATE customers SET name_key = ? WHERE id = ?",
                                     (fields.name_key(value), before["id"]))
            changed.append(name)
        tags = [t for t in before["tags"] if t not in remove_tags]
        tags += [t for t in add_tags if t not in tags]
        if sorted(tags) != before["tags"]:
            _record_change(session, before["id"], "tags", before["tags"], sorted(tags))
            session.conn.execute("DELETE FROM customer_tags WHERE customer_id = ?",
                                 (before["id"],))
            session.conn.executemany(
                "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                ((before["id"], tag) for tag in tags),
            )
            changed.append("tags")
        if changed:
            session.conn.execute("UPDATE customers SET updated_at = ? WHERE id = ?",
                                 (to_db(session.now), before["id"]))
            # since, tags, segment or moving out change what the customer is owed next
            next_due.refresh(session.conn, session.policies.current, [before["id"]])
    return find(session, str(before["id"])), changed


def _record_change(session: Session, customer_id: int, name: str, old: Any, new: Any) -> None:
    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, datetime):
            return to_db(value)
        return str(int(value)) if isinstance(value, bool) else str(value)

    session.conn.execute(
        "INSERT INTO customer_changes (customer_id, at, by, field, old_value, new_value) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (customer_id, to_db(session.now), session.user, name, text(old), text(new)),
    )


def history(session: Session, ref: str) -> Iterator[dict[str, Any]]:
    customer = find(session, ref)
    confidential = customer["confidential"]
    for row in session.conn.execute(
        "SELECT id, at, by, field, old_value, new_value FROM customer_changes "
        "WHERE customer_id = ? ORDER BY at, id",
        (customer["id"],),
    ):
        yield {
            "id": row[0], "at": from_db(row[1]), "by": row[2], "field": row[3],
            "old": fields.mask_change(row[3], row[4], confidential),
            "new": fields.mask_change(row[3], row[5], confidential),
        }


@dataclass
class Filters:
    grade: str | None = None
    tags: list[str] = field(default_factory=list)
    segment: str | None = None
    search: str | None = None
    confidential: bool | None = None
    moved_out: bool = False  # include customers who moved out (hidden by default)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def iter_customers(session: Session, filters: Filters, limit: int | None = None
                   ) -> Iterator[dict[str, Any]]:
    where: list[str] = [] if filters.moved_out else ["c.moved_out_at IS NULL"]
    params: list[Any] = []
    if filters.grade:
        where.append("c.grade = ?")
        params.append(fields.clean_grade(filters.grade))
    if filters.segment:
        where.append("c.segment = ?")
        params.append(filters.segment)
    for tag in filters.tags:
        where.append("EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id "
                     "AND t.tag = ?)")
        params.append(tag)
    if filters.confidential is not None:
        where.append("c.confidential = ?")
        params.append(int(filters.confidential))
    if filters.search:
        # A confidential customer's phone, email, address and unit are not searchable (nor is
        # anyone's sensitive note): matching them character by character would rebuild what
        # the mask hides, with no reveal logged.
        open_fields = ("name", "contact", "site", "note", "segment")
        hidden_fields = fields.CONFIDENTIAL_FIELDS
        like = "{} LIKE ? ESCAPE '\\'"
        where.append(
            "(" + " OR ".join(like.format(f"c.{name}") for name in open_fields)
            + " OR (c.confidential = 0 AND ("
            + " OR ".join(like.format(f"c.{name}") for name in hidden_fields) + ")))")
        params += [_like(filters.search)] * (len(open_fields) + len(hidden_fields))
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        yield record(row)


def listing(session: Session, filters: Filters, limit: int | None = None, *,
            reveal_reason: str | None = None, action: str = "list"
            ) -> Iterator[dict[str, Any]]:
    """Customers for a list or an export: masked, or — with a reason — revealed and logged.

    The access log is written before anything is shown, one row per customer whose
    confidential or sensitive details are shown in clear.
    """
    if reveal_reason is None:
        return (public(c) for c in iter_customers(session, filters, limit))
    shown = list(iter_customers(session, filters, limit))
    log_access(session, [c["id"] for c in shown if fields.needs_reveal(c)], action,
               reveal_reason)
    return map(revealed, shown)


def log_access(session: Session, customer_ids: list[int], action: str, reason: str) -> None:
    """Write the access log for revealed confidential details (seed 003)."""
    with transaction(session.conn):
        _log(session, customer_ids, action, reason,
             _("--reveal needs --reason TEXT: why these details are needed."))


def _log(session: Session, customer_ids: list[int], action: str, reason: str,
         missing: str) -> None:
    """The access log's rows, inside the caller's transaction; ``missing`` is the message
    when no reason (or only invisible text) is given."""
    reason = (fields.clean_text(reason, "--reason") or "") if reason else ""
    if not reason:
        raise BadInput(missing)
    stamp = to_db(session.now)
    session.conn.executemany(
        "INSERT INTO access_log (at, by, customer_id, action, reason) VALUES (?, ?, ?, ?, ?)",
        ((stamp, session.user, cid, action, reason) for cid in customer_ids),
    )


def access_log(session: Session, customer: str | None, limit: int | None
               ) -> Iterator[dict[str, Any]]:
    sql = ("SELECT a.id, a.at, a.by, a.customer_id, c.name, a.action, a.reason "
           "FROM access_log a LEFT JOIN customers c ON c.id = a.customer_id")
    params: list[Any] = []
    if customer:
        sql += " WHERE a.customer_id = ?"
        params.append(find(session, customer)["id"])
    sql += " ORDER BY a.at DESC, a.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        yield {"id": row[0], "at": from_db(row[1]), "by": row[2], "customer_id": row[3],
               "customer": row[4], "action": row[5], "reason": row[6]}


def today(session: Session) -> date:
    return local_today(session.now)


def moved_out_change(now: datetime, moved_out: bool, active: bool, at: str | None
                     ) -> dict[str, Any]:
    """The ``moved_out_at`` change `customer edit --moved-out [--at DATE]` / `--active` asks."""
    from crmcli.dates import local_midnight, parse_day

    if moved_out and active:
        raise BadInput(_("--moved-out and --active: choose one."))
    if at is not None and not moved_out:
        raise BadInput(_("--at: only with --moved-out."))
    if active:
        return {"moved_out_at": None}
    if not moved_out:
        return {}
    when = local_midnight(parse_day(at, now, "--at")) if at is not None else now
    if when > now:
        raise BadInput(_("--at {at}: a move-out is recorded once it has happened.").format(
            at=at))
    return {"moved_out_at": when.replace(second=0, microsecond=0)}
