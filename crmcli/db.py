"""The SQLite connection, transactions and the schema's migrations.

A crmcli database is marked with ``PRAGMA application_id`` and versioned with
``PRAGMA user_version``; migrations are append-only functions, each applied in one
transaction together with its version bump. Never edit a released migration: add one.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.errors import DatabaseProblem
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.policy import PolicyHistory

APPLICATION_ID = 0x43524D43  # "CRMC"
BUSY_TIMEOUT_MS = 10_000


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction (``executescript`` would commit)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""


def m001_initial(conn: sqlite3.Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL CHECK (length(trim(name)) > 0),
            name_key TEXT NOT NULL,
            contact TEXT,
            phone TEXT,
            email TEXT,
            address TEXT,
            site TEXT,
            unit TEXT,
            segment TEXT,
            grade TEXT NOT NULL DEFAULT 'C' CHECK (grade IN ('A', 'B', 'C')),
            since TEXT,
            birthday TEXT,
            preferences TEXT NOT NULL DEFAULT '{}',
            note TEXT,
            confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1)),
            last_contact_at TEXT,
            last_in_person_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX customers_name_key ON customers (name_key);

        CREATE TABLE customer_tags (
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            tag TEXT NOT NULL,
            PRIMARY KEY (customer_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

        CREATE TABLE customer_changes (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT
        );
        CREATE INDEX customer_changes_customer ON customer_changes (customer_id, at);

        CREATE TABLE access_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            customer_id INTEGER REFERENCES customers (id),
            action TEXT NOT NULL,
            reason TEXT NOT NULL
        );

        CREATE TABLE policy_settings (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL
        );
        CREATE INDEX policy_settings_key ON policy_settings (key, set_at);

        CREATE TABLE complaints (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            summary TEXT NOT NULL,
            category TEXT,
            channel TEXT,
            severity_at_open TEXT NOT NULL CHECK (severity_at_open IN ('minor', 'major')),
            severity TEXT NOT NULL CHECK (severity IN ('minor', 'major')),
            status TEXT NOT NULL CHECK (status IN ('open', 'escalated', 'closed')),
            opened_at TEXT NOT NULL,
            received_by TEXT NOT NULL,
            owner TEXT,
            major_at TEXT,
            responded_at TEXT,
            escalated_at TEXT,
            closed_at TEXT,
            reopened_at TEXT,
            resolution TEXT,
            is_case INTEGER NOT NULL DEFAULT 0 CHECK (is_case IN (0, 1)),
            repeat_of INTEGER REFERENCES complaints (id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX complaints_opened ON complaints (opened_at);
        CREATE INDEX complaints_unclosed ON complaints (opened_at) WHERE status != 'closed';
        CREATE INDEX complaints_customer ON complaints (customer_id, category);
        CREATE INDEX complaints_closed ON complaints (closed_at) WHERE closed_at IS NOT NULL;

        CREATE TABLE complaint_events (
            id INTEGER PRIMARY KEY,
            complaint_id INTEGER NOT NULL REFERENCES complaints (id),
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            by TEXT NOT NULL,
            note TEXT,
            level INTEGER,
            reason TEXT,
            escalated_to TEXT,
            field TEXT,
            old_value TEXT,
            new_value TEXT,
            automatic INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, at);
        CREATE INDEX complaint_events_at ON complaint_events (at, action);

        CREATE TABLE services (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            type TEXT NOT NULL CHECK (type IN ('repair', 'maintenance', 'paid')),
            description TEXT NOT NULL,
            done_at TEXT NOT NULL,
            by TEXT NOT NULL,
            fee REAL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX services_done ON services (done_at);
        CREATE INDEX services_customer ON services (customer_id, done_at);

        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            kind TEXT NOT NULL,
            due_at TEXT,
            done_at TEXT,
            cancelled_at TEXT,
            method TEXT CHECK (method IN ('phone', 'wechat', 'in-person', 'email', 'letter')),
            expected_method TEXT,
            assigned_to TEXT,
            by TEXT,
            complaint_id INTEGER REFERENCES complaints (id),
            service_id INTEGER REFERENCES services (id),
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
            quality INTEGER CHECK (quality BETWEEN 1 AND 5),
            attitude INTEGER CHECK (attitude BETWEEN 1 AND 5),
            price_ok INTEGER CHECK (price_ok IN (0, 1)),
            shortcomings TEXT,
            suggestion TEXT,
            note TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX visits_pending ON visits (due_at)
            WHERE done_at IS NULL AND cancelled_at IS NULL;
        CREATE INDEX visits_customer ON visits (customer_id, done_at);
        CREATE INDEX visits_done ON visits (done_at) WHERE done_at IS NOT NULL;
        CREATE INDEX visits_due ON visits (due_at) WHERE due_at IS NOT NULL;
        CREATE INDEX visits_complaint ON visits (complaint_id) WHERE complaint_id IS NOT NULL;
        CREATE INDEX visits_service ON visits (service_id) WHERE service_id IS NOT NULL;
        """,
    )


