"""``crmcli report …``: the monthly complaint analysis and the quarterly evaluation."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Annotated, Any

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
from crmcli.env import Env
from crmcli.i18n import _, gap, ngettext
from crmcli.render import Column, Format, PaperFormat, json_value, render, table_value

app = typer.Typer(help="Reports: monthly complaint analysis, quarterly evaluation, meetings, "
                  "credit grades.",
                  no_args_is_help=True)


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    xlsx = "xlsx"
    html = "html"


ReportFormatOpt = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="table, csv, tsv, json, jsonl, markdown (for a mail), "
                 "xlsx (with --output) or html (a page to print on A4)."),
]

COMPARED = ("complaints_opened", "complaints_closed", "complaints_escalated",
            "response_on_time_pct", "resolved_on_time_pct", "followup_rate_pct",
            "avg_satisfaction")


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value != int(value) or "." in str(value) else f"{value:g}"
    return str(value)


def _change(now: Any, before: Any) -> str:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return ""
    delta = now - before
    if delta == 0:
        return "="
    return f"{delta:+.1f}" if isinstance(delta, float) else f"{delta:+d}"


def _bar(count: int, top: int, width: int = 24) -> str:
    return "█" * max(1 if count else 0, round(width * count / top)) if top else ""


def _indented(key: str, label: str) -> str:
    """The parts of the month's opened complaints stand under it in the table."""
    return f"  {label}" if key in _PARTS_OF_OPENED else label


_PARTS_OF_OPENED = ("complaints_major", "complaints_minor", "complaints_repeat",
                    "complaints_valid", "complaints_unreasonable")


def _sections(report: Any) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    from crmcli.services.reports import FIGURE_LABELS

    figures, previous = report.figures, report.previous
    metrics = [{"metric": _indented(key, _(label)), "value": _number(figures[key]),
                "previous": _number(previous.get(key)) if key in COMPARED else "",
                "change": _change(figures[key], previous.get(key)) if key in COMPARED else ""}
               for key, label in FIGURE_LABELS.items()]
    top_week = max((w["opened"] for w in report.weekly), default=0)
    weekly = [{"week from": w["week"], "opened": w["opened"], "": _bar(w["opened"], top_week)}
              for w in report.weekly]
    categories = report.breakdowns["category"]
    top_category = max((r["opened"] for r in categories), default=0)
    by_category = [{**r, "": _bar(r["opened"], top_category)} for r in categories]
    misses = [{"complaint": f"#{r['complaint_id']}", "customer": r["customer"],
               "missed": r["timer"], "was due": table_value(r["due"]),
               "outcome": r["outcome"], "met at": table_value(r["met_at"])}
              for r in report.breached]
    sections = [
        (_("Figures"), [Column("metric"), Column("value", justify="right"),
                     Column("previous", justify="right"), Column("change", justify="right")],
         metrics),
        (_("Complaints opened per week"), [Column("week from"), Column("opened", justify="right"),
                                        Column("")], weekly),
        (_("By category"), [Column("category"), Column("opened", justify="right"),
                         Column("major", justify="right"), Column("closed", justify="right"),
                         Column("breached", justify="right"), Column("")], by_category),
        (_("By channel"), [Column("channel"), Column("opened", justify="right")],
         report.breakdowns["channel"]),
        (_("By owner"), [Column("owner"), Column("opened", justify="right"),
                      Column("closed", justify="right"), Column("breached", justify="right")],
         report.breakdowns["owner"]),
        (_("Customers with the most complaints"),
         [Column("customer"), Column("opened", justify="right"), Column("repeat", justify="right")],
         [r for r in report.breakdowns["customer"] if r["opened"] > 1][:10]),
        (_missed_title(report), [Column("complaint"), Column("customer"), Column("missed"),
                              Column("was due"), Column("outcome"), Column("met at")], misses),
    ]
    return sections


def _missed_title(report: Any) -> str:
    if report.missed > len(report.breached):
        return _("Deadlines missed ({shown} of {count:,})").format(
            shown=len(report.breached), count=report.missed)
    return _("Deadlines missed")


