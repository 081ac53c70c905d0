"""The head office's view of many sites: each site file read read-only, figure by figure.

A site's figures are its own `report monthly` (the same code, in the site's own zone); the
company's are worked out again from the complaints themselves — counts added up, percentages
from the added-up parts, the median over every resolution time — never averaged over sites.
A file that cannot be read is named with the reason and skipped; the others are still read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from crmcli import dates
from crmcli.db import connect_readonly
from crmcli.errors import DatabaseProblem
from crmcli.i18n import _
from crmcli.services import Session
from crmcli.services.reports import FIGURES, Monthly, pct, resolution_hours

COMPANY = "company total"
# Figures of the company row that are counts: the sum over the sites.
SUMMED = ("complaints_opened", "complaints_closed", "complaints_escalated", "complaints_major",
          "complaints_minor", "complaints_repeat", "complaints_open_at_end", "escalations",
          "followups_due", "followups_done", "followups_done_on_time", "ratings",
          "visits_done", "visits_scheduled_due", "visits_scheduled_done",
          "customers_contacted", "late_entries", "followups_unsatisfied", "requests_received",
          "notices_sent", "meetings_held", "archived_complaints", "complaints_valid",
          "complaints_unreasonable", "plans_due", "closed_without_written_notice",
          "handover_visits_due", "handover_visits_done")
REPORT_KEYS = ("scope", "site", "file", "zone", *FIGURES)


class Skipped(NamedTuple):
    path: Path
    reason: str


@dataclass
class Sites:
    """The site files named on the command line, in order, each once; what could not be read."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def site_files(sources: list[Path]) -> Sites:
    """Files as given; a directory stands for its ``*.db`` files (not its subdirectories)."""
    found = Sites()
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.files.append(path)

    for source in sources:
        try:
            if source.is_dir():
                inside = sorted(p for p in source.iterdir() if p.suffix == ".db" and p.is_file())
                if not inside:
                    found.skipped.append(Skipped(source, _("a directory with no .db files")))
                for path in inside:
                    add(path)
            elif not source.exists():
                found.skipped.append(Skipped(source, _("no such file")))
            else:
                add(source)
        except OSError as exc:  # a name too long, a folder we may not list
            found.skipped.append(Skipped(source, _("cannot be read ({reason})").format(
                reason=exc.strerror or exc)))
    return found


@contextmanager
def _site_zone(name: str) -> Iterator[None]:
    """Days and months in this site's zone while its figures are worked out."""
    before = str(dates.site_zone())
    dates.set_site_zone(name)
    try:
        yield
    finally:
        dates.set_site_zone(before)


@contextmanager
def open_site(path: Path, now: datetime, user: str) -> Iterator[tuple[Session, str, str]]:
    """A session on one site file, read-only, in the site's zone; with its name and zone.

    Raises DatabaseProblem with the reason it cannot be read (the caller skips the file)."""
    conn = connect_readonly(path)
    try:
        session = Session(conn, now, user)
        policy = session.policies.current
        name = policy.site_name or path.stem
        with _site_zone(policy.timezone):
            yield session, name, policy.timezone
    except sqlite3.DatabaseError as exc:  # damage found while reading
        raise DatabaseProblem(_damage(exc)) from None
    finally:
        conn.close()


