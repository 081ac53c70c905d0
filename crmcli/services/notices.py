"""Notices, letters and their sign-off (通知、函件、簽收, seed 000).

A notice is recorded with one delivery per recipient: every current customer (``all``), a
segment (``segment:tenant``), a tag (``tag:VIP``) or named customers; customers who moved out
are left out. With ``--sign-off`` each delivery is owed a signed receipt (``notice sign``);
one still unsigned ``signoff_days`` (3) after sending is chased on the agenda. Recurring
notices are policy: ``notice.every.fire-safety 1mo`` puts a fire-safety notice on the agenda
one month after the last one sent (or from the day the setting was made, if none was).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crmcli.dates import from_db, month_bounds, to_db, to_local
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session, entry
from crmcli.services.customers import find as find_customer

KINDS = ("notice", "fire-safety", "rectification", "weather", "greeting", "invitation",
         "other")
MAX_ROWS = 2**63 - 1

COLUMNS = [
    Column("id", justify="right"), Column("title"), Column("kind"), Column("audience"),
    Column("sign_off"), Column("sent_at"), Column("by"), Column("recipients", justify="right"),
    Column("signed", justify="right"), Column("unsigned", justify="right"),
    Column("signoff_due"), Column("overdue"), Column("note"), Column("voided_at"),
    Column("void_reason"),
]
TABLE_COLUMNS = [  # fits 80 columns; the data formats carry the rest
    Column("id", justify="right"), Column("sent_at", "sent"), Column("kind", words=True),
    Column("title"), Column("signoff", "signed", justify="right"),
    Column("status", words=True),
]
DELIVERY_COLUMNS = [
    Column("notice_id"), Column("customer_id"), Column("customer"), Column("signed_at"),
    Column("signed_by"), Column("state", words=True),
]
CUSTOMER_COLUMNS = [
    Column("id", justify="right"), Column("sent_at", "sent"), Column("kind", words=True),
    Column("title"),
    Column("signed_at", "signed"),
]

_SELECT = (
    "SELECT n.id, n.title, n.kind, n.audience, n.sign_off, n.sent_at, n.by, n.signoff_due, "
    "n.note, n.voided_at, n.void_reason, "
    "(SELECT count(*) FROM notice_deliveries d WHERE d.notice_id = n.id), "
    "(SELECT count(*) FROM notice_deliveries d WHERE d.notice_id = n.id "
    "AND d.signed_at IS NOT NULL) FROM notices n"
)


def signoff_due(sent: datetime, days: int) -> datetime:
    """An unsigned delivery is chased from this moment (pure)."""
    return sent + timedelta(days=days)


def _record(row: Any, now: datetime) -> dict[str, Any]:
    (notice_id, title, kind, audience, sign_off, sent, by, due, note, voided, reason,
     recipients, signed) = row
    due_at = from_db(due) if due else None
    unsigned = recipients - signed if sign_off else None
    overdue = bool(sign_off and not voided and unsigned and due_at and now > due_at)
    return {
        "id": notice_id, "title": title, "kind": kind, "audience": audience,
        "sign_off": bool(sign_off), "sent_at": from_db(sent), "by": by,
        "recipients": recipients, "signed": signed if sign_off else None,
        "unsigned": unsigned, "signoff_due": due_at, "overdue": overdue, "note": note,
        "voided_at": from_db(voided) if voided else None, "void_reason": reason,
        "signoff": f"{signed}/{recipients}" if sign_off else "",
        "status": "void" if voided else "OVERDUE" if overdue else "sent",
    }


def get(session: Session, notice_id: int) -> dict[str, Any]:
    row = session.conn.execute(_SELECT + " WHERE n.id = ?", (notice_id,)).fetchone()
    if row is None:
        raise NotFound(_("No notice #{notice_id}; `crmcli notice list` shows them.").format(
            notice_id=notice_id))
    return _record(row, session.now)


def deliveries(session: Session, notice_id: int, *, unsigned_only: bool = False
               ) -> list[dict[str, Any]]:
    sign_off = bool(get(session, notice_id)["sign_off"])
    rows = session.conn.execute(
        "SELECT d.notice_id, d.customer_id, c.name, d.signed_at, d.signed_by "
        "FROM notice_deliveries d JOIN customers c ON c.id = d.customer_id "
        "WHERE d.notice_id = ?" + (" AND d.signed_at IS NULL" if unsigned_only else "")
        + " ORDER BY c.id", (notice_id,)).fetchall()
    return [{"notice_id": nid, "customer_id": cid, "customer": name,
             "signed_at": from_db(signed) if signed else None, "signed_by": signer,
             "state": ("signed" if signed else "unsigned") if sign_off else "delivered"}
            for nid, cid, name, signed, signer in rows]


def _audience(session: Session, targets: list[str], when: datetime
              ) -> tuple[str, list[int]]:
    """The recipients' ids and the audience as stored (``all``, ``segment:S``, …)."""
    current = "(moved_out_at IS NULL OR moved_out_at > ?)"
    moment = to_db(when)
    ids: set[int] = set()
    named: list[str] = []
    for target in targets or ["all"]:
        target = target.strip()
        if target == "all":
            ids.update(r[0] for r in session.conn.execute(
                f"SELECT id FROM customers WHERE {current}", (moment,)))
        elif target.startswith("segment:") and target[8:]:
            ids.update(r[0] for r in session.conn.execute(
                f"SELECT id FROM customers WHERE segment = ? AND {current}",
                (target[8:], moment)))
        elif target.startswith("tag:") and target[4:]:
            ids.update(r[0] for r in session.conn.execute(
                f"SELECT c.id FROM customers c JOIN customer_tags t ON t.customer_id = c.id "
                f"WHERE t.tag = ? AND {current}", (target[4:], moment)))
        else:
            customer = find_customer(session, target)
            if customer.get("moved_out_at") is not None and customer["moved_out_at"] <= when:
                raise BadInput(_("--to {target}: {name} (#{id}) moved out; notices go "
                                 "to current customers.").format(
                    target=target, name=customer['name'], id=customer['id']))
            ids.add(customer["id"])
            named.append(f"#{customer['id']}")
            continue
        named.append(target)
    if not ids:
        raise BadInput(_("--to {targets}: no current customer to send to.").format(
            targets=" ".join(targets) or "all"))
    audience = ", ".join(named)
    return audience if len(audience) <= 200 else f"{len(ids)} customers", sorted(ids)


