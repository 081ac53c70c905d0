"""``crmcli report quarterly|meetings|grades``: the quarterly relationship evaluation, the
tenant meetings' figures and the credit grades; registered on the report group by
``register``."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer

from crmcli.commands._common import (
    BomOpt,
    LimitOpt,
    ListFormatOpt,
    OutputOpt,
    PaperFormatOpt,
    handle_errors,
    state,
)
from crmcli.commands.report import figure_text, json_document
from crmcli.i18n import _
from crmcli.render import Column, Format, PaperFormat, json_value, render


def register(group: typer.Typer) -> None:
    """Add quarterly, meetings and grades to the report group (after monthly, as in
    `--help`)."""
    for name, command in (("quarterly", quarterly), ("meetings", meetings_report),
                          ("grades", grades)):
        group.command(name)(handle_errors(command))


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def quarterly(
    ctx: typer.Context,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="e.g. 2026Q4 (default: this quarter).")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Summarise by segment or grade instead.")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="Sort customers by a column (prefix - for descending).")
    ] = "-complaints",
    limit: LimitOpt = None,
    fmt: PaperFormatOpt = PaperFormat.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """The quarterly relationship evaluation (客戶關係評估) per customer, or by segment/grade.

    With --format html, a page to print: the summaries by segment and grade, then each
    customer.

    Example: crmcli report quarterly --quarter 2026Q4 --by segment
    """
    from crmcli.dates import FIRST_YEAR, LAST_YEAR, local_today
    from crmcli.errors import BadInput
    from crmcli.services import quarterly as evaluation

    app_state = state(ctx)
    session = app_state.session()
    if quarter is None:
        today = local_today(session.now)
        year, number = today.year, (today.month - 1) // 3 + 1
    else:
        match = _QUARTER.match(quarter.strip())
        if not match:
            raise BadInput(_("--quarter: cannot read {quarter!r} (use 2026Q4).").format(
                quarter=quarter))
        year, number = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadInput(_("--quarter: {quarter!r} is out of range (years "
                             "{first_year}-{last_year}).").format(
                quarter=quarter, first_year=FIRST_YEAR, last_year=LAST_YEAR))
    rows = evaluation.quarterly(session, year, number)
    if by is not None:
        if by not in ("segment", "grade"):
            raise BadInput(_("--by: {by!r} is not segment or grade.").format(by=by))
        if fmt is PaperFormat.html:
            raise BadInput(_("--format html prints both summaries and every customer; "
                             "leave out --by."))
        summary = evaluation.quarterly_summary(rows, by)
        columns = [Column(key, justify="left" if key == by else "right") for key in summary[0]
                   ] if summary else [Column(by)]
        render(app_state.env, summary, columns, Format(fmt), bom=bom, empty=_("No customers."))
        return
    key = sort.lstrip("-")
    if key not in evaluation.QUARTERLY_COLUMNS:
        raise BadInput(_("--sort: {key!r} is not a column ({values}).").format(
            key=key, values=', '.join(evaluation.QUARTERLY_COLUMNS)))
    rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0),
              reverse=sort.startswith("-"))
    if sort.startswith("-"):
        rows.sort(key=lambda r: r[key] is None)
    if fmt is PaperFormat.html:
        from crmcli import papers
        from crmcli.services.papers import site_name

        summaries = {group: evaluation.quarterly_summary(rows, group)
                     for group in ("segment", "grade")}
        app_state.env.stdout.write(papers.quarterly(
            site_name(session), f"{year}Q{number}", rows[:limit] if limit else rows, summaries,
            evaluation.QUARTERLY_COLUMNS, session.now))
        return
    columns = [Column(k, justify="right" if k not in ("customer", "segment", "grade") else "left")
               for k in evaluation.QUARTERLY_COLUMNS]
    if fmt is PaperFormat.xlsx:  # a sheet per section, as the printed evaluation has
        from crmcli.xlsx import write_workbook

        sections = [(f"By {group}", evaluation.quarterly_summary(rows, group))
                    for group in ("segment", "grade")]
        write_workbook(app_state.env, [
            ("Customers", columns, rows[:limit] if limit else rows),
            *((title, [Column(key) for key in summary[0]], summary)
              for title, summary in sections if summary)])
        return
    render(app_state.env, rows[:limit] if limit else rows, columns, Format(fmt), bom=bom,
           title=_("Relationship evaluation {quarter}").format(quarter=f"{year}Q{number}"),
           empty=_("No customers."))


def _label(text: str) -> str:
    """A row label of a figures table (``*_LABELS``) in the interface language; a label
    indented under the one above it stays indented."""
    indent = text[:len(text) - len(text.lstrip())]
    return indent + _(" ".join(text.split()))


MEETING_LABELS = {
    "meetings_held": "Tenant meetings held",
    "quarters_with_meeting": "Quarters with a meeting",
    "quarters_without_meeting": "Quarters past without one",
    "customers_active": "Current customers",
    "customers_met": "  met face to face at a meeting",
    "face_to_face_pct": "Face-to-face share %",
    "face_to_face_target_pct": "  target %",
    "suggestions": "Suggestions raised",
    "suggestions_replied": "Suggestions replied",
    "suggestion_reply_rate_pct": "Suggestion reply rate % (target 100)",
    "suggestions_replied_on_time_pct": "Replied within deadline %",
}


def meetings_report(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", min=1900, max=9998,
                                             help="The year (default: this year).")] = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """Tenant meetings of a year (租戶大會): held, face-to-face share, suggestions replied.

    Seed 000's targets: a meeting every quarter, 90 % of current customers met face to face
    in the year, a reply to every suggestion.

    Example: crmcli report meetings --year 2026 --format json
    """
    from crmcli.dates import local_today
    from crmcli.services import meetings

    app_state = state(ctx)
    session = app_state.session()
    figures = meetings.year_report(session, year or local_today(session.now).year)
    figures["quarters_without_meeting"] = "; ".join(figures["quarters_without_meeting"])
    if fmt in (Format.json, Format.jsonl):
        document = dict(figures)
        document["quarters_without_meeting"] = [q for q in document[
            "quarters_without_meeting"].split("; ") if q]
        app_state.env.out(json.dumps(document, ensure_ascii=False,
                                     indent=2 if fmt is Format.json else None))
        return
    if fmt is Format.table:
        rows = [{"metric": _label(label), "value": figure_text(figures[key])
                 if figures[key] != "" else _("none")} for key, label in MEETING_LABELS.items()]
        render(app_state.env, rows, [Column("metric"), Column("value", justify="right")], fmt,
               title=_("Tenant meetings {year}").format(year=figures["year"]))
        return
    render(app_state.env, [{"metric": k, "value": v} for k, v in figures.items()],
           [Column("metric"), Column("value")], fmt, bom=bom)


GRADE_LABELS = {
    "customers_a": "Customers graded A", "customers_b": "Customers graded B",
    "customers_c": "Customers graded C", "review_grades": "Grades reviewed this month",
    "reviews_due": "Reviews due", "reviews_done": "Reviews done",
    "grade_changes": "Grade changes", "attention_count": "Customers the rules point to",
    "arrears_c_threshold": "Arrears threshold for grade C",
}


def grades(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, 'last' or 'this' (default: this).")
    ] = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """The credit-grade report (顧客情報報告書 定期報告): customers by grade, reviews due and
    done, grade changes, and the customers the grading rules point to. csv/tsv/jsonl list those
    customers; json is the whole report.

    Example: crmcli report grades --month last
    """
    from crmcli.dates import parse_month
    from crmcli.services import reviews

    app_state = state(ctx)
    env = app_state.env
    session = app_state.session()
    year, number = parse_month(month or "this", session.now)
    report = reviews.grades_report(session, year, number)
    if fmt is Format.json:
        document = {key: json_value(value) for key, value in report.items()
                    if key not in ("changes", "attention")}
        document["changes"] = [{k: json_value(v) for k, v in r.items()}
                               for r in report["changes"]]
        document["attention"] = [{k: json_value(v) for k, v in r.items()}
                                 for r in report["attention"]]
        env.out(json_document(document))
        return
    figures = [{"metric": _label(label), "value": str(report[key])}
               for key, label in GRADE_LABELS.items()]
    if fmt is Format.xlsx:  # a sheet each: the figures, the changes, the customers pointed to
        from crmcli.xlsx import write_workbook

        write_workbook(env, [
            ("Credit grades", [Column("metric"), Column("value")], figures),
            ("Grade changes", reviews.REVIEW_COLUMNS, report["changes"]),
            ("Customers the rules point to", reviews.ATTENTION_COLUMNS, report["attention"])])
        return
    if fmt is not Format.table:
        render(env, report["attention"], reviews.ATTENTION_COLUMNS, fmt, bom=bom)
        return
    render(env, figures, [Column("metric"), Column("value", justify="right")], fmt,
           title=_("Credit grades {month} ({currency})").format(month=report["month"],
                                                                 currency=report["currency"]))
    for title, columns, rows in (
            (_("Grade changes"), reviews.REVIEW_COLUMNS, report["changes"]),
            (_("Customers the rules point to"), reviews.ATTENTION_COLUMNS,
             report["attention"])):
        if rows:
            env.out("")
            render(env, rows, columns, fmt, title=title)
