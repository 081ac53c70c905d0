"""``crmcli report …``: the monthly complaint analysis and the quarterly evaluation."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    BomOpt,
    OutputOpt,
    handle_errors,
    state,
)
from crmcli.env import Env
from crmcli.i18n import _, gap, ngettext
from crmcli.render import Column, Format, json_value, render, table_value

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


def figure_text(value: Any) -> str:
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
    metrics = [{"metric": _indented(key, _(label)), "value": figure_text(figures[key]),
                "previous": figure_text(previous.get(key)) if key in COMPARED else "",
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
        env.out(json_document(document) if fmt is ReportFormat.json
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


def json_document(document: dict[str, Any]) -> str:
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


def _register_more() -> None:
    from crmcli.commands import report_periodic

    report_periodic.register(app)


_register_more()
