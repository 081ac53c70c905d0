"""The monthly analysis checked against figures worked out by hand from a month of events.

Zone Asia/Shanghai. October 2026, as recorded by the team (each command typed at the time,
except complaint #3's feedback, typed on 2 November):

#1 王小明 漏水 minor, opened 30 Sep 23:30 (September), closed 3 Oct 11:30 (60 h) without a
   feedback entry: closing counts as feedback, late (due 1 Oct 23:30). Follow-up due 4 Oct 11:30,
   never done.
#2 王小明 漏水 minor, opened 1 Oct 00:30 (October) while #1 was unresolved (a repeat),
   feedback 1 Oct 09:00, closed 2 Oct 00:30 (24 h), followed up 2 Oct 10:00 by phone,
   satisfaction 5.
#3 李美玲 噪音 minor, opened 5 Oct 10:00, feedback 6 Oct 11:00 (due 10:00: late), closed 8 Oct
   10:00 (72 h); follow-up due 9 Oct 10:00, never done.
#4 華信科技 網絡 major, opened 10 Oct 09:00, escalated 09:05 (report due 09:10: on time), closed
   15:00 (6 h; due 21:00), followed up in person 11 Oct 10:00, satisfaction 3.
#5 李美玲 噪音 minor, opened 6 Oct 10:00 while #3 was unresolved (a repeat), feedback 12:00, never
   closed: major at 16 Oct 10:00, report due 10:10 missed, escalated automatically 16 Oct 22:00.
#6 王小明 漏水 minor, opened 31 Oct 23:30 (October); its feedback is due 1 Nov 23:30.

Hand counts for October:
opened #2 #3 #4 #5 #6 = 5; closed #1 #2 #3 #4 = 4; escalated #4 #5 = 2; of those opened, major
#4 #5 = 2, minor #2 #3 #6 = 3; repeats #2 #5 = 2. Feedback deadlines that fell due in October
(each complaint counted once, in the month its deadline fell due): #1 (due 1 Oct 23:30, late),
#2 met, #3 late, #5 met; #6 falls due in November, #4 has none → 2 of 4 = 50.0 %. (Counted by
opening month, #1 would enter no month at all: opened in September, decided in October.)
Resolved within deadline:
4 of 4 = 100.0 %. Resolution hours 6, 24, 60, 72 → median 42.0, 90th percentile (nearest rank) 72.0.
Follow-ups due in October: #1, #2, #3, #4 = 4, done #2 #4 = 2 → 50.0 %. Satisfaction (5 + 3) / 2 =
4.0. Deadlines missed in October: #1 response, #1 followup, #3 response, #3 followup, #5 resolve
(the 10-day window), #5 report, #5 resolve (12 h) = 7. Entered after October ended: 1.
September: opened #1 only.
"""

from __future__ import annotations

import csv
import io
import json

from conftest import Cli

REPORT_AT = "2026-11-05T10:00:00+08:00"


def _month(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", now="2026-09-01T09:00:00+08:00")
    cli.ok("customer", "add", "李美玲", "--since", "2025-01-01")
    cli.ok("customer", "add", "華信科技", "--segment", "enterprise", "--since", "2025-01-01")

    def at(moment: str, *args: str) -> None:
        cli.ok(*args, "--at", moment, now=moment.replace(" ", "T") + ":00+08:00")

    at("2026-09-30 23:30", "complaint", "open", "王小明", "樓上漏水", "--category", "漏水")
    at("2026-10-01 00:30", "complaint", "open", "王小明", "洗手間漏水", "--category", "漏水")
    at("2026-10-01 09:00", "complaint", "respond", "2")
    at("2026-10-02 00:30", "complaint", "close", "2", "--resolution", "更換水管")
    at("2026-10-02 10:00", "visit", "log", "王小明", "--method", "phone", "--complaint", "2",
       "--satisfaction", "5")
    at("2026-10-03 11:30", "complaint", "close", "1", "--resolution", "已修補")
    at("2026-10-05 10:00", "complaint", "open", "李美玲", "夜間噪音", "--category", "噪音",
       "--channel", "wechat")
    at("2026-10-06 10:00", "complaint", "open", "李美玲", "噪音仍未改善", "--category", "噪音")
    at("2026-10-06 12:00", "complaint", "respond", "4")
    at("2026-10-08 10:00", "complaint", "close", "3", "--resolution", "已與鄰居溝通")
    at("2026-10-10 09:00", "complaint", "open", "華信科技", "機房網絡中斷", "--category",
       "網絡", "--severity", "major")
    at("2026-10-10 09:05", "complaint", "escalate", "5", "--reason", "重大投訴")
    at("2026-10-10 15:00", "complaint", "close", "5", "--resolution", "更換交換機")
    at("2026-10-11 10:00", "visit", "log", "華信科技", "--method", "in-person", "--complaint",
       "5", "--satisfaction", "3")
    at("2026-10-31 23:30", "complaint", "open", "王小明", "又漏水", "--category", "漏水")
    cli.ok("complaint", "respond", "3", "--at", "2026-10-06 11:00",
           now="2026-11-02T09:00:00+08:00")


def test_october_figures_match_the_hand_counts(cli: Cli) -> None:
    _month(cli)
    figures = json.loads(cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                                now=REPORT_AT))
    expected = {
        "month": "2026-10", "complaints_opened": 5, "complaints_closed": 4,
        "complaints_escalated": 2, "complaints_major": 2, "complaints_minor": 3,
        "complaints_repeat": 2, "response_on_time_pct": 50.0, "resolved_on_time_pct": 100.0,
        "median_resolution_hours": 42.0, "p90_resolution_hours": 72.0, "followups_due": 4,
        "followups_done": 2, "followup_rate_pct": 50.0, "avg_satisfaction": 4.0,
        "late_entries": 1, "complaints_open_at_end": 2,  # #5 and #6
    }
    assert {key: figures[key] for key in expected} == expected
    missed = sorted((row["complaint_id"], row["timer"]) for row in figures["breached"])
    assert missed == [(1, "followup"), (1, "response"), (3, "followup"), (3, "response"),
                      (4, "report"), (4, "resolve"), (4, "resolve")]
    assert figures["previous"]["complaints_opened"] == 1
    by_category = {row["category"]: row["opened"] for row in figures["by_category"]}
    assert by_category == {"漏水": 2, "噪音": 2, "網絡": 1}


