"""The printed papers: one self-contained HTML file each (inline CSS and SVG, no script).

Templates are files in ``templates/`` (Jinja2, autoescaping on: what users typed is text);
charts come from ``papers.charts``. The handling sheet, the register, the monthly analysis
and the quarterly evaluation are built here from what the services return; the commands
write the page out.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from markupsafe import Markup

from crmcli.papers import charts
from crmcli.papers.labels import column_labels, figure_labels, labels, value_labels

MISSED_LISTED = 40  # on paper: the missed deadlines listed (the rest counted)
TIMERS = ("response", "report", "resolve", "followup")


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(loader=PackageLoader("crmcli.papers", "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(when=when, figure=figure, change=change, css_text=css_text)
    return environment


def render_page(template: str, **context: Any) -> str:
    return str(_environment().get_template(template).render(
        L=labels(), F=figure_labels(), V=value_labels(), C=column_labels(), **context))


def when(value: Any) -> str:
    """A time as the paper prints it, in the site's zone: ``2026-11-20 09:40``."""
    from crmcli.dates import short_local

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return short_local(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def figure(value: Any) -> str:
    """A figure as printed: ``–`` for none, thousands separated, no trailing zeros."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # as the report rounded it (percentages 1 place, ratings 2)
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def change(now: Any, before: Any) -> str:
    if isinstance(now, bool) or not isinstance(now, int | float) or \
            not isinstance(before, int | float):
        return ""
    delta = now - before
    if delta == 0:
        return "="
    if isinstance(delta, float):  # to the figures' own precision, no trailing zeros
        return f"{delta:+,.2f}".rstrip("0").rstrip(".")
    return f"{delta:+,d}"


def css_text(value: str) -> Markup:
    """Text inside a CSS string (the print header): every character that is not a letter
    or digit as a CSS escape, so nothing typed can end the string or the style element."""
    return Markup("".join(ch if ch.isalnum() and ch.isascii() else f"\\{ord(ch):06x}"
                          for ch in value))


def handling_sheet(site: str, sheet: dict[str, Any], printed: datetime) -> str:
    complaint = sheet["complaint"]
    return render_page("sheet.html", site=site, printed=printed,
                       period=f"#{complaint['id']}", **sheet)


def register(site: str, period: str, rows: list[dict[str, Any]], printed: datetime) -> str:
    return render_page("register.html", site=site, period=period, rows=rows, printed=printed,
                       orientation="landscape")


def analysis(site: str, report: Any, missed: dict[str, int]) -> Markup:
    """One site's monthly analysis (the ``analysis`` macro of templates/_analysis.html),
    rendered now: its times are shown in the zone in force, so a head office renders each
    site's while that site's zone is set. ``report`` from services.reports.monthly, ``missed``
    from services.reports.missed_by_timer."""
    L = labels()
    figures = report.figures
    categories = report.breakdowns.get("category", [])
    values = value_labels()
    chart_set = {
        "weekly": charts.columns(L["chart_weekly"], [
            charts.Bar(str(week["week"])[5:], week["opened"]) for week in report.weekly]),
        "category": charts.bars(L["chart_category"], [
            charts.Bar(str(row["category"] or "–"), row["opened"], row["breached"])
            for row in categories], part_words=L["breached_share"]),
        "on_time": charts.gauges(L["chart_on_time"], [
            charts.Gauge(L["feedback_on_time"], figures["response_on_time_pct"], 100),
            charts.Gauge(L["resolved_on_time"], figures["resolved_on_time_pct"], 100)],
            target_word=L["target"], no_data=L["no_data"]),
        "followup": charts.gauges(L["chart_followup"], [
            charts.Gauge(L["followup_rate"], figures["followup_rate_pct"],
                         figures.get("followup_target_pct") or 100)],
            target_word=L["target"], no_data=L["no_data"]),
        "missed": charts.bars(L["chart_missed"], [
            charts.Bar(values.get(timer, timer), missed[timer]) for timer in TIMERS
            if missed.get(timer)], part_words=""),
    }
    site_analysis = {
        "site": site, "figures": figures, "previous": report.previous,
        "breakdowns": report.breakdowns, "weekly": report.weekly,
        "breached": report.breached[:MISSED_LISTED], "missed": report.missed,
        "missed_by_timer": missed, "charts": {key: Markup(svg) for key, svg in chart_set.items()}}
    return Markup(render_page("analysis.html", a=site_analysis))


def monthly(site: str, report: Any, missed: dict[str, int], printed: datetime) -> str:
    return analyses(site, report.figures["month"], [analysis(site, report, missed)], printed)


def analyses(heading: str, period: str, sections: list[Markup], printed: datetime) -> str:
    """One page holding several sites' analyses (each from ``analysis``), one after another,
    each starting on a new sheet of paper."""
    return render_page("monthly.html", site=heading, period=period, printed=printed,
                       sections=sections)


HQ_FIGURES = ("complaints_opened", "complaints_closed", "complaints_escalated",
              "complaints_major", "response_on_time_pct", "resolved_on_time_pct",
              "median_resolution_hours", "followups_due", "followup_rate_pct",
              "avg_satisfaction", "cadence_kept_pct")


def head_office(period: str, rows: list[dict[str, Any]], sections: list[Markup],
                printed: datetime) -> str:
    """The head office's monthly paper: the sites side by side with the company's total
    (``rows`` from services.hq.report), then each site's own analysis."""
    return render_page("hq.html", site=labels()["company_total"], period=period,
                       printed=printed, rows=rows,
                       keys=HQ_FIGURES, sections=sections, orientation="landscape")


def quarterly(site: str, period: str, rows: list[dict[str, Any]],
              summaries: dict[str, list[dict[str, Any]]], columns: tuple[str, ...],
              printed: datetime) -> str:
    return render_page("quarterly.html", site=site, period=period, rows=rows,
                       summaries=summaries, columns=columns, printed=printed,
                       orientation="landscape")
