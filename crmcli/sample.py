"""A realistic, deterministic sample site: ~200 customers and a year of their history.

Built through the project's own services at simulated times, so its complaints carry real
histories and timers. The same seed and as-of moment give the same database, byte for byte.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crmcli.dates import from_db, local_day, local_midnight, to_db, to_local, to_minute
from crmcli.db import transaction
from crmcli.services import Session

SURNAMES = "王李張张劉刘陳陈楊杨黃黄趙赵吳吴周徐孫孙馬马朱胡郭何林高羅罗鄭郑梁謝谢宋唐許许"
GIVEN = ["小明", "志強", "志强", "淑芬", "美玲", "建國", "建国", "麗華", "丽华", "家豪", "雅婷",
         "俊傑", "俊杰", "秀英", "子軒", "子轩", "欣怡", "國華", "国华", "曉東", "晓东", "文清",
         "嘉欣", "浩然", "思琪", "振宇", "雪梅", "德明", "桂芳", "偉", "伟", "靜", "静"]
COMPANIES = ["華信科技有限公司", "星辰数据服务有限公司", "宏達貿易", "云帆网络科技", "恒通物流",
             "金鼎投資", "海川医疗器械", "博雅教育", "順豐電子商務", "天成建筑设计事务所",
             "瑞康藥業", "北辰资讯", "匯豐餐飲管理", "青木广告传媒", "鼎盛律師事務所"]
SITES = ["A座", "B座", "C座", "IDC機房"]
CATEGORIES = ["漏水", "噪音", "空調", "電梯", "保安", "清潔", "停車", "網絡", "供電"]
SUMMARIES = {
    "漏水": ["天花板滲水", "洗手間水管漏水", "樓上單位漏水到客廳"],
    "噪音": ["樓上裝修噪音太大", "夜間空調外機噪音", "隔壁單位深夜喧嘩"],
    "空調": ["空調不製冷", "冷气出风口滴水", "中央空調溫度過高"],
    "電梯": ["電梯經常停運", "电梯按钮失灵", "電梯等候時間過長"],
    "保安": ["訪客登記太慢", "门禁卡无法使用", "夜間巡邏不足"],
    "清潔": ["走廊垃圾未及時清理", "公共洗手間不潔", "地下車庫有異味"],
    "停車": ["車位被佔用", "停车收费有误", "車庫照明不足"],
    "網絡": ["機房網絡中斷", "带宽不达标", "機櫃溫度告警未處理"],
    "供電": ["UPS 告警", "單位停電", "配電箱跳閘"],
}
STAFF = ["陳主任", "李客服", "王工程師", "張片區經理", "黃客服"]
WORKERS = ["王工程師", "劉師傅", "趙師傅"]  # who does the work on site
REPAIRS = ["更換水龍頭", "修理門鎖", "空調清洗", "UPS 電池更換", "機櫃風扇更換", "燈具維修",
           "疏通下水道"]
NOTES = ["客戶較注重隱私", "喜歡電話聯繫", "週末不在家", "偏好微信溝通", "家中有長者，注意安全",
         "公司前台代收文件", None, None, None]
PREFERENCES = [{"language": "粵語"}, {"language": "普通话"}, {"contact_time": "18:00 以後"},
               {"allergies": "花粉"}, {"dietary": "素食"}, {}, {}, {}]


class _Builder:
    def __init__(self, conn: sqlite3.Connection, as_of: datetime, seed: int) -> None:
        self.conn = conn
        self.as_of = as_of.astimezone(UTC).replace(microsecond=0)
        self.rng = random.Random(seed)
        self.sheet_rng = random.Random(seed + 20)  # the handling sheets: the rest as before
        self.sheets = 0
        self.start = self.as_of - timedelta(days=365)

    def session(self, at: datetime, user: str = "陳主任") -> Session:
        return Session(self.conn, at, user)

    def moment(self, day: datetime, hour_from: int = 8, hour_to: int = 20) -> datetime:
        local = to_local(day)
        hour = self.rng.randint(hour_from, hour_to - 1)
        return local.replace(hour=hour, minute=self.rng.choice((0, 10, 15, 20, 30, 40, 45, 50)),
                             second=0, microsecond=0).astimezone(UTC)

    def customers(self, count: int) -> list[dict[str, Any]]:
        from crmcli.services.customers import NewCustomer, NewCustomers, insert

        made = []
        for index in range(count):
            rng = self.rng
            site = rng.choice(SITES)
            if site == "IDC機房" or rng.random() < 0.08:
                name = COMPANIES[index % len(COMPANIES)]
                if index >= len(COMPANIES):
                    name = f"{name}（{index // len(COMPANIES) + 1}部）"
                segment, contact = "enterprise", rng.choice(SURNAMES) + rng.choice(GIVEN)
            else:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                segment, contact = rng.choice(["tenant", "tenant", "owner"]), None
            since_days = rng.choice([rng.randint(5, 85), *[rng.randint(100, 1400)] * 6])
            since = local_day(self.as_of - timedelta(days=since_days))
            grade = "C" if since_days < 365 else rng.choice("AABBBC")
            tags = [t for t, p in (("VIP", 0.12), ("長者", 0.08), ("裝修中", 0.05),
                                   ("不在住", 0.04)) if rng.random() < p]
            phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            values = {
                "contact": contact, "phone": phone,
                "email": f"user{index + 1}@example.com" if rng.random() < 0.5 else None,
                "address": f"深圳市南山區科技園{site}", "site": site,
                "unit": f"{rng.randint(2, 30)}{rng.choice('ABCD')}" if site != "IDC機房"
                else f"機櫃 {rng.randint(1, 40):02d}",
                "segment": segment, "grade": grade, "since": since.isoformat(),
                "birthday": (f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-"
                             f"{rng.randint(1, 28):02d}" if segment != "enterprise"
                             and rng.random() < 0.6 else None),
                "note": rng.choice(NOTES), "preferences": rng.choice(PREFERENCES),
                "confidential": rng.random() < 0.05,
            }
            made.append((NewCustomer(name, values, tags), since))
        session = self.session(self.start)
        with transaction(self.conn):
            ids = insert(session, NewCustomers.of([new for new, _ in made]))
        return [{"id": cid, "since": since, "segment": new.values["segment"],
                 "tags": new.tags} for cid, (new, since) in zip(ids, made, strict=True)]

    def visit(self, customer_id: int, kind: str, at: datetime, method: str, by: str,
              **extra: Any) -> None:
        columns = ["customer_id", "kind", "done_at", "method", "by", "created_at", *extra]
        self.conn.execute(
            f"INSERT INTO visits ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (customer_id, kind, to_db(at), method, by, to_db(at), *extra.values()),
        )
        self._touch(customer_id, at, method)

    def _touch(self, customer_id: int, at: datetime, method: str) -> None:
        stamp = to_db(at)
        self.conn.execute(
            "UPDATE customers SET last_contact_at = max(coalesce(last_contact_at, ''), ?), "
            "last_in_person_at = CASE WHEN ? = 'in-person' "
            "THEN max(coalesce(last_in_person_at, ''), ?) ELSE last_in_person_at END "
            "WHERE id = ?", (stamp, method, stamp, customer_id))

    def complaint_life(self, customer: dict[str, Any], day: datetime) -> None:
        from crmcli.services import complaints

        rng = self.rng
        category = rng.choice(CATEGORIES)
        receiver = rng.choice(STAFF)
        opened_at = self.moment(day)
        if opened_at >= self.as_of:
            return
        severity = "major" if rng.random() < 0.12 else "minor"
        opened = complaints.open_complaint(
            self.session(opened_at, receiver), str(customer["id"]),
            rng.choice(SUMMARIES[category]), severity=severity, category=category,
            channel=rng.choice(["phone", "phone", "wechat", "visit", "hotline", "web"]),
            at=opened_at, by=receiver, owner=rng.choice(STAFF), note=None)
        cid = opened.complaint.id
        steps: list[tuple[datetime, str, dict[str, Any]]] = []
        if severity == "major":
            if rng.random() < 0.85:
                steps.append((opened_at + timedelta(minutes=rng.randint(3, 25)), "escalated",
                              {"reason": "重大投訴，向部門負責人匯報", "to": "資產管理部負責人",
                               "level": 1, "note": "已電話匯報"}))
            elif rng.random() < 0.97:  # reported without escalating it
                steps.append((opened_at + timedelta(minutes=rng.randint(4, 14)), "reported",
                              {"to": "資產管理部負責人", "note": "已電話匯報"}))
            close_after = timedelta(hours=rng.uniform(2, 20))
        else:
            steps.append((opened_at + timedelta(hours=rng.uniform(0.5, 30)), "responded",
                          {"note": "已回覆客戶處理安排"}))
            close_after = timedelta(days=rng.choice([0.3, 1, 2, 3, 4, 6, 9, 12]))
        recent = self.as_of - opened_at < timedelta(days=20)
        closing = not recent or rng.random() < 0.6
        window = timedelta(days=10)  # a minor complaint unresolved this long becomes major
        if severity == "minor" and (close_after > window or not closing) and rng.random() < 0.97:
            steps.append((opened_at + window + timedelta(minutes=rng.randint(3, 40)),
                          "reported", {"to": "資產管理部負責人", "note": "升級為重大投訴，已匯報"}))
        if closing:
            closed_at = opened_at + close_after
            steps.append((closed_at, "closed", {"new": "已處理完畢，客戶確認", "field":
                                                "resolution", "note": "已處理完畢，客戶確認"}))
            if rng.random() < 0.06:
                steps.append((closed_at + timedelta(days=2), "reopened",
                              {"reason": "問題再次出現", "note": "問題再次出現"}))
                steps.append((closed_at + timedelta(days=3), "closed",
                              {"new": "徹底更換配件", "field": "resolution",
                               "note": "徹底更換配件"}))
        for at, action, extra in self._with_sheet(cid, category, opened_at, steps):
            if at >= self.as_of:
                continue
            if callable(action):
                action(self.session(at, receiver), at)
                continue
            complaints.act(self.session(at, receiver), cid, action, at=at, by=receiver,
                           **extra)
        self._follow_up_complaint(cid, customer["id"])

    def _with_sheet(self, cid: int, category: str, opened_at: datetime,
                    steps: list[tuple[datetime, Any, dict[str, Any]]]
                    ) -> list[tuple[datetime, Any, dict[str, Any]]]:
        """A third of the last two months' complaints get a complete handling sheet (seed 004
        《客戶投訴處置表》): the department and its plan (one in five late), a referral letter
        (every other one still unanswered), an unreasonable one now and then, the head's
        opinion and, for half of them, the written notice. Each entry goes in at its moment
        among the complaint's other steps, as a team would type it."""
        from crmcli.services import sheet

        if self.as_of - opened_at > timedelta(days=60):
            return steps
        self.sheets += 1
        number, rng = self.sheets, self.sheet_rng
        if number % 3:
            return steps
        department = DEPARTMENTS.get(category, "工程部")
        other = "工程部" if department != "工程部" else "保安部"
        assigned = to_minute(opened_at + timedelta(minutes=rng.randint(5, 20)))
        planned = to_minute(assigned + timedelta(
            minutes=rng.randint(61, 150) if number % 5 == 0 else rng.randint(15, 60)))
        letter: list[int] = []

        def step(call: Any, *args: Any, by: str) -> Any:
            return lambda session, at: call(session, cid, *args, at=at, by=by)

        def refer(session: Session, at: datetime) -> None:
            after = sheet.refer(session, cid, other, due, "請協助限期處理", at=at, by="張片區經理")
            letter.append(max(item["letter"] for item in _letters(session, after.id)))

        def answer(session: Session, at: datetime) -> None:
            if letter:
                sheet.refer_done(session, cid, letter[0], "已處理完畢", at=at, by=f"{other}主管")

        extra: list[tuple[datetime, Any, dict[str, Any]]] = [
            (assigned, step(sheet.assign, department, by="陳主任"), {}),
            (planned, step(sheet.plan, PLANS[department], by=f"{department}主管"), {}),
        ]
        if number % 4 == 0:
            sent = to_minute(planned + timedelta(minutes=rng.randint(10, 90)))
            due = local_midnight(local_day(sent) + timedelta(days=rng.choice([1, 2, 3]))) \
                + timedelta(hours=17)
            answered = to_minute(due - timedelta(hours=rng.randint(2, 20)))
            extra += [(sent, refer, {})] + ([(answered, answer, {})] if number % 8 else [])
        if number % 7 == 0:
            extra.append((assigned + timedelta(minutes=30), step(
                sheet.judge, "unreasonable", "要求超出物業服務合同範圍，已耐心解釋",
                by="陳主任"), {}))
        closing = next((at for at, action, _ in steps if action == "closed"), None)
        if closing is not None:
            extra.append((to_minute(closing + timedelta(minutes=20)), step(
                sheet.opinion, "同意處理結果，按時回訪", by="資產管理部負責人"), {}))
            if number % 2 == 0:
                extra.append((to_minute(closing + timedelta(hours=2)), step(
                    sheet.notify, True, "書面回覆函已送達", by="李客服"), {}))
        merged = list(steps)
        for item in sorted(extra, key=lambda entry: entry[0]):
            later = next((i for i, (at, _, _) in enumerate(merged)
                          if at > item[0] and not callable(merged[i][1])), len(merged))
            merged.insert(later, item)
        return merged


    def _follow_up_complaint(self, complaint_id: int, customer_id: int) -> None:
        from crmcli.services import complaints

        row = self.conn.execute(
            "SELECT id, due_at, assigned_to, expected_method FROM visits WHERE complaint_id = ? "
            "AND done_at IS NULL AND cancelled_at IS NULL", (complaint_id,)).fetchone()
        if row is None:
            return
        visit_id, due_at, who, expected = row
        due = datetime.fromisoformat(due_at)
        if self.as_of - due < timedelta(days=10) and self.rng.random() < 0.25:
            return  # recently missed: still owed
        done = to_minute(due - timedelta(hours=self.rng.uniform(-6, 20)))
        if done >= self.as_of:
            return
        method = "in-person" if expected == "in-person" else self.rng.choice(["phone", "wechat"])
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE visits SET done_at = ?, method = ?, by = ?, satisfaction = ?, "
                "quality = ?, attitude = ?, note = ? WHERE id = ?",
                (to_db(done), method, who, self.rng.choice([3, 4, 4, 5, 5, 5]),
                 self.rng.choice([3, 4, 5, 5]), self.rng.choice([4, 5, 5]), "客戶表示滿意",
                 visit_id))
            self._touch(customer_id, done, method)
            complaints.followed_up(self.session(done, who), complaint_id, done, who, None)

    def service(self, customer: dict[str, Any], day: datetime) -> None:
        rng = self.rng
        at = self.moment(day)
        if at >= self.as_of:
            return
        kind = rng.choice(["repair", "repair", "maintenance", "paid"])
        by = rng.choice(WORKERS)
        taker = rng.choice(STAFF)  # 接單人: the follow-up is theirs
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO services (customer_id, type, description, done_at, by, fee_minor, "
                "currency, created_at, received_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (customer["id"], kind, rng.choice(REPAIRS), to_db(at), by,
                 rng.choice([8000, 15000, 30000]) if kind == "paid" else None,
                 "CNY" if kind == "paid" else None, to_db(at), taker))
            self._touch(customer["id"], at, "service")
            if kind == "maintenance":
                return
            due = at + timedelta(hours=24)
            done = to_minute(due - timedelta(hours=rng.uniform(-8, 22)))
            fulfilled = done < self.as_of and (self.as_of - due > timedelta(days=10)
                                               or rng.random() < 0.7)
            self.conn.execute(
                "INSERT INTO visits (customer_id, kind, due_at, done_at, method, assigned_to, "
                "by, service_id, satisfaction, price_ok, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (customer["id"], kind, to_db(due), to_db(done) if fulfilled else None,
                 "phone" if fulfilled else None, taker, taker if fulfilled else None,
                 cursor.lastrowid, rng.choice([4, 5, 5]) if fulfilled else None,
                 1 if fulfilled and kind == "paid" else None,
                 f"{kind} follow-up", to_db(at)))
            if fulfilled:
                self._touch(customer["id"], done, "phone")

    def contacts(self, customer: dict[str, Any]) -> None:
        """Routine calls and yearly visits; about one customer in eight has lapsed."""
        rng = self.rng
        since = datetime.combine(customer["since"], datetime.min.time()).astimezone(UTC)
        day = max(since, self.start) + timedelta(days=rng.randint(1, 20))
        lapsed = rng.random() < 0.12
        end = self.as_of - timedelta(days=rng.randint(35, 80)) if lapsed else self.as_of
        with transaction(self.conn):
            while day < end:
                new = (day - since).days < 90
                at = self.moment(day)
                if at < end:
                    method = rng.choice(["phone", "phone", "wechat", "wechat", "email"])
                    self.visit(customer["id"], "routine", at, method, rng.choice(STAFF),
                               satisfaction=rng.choice([None, 4, 5]))
                day += timedelta(days=rng.randint(5, 7) if new else rng.randint(20, 31))
            if rng.random() < 0.75:
                at = self.moment(self.as_of - timedelta(days=rng.randint(10, 350)))
                self.visit(customer["id"], "annual", at, "in-person", "張片區經理",
                           satisfaction=rng.choice([4, 5, 5]), quality=rng.choice([4, 5]),
                           attitude=5, suggestion=rng.choice([None, "希望增加綠化",
                                                              "電梯保養時間請提前通知"]))
            upcoming = self.as_of + timedelta(days=rng.randint(-3, 10))
            if rng.random() < 0.1:
                self.conn.execute(
                    "INSERT INTO visits (customer_id, kind, due_at, assigned_to, note, created_at) "
                    "VALUES (?, 'survey', ?, ?, ?, ?)",
                    (customer["id"], to_db(self.moment(upcoming)), "李客服", "滿意度調查回訪",
                     to_db(self.as_of - timedelta(days=14))))