def test_the_same_month_rerun_later_gives_the_same_figures(cli: Cli) -> None:
    _month(cli)
    first = cli.ok("report", "monthly", "--month", "2026-10", "-f", "json", now=REPORT_AT)
    cli.ok("complaint", "sweep", now="2026-12-20T08:00:00+08:00")
    later = cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                   now="2026-12-20T08:00:00+08:00")
    assert json.loads(first) == json.loads(later)


def test_a_complaint_left_alone_all_month_is_still_open_at_its_end(cli: Cli) -> None:
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", now="2026-08-01T09:00:00+08:00")
    cli.ok("complaint", "open", "王小明", "門禁失靈", "--at", "2026-08-20 09:00",
           now="2026-08-20T09:00:00+08:00")
    cli.ok("complaint", "close", "1", "--resolution", "已更換", now="2026-11-03T10:00:00+08:00")
    figures = json.loads(cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                                now=REPORT_AT))
    assert figures["complaints_open_at_end"] == 1  # no entry in October, closed in November
    assert figures["complaints_opened"] == 0 and figures["complaints_closed"] == 0
    assert json.loads(cli.ok("report", "monthly", "--month", "2026-11", "-f", "json",
                             now=REPORT_AT))["complaints_open_at_end"] == 0


def test_a_policy_change_moves_the_deadlines_still_to_start(cli: Cli) -> None:
    """Minor, opened 1 Oct 09:00, left alone: major at 11 Oct 09:00 (10 days). The resolution
    window of 12 h became 48 h on 5 Oct, before the complaint became major, so its major
    deadline is 13 Oct 09:00, not 11 Oct 21:00; the 10-day window started under the old
    policy and keeps it."""
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", now="2026-09-01T09:00:00+08:00")
    cli.ok("complaint", "open", "王小明", "電梯異響", "--at", "2026-10-01 09:00",
           now="2026-10-01T09:00:00+08:00")
    cli.ok("policy", "set", "resolve_hours", "48", now="2026-10-05T09:00:00+08:00")
    figures = json.loads(cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                                now=REPORT_AT))
    missed = [(row["timer"], row["due"], row["outcome"]) for row in figures["breached"]]
    assert missed == [
        ("response", "2026-10-02T09:00:00+08:00", "still owed"),
        ("resolve", "2026-10-11T09:00:00+08:00", "became major"),
        ("report", "2026-10-11T09:10:00+08:00", "still owed"),
        ("resolve", "2026-10-13T09:00:00+08:00", "still owed"),
    ]
    assert figures["escalations"] == 1 and figures["complaints_open_at_end"] == 1


