"""Checking and normalising what people type into customer fields (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from crmcli.dates import FIRST_YEAR, LAST_YEAR, parse_birthday, parse_day
from crmcli.errors import BadInput
from crmcli.i18n import _
from crmcli.text import has_control, is_blank, refuse_control

GRADES = ("A", "B", "C")
TEXT_FIELDS = ("contact", "phone", "email", "address", "site", "unit", "segment", "note",
               "sensitive_note")
MULTILINE_FIELDS = ("note", "sensitive_note")
CUSTOMER_FIELDS = (
    "name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
    "tags", "since", "birthday", "preferences", "note", "sensitive_note", "confidential",
    "anniversaries", "lunar_birthday",
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
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DAYS = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}\n)*+")
MAX_TEXT = 2000
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def name_key(name: str) -> str:
    """A name as it is looked up and checked for duplicates: Traditional and Simplified
    Chinese alike (謝麗華 = 谢丽华), full- and half-width alike (ＡＢＣ = abc), without case or
    spaces. Stored in ``customers.name_key``."""
    return name_keys([name])[0]


def name_keys(names: Sequence[str]) -> list[str]:
    """``name_key`` of many names, converted in one call (an import has thousands)."""
    from crmcli.textfold import fold_all

    return fold_all(list(names))


def clean_text(value: str, field: str, *, multiline: bool = False) -> str | None:
    """Text as stored: trimmed, on one line unless ``multiline``; None if nothing visible.

    Control characters are refused before any whitespace is folded, so that a CR or an escape
    code cannot pass as a space. Windows line ends (a cell typed in Excel, a pasted note) are
    line ends, not control codes.
    """
    refuse_control(value, field)
    text = value.strip()
    text = text.replace("\r\n", "\n") if multiline else " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise BadInput(_("{field}: too long ({count} characters; at most {max_text}).").format(
            field=field, count=len(text), max_text=MAX_TEXT))
    return None if is_blank(text) else text


def clean_name(value: str) -> str:
    name = clean_text(value, "name")
    if not name:
        raise BadInput(_("name: a customer needs a name."))
    return name


def clean_phone(value: str) -> str | None:
    phone = clean_text(value, "phone")
    if phone and not _PHONE.match(phone):
        raise BadInput(_("phone: {phone!r} is not a phone number.").format(
            phone=phone))
    return phone


def clean_email(value: str) -> str | None:
    email = clean_text(value, "email")
    if email and not _EMAIL.match(email):
        raise BadInput(_("email: {email!r} is not an email address.").format(
            email=email))
    return email


def clean_grade(value: str) -> str:
    grade = value.strip().upper()
    if grade not in GRADES:
        raise BadInput(_("grade: {value!r} is not a grade (A, B or C).").format(
            value=value))
    return grade


def clean_bool(value: str, field: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadInput(_("{field}: {value!r} is not yes/no.").format(
        field=field, value=value))


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
                raise BadInput(_("preference: {text!r} is not a JSON object.").format(
                    text=text)) from None
            if not isinstance(loaded, dict):
                raise BadInput(_("preference: {text!r} is not a JSON object.").format(text=text))
            # Each key and value is text like any other: a JSON escape (\u001b) must not
            # bring in what the option or cell could not.
            prefs.update({clean_text(str(k), "preference") or "":
                          clean_text(str(v), "preference") or "" for k, v in loaded.items()})
            continue
        for pair in re.split(r"[;；]", text):
            if not pair.strip():
                continue
            key, sep, val = pair.partition("=")
            if not sep or not key.strip():
                raise BadInput(_("preference: {value!r} is not KEY=VALUE (e.g. "
                                 "language=粵語).").format(
                    value=pair.strip()))
            prefs[clean_text(key, "preference") or ""] = clean_text(val, "preference") or ""
    return prefs


_MONTH_DAY = re.compile(r"^([0-9]{1,2})[-/.]([0-9]{1,2})$")
_LUNAR = re.compile(r"^(L|閏|闰)?\s*([0-9]{1,2})[-/.]([0-9]{1,2})$", re.IGNORECASE)


def clean_anniversaries(values: list[str]) -> str | None:
    """``LABEL=MM-DD`` pairs (業戶周年紀念日: 結婚紀念日=05-20), repeatable or joined with ``;``,
    as the stored text ``LABEL=MM-DD; LABEL=MM-DD`` (a later pair of a label replaces it)."""
    found: dict[str, str] = {}
    for value in values:
        for item in value.replace("；", ";").split(";"):
            if not item.strip():
                continue
            label, sep, when = item.partition("=")
            name = clean_text(label, "anniversary") or ""
            match = _MONTH_DAY.match(when.strip())
            if not sep or not name or not match or "=" in name:
                raise BadInput(_("anniversary: {item!r} is not LABEL=MM-DD (e.g. "
                                 "結婚紀念日=05-20).").format(
                    item=item.strip()))
            month, day = int(match[1]), int(match[2])
            try:
                date(2000, month, day)  # a leap year: 02-29 is a day
            except ValueError:
                raise BadInput(_("anniversary: {when!r} is not a day of the year.").format(
                    when=when.strip())) from None
            found[name] = f"{month:02d}-{day:02d}"
    return "; ".join(f"{name}={when}" for name, when in found.items()) or None


def clean_lunar_birthday(value: str) -> str:
    """A lunar birthday (農曆生日) ``MM-DD``, or ``L04-15`` (閏04-15) for one born in a leap
    month; stored as ``MM-DD`` or ``LMM-DD``."""
    match = _LUNAR.match(value.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 1 <= int(match[3]) <= 30:
        raise BadInput(_("lunar_birthday: {value!r} is not a lunar month and day "
                         "(MM-DD, or L04-15 for a leap month; days 1-30).").format(
            value=value.strip()))
    return f"{'L' if match[1] else ''}{int(match[2]):02d}-{int(match[3]):02d}"


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
    if field == "anniversaries":
        return clean_anniversaries([value] if isinstance(value, str) else value)
    if field == "lunar_birthday":
        return clean_lunar_birthday(value) if value.strip() else None
    if field in TEXT_FIELDS:
        return clean_text(value, field, multiline=field in MULTILINE_FIELDS)
    raise BadInput(_("Unknown customer field {field!r}.").format(field=field))


class ColumnCleaner:
    """``clean_field`` for one field over many cells at once, as an import reads a column.

    Gives what ``clean_field`` gives cell by cell — the same values, the same messages —
    except that a blank cell (empty, or only whitespace) is not a value: it gives None,
    unchecked, in every column but the name, which every row needs (a control character is
    refused even there: a CR or an escape code is not whitespace to a terminal). The speed
    comes from not asking per cell what can be answered per column: text already clean
    (printable, so without control characters or whitespace but the space; no leading,
    trailing or double space; not too long; for phones and emails, of their form) is exactly
    what ``clean_text`` returns for it, and a few passes over the whole column find the cells
    that are not; only those go through ``clean_field``. A column with few distinct texts
    (site, grade, dates, tags…) is cleaned once per distinct text.
    """

    def __init__(self, field: str, now: datetime) -> None:
        if field not in CUSTOMER_FIELDS:
            raise BadInput(_("Unknown customer field {field!r}.").format(
                field=field))
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
                values.append(self._clean_one(text) if text.strip() or has_control(text)
                              else None)
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


# Privacy (seed 003): a confidential customer's 房號、電話… are masked; preferences about health,
# allergies, handicap or diet (客情 that seed 003 lists: 身體殘疾, 過敏, 飲食需求, 健康信息) and
# the sensitive note are masked for every customer. A preference key is sensitive when it holds
# one of these words (compared case-folded; 繁 and 简 both listed).
CONFIDENTIAL_FIELDS = ("phone", "email", "address", "unit")
SENSITIVE_FIELDS = ("preferences", "sensitive_note")
MASKABLE_FIELDS = (*CONFIDENTIAL_FIELDS, *SENSITIVE_FIELDS)
SENSITIVE_KEY_WORDS = (
    "health", "allerg", "disab", "handicap", "diet", "medic", "illness", "disease",
    "pregnan", "wheelchair", "mobility", "medical",
    "健康", "過敏", "过敏", "殘疾", "残疾", "殘障", "残障", "傷殘", "伤残", "飲食", "饮食",
    "忌口", "病", "藥", "药", "醫", "医", "孕", "輪椅", "轮椅", "行動不便", "行动不便",
)
MASK = "****"  # what stands for a hidden value; every mask holds it (an email's: "***@")


def is_sensitive_key(key: str) -> bool:
    folded = key.casefold()
    return any(word in folded for word in SENSITIVE_KEY_WORDS)


def looks_masked(value: str) -> bool:
    """Whether a text is what ``mask`` writes in place of a value (for files that do not say
    which cells are masks: a text with three stars in a row is taken for one)."""
    return "***" in value


def _shown(text: str, head: int, tail: int) -> str:
    """The first ``head`` and last ``tail`` characters around the mask, fewer if they would
    be half the text or more: a mask never shows most of a value."""
    half = len(text) // 2
    tail = min(tail, half // 2)
    head = min(head, half - tail)
    return text[:head] + MASK + (text[-tail:] if tail else "")


def mask_phone(phone: str) -> str:
    return _shown(phone, 3, 4)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return _shown(email, 1, 0)
    shown = local[:1] + "***@" + domain
    if 1 + len(domain) <= len(email) // 2:
        return shown
    suffix = domain[domain.rfind("."):] if "." in domain else ""
    if 1 + len(suffix) > len(email) // 2:
        return "***@***"
    return local[:1] + "***@***" + suffix


def mask_address(address: str) -> str:
    return _shown(address, 3, 0)


def mask(record: dict[str, Any]) -> dict[str, Any]:
    """A customer's record as shown unrevealed (seed 003), with ``masked`` naming the fields
    that hold masks: a confidential customer's phone, email, address and unit; for everyone,
    the values of sensitive preferences and the sensitive note."""
    masked = dict(record)
    hidden: list[str] = []
    if record.get("confidential"):
        for field, masker in (("phone", mask_phone), ("email", mask_email),
                              ("address", mask_address), ("unit", mask_address)):
            if masked.get(field):
                masked[field] = masker(masked[field])
                hidden.append(field)
    preferences = record.get("preferences") or {}
    if any(map(is_sensitive_key, preferences)):
        masked["preferences"] = {key: MASK if is_sensitive_key(key) else value
                                 for key, value in preferences.items()}
        hidden.append("preferences")
    if record.get("sensitive_note"):
        masked["sensitive_note"] = MASK
        hidden.append("sensitive_note")
    masked["masked"] = hidden
    return masked


def needs_reveal(record: dict[str, Any]) -> bool:
    """Whether showing the record in clear shows something masked (a reveal, logged)."""
    return bool(mask(record)["masked"])


def mask_change(field: str, text: str | None, confidential: bool) -> str | None:
    """One side of a change in a customer's edit history, as shown unrevealed."""
    if text is None or not text:
        return text
    if field == "sensitive_note" or (confidential and field in CONFIDENTIAL_FIELDS):
        return MASK
    if field == "preferences":
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            return MASK
        if isinstance(values, dict) and any(map(is_sensitive_key, values)):
            return json.dumps({key: MASK if is_sensitive_key(key) else value
                               for key, value in values.items()}, ensure_ascii=False)
    return text


def first_year_end(since: date) -> date:
    """The first day after a customer's first year (29 February's year ends on 1 March)."""
    try:
        return since.replace(year=since.year + 1)
    except ValueError:  # 29 February
        return date(since.year + 1, 3, 1)


def is_first_year(since: date, today: date) -> bool:
    return today < first_year_end(since)


def first_year_grade(grade: str | None, since: date | None, entered: date, today: date,
                     days: int) -> str | None:
    """Why ``grade`` cannot be given yet, or None: a new customer is graded C for its first
    year whatever its size (seed 003: 不問其規模如何,一年間將其列為c等級). The year counts from
    the start of the relationship (``since``), else from the day the customer was entered."""
    if grade not in ("A", "B"):
        return None
    start = since or entered
    until = start + timedelta(days=days)
    if today >= until:
        return None
    return (f"a customer in its first year (since {start.isoformat()}) is graded C until "
            f"{until.isoformat()}, whatever its size; it may change from then.")
