"""Build a large, realistic crmcli database fast, through the project's own schema.

    python benchmarks/make_db.py --customers 100000 --complaints 1000000 --visits 1000000 \\
        --csv bench-data/customers.csv bench-data/large.db

The schema comes from ``crmcli.db.connect(path, create=True)`` (migrations included); the rows
are generated in memory and written with ``executemany`` in one transaction. The shape follows
``crmcli/sample.py`` — three years of history before ``--as-of``, Chinese names, notes and
categories, ~12 % major complaints, most closed — but nothing goes through the services: each
complaint's recorded events are replayed with ``crmcli.rules.evaluate`` (pure), which gives the
automatic upgrades/escalations to record (as ``complaint sweep`` would) and the cached columns
of the ``complaints`` row, and with ``crmcli.rules.outcome`` for the stored outcome
(``crmcli.outcomes``), so the history, the cache and the outcome agree exactly as if the
services had written them.

What ``--visits`` counts: contacts and service follow-ups (routine calls, yearly in-person
visits, repair/paid follow-ups, surveys). Every closing of a complaint brings its own follow-up
visit row on top of that, as the services do, so the ``visits`` table ends up larger than
``--visits`` (about 2.03 M rows at 1 M complaints + 1 M visits).

Speed: secondary indexes are dropped before the load and recreated from their own SQL after it
(sorting once is far faster than maintaining them row by row); the journal is off and
``synchronous=OFF`` during the build; the file is built beside PATH and renamed into place, and
is left in WAL mode like any crmcli database.
"""

from __future__ import annotations

import argparse
import atexit
import bisect
import csv
import gc
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli import outcomes, rules
from crmcli.db import connect, remember_categories
from crmcli.fields import name_key
from crmcli.policy import PolicyHistory
from crmcli.sample import CATEGORIES, NOTES, REPAIRS, SUMMARIES

sys.path.insert(0, str(Path(__file__).resolve().parent))  # make_money.py, make_frontdesk.py

DEFAULT_AS_OF = "2026-11-20T08:00:00+08:00"
DAY = 86_400
HOUR = 3_600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # as crmcli.dates stores times

SURNAMES = list("王李張张劉刘陳陈楊杨黃黄趙赵吳吴周徐孫孙馬马朱胡郭何林高羅罗鄭郑梁謝谢宋唐許许"
                "鄧邓馮冯韓韩曹曾彭蕭萧蔡潘田董袁于余葉叶蔣蒋杜蘇苏魏程呂吕丁沈任姚盧卢傅鍾钟"
                "姜崔譚谭廖范汪陸陆金石戴賈贾韋韦夏邱方侯鄒邹熊孟秦白江閻阎薛尹段雷黎史龍龙陶")
GIVEN = list("明強强芬玲國国華华豪婷傑杰英軒轩怡東东清欣然琪宇梅德芳偉伟靜静麗丽建志淑美家雅俊"
             "秀子曉晓文嘉浩思振雪桂海波敏軍军平紅红霞輝辉鵬鹏飛飞玉蘭兰慧穎颖佳琳嵐岚濤涛勇")

REGIONS = ["深圳", "廣州", "广州", "上海", "北京", "香港", "杭州", "成都", "武漢", "南京", "蘇州",
           "天津"]
BRANDS = ["華信", "星辰", "宏達", "云帆", "恒通", "金鼎", "海川", "博雅", "順豐", "天成", "瑞康",
          "北辰", "匯豐", "青木", "鼎盛", "長江", "新世紀", "東方", "遠景", "卓越", "銀河", "泰和",
          "永利", "安信", "德勝", "中恒", "聯創", "藍海", "萬達", "興業", "嘉禾", "明德", "華夏",
          "宏圖", "睿智", "騰飛", "盛世", "和信", "正大", "通達"]
INDUSTRIES = ["科技", "数据服务", "貿易", "网络科技", "物流", "投資", "医疗器械", "教育",
              "電子商務", "建筑设计", "藥業", "资讯", "餐飲管理", "广告传媒", "律師事務所",
              "物業顧問", "會計師事務所", "金融服務", "軟件", "電子"]
FORMS = ["有限公司", "股份有限公司", "集團有限公司", "（深圳）有限公司"]
SITES = ["A座", "B座", "C座", "D座", "E座", "F座", "IDC機房"]
CHANNELS = ["phone", "phone", "wechat", "visit", "hotline", "web"]
STAFF = ["陳主任", "李客服", "王工程師", "張片區經理", "黃客服", "周客服", "林工程師"]
AREA_MANAGER = "張片區經理"
DEPARTMENT_HEAD = "資產管理部負責人"
PREFERENCES = ['{"language": "粵語"}', '{"language": "普通话"}', '{"contact_time": "18:00 以後"}',
               '{"allergies": "花粉"}', '{"dietary": "素食"}', "{}", "{}", "{}"]
