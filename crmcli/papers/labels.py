"""Every human word the papers print, in one place (the monthly figures' names are the
report's own, ``reports.FIGURE_LABELS``).

The keys are what templates name; the values are the English message ids the catalogue
translates (``labels()``). The forms' own Chinese names (《客戶投訴處置表》…) are names, not
translations, and stay as the seeds write them.
"""

from __future__ import annotations

from crmcli.services.reports import FIGURE_LABELS

__all__ = ["FIGURE_LABELS"]

LABELS: dict[str, str] = {
    # papers and their forms
    "sheet_title": "Complaint handling sheet",
    "sheet_form": "客戶投訴處置表",
    "register_title": "Complaint register",
    "register_form": "客戶投訴記錄表",
    "analysis_title": "Complaint analysis report",
    "analysis_form": "客戶投訴分析報告表",
    "quarterly_title": "Customer relationship evaluation",
    "quarterly_form": "客戶關係評估",
    "printed": "Printed",
    "page": "Page",
    "month_in_progress": "month in progress",
    # the handling sheet
    "complaint_no": "Complaint No.",
    "complainant": "Complainant",
    "contact": "Contact person",
    "phone": "Phone",
    "caller": "Complained by 投訴人",
    "caller_contact": "How to reach them 聯繫方式",
    "department": "Department complained about",
    "validity": "Validity",
    "letters": "Referral letters 《工作聯繫函》",
    "letter": "Letter",
    "letter_to": "To",
    "letter_sent": "Sent",
    "letter_done": "Answered",
    "address": "Address",
    "unit": "Unit",
    "received_at": "Received",
    "channel": "Channel",
    "received_by": "Received by",
    "owner": "Handled by",
    "category": "Category",
    "severity": "Severity",
    "status": "Status",
    "summary": "Complaint",
    "repeat_of": "Repeat of complaint",
    "case": "Case library",
    "deadlines": "Deadlines",
    "timer": "Deadline",
    "started": "Started",
    "due": "Due",
    "met_at": "Met",
    "state": "State",
    "missed": "missed",
    "history": "Handling record",
    "at": "Time",
    "action": "Action",
    "by": "By",
    "note": "Note",
    "resolution": "Resolution",
    "no_resolution": "Not yet resolved.",
    "followup": "Follow-up result",
    "no_followup": "No follow-up recorded yet.",
    "method": "Method",
    "done_at": "Done",
    "quality": "Service quality",
    "attitude": "Attitude",
    "satisfaction": "Overall satisfaction",
    "price_ok": "Price verified",
    "shortcomings": "Shortcomings",
    "suggestion": "Suggestions",
    "signatures": "Signatures",
    "sign_handler": "Handled by 處理人",
    "sign_verifier": "Verified by 驗證人",
    "sign_head": "Department head's opinion 部門負責人意見",
    "signature_date": "Signature / date",
    "yes": "yes",
    "no": "no",
    # the register
    "register_count": "complaints",
    "no_complaints": "No complaints in this period.",
    "opened_at": "Opened",
    "customer": "Customer",
    "responded_at": "Feedback given",
    "closed_at": "Closed",
    "breached": "Missed deadlines",
    # the analysis
    "figures": "Figures",
    "metric": "Figure",
    "this_month": "This month",
    "previous_month": "Previous month",
    "change": "Change",
    "charts": "Charts",
    "chart_weekly": "Complaints opened per week",
    "chart_category": "Complaints by category, with the share that missed a deadline",
    "chart_on_time": "Feedback and resolution on time, against target",
    "chart_followup": "Follow-up rate, against 100 %",
    "chart_missed": "Missed deadlines by kind",
    "week_from": "Week from",
    "opened": "Opened",
    "major": "Major",
    "escalated": "Escalated",
    "closed": "Closed",
    "repeat": "Repeats",
    "breached_share": "missed a deadline",
    "with_missed": "With a missed deadline",
    "target": "target",
    "no_data": "no data",
    "by_category": "By category",
    "by_channel": "By channel",
    "by_owner": "By owner",
    "missed_deadlines": "Missed deadlines",
    "missed_more": "more; the json report lists every one",
    "outcome": "Outcome",
    "none_missed": "No deadline was missed this month.",
    "feedback_on_time": "Feedback on time",
    "resolved_on_time": "Resolved on time",
    "followup_rate": "Follow-up rate",
    "company_total": "All sites",
    "hq_title": "Complaint analysis, all sites",
    "sites": "sites",
    "site": "Site",
    # the quarterly evaluation
    "by_segment": "By segment",
    "by_grade": "By grade",
    "customers": "Customers",
    "segment": "Segment",
    "grade": "Grade",
}

# The quarterly evaluation's columns, by their json key.
COLUMN_LABELS: dict[str, str] = {
    "customer_id": "#", "customer": "Customer", "segment": "Segment", "grade": "Grade",
    "customers": "Customers", "complaints": "Complaints", "complaints_major": "Major",
    "complaint_rate_pct": "Complaints per contact or service %", "contacts": "Contacts",
    "contacts_expected": "Contacts expected", "cadence_kept_pct": "Contact kept %",
    "in_person_visits": "In-person visits", "yearly_visit_done": "Visited this year",
    "yearly_visit_done_pct": "Visited this year %", "services": "Services",
    "avg_satisfaction": "Satisfaction (1–5)",
}

# Words stored as machine values (severity, status, timers, actions, methods), as printed.
VALUE_LABELS: dict[str, str] = {
    "minor": "minor 輕微", "major": "major 重大", "open": "open", "escalated": "escalated",
    "closed": "closed", "response": "feedback", "report": "report to department head",
    "resolve": "resolution", "followup": "follow-up visit", "plan": "handling plan 處理方法",
    "assigned": "department assigned", "planned": "handling plan", "referred":
    "referral letter 工作聯繫函", "referral_done": "letter answered", "validity": "validity",
    "opinion": "head's opinion", "notified": "result told", "unreasonable": "unreasonable 無理投訴",
    "valid": "valid 有效投訴", "met": "met", "overdue": "OVERDUE",
    "late": "met late", "missed": "missed", "cancelled": "not needed", "pending": "running",
    "opened": "opened", "responded": "feedback given", "upgraded": "became major",
    "reopened": "reopened", "noted": "note", "edited": "edited", "followed_up": "followed up",
    "phone": "phone", "wechat": "WeChat",
    "in-person": "in person", "email": "email", "letter": "letter",
}


def _translated(words: dict[str, str]) -> dict[str, str]:
    from crmcli.i18n import _

    return {key: _(text) for key, text in words.items()}


def labels() -> dict[str, str]:
    """The labels a template is given, in the interface language (the forms' own Chinese
    names have no entry in the catalogue and stay as they are)."""
    return _translated(LABELS)


def figure_labels() -> dict[str, str]:
    return _translated(FIGURE_LABELS)


def column_labels() -> dict[str, str]:
    return _translated(COLUMN_LABELS)


def value_labels() -> dict[str, str]:
    return _translated(VALUE_LABELS)
