"""Schemas 1–4: the customer file, complaints and their stored outcomes, visits."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script


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
    from crmcli.db import load_policies

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