DEPARTMENTS = {"漏水": "工程部", "噪音": "保安部", "空調": "工程部", "電梯": "工程部",
               "保安": "保安部", "清潔": "清潔部", "停車": "保安部", "網絡": "IDC運維部",
               "供電": "工程部"}
PLANS = {"工程部": "派維修組到場檢查，今日內更換損壞配件", "保安部": "加強巡邏，調閱監控查明原因",
         "清潔部": "增加清潔頻次，當班主管跟進", "IDC運維部": "值班工程師排查線路與設備告警"}


def _letters(session: Session, complaint_id: int) -> list[dict[str, Any]]:
    from crmcli.services import referrals

    return referrals.letters(session, complaint_id)


def build(conn: sqlite3.Connection, as_of: datetime, seed: int = 2026, customers: int = 200
          ) -> None:
    """Fill an empty crmcli database with a sample site as of ``as_of``, in one transaction:
    an interrupted `init --sample` leaves an empty database, which it can fill again."""
    with transaction(conn):
        _fill(conn, as_of, seed, customers)
        # the contacts above were entered directly: every customer's next-due dates at once
        from crmcli import next_due
        from crmcli.db import load_policies

        next_due.rebuild(conn, load_policies(conn).current)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")


def _fill(conn: sqlite3.Connection, as_of: datetime, seed: int, customers: int) -> None:
    from crmcli.services import sweep

    builder = _Builder(conn, as_of, seed)
    people = builder.customers(customers)
    with transaction(conn):
        conn.execute("INSERT INTO policy_settings (key, value, set_at, set_by) VALUES "
                     "('cadence.tag.VIP', '2w', ?, '陳主任'), ('area_manager', '張片區經理', ?, "
                     "'陳主任')", (to_db(builder.start), to_db(builder.start)))
    for customer in people:
        builder.contacts(customer)
    day = builder.start
    while day < builder.as_of:
        today = local_day(day)
        present = [p for p in people if p["since"] <= today]
        for _ in range(builder.rng.choice([0, 0, 1, 1, 1, 2])):
            builder.complaint_life(builder.rng.choice(present), day)
        for _ in range(builder.rng.choice([0, 1, 1, 2])):
            builder.service(builder.rng.choice(present), day)
        day += timedelta(days=1)
    with transaction(conn):  # a few customers' own days (業戶周年紀念日, 農曆生日) for `care`
        for customer_id, own, lunar in ((2, "開業紀念日=11-28", None), (5, None, "10-16"),
                                        (9, "結婚紀念日=12-02; 入伙=11-30", "L06-01"),
                                        (14, None, "10-20")):
            conn.execute("UPDATE customers SET anniversaries = ?, lunar_birthday = ? "
                         "WHERE id = ?", (own, lunar, customer_id))
    from crmcli import sample_desk

    sample_desk.build(conn, builder.as_of, builder.start, people, seed)
    sweep.sweep(Session(conn, builder.as_of, "system"), dry_run=False)
    property_and_money(conn, people, builder.as_of, seed)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    """That time of the day at the site, as UTC."""
    return (local_midnight(day) + timedelta(hours=hour, minutes=minute)).astimezone(UTC)


