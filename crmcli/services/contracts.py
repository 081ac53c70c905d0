"""Contracts and their renewals (續簽, seed 004): add, renew, end, list.

A renewal is a new contract that names the one it renews (``renews``), starting the day after
its end: the old contract and its figures stay as they were. Ending a contract records when
and whether the customer moved out; both are written once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from crmcli import handover, money
from crmcli.dates import from_db, local_today, to_db
from crmcli.db import transaction
from crmcli.errors import BadInput, IllegalTransition, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session
from crmcli.services.customers import find as find_customer

COLUMNS = [
    Column("id", justify="right"), Column("customer_id"), Column("customer"),
    Column("start_on", "start"), Column("end_on", "end"), Column("amount", justify="right"),
    Column("amount_minor", in_table=False), Column("currency", in_table=False),
    Column("billing", words=True), Column("status", words=True),
    Column("renews", in_table=False),
    Column("renewed_by", in_table=False), Column("ended_on", in_table=False),
    Column("moved_out", in_table=False), Column("note"),
    Column("created_at", in_table=False), Column("created_by", in_table=False),
]
_SELECT = (
    "SELECT k.id, k.customer_id, c.name, k.start_on, k.end_on, k.amount, k.billing, k.renews, "
    "k.renewed_by, k.ended_on, k.moved_out, k.note, "
    "k.created_at, k.created_by FROM contracts k JOIN customers c ON c.id = k.customer_id"
)


def record(row: Any, today: date, currency: str) -> dict[str, Any]:
    (cid, customer_id, name, start, end, amount, billing, renews, renewed_by, ended_on,
     moved_out, note, created_at, created_by) = row
    end_day = date.fromisoformat(end)
    if renewed_by is not None:
        status = "renewed"
    elif ended_on is not None:
        status = "ended"
    elif end_day < today:
        status = "expired"
    elif date.fromisoformat(start) > today:
        status = "future"
    else:
        status = "running"
    return {
        "id": cid, "customer_id": customer_id, "customer": name,
        "start_on": date.fromisoformat(start), "end_on": end_day,
        "amount": money.as_major(amount, currency) if amount is not None else None,
        "amount_minor": amount, "currency": currency, "billing": billing, "status": status,
        "renews": renews, "renewed_by": renewed_by,
        "ended_on": date.fromisoformat(ended_on) if ended_on else None,
        "moved_out": bool(moved_out), "note": note, "created_at": from_db(created_at),
        "created_by": created_by,
    }


def get(session: Session, contract_id: int) -> dict[str, Any]:
    row = session.conn.execute(_SELECT + " WHERE k.id = ?", (contract_id,)).fetchone()
    if row is None:
        raise NotFound(_("No contract #{contract_id}; `crmcli contract list` shows "
                         "them.").format(
            contract_id=contract_id))
    return record(row, local_today(session.now), session.policies.current.currency)


def _amount(text: str | None, currency: str) -> int | None:
    return money.parse_amount(text, currency, "--amount") if text is not None else None


def _billing(billing: str) -> str:
    if billing not in handover.BILLING:
        raise BadInput(_("--billing: {billing!r} is not one of {choices}.").format(
            billing=billing, choices=', '.join(handover.BILLING)))
    return billing


def add(session: Session, customer_ref: str, start: date, end: date, *, amount: str | None,
        billing: str, note: str | None) -> dict[str, Any]:
    if end < start:
        raise BadInput(_("--end {end} is before --start {start}.").format(
            end=end.isoformat(), start=start.isoformat()))
    minor = _amount(amount, session.policies.current.currency)
    text = clean_text(note, "--note", multiline=True) if note else None
    with transaction(session.conn):
        customer = find_customer(session, customer_ref)
        cursor = session.conn.execute(
            "INSERT INTO contracts (customer_id, start_on, end_on, amount, billing, note, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (customer["id"], start.isoformat(), end.isoformat(), minor, _billing(billing), text,
             to_db(session.now), session.user))
        return get(session, int(cursor.lastrowid or 0))


def renew(session: Session, contract_id: int, end: date, *, amount: str | None,
          note: str | None) -> dict[str, Any]:
    """A new contract from the day after the old one's end to ``end``, same terms unless told."""
    currency = session.policies.current.currency
    minor = _amount(amount, currency)
    text = clean_text(note, "--note", multiline=True) if note else None
    with transaction(session.conn):
        old = get(session, contract_id)
        if old["renewed_by"] is not None:
            raise IllegalTransition(_("Contract #{contract_id} was already renewed by "
                                      "contract #{renewed_by}; renew that one.").format(
                contract_id=contract_id, renewed_by=old['renewed_by']))
        if old["ended_on"] is not None:
            raise IllegalTransition(_("Contract #{contract_id} ended on {ended_on}; "
                                      "add a new contract with `crmcli contract add`.").format(
                contract_id=contract_id, ended_on=old['ended_on']))
        start = old["end_on"] + timedelta(days=1)
        if end < start:
            raise BadInput(_("--end {end} is not after contract #{contract_id}'s end "
                             "({end_on}).").format(
                end=end.isoformat(), contract_id=contract_id, end_on=old['end_on'].isoformat()))
        cursor = session.conn.execute(
            "INSERT INTO contracts (customer_id, start_on, end_on, amount, billing, note, "
            "renews, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (old["customer_id"], start.isoformat(), end.isoformat(),
             minor if minor is not None else old["amount_minor"], old["billing"], text,
             contract_id, to_db(session.now), session.user))
        renewal_id = int(cursor.lastrowid or 0)
        session.conn.execute("UPDATE contracts SET renewed_by = ? WHERE id = ?",
                             (renewal_id, contract_id))
        return get(session, renewal_id)


