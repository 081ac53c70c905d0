"""Checking and normalising what people type into customer fields (pure)."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from crmcli.dates import parse_birthday, parse_day
from crmcli.errors import BadInput

GRADES = ("A", "B", "C")
TEXT_FIELDS = ("contact", "phone", "email", "address", "site", "unit", "segment", "note")
CUSTOMER_FIELDS = (
    "name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
    "tags", "since", "birthday", "preferences", "note", "confidential",
)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,24}(?:\s*(?:ext\.?|x|轉|转)\s*\d{1,6})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_TEXT = 2000
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def name_key(name: str) -> str:
    """Case-, width- and space-insensitive form of a name, for duplicate checks."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def clean_text(value: str, field: str, *, multiline: bool = False) -> str | None:
    text = value.strip()
    # Windows line ends (a cell typed in Excel, a pasted note) are line ends, not control codes.
    text = (text.replace("\r\n", "\n").replace("\r", "\n") if multiline
            else " ".join(text.split()))
    if _CONTROL.search(text):
        raise BadInput(f"{field}: control characters are not allowed.")
    if len(text) > MAX_TEXT:
        raise BadInput(f"{field}: too long ({len(text)} characters; at most {MAX_TEXT}).")
    return text or None


def clean_name(value: str) -> str:
    name = clean_text(value, "name")
    if not name:
        raise BadInput("name: a customer needs a name.")
    return name


def clean_phone(value: str) -> str | None:
    phone = clean_text(value, "phone")
    if phone and not _PHONE.match(phone):
        raise BadInput(f"phone: {phone!r} is not a phone number.")
    return phone


def clean_email(value: str) -> str | None:
    email = clean_text(value, "email")
    if email and not _EMAIL.match(email):
        raise BadInput(f"email: {email!r} is not an email address.")
    return email


def clean_grade(value: str) -> str:
    grade = value.strip().upper()
    if grade not in GRADES:
        raise BadInput(f"grade: {value!r} is not a grade (A, B or C).")
    return grade


def clean_bool(value: str, field: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadInput(f"{field}: {value!r} is not yes/no.")


def clean_tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for value in values:
        for part in re.split(r"[;,，；]", value):
            tag = clean_text(part, "tag")
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def parse_preferences(values: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (repeatable, or ``;``-separated), or a JSON object."""
    prefs: dict[str, str] = {}
    for value in values:
        text = value.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                raise BadInput(f"preference: {text!r} is not a JSON object.") from None
            if not isinstance(loaded, dict):
                raise BadInput(f"preference: {text!r} is not a JSON object.")
            prefs.update({str(k): str(v) for k, v in loaded.items()})
            continue
        for pair in re.split(r"[;；]", text):
            if not pair.strip():
                continue
            key, sep, val = pair.partition("=")
            if not sep or not key.strip():
                raise BadInput(
                    f"preference: {pair.strip()!r} is not KEY=VALUE (e.g. language=粵語).")
            prefs[clean_text(key, "preference") or ""] = clean_text(val, "preference") or ""
    return prefs


def clean_field(field: str, value: Any, now: datetime) -> Any:
    """Normalise one customer field from text; raises BadInput naming the field."""
    if field == "name":
        return clean_name(value)
    if field == "phone":
        return clean_phone(value)
    if field == "email":
        return clean_email(value)
    if field == "grade":
        return clean_grade(value)
    if field == "since":
        return parse_day(value, now, "since").isoformat() if value.strip() else None
    if field == "birthday":
        return parse_birthday(value, "birthday") if value.strip() else None
    if field == "tags":
        return clean_tags([value] if isinstance(value, str) else value)
    if field == "preferences":
        return parse_preferences([value] if isinstance(value, str) else value)
    if field == "confidential":
        return clean_bool(value, field) if isinstance(value, str) else bool(value)
    if field in TEXT_FIELDS:
        return clean_text(value, field, multiline=field == "note")
    raise BadInput(f"Unknown customer field {field!r}.")


def mask_phone(phone: str) -> str:
    digits = len(phone)
    if digits >= 8:
        return phone[:3] + "****" + phone[-4:]
    return phone[:1] + "*" * max(digits - 1, 1)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def mask_address(address: str) -> str:
    return address[:3] + "****"


def mask(record: dict[str, Any]) -> dict[str, Any]:
    """A confidential customer's record with phone, email and address masked (seed 003)."""
    masked = dict(record)
    for field, masker in (("phone", mask_phone), ("email", mask_email),
                          ("address", mask_address)):
        if masked.get(field):
            masked[field] = masker(masked[field])
    return masked


def is_first_year(since: date, today: date) -> bool:
    try:
        anniversary = since.replace(year=since.year + 1)
    except ValueError:  # 29 February
        anniversary = date(since.year + 1, 3, 1)
    return today < anniversary