@dataclass
class NewNotice:
    title: str
    kind: str = "notice"
    to: tuple[str, ...] = ()
    sign_off: bool = False
    at: datetime | None = None
    by: str | None = None
    note: str | None = None


def send(session: Session, new: NewNotice) -> dict[str, Any]:
    """Record a notice and one delivery per recipient (one transaction)."""
    title = clean_text(new.title, "title")
    if not title:
        raise BadInput(_("title: say what the notice is."))
    if new.kind not in KINDS:
        raise BadInput(_("--kind: {kind!r} is not one of {choices}.").format(
            kind=new.kind, choices=', '.join(KINDS)))
    when = entry.moment(session, new.at)
    who = entry.actor(session, new.by)
    note = entry.text(new.note, "--note")
    with transaction(session.conn):
        audience, ids = _audience(session, list(new.to), when)
        due = (to_db(signoff_due(when, session.policies.at(when).signoff_days))
               if new.sign_off else None)
        cursor = session.conn.execute(
            "INSERT INTO notices (title, kind, audience, sign_off, signoff_due, sent_at, by, "
            "note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (title, new.kind, audience, int(new.sign_off), due, to_db(when), who, note,
             to_db(session.now)))
        notice_id = int(cursor.lastrowid or 0)
        session.conn.executemany(
            "INSERT INTO notice_deliveries (notice_id, customer_id) VALUES (?, ?)",
            [(notice_id, cid) for cid in ids])
        return get(session, notice_id)


