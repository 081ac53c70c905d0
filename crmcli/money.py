"""Money, exactly: amounts as integer minor units, parsed from text with ``decimal``, and which
payment pays which invoice (pure; no I/O).

Decisions where SPEC and the seeds are silent:

* A site keeps one currency (policy ``currency``); each row also carries its currency, so a
  figure can never silently mix two. Amounts typed by people are in major units (``1234.56``
  yuan) and kept in minor units (123456 fen). A float never holds money: text is read with
  ``decimal.Decimal`` and refused if it has more decimals than the currency has.
* Which payment pays which invoice is worked out from the history, never stored by hand:
  payments in the order they were received; one that names an invoice pays it first (up to
  what it still owes), and the rest of it, like a payment that names none, pays the
  customer's other unpaid invoices oldest due date first. What is left over is credit. A
  refused payment (拒付) pays nothing, so refusing one re-opens what it had paid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

from crmcli.errors import BadInput
from crmcli.i18n import _, ngettext

if TYPE_CHECKING:
    from decimal import Decimal

# ISO 4217 minor units of the currencies a site may keep; any other code has two.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3,
              "JOD": 3, "TND": 3}
_AMOUNT = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?$|^\.[0-9]+$")
_SYMBOLS = ("¥", "￥", "$", "HK$", "NT$", "RMB", "CNY", "HKD", "元")
MAX_MAJOR = 10**13  # ten trillion: beyond any site's invoice, inside SQLite's integer


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def parse_major(text: str, option: str) -> Decimal:
    """An amount in major units as typed (``1234.56``, ``1,234.56``, ``¥500``), exactly."""
    from decimal import Decimal, InvalidOperation  # only where an amount is typed

    raw = text.strip().replace(" ", "").replace("_", "")
    for symbol in _SYMBOLS:
        if raw.upper().startswith(symbol):
            raw = raw[len(symbol):]
        if raw.upper().endswith(symbol):
            raw = raw[: -len(symbol)]
    if not _AMOUNT.match(raw):
        raise BadInput(_("{option}: {text!r} is not an amount (e.g. 1234.56).").format(
            option=option, text=text.strip()))
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise BadInput(_("{option}: {text!r} is not an amount.").format(
            option=option, text=text.strip())) from None
    if value >= MAX_MAJOR:
        raise BadInput(_("{option}: {text!r} is too large.").format(
            option=option, text=text.strip()))
    return value


def to_minor(value: Decimal, currency: str, option: str) -> int:
    """Major units to minor units; more decimals than the currency has is bad input."""
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise BadInput(ngettext("{option}: {value} {currency} has more than {places} decimal "
                                "place.",
                                "{option}: {value} {currency} has more than {places} decimal "
                                "places.", places).format(
            option=option, value=value, currency=currency, places=places))
    return int(minor)


def parse_amount(text: str, currency: str, option: str = "AMOUNT") -> int:
    """A positive amount typed in major units, as minor units: ``1234.56`` CNY → 123456."""
    minor = to_minor(parse_major(text, option), currency, option)
    if minor <= 0:
        raise BadInput(_("{option}: the amount must be more than 0.").format(
            option=option))
    return minor


def format_amount(minor: int, currency: str) -> str:
    """``123456`` CNY → ``1,234.56`` (for tables; csv and json carry both forms)."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** places)
    return f"{sign}{whole:,}" + (f".{part:0{places}d}" if places else "")


def as_major(minor: int, currency: str) -> str:
    """Minor units as exact major-unit text without grouping (``123456`` → ``1234.56``)."""
    return format_amount(minor, currency).replace(",", "")


# --- which payment pays which invoice ---------------------------------------------------------

class Invoice(NamedTuple):
    id: int
    amount: int
    due_on: date
    issued_at: datetime


class Payment(NamedTuple):
    id: int
    amount: int
    invoice_id: int | None
    paid_at: datetime
    refused: bool = False


class Allocation(NamedTuple):
    applications: list[tuple[int, int, int]]  # (payment_id, invoice_id, amount)
    paid: dict[int, int]  # invoice id → paid so far
    settled_at: dict[int, datetime]  # invoice id → when the payment that completed it came
    credit: int  # paid and not owed on any invoice


def allocate(invoices: Iterable[Invoice], payments: Iterable[Payment]) -> Allocation:
    """Apply one customer's payments to its invoices (see the module's decisions)."""
    ordered = sorted(invoices, key=lambda invoice: (invoice.due_on, invoice.id))
    issued = {invoice.id: invoice.issued_at for invoice in ordered}
    owed = {invoice.id: invoice.amount for invoice in ordered}
    paid = dict.fromkeys(owed, 0)
    settled: dict[int, datetime] = {}
    applications: list[tuple[int, int, int]] = []
    credit = 0
    for payment in sorted(payments, key=lambda p: (p.paid_at, p.id)):
        if payment.refused:
            continue
        left = payment.amount
        targets = [payment.invoice_id] if payment.invoice_id in owed else []
        targets += [invoice.id for invoice in ordered if invoice.id != payment.invoice_id]
        for invoice_id in targets:
            if not left:
                break
            take = min(left, owed[invoice_id])
            if not take:
                continue
            owed[invoice_id] -= take
            paid[invoice_id] += take
            left -= take
            applications.append((payment.id, invoice_id, take))
            if not owed[invoice_id]:
                # credit paid before the invoice was issued settles it when issued
                settled[invoice_id] = max(payment.paid_at, issued[invoice_id])
        credit += left
    return Allocation(applications, paid, settled, credit)


def outstanding(invoices: Iterable[tuple[int, int]]) -> int:
    """What is still owed on (amount, paid) pairs."""
    return sum(amount - paid for amount, paid in invoices)
