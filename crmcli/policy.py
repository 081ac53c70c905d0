"""The site's policy settings: every number of SPEC §2 with its default, and their history.

Settings are stored as a history (``policy_settings``), so a timer can use the values that were
in force when it started. This module is pure: services load the history and pass it in.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from crmcli.errors import BadInput
from crmcli.i18n import _

CADENCE_OVERRIDE = re.compile(r"^cadence\.(tag|segment)\.(.+)$")
NOTICE_EVERY = re.compile(r"^notice\.every\.([a-z][a-z-]*)$")
_SPAN_TEXT = re.compile(r"^\d+\s*(d|w|mo)$")


@dataclass(frozen=True)
class Policy:
    response_hours: float = 24
    upgrade_days: float = 10
    report_minutes: float = 10
    plan_minutes: float = 60
    resolve_hours: float = 12
    followup_hours: float = 24
    service_followup_hours: float = 24
    new_customer_days: int = 90
    cadence_new: str = "1w"
    cadence_established: str = "1mo"
    annual_visit_days: int = 365
    grade_new_customer_days: int = 365
    retention_years: int = 2
    region: str = "CN"
    area_manager: str = "area manager"
    department_head: str = "department head"
    timezone: str = "UTC"
    date_order: str = ""
    site_name: str = ""
    checkpoints: str = "sqlite"
    request_reply_hours: float = 24
    signoff_days: int = 3
    meeting_warning_days: int = 14
    meeting_attendance_target_pct: int = 90
    language: str = ""  # "" until init sets it: the locale's language
    currency: str = "CNY"
    renewal_notice_days: int = 60
    residence_visit_months: int = 3
    inspection_visit_months: int = 12
    invitation_days: int = 7
    review_months_a: str = "3,9"
    review_months_b: str = "1,4,7,10"
    review_months_c: str = "1,2,3,4,5,6,7,8,9,10,11,12"
    arrears_c_threshold: str = "500000"
    cadence_overrides: dict[str, str] = field(default_factory=dict)
    notice_every: dict[str, str] = field(default_factory=dict)  # notice kind -> span


HELP: dict[str, str] = {
    "response_hours": "minor complaint: first feedback to the customer due (hours after receipt)",
    "upgrade_days": "a minor complaint unresolved this many days becomes major",
    "report_minutes": "major complaint: report to the department head due (minutes)",
    "plan_minutes": "department complained about: handling plan due (minutes after it is "
                    "assigned)",
    "resolve_hours": "major complaint: resolution due, else escalated (hours after major)",
    "followup_hours": "complaint follow-up visit due (hours after closing)",
    "service_followup_hours": "repair / paid service follow-up due (hours after completion)",
    "new_customer_days": "a customer is new (weekly contact) for this many days",
    "cadence_new": "contact cadence of a new customer (e.g. 1w)",
    "cadence_established": "contact cadence of an established customer (e.g. 1mo)",
    "annual_visit_days": "in-person visit to every customer due this many days after the last",
    "grade_new_customer_days": "a new customer keeps grade C this many days",
    "retention_years": "closed complaints are kept at least this many years",
    "region": "holiday calendar for care reminders (ISO country code, e.g. CN, HK, TW)",
    "area_manager": "who makes in-person follow-ups of major complaints (片區經理)",
    "department_head": "to whom a major complaint is reported and escalated (部門負責人)",
    "timezone": "the site's time zone: days, months and shown times (e.g. Asia/Shanghai)",
    "date_order": "how the site writes 1/12: dmy (1 December) or mdy (January 12); "
                  "empty: such forms are refused as ambiguous",
    "site_name": "the site's name in the head office's reports (`hq report`); set at init",
    "checkpoints": "who copies the WAL into the file: sqlite (each crmcli, every 1000 pages) "
                   "or litestream (set by `replicate config`)",
    "request_reply_hours": "a request (訴求) not answered at once is replied to within (hours)",
    "signoff_days": "a delivery of a notice with sign-off (簽收) unsigned this many days is "
                    "chased",
    "meeting_warning_days": "a quarter without a tenant meeting is on the agenda for its last "
                            "days",
    "meeting_attendance_target_pct": "share of current customers met at a tenant meeting in a "
                                     "year (target)",
    "language": "interface language: zh-Hant, zh-Hans or en (CRMCLI_LANG overrides it)",
    "currency": "the site's one currency (ISO 4217 code); money is kept in its minor units",
    "renewal_notice_days": "renewal (續簽) on the agenda this many days before a contract ends",
    "residence_visit_months": "residence visit (居住感受回訪) due this many months after handover",
    "inspection_visit_months": "house inspection (房屋檢查) due this many months after handover",
    "invitation_days": "invitation (回訪通知和邀請) due this many days before a handover visit",
    "review_months_a": "months (1-12) in which grade A customers are reviewed (顧客情報報告書)",
    "review_months_b": "months in which grade B customers are reviewed",
    "review_months_c": "months in which grade C customers are reviewed (monthly = all twelve)",
    "arrears_c_threshold": "arrears at or over this amount, in major units (元), point to grade C",
    "cadence.tag.TAG / cadence.segment.SEGMENT": "cadence for customers with that tag or segment",
    "notice.every.KIND": "a notice of that kind is due this often (e.g. notice.every.fire-safety "
                         "1mo)",
}

_FLOAT_KEYS = {"response_hours", "upgrade_days", "report_minutes", "plan_minutes",
               "resolve_hours", "followup_hours", "service_followup_hours",
               "request_reply_hours"}
_INT_KEYS = {"new_customer_days", "annual_visit_days", "grade_new_customer_days",
             "retention_years", "signoff_days", "meeting_warning_days",
             "meeting_attendance_target_pct", "renewal_notice_days", "residence_visit_months",
             "inspection_visit_months", "invitation_days"}
_MONTH_LIST_KEYS = {"review_months_a", "review_months_b", "review_months_c"}
_SPAN_KEYS = {"cadence_new", "cadence_established"}
CHECKPOINTERS = ("sqlite", "litestream")
KEYS = [f.name for f in fields(Policy) if f.name not in ("cadence_overrides", "notice_every")]
# 100 years in each setting's unit: beyond it the date arithmetic of every timer overflows.
_UNIT_MAX = {"minutes": 52_560_000, "hours": 876_000, "days": 36_500, "months": 1_200,
             "years": 100, "pct": 100}
_SPAN_MAX = {"d": 36_500, "w": 5_200, "mo": 1_200}


def _check_region(region: str) -> None:
    """A region is accepted only if it has a holiday calendar, or `care` would fail from then on."""
    from datetime import date

    from crmcli.cadence import public_holidays

    public_holidays(region, date(2026, 1, 1), date(2026, 1, 1))


def normalize(key: str, value: str) -> tuple[str, str]:
    """Check a ``policy set`` pair; returns it cleaned, or raises BadInput."""
    key, value = key.strip(), value.strip()
    if CADENCE_OVERRIDE.match(key) or NOTICE_EVERY.match(key) or key in _SPAN_KEYS:
        value = value.replace(" ", "").lower()
        match = _SPAN_TEXT.match(value)
        if not match or int(re.sub(r"\D", "", value)) == 0:
            raise BadInput(_("policy {key}: {value!r} is not a cadence (use 2w, 10d or "
                             "1mo).").format(
                key=key, value=value))
        if int(re.sub(r"\D", "", value)) > _SPAN_MAX[match[1]]:
            raise BadInput(_("policy {key}: {value!r} is more than 100 years.").format(
                key=key, value=value))
        return key, value
    if key in _FLOAT_KEYS or key in _INT_KEYS:
        try:
            number = float(value) if key in _FLOAT_KEYS else int(value)
        except ValueError:
            raise BadInput(_("policy {key}: {value!r} is not a number.").format(
                key=key, value=value)) from None
        if not math.isfinite(number) or number <= 0:  # nan and inf would break every timer
            raise BadInput(_("policy {key}: must be a number greater than 0.").format(
                key=key))
        most = _UNIT_MAX[key.rsplit("_", 1)[1]]
        if number > most:
            raise BadInput(_("policy {key}: at most {most:,} (100 years).").format(
                key=key, most=most))
        return key, str(number)
    if key in _MONTH_LIST_KEYS:
        return key, ",".join(str(m) for m in parse_months(value, f"policy {key}"))
    if key == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise BadInput(_("policy currency: {value!r} is not a currency code (e.g. "
                             "CNY, HKD).").format(
                value=value))
        return key, value.upper()
    if key == "arrears_c_threshold":
        from crmcli.money import parse_major

        amount = parse_major(value, f"policy {key}")
        if not amount:
            raise BadInput(_("policy {key}: must be more than 0.").format(key=key))
        return key, str(amount)
    if key in ("region",):
        if not re.fullmatch(r"[A-Za-z]{2}(-[A-Za-z0-9]+)?", value):
            raise BadInput(_("policy region: {value!r} is not a country code (e.g. CN, "
                             "HK, TW).").format(
                value=value))
        _check_region(value)
        return key, value.upper()
    if key == "language":
        from crmcli.i18n import LANGUAGES
        from crmcli.i18n import normalize as language

        code = language(value)
        if code is None:
            raise BadInput(_("policy language: {value!r} is not one of {values}.").format(
                value=value, values=', '.join(LANGUAGES)))
        return key, code
    if key == "timezone":
        from crmcli.dates import zone_named

        zone_named(value)
        return key, value
    if key == "date_order":
        value = value.lower()
        if value not in ("dmy", "mdy", ""):
            raise BadInput(_("policy date_order: {value!r} is not dmy or mdy.").format(
                value=value))
        return key, value
    if key == "checkpoints":
        if value not in CHECKPOINTERS:
            raise BadInput(_("policy checkpoints: {value!r} is not one of {values}.").format(
                value=value, values=', '.join(CHECKPOINTERS)))
        return key, value
    if key in ("area_manager", "department_head", "site_name"):
        from crmcli.fields import clean_text

        name = clean_text(value, f"policy {key}")
        if not name:
            raise BadInput(_("policy {key}: give a name.").format(
                key=key))
        return key, name
    raise BadInput(_("Unknown policy setting {key!r}; `crmcli policy show` lists them.").format(
        key=key))


def parse_months(value: str, option: str) -> tuple[int, ...]:
    """``3,9`` or ``monthly``: the calendar months of a review schedule, sorted."""
    text = value.strip().lower()
    if text in ("monthly", "every", "all"):
        return tuple(range(1, 13))
    try:
        months = sorted({int(part) for part in re.split(r"[,\s，]+", text) if part})
    except ValueError:
        months = []
    if not months or not all(1 <= month <= 12 for month in months):
        raise BadInput(_("{option}: {value!r} is not a list of months 1-12 (e.g. 3,9 "
                         "or monthly).").format(
            option=option, value=value))
    return tuple(months)


def apply(policy: Policy, key: str, value: str) -> Policy:
    if CADENCE_OVERRIDE.match(key):
        return replace(policy, cadence_overrides={**policy.cadence_overrides, key: value})
    notice = NOTICE_EVERY.match(key)
    if notice:
        return replace(policy, notice_every={**policy.notice_every, notice[1]: value})
    typed: dict[str, Any] = {key: float(value) if key in _FLOAT_KEYS
                             else int(value) if key in _INT_KEYS else value}
    return replace(policy, **typed)


def as_rows(policy: Policy) -> list[dict[str, Any]]:
    from crmcli.i18n import _

    rows = [{"key": key, "value": getattr(policy, key), "meaning": _(HELP[key])} for key in KEYS]
    rows += [
        {"key": key, "value": value, "meaning": _("cadence override")}
        for key, value in sorted(policy.cadence_overrides.items())
    ]
    rows += [
        {"key": f"notice.every.{kind}", "value": value, "meaning": "recurring notice"}
        for kind, value in sorted(policy.notice_every.items())
    ]
    return rows


class PolicyHistory:
    """The policy in force at any moment, from the recorded settings (oldest first)."""

    def __init__(self, changes: list[tuple[datetime, str, str]]) -> None:
        self._times: list[datetime] = []
        self._policies: list[Policy] = []
        current = Policy()
        for at, key, value in sorted(changes, key=lambda change: change[0]):
            current = apply(current, key, value)
            self._times.append(at)
            self._policies.append(current)

    def at(self, moment: datetime) -> Policy:
        index = bisect_right(self._times, moment)
        return self._policies[index - 1] if index else Policy()

    @property
    def current(self) -> Policy:
        return self._policies[-1] if self._policies else Policy()

    @property
    def changed_at(self) -> tuple[datetime, ...]:
        """When each recorded setting took effect, oldest first (``at`` bisects these)."""
        return tuple(self._times)
