"""The printed papers (issue 19): the handling sheet, the register, the monthly analysis and the
quarterly evaluation as self-contained HTML, read back with html.parser."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from paper_html import Node, parse
from test_reports import REPORT_AT, _month

from crmcli.papers import css_text, figure, labels

EVIL = '<script>alert("x")</script>'


def _self_contained(page: str) -> None:
    """One file: no script, no link, no network, no external font or image."""
    tree = parse(page)
    assert not tree.iter("script") and not tree.iter("link") and not tree.iter("img")
    assert not tree.iter("iframe") and not tree.iter("object")
    without_svg_ns = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|url\(|@import|@font-face|src=", without_svg_ns)
    assert "@page" in page and "size: A4" in page and "counter(page)" in page
    assert 'name="viewport"' in page  # readable on a phone


def _number(text: str) -> Any:
    if text == "–":
        return None
    if re.fullmatch(r"-?[\d,]+(\.\d+)?", text):
        return float(text.replace(",", ""))
    return text


def _same(text: str, value: Any) -> bool:
    shown = _number(text)
    if isinstance(value, bool):
        return text == labels()["yes" if value else "no"]
    if not isinstance(value, int | float):
        return shown == value
    return shown == pytest.approx(value)


def test_the_monthly_analysis_shows_every_figure_of_the_json_report(cli: Cli) -> None:
    _month(cli)
    report = json.loads(cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                               now=REPORT_AT))
    page = cli.ok("report", "monthly", "--month", "2026-10", "-f", "html", now=REPORT_AT)
    _self_contained(page)
    tree = parse(page)
    (figures,) = tree.find("table", class_="figures")
    now = {td.attrs["data-key"]: td.text for td in figures.iter("td")
           if "data-key" in td.attrs and not td.has_class("previous")}
    before = {td.attrs["data-key"]: td.text for td in figures.iter("td")
              if td.has_class("previous")}
    shown = [key for key in report if key in now]
    assert len(shown) >= 25
    for key in shown:
        assert _same(now[key], report[key]), (key, now[key], report[key])
    for key, value in report["previous"].items():
        if key != "month":
            assert _same(before[key], value), (key, before[key], value)
    assert "2026-09" in figures.text  # the month it is compared with
    (by_category,) = tree.find("table", **{"data-by": "category"})
    rows = [[td.text for td in tr.iter("td")] for tr in by_category.iter("tr")[1:]]
    assert {row[0]: int(row[1]) for row in rows} == {
        r["category"]: r["opened"] for r in report["by_category"]}
    (missed,) = tree.find("table", class_="missed")
    assert len(missed.iter("tr")) - 1 == len(report["breached"])
    assert tree.find("span", id="missed-count")[0].text == f"({len(report['breached'])})"


def test_the_analysis_has_its_charts_in_sections_that_print_on_their_own_pages(cli: Cli
                                                                               ) -> None:
    _month(cli)
    page = cli.ok("report", "monthly", "--month", "2026-10", "-f", "html", now=REPORT_AT)
    tree = parse(page)
    sections = tree.find("section")
    assert len(sections) == 3 and all(s.has_class("page") for s in sections)
    assert "section.page + section.page { break-before: page; }" in page
    charts = {f.attrs["data-chart"]: f for f in tree.iter("figure")}
    assert list(charts) == ["weekly", "category", "on_time", "followup", "missed"]
    for figure_node in charts.values():
        (svg,) = figure_node.iter("svg")
        assert svg.iter("title")[0].text
    weekly = [t.text for t in charts["weekly"].iter("text") if t.attrs.get("class") == "value"]
    assert sum(map(int, weekly)) == 5  # the five opened in October
    followup = [t.text for t in charts["followup"].iter("text")
                if t.attrs.get("class") == "value"]
    assert followup == ["50 % (target 100 %)"]
    assert "《客戶投訴分析報告表》" in page


def test_the_analysis_macro_takes_many_sites(cli: Cli) -> None:
    """The head office's report gives the same macro one analysis per site."""
    _month(cli)
    from datetime import UTC, datetime

    from crmcli import papers
    from crmcli.db import connect
    from crmcli.services import Session, reports

    session = Session(connect(cli_db(cli)), datetime(2026, 11, 5, 2, tzinfo=UTC), "hq")
    report = reports.monthly(session, 2026, 10, screen=True)
    missed = reports.missed_by_timer(session, 2026, 10)
    assert missed == {"response": 2, "followup": 2, "report": 1, "resolve": 2}
    page = papers.analyses("HQ", "2026-10", [papers.analysis("A座", report, missed),
                                             papers.analysis("B座", report, missed)],
                           session.now)
    tree = parse(page)
    assert [s.attrs["data-site"] for s in tree.find("section", class_="page analysis")] == [
        "A座", "B座"]


def cli_db(cli: Cli) -> Path:
    import os

    return Path(os.environ["CRMCLI_DB"])