def property_and_money(conn: sqlite3.Connection, people: list[dict[str, Any]],
                       as_of: datetime, seed: int) -> None:
    """Handover dates, contracts with their renewals, three months of invoices and payments
    (a few late, part-paid or refused) and a year of credit reviews. Its own random stream,
    so the rest of the sample is as it was."""
    from crmcli import credit, handover, money
    from crmcli.cadence import add_span
    from crmcli.policy import Policy
    from crmcli.services import billing, contracts, reviews

    rng = random.Random(seed + 15)
    today = local_day(as_of)
    policy = Policy()
    # Handover (交付/入伙): flats handed over in the last 14 months; visits mostly made.
    for person in people:
        if person["segment"] == "enterprise" or (today - person["since"]).days > 420:
            continue
        handed = person["since"]
        renovating = "裝修中" in person["tags"]
        occupied = "不在住" not in person["tags"]
        conn.execute("UPDATE customers SET handover = ?, renovating = ?, occupied = ? "
                     "WHERE id = ?", (handed.isoformat(), int(renovating), int(occupied),
                                      person["id"]))
        if renovating or not occupied:
            continue
        with transaction(conn):
            for visit in handover.plan(handed, policy):
                if visit.invite_on < today - timedelta(days=1) and rng.random() < 0.97:
                    at = _local(visit.invite_on - timedelta(days=rng.randint(0, 2)), 10)
                    _visit(conn, person["id"], "invitation", at, "letter", "李客服")
                if visit.due < today - timedelta(days=2) and rng.random() < 0.96:
                    at = _local(visit.due + timedelta(days=rng.randint(-3, 2)), 15)
                    method = "in-person" if visit.kind == "inspection" else rng.choice(
                        ["in-person", "phone"])
                    _visit(conn, person["id"], visit.kind, at, method, "張片區經理",
                           satisfaction=rng.choice([4, 5]))
    # Contracts: tenants and IDC customers rent by the year, billed monthly (a few quarterly).
    renting = [p for p in people if p["segment"] in ("tenant", "enterprise")]
    for person in renting:
        start = person["since"]
        monthly = rng.randrange(3000_00, 20000_00, 50_00) if person["segment"] == "tenant" \
            else rng.randrange(8000_00, 60000_00, 100_00)
        billing_kind = "quarterly" if rng.random() < 0.15 else "monthly"
        amount = monthly * (3 if billing_kind == "quarterly" else 1)
        made = _local(start, 9)
        session = Session(conn, max(made, as_of - timedelta(days=365)), "陳主任")
        end = add_span(start, "12mo") - timedelta(days=1)
        contract = contracts.add(session, str(person["id"]), start, end,
                                 amount=money.as_major(amount, "CNY"),
                                 billing=billing_kind, note=None)
        while contract["end_on"] < today + timedelta(days=45 + rng.randint(0, 20)):
            renew_on = contract["end_on"] - timedelta(days=rng.randint(35, 80))
            if renew_on >= today:
                break
            session = Session(conn, _local(renew_on, 11), "陳主任")
            contract = contracts.renew(
                session, contract["id"], add_span(contract["end_on"], "12mo"),
                amount=None, note=None)
    # Invoices for the last three months, issued on the 1st, paid mostly on time.
    for back in (2, 1, 0):
        year, month = today.year, today.month - back
        if month < 1:
            year, month = year - 1, month + 12
        issued, _ = billing.issue_from_contracts(
            Session(conn, _local(date(year, month, 1), 9), "李客服"), year, month)
        for invoice in issued:
            roll = rng.random()
            due = invoice["due_on"]
            paid_on = due + timedelta(days=rng.randint(-8, 3))
            if paid_on >= today or roll < 0.015:
                continue  # not paid (yet)
            minor = invoice["amount_minor"]
            part = roll < 0.05
            method = rng.choice(["transfer", "transfer", "wechat", "cheque"])
            billing.record_payment(
                Session(conn, _local(paid_on, 16), "李客服"), str(invoice["customer_id"]),
                money.as_major(minor // 2 if part else minor, "CNY"), invoice_id=invoice["id"],
                at=None, method=method, note=None, by=None)
            rest_on = paid_on + timedelta(days=rng.randint(10, 30))
            if part and rest_on < today and rng.random() < 0.7:
                billing.record_payment(
                    Session(conn, _local(rest_on, 11), "李客服"), str(invoice["customer_id"]),
                    money.as_major(minor - minor // 2, "CNY"), invoice_id=invoice["id"],
                    at=None, method="transfer", note="餘款", by=None)
    # One bounced cheque last month (reported), one yesterday evening (not yet reported).
    cheques = conn.execute("SELECT id, paid_at FROM payments WHERE method = 'cheque' "
                           "ORDER BY paid_at").fetchall()
    if len(cheques) >= 2:
        early, late = cheques[len(cheques) // 3], cheques[-1]
        first = from_db(early[1]) + timedelta(days=3)
        billing.refuse(Session(conn, first, "李客服"), early[0], "支票退票：存款不足", None)
        billing.report_refusal(Session(conn, first + timedelta(minutes=20), "李客服"),
                               early[0], None, "張片區經理")
        evening = _local(today - timedelta(days=1), 18, 40)
        if from_db(late[1]) < evening:
            billing.refuse(Session(conn, evening, "李客服"), late[0], "銀行通知退票", None)
    # Credit reviews (顧客情報報告書) at each review month's end, most of them done.
    grade_of = dict(conn.execute("SELECT id, grade FROM customers").fetchall())
    first_month = as_of - timedelta(days=365)
    year, month = first_month.year, first_month.month
    while (year, month) < (today.year, today.month):
        end = credit.month_end(year, month)
        for person in people:
            grade = grade_of[person["id"]]
            if person["since"] >= date(year, month, 1) or not credit.review_due_in(
                    grade, year, month, policy) or rng.random() < 0.08:
                continue
            at = _local(end - timedelta(days=rng.randint(0, 4)), rng.randint(9, 17))
            new_grade = grade
            if grade == "B" and rng.random() < 0.04:
                new_grade = "A"
            elif grade == "A" and rng.random() < 0.03:
                new_grade = "B"
            note = "信用狀況良好，付款準時" if new_grade == grade else "交易規模變化，調整等級"
            in_first_year = (end - person["since"]).days < 365
            done = reviews.record_review(Session(conn, at, "陳主任"), str(person["id"]),
                                         grade=None if in_first_year else new_grade,
                                         note=note, at=None, by=None)
            grade_of[person["id"]] = done["grade"]
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _visit(conn: sqlite3.Connection, customer_id: int, kind: str, at: datetime, method: str,
           by: str, **extra: Any) -> None:
    columns = ["customer_id", "kind", "done_at", "method", "by", "created_at", *extra]
    conn.execute(
        f"INSERT INTO visits ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        (customer_id, kind, to_db(at), method, by, to_db(at), *extra.values()))
    stamp = to_db(at)
    conn.execute(
        "UPDATE customers SET last_contact_at = max(coalesce(last_contact_at, ''), ?), "
        "last_in_person_at = CASE WHEN ? = 'in-person' "
        "THEN max(coalesce(last_in_person_at, ''), ?) ELSE last_in_person_at END "
        "WHERE id = ?", (stamp, method, stamp, customer_id))
