"""``customer show``: one customer's profile, with its complaints, visits and what is due."""

from __future__ import annotations

import json
from typing import Any

from crmcli.env import Env
from crmcli.i18n import N_, _, gap
from crmcli.render import Column, Format, json_value, render, table_value
from crmcli.services import Session

TABLE_ROWS = 10
PROFILE_FIELDS = (
    "id", "name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
    "tags", "since", "birthday", "preferences", "note", "sensitive_note", "confidential",
    "masked", "last_contact_at", "last_in_person_at", "created_at", "updated_at", "moved_out_at",
    "anniversaries", "lunar_birthday",
    "handover", "renovating", "occupied", "balance", "credit", "oldest_unpaid", "currency",
)
# The profile's labels in a table (the keys stay the keys in csv and json).
LABELS = {
    "last_contact_at": N_("last contact"), "last_in_person_at": N_("last in-person visit"),
    "confidential": N_("confidential"), "created_at": N_("entered"),
    "updated_at": N_("last changed"), "complaints": N_("Complaints"), "visits": N_("Visits"),
    "due": N_("Due"), "address": N_("address"), "site": N_("site"),
    "preferences": N_("preferences"), "email": N_("email"), "birthday": N_("birthday"),
    "contracts": N_("Contracts"), "invoices": N_("Invoices"), "payments": N_("Payments"),
    "reviews": N_("Credit reviews"), "requests": N_("Requests"), "meetings": N_("Meetings"),
    "notices": N_("Notices"), "occupied": N_("occupied"), "renovating": N_("renovating"),
    "handover": N_("handover"), "balance": N_("balance"), "credit": N_("credit"),
    "oldest_unpaid": N_("oldest unpaid"), "currency": N_("currency"),
}


def render_profile(env: Env, session: Session, customer: dict[str, Any], fmt: Format) -> None:
    from crmcli.services import billing

    customer = {**customer, **billing.summary(session, customer["id"])}
    sections = _sections(session, customer)
    if fmt in (Format.json, Format.jsonl):
        document = {key: json_value(customer.get(key)) for key in PROFILE_FIELDS}
        for name, (_columns, rows) in sections.items():
            document[name] = [{k: json_value(v) for k, v in row.items()} for row in rows]
        env.out(json.dumps(document, ensure_ascii=False, indent=None if fmt is Format.jsonl
                           else 2))
        return
    if fmt in (Format.csv, Format.tsv):
        render(env, [customer], [Column(key) for key in PROFILE_FIELDS], fmt)
        return
    rows = [{"field": LABELS.get(key, key), "value": table_value(customer.get(key))}
            for key in PROFILE_FIELDS if customer.get(key) not in (None, "", [], {}, False)]
    render(env, rows, [Column("field", words=True), Column("value")], fmt,
           title=_("Customer #{id} {name}").format(id=customer["id"], name=customer["name"]))
    for name, (columns, section_rows) in sections.items():
        if not section_rows:
            continue
        env.out("")
        title = _(LABELS[name])
        if len(section_rows) > TABLE_ROWS:
            # Years of history do not fit a screen: the table shows the latest, json shows all.
            title += gap() + _("(latest {shown} of {count}; --format json lists all)").format(
                shown=TABLE_ROWS, count=len(section_rows))
            section_rows = section_rows[-TABLE_ROWS:]
        render(env, section_rows, columns, fmt, title=title)


def _sections(session: Session, customer: dict[str, Any]
              ) -> dict[str, tuple[list[Column], list[dict[str, Any]]]]:
    from crmcli.services import (
        agenda,
        billing,
        complaints,
        contracts,
        meetings,
        notices,
        requests,
        reviews,
        visit_register,
    )

    cid = customer["id"]
    return {
        "contracts": (contracts.COLUMNS, contracts.iter_contracts(session, str(cid))),
        "invoices": (billing.INVOICE_TABLE_COLUMNS,
                     billing.iter_invoices(session, str(cid))),
        "payments": (billing.PAYMENT_COLUMNS, billing.iter_payments(session, str(cid))),
        "reviews": (reviews.REVIEW_COLUMNS, reviews.iter_reviews(session, str(cid))),
        "complaints": (complaints.LIST_COLUMNS_SHORT,
                       list(complaints.for_customer(session, customer["id"]))),
        "visits": (visit_register.VISIT_COLUMNS_SHORT,
                   list(visit_register.for_customer(session, customer["id"]))),
        "requests": (requests.TABLE_COLUMNS_SHORT,
                     requests.for_customer(session, customer["id"])),
        "meetings": ([c for c in meetings.TABLE_COLUMNS if c.key in ("id", "held_at", "kind",
                                                                      "title", "status")],
                     meetings.for_customer(session, customer["id"])),
        "notices": (notices.CUSTOMER_COLUMNS, notices.for_customer(session, customer["id"])),
        "due": (agenda.DUE_COLUMNS_SHORT, agenda.for_customer(session, customer["id"])),
    }
