"""The front desk of the large benchmark site (called by make_db.py, same connection).

The last ``months`` months of requests (replied to, closed at once, a few converted into a
complaint or a service order on file, a few voided, a few left owed this morning), quarterly
tenant meetings per building with their attendees and suggestions, monthly fire-safety notices
with sign-off (and a few without), each staff member's day records with some amended,
customers who moved out, and the handling sheet's entries (department, plan, work letters,
validity, the head's opinion, the result told) on a share of the complaints closed in those
months. Proportions follow ``crmcli/sample_desk.py`` scaled to the site.

Rows are written directly, in the shapes the services write: every request has its 'opened'
event and its stored reply time is its first reply; replies and meetings attended move
``customers.last_contact_at`` as ``contacts.refresh`` would; the complaints given sheet entries
have their stored state rewritten by ``complaints.store_state`` (the service's own), so
`crmcli check` finds the file consistent. Secondary indexes of the front-desk tables are
dropped and rebuilt around the load.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crmcli.sample_desk import (
    CHANNELS,
    DAY_NOTES,
    KIND_WEIGHTS,
    REPLIES,
    REQUESTS,
)
from crmcli.sample_desk import MEETING_SUGGESTIONS as SUGGESTIONS

TABLES = ("requests", "request_events", "meetings", "meeting_attendees", "notices",
          "notice_deliveries", "day_records")
HOUR = 3_600
DAY = 86_400
MINUTES = (0, 5, 10, 20, 30, 40, 45, 50)

# the sample site's words (crmcli/sample_desk.py), at a large site's scale
CALLERS = [("張先生", "13800001111"), ("林小姐", "13922223333"), ("陳太", "13755556666"),
           ("何先生", "13611112222"), ("吳小姐", "13533334444")]
DESK = ["陳主任", "李客服", "黃客服", "周客服"]
DEPARTMENTS = ["工程部", "保安部", "清潔部", "客服部", "停車場管理處"]
PLANS = ["安排師傅當日上門檢查並更換", "調閱監控並約談當班人員", "加派人手並調整排班",
         "與承包商核對合同條款後答覆客戶"]
OPINIONS = ["同意處理方法，請跟進至客戶滿意", "處理及時，請總結經驗", "請加強日常巡查"]
UNREASONABLE = ["客戶要求超出合同約定範圍，已書面解釋", "經核查與物業服務無關，已向客戶說明"]


@dataclass
class Person:
    id: int
    segment: str
    site: str
    created: int  # epoch seconds (created_at)
    last_contact: int | None
    moved_out: int | None = None


def _epoch(text: str | None) -> int | None:
    if text is None:
        return None
    day = date.fromisoformat(text[:10])
    return ((day - date(1970, 1, 1)).days * DAY + int(text[11:13]) * HOUR
            + int(text[14:16]) * 60 + int(text[17:19]))


def people(conn: sqlite3.Connection) -> list[Person]:
    return [Person(cid, segment or "", site or "", _epoch(created) or 0, _epoch(last))
            for cid, segment, site, created, last in conn.execute(
                "SELECT id, segment, site, created_at, last_contact_at FROM customers "
                "WHERE moved_out_at IS NULL ORDER BY id")]


class Desk:
    def __init__(self, conn: sqlite3.Connection, as_of: int, offset: int, months: int,
                 seed: int, ts_text: Callable[[int], str]) -> None:
        self.conn = conn
        self.as_of = as_of
        self.offset = offset
        self.rng = random.Random(seed + 17)
        self.text = ts_text
        self.start = as_of - months * 30 * DAY
        self.people = people(conn)
        self.requests: list[list[Any]] = []
        self.events: list[tuple[Any, ...]] = []
        self.contacts: dict[int, int] = {}
        self.voided_contacts: set[int] = set()
        self.counts: dict[str, int] = {}

    # time helpers (local days of the site)
    def local_day(self, ts: int) -> int:
        return (ts + self.offset) // DAY

    def at(self, day: int, hour_from: int = 9, hour_to: int = 18) -> int:
        return (day * DAY - self.offset + self.rng.randint(hour_from, hour_to - 1) * HOUR
                + self.rng.choice(MINUTES) * 60)

    def weekday(self, day: int) -> int:
        return (day + 3) % 7  # 1970-01-01 was a Thursday

    def present(self, person: Person, ts: int) -> bool:
        return person.created <= ts and (person.moved_out is None or person.moved_out > ts)

    def contact(self, customer_id: int | None, ts: int) -> None:
        if customer_id is not None and ts > self.contacts.get(customer_id, 0):
            self.contacts[customer_id] = ts

    # the parts
    def moved_out(self) -> None:
        """About 1.5 % of customers (tenants) left in the last two years, a few weeks after
        their last contact."""
        rng, rows = self.rng, []
        for person in self.people:
            if person.segment != "tenant" or rng.random() >= 0.03 or person.last_contact is None:
                continue
            leaving = person.last_contact + rng.randint(3, 20) * DAY
            if leaving >= self.as_of - DAY or leaving < self.as_of - 730 * DAY:
                continue
            leaving = self.local_day(leaving) * DAY - self.offset  # local midnight, as the desk
            person.moved_out = leaving
            rows.append((self.text(leaving), person.id))
        self.conn.executemany("UPDATE customers SET moved_out_at = ?, updated_at = ?1 "
                              "WHERE id = ?2", rows)
        self.counts["moved_out"] = len(rows)

    def request(self, when: int, kind: str, who: Person | None, meeting_id: int | None = None
                ) -> None:
        rng = self.rng
        if when >= self.as_of:
            return
        taker = rng.choice(DESK)
        caller = rng.choice(CALLERS) if who is None else None
        rid = len(self.requests) + 1
        due = when + 24 * HOUR
        channel = "meeting" if meeting_id else rng.choice(CHANNELS)
        row: list[Any] = [rid, who.id if who else None, caller[0] if caller else None,
                          caller[1] if caller else None, kind, channel,
                          rng.choice(REQUESTS[kind] if kind != "suggestion" or not meeting_id
                                     else SUGGESTIONS), meeting_id, when, taker, due,
                          None, None, None, None, None, None, None, None, None, None, when]
        self.requests.append(row)
        self.events.append((rid, when, "opened", taker, None, when))
        roll = rng.random()
        if roll < 0.12:  # answered on the spot
            note = rng.choice(REPLIES)
            self.events.append((rid, when, "closed", taker, note, when))
            row[11:15] = [when, taker, note, when]
        else:
            delay = rng.randint(1, 20) if roll < 0.93 else rng.randint(25, 50)
            replied = when + delay * HOUR
            if replied < self.as_of:
                note = rng.choice(REPLIES)
                self.events.append((rid, replied, "replied", taker, note, replied))
                row[11:14] = [replied, taker, note]
        if row[11] is not None and who is not None:
            self.contact(who.id, row[11])
        if rng.random() < 0.004:  # entered twice or by mistake
            voided = max(when, row[11] or when) + HOUR
            if voided < self.as_of:
                row[18:21] = [voided, "陳主任", "重複登記"]
                self.events.append((rid, voided, "voided", "陳主任", "重複登記", voided))
                if row[11] is not None and who is not None:
                    self.contacts.pop(who.id, None)  # its reply no longer counts
                    self.voided_contacts.add(who.id)

    def all_requests(self) -> None:
        """~1.5 requests a customer a year (the sample's rate), on weekdays more."""
        rng = self.rng
        per_day = len(self.people) * 1.5 / 365
        for day in range(self.local_day(self.start), self.local_day(self.as_of) + 1):
            count = int(per_day * (1.2 if self.weekday(day) < 5 else 0.5) * rng.uniform(0.8, 1.2))
            for _ in range(count):
                when = self.at(day, 8, 21)
                who = rng.choice(self.people)
                if rng.random() < 0.08:
                    self.request(when, rng.choice(KIND_WEIGHTS), None)
                elif self.present(who, when):
                    self.request(when, rng.choice(KIND_WEIGHTS), who)

    def conversions(self) -> None:
        """Requests that became a complaint or a service order on file (3 % of complaints and
        5 % of services of these months): received when the complaint was opened."""
        rng, conn = self.rng, self.conn
        start = self.text(self.start)
        for cid, customer_id, opened in conn.execute(
                "SELECT id, customer_id, opened_at FROM complaints WHERE opened_at >= ? "
                "ORDER BY id", (start,)).fetchall():
            if rng.random() < 0.03:
                self._converted(customer_id, _epoch(opened) or 0, "complaint", cid, 5 * 60)
        for sid, customer_id, done in conn.execute(
                "SELECT id, customer_id, done_at FROM services WHERE done_at >= ? AND type = "
                "'repair' ORDER BY id", (start,)).fetchall():
            if rng.random() < 0.05:
                at = (_epoch(done) or 0) - rng.randint(2, 30) * HOUR
                self._converted(customer_id, at, "service", sid, (_epoch(done) or 0) - at)

    def _converted(self, customer_id: int, when: int, to: str, number: int, after: int) -> None:
        if when < self.start or when + after >= self.as_of:
            return
        rid = len(self.requests) + 1
        taker = self.rng.choice(DESK)
        kind = "repair" if to == "service" else "other"
        row: list[Any] = [rid, customer_id, None, None, kind, self.rng.choice(CHANNELS),
                          self.rng.choice(REQUESTS[kind]), None, when, taker, when + 24 * HOUR,
                          None, None, None, None, when + after,
                          number if to == "complaint" else None,
                          number if to == "service" else None, None, None, None, when]
        self.requests.append(row)
        self.events.append((rid, when, "opened", taker, None, when))
        self.events.append((rid, when + after, "converted", taker, f"{to} #{number}",
                            when + after))

    def meetings(self) -> list[tuple[Any, ...]]:
        """A quarterly meeting per building, ~40 % of its current customers attending, each
        bringing a few suggestions (requests owed a reply like any other)."""
        rng = self.rng
        buildings: dict[str, list[Person]] = {}
        for person in self.people:
            buildings.setdefault(person.site, []).append(person)
        meetings: list[tuple[Any, ...]] = []
        attendees: list[tuple[int, int]] = []
        first = date(1970, 1, 1) + timedelta(days=self.local_day(self.start))
        last = date(1970, 1, 1) + timedelta(days=self.local_day(self.as_of))
        quarter = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
        while quarter <= last:
            held_day = quarter + timedelta(days=75)  # mid third month
            while held_day.weekday() != 4:
                held_day += timedelta(days=1)
            day = (held_day - date(1970, 1, 1)).days
            for number, (site, group) in enumerate(sorted(buildings.items())):
                held = day * DAY - self.offset + 19 * HOUR + number * 10 * 60
                if held < self.start or held >= self.as_of - 3 * HOUR:
                    continue
                mid = len(meetings) + 1
                meetings.append((mid, f"{held_day.year} Q{(held_day.month - 1) // 3 + 1} "
                                 f"{site}租戶大會", "quarterly", held, "陳主任",
                                 "物業費收支、消防演練安排、租戶意見交流", held + 3 * HOUR))
                chosen = [p for p in group if self.present(p, held) and rng.random() < 0.4]
                for person in chosen:
                    attendees.append((mid, person.id))
                    self.contact(person.id, held)
                for index in range(max(2, len(chosen) // 400)):
                    self.request(held + (20 + 2 * index) * 60, "suggestion", rng.choice(chosen),
                                 mid)
            quarter = _add_months(quarter, 3)
        self.conn.executemany(
            "INSERT INTO meetings (id, title, kind, held_at, by, note, created_at) VALUES "
            f"(?, ?, ?, {_T}, ?, ?, {_T})", meetings)
        self.conn.executemany("INSERT INTO meeting_attendees (meeting_id, customer_id) "
                              "VALUES (?, ?)", attendees)
        self.counts["meetings"] = len(meetings)
        self.counts["meeting_attendees"] = len(attendees)
        return meetings

    def notices(self) -> None:
        """A fire-safety notice with sign-off to every current customer on the 5th of each
        month, signed within 60 h (1.2 % of the last one's still being chased, as in the
        sample), and a few greetings and weather warnings without."""
        rng = self.rng
        first = date(1970, 1, 1) + timedelta(days=self.local_day(self.start))
        last = date(1970, 1, 1) + timedelta(days=self.local_day(self.as_of))
        sends: list[tuple[date, str, str, bool]] = []
        month = date(first.year, first.month, 1)
        while month <= last:
            sends.append((month.replace(day=5), f"{month.month}月消防安全檢查通知",
                          "fire-safety", True))
            if month.month in (1, 9):
                sends.append((month.replace(day=24), "節日問候及假期服務安排", "greeting", False))
            if month.month in (6, 8):
                sends.append((month.replace(day=12), "暴雨預警：請檢查門窗及排水", "weather",
                              False))
            month = _add_months(month, 1)
        notices: list[tuple[Any, ...]] = []
        deliveries: list[tuple[Any, ...]] = []
        for day, title, kind, sign_off in sorted(sends):
            sent = (day - date(1970, 1, 1)).days * DAY - self.offset + 10 * HOUR
            if sent < self.start or sent >= self.as_of:
                continue
            nid = len(notices) + 1
            notices.append((nid, title, kind, "all", int(sign_off),
                            self.text(sent + 3 * DAY) if sign_off else None, self.text(sent),
                            "李客服", self.text(sent)))
            recent = self.as_of - sent < 25 * DAY
            for person in self.people:
                if not self.present(person, sent):
                    continue
                signed = None
                if sign_off and not (recent and rng.random() < 0.012):
                    at = sent + rng.randint(2, 60) * HOUR
                    signed = self.text(at) if at < self.as_of else None
                deliveries.append((nid, person.id, signed, "李客服" if signed else None))
        self.conn.executemany(
            "INSERT INTO notices (id, title, kind, audience, sign_off, signoff_due, sent_at, by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", notices)
        self.conn.executemany(
            "INSERT INTO notice_deliveries (notice_id, customer_id, signed_at, signed_by, "
            "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?3, ?4)", deliveries)
        self.counts["notices"] = len(notices)
        self.counts["notice_deliveries"] = len(deliveries)

    def day_records(self) -> None:
        """Every desk and area person's day on weekdays of the last 90 days (one site of this
        size has a team of about 40); 3 % amended the same evening."""
        rng = self.rng
        staff = [f"{name}{number:02d}" for number in range(1, 11)
                 for name in ("客服", "工程", "管家", "保安主管")]
        rows: list[tuple[Any, ...]] = []
        today = self.local_day(self.as_of)
        for day in range(today - 90, today):
            if self.weekday(day) >= 5:
                continue
            text = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
            for person in staff:
                if rng.random() >= 0.9:
                    continue
                leaving = day * DAY - self.offset + 18 * HOUR + rng.randint(0, 50) * 60
                rid = len(rows) + 1
                rows.append((rid, person, text, rng.randint(70, 100), rng.choice(DAY_NOTES),
                             None, self.text(leaving)))
                if rng.random() < 0.03:
                    rows.append((rid + 1, person, text, rng.randint(80, 100),
                                 rng.choice(DAY_NOTES), rid, self.text(leaving + 40 * 60)))
        self.conn.executemany(
            "INSERT INTO day_records (id, person, day, plan_done_pct, note, supersedes, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.counts["day_records"] = len(rows)

    def write_requests(self) -> None:
        times = (8, 10, 11, 14, 15, 18, 21)
        for row in self.requests:
            for column in times:
                if row[column] is not None:
                    row[column] = self.text(row[column])
        self.conn.executemany(
            "INSERT INTO requests (id, customer_id, caller, caller_phone, kind, channel, text, "
            "meeting_id, received_at, received_by, reply_due, replied_at, replied_by, "
            "reply_note, closed_at, converted_at, complaint_id, service_id, voided_at, "
            "voided_by, void_reason, created_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.requests)
        self.events.sort(key=lambda e: (e[0], e[1]))
        self.conn.executemany(
            "INSERT INTO request_events (request_id, at, action, by, note, recorded_at) VALUES "
            f"(?, {_T}, ?, ?, ?, {_T})", self.events)
        self.counts["requests"] = len(self.requests)
        self.counts["request_events"] = len(self.events)

    def write_contacts(self) -> None:
        """Replies and meetings are contacts: the latest moves forward (a voided reply's
        customer is worked out again from the whole history, as contacts.refresh does)."""
        self.conn.executemany(
            "UPDATE customers SET last_contact_at = ?1 WHERE id = ?2 AND "
            "(last_contact_at IS NULL OR last_contact_at < ?1)",
            [(self.text(ts), cid) for cid, ts in sorted(self.contacts.items())])
        from crmcli.services.contacts import CONTACTS

        self.conn.executemany(
            f"UPDATE customers AS c SET last_contact_at = (SELECT max(at) FROM ({CONTACTS})) "
            "WHERE c.id = ?", [(cid,) for cid in sorted(self.voided_contacts)])


_T = "strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch')"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def sheet(conn: sqlite3.Connection, as_of: int, start: int, seed: int,
          ts_text: Callable[[int], str]) -> int:
    """Handling-sheet entries on 6 % of the complaints closed in these months (the sample's
    share), each between the opening and the closing: the department and its plan, a work
    letter for a quarter of them, the validity judged for some, the head's opinion for most,
    the result told in writing for some; then the complaint's stored state rewritten by the
    service."""
    from crmcli.dates import from_db
    from crmcli.services import Session, complaints

    rng = random.Random(seed + 19)
    rows = conn.execute(
        "SELECT id, opened_at, closed_at FROM complaints WHERE status = 'closed' AND "
        "closed_at >= ? AND closed_at < ? ORDER BY id",
        (ts_text(start), ts_text(as_of))).fetchall()
    chosen = [row for row in rows if rng.random() < 0.06]
    events: list[tuple[Any, ...]] = []
    for cid, opened_text, closed_text in chosen:
        opened, closed = _epoch(opened_text) or 0, _epoch(closed_text) or 0
        span = closed - opened
        if span < 20 * 60:
            continue
        step = span // 8
        by = rng.choice(DESK)
        department = rng.choice(DEPARTMENTS)
        at = opened + min(step, 600) // 60 * 60
        events.append((cid, at, "assigned", by, f"department complained about: {department}",
                       None, "department", None, department))
        plan_at = at + min(step, rng.choice((20, 40, 55, 90)) * 60) // 60 * 60
        events.append((cid, plan_at, "planned", by, rng.choice(PLANS), department, "plan",
                       None, None))
        if rng.random() < 0.25:  # a work letter to another department, answered in time
            letter = len(events)
            other = rng.choice([d for d in DEPARTMENTS if d != department])
            sent = plan_at + 60
            due = sent + max(step, 3600) // 60 * 60
            events.append((cid, sent, "referred", by, f"work letter to {other}", other,
                           "letter", None, ts_text(due)))
            events.append((cid, min(due, closed - 60), "referral_done", by,
                           f"letter to {other} done", other, "letter", letter, None))
        if rng.random() < 0.15:
            unreasonable = rng.random() < 0.3
            events.append((cid, closed - 120, "validity", by,
                           rng.choice(UNREASONABLE) if unreasonable else "judged valid",
                           None, "validity", "valid",
                           "unreasonable" if unreasonable else "valid"))
        if rng.random() < 0.75:
            opinion = rng.choice(OPINIONS)
            events.append((cid, closed - 60, "opinion", "資產管理部負責人", opinion, None,
                           "opinion", None, opinion))
        if rng.random() < 0.4:
            events.append((cid, closed, "notified", by, "result told to the customer in "
                           "writing", None, "notice", None, "written"))
    # Letters are numbered by their entry's id: insert one by one where a letter is answered.
    insert = ("INSERT INTO complaint_events (complaint_id, at, action, by, note, escalated_to, "
              "field, old_value, new_value, automatic, recorded_at) VALUES "
              "(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?2)")
    letters: dict[int, int] = {}
    touched = sorted({cid for cid, *_ in events})
    for index, (cid, at, action, by, note, to, fld, old, new) in enumerate(events):
        if action == "referral_done":
            old = str(letters[old])
        cursor = conn.execute(insert, (cid, ts_text(at), action, by, note, to, fld, old,
                                       new if action != "planned" else note))
        if action == "referred":
            letters[index] = int(cursor.lastrowid or 0)
    session = Session(conn, from_db(ts_text(as_of)), "陳主任")
    for cid in touched:
        complaints.store_state(session, cid)
    return len(touched)


def write(conn: sqlite3.Connection, *, as_of: int, offset: int, months: int, seed: int,
          ts_text: Callable[[int], str]) -> dict[str, int]:
    """Generate and insert all of it in one transaction; returns the row counts."""
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        f"tbl_name IN ({', '.join(repr(t) for t in TABLES)}) ORDER BY rowid").fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    desk = Desk(conn, as_of, offset, months, seed, ts_text)
    conn.execute("INSERT INTO policy_settings (key, value, set_at, set_by) VALUES "
                 "('notice.every.fire-safety', '1mo', ?, '陳主任')", (ts_text(desk.start),))
    desk.moved_out()
    desk.meetings()
    desk.notices()
    desk.all_requests()
    desk.conversions()
    desk.write_requests()
    desk.day_records()
    for _, sql in indexes:
        conn.execute(sql)
    desk.write_contacts()
    desk.counts["sheet_complaints"] = sheet(conn, as_of, desk.start, seed, ts_text)
    conn.execute("COMMIT")
    return desk.counts
