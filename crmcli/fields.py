"""Checking and normalising what people type into customer fields (pure)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmcli.dates import FIRST_YEAR, LAST_YEAR, parse_birthday, parse_day
from crmcli.errors import BadInput

if TYPE_CHECKING:
    from crmcli.policy import Policy

GRADES = ("A", "B", "C")
TEXT_FIELDS = ("contact", "phone", "email", "address", "site", "unit", "segment", "note")
CUSTOMER_FIELDS = (
    "name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
    "tags", "since", "birthday", "preferences", "note", "confidential",
    "handover", "renovating", "occupied",
)
FLAG_FIELDS = ("renovating", "occupied")
# Whitespace but a line break ([^\S\n]), so that the form also checks a column a line a cell.
_PHONE_FORM = r"\+?[0-9][0-9 ()\-]{4,24}(?:[^\S\n]*(?:ext\.?|x|轉|转)[^\S\n]*\d{1,6})?"
_EMAIL_FORM = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_PHONE = re.compile(f"^{_PHONE_FORM}$")
_EMAIL = re.compile(f"^{_EMAIL_FORM}$")
# One cell a line, each blank or of the form (possessive: a failed line fails the column).
_FORMS = {name: (pattern, re.compile(f"(?:(?:{form})?\n)*+"))
          for name, pattern, form in (("phone", _PHONE, _PHONE_FORM),
                                      ("email", _EMAIL, _EMAIL_FORM))}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DAYS = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}\n)*+")
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
    if field == "handover":
        return parse_day(value, now, "handover").isoformat() if value.strip() else None
    if field in FLAG_FIELDS:
        return clean_bool(value, field) if isinstance(value, str) else bool(value)
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


class ColumnCleaner:
    """``clean_field`` for one field over many cells at once, as an import reads a column.

    Gives what ``clean_field`` gives cell by cell — the same values, the same messages —
    except that a blank cell (empty, or only whitespace) is not a value: it gives None,
    unchecked, in every column but the name, which every row needs. The speed comes from not
    asking per cell what can be answered per column: text already clean (printable, so
    without control characters or whitespace but the space; no leading, trailing or double
    space; not too long; for phones and emails, of their form) is exactly what ``clean_text``
    returns for it, and a few passes over the whole column find the cells that are not; only
    those go through ``clean_field``. A column with few distinct texts (site, grade, dates,
    tags…) is cleaned once per distinct text.
    """

    def __init__(self, field: str, now: datetime) -> None:
        if field not in CUSTOMER_FIELDS:
            raise BadInput(f"Unknown customer field {field!r}.")
        self.field = field
        self.now = now
        self.required = field == "name"
        self.by_text = field == "name" or field in TEXT_FIELDS
        self.form = _FORMS.get(field)
        self.known: dict[str, Any] = {}  # value by distinct text, where cleaned per text
        self.errors: dict[str, str] = {}

    def __call__(self, cells: Sequence[str]) -> tuple[list[Any], dict[int, str]]:
        """The value of each cell (None where blank or bad) and the messages by cell index.

        Values cleaned once per distinct text are shared by its cells: do not change them.
        """
        distinct = set(cells)
        if self.by_text and len(distinct) * 2 > len(cells):
            return self._text(cells)
        new = list(distinct.difference(self.known))
        if new:
            values, errors = self._text(new) if self.by_text else self._each(new)
            self.known.update(zip(new, values, strict=True))
            self.errors.update((new[i], message) for i, message in errors.items())
        values = list(map(self.known.__getitem__, cells))
        if self.errors and not distinct.isdisjoint(self.errors):
            return values, {i: self.errors[cell] for i, cell in enumerate(cells)
                            if cell in self.errors}
        return values, {}

    def _text(self, cells: Sequence[str]) -> tuple[list[Any], dict[int, str]]:
        values: list[Any] = list(cells) if self.required else [cell or None for cell in cells]
        errors: dict[int, str] = {}
        for i in self._unclean(cells):
            try:
                values[i] = clean_field(self.field, cells[i], self.now)
            except BadInput as exc:
                values[i] = None
                errors[i] = str(exc)
        return values, errors

    def _unclean(self, cells: Sequence[str]) -> list[int]:
        """The cells that ``clean_field`` might change or refuse (it decides), in order."""
        odd: set[int] = set()
        if self.required and not all(cells):
            odd.update(i for i, cell in enumerate(cells) if not cell)
        if not all(map(str.isprintable, cells)):
            odd.update(i for i, cell in enumerate(cells) if not cell.isprintable())
        joined = "\n".join(cells)
        if ("  " in joined or " \n" in joined or "\n " in joined or joined[:1] == " "
                or joined[-1:] == " "):
            odd.update(i for i, cell in enumerate(cells)
                       if cell[:1] == " " or cell[-1:] == " " or "  " in cell)
        if max(map(len, cells), default=0) > MAX_TEXT:
            odd.update(i for i, cell in enumerate(cells) if len(cell) > MAX_TEXT)
        # A printable cell holds no line break, so it is one line of the joined column.
        if self.form is not None and not self.form[1].fullmatch(joined + "\n"):
            match = self.form[0].match
            odd.update(i for i, cell in enumerate(cells) if cell and match(cell) is None)
        return sorted(odd)

    def _each(self, texts: list[str]) -> tuple[list[Any], dict[int, str]]:
        if self.field in ("since", "birthday") and _usual_days(
                [text for text in texts if text], bounded=self.field == "since"):
            return [text or None for text in texts], {}
        values: list[Any] = []
        errors: dict[int, str] = {}
        for i, text in enumerate(texts):
            try:
                values.append(self._clean_one(text) if text.strip() else None)
            except BadInput as exc:
                values.append(None)
                errors[i] = str(exc)
        return values, errors

    def _clean_one(self, text: str) -> Any:
        if self.field in ("since", "birthday") and _ISO_DAY.fullmatch(text):
            # The usual form, already normalised: no need for the general parser.
            try:
                day = date.fromisoformat(text)
            except ValueError:
                pass
            else:
                if self.field == "birthday" or FIRST_YEAR <= day.year <= LAST_YEAR:
                    return text
        return clean_field(self.field, text, self.now)


def _usual_days(texts: list[str], *, bounded: bool) -> bool:
    """Whether each text is a day written YYYY-MM-DD, which parse_day (``bounded``: in its
    years) and parse_birthday give back as it is."""
    if not _ISO_DAYS.fullmatch("\n".join(texts) + "\n"):
        return False
    try:
        for _ in map(date.fromisoformat, texts):
            pass
    except ValueError:  # 2023-02-29
        return False
    # Written with four-digit years, the texts sort as their days do.
    return not bounded or not texts or (min(texts) >= f"{FIRST_YEAR:04d}"
                                        and max(texts) < f"{LAST_YEAR + 1:04d}")


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


def first_year_end(since: date) -> date:
    """The first day after a customer's first year (29 February's year ends on 1 March)."""
    try:
        return since.replace(year=since.year + 1)
    except ValueError:  # 29 February
        return date(since.year + 1, 3, 1)


def is_first_year(since: date, today: date) -> bool:
    return today < first_year_end(since)


def first_year_grade_error(since: date | None, created: date, today: date,
                           policy: Policy) -> str | None:
    """Seed 003 (新開發顧客…一年間將其列為c等級): why A or B cannot be given yet, else None.

    The first year counts from ``since``, else the day the customer was entered, for
    ``grade_new_customer_days`` days.
    """
    start = since or created
    until = start + timedelta(days=policy.grade_new_customer_days)
    if today < until:
        return (f"a new customer is graded C for its first year (seed 003); this one can be "
                f"graded A or B from {until.isoformat()}.")
    return None