def end(session: Session, contract_id: int, on: date | None, *, moved_out: bool
        ) -> tuple[dict[str, Any], str | None]:
    """End a contract (early, or as agreed); returns it and a question to ask, if any."""
    with transaction(session.conn):
        contract = get(session, contract_id)
        if contract["renewed_by"] is not None:
            raise IllegalTransition(_("Contract #{contract_id} was renewed by "
                                      "contract #{renewed_by}; end that one.").format(
                contract_id=contract_id, renewed_by=contract['renewed_by']))
        if contract["ended_on"] is not None:
            if not moved_out or contract["moved_out"]:
                raise IllegalTransition(_("Contract #{contract_id} already ended on "
                                          "{ended_on}.").format(
                    contract_id=contract_id, ended_on=contract['ended_on'].isoformat()))
            session.conn.execute("UPDATE contracts SET moved_out = 1 WHERE id = ?",
                                 (contract_id,))
            _customer_moved_out(session, contract["customer_id"], contract["ended_on"])
            return get(session, contract_id), None
        day = on or min(contract["end_on"], local_today(session.now))
        if day < contract["start_on"]:
            raise BadInput(_("--at {day} is before the contract's start ({start_on}).").format(
                day=day.isoformat(), start_on=contract['start_on'].isoformat()))
        session.conn.execute(
            "UPDATE contracts SET ended_on = ?, ended_at = ?, ended_by = ?, moved_out = ? "
            "WHERE id = ?", (day.isoformat(), to_db(session.now), session.user, int(moved_out),
                             contract_id))
        if moved_out:
            _customer_moved_out(session, contract["customer_id"], day)
        ended = get(session, contract_id)
    question = None
    if not moved_out:
        question = _("Contract #{id} ended without a renewal: has {customer} moved out? If "
                     "so: {command}").format(
            id=contract_id, customer=ended["customer"],
            command=f"crmcli contract end {contract_id} --moved-out")
    return ended, question


def _customer_moved_out(session: Session, customer_id: int, day: date) -> None:
    """The customer left with the contract: no more reminders (as `customer edit
    --moved-out --at DAY`), unless already recorded as moved out."""
    from crmcli.dates import local_midnight
    from crmcli.services import customers

    if customers.find(session, str(customer_id)).get("moved_out_at") is None:
        customers.edit(session, str(customer_id),
                       {"moved_out_at": min(local_midnight(day), session.now)},
                       add_tags=[], remove_tags=[])


def iter_contracts(session: Session, customer_ref: str | None = None,
                   expiring_by: date | None = None, limit: int | None = None
                   ) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if customer_ref:
        where.append("k.customer_id = ?")
        params.append(find_customer(session, customer_ref)["id"])
    if expiring_by is not None:
        where.append("k.ended_on IS NULL AND k.renewed_by IS NULL AND k.end_on <= ?")
        params.append(expiring_by.isoformat())
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY k.end_on, k.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    today, currency = local_today(session.now), session.policies.current.currency
    return [record(row, today, currency) for row in session.conn.execute(sql, params)]