def _callouts(report: Any) -> list[str]:
    figures = report.figures
    lines = []
    if report.missed > len(report.breached):
        lines.append(_("{count:,} deadlines missed this month; listed below, the {shown} "
                       "latest (those still owed first); --format json lists every "
                       "one.").format(count=report.missed, shown=len(report.breached)))
    elif report.breached:
        lines.append(ngettext("{count} deadline missed this month (listed below).",
                              "{count} deadlines missed this month (listed below).",
                              len(report.breached)).format(count=len(report.breached)))
    rate = figures["followup_rate_pct"]
    if rate is not None and rate < 100:
        lines.append(_("Follow-up rate {rate:.1f}% is below the 100% target ({count} not "
                       "done).").format(
            rate=rate, count=figures["followups_due"] - figures["followups_done"]))
    if figures["late_entries"]:
        lines.append(_("{count} entries were made after the month ended; they are "
                       "counted.").format(count=figures["late_entries"]))
    if figures["archived_complaints"]:
        lines.append(_("This month is archived: {count} complaint(s) of it were moved to {to} "
                       "and are not counted here.").format(
            count=figures["archived_complaints"], to=figures["archived_to"]))
    return lines


def _heading(report: Any) -> str:
    figures = report.figures
    status = "" if figures["complete"] else gap() + _("(month in progress)")
    return _("Complaint analysis {month}").format(month=figures["month"]) + status


def _print_text(env: Env, report: Any, fmt: ReportFormat) -> None:
    from tabulate import tabulate

    figures = report.figures
    markdown = fmt is ReportFormat.markdown
    env.out(("# " if markdown else "") + _heading(report))
    if not figures["complaints_opened"] and not figures["followups_due"]:
        env.out("")
        env.out(_("No complaints and no follow-ups recorded this month; every figure is "
                  "zero."))
    for line in _callouts(report):
        env.out(("- " if markdown else "! ") + line)
    for title, columns, rows in _sections(report):
        if not rows:
            continue
        env.out("")
        env.out(("## " if markdown else "") + title)
        if markdown:
            env.out("")
        body = [[table_value(row.get(c.key)) for c in columns] for row in rows]
        env.out(tabulate(body, headers=[c.title for c in columns],
                         tablefmt="github" if markdown else "simple", disable_numparse=True,
                         colalign=[c.justify for c in columns]))


def _print_rich(env: Env, report: Any) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from crmcli.render import console

    out = console(env)
    figures = report.figures
    out.print(Text(_heading(report), style="bold"))
    if not figures["complaints_opened"] and not figures["followups_due"]:
        out.print(_("No complaints and no follow-ups recorded this month; every figure is "
                    "zero."))
    callouts = _callouts(report)
    if callouts:
        out.print(Panel("\n".join(callouts), style="bold red", expand=False))
    for title, columns, rows in _sections(report):
        if not rows:
            continue
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column.title, justify=column.justify)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*(table_value(row.get(c.key)) for c in columns),
                          style="red" if title.startswith("Deadlines missed") else None)
        out.print(table)