def test_contacts_of_the_month_so_far_match_the_month_once_ended(cli: Cli) -> None:
    """The month in progress is read from each customer's latest contact and visit, a month
    that has ended from its visits: with nothing logged in between, both say the same.
    November 2026; a year before its end is 1 Dec 2025 00:00. 王小明 visited 3 Nov; 李美玲
    called 5 Nov and was visited 15 Dec 2025; 陳大文 was visited 20 Nov 2025 (over a year
    before) and called 20 Oct. Contacted in November: 2; visited within a year: 2 of 3."""
    for name in ("王小明", "李美玲", "陳大文"):
        cli.ok("customer", "add", name, "--since", "2024-01-01",
               now="2025-01-01T09:00:00+08:00")

    def log(name: str, method: str, moment: str) -> None:
        cli.ok("visit", "log", name, "--method", method, "--at", moment,
               now=moment.replace(" ", "T") + ":00+08:00")

    log("陳大文", "in-person", "2025-11-20 10:00")
    log("李美玲", "in-person", "2025-12-15 10:00")
    log("陳大文", "phone", "2026-10-20 10:00")
    log("王小明", "in-person", "2026-11-03 10:00")
    log("李美玲", "phone", "2026-11-05 10:00")
    keys = ("customers_contacted", "cadence_kept_pct", "yearly_visits_done_pct", "visits_done")
    live = json.loads(cli.ok("report", "monthly", "--month", "2026-11", "-f", "json",
                             now="2026-11-20T10:00:00+08:00"))
    ended = json.loads(cli.ok("report", "monthly", "--month", "2026-11", "-f", "json",
                              now="2026-12-05T10:00:00+08:00"))
    assert not live["complete"] and ended["complete"]
    assert {k: live[k] for k in keys} == {k: ended[k] for k in keys} == {
        "customers_contacted": 2, "cadence_kept_pct": 66.7, "yearly_visits_done_pct": 66.7,
        "visits_done": 2}


def test_a_screen_lists_forty_missed_deadlines_and_json_every_one(cli: Cli) -> None:
    """25 minor complaints opened 1 Oct and left alone each miss four deadlines in October:
    feedback (2 Oct), the 10-day window (11 Oct, became major), the report to the head
    (11 Oct 09:10–09:34) and the major resolution (11 Oct 21:00–21:24) — 100 in all, 75 still
    owed. The screen shows the 40 latest still owed: 25 resolutions and 15 reports."""
    cli.ok("customer", "add", "王小明", "--since", "2025-01-01", now="2026-09-01T09:00:00+08:00")
    for minute in range(25):
        moment = f"2026-10-01 09:{minute:02d}"
        cli.ok("complaint", "open", "王小明", f"噪音 {minute}", "--category", f"類{minute}",
               "--at", moment, now=moment.replace(" ", "T") + ":00+08:00")
    document = json.loads(cli.ok("report", "monthly", "--month", "2026-10", "-f", "json",
                                 now=REPORT_AT))
    assert len(document["breached"]) == 100
    assert sum(r["outcome"] == "still owed" for r in document["breached"]) == 75
    text = cli.ok("report", "monthly", "--month", "2026-10", now=REPORT_AT)
    assert ("! 100 deadlines missed this month; listed below, the 40 latest (those still owed "
            "first); --format json lists every one.") in text
    section = text.split("Deadlines missed (40 of 100)\n")[1].splitlines()[2:]
    assert len(section) == 40 and all("still owed" in line for line in section)
    dues = [line.split()[3] + " " + line.split()[4] for line in section]
    assert dues == sorted(dues)
    assert dues[0] == "2026-10-11 09:20" and dues[-1] == "2026-10-11 21:24"


def test_csv_is_metric_value_rows_and_by_category_is_one_table(cli: Cli) -> None:
    _month(cli)
    rows = list(csv.reader(io.StringIO(cli.ok("report", "monthly", "--month", "2026-10",
                                              "-f", "csv", now=REPORT_AT))))
    assert rows[0] == ["metric", "value"]
    assert ["complaints_opened", "5"] in rows and ["followup_rate_pct", "50.0"] in rows
    table = list(csv.reader(io.StringIO(cli.ok("report", "monthly", "--month", "2026-10",
                                               "--by", "category", "-f", "csv", now=REPORT_AT))))
    assert table[0] == ["category", "opened", "major", "escalated", "closed", "breached",
                        "repeat"]
    assert ["噪音", "2", "1", "1", "1", "2", "1"] in table


def test_a_month_without_data_prints_zeros_and_says_so(cli: Cli) -> None:
    out = cli.ok("report", "monthly", "--month", "2026-06", now=REPORT_AT)
    assert "No complaints and no follow-ups recorded this month" in out
    figures = json.loads(cli.ok("report", "monthly", "--month", "2026-06", "-f", "json",
                                now=REPORT_AT))
    assert figures["complaints_opened"] == 0
    assert figures["response_on_time_pct"] is None
    assert figures["followup_rate_pct"] is None


def test_markdown_pastes_into_a_mail(cli: Cli) -> None:
    _month(cli)
    out = cli.ok("report", "monthly", "--month", "2026-10", "-f", "markdown", now=REPORT_AT)
    assert out.startswith("# Complaint analysis 2026-10\n")
    assert "| Complaints opened" in out
    assert "## Deadlines missed" in out


def test_month_last_means_the_previous_calendar_month(cli: Cli) -> None:
    _month(cli)
    figures = json.loads(cli.ok("report", "monthly", "--month", "last", "-f", "json",
                                now=REPORT_AT))
    assert figures["month"] == "2026-10"


def test_bad_month_is_exit_2(cli: Cli) -> None:
    code, _, err = cli("report", "monthly", "--month", "2026-13")
    assert code == 2
    assert "--month" in err and "2026-13" in err
