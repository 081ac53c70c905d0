"""The sample site's front desk: a year of requests, tenant meetings, notices and day records.

Entered through the services at simulated times, after the rest of the sample, with its own
random stream (the complaints and visits of the sample stay as they were).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crmcli.dates import local_midnight, to_db, to_local
from crmcli.db import transaction
from crmcli.services import Session

STAFF = ["陳主任", "李客服", "黃客服"]
REQUESTS = {
    "inquiry": ["停車位月租多少", "管理費繳費方式", "快遞可否代收", "裝修需要辦甚麼手續",
                "机房访问授权流程", "租約續期流程", "垃圾分類時間"],
    "repair": ["洗手間燈不亮", "門禁卡失靈", "冷氣滴水", "窗戶關不緊", "插座沒電"],
    "service": ["申請加裝貨架", "預約搬家電梯", "申请临时停车证", "代訂桶裝水"],
    "suggestion": ["大堂增加座椅", "希望延長空調時間", "增設充電樁"],
    "praise": ["保安很熱心", "維修師傅很專業"],
    "other": ["遺失物品查詢", "訪客登記問題"],
}
KIND_WEIGHTS = ["inquiry"] * 5 + ["repair"] * 3 + ["service"] * 2 + ["suggestion", "praise",
                                                                      "other"]
CHANNELS = ["hotline", "hotline", "phone", "wechat", "wechat", "visit", "email"]
REPLIES = ["已電話回覆", "已微信告知", "已安排師傅上門", "已轉交工程部並告知客戶", "已當面說明"]
MEETING_SUGGESTIONS = ["增設充電樁", "電梯保養請提前通知", "希望增加綠化", "大堂增加座椅",
                       "延長中央空調時間", "加強夜間巡邏"]
DAY_NOTES = ["完成計劃回訪，無遺留", "完成報修跟進；一戶待明日上門", "處理訴求為主，計劃大致完成",
             "消防通知簽收跟進中", "租戶大會籌備", "計劃完成"]
CALLERS = [("張先生", "13800001111"), ("林小姐", "13922223333"), ("陳太", "13755556666")]


class DeskBuilder:
    def __init__(self, conn: sqlite3.Connection, as_of: datetime, start: datetime,
                 people: list[dict[str, Any]], seed: int) -> None:
        self.conn = conn
        self.as_of = as_of
        self.start = start
        self.people = people
        self.rng = random.Random(seed * 7 + 14)

    def at(self, day: date, hour_from: int = 9, hour_to: int = 18) -> datetime:
        hour = self.rng.randint(hour_from, hour_to - 1)
        minute = self.rng.choice((0, 5, 10, 20, 30, 40, 45, 50))
        return (local_midnight(day) + timedelta(hours=hour, minutes=minute)).astimezone(UTC)

    def session(self, at: datetime, user: str) -> Session:
        return Session(self.conn, min(at, self.as_of), user)

    def present(self, day: date) -> list[dict[str, Any]]:
        return [p for p in self.people if p["since"] <= day and not p.get("moved_out")]

    def request(self, day: date, kind: str | None = None, meeting_id: int | None = None,
                customer: dict[str, Any] | None = None, at: datetime | None = None) -> None:
        from crmcli.services import requests

        rng = self.rng
        kind = kind or rng.choice(KIND_WEIGHTS)
        when = at or self.at(day, 8, 21)
        if when >= self.as_of:
            return
        taker = rng.choice(STAFF)
        caller = rng.choice(CALLERS) if customer is None and rng.random() < 0.08 else None
        who = customer or rng.choice(self.present(day))
        new = requests.NewRequest(
            text=rng.choice(REQUESTS[kind]), customer=None if caller else str(who["id"]),
            caller=caller[0] if caller else None, phone=caller[1] if caller else None,
            kind=kind, channel=None if meeting_id else rng.choice(CHANNELS),
            meeting_id=meeting_id, at=when, by=taker)
        request = requests.open_request(self.session(when, taker), new)
        roll = rng.random()
        if roll < 0.12:  # answered on the spot
            requests.close(self.session(when, taker), request["id"], rng.choice(REPLIES), when,
                           taker)
            return
        delay = timedelta(hours=rng.randint(1, 20)) if roll < 0.93 else timedelta(
            hours=rng.randint(25, 50))
        replied = when + delay
        if replied < self.as_of:
            requests.reply(self.session(replied, taker), request["id"], rng.choice(REPLIES),
                           replied, taker)

    def requests(self) -> None:
        day = to_local(self.start).date()
        last = to_local(self.as_of).date()
        while day <= last:
            for _ in range(self.rng.choice([0, 0, 1, 1, 1, 2] if day.weekday() < 5 else [0, 1])):
                self.request(day)
            day += timedelta(days=1)

    def last_night(self) -> None:
        """This morning's front desk: the 24-hour hotline's overnight calls await a reply, and
        one request from Saturday was never answered."""
        from crmcli.services import requests

        moments = [(self.as_of - timedelta(hours=45, minutes=20), "repair", "陽台排水口堵塞"),
                   (self.as_of - timedelta(hours=13, minutes=5), "inquiry", "明天停水幾點恢復"),
                   (self.as_of - timedelta(hours=2, minutes=50), "repair", "單位漏水，樓下滴水")]
        tenants = [p for p in self.present(to_local(self.as_of).date())
                   if p["segment"] == "tenant"]
        for index, (when, kind, text) in enumerate(moments):
            customer = tenants[-1 - index]
            requests.open_request(self.session(when, "黃客服"), requests.NewRequest(
                text=text, customer=str(customer["id"]), kind=kind, channel="hotline",
                at=when, by="黃客服"))

    def meetings(self) -> None:
        from crmcli.services import meetings

        first = to_local(self.start).date()
        for held_day in (date(2025, 12, 12), date(2026, 3, 20), date(2026, 6, 19),
                         date(2026, 9, 18)):
            if held_day < first:
                continue
            held = (local_midnight(held_day) + timedelta(hours=19)).astimezone(UTC)
            attending = [p for p in self.present(held_day) if p["segment"] != "enterprise"
                         or self.rng.random() < 0.5]
            chosen = [p for p in attending if self.rng.random() < 0.62]
            meeting = meetings.log_meeting(
                self.session(held + timedelta(hours=3), "陳主任"),
                f"{held_day.year} Q{(held_day.month - 1) // 3 + 1} 全體租戶大會", at=held,
                kind="quarterly", attended=[str(p["id"]) for p in chosen],
                note="物業費收支、消防演練安排、租戶意見交流", by="陳主任")
            for index in range(self.rng.randint(2, 4)):
                customer = self.rng.choice(chosen)
                self.request(held_day, "suggestion", meeting["id"], customer,
                             held + timedelta(minutes=20 + 10 * index))

    def notices(self) -> None:
        from crmcli.services import notices

        rng = self.rng
        first = to_local(self.start).date()
        sends: list[tuple[date, str, str, bool, tuple[str, ...]]] = []
        month = date(first.year, first.month, 1)
        while month <= to_local(self.as_of).date():
            sends.append((month.replace(day=5), f"{month.month}月消防安全檢查通知", "fire-safety",
                          True, ()))
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        sends += [(date(2026, 1, 28), "春節問候及假期服務安排", "greeting", False, ()),
                  (date(2026, 6, 12), "暴雨預警：請檢查門窗及排水", "weather", False, ()),
                  (date(2026, 9, 15), "颱風「樺加沙」預警：請收好露台物品", "weather", False, ()),
                  (date(2026, 9, 24), "中秋節問候", "greeting", False, ())]
        for day, title, kind, sign_off, to in sorted(sends):
            if day < first or local_midnight(day) >= self.as_of:
                continue
            sent = (local_midnight(day) + timedelta(hours=10)).astimezone(UTC)
            notice = notices.send(self.session(sent, "李客服"), notices.NewNotice(
                title, kind, to, sign_off, sent, "李客服"))
            if not sign_off:
                continue
            recent = (self.as_of - sent).days < 25
            for delivery in notices.deliveries(self.session(sent, "李客服"), notice["id"]):
                if recent and rng.random() < 0.012:
                    continue  # still to be chased
                signed = sent + timedelta(hours=rng.randint(2, 60))
                if signed < self.as_of:
                    notices.sign(self.session(signed, "李客服"), notice["id"],
                                 str(delivery["customer_id"]), signed, None)

    def day_records(self) -> None:
        from crmcli.services import days

        last = to_local(self.as_of).date()
        day = last - timedelta(days=45)
        while day < last:
            if day.weekday() < 5:
                for person in STAFF:
                    if self.rng.random() < 0.9:
                        leaving = (local_midnight(day) + timedelta(hours=18, minutes=self.rng
                                                                   .randint(0, 50)))
                        days.close_day(self.session(leaving.astimezone(UTC), person),
                                       self.rng.choice(DAY_NOTES), self.rng.randint(70, 100),
                                       person, day)
            day += timedelta(days=1)

    def moved_out(self) -> None:
        from crmcli.services import customers

        leaving = [p for p in self.people if p["segment"] == "tenant"][3:6]
        for number, person in enumerate(leaving):
            when = self.as_of - timedelta(days=40 + 30 * number)
            moment = local_midnight(to_local(when).date()).astimezone(UTC)
            customers.edit(self.session(moment, "陳主任"), str(person["id"]),
                           {"moved_out_at": moment}, add_tags=[], remove_tags=[])
            person["moved_out"] = True


def build(conn: sqlite3.Connection, as_of: datetime, start: datetime,
          people: list[dict[str, Any]], seed: int) -> None:
    builder = DeskBuilder(conn, as_of, start, people, seed)
    with transaction(conn):
        conn.execute("INSERT INTO policy_settings (key, value, set_at, set_by) VALUES "
                     "('notice.every.fire-safety', '1mo', ?, '陳主任')", (to_db(start),))
    builder.moved_out()
    builder.meetings()
    builder.notices()
    builder.requests()
    builder.last_night()
    builder.day_records()