def test_the_handling_sheet_has_the_record_timers_history_followup_and_signatures(
        cli: Cli) -> None:
    _month(cli)
    detail = json.loads(cli.ok("complaint", "show", "5", "-f", "json", now=REPORT_AT))
    page = cli.ok("complaint", "show", "5", "-f", "html", now=REPORT_AT)
    _self_contained(page)
    tree = parse(page)
    assert "《客戶投訴處置表》" in page
    assert tree.find("td", id="customer")[0].text == "華信科技"
    assert tree.find("td", id="summary")[0].text == "機房網絡中斷"
    assert tree.find("td", id="severity")[0].text == "major 重大"
    timers = tree.find("table", class_="timers")[0].iter("tr")[1:]
    assert [(tr.attrs["data-timer"], tr.attrs["data-state"]) for tr in timers] == [
        (t["timer"], t["state"]) for t in detail["timers"]]
    history = tree.find("table", class_="history")[0].iter("tr")[1:]
    assert len(history) == len(detail["events"])
    assert tree.find("div", id="resolution")[0].text == "更換交換機"
    followup = tree.find("table", class_="followups")[0].iter("tr")[1]
    cells = [td.text for td in followup.iter("td")]
    assert cells[0] == "2026-10-11 10:00" and cells[1] == "in person" and cells[5] == "3"
    boxes = tree.find("div", class_="signature")
    assert [b.attrs["data-box"] for b in boxes] == ["sign_handler", "sign_verifier", "sign_head"]
    assert ["處理人" in boxes[0].text, "驗證人" in boxes[1].text,
            "部門負責人意見" in boxes[2].text] == [True, True, True]


def test_a_confidential_complainant_is_masked_on_the_sheet(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--phone", "13800138000", "--confidential",
           "--since", "2025-01-01")
    cli.ok("complaint", "open", "王小明", "漏水")
    page = cli.ok("complaint", "show", "1", "-f", "html")
    assert "13800138000" not in page and "138****00" in page


def test_what_users_typed_is_text_on_every_paper(cli: Cli, tmp_path: Path) -> None:
    cli.ok("customer", "add", EVIL, "--since", "2025-01-01", "--segment", "<b>seg</b>")
    cli.ok("complaint", "open", "1", "<img src=x onerror=alert(1)>", "--category", "<i>漏水</i>",
           "--at", "2026-11-10 09:00")
    cli.ok("complaint", "close", "1", "--resolution", "</div><script>x</script>")
    pages = [cli.ok("complaint", "show", "1", "-f", "html"),
             cli.ok("complaint", "list", "--month", "2026-11", "-f", "html"),
             cli.ok("report", "monthly", "--month", "2026-11", "-f", "html"),
             cli.ok("report", "quarterly", "--quarter", "2026Q4", "-f", "html")]
    for page in pages:
        tree = parse(page)
        assert not tree.iter("script") and not tree.iter("img") and not tree.iter("b")
        assert not tree.iter("i")
    assert EVIL in parse(pages[0]).find("td", id="customer")[0].text
    assert "&lt;script&gt;" in pages[1]


def test_the_print_header_cannot_be_broken_out_of() -> None:
    text = str(css_text('a" } </style><script>'))
    assert '"' not in text and "<" not in text and "}" not in text
    assert text.startswith("a\\000022")


def test_the_register_lists_the_month_as_the_json_list_does(cli: Cli) -> None:
    _month(cli)
    listed = json.loads(cli.ok("complaint", "list", "--month", "2026-10", "-f", "json",
                               now=REPORT_AT))
    page = cli.ok("complaint", "list", "--month", "2026-10", "-f", "html", now=REPORT_AT)
    _self_contained(page)
    tree = parse(page)
    rows = tree.find("table", class_="register")[0].iter("tr")[1:]
    assert [int(tr.attrs["data-id"]) for tr in rows] == [c["id"] for c in listed]
    assert tree.find("span", id="count")[0].text == str(len(listed))
    assert "2026-10" in tree.find("p", class_="meta")[0].text
    assert "size: A4 landscape" in page
    assert "《客戶投訴記錄表》" in page


def test_an_empty_register_says_so(cli: Cli) -> None:
    page = cli.ok("complaint", "list", "--month", "2026-10", "-f", "html")
    assert labels()["no_complaints"] in parse(page).text


def test_the_quarterly_evaluation_lists_every_customer(cli: Cli) -> None:
    _month(cli)
    rows = json.loads(cli.ok("report", "quarterly", "--quarter", "2026Q4", "-f", "json",
                             now=REPORT_AT))
    page = cli.ok("report", "quarterly", "--quarter", "2026Q4", "-f", "html", now=REPORT_AT)
    _self_contained(page)
    tree = parse(page)
    listed = tree.find("table", class_="customers")[0].iter("tr")[1:]
    assert [int(tr.attrs["data-id"]) for tr in listed] == [r["customer_id"] for r in rows]
    for tr, row in zip(listed, rows, strict=True):
        for td in tr.iter("td"):
            assert _same(td.text, row[td.attrs["data-key"]]), (td.attrs, row)
    assert [t.attrs["data-by"] for t in tree.find("table", class_="summary")] == [
        "segment", "grade"]