def m002_attention_and_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for the cron query and the monthly report at a large site.

    ``complaints.attention_at`` is when an unclosed complaint next needs attention: its earliest
    running deadline. Its state can change only when a deadline passes, so ``visit due`` and
    ``complaint sweep`` replay only complaints whose attention time has come ('', the default
    for rows written without it, means not yet known: look now). The plain ``visits_due``
    index is dropped: SQLite preferred it to the partial index on pending visits and read every
    visit ever made.
    """
    execute_script(
        conn,
        """
        ALTER TABLE complaints ADD COLUMN attention_at TEXT DEFAULT '';
        CREATE INDEX complaints_attention ON complaints (attention_at) WHERE status != 'closed';
        DROP INDEX visits_due;
        CREATE INDEX visits_done_covering ON visits (done_at, method, customer_id, satisfaction)
            WHERE done_at IS NOT NULL;
        DROP INDEX visits_done;
        CREATE INDEX visits_followups_due ON visits (due_at, kind) WHERE due_at IS NOT NULL;
        CREATE INDEX customers_last_contact ON customers (last_contact_at);
        CREATE INDEX customers_last_in_person ON customers (last_in_person_at);
        CREATE INDEX customers_created ON customers (created_at);
        """,
    )


def m003_outcomes(conn: sqlite3.Connection) -> None:
    """Each complaint's outcome (its deadlines and open/closed stretches), for the reports.

    Filled by replaying every complaint's history once (see ``crmcli.outcomes``): about a
    minute per million complaints, inside this migration's one transaction.
    """
    from crmcli import outcomes

    execute_script(conn, outcomes.SCHEMA)
    outcomes.rebuild(conn, load_policies(conn))


def m004_covering_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for `visit list` and `visit due` at a large site.

    ``visits_register`` is the register's order (done time, else due time): a `visit list`
    with ``--limit`` reads its first rows and ``--month`` one range of it, where SQLite sorted
    every visit ever made (2 s at two million visits). ``visits_pending`` and
    ``complaints_attention`` now carry what `visit due` reads of a pending visit and of an
    unclosed complaint, so it never fetches their rows (the columns of the indexes' own WHERE
    included: SQLite reads a row for any column the query names that the index lacks).
    """
    execute_script(
        conn,
        """
        CREATE INDEX visits_register ON visits (coalesce(done_at, due_at), id)
            WHERE cancelled_at IS NULL;
        DROP INDEX visits_pending;
        CREATE INDEX visits_pending ON visits (due_at, customer_id, kind, assigned_to,
            expected_method, complaint_id, service_id, note, done_at, cancelled_at)
            WHERE done_at IS NULL AND cancelled_at IS NULL;
        DROP INDEX complaints_attention;
        CREATE INDEX complaints_attention ON complaints (attention_at, customer_id, owner,
            received_by, summary, status) WHERE status != 'closed';
        """,
    )


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

    outcomes.rebuild(conn, load_policies(conn))
    outcomes.reset_attention(conn)


