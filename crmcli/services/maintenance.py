"""Backups and checks of the database file."""

from __future__ import annotations

import glob
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crmcli import next_due, outcomes
from crmcli.db import load_policies, os_reason, transaction
from crmcli.errors import BadInput, Conflict, CrmError
from crmcli.i18n import N_, _

PARTIAL = ".{name}.partial-"  # a copy being written: .site.db.partial-<pid>, then renamed


def _stale(ids: list[int], message: str) -> list[str]:
    """A check's finding of stored values that do not follow from the history: ``message``
    with how many records and the first ten ids (``#3, #8, …``); none when ``ids`` is empty."""
    if not ids:
        return []
    shown = ", ".join(f"#{cid}" for cid in ids[:10]) + (", …" if len(ids) > 10 else "")
    return [message.format(count=len(ids), shown=shown)]


def backup(conn: sqlite3.Connection, target: Path, *, force: bool) -> int:
    """Copy the live database with SQLite's online backup; the copy is created mode 0600.

    The copy is written beside the target and renamed into place only once SQLite's full
    integrity check passes on it, so an interrupted or failed backup never leaves a half-written
    file under the target's name; partial copies left by a killed backup are removed on the
    next run.
    """
    if target.is_dir():
        raise BadInput(_("{target} is a directory; give a file name.").format(
            target=target))
    if target.exists() and not target.is_file():  # /dev/null, a pipe: never replaced
        raise BadInput(_("{target} is not a regular file; give a file name.").format(
            target=target))
    if target.exists() and not force:
        raise Conflict(_("{target} exists; add --force to replace it.").format(
            target=target))
    if not target.parent.exists():
        raise BadInput(_("{parent} does not exist; create the folder first.").format(
            parent=target.parent))
    _remove_stale_partials(target)
    partial = target.with_name(PARTIAL.format(name=target.name) + str(os.getpid()))
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError as exc:
        raise CrmError(_("Cannot write the backup in {parent}: {os_reason}.").format(
            parent=target.parent, os_reason=os_reason(exc))) from None
    try:
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
            faults = _integrity(copy)
        finally:
            copy.close()
        if faults:
            raise CrmError(_("The database is damaged ({value}); {target} was left as "
                             "it was. `crmcli check` says more.").format(
                value=faults[0].splitlines()[-1], target=target))
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        if "full" in str(exc):
            raise CrmError(_("The disk is full; {target} was left as it was.").format(
                target=target)) from None
        raise
    except OSError as exc:
        raise CrmError(_("Cannot write {target}: {os_reason}; it was left as it was.").format(
            target=target, os_reason=os_reason(exc))) from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return target.stat().st_size