TAGS = (("VIP", 0.12), ("長者", 0.08), ("裝修中", 0.05), ("不在住", 0.04))
SUGGESTIONS = [None, None, "希望增加綠化", "電梯保養時間請提前通知", "停車場照明可以再亮一些"]
MINUTES = (0, 10, 15, 20, 30, 40, 45, 50)
# How well the site keeps up. The demo sample leaves 40 % of the last 20 days' complaints open
# and a survey pending for 10 % of customers, to show plenty of overdue items on 200 customers;
# at 100 000 customers that would be a backlog of thousands, so the large site is better run.
BACKLOG = 0.1  # of complaints opened in the last 20 days, the share left unresolved
SURVEYED = 0.05  # customers with a satisfaction survey visit pending around the as-of day
CSV_FIELDS = ("name", "contact", "phone", "email", "address", "site", "unit", "segment", "grade",
              "tags", "since", "birthday", "note")

_DAY_TEXT: dict[int, str] = {}


def ts_text(ts: int) -> str:
    """Epoch seconds as crmcli stores times (``2026-11-20T01:40:00Z``), fast."""
    day, rest = divmod(ts, DAY)
    prefix = _DAY_TEXT.get(day)
    if prefix is None:
        prefix = _DAY_TEXT[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    hour, rest = divmod(rest, HOUR)
    minute, second = divmod(rest, 60)
    return f"{prefix}T{hour:02d}:{minute:02d}:{second:02d}Z"


def opt_text(ts: int | None) -> str | None:
    return None if ts is None else ts_text(ts)


def to_dt(ts: int) -> datetime:
    return EPOCH + timedelta(seconds=ts)


def from_dt(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


@dataclass
class Site:
    """The generator's clock and randomness: times are epoch seconds, days are local days."""

    rng: random.Random
    as_of: int
    start: int
    offset: int  # seconds east of UTC of the site's zone

    def local_day(self, ts: int) -> int:
        return (ts + self.offset) // DAY

    def day_start(self, local_day: int) -> int:
        return local_day * DAY - self.offset

    def moment(self, ts: int, hour_from: int = 8, hour_to: int = 20) -> int:
        """A business-hours moment on the local day of ``ts``."""
        rng = self.rng
        return (self.day_start(self.local_day(ts)) + rng.randrange(hour_from, hour_to) * HOUR
                + rng.choice(MINUTES) * 60)

    def local_date(self, ts: int) -> date:
        return date(1970, 1, 1) + timedelta(days=self.local_day(ts))


@dataclass
class Customer:
    name: str
    values: dict[str, Any]
    tags: list[str]
    since_days: int
    start: int  # when the relationship is on file (the history start, or since)
    last_contact: int | None = None
    last_in_person: int | None = None


@dataclass
class Built:
    customers: list[Customer] = field(default_factory=list)
    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    services: list[tuple[Any, ...]] = field(default_factory=list)
    visits: list[tuple[Any, ...]] = field(default_factory=list)
    timers: list[tuple[Any, ...]] = field(default_factory=list)
    cycles: list[tuple[Any, ...]] = field(default_factory=list)
    summaries: list[tuple[Any, ...]] = field(default_factory=list)


def _log(started: float, text: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f}s] {text}", file=sys.stderr, flush=True)


# --- names -----------------------------------------------------------------------------------

def person_names(rng: random.Random, count: int) -> Iterator[str]:
    """Distinct person names: a surname and a one- or two-character given name."""
    surnames, given = len(SURNAMES), len(GIVEN)
    space = surnames * (given + given * given)
    for round_no, index in _distinct(rng, space, count):
        surname, rest = SURNAMES[index % surnames], index // surnames
        first = GIVEN[rest] if rest < given else (GIVEN[(rest - given) // given]
                                                  + GIVEN[(rest - given) % given])
        yield surname + first + (f"（{round_no + 1}）" if round_no else "")


def company_names(rng: random.Random, count: int) -> Iterator[str]:
    parts = (REGIONS, BRANDS, INDUSTRIES, FORMS)
    space = 1
    for part in parts:
        space *= len(part)
    for round_no, index in _distinct(rng, space, count):
        words = []
        for part in parts:
            index, pick = divmod(index, len(part))
            words.append(part[pick])
        yield "".join(words) + (f"（{round_no + 1}部）" if round_no else "")


def _distinct(rng: random.Random, space: int, count: int) -> Iterator[tuple[int, int]]:
    """``count`` (round, index) pairs, distinct; a new round starts when the space runs out."""
    round_no = 0
    while count > 0:
        take = min(space, count)
        for index in rng.sample(range(space), take):
            yield round_no, index
        count -= take
        round_no += 1


def make_customers(site: Site, count: int, *, for_csv: bool = False) -> list[Customer]:
    rng = site.rng
    kinds = []
    for _ in range(count):
        place = rng.choices(SITES, weights=(15, 15, 15, 15, 12, 12, 16))[0]
        kinds.append((place, place == "IDC機房" or rng.random() < 0.08))
    companies = company_names(rng, sum(1 for _, enterprise in kinds if enterprise))
    persons = person_names(rng, sum(1 for _, enterprise in kinds if not enterprise))
    today = site.local_date(site.as_of)
    history_days = (site.as_of - site.start) // DAY
    made = []
    for index, (place, enterprise) in enumerate(kinds):
        if enterprise:
            name, segment = next(companies), "enterprise"
            contact: str | None = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        else:
            name, segment = next(persons), rng.choice(["tenant", "tenant", "owner"])
            contact = None
        since_days = (rng.randint(5, 85) if rng.random() < 0.08
                      else rng.randint(100, history_days + 1500))
        since = today - timedelta(days=since_days)
        grade = "C" if since_days < 365 else rng.choice("AABBBC")
        tags = [tag for tag, p in TAGS if rng.random() < p]
        unit = (f"{rng.randint(2, 40)}{rng.choice('ABCDEFGH')}" if place != "IDC機房"
                else f"機櫃 {rng.randint(1, 80):02d}")
        values: dict[str, Any] = {
            "contact": contact,
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "email": f"user{index + 1}@example.com" if rng.random() < 0.5 else None,
            "address": f"深圳市南山區科技園{place}{unit}", "site": place, "unit": unit,
            "segment": segment, "grade": grade, "since": since.isoformat(),
            "birthday": (f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d}" if not enterprise and rng.random() < 0.6
                         else None),
            "note": rng.choice(NOTES),
        }
        if not for_csv:
            values["preferences"] = rng.choice(PREFERENCES)
            values["confidential"] = int(rng.random() < 0.05)
        on_file = site.day_start((since - date(1970, 1, 1)).days) + 9 * HOUR
        made.append(Customer(name, values, tags, since_days, max(site.start, on_file)))
    return made


def write_csv(path: Path, customers: list[Customer]) -> None:
    """The customer import file: the header uses crmcli's field names. Names are distinct as
    crmcli compares them (張 and 张 fold together): a repeat gets a number, as a second
    company of one name would (`customer import` refuses a file naming one customer twice)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    seen: set[str] = set()
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for customer in customers:
            name, number = customer.name, 1
            while name_key(name) in seen:
                number += 1
                name = f"{customer.name}（{number}）"
            seen.add(name_key(name))
            values = {**customer.values, "name": name, "tags": ";".join(customer.tags)}
            writer.writerow(["" if values.get(f) is None else values[f] for f in CSV_FIELDS])
    partial.replace(path)


# --- complaints ------------------------------------------------------------------------------

class Present:
    """Pick a customer already on file at a moment (customers join over the years)."""

    def __init__(self, customers: list[Customer]) -> None:
        order = sorted(range(len(customers)), key=lambda i: customers[i].start)
        self.starts = [customers[i].start for i in order]
        self.ids = [i + 1 for i in order]

    def pick(self, rng: random.Random, at: int) -> int:
        count = max(1, bisect.bisect_right(self.starts, at))
        return self.ids[rng.randrange(count)]


def _steps(site: Site, opened: int, severity: str) -> list[tuple[int, str]]:
    """The manual steps of a complaint's life after opening (as the sample site has them)."""
    rng = site.rng
    steps: list[tuple[int, str]] = []
    if severity == "major":
        if rng.random() < 0.85:
            steps.append((opened + rng.randint(3, 25) * 60, "escalated"))
        elif rng.random() < 0.995:  # reported to the head without escalating it
            steps.append((opened + rng.randint(4, 14) * 60, "reported"))
        close_after = int(rng.uniform(2, 20) * HOUR) // 60 * 60
    else:
        steps.append((opened + int(rng.uniform(0.5, 30) * HOUR) // 60 * 60, "responded"))
        close_after = int(rng.choice((0.3, 1, 2, 3, 4, 6, 9, 12)) * DAY) // 60 * 60
    recent = site.as_of - opened < 20 * DAY
    closing = not recent or rng.random() >= BACKLOG
    if severity == "minor" and (close_after > 10 * DAY or not closing) and rng.random() < 0.995:
        steps.append((opened + 10 * DAY + rng.randint(3, 40) * 60, "reported"))  # once major
    if closing:
        closed = opened + close_after
        steps.append((closed, "closed"))
        if rng.random() < 0.06:
            steps.append((closed + 2 * DAY, "reopened"))
            steps.append((closed + 3 * DAY, "closed"))
    steps.sort()
    return [(at, action) for at, action in steps if at < site.as_of]


def _unresolved(steps: list[tuple[int, str]], opened: int, at: int) -> bool:
    """Whether a complaint was still unresolved (status != closed) at ``at``."""
    if at < opened:
        return False
    closed = False
    for when, action in steps:
        if when > at:
            break
        if action == "closed":
            closed = True
        elif action == "reopened":
            closed = False
    return not closed


def plan_moments(site: Site, built: Built, count: int) -> list[tuple[int, int]]:
    """``count`` (moment, customer) pairs in the history, in time order, each customer already
    on file at that moment."""
    rng = site.rng
    present = Present(built.customers)
    span = site.as_of - site.start
    planned: list[tuple[int, int]] = []
    while len(planned) < count:
        at = site.moment(site.start + rng.randrange(span))
        if site.start <= at < site.as_of:
            planned.append((at, present.pick(rng, at)))
    planned.sort()
    return planned


def make_complaints(site: Site, built: Built, count: int, policies: PolicyHistory) -> None:
    planned = plan_moments(site, built, count)
    # customer -> [(complaint id, category, opened, steps, final close)] still worth checking
    open_by_customer: dict[int, list[tuple[int, str, int, list[tuple[int, str]], int]]] = {}
    for cid, (opened, customer_id) in enumerate(planned, start=1):
        _complaint(site, built, policies, cid, opened, customer_id, open_by_customer)


def _complaint(site: Site, built: Built, policies: PolicyHistory, cid: int, opened: int,
               customer_id: int,
               open_by_customer: dict[int, list[tuple[int, str, int, list[tuple[int, str]], int]]],
               ) -> None:
    rng = site.rng
    category = rng.choice(CATEGORIES)
    receiver = rng.choice(STAFF)
    severity = "major" if rng.random() < 0.12 else "minor"
    steps = _steps(site, opened, severity)

    earlier = [item for item in open_by_customer.get(customer_id, []) if item[4] >= opened]
    repeat_of = next((item[0] for item in earlier
                      if item[1] == category and _unresolved(item[3], item[2], opened)), None)
    final_close = max((at for at, action in steps if action == "closed"), default=None)
    keep_until = site.as_of if final_close is None or steps[-1][1] == "reopened" else final_close
    earlier.append((cid, category, opened, steps, keep_until))
    open_by_customer[customer_id] = earlier

    # (at, action, by, note, level, reason, escalated_to, field, new_value, automatic)
    events: list[tuple[Any, ...]] = [
        (opened, "opened", receiver, None, None, None, None, "severity", severity, 0)]
    if repeat_of is not None:
        events.append((opened, "noted", "system",
                       f"repeat of unresolved complaint #{repeat_of} ({category})",
                       None, None, None, None, None, 0))
    resolution: str | None = None
    closes: list[int] = []
    reopens: list[int] = []
    for at, action in steps:
        if action == "escalated":
            events.append((at, action, receiver, "已電話匯報", 1, "重大投訴，向部門負責人匯報",
                           DEPARTMENT_HEAD, None, None, 0))
        elif action == "reported":
            events.append((at, action, receiver, "已電話匯報", None, None, DEPARTMENT_HEAD, None,
                           None, 0))
        elif action == "responded":
            events.append((at, action, receiver, "已回覆客戶處理安排", None, None, None, None,
                           None, 0))
        elif action == "closed":
            resolution = "已處理完畢，客戶確認" if not closes else "徹底更換配件"
            events.append((at, action, receiver, resolution, None, None, None, "resolution",
                           resolution, 0))
            closes.append(at)
        else:  # reopened
            events.append((at, action, receiver, "問題再次出現", None, "問題再次出現", None,
                           None, None, 0))
            reopens.append(at)

    def recorded() -> list[rules.Event]:
        return [rules.Event(to_dt(e[0]), e[1], False, e[8] if e[1] == "opened" else None, e[2])
                for e in events]

    def replay(until: int) -> rules.Effective:
        return rules.evaluate(recorded(), policies, to_dt(until))

    effective = replay(site.as_of)
    policy = policies.at(to_dt(opened))
    customer = built.customers[customer_id - 1]
    for index, closed in enumerate(closes):
        severity_then = effective.severity if index == len(closes) - 1 else replay(closed).severity
        who, method = rules.followup_assignment(severity_then, receiver, policy)
        due = closed + int(policy.followup_hours * HOUR)
        cancelled = reopens[index] if index < len(reopens) else None
        done: int | None = None
        if cancelled is None and effective.status == "closed":
            owed = site.as_of - due < 10 * DAY and rng.random() < 0.25
            candidate = (due - int(rng.uniform(-6, 20) * HOUR)) // 60 * 60
            done = None if owed or candidate >= site.as_of else candidate
        done_method = None
        satisfaction = quality = attitude = None
        if done is not None:
            done_method = "in-person" if method == "in-person" else rng.choice(("phone", "wechat"))
            satisfaction, quality = rng.choice((3, 4, 4, 5, 5, 5)), rng.choice((3, 4, 5, 5))
            attitude = rng.choice((4, 5, 5))
            events.append((done, "followed_up", who, None, None, None, None, None, None, 0))
            _touch(customer, done, done_method)
        built.visits.append((
            closed, customer_id, "complaint", due, done, cancelled, done_method, method, who,
            who if done is not None else None, cid, None, satisfaction, quality, attitude, None,
            None, None, "客戶表示滿意" if done is not None else f"follow-up of complaint #{cid}"))

    history = recorded()  # every entry is in: where it leads (crmcli.outcomes)
    outcome = rules.outcome(history, policies)
    built.timers.extend(outcomes.timer_rows(cid, outcome))
    built.cycles.extend(outcomes.cycle_rows(cid, outcome))
    built.summaries.append(outcomes.summary_row(cid, repeat_of is not None, history, outcome))
    manual_times = sorted(e[0] for e in events)
    for auto in effective.automatic:
        at = int(auto.at.timestamp())
        recorded = next((t for t in manual_times if t > at), site.as_of)
        escalation = auto.action == "escalated"
        events.append((at, auto.action, "system", auto.note, auto.level,
                       auto.note if escalation else None,
                       policies.at(auto.at).department_head if escalation else None,
                       None, None, 1, recorded))
    for event in events:
        recorded = event[10] if len(event) == 11 else event[0]
        built.events.append((recorded, cid, *event[:8], None, event[8], event[9]))

    built.complaints.append((
        cid, customer_id, rng.choice(SUMMARIES[category]), category, rng.choice(CHANNELS),
        severity, effective.severity, effective.status, ts_text(opened), receiver,
        rng.choice(STAFF), *(opt_text(from_dt(moment)) for moment in (
            effective.major_at, effective.responded_at, effective.escalated_at,
            effective.closed_at, effective.reopened_at)),
        resolution, 0, repeat_of, ts_text(opened)))


def _touch(customer: Customer, done: int, method: str | None) -> None:
    if customer.last_contact is None or done > customer.last_contact:
        customer.last_contact = done
    if method == "in-person" and (customer.last_in_person is None
                                  or done > customer.last_in_person):
        customer.last_in_person = done


# --- services and contacts -------------------------------------------------------------------

def make_services(site: Site, built: Built, count: int) -> int:
    """Repairs, maintenance and paid services; repairs and paid ones bring a follow-up visit."""
    rng = site.rng
    planned = plan_moments(site, built, count)
    followups = 0
    for service_id, (at, customer_id) in enumerate(planned, start=1):
        kind = rng.choice(("repair", "repair", "maintenance", "paid"))
        by = rng.choice(STAFF)
        built.services.append((service_id, customer_id, kind, rng.choice(REPAIRS), ts_text(at),
                               by, rng.choice((8000, 15000, 30000)) if kind == "paid" else None,
                               "CNY" if kind == "paid" else None, ts_text(at)))
        if kind == "maintenance":
            continue
        due = at + DAY
        done = due - int(rng.uniform(-8, 22) * HOUR)
        fulfilled = done < site.as_of and (site.as_of - due > 10 * DAY or rng.random() < 0.7)
        built.visits.append((
            at, customer_id, kind, due, done if fulfilled else None, None,
            "phone" if fulfilled else None, None, by, by if fulfilled else None, None,
            service_id, rng.choice((4, 5, 5)) if fulfilled else None, None, None,
            1 if fulfilled and kind == "paid" else None, None, None, f"{kind} follow-up"))
        followups += 1
        if fulfilled:
            _touch(built.customers[customer_id - 1], done, "phone")
    return followups


def _visit(built: Built, customer_id: int, kind: str, done: int, method: str, by: str, *,
           satisfaction: int | None = None, quality: int | None = None,
           attitude: int | None = None, suggestion: str | None = None) -> None:
    built.visits.append((done, customer_id, kind, None, done, None, method, None, None, by, None,
                         None, satisfaction, quality, attitude, None, None, suggestion, None))
    _touch(built.customers[customer_id - 1], done, method)


def make_contacts(site: Site, built: Built, budget: int) -> None:
    """Yearly in-person visits, routine calls (cadence) and pending surveys, within ``budget``.

    A well-run site: about 2 % of customers have lapsed on the contact cadence and 5 % on the
    yearly visit; everyone else was contacted within their cadence, so about one customer in
    thirty falls due on any given day, as a real site of this size would see.
    """
    rng = site.rng
    as_of = site.as_of
    new_ids: list[int] = []
    established: list[int] = []
    surveys = 0
    for customer_id, customer in enumerate(built.customers, start=1):
        present = as_of - customer.start
        if present > 380 * DAY or (present > 20 * DAY and rng.random() < 0.75):
            lapsed = present > 400 * DAY and rng.random() < 0.05
            ago = rng.randint(366, 400) if lapsed else rng.randint(10, min(350, present // DAY))
            at = site.moment(as_of - ago * DAY)
            while at >= customer.start and at < as_of:
                _visit(built, customer_id, "annual", at, "in-person", AREA_MANAGER,
                       satisfaction=rng.choice((4, 5, 5)), quality=rng.choice((4, 5)),
                       attitude=5, suggestion=rng.choice(SUGGESTIONS))
                at = site.moment(at - rng.randint(345, 380) * DAY)
        if rng.random() < SURVEYED:
            due = site.moment(as_of + rng.randint(-3, 10) * DAY)
            built.visits.append((as_of - 14 * DAY, customer_id, "survey", due, None, None, None,
                                 None, "李客服", None, None, None, None, None, None, None, None,
                                 None, "滿意度調查回訪"))
            surveys += 1
        (new_ids if customer.since_days < 90 else established).append(customer_id)
    for customer_id in new_ids:  # weekly in the first 90 days
        customer = built.customers[customer_id - 1]
        at = site.moment(customer.start + rng.randint(1, 6) * DAY)
        while at < as_of:
            _routine(site, built, customer_id, at)
            at = site.moment(at + rng.randint(5, 7) * DAY)
    left = budget - len(built.visits) + _complaint_followups(built)
    weights = [as_of - built.customers[i - 1].start for i in established]
    total = sum(weights) or 1
    for customer_id, weight in zip(established, weights, strict=True):
        customer = built.customers[customer_id - 1]
        wanted = max(1, round(left * weight / total))
        cadence = 14 if "VIP" in customer.tags else 30
        if rng.random() < 0.02:
            last = as_of - rng.randint(35, 80) * DAY
        else:
            last = as_of - rng.randint(0, cadence - 1) * DAY
        gap = max(cadence * DAY * 7 // 10, (last - customer.start) // wanted)
        at = last
        for _ in range(wanted):
            moment = site.moment(at)
            if moment < customer.start:
                break
            if moment < as_of:
                _routine(site, built, customer_id, moment)
            at -= int(gap * rng.uniform(0.8, 1.2))


def _routine(site: Site, built: Built, customer_id: int, at: int) -> None:
    rng = site.rng
    _visit(built, customer_id, "routine", at,
           rng.choice(("phone", "phone", "wechat", "wechat", "email")), rng.choice(STAFF),
           satisfaction=rng.choice((None, 4, 5)))


def _complaint_followups(built: Built) -> int:
    return sum(1 for visit in built.visits if visit[2] == "complaint")


# --- writing ---------------------------------------------------------------------------------

def _customer_rows(built: Built) -> Iterator[tuple[Any, ...]]:
    for customer_id, customer in enumerate(built.customers, start=1):
        v = customer.values
        stamp = ts_text(customer.start)
        yield (customer_id, customer.name, name_key(customer.name), v["contact"], v["phone"],
               v["email"], v["address"], v["site"], v["unit"], v["segment"], v["grade"],
               v["since"], v["birthday"], v["preferences"], v["note"], v["confidential"],
               opt_text(customer.last_contact), opt_text(customer.last_in_person), stamp, stamp)


def _event_rows(events: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for recorded, cid, at, action, by, note, level, reason, to, fld, old, new, auto in events:
        yield (cid, at, action, by, note, level, reason, to, fld, old, new, auto, recorded)


def _visit_rows(visits: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for (created, customer_id, kind, due, done, cancelled, method, expected, assigned, by,
         complaint_id, service_id, sat, quality, attitude, price_ok, shortcomings, suggestion,
         note) in visits:
        yield (customer_id, kind, due, done, cancelled, method, expected, assigned, by,
               complaint_id, service_id, sat, quality, attitude, price_ok, shortcomings,
               suggestion, note, created)


def _insert(conn: sqlite3.Connection, table: str, columns: str, rows: Iterable[tuple[Any, ...]],
            times: tuple[str, ...] = ()) -> None:
    """``times`` name the columns given as epoch seconds: SQLite formats them, faster."""
    names = [name.strip() for name in columns.split(",")]
    marks = ", ".join(f"strftime('{DB_FORMAT}', ?, 'unixepoch')" if name in times else "?"
                      for name in names)
    conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def write(conn: sqlite3.Connection, built: Built, policy_at: int, started: float,
          settings: list[tuple[str, str]]) -> None:
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('customers', 'customer_tags', 'complaints', 'complaint_events', "
        "'complaint_timers', 'complaint_cycles', 'complaint_outcomes', 'services', 'visits') "
        "ORDER BY rowid"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    stamp = ts_text(policy_at)
    conn.executemany(
        "INSERT INTO policy_settings (key, value, set_at, set_by) VALUES (?, ?, ?, '陳主任')",
        [(key, value, stamp) for key, value in settings])
    _insert(conn, "customers", "id, name, name_key, contact, phone, email, address, site, unit, "
            "segment, grade, since, birthday, preferences, note, confidential, last_contact_at, "
            "last_in_person_at, created_at, updated_at", _customer_rows(built))
    _insert(conn, "customer_tags", "customer_id, tag",
            ((i, tag) for i, c in enumerate(built.customers, start=1) for tag in c.tags))
    _log(started, f"wrote {len(built.customers):,} customers")
    _insert(conn, "complaints", "id, customer_id, summary, category, channel, severity_at_open, "
            "severity, status, opened_at, received_by, owner, major_at, responded_at, "
            "escalated_at, closed_at, reopened_at, resolution, is_case, repeat_of, created_at",
            built.complaints)
    _log(started, f"wrote {len(built.complaints):,} complaints")
    built.events.sort(key=lambda event: (event[0], event[1], event[2]))
    _insert(conn, "complaint_events", "complaint_id, at, action, by, note, level, reason, "
            "escalated_to, field, old_value, new_value, automatic, recorded_at",
            _event_rows(built.events), times=("at", "recorded_at"))
    _log(started, f"wrote {len(built.events):,} complaint events")
    conn.executemany(outcomes.INSERT_TIMERS, built.timers)
    conn.executemany(outcomes.INSERT_CYCLES, built.cycles)
    conn.executemany(outcomes.INSERT_SUMMARY, built.summaries)
    outcomes.reset_attention(conn)
    remember_categories(conn)
    _log(started, f"wrote {len(built.timers):,} deadlines and {len(built.cycles):,} cycles")
    _insert(conn, "services", "id, customer_id, type, description, done_at, by, fee_minor, "
            "currency, created_at",
            built.services)
    built.visits.sort(key=lambda visit: (visit[0], visit[1]))
    _insert(conn, "visits", "customer_id, kind, due_at, done_at, cancelled_at, method, "
            "expected_method, assigned_to, by, complaint_id, service_id, satisfaction, quality, "
            "attitude, price_ok, shortcomings, suggestion, note, created_at",
            _visit_rows(built.visits), times=("due_at", "done_at", "cancelled_at", "created_at"))
    _log(started, f"wrote {len(built.services):,} services and {len(built.visits):,} visits")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    _log(started, f"rebuilt {len(indexes)} indexes")


_TEMPLATE: list[Path] = []


def _empty_schema() -> Path:
    """An empty database of the current schema, made once per process (through crmcli's own
    migrations) and copied for each site: the migrations' commits are most of a small site's
    build time."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="crmcli-make-db-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "empty.db"
        connect(template, create=True).close()
        _TEMPLATE.append(template)
    return _TEMPLATE[0]


def build(path: Path, *, customers: int, complaints: int, visits: int, seed: int, as_of: str,
          tz: str, years: int, csv_path: Path | None = None, analyze: bool = False,
          site_name: str | None = None, money_months: int = 0, desk_months: int = 0
          ) -> dict[str, Any]:
    started = time.perf_counter()
    gc.disable()  # millions of long-lived tuples: the cyclic collector would rescan them all
    moment = datetime.fromisoformat(as_of)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    offset = int((moment.astimezone(ZoneInfo(tz)).utcoffset() or timedelta()).total_seconds())
    as_of_ts = int(moment.timestamp()) // 60 * 60
    start = as_of_ts - years * 365 * DAY
    site = Site(random.Random(seed), as_of_ts, start, offset)
    policy_at = start - DAY
    settings = [("cadence.tag.VIP", "2w"), ("area_manager", AREA_MANAGER),
                ("department_head", DEPARTMENT_HEAD), ("site_name", site_name or path.stem),
                ("timezone", tz)]
    policies = PolicyHistory([(to_dt(policy_at), key, value) for key, value in settings])
    built = Built()
    built.customers = make_customers(site, customers)
    _log(started, f"planned {customers:,} customers")
    if customers:
        make_complaints(site, built, complaints, policies)
        _log(started, f"planned {complaints:,} complaints ({len(built.events):,} events)")
        make_services(site, built, visits // 10)
        make_contacts(site, built, visits)
        _log(started, f"planned {len(built.visits):,} visits")
    if csv_path is not None:
        rows = make_customers(Site(random.Random(seed + 1), as_of_ts, start, offset), customers,
                              for_csv=True)
        write_csv(csv_path, rows)
        _log(started, f"wrote {csv_path} ({len(rows):,} rows)")

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(_empty_schema(), partial)
    partial.chmod(0o600)
    conn = connect(partial)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    write(conn, built, policy_at, started, settings)
    money: dict[str, int] = {}
    if money_months and customers:
        from make_money import write as write_money

        money = write_money(conn, built.customers, today=site.local_date(as_of_ts), offset=offset,
                            months=money_months, seed=seed, ts_text=ts_text)
        _log(started, f"wrote property and money {json.dumps(money)}")
    desk: dict[str, int] = {}
    if desk_months and customers:
        from make_frontdesk import write as write_desk

        desk = write_desk(conn, as_of=as_of_ts, offset=offset, months=desk_months, seed=seed,
                          ts_text=ts_text)
        _log(started, f"wrote the front desk {json.dumps(desk)}")
    _store_next_due(conn)
    _log(started, "worked out the next-due dates")
    if analyze:
        conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    partial.replace(path)
    counts = {"customers": customers, "complaints": len(built.complaints),
              "complaint_events": len(built.events), "services": len(built.services),
              "visits": len(built.visits), **money, **desk}
    _log(started, f"done: {path} ({path.stat().st_size / 1e6:,.0f} MB) {json.dumps(counts)}")
    return {"as_of": ts_text(as_of_ts), "tz": tz, "counts": counts,
            "seconds": round(time.perf_counter() - started, 1)}


def counts_of(conn: sqlite3.Connection) -> dict[str, int]:
    """The row count of every table with rows (what a benchmark run prints)."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid")]
    found = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
             for name in tables}
    return {name: count for name, count in found.items() if count}


def _store_next_due(conn: sqlite3.Connection) -> None:
    """Rows written directly (not through crmcli's services) leave every customer's stored next
    contact and yearly visit (crmcli.next_due) to be worked out again, as crmcli's own writes
    keep them."""
    from crmcli import next_due
    from crmcli.db import load_policies

    next_due.rebuild(conn, load_policies(conn).current)


def extend(path: Path, *, as_of: str, seed: int, money_months: int, desk_months: int
           ) -> dict[str, Any]:
    """Add property and money and the front desk to a database make_db built without them
    (in place; each part only where its tables are still empty), as of ``as_of`` in the
    file's own time zone. Much faster than a whole build: the rest is left as it is."""
    from types import SimpleNamespace

    started = time.perf_counter()
    gc.disable()
    conn = connect(path)  # brings the schema up to date
    tz = conn.execute("SELECT value FROM policy_settings WHERE key = 'timezone' "
                      "ORDER BY set_at DESC LIMIT 1").fetchone()
    zone = tz[0] if tz else "Asia/Shanghai"
    moment = datetime.fromisoformat(as_of)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    offset = int((moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta()).total_seconds())
    as_of_ts = int(moment.timestamp()) // 60 * 60
    site = Site(random.Random(seed), as_of_ts, as_of_ts, offset)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("PRAGMA foreign_keys = OFF")
    empty = {table: conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
             for table in ("contracts", "requests")}
    if money_months and empty["contracts"]:
        from make_money import write as write_money

        tags: dict[int, set[str]] = {}
        for cid, tag in conn.execute("SELECT customer_id, tag FROM customer_tags"):
            tags.setdefault(cid, set()).add(tag)
        people = []
        for number, (cid, since, segment, grade) in enumerate(conn.execute(
                "SELECT id, since, segment, grade FROM customers ORDER BY id"), start=1):
            if cid != number:
                raise SystemExit(f"{path}: customer ids are not 1..N (#{cid}); cannot extend")
            people.append(SimpleNamespace(values={"since": since, "segment": segment,
                                                  "grade": grade}, tags=tags.get(cid, set())))
        money = write_money(conn, people, today=site.local_date(as_of_ts), offset=offset,
                            months=money_months, seed=seed, ts_text=ts_text)
        _log(started, f"wrote property and money {json.dumps(money)}")
    if desk_months and empty["requests"]:
        from make_frontdesk import write as write_desk

        desk = write_desk(conn, as_of=as_of_ts, offset=offset, months=desk_months, seed=seed,
                          ts_text=ts_text)
        _log(started, f"wrote the front desk {json.dumps(desk)}")
    if (money_months and empty["contracts"]) or (desk_months and empty["requests"]):
        _store_next_due(conn)  # replies and meetings are contacts
    counts = counts_of(conn)
    conn.close()
    return {"as_of": ts_text(as_of_ts), "tz": zone, "counts": counts,
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path,
                        help="the database file to create (replaced), or to extend (--extend)")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=10_000,
                        help="contacts and service follow-ups; complaint follow-ups come on top")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF,
                        help=f"the moment the history ends (ISO 8601; default {DEFAULT_AS_OF})")
    parser.add_argument("--tz", default="Asia/Shanghai", help="the site's time zone")
    parser.add_argument("--site-name", help="policy site_name (default: the file's name)")
    parser.add_argument("--years", type=int, default=3, help="years of history before --as-of")
    parser.add_argument("--csv", type=Path, help="also write a customer import CSV here")
    parser.add_argument("--money-months", type=int, default=6,
                        help="months of invoices, payments and reviews (handover dates, "
                        "contracts and their visits come with any value but 0)")
    parser.add_argument("--desk-months", type=int, default=12,
                        help="months of requests, meetings, notices, day records and handling "
                        "sheet entries (0: none)")
    parser.add_argument("--extend", action="store_true",
                        help="add money and the front desk to PATH, an existing file made "
                        "without them (as of --as-of; the counts options are ignored)")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE at the end (crmcli itself does not)")
    args = parser.parse_args(argv)
    if args.extend:
        if not args.path.exists():
            parser.error(f"--extend: {args.path} does not exist")
        print(json.dumps(extend(args.path, as_of=args.as_of, seed=args.seed,
                                money_months=args.money_months,
                                desk_months=args.desk_months), ensure_ascii=False))
        return 0
    if min(args.customers, args.complaints, args.visits) < 0:
        parser.error("counts must not be negative")
    if args.customers == 0 and (args.complaints or args.visits):
        parser.error("complaints and visits need customers")
    result = build(args.path, customers=args.customers, complaints=args.complaints,
                   visits=args.visits, seed=args.seed, as_of=args.as_of, tz=args.tz,
                   years=args.years, csv_path=args.csv, analyze=args.analyze,
                   site_name=args.site_name, money_months=args.money_months,
                   desk_months=args.desk_months)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