def remember_categories(conn: sqlite3.Connection) -> None:
    """Record the first spelling of every category in use (for files written in bulk)."""
    from crmcli.textfold import fold

    for (category,) in conn.execute(
            "SELECT category FROM complaints WHERE category IS NOT NULL GROUP BY category "
            "ORDER BY min(opened_at)").fetchall():
        conn.execute("INSERT OR IGNORE INTO complaint_categories VALUES (?, ?)",
                     (fold(category), category))


def site_settings(conn: sqlite3.Connection) -> tuple[str, str]:
    """The site's zone and date order as last set (``policy set timezone|date_order``)."""
    found = dict(conn.execute(
        "SELECT key, value FROM policy_settings WHERE key IN ('timezone', 'date_order') "
        "ORDER BY set_at, id").fetchall())
    return found.get("timezone", "UTC"), found.get("date_order", "")


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


def m008_name_key_folds_chinese_script(conn: sqlite3.Connection) -> None:
    """``customers.name_key`` folds Traditional and Simplified Chinese as well (謝麗華 and
    谢丽华 are one name to look up and to check for duplicates): recomputed for every
    customer."""
    from crmcli.fields import name_keys

    rows = conn.execute("SELECT id, name FROM customers").fetchall()
    keys = name_keys([name for _, name in rows])
    conn.executemany("UPDATE customers SET name_key = ? WHERE id = ?",
                     zip(keys, (customer_id for customer_id, _ in rows), strict=True))


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


def load_policies(conn: sqlite3.Connection) -> PolicyHistory:
    """The policy history recorded in the file."""
    from crmcli.dates import from_db
    from crmcli.policy import PolicyHistory

    rows = conn.execute("SELECT set_at, key, value FROM policy_settings ORDER BY set_at, id")
    return PolicyHistory([(from_db(at), key, value) for at, key, value in rows])


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [
    m001_initial, m002_attention_and_indexes, m003_outcomes, m004_covering_indexes,
    m005_site_clock_and_corrections, m006_sensitive_note, m007_front_desk,
    m008_name_key_folds_chinese_script, m009_handling_sheet,
    m010_property_and_money,
]
LATEST = len(MIGRATIONS)