def _damage(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return _("locked by another program; try again later")
    return _("damaged ({text}); `crmcli check` on it says more").format(text=text)


@dataclass
class SiteMonth:
    row: dict[str, Any]
    parts: dict[str, Any]


@dataclass
class Report:
    rows: list[dict[str, Any]]
    skipped: list[Skipped]
    read: int
    extras: list[Any] = field(default_factory=list)  # what ``each`` made of each site read


def _site_month(session: Session, month: str) -> Monthly:
    from crmcli.services import reports

    year, number = dates.parse_month(month, session.now)
    return reports.monthly(session, year, number, detail=False, compare=False)


def _report_site(path: Path, month: str, now: datetime, user: str,
                 each: Callable[[Session, str], Any] | None = None,
                 extras: list[Any] | None = None) -> SiteMonth:
    with open_site(path, now, user) as (session, name, zone):
        monthly = _site_month(session, month)
        if each is not None and extras is not None:
            extras.append(each(session, name))
    return SiteMonth({"scope": "site", "site": name, "file": str(path), "zone": zone,
                      **monthly.figures}, monthly.parts)


# Sites are read by this many processes at once (each works in its own site's zone); fewer
# files than PER_WORKER each are read here, without starting any.
MAX_WORKERS = 4
PER_WORKER = 8
T = TypeVar("T")


def _chunk(task: Callable[..., T], paths: list[Path], args: tuple[Any, ...]
           ) -> list[T | Skipped]:
    found: list[T | Skipped] = []
    for path in paths:
        try:
            found.append(task(path, *args))
        except DatabaseProblem as exc:
            found.append(Skipped(path, str(exc)))
    return found


def each_site(task: Callable[..., T], paths: list[Path], *args: Any) -> list[T | Skipped]:
    """``task(path, *args)`` for every site file, in order: a site that cannot be read gives
    its Skipped. Large sets are shared among worker processes (SQLite's reading is most of
    the time, and one process reads one file at a time)."""
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(paths) // PER_WORKER)
    if workers < 2:
        return _chunk(task, paths, args)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares = [paths[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = list(pool.map(_chunk, [task] * workers, shares, [args] * workers))
    found: list[T | Skipped] = [Skipped(path, "") for path in paths]
    for index, share in enumerate(parts):
        found[index::workers] = share
    return found


def report(sources: list[Path], month: str, now: datetime, user: str,
           each: Callable[[Session, str], Any] | None = None) -> Report:
    """One row per site with its monthly figures (``month`` read in each site's own calendar:
    ``last`` is each site's last month), then the company's row. ``each(session, site name)``
    is called for every site read, in its zone, and what it returns kept in ``extras``."""
    sites = site_files(sources)
    dates.parse_month(month, now)  # bad input is refused before any file is read
    done: list[SiteMonth] = []
    extras: list[Any] = []
    skipped = list(sites.skipped)
    if each is None:
        results = each_site(_report_site, sites.files, month, now, user)
    else:  # a page keeps what ``each`` made of every site: one process, in order
        results = _chunk(_report_site, sites.files, (month, now, user, each, extras))
    for result in results:
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            done.append(result)
    rows = [site.row for site in done]
    if done:
        rows.append(company(done))
    return Report(rows, skipped, len(done), extras)


def company(sites: list[SiteMonth]) -> dict[str, Any]:
    """The company's figures from the sites' complaints, not from their percentages."""
    rows = [site.row for site in sites]
    parts = [site.parts for site in sites]

    def total(key: str, source: list[dict[str, Any]] = rows) -> int:
        return sum(int(item[key]) for item in source)

    seconds = sorted(s for part in parts for s in part["resolution_seconds"])
    median, p90 = resolution_hours(seconds)
    ratings = total("ratings")
    months = sorted({row["month"] for row in rows})
    figures: dict[str, Any] = {key: total(key) for key in SUMMED}
    figures.update({
        "month": months[0] if len(months) == 1 else " / ".join(months),
        "complete": all(row["complete"] for row in rows),
        "response_on_time_pct": pct(total("responses_met", parts),
                                    total("responses_decided", parts)),
        "resolved_on_time_pct": pct(total("resolved_on_time", parts), len(seconds)),
        "median_resolution_hours": round(median, 1) if median is not None else None,
        "p90_resolution_hours": round(p90, 1) if p90 is not None else None,
        "followup_rate_pct": pct(figures["followups_done"], figures["followups_due"]),
        "followup_target_pct": 100,
        "plans_on_time_pct": pct(total("plans_met", parts), figures["plans_due"]),
        "avg_satisfaction": (round(total("satisfaction_total", parts) / ratings, 2)
                             if ratings else None),
        "cadence_kept_pct": pct(total("customers_kept", parts), total("customers_before", parts)),
        "yearly_visits_done_pct": pct(total("customers_visited", parts),
                                      total("customers_all", parts)),
        "requests_replied_on_time_pct": pct(total("requests_met", parts),
                                            total("requests_decided", parts)),
        "request_reply_rate_pct": pct(total("requests_replied", parts),
                                      total("requests_answerable", parts)),
        "archived_to": "; ".join(row["archived_to"] for row in rows if row["archived_to"])
                       or None,
    })
    return {"scope": "company", "site": COMPANY, "file": f"{len(rows)} sites", "zone": None,
            **{key: figures[key] for key in FIGURES}}


# --- overdue work ------------------------------------------------------------------------

DUE_KEYS = ("site", "file", "kind", "overdue", "oldest_due", "oldest_customer_id",
            "oldest_customer", "oldest_reason")
ITEM_KEYS = ("site", "file", "kind", "due", "overdue_for", "customer_id", "customer",
             "complaint_id", "visit_id", "owner", "reason")


@dataclass
class Due:
    rows: list[dict[str, Any]]  # per site and kind
    items: list[dict[str, Any]]  # the oldest overdue items per site
    skipped: list[Skipped]
    read: int = 0


def _shown(due: date | datetime, table: bool = False) -> str:
    """A due time on the site's clock (a day alone for day obligations): ISO 8601 with the
    site's offset, or as a table shows it (``2026-11-20 09:40``)."""
    if isinstance(due, datetime):
        return dates.short_local(due) if table else dates.iso_local(due)
    return due.isoformat()


def due(sources: list[Path], now: datetime, user: str, oldest: int) -> Due:
    """Overdue work per site and kind, with the oldest item of each; and each site's
    ``oldest`` most overdue items."""
    sites = site_files(sources)
    result = Due([], [], list(sites.skipped))
    for found in each_site(_due_site, sites.files, now, user, oldest):
        if isinstance(found, Skipped):
            result.skipped.append(found)
            continue
        result.read += 1
        result.rows += found[0]
        result.items += found[1]
    return result


def _due_site(path: Path, now: datetime, user: str, oldest: int
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from crmcli.services import agenda

    with open_site(path, now, user) as (session, name, _):
        items = agenda.due_items(session, dates.local_today(now))
        rows = agenda.due_rows(items, now)
        late = [item for item, row in zip(items, rows, strict=True) if row["overdue"]]
        site_rows, site_items = _site_due(name, str(path), late, now)
    return site_rows, site_items[:oldest]


def _site_due(name: str, path: str, late: list[Any], now: datetime
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Counts per kind and the site's items, most overdue first (``due_items``'s order)."""
    from crmcli import cadence

    kinds: dict[str, dict[str, Any]] = {}
    items = []
    for item in late:
        shown = _shown(item.due)
        deadline = item.due if isinstance(item.due, datetime) else cadence.deadline(item.due)
        entry = kinds.get(item.kind)
        if entry is None:
            kinds[item.kind] = {"site": name, "file": path, "kind": item.kind, "overdue": 1,
                                "oldest_due": shown, "oldest_shown": _shown(item.due, True),
                                "oldest_customer_id": item.customer_id,
                                "oldest_customer": item.customer, "oldest_reason": item.reason}
        else:
            entry["overdue"] += 1
        items.append({"site": name, "file": path, "kind": item.kind, "due": shown,
                      "due_shown": _shown(item.due, True),
                      "overdue_for": dates.humanize_delta(now - deadline),
                      "customer_id": item.customer_id, "customer": item.customer,
                      "complaint_id": item.complaint_id, "visit_id": item.visit_id,
                      "owner": item.owner, "reason": item.reason})
    ordered = sorted(kinds.values(), key=lambda entry: (-entry["overdue"], entry["kind"]))
    return ordered, items