def _remove_stale_partials(target: Path) -> None:
    """Partial copies of the same target whose backup process is gone (killed, power cut)."""
    prefix = PARTIAL.format(name=target.name)
    for leftover in target.parent.glob(glob.escape(prefix) + "*"):
        pid = leftover.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            leftover.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _integrity(conn: sqlite3.Connection) -> list[str]:
    """A damaged database must not replace last night's good copy (backups rotate): SQLite's
    full integrity check (indexes against their tables too), not only the quick one."""
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def check(conn: sqlite3.Connection) -> list[str]:
    """Everything wrong with the file, each in one sentence; empty when all is well."""
    try:
        damage = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    except sqlite3.DatabaseError as exc:  # too damaged even to finish the check
        damage = [str(exc)]
    if damage:  # the checks below would only add noise, or fail on the same damage
        return [_damaged(conn, damage)]
    problems = []
    for table, rowid, parent, _key in conn.execute("PRAGMA foreign_key_check"):
        row = (_("{table} row {rowid}") if rowid is not None else _("a {table} row")).format(
            table=table, rowid=rowid)
        problems.append(_("{row} points to a missing {parent} row.").format(row=row,
                                                                            parent=parent))
    for (cid,) in conn.execute(
        "SELECT id FROM complaints p WHERE NOT EXISTS (SELECT 1 FROM complaint_events e "
        "WHERE e.complaint_id = p.id AND e.action = 'opened')"
    ):
        problems.append(_("complaint #{id} has no 'opened' event in its history.").format(
            id=cid))
    for (vid,) in conn.execute(
        "SELECT id FROM visits WHERE done_at IS NOT NULL AND cancelled_at IS NOT NULL"
    ):
        problems.append(_("visit #{id} is both done and cancelled.").format(id=vid))
    for (vid,) in conn.execute("SELECT id FROM visits WHERE done_at IS NULL AND due_at IS NULL"):
        problems.append(_("visit #{id} has neither a due time nor a done time.").format(id=vid))
    latest = ("(SELECT e.new_value FROM complaint_events e WHERE e.complaint_id = p.id "
              f"AND e.action = '{{}}' AND {outcomes.not_voided('e')} "
              "ORDER BY e.at DESC, e.id DESC LIMIT 1)")
    for (cid,) in conn.execute(
        f"SELECT id FROM complaints p WHERE p.department IS NOT {latest.format('assigned')} "
        f"OR p.validity IS NOT {latest.format('validity')}"
    ):
        problems.append(_("complaint #{id}'s department or validity is not what its history "
                          "last says (entries 'assigned', 'validity').").format(id=cid))
    problems += _stale(outcomes.stale_letters(conn), _(
        "{count} complaint(s) ({shown}) have a stored due time of their open "
        "referral letters that does not follow from their history, so `visit "
        "due` would misread them; rewrite it with: crmcli check --repair"))
    problems += _money_problems(conn)
    problems += _front_desk_problems(conn)
    problems += _stale(outcomes.stale(conn, load_policies(conn)), _(
        "{count} complaint(s) ({shown}) have a stored outcome that does not "
        "follow from their history, so reports would misread them; rewrite them "
        "from the history with: crmcli check --repair"))
    months = _stored_months_wrong(conn)
    if months:
        problems.append(_("the stored figures of {months} do not follow from the history, so "
                          "`report monthly` would misread them; drop them (the next report "
                          "works them out again) with: crmcli check --repair").format(
            months=", ".join(months)))
    problems += _stale(next_due.stale(conn, load_policies(conn).current), _(
        "{count} customer(s) ({shown}) have stored next-due dates (next "
        "contact, yearly visit) that do not follow from their contacts and the "
        "policy, so `visit due` would misread them; rewrite them with: crmcli "
        "check --repair"))
    return problems


def _stored_months_wrong(conn: sqlite3.Connection) -> list[str]:
    """Completed months whose stored figures differ from the history worked out afresh."""
    from crmcli.services import Session, month_store

    return month_store.problems(Session(conn, _LONG_AFTER, "crmcli"))


# Stored months are complete: the figures of one are the same whenever they are worked out.
_LONG_AFTER = datetime(9999, 1, 1, tzinfo=UTC)


def repair_months(conn: sqlite3.Connection) -> int:
    """Drop the stored figures of the months that do not follow from the history; how many."""
    from crmcli.services import Session, month_store

    session = Session(conn, _LONG_AFTER, "crmcli")
    return month_store.forget(session, month_store.problems(session))


def _money_problems(conn: sqlite3.Connection) -> list[str]:
    """Balances and the money agenda's stored state: applied payments never exceed an invoice,
    the stored applications follow from the invoices and payments, one currency."""
    from crmcli.services import billing

    problems = [_("invoice #{id} has more applied to it than its amount.").format(id=iid)
                for iid in billing.overpaid_invoices(conn)]
    problems += [_("invoice #{id} is marked paid {paid} of {amount} (settled: "
                   "{settled}).").format(id=iid, paid=paid, amount=amount, settled=settled)
                 for iid, paid, amount, settled in conn.execute(
                     "SELECT id, paid, amount, settled_at FROM invoices WHERE paid > amount "
                     "OR (paid = amount) != (settled_at IS NOT NULL)")]
    used = billing.currencies(conn)
    if len(used) > 1:
        problems.append(_("money is recorded in {count} currencies ({currencies}); a site "
                          "keeps one (policy currency).").format(count=len(used),
                                                                 currencies=", ".join(used)))
    problems += [_("payment #{id} is reported as refused before it was refused.").format(
                     id=pid) for (pid,) in conn.execute(
                     "SELECT id FROM payments WHERE reported_at IS NOT NULL AND "
                     "(refused_at IS NULL OR reported_at < refused_at)")]
    problems += [_("contract #{id} renews contract #{old} but does not start the day after "
                   "it ends.").format(id=cid, old=old) for cid, old in conn.execute(
                     "SELECT k.id, k.renews FROM contracts k JOIN contracts o ON o.id = k.renews "
                     "WHERE k.start_on != date(o.end_on, '+1 day')")]
    problems += [_("contract #{id} and its renewal do not name each other.").format(id=cid)
                 for (cid,) in conn.execute("SELECT o.id FROM contracts o LEFT JOIN contracts k ON "
                              "k.renews = o.id WHERE o.renewed_by IS NOT k.id")]
    problems += _stale(billing.stale_customers(conn), _(
        "{count} customer(s) ({shown}) have stored payment figures that do not "
        "follow from their invoices and payments, so balances and `visit due` "
        "would misread them; rewrite them with: crmcli check --repair"))
    return problems