ROLLBACKS = [0]  # transactions rolled back in this process (an interrupt says whether one was)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once so a second writer waits instead of failing.

    Inside another (a command whose steps are each a service's transaction, as `complaint
    close --case` or `init --sample`), it is a savepoint of the outer one: the command is
    still one transaction, committed or rolled back whole.
    """
    if conn.in_transaction:
        name = f"step{next(_SAVEPOINTS)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        ROLLBACKS[0] += 1
        raise
    conn.execute("COMMIT")


_SAVEPOINTS = itertools.count(1)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


MIGRATION_WAITS = 90  # busy timeouts (15 min in all) to wait for another process's upgrade


def _begin_upgrade(conn: sqlite3.Connection) -> None:
    """Take the write lock for an upgrade, waiting as long as another process's upgrade may
    take (a million complaints: about two minutes), not just one busy timeout: cron's `visit
    due` started while someone's first run of a new release upgrades the file waits for it."""
    for attempt in range(MIGRATION_WAITS):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == MIGRATION_WAITS - 1:
                raise


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration the file lacks; returns how many ran."""
    applied = 0
    while (version := schema_version(conn)) < LATEST:
        _begin_upgrade(conn)
        try:
            if schema_version(conn) != version:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            ROLLBACKS[0] += 1
            raise
        conn.execute("COMMIT")
        applied += 1
    return applied


INTERRUPT_STEPS = 100_000  # SQLite steps between two chances for Ctrl-C


def _let_python_run() -> int:
    return 0


def _setting(conn: sqlite3.Connection, key: str) -> str | None:
    """The latest recorded value of one policy setting (the connection needs it before any
    session loads the whole history)."""
    row = conn.execute("SELECT value FROM policy_settings WHERE key = ? "
                       "ORDER BY set_at DESC, id DESC LIMIT 1", (key,)).fetchone()
    return None if row is None else str(row[0])



def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Python runs a signal's handler only between its own bytecodes, which a long statement
    # (the integrity check of a large file) never reaches: Ctrl-C waited for it to end. This
    # callback gives the handler its chance; the KeyboardInterrupt it raises there stops the
    # statement, and the sqlite3 module reports it as OperationalError('interrupted').
    conn.set_progress_handler(_let_python_run, INTERRUPT_STEPS)


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open a crmcli database, upgrading its schema; ``create`` makes a new one (mode 0600).

    A file the user may read but not write (or in a folder they cannot write, where SQLite
    cannot make its -wal/-shm files) is opened read-only: lists, reports and `visit due`
    work, and a command that writes is told why it cannot.
    """
    made = False
    if not path.exists():
        if not create:
            raise DatabaseProblem(_("No database at {path}; create it with `crmcli "
                                    "--db {path} init` (or check --db / CRMCLI_DB).").format(
                path=path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            import errno

            why = (f"the folder {path.parent} is not writable by you"
                   if exc.errno in (errno.EACCES, errno.EPERM) else os_reason(exc))
            raise DatabaseProblem(_("Cannot create {path}: {why}.").format(
                path=path, why=why)) from None
        made = True
    elif path.is_dir():
        raise DatabaseProblem(_("{path} is a directory, not a crmcli database.").format(
            path=path))
    elif not path.is_file():
        raise DatabaseProblem(_("{path} is not a regular file (a device or a pipe), "
                                "not a crmcli database.").format(
            path=path))
    elif create and path.stat().st_size == 0:
        _private(path)  # an empty file is made into a database now: private, like a new one
    try:
        conn = _open(path, create=create)
    except BaseException:
        if made:  # a failed init (a full disk) leaves no empty file behind
            path.unlink(missing_ok=True)
        raise
    return conn


def _open(path: Path, *, create: bool) -> sqlite3.Connection:
    read_only = not create and not _writable(path)
    conn = _sqlite_connect(path, read_only=read_only)
    try:
        _configure(conn)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = schema_version(conn)
        if app_id != APPLICATION_ID:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables or not create:
                raise DatabaseProblem(_("{path} is not a crmcli database.").format(
                    path=path))
        if version > LATEST:
            raise DatabaseProblem(
                f"{path} was written by a newer crmcli (schema {version}; this one knows "
                f"{LATEST}); upgrade crmcli to use it."
            )
        if version < LATEST and read_only:  # read as it would be after the upgrade
            conn = _upgraded_copy(conn, version)
        elif version < LATEST:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise DatabaseProblem(_("{path}: cannot switch the database to WAL "
                                        "mode.").format(
                    path=path))
            migrate(conn)
        from crmcli.dates import use_site

        use_site(*site_settings(conn))
        # Litestream replicates the WAL: a checkpoint it does not see (SQLite's automatic
        # one, run by whichever crmcli commits past 1000 pages, while Litestream is down)
        # leaves a replica that restores corrupt (Litestream 0.5; tests/test_replicate_crash).
        # With a replica configured, only Litestream checkpoints (README, "Many sites").
        if version and not read_only and _setting(conn, "checkpoints") == "litestream":
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        if not read_only:
            for sidecar in ("-wal", "-shm"):
                _private(path.with_name(path.name + sidecar))
    except sqlite3.DatabaseError as exc:
        conn.close()
        text = str(exc)
        if "full" in text:
            raise DatabaseProblem(_("The disk is full; {path} was left as it was.").format(
                path=path)) from None
        if "locked" in text or "busy" in text:
            raise DatabaseProblem(_("{path} is busy (another crmcli holds it); try "
                                    "again in a moment.").format(
                path=path)) from None
        if "readonly" in text or "unable to open" in text:
            raise DatabaseProblem(_("Cannot write {path} or its folder (permissions, "
                                    "or a read-only file system).").format(
                path=path)) from None
        raise DatabaseProblem(_("{path} is not a usable SQLite database ({exc}).").format(
            path=path, exc=exc)) from None
    except BaseException:
        conn.close()
        raise
    return conn


def setting(conn: sqlite3.Connection, key: str) -> str | None:
    """The latest value of one policy setting, None if it was never set."""
    row = conn.execute("SELECT value FROM policy_settings WHERE key = ? "
                       "ORDER BY set_at DESC, id DESC LIMIT 1", (key,)).fetchone()
    return str(row[0]) if row else None


def _writable(path: Path) -> bool:
    """Whether SQLite can write the file and make its -wal and -shm files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _sqlite_connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    from urllib.parse import quote

    uri = "file:" + quote(str(path.resolve()))
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # A WAL file with no -shm beside it, in a folder where none can be made: nobody can be
        # writing it (a writer would have made one), so it is read as it stands.
        conn.close()
        conn = sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)
    return conn


def _private(path: Path) -> None:
    """Mode 0600 for a file crmcli made or uses, whatever made it first (a `touch`, the
    sqlite3 shell under a loose umask); only the owner can change it, so others' are left."""
    try:
        info = path.lstat()
        if (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid()
                and info.st_mode & 0o077):
            os.chmod(path, 0o600)
    except OSError:  # gone meanwhile (a -shm removed by the last reader), or not ours
        pass


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, in words: "the disk is full", "/x is not writable"…"""
    import errno

    where = f"{exc.filename}" if exc.filename else "a file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{where}: permission denied (not writable or readable by you)"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only file system"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.ENOENT:
        return f"{where}: no such file or folder"
    return f"{where}: {exc.strerror or exc}"


READ_BUSY_TIMEOUT_MS = 2_000  # a site file locked longer than this is skipped, not waited on


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a crmcli database without changing it: the head office reads site files this way.

    The file is opened read-only (``mode=ro``) and never migrated. A file of an older schema
    is copied into memory and the copy brought up to date there (about a second per 100 000
    complaints of an older schema 1 or 2, which lack the stored outcomes); the file itself is
    left as it is. Raises DatabaseProblem with the reason the file cannot be read.
    """
    try:
        if not path.exists():
            raise DatabaseProblem("no such file")
        if path.is_dir():
            raise DatabaseProblem("a directory, not a database file")
        uri = f"{path.resolve().as_uri()}?mode=ro"
    except OSError as exc:  # a name too long, a folder we may not enter
        raise DatabaseProblem(f"cannot be read ({exc.strerror or exc})") from None
    try:
        conn = sqlite3.connect(uri, uri=True,
                               isolation_level=None, timeout=READ_BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"cannot be opened read-only ({exc})") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = schema_version(conn)
        if app_id != APPLICATION_ID:
            raise DatabaseProblem("not a crmcli database")
        if version > LATEST:
            raise DatabaseProblem(f"written by a newer crmcli (schema {version}; this one "
                                  f"reads up to {LATEST}); upgrade crmcli at the head office")
        if version < LATEST:
            conn = _upgraded_copy(conn, version)
    except sqlite3.DatabaseError as exc:
        conn.close()  # the copy's failures are DatabaseProblem already
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise DatabaseProblem("locked by another program; try again later") from None
        raise DatabaseProblem(f"not a usable SQLite database ({text})") from None
    except BaseException:
        conn.close()
        raise
    conn.set_progress_handler(_let_python_run, INTERRUPT_STEPS)
    return conn


def _upgraded_copy(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """An in-memory copy of an older file, migrated; the file is closed untouched."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.backup(memory)
        conn.close()
        memory.execute("PRAGMA foreign_keys = ON")
        migrate(memory)
    except sqlite3.DatabaseError as exc:
        memory.close()
        raise DatabaseProblem(
            f"older schema {version} that could not be read in memory ({exc}); open it "
            "once with crmcli to upgrade it") from None
    except MemoryError:
        memory.close()
        raise DatabaseProblem(f"older schema {version}, too large to read in memory; open "
                              "it once with crmcli to upgrade it") from None
    return memory


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table, read through sqlite-utils as any outside tool would see the file."""
    import sqlite_utils

    database = sqlite_utils.Database(conn)
    return {name: database.table(name).count for name in sorted(database.table_names())}