def test_the_site_name_heads_every_paper(cli: Cli) -> None:
    page = cli.ok("complaint", "list", "-f", "html")
    tree: Node = parse(page)
    assert tree.find("span", class_="site")[0].text == "crm"  # the database file's stem
    assert "crm" in tree.iter("title")[0].text


def test_html_to_a_file_is_private(cli: Cli, tmp_path: Path) -> None:
    _month(cli)
    target = tmp_path / "2026-10.html"
    code, out, _ = cli("report", "monthly", "--month", "2026-10", "-f", "html", "-o",
                       str(target), now=REPORT_AT)
    assert code == 0 and out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_html_with_by_is_refused(cli: Cli) -> None:
    code, _, err = cli("report", "monthly", "--by", "owner", "-f", "html")
    assert code == 2 and "--by" in err


@pytest.mark.parametrize(("value", "text"), [(None, "–"), (0, "0"), (1234, "1,234"),
                                             (66.7, "66.7"), (4.54, "4.54"), (96.0, "96"),
                                             (100.0, "100")])
def test_figures_print_as_the_report_rounded_them(value: Any, text: str) -> None:
    assert figure(value) == text


def test_a_month_with_many_misses_lists_forty_and_counts_them_all(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01")
    for number in range(41):
        cli.ok("complaint", "open", "王小明", f"漏水 {number}", "--at", "2026-10-01 09:00",
               now="2026-10-01T09:00:00+08:00")
    page = cli.ok("report", "monthly", "--month", "2026-10", "-f", "html",
                  now="2026-10-05T09:00:00+08:00")
    tree = parse(page)
    assert len(tree.find("table", class_="missed")[0].iter("tr")) - 1 == 40
    assert tree.find("span", id="missed-count")[0].text == "(41)"
    assert "… 1 more" in page
    (chart,) = [f for f in tree.iter("figure") if f.attrs["data-chart"] == "missed"]
    assert [t.text for t in chart.iter("text")] == ["feedback", "41"]


def test_the_head_office_paper_puts_the_sites_side_by_side_then_each_analysis(
        cli: Cli, tmp_path: Path, set_tz: Any) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    a, b = sites / "a.db", sites / "b.db"
    cli.ok("--db", str(a), "init", "--site-name", "A座")
    set_tz("America/New_York")
    cli.ok("--db", str(b), "init", "--site-name", "<b>B座</b>")
    set_tz("Asia/Shanghai")
    for site in (a, b):
        cli.ok("--db", str(site), "customer", "add", "王小明", "--since", "2025-01-01")
        cli.ok("--db", str(site), "complaint", "open", "王小明", "漏水", "--at",
               "2026-10-01 09:40", now="2026-10-01T22:00:00+08:00")
    rows = json.loads(cli.ok("hq", "report", "--sites", str(sites), "--month", "2026-10",
                             "-f", "json", now=REPORT_AT))
    page = cli.ok("hq", "report", "--sites", str(sites), "--month", "2026-10", "-f", "html",
                  now=REPORT_AT)
    _self_contained(page)
    tree = parse(page)
    table = tree.find("table", class_="sites")[0]
    shown = table.iter("tr")[1:]
    assert [tr.attrs["data-scope"] for tr in shown] == ["site", "site", "company"]
    for tr, row in zip(shown, rows, strict=True):
        for td in tr.iter("td")[1:]:
            assert _same(td.text, row[td.attrs["data-key"]]), (td.attrs, row)
    assert [s.attrs["data-site"] for s in tree.find("section", class_="page analysis")] == [
        "A座", "<b>B座</b>"]
    assert not tree.iter("b")
    missed = [[td.text for td in t.iter("td")] for t in tree.find("table", class_="missed")]
    assert missed[0][3] == "2026-10-02 09:40"  # A座's feedback deadline, Shanghai time
    assert missed[1][3] == "2026-10-02 09:40"  # B座's, at 09:40 in New York


def test_every_figure_of_the_analysis_has_words() -> None:
    from crmcli.papers.labels import FIGURE_LABELS
    from crmcli.services.reports import FIGURES

    assert set(FIGURES) - {"month", "complete"} <= set(FIGURE_LABELS)


@pytest.mark.parametrize(("now", "before", "text"), [
    (4.52, 4.5, "+0.02"), (79.2, 96.2, "-17"), (5, 5, "="), (24, 26, "-2"), (None, 3, ""),
    (85.0, 89.5, "-4.5")])
def test_changes_print_to_the_figures_precision(now: Any, before: Any, text: str) -> None:
    from crmcli.papers import change

    assert change(now, before) == text
