"""Schemas 5–11: the site clock and corrections, privacy, the front desk, folded names, the
handling sheet, property and money, stored month figures."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script, remember_categories


def m005_site_clock_and_corrections(conn: sqlite3.Connection) -> None:
    """The site's time zone, corrections, and the figures the seeds ask for.

    - The zone is recorded once from the local zone (``TZ``, else the system's): from now on
      days, months and shown times follow it, whatever zone a command runs under.
    - Visits and services can be voided (who, when, why; the row stays), services name who
      took the order (接單人: the follow-up is theirs), a follow-up can be marked unresolved.
    - Indexes: unclosed complaints *and* closed ones whose report to the head is still owed
      (``attention_at``); feedback deadlines by their due time (the month counts each once);
      the voids of complaint entries. ``complaint_categories`` keeps the spelling each
      category was first entered in (空調 and 空调 are one category, shown as first typed).
    """
    from crmcli.dates import process_zone_name

    if not conn.execute("SELECT 1 FROM policy_settings WHERE key = 'timezone'").fetchone():
        conn.execute("INSERT INTO policy_settings (key, value, set_at, set_by) "
                     "VALUES ('timezone', ?, '1970-01-01T00:00:00Z', 'crmcli')",
                     (process_zone_name(),))
    execute_script(
        conn,
        """
        ALTER TABLE visits ADD COLUMN voided_at TEXT;
        ALTER TABLE visits ADD COLUMN voided_by TEXT;
        ALTER TABLE visits ADD COLUMN void_reason TEXT;
        ALTER TABLE visits ADD COLUMN unresolved INTEGER NOT NULL DEFAULT 0
            CHECK (unresolved IN (0, 1));
        ALTER TABLE visits ADD COLUMN cleared_at TEXT;
        ALTER TABLE visits ADD COLUMN cleared_by TEXT;
        ALTER TABLE visits ADD COLUMN cleared_how TEXT;
        ALTER TABLE services ADD COLUMN received_by TEXT;
        ALTER TABLE services ADD COLUMN voided_at TEXT;
        ALTER TABLE services ADD COLUMN voided_by TEXT;
        ALTER TABLE services ADD COLUMN void_reason TEXT;
        UPDATE services SET received_by = by;
        CREATE INDEX complaints_owed ON complaints (attention_at, customer_id, owner,
            received_by, summary, status) WHERE attention_at IS NOT NULL;
        CREATE INDEX complaint_outcomes_response ON complaint_outcomes
            (response_due, response_met_at, response_missed) WHERE response_due IS NOT NULL;
        CREATE INDEX complaints_category ON complaints (category, opened_at)
            WHERE category IS NOT NULL;
        CREATE INDEX complaint_events_voids ON complaint_events (complaint_id, old_value)
            WHERE action = 'voided';
        CREATE INDEX visits_unsatisfied ON visits (done_at)
            WHERE (satisfaction <= 2 OR quality <= 2 OR attitude <= 2 OR unresolved = 1)
            AND voided_at IS NULL AND cleared_at IS NULL;
        DROP INDEX complaints_attention;
        CREATE TABLE complaint_categories (
            key TEXT PRIMARY KEY,
            label TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    )
    remember_categories(conn)
    # The rules changed (the report to the head outlives closing; deadlines on the minute):
    # every stored outcome is worked out again, and a closed complaint whose report is still
    # owed needs attention; unclosed ones are looked at afresh by the next sweep.
    from crmcli import outcomes
    from crmcli.db import load_policies

    outcomes.rebuild(conn, load_policies(conn))
    outcomes.reset_attention(conn)


def m006_sensitive_note(conn: sqlite3.Connection) -> None:
    """A note about a customer that is masked for everyone unless revealed (seed 003's 健康信息,
    physical handicap, dietary needs…), beside the ordinary note."""
    conn.execute("ALTER TABLE customers ADD COLUMN sensitive_note TEXT")


def m007_front_desk(conn: sqlite3.Connection) -> None:
    """The front desk's paper (seed 000, seed 001): requests, tenant meetings, notices with
    sign-off, each person's day record, and customers who moved out.

    A request's reply deadline is stored with it (``reply_due``, from the policy in force at
    receipt) and its first reply time never changes, so a missed reply stays missed and reports
    read it with SQL. Entries are voided, never deleted: ``voided_at`` with who and why. A day
    record amended is a new row that ``supersedes`` the one before. `today` reads the complaint
    entries made on a day through ``complaint_events_recorded``. ``archives`` and
    ``archived_months`` remember which complaints `crmcli archive` moved out, and where.
    """
    execute_script(
        conn,
        """
        ALTER TABLE customers ADD COLUMN moved_out_at TEXT;

        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('quarterly', 'special')),
            held_at TEXT NOT NULL,
            by TEXT NOT NULL,
            note TEXT,
            voided_at TEXT,
            voided_by TEXT,
            void_reason TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX meetings_held ON meetings (held_at);

        CREATE TABLE meeting_attendees (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id),
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            PRIMARY KEY (meeting_id, customer_id)
        ) WITHOUT ROWID;
        CREATE INDEX meeting_attendees_customer ON meeting_attendees (customer_id, meeting_id);

        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER REFERENCES customers (id),
            caller TEXT,
            caller_phone TEXT,
            kind TEXT NOT NULL,
            channel TEXT,
            text TEXT NOT NULL,
            meeting_id INTEGER REFERENCES meetings (id),
            received_at TEXT NOT NULL,
            received_by TEXT NOT NULL,
            reply_due TEXT NOT NULL,
            replied_at TEXT,
            replied_by TEXT,
            reply_note TEXT,
            closed_at TEXT,
            converted_at TEXT,
            complaint_id INTEGER REFERENCES complaints (id),
            service_id INTEGER REFERENCES services (id),
            voided_at TEXT,
            voided_by TEXT,
            void_reason TEXT,
            created_at TEXT NOT NULL,
            CHECK (customer_id IS NOT NULL OR caller IS NOT NULL)
        );
        CREATE INDEX requests_received ON requests (received_at);
        CREATE INDEX requests_customer ON requests (customer_id, received_at);
        CREATE INDEX requests_unreplied ON requests (reply_due, customer_id, received_by)
            WHERE replied_at IS NULL AND closed_at IS NULL AND converted_at IS NULL
            AND voided_at IS NULL;
        CREATE INDEX requests_meeting ON requests (meeting_id) WHERE meeting_id IS NOT NULL;
        CREATE INDEX requests_replied ON requests (replied_at, customer_id)
            WHERE replied_at IS NOT NULL;

        CREATE TABLE request_events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests (id),
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            by TEXT NOT NULL,
            note TEXT,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX request_events_request ON request_events (request_id, at);
        CREATE INDEX request_events_recorded ON request_events (recorded_at);

        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            kind TEXT NOT NULL,
            audience TEXT NOT NULL,
            sign_off INTEGER NOT NULL DEFAULT 0 CHECK (sign_off IN (0, 1)),
            signoff_due TEXT,
            sent_at TEXT NOT NULL,
            by TEXT NOT NULL,
            note TEXT,
            voided_at TEXT,
            voided_by TEXT,
            void_reason TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX notices_sent ON notices (sent_at);
        CREATE INDEX notices_kind ON notices (kind, sent_at);

        CREATE TABLE notice_deliveries (
            notice_id INTEGER NOT NULL REFERENCES notices (id),
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            signed_at TEXT,
            signed_by TEXT,
            recorded_at TEXT,
            recorded_by TEXT,
            PRIMARY KEY (notice_id, customer_id)
        ) WITHOUT ROWID;
        CREATE INDEX notice_deliveries_customer ON notice_deliveries (customer_id, notice_id);
        CREATE INDEX notice_deliveries_unsigned ON notice_deliveries (notice_id, customer_id)
            WHERE signed_at IS NULL;
        CREATE INDEX notice_deliveries_recorded ON notice_deliveries (recorded_at)
            WHERE recorded_at IS NOT NULL;

        CREATE TABLE day_records (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL,
            day TEXT NOT NULL,
            plan_done_pct INTEGER CHECK (plan_done_pct BETWEEN 0 AND 100),
            note TEXT NOT NULL,
            supersedes INTEGER REFERENCES day_records (id),
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX day_records_day ON day_records (day, person);
        CREATE INDEX complaint_events_recorded ON complaint_events (recorded_at)
            WHERE automatic = 0;

        CREATE TABLE archives (
            id INTEGER PRIMARY KEY,
            archived_at TEXT NOT NULL,
            by TEXT NOT NULL,
            cutoff TEXT NOT NULL,
            path TEXT NOT NULL,
            complaints INTEGER NOT NULL,
            events INTEGER NOT NULL,
            visits INTEGER NOT NULL
        );
        CREATE TABLE archived_months (
            month TEXT NOT NULL,
            archive_id INTEGER NOT NULL REFERENCES archives (id),
            complaints INTEGER NOT NULL,
            PRIMARY KEY (month, archive_id)
        ) WITHOUT ROWID;
        """,
    )


def m008_name_key_folds_chinese_script(conn: sqlite3.Connection) -> None:
    """``customers.name_key`` folds Traditional and Simplified Chinese as well (謝麗華 and
    谢丽华 are one name to look up and to check for duplicates): recomputed for every
    customer."""
    from crmcli.fields import name_keys

    rows = conn.execute("SELECT id, name FROM customers").fetchall()
    keys = name_keys([name for _, name in rows])
    conn.executemany("UPDATE customers SET name_key = ? WHERE id = ?",
                     zip(keys, (customer_id for customer_id, _ in rows), strict=True))


def m009_handling_sheet(conn: sqlite3.Connection) -> None:
    """The whole handling sheet (seed 004 《客戶投訴處置表》).

    - Each complaint names its complainant and their contact (投訴人, 聯繫方式), filled for the
      complaints on file from the customer's contact person (else its name) and phone.
    - The department complained about and the validity (有效 / 無理投訴) are kept on the
      complaint as its history last says them (entries ``assigned`` and ``validity``).
    - The handling plan is a deadline (``plan``): complaint_timers is rebuilt to accept it.
    - Indexes: referral letters (《工作聯繫函》, entries ``referred``) by due time.
    - Customers: their own anniversaries (``LABEL=MM-DD; …``, 業戶周年紀念日) and a lunar
      birthday (農曆生日 ``MM-DD``, ``LMM-DD`` for a leap month), for `care`.
    """
    from crmcli import outcomes

    execute_script(
        conn,
        """
        ALTER TABLE complaints ADD COLUMN complainant TEXT;
        ALTER TABLE complaints ADD COLUMN contact TEXT;
        ALTER TABLE complaints ADD COLUMN department TEXT;
        ALTER TABLE complaints ADD COLUMN validity TEXT
            CHECK (validity IN ('valid', 'unreasonable'));
        UPDATE complaints SET complainant = (SELECT coalesce(nullif(c.contact, ''), c.name)
            FROM customers c WHERE c.id = complaints.customer_id),
            contact = (SELECT coalesce(nullif(c.phone, ''), nullif(c.email, ''))
            FROM customers c WHERE c.id = complaints.customer_id);
        CREATE INDEX complaint_events_letters ON complaint_events (new_value, complaint_id)
            WHERE action = 'referred';
        ALTER TABLE customers ADD COLUMN anniversaries TEXT;
        ALTER TABLE customers ADD COLUMN lunar_birthday TEXT;
        """
        + outcomes.TIMERS_WITH_PLAN,
    )


def m010_property_and_money(conn: sqlite3.Connection) -> None:
    """Handover dates and occupancy, contracts, invoices, payments and credit reviews.

    Money is integer minor units (分 for CNY) with the site's currency on every row. A renewal
    is a new contract naming the one it ``renews``; the renewed one gets ``renewed_by`` once,
    so the contracts still running and unrenewed are one partial index (the renewal agenda).
    ``payment_applications`` and ``invoices.paid`` / ``settled_at`` are derived: which
    payment went to which invoice is recomputed from the invoices and payments on every
    money write (``crmcli.money.allocate``) and checked by `crmcli check`.
    """
    execute_script(
        conn,
        """
        ALTER TABLE customers ADD COLUMN handover TEXT;
        ALTER TABLE customers ADD COLUMN renovating INTEGER NOT NULL DEFAULT 0
            CHECK (renovating IN (0, 1));
        ALTER TABLE customers ADD COLUMN occupied INTEGER NOT NULL DEFAULT 1
            CHECK (occupied IN (0, 1));
        CREATE INDEX customers_handover ON customers (handover) WHERE handover IS NOT NULL;
        CREATE INDEX visits_handover ON visits (customer_id, kind, done_at)
            WHERE kind IN ('residence', 'inspection', 'invitation') AND done_at IS NOT NULL;

        CREATE TABLE contracts (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            start_on TEXT NOT NULL,
            end_on TEXT NOT NULL CHECK (end_on >= start_on),
            amount INTEGER CHECK (amount >= 0),
            billing TEXT NOT NULL DEFAULT 'once'
                CHECK (billing IN ('monthly', 'quarterly', 'yearly', 'once')),
            note TEXT,
            renews INTEGER UNIQUE REFERENCES contracts (id),
            renewed_by INTEGER UNIQUE REFERENCES contracts (id),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            ended_on TEXT,
            ended_at TEXT,
            ended_by TEXT,
            moved_out INTEGER NOT NULL DEFAULT 0 CHECK (moved_out IN (0, 1))
        );
        CREATE INDEX contracts_customer ON contracts (customer_id, end_on);
        CREATE INDEX contracts_running ON contracts (end_on)
            WHERE ended_on IS NULL AND renewed_by IS NULL;

        CREATE TABLE invoices (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            contract_id INTEGER REFERENCES contracts (id),
            amount INTEGER NOT NULL CHECK (amount > 0),
            currency TEXT NOT NULL,
            due_on TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            for_text TEXT,
            period TEXT,
            issued_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            paid INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0),
            settled_at TEXT,
            UNIQUE (contract_id, period)
        );
        CREATE INDEX invoices_customer ON invoices (customer_id, due_on);
        CREATE INDEX invoices_unpaid ON invoices (due_on, customer_id, amount, paid)
            WHERE settled_at IS NULL;

        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            invoice_id INTEGER REFERENCES invoices (id),
            amount INTEGER NOT NULL CHECK (amount > 0),
            currency TEXT NOT NULL,
            paid_at TEXT NOT NULL,
            method TEXT,
            by TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            refused_at TEXT,
            refused_by TEXT,
            refused_reason TEXT,
            reported_at TEXT,
            reported_by TEXT,
            reported_to TEXT
        );
        CREATE INDEX payments_customer ON payments (customer_id, paid_at);
        CREATE INDEX payments_unreported ON payments (refused_at)
            WHERE refused_at IS NOT NULL AND reported_at IS NULL;

        CREATE TABLE payment_applications (
            payment_id INTEGER NOT NULL REFERENCES payments (id),
            invoice_id INTEGER NOT NULL REFERENCES invoices (id),
            amount INTEGER NOT NULL CHECK (amount > 0),
            PRIMARY KEY (payment_id, invoice_id)
        ) WITHOUT ROWID;
        CREATE INDEX payment_applications_invoice ON payment_applications (invoice_id);

        CREATE TABLE customer_reviews (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            grade_before TEXT NOT NULL CHECK (grade_before IN ('A', 'B', 'C')),
            grade TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C')),
            note TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX customer_reviews_customer ON customer_reviews (customer_id, at);
        CREATE INDEX customer_reviews_at ON customer_reviews (at, customer_id);
        """,
    )


# The stored figures of completed months (``month_figures``) hold while no entry they are made
# of changes: any write to a table they read, with a time before a stored month's end, drops
# that month (and every later one). A table's times are all its time columns, old and new, so
# a void, an edit or a late entry is caught as surely as a new row.
_MONTH_SOURCES = {
    "visits": ("due_at", "done_at", "cancelled_at", "created_at", "voided_at", "cleared_at"),
    "complaints": ("opened_at", "major_at", "responded_at", "escalated_at", "closed_at",
                   "reopened_at", "created_at", "attention_at"),
    "complaint_outcomes": ("opened_at", "major_at", "escalated_at", "auto_escalated_at",
                           "missed_at", "response_due", "response_met_at", "closed_at"),
    "complaint_cycles": ("opened_at", "closed_at", "reopened_at", "complaint_opened_at",
                         "resolve_missed_at"),
    "complaint_timers": ("started_at", "due", "met_at", "cancelled_at"),
    "services": ("done_at", "created_at", "voided_at"),
    "requests": ("received_at", "reply_due", "replied_at", "closed_at", "converted_at",
                 "voided_at", "created_at"),
    "meetings": ("held_at", "voided_at", "created_at"),
    "notices": ("signoff_due", "sent_at", "voided_at", "created_at"),
    "policy_settings": ("set_at",),
}


def _earliest(row: str, columns: tuple[str, ...]) -> str:
    """SQL: each of ``columns`` of ``row`` (NEW or OLD), an unset time ('' or NULL) as none."""
    return ", ".join(f"ifnull(nullif({row}.{column}, ''), '9999')" for column in columns)


def m011_stored_month_figures(conn: sqlite3.Connection) -> None:
    """The figures of a completed month, stored once (``month_figures``: the month, its bounds
    in UTC, the recipe's version, the figures as JSON) and dropped by triggers whenever an
    entry dated before the month's end is added, changed or removed.

    - A complaint entry (an opening, a late entry, a void naming an earlier one) drops every
      month from the complaint's first entry on.
    - A meeting's attendee drops from the meeting's time on.
    - A customer counts from being filed (``created_at``) until moving out (``moved_out_at``):
      only those two columns drop months, so the daily contact dates do not.
    """
    execute_script(conn, """
        CREATE TABLE month_figures (
            month TEXT PRIMARY KEY,
            starts TEXT NOT NULL,
            ends TEXT NOT NULL,
            recipe INTEGER NOT NULL,
            figures TEXT NOT NULL,
            stored_at TEXT NOT NULL
        );
        CREATE INDEX month_figures_ends ON month_figures (ends);
    """)

    def trigger(name: str, when: str, table: str, earliest: str) -> None:
        # Only while some month is stored, and only when the entry is dated before the end of
        # the latest: a bulk write (an import) costs next to nothing.
        first = f"min('9999', {earliest})"
        conn.execute(f"CREATE TRIGGER month_figures_{name} AFTER {when} ON {table} "
                     "WHEN EXISTS (SELECT 1 FROM month_figures) AND "
                     f"(SELECT max(ends) FROM month_figures) > {first} BEGIN "
                     f"DELETE FROM month_figures WHERE ends > {first}; END")

    for table, columns in _MONTH_SOURCES.items():
        first = ""
        if table == "complaints":  # the complaint's own history, voided entries included
            first = (", ifnull((SELECT min(at) FROM complaint_events WHERE complaint_id = "
                     "{}.id), '9999')")
        trigger(f"{table}_insert", "INSERT", table, _earliest("NEW", columns)
                + first.format("NEW"))
        trigger(f"{table}_delete", "DELETE", table, _earliest("OLD", columns)
                + first.format("OLD"))
        trigger(f"{table}_update", "UPDATE", table, _earliest("NEW", columns) + ", "
                + _earliest("OLD", columns) + first.format("OLD"))
    history = ("ifnull((SELECT min(at) FROM complaint_events WHERE complaint_id = "
               "{0}.complaint_id), ''), ifnull({0}.at, ''), ifnull({0}.recorded_at, '')")
    trigger("events_insert", "INSERT", "complaint_events", history.format("NEW"))
    trigger("events_delete", "DELETE", "complaint_events", history.format("OLD"))
    trigger("events_update", "UPDATE", "complaint_events",
            history.format("NEW") + ", " + history.format("OLD"))
    meeting = ("ifnull((SELECT min(ifnull(held_at, '9999'), created_at) FROM meetings "
               "WHERE id = {}.meeting_id), '')")
    trigger("attendees_insert", "INSERT", "meeting_attendees", meeting.format("NEW"))
    trigger("attendees_delete", "DELETE", "meeting_attendees", meeting.format("OLD"))
    trigger("attendees_update", "UPDATE", "meeting_attendees",
            meeting.format("NEW") + ", " + meeting.format("OLD"))
    trigger("customers_insert", "INSERT", "customers",
            _earliest("NEW", ("created_at", "moved_out_at")))
    trigger("customers_delete", "DELETE", "customers", "ifnull(OLD.created_at, '')")
    trigger("customers_update", "UPDATE OF created_at, moved_out_at", "customers",
            _earliest("NEW", ("moved_out_at",)) + ", " + _earliest("OLD", ("moved_out_at",))
            + ", CASE WHEN NEW.created_at IS OLD.created_at THEN '9999' ELSE "
            "min(ifnull(NEW.created_at, ''), ifnull(OLD.created_at, '')) END")