@app.command("monthly")
@handle_errors
def monthly(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, 'last' or 'this' (default: this).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="One breakdown as a table: category, severity, channel, owner "
                     "or customer."),
    ] = None,
    fmt: ReportFormatOpt = ReportFormat.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """The monthly complaint and follow-up analysis (投訴分析報告) for a calendar month.

    With --format html, the analysis to print (客戶投訴分析報告表): the figures beside the
    previous month, charts and the missed deadlines.

    Example: crmcli report monthly --month last --format csv > 2026-10.csv
    """
    from crmcli.dates import parse_month
    from crmcli.errors import BadInput
    from crmcli.services import reports

    app_state = state(ctx)
    env = app_state.env
    session = app_state.session()
    if by is not None and by not in reports.BREAKDOWNS:
        raise BadInput(_("--by: {by!r} is not one of {values}.").format(
            by=by, values=', '.join(reports.BREAKDOWNS)))
    year, number = parse_month(month or "this", session.now)
    tabular = fmt in (ReportFormat.csv, ReportFormat.tsv)  # the figures alone, or one --by
    report = reports.monthly(
        session, year, number, detail=by is not None or not tabular,
        compare=by is None and not tabular,
        screen=by is None and fmt in (ReportFormat.table, ReportFormat.markdown,
                                      ReportFormat.html))
    if fmt is ReportFormat.html and by is None:
        from crmcli import papers
        from crmcli.services.papers import site_name

        env.stdout.write(papers.monthly(site_name(session), report,
                                        reports.missed_by_timer(session, year, number),
                                        session.now))
        return
    if by is not None:
        if fmt is ReportFormat.html:
            raise BadInput(_("--format html prints the whole analysis; leave out --by."))
        rows = report.breakdowns[by]
        columns = [Column(by), *(Column(k, justify="right") for k in
                                 ("opened", "major", "escalated", "closed", "breached",
                                  "repeat"))]
        if fmt is ReportFormat.markdown:
            from tabulate import tabulate

            env.out(tabulate([[r[c.key] for c in columns] for r in rows],
                             headers=[c.key for c in columns], tablefmt="github"))
            return
        render(env, rows, columns, Format(fmt.value), bom=bom,
               empty=_("No complaints opened in {month}.").format(month=report.figures["month"]))
        return
    if fmt in (ReportFormat.json, ReportFormat.jsonl):
        document = {key: report.figures[key] for key in reports.SPEC_FIELDS}
        document.update({k: v for k, v in report.figures.items() if k not in document})
        document["by_category"] = report.breakdowns["category"]
        document["by_severity"] = report.breakdowns["severity"]
        document["by_channel"] = report.breakdowns["channel"]
        document["by_owner"] = report.breakdowns["owner"]
        document["by_customer"] = report.breakdowns["customer"]
        document["weekly"] = report.weekly
        document["breached"] = [{k: json_value(v) for k, v in r.items()}
                                for r in report.breached]
        document["previous"] = {key: report.previous.get(key) for key in reports.SPEC_FIELDS}
        env.out(_document(document) if fmt is ReportFormat.json
                else json.dumps(document, ensure_ascii=False))
    elif fmt is ReportFormat.xlsx:
        from crmcli.xlsx import write_workbook

        write_workbook(env, _workbook_sheets(report))
    elif fmt in (ReportFormat.csv, ReportFormat.tsv):
        rows = [{"metric": key, "value": value} for key, value in report.figures.items()]
        render(env, rows, [Column("metric"), Column("value")], Format(fmt.value), bom=bom)
    elif fmt is ReportFormat.table and env.rich:
        _print_rich(env, report)
    else:
        _print_text(env, report, fmt)


def _workbook_sheets(report: Any) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    """The monthly report as a workbook: one sheet per section, values typed (numbers as
    numbers, times as times), the figures under their json keys beside the previous month."""
    from crmcli.services import reports

    names = reports.FIGURE_LABELS
    figures = [{"metric": key, "label": _(names[key]) if key in names else "", "value": value,
                "previous": report.previous.get(key) if key in reports.SPEC_FIELDS else None}
               for key, value in report.figures.items()]
    counts = [Column(k) for k in ("opened", "major", "escalated", "closed", "breached",
                                  "repeat")]
    missed = [{**row, "due": _moment(row["due"]), "met_at": _moment(row["met_at"])}
              for row in report.breached]
    return [
        ("Figures", [Column("metric"), Column("label"), Column("value"), Column("previous")],
         figures),
        ("Opened per week", [Column("week"), Column("opened")], report.weekly),
        *((f"By {by}", [Column(by), *counts], report.breakdowns[by])
          for by in reports.BREAKDOWNS),
        ("Deadlines missed", [Column(k) for k in ("complaint_id", "customer", "timer", "due",
                                                  "met_at", "outcome", "severity", "status")],
         missed),
    ]


def _moment(value: Any) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _document(document: dict[str, Any]) -> str:
    """The report as indented json, each element of a list on one line (as lists print): a
    month of a large site has tens of thousands of them."""
    def dumps(value: Any, indent: int | None = None) -> str:
        return json.dumps(value, ensure_ascii=False, indent=indent)

    fields = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            text = "[\n    " + ",\n    ".join(dumps(item) for item in value) + "\n  ]"
        else:
            text = dumps(value, 2).replace("\n", "\n  ")
        fields.append(f"  {dumps(key)}: {text}")
    return "{\n" + ",\n".join(fields) + "\n}"


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


@app.command("quarterly")
@handle_errors
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


@app.command("meetings")
@handle_errors
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
        rows = [{"metric": _label(label), "value": _number(figures[key])
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


@app.command("grades")
@handle_errors
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
        env.out(_document(document))
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