def sign(session: Session, notice_id: int, customer_ref: str, at: datetime | None,
         by: str | None) -> dict[str, Any]:
    """Record a recipient's signed receipt (簽收)."""
    when = entry.moment(session, at)
    with transaction(session.conn):
        notice = get(session, notice_id)
        if notice["voided_at"] is not None:
            raise IllegalTransition(_("Notice #{notice_id} is voided.").format(
                notice_id=notice_id))
        if not notice["sign_off"]:
            raise IllegalTransition(_("Notice #{notice_id} was sent without sign-off.").format(
                notice_id=notice_id))
        customer = find_customer(session, customer_ref)
        row = session.conn.execute(
            "SELECT signed_at FROM notice_deliveries WHERE notice_id = ? AND customer_id = ?",
            (notice_id, customer["id"])).fetchone()
        if row is None:
            raise NotFound(_("Notice #{notice_id} was not sent to {name} (#{id}).").format(
                notice_id=notice_id, name=customer['name'], id=customer['id']))
        if row[0] is not None:
            raise IllegalTransition(
                _("{name} (#{id}) signed notice #{notice_id} on {at}.").format(
                    name=customer["name"], id=customer["id"], notice_id=notice_id,
                    at=f"{to_local(from_db(row[0])):%Y-%m-%d %H:%M}"))
        if when < notice["sent_at"]:
            raise BadInput(_("--at {when:%Y-%m-%d %H:%M} is before notice "
                             "#{notice_id} was sent.").format(
                when=to_local(when), notice_id=notice_id))
        signer = clean_text(by, "--by") if by else customer["name"]
        session.conn.execute(
            "UPDATE notice_deliveries SET signed_at = ?, signed_by = ?, recorded_at = ?, "
            "recorded_by = ? WHERE notice_id = ? AND customer_id = ?",
            (to_db(when), signer, to_db(session.now), session.user, notice_id,
             customer["id"]))
        return {**get(session, notice_id), "customer_id": customer["id"],
                "customer": customer["name"], "signed_at": when, "signed_by": signer}


def void(session: Session, notice_id: int, reason: str | None) -> dict[str, Any]:
    with transaction(session.conn):
        entry.void(session, "notices", notice_id, reason)
        return get(session, notice_id)


@dataclass
class Filters:
    kind: str | None = None
    month: tuple[int, int] | None = None
    unsigned: bool = False


def iter_notices(session: Session, filters: Filters, limit: int | None = None
                 ) -> Iterator[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filters.kind:
        if filters.kind not in KINDS:
            raise BadInput(_("--kind: {kind!r} is not one of {choices}.").format(
                kind=filters.kind, choices=', '.join(KINDS)))
        where.append("n.kind = ?")
        params.append(filters.kind)
    if filters.month:
        start, end = month_bounds(*filters.month)
        where.append("n.sent_at >= ? AND n.sent_at < ?")
        params += [to_db(start), to_db(end)]
    if filters.unsigned:
        where.append("n.sign_off = 1 AND n.voided_at IS NULL AND EXISTS (SELECT 1 FROM "
                     "notice_deliveries d WHERE d.notice_id = n.id AND d.signed_at IS NULL)")
    sql = (_SELECT + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY n.sent_at, n.id")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, MAX_ROWS))
    for row in session.conn.execute(sql, params):
        yield _record(row, session.now)


def for_customer(session: Session, customer_id: int) -> list[dict[str, Any]]:
    return [{"id": nid, "sent_at": from_db(sent), "kind": kind, "title": title,
             "signed_at": (from_db(signed) if signed else "unsigned") if sign_off else None}
            for nid, sent, kind, title, sign_off, signed in session.conn.execute(
                "SELECT n.id, n.sent_at, n.kind, n.title, n.sign_off, d.signed_at "
                "FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id "
                "WHERE d.customer_id = ? AND n.voided_at IS NULL ORDER BY n.sent_at",
                (customer_id,))]


def month_count(session: Session, start: str, end: str, upto: str) -> int:
    return int(session.conn.execute(
        "SELECT count(*) FROM notices WHERE sent_at >= ? AND sent_at < ? AND sent_at < ? "
        "AND (voided_at IS NULL OR voided_at >= ?)", (start, end, upto, upto)).fetchone()[0])