# The front desk's stored state, each a query naming the rows whose record contradicts itself.
_FRONT_DESK_CHECKS = (
    ("SELECT id FROM requests r WHERE NOT EXISTS (SELECT 1 FROM request_events e WHERE "
     "e.request_id = r.id AND e.action = 'opened')",
     N_("request #{} has no 'opened' event in its history.")),
    ("SELECT id FROM requests WHERE replied_at < received_at OR closed_at < received_at "
     "OR converted_at < received_at OR reply_due < received_at",
     N_("request #{} has a reply, close or deadline before it was received.")),
    ("SELECT r.id FROM requests r WHERE r.replied_at IS NOT NULL AND r.replied_at != (SELECT "
     "min(e.at) FROM request_events e WHERE e.request_id = r.id AND e.action IN ('replied', "
     "'closed'))",
     N_("request #{}'s stored reply time is not its first reply in the history.")),
    ("SELECT id FROM requests WHERE converted_at IS NOT NULL AND complaint_id IS NULL "
     "AND service_id IS NULL",
     N_("request #{} is converted but linked to no complaint or service.")),
    ("SELECT id FROM notices WHERE (sign_off = 1) != (signoff_due IS NOT NULL)",
     N_("notice #{} has a sign-off deadline that does not match its sign-off flag.")),
    ("SELECT DISTINCT d.notice_id FROM notice_deliveries d JOIN notices n ON n.id = "
     "d.notice_id WHERE d.signed_at IS NOT NULL AND (n.sign_off = 0 OR d.signed_at < n.sent_at)",
     N_("notice #{} has a signature without sign-off or before it was sent.")),
    ("SELECT id FROM day_records d WHERE supersedes IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
     "day_records e WHERE e.id = d.supersedes AND e.person = d.person AND e.day = d.day "
     "AND e.id < d.id)",
     N_("day record #{} amends a record of another person or day.")),
)


def _front_desk_problems(conn: sqlite3.Connection) -> list[str]:
    return [_(message).format(row[0]) for sql, message in _FRONT_DESK_CHECKS
            for row in conn.execute(sql)]


def repair(conn: sqlite3.Connection) -> int:
    """Rewrite every stored outcome (and due time of open letters) that does not follow from
    its history (one transaction); returns how many complaints."""
    with transaction(conn):
        policies = load_policies(conn)
        letters = outcomes.stale_letters(conn)
        outcomes.store_letters(conn)
        stale = outcomes.stale(conn, policies)
        return outcomes.repair(conn, policies, stale) + len(set(letters) - set(stale))


def repair_next_due(conn: sqlite3.Connection) -> int:
    """Rewrite every customer's stored next-due dates that do not follow from the rules
    (short transactions); returns how many customers."""
    return next_due.rebuild(conn, load_policies(conn).current)


def repair_balances(conn: sqlite3.Connection) -> int:
    """Rewrite the payment figures of every customer whose stored ones do not follow from its
    invoices and payments (one transaction); returns how many customers."""
    from crmcli.services import billing

    with transaction(conn):
        stale = billing.stale_customers(conn)
        for customer_id in stale:
            billing.reallocate(conn, customer_id)
        return len(stale)


def _damaged(conn: sqlite3.Connection, damage: list[str]) -> str:
    """What SQLite found, in one sentence with what to do about it."""
    path = conn.execute("PRAGMA database_list").fetchone()[2] or _("the database")
    lines = [line.strip() for fault in damage for line in fault.splitlines()
             if line.strip() and not line.startswith("***")]
    first = lines[0] if lines else damage[0]
    if all(" index " in f" {line} " for line in lines):
        fix = _("the tables are intact; rebuild the indexes with: {command}").format(
            command=f"sqlite3 {path} REINDEX")
    else:
        fix = _("restore the latest backup, or salvage what is readable with: "
                "{command}").format(command=f"sqlite3 {path} .recover")
    return _("The file is damaged ({count} fault(s) found by SQLite's integrity check; the "
             "first: {first}); {fix}.").format(count=len(lines) or 1, first=first, fix=fix)
