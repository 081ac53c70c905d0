"""Time crmcli as whole processes and print every figure as a ratio measured side by side.

    /tmp/venv/bin/python benchmarks/run.py --size large --runs 5

Builds (or reuses) the databases under ``bench-data/`` (git-ignored): an empty one made by
``crmcli init`` and a large one made by ``benchmarks/make_db.py`` (or the file ``--large``
names), plus the customer CSV for the import figure. Each figure times two commands in the same
run, interleaved (A B A B …) after one warm-up of each, and reports the medians and their ratio
against the targets of issues 6 and 17, at one fixed moment (``--as-of``).

Only Python and the ``sqlite3`` shell are needed (``sqlite-utils`` for the import reference).
Commands that do not exist yet in this crmcli (``visit due`` while it is being written) are
reported as ``n/a`` instead of failing the run.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import shutil
import site
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "bench-data"
SIZES: dict[str, tuple[int, int, int]] = {  # customers, complaints, visits
    "small": (5_000, 50_000, 50_000),
    "large": (100_000, 1_000_000, 1_000_000),
}
LIST_ROWS = 10_000
# The head office: 100 site files of 2 000 customers (the large site's proportions), in four
# zones. Four sites are built and each copied 25 times under its own site_name: the report reads
# every file whole either way, and building 100 takes 15 minutes where four take half of one.
SITES = 100
SITE_SIZE = (2_000, 20_000, 20_000)  # customers, complaints, visits
SITE_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore")
# Issue 17 measures every figure at this moment: a Monday morning, three days after the large
# site's history ends (make_db's as-of), so a weekend's worth of work is owed.
AS_OF = "2026-11-23T09:00:00+08:00"
MONTH = "2026-10"  # the completed month `report monthly --month last` reads at AS_OF


@dataclass
class Sample:
    ms: float
    rss_mb: float
    code: int
    out_bytes: int
    err: str
    cpu_s: float = 0.0  # user + sys, with the children it waited for (worker processes)
    lines: int = 0


@dataclass
class Figure:
    name: str
    crmcli: str  # the crmcli command, as a person would type it
    reference: str
    value_ms: float | None = None
    reference_ms: float | None = None
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""
    unit: str = "ms"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tools:
    python: str
    crmcli: str
    sqlite3: str
    sqlite_utils: str | None


@dataclass
class Bench:
    tools: Tools
    env: dict[str, str]
    runs: int
    empty: Path
    large: Path
    csv: Path
    work: Path
    figures: list[Figure] = field(default_factory=list)
    commands: dict[str, bool] = field(default_factory=dict)
    last: tuple[list[Sample], list[Sample]] = ([], [])  # the timed samples of side_by_side
    picks: dict[str, str] = field(default_factory=dict)  # the records the show figures read


# --- running processes -----------------------------------------------------------------------

def run_once(argv: Sequence[str], env: dict[str, str], stdin: Path | None = None) -> Sample:
    """Run a command with stdout on a pipe (drained, as a reader would), timing the whole
    process and taking its own peak RSS from wait4."""
    with tempfile.TemporaryFile() as err:
        source: IO[bytes] | int = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.PIPE, stderr=err,
                                    env=env)
            assert proc.stdout is not None
            size = lines = 0
            while chunk := proc.stdout.read(1 << 16):
                size += len(chunk)
                lines += chunk.count(b"\n")
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            proc.stdout.close()
        finally:
            if not isinstance(source, int):
                source.close()
        err.seek(0)
        message = err.read().decode("utf-8", "replace").strip()
    return Sample(elapsed * 1000, usage.ru_maxrss / 1024, proc.returncode, size, message,
                  usage.ru_utime + usage.ru_stime, lines)


def checked(sample: Sample, argv: Sequence[str]) -> Sample:
    if sample.code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {sample.code}: {sample.err[-500:]}")
    return sample


def side_by_side(bench: Bench, a: Sequence[str], b: Sequence[str], *,
                 before_a: Callable[[], None] | None = None,
                 before_b: Callable[[], None] | None = None,
                 runs: int | None = None, stdin_b: Path | None = None,
                 ) -> tuple[float, float]:
    """Median ms of a and of b: one warm-up each, then runs interleaved a, b, a, b, …
    (the timed samples stay in ``bench.last``)."""
    times_a: list[float] = []
    times_b: list[float] = []
    samples: tuple[list[Sample], list[Sample]] = ([], [])
    for index in range((runs or bench.runs) + 1):
        if before_a:
            before_a()
        sample_a = checked(run_once(a, bench.env), a)
        if before_b:
            before_b()
        sample_b = checked(run_once(b, bench.env, stdin_b), b)
        if index:  # the first round warms the page cache and any lazy migration
            times_a.append(sample_a.ms)
            times_b.append(sample_b.ms)
            samples[0].append(sample_a)
            samples[1].append(sample_b)
    bench.last = samples
    return statistics.median(times_a), statistics.median(times_b)


def exists(bench: Bench, *words: str) -> bool:
    """Whether this crmcli has the command (``visit due`` may not be written yet)."""
    key = " ".join(words)
    if key not in bench.commands:
        sample = run_once([bench.tools.crmcli, *words, "--help"], bench.env)
        bench.commands[key] = sample.code == 0
    return bench.commands[key]


def crm(bench: Bench, db: Path, *args: str) -> list[str]:
    return [bench.tools.crmcli, "--db", str(db), *args]


def shown(argv: Sequence[str]) -> str:
    words = [Path(argv[0]).name if i == 0 else w for i, w in enumerate(argv)]
    return " ".join(f'"{w}"' if " " in w else w for w in words).replace(str(ROOT) + "/", "")


# --- the figures -----------------------------------------------------------------------------

def ratio_figure(name: str, a_cmd: Sequence[str], b_cmd: Sequence[str], a_ms: float,
                 b_ms: float, limit: float | None, *, inverse: bool = False,
                 at_least: bool = False) -> Figure:
    ratio = (b_ms / a_ms) if inverse else (a_ms / b_ms)
    if limit is None:
        target, passed = "info", None
    elif at_least:
        target, passed = f"≥ {limit:g}×", ratio >= limit
    else:
        target, passed = f"≤ {limit:g}×", ratio <= limit
    return Figure(name, shown(a_cmd), shown(b_cmd), a_ms, b_ms, ratio, target, passed)


def missing(name: str, command: str, reference: str, target: str) -> Figure:
    return Figure(name, command, reference, target=target, note="n/a: command not in this crmcli")


def startup(bench: Bench) -> None:
    bare = [bench.tools.python, "-c", "import sqlite3"]
    help_cmd = [bench.tools.crmcli, "--help"]
    if exists(bench, "visit", "due"):
        due = crm(bench, bench.empty, "visit", "due")
        a, b = side_by_side(bench, due, bare)
        bench.figures.append(ratio_figure("start-up: visit due (empty db) vs import sqlite3",
                                          due, bare, a, b, 5))
    else:
        bench.figures.append(missing("start-up: visit due (empty db) vs import sqlite3",
                                     "crmcli visit due", "python -c 'import sqlite3'", "≤ 5×"))
    a, b = side_by_side(bench, help_cmd, bare)
    bench.figures.append(ratio_figure("start-up: --help vs import sqlite3", help_cmd, bare, a, b,
                                      4))
    monthly = crm(bench, bench.empty, "report", "monthly", "--format", "csv")
    a, b = side_by_side(bench, monthly, bare)
    bench.figures.append(ratio_figure("start-up: report monthly (empty db) vs import sqlite3",
                                      monthly, bare, a, b, None))


def traced(bench: Bench, args: Sequence[str], name: str) -> Path:
    out = bench.work / f"{name}.sql"
    argv = [bench.tools.python, str(HERE / "trace_sql.py"), str(out), "--", *args]
    checked(run_once(argv, bench.env), argv)
    return out


def data_work(bench: Bench, label: str, args: Sequence[str], slug: str,
              limit: float | None = 2) -> None:
    large = crm(bench, bench.large, *args)
    empty = crm(bench, bench.empty, *args)
    a, b = side_by_side(bench, large, empty)
    bench.figures.append(ratio_figure(f"growth: {label} large vs empty db", large, empty, a, b,
                                      limit))
    script = traced(bench, ["--db", str(bench.large), *args], slug)
    shell = [bench.tools.sqlite3, "-batch", str(bench.large)]
    a, b = side_by_side(bench, large, shell, stdin_b=script)
    statements = sum(1 for _ in script.open(encoding="utf-8"))
    figure = ratio_figure(f"data work: {label} vs sqlite3 shell, same SQL", large,
                          [*shell, "<", f"{slug}.sql"], a, b, None)
    figure.note = f"{statements} statements traced from crmcli"
    bench.figures.append(figure)


def has_option(bench: Bench, option: str, *words: str) -> bool:
    key = " ".join([*words, option])
    if key not in bench.commands:
        sample = subprocess.run([bench.tools.crmcli, *words, "--help"], capture_output=True,
                                text=True, env={**bench.env, "COLUMNS": "200"})
        bench.commands[key] = sample.returncode == 0 and option in sample.stdout
    return bench.commands[key]


def per_row(bench: Bench) -> None:
    """(large − empty) ÷ rows printed: the cost of each row of the agenda, start-up left out."""
    name = "growth: visit due --format csv, (large − empty) ÷ rows printed"
    large = crm(bench, bench.large, "visit", "due", "--format", "csv")
    empty = crm(bench, bench.empty, "visit", "due", "--format", "csv")
    a, b = side_by_side(bench, large, empty)
    rows = statistics.median(s.lines for s in bench.last[0]) - 1  # the header
    value = (a - b) * 1000 / rows if rows > 0 else None
    bench.figures.append(Figure(
        name, shown(large), shown(empty), a, b, value, "≤ 10 µs/row",
        None if value is None else value <= 10,
        f"{rows:,.0f} rows printed; ratio column: µs per row", unit="µs"))


def growth(bench: Bench) -> None:
    """Issue 17's agenda and monthly figures, and each command against the same SQL replayed
    in the sqlite3 shell (the floor)."""
    if not exists(bench, "visit", "due"):
        bench.figures.append(missing("growth: visit due", "crmcli visit due", "", "≤ 2×"))
    elif has_option(bench, "--limit", "visit", "due"):
        data_work(bench, "visit due --limit 50", ["visit", "due", "--limit", "50"],
                  "visit-due-50")
    else:
        bench.figures.append(Figure(
            "growth: visit due --limit 50 large vs empty db", "crmcli visit due --limit 50", "",
            target="≤ 2×", note="n/a: visit due has no --limit in this crmcli"))
    if exists(bench, "visit", "due"):
        per_row(bench)
    data_work(bench, f"report monthly --month {MONTH}",
              ["report", "monthly", "--month", MONTH, "--format", "csv"], "report-monthly")


def records(bench: Bench) -> None:
    """One record or a page of them: what a person looks at all day, large vs empty site.

    The empty site's reference has the one customer and complaint that ``make_empty`` enters
    (a show needs something to show); on the large site the complaint with the longest history
    and the customer with the most entries are shown."""
    for label, args in (
            ("complaint list --limit 20", ["complaint", "list", "--limit", "20"]),
            (f"complaint show {bench.picks['complaint']}", ["complaint", "show",
                                                            bench.picks["complaint"]]),
            (f"customer show {bench.picks['customer']}", ["customer", "show",
                                                          bench.picks["customer"]]),
            ("complaint sweep --dry-run", ["complaint", "sweep", "--dry-run"])):
        large = crm(bench, bench.large, *args)
        reference = [*args]
        if args[1] == "show":
            reference[2] = "1"
        empty = crm(bench, bench.empty, *reference)
        a, b = side_by_side(bench, large, empty)
        figure = ratio_figure(f"records: {label} large vs empty db", large, empty, a, b, 1.5)
        if args[1] == "show":
            figure.note = (f"{bench.last[0][0].out_bytes:,} bytes shown on the large site, "
                           f"{bench.last[1][0].out_bytes:,} on the empty one")
        bench.figures.append(figure)


def import_figure(bench: Bench, rows: int) -> None:
    name = f"import: {rows:,} customers vs sqlite-utils insert --csv"
    if bench.tools.sqlite_utils is None:
        bench.figures.append(Figure(name, "crmcli customer import", "sqlite-utils",
                                    target="≥ 5×", note="n/a: sqlite-utils not found"))
        return
    target_db = bench.work / "import.db"
    reference_db = bench.work / "sqlite-utils.db"

    def fresh_copy() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target_db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(bench.empty, target_db)

    def fresh_reference() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{reference_db}{suffix}").unlink(missing_ok=True)

    ours = crm(bench, target_db, "customer", "import", str(bench.csv))
    theirs = [bench.tools.sqlite_utils, "insert", str(reference_db), "customers", str(bench.csv),
              "--csv"]
    a, b = side_by_side(bench, ours, theirs, before_a=fresh_copy, before_b=fresh_reference,
                        runs=min(bench.runs, 3))
    rss = max(sample.rss_mb for sample in bench.last[0])
    figure = ratio_figure(name, ours, theirs, a, b, 6, inverse=True, at_least=True)
    figure.note = "ratio = sqlite-utils time / crmcli time"
    bench.figures.append(figure)
    bench.figures.append(Figure(
        f"memory: customer import of {rows:,} rows, crmcli peak RSS", shown(ours), "", rss,
        None, None, "≤ 100 MB", rss <= 100, "the largest of the timed runs", unit="MB"))


def lists(bench: Bench) -> None:
    for group in ("customer", "complaint", "visit"):
        if group == "visit" and not exists(bench, "visit", "list"):
            continue
        base = crm(bench, bench.large, group, "list", "--limit", str(LIST_ROWS))
        table = [*base, "--format", "table"]
        csv_cmd = [*base, "--format", "csv"]
        a, b = side_by_side(bench, table, csv_cmd)
        bench.figures.append(ratio_figure(f"output: {group} list {LIST_ROWS:,} rows, table vs csv",
                                          table, csv_cmd, a, b, 2))


def memory(bench: Bench, counts: dict[str, int]) -> None:
    if exists(bench, "visit", "due"):
        command = crm(bench, bench.large, "visit", "due", "--format", "csv")
        empty = crm(bench, bench.empty, "visit", "due", "--format", "csv")
        small = checked(run_once(empty, bench.env), empty)
        runs = [checked(run_once(command, bench.env), command) for _ in range(3)]
        big = max(runs, key=lambda sample: sample.rss_mb)
        bench.figures.append(Figure(
            "memory: visit due --format csv at large, peak RSS", shown(command), shown(empty),
            big.rss_mb, small.rss_mb, big.rss_mb / small.rss_mb, "≤ 50 MB", big.rss_mb <= 50,
            f"the largest of 3 runs; {big.lines - 1:,} rows; reference: the same on the empty "
            "db", unit="MB"))
    group = "customer" if counts.get("customers", 0) >= 1_000_000 else "complaint"
    rows = counts.get(f"{group}s", 0)
    command = crm(bench, bench.large, group, "list", "--format", "csv")
    empty = crm(bench, bench.empty, group, "list", "--format", "csv")
    small = checked(run_once(empty, bench.env), empty)
    big = checked(run_once(command, bench.env), command)
    bench.figures.append(Figure(
        f"memory: {group} list --format csv, {rows:,} rows, peak RSS", shown(command),
        shown(empty), big.rss_mb, small.rss_mb, big.rss_mb / small.rss_mb, "< 100 MB",
        big.rss_mb < 100, f"{big.ms / 1000:.1f} s, {big.out_bytes / 1e6:.0f} MB of csv; "
        "reference: the same on the empty db", unit="MB"))


def many_sites(bench: Bench, folder: Path) -> None:
    """`hq report` and `hq due` over every site file, against one site's own command."""
    one = folder / "site000.db"
    for label, args, reference, limit_ms in (
            ("hq report", ["hq", "report", "--month", "last"], ["report", "monthly",
                                                               "--month", "last"], 2000),
            ("hq due", ["hq", "due"], ["visit", "due"], None)):
        if not exists(bench, *args[:2]):
            bench.figures.append(missing(f"many sites: {label}", f"crmcli {label}", "",
                                         "≤ 2,000 ms"))
            continue
        ours = [bench.tools.crmcli, *args, "--sites", str(folder), "--format", "csv"]
        theirs = crm(bench, one, *reference, "--format", "csv")
        a, b = side_by_side(bench, ours, theirs)
        figure = ratio_figure(f"many sites: {label}, {SITES} sites of {SITE_SIZE[0]:,} "
                              "customers vs one site's own", ours, theirs, a, b, None)
        if limit_ms is not None:
            figure.target, figure.passed = f"≤ {limit_ms:,} ms", a <= limit_ms
        size = sum(path.stat().st_size for path in folder.glob("*.db"))
        cpu = checked(run_once(ours, bench.env), ours).cpu_s
        figure.note = (f"{SITES} files, {size / 1e9:.1f} GB; CPU {cpu:.2f} s (user + sys, "
                       "worker processes included): the wall time on a machine of its own "
                       "is about that over the cores used")
        bench.figures.append(figure)


# --- databases -------------------------------------------------------------------------------

UPGRADE = """
import sys
from pathlib import Path
from crmcli.db import connect
for name in sys.argv[1:]:
    connect(Path(name)).close()
"""


def _short(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def ensure_sites(python: str, rebuild: bool) -> Path:
    """bench-data/sites/: SITES site files (see SITES above), built once and reused."""
    folder, meta_path = DATA / "sites", DATA / "sites.json"
    customers, complaints, visits = SITE_SIZE
    digest = hashlib.sha256(b"".join((HERE / name).read_bytes() for name in (
        "make_db.py", "make_money.py", "make_frontdesk.py"))).hexdigest()[:16]
    wanted = {"sites": SITES, "size": list(SITE_SIZE), "zones": list(SITE_ZONES),
              "make_db": digest}
    if (meta_path.exists() and not rebuild and len(list(folder.glob("*.db"))) == SITES
            and json.loads(meta_path.read_text(encoding="utf-8")) == wanted):
        print(f"reusing {_short(folder)}", file=sys.stderr)
        # hq never upgrades a file (it reads an older one through a copy in memory): bring
        # them to this crmcli's schema as the sites' own crmcli would, outside the timing.
        subprocess.run([python, "-c", UPGRADE, *map(str, sorted(folder.glob("*.db")))],
                       check=True)
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    bases = []
    for number, zone in enumerate(SITE_ZONES):
        base = DATA / f"site-base-{number}.db"
        print(f"building {_short(base)} ({zone})", file=sys.stderr, flush=True)
        subprocess.run([python, str(HERE / "make_db.py"), "--customers", str(customers),
                        "--complaints", str(complaints), "--visits", str(visits),
                        "--seed", str(100 + number), "--tz", zone, str(base)],
                       check=True, stdout=subprocess.DEVNULL)
        bases.append(base)
    for number in range(SITES):
        target = folder / f"site{number:03d}.db"
        shutil.copyfile(bases[number % len(bases)], target)
        conn = sqlite3.connect(target)
        conn.execute("UPDATE policy_settings SET value = ? WHERE key = 'site_name'",
                     (f"site {number:03d}",))
        conn.commit()
        conn.close()
    for base in bases:
        base.unlink()
    meta_path.write_text(json.dumps(wanted), encoding="utf-8")
    return folder


def ensure_csv(python: str, customers: int) -> Path:
    """The customer import CSV (made by make_db.py with a throw-away database of customers
    only), for a large database given with --large."""
    csv_path = DATA / f"customers-{customers}.csv"
    if not csv_path.exists():
        scratch = DATA / "csv-scratch.db"
        subprocess.run([python, str(HERE / "make_db.py"), "--customers", str(customers),
                        "--complaints", "0", "--visits", "0", "--money-months", "0",
                        "--desk-months", "0", "--csv", str(csv_path), str(scratch)],
                       check=True, stdout=subprocess.DEVNULL)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    return csv_path


def given_large(python: str, path: Path, size: str) -> tuple[Path, Path, dict[str, Any]]:
    """A large database built beforehand (e.g. make_db.py --extend): used as it is."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        zone = conn.execute("SELECT value FROM policy_settings WHERE key = 'timezone' "
                            "ORDER BY set_at DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    csv_path = ensure_csv(python, SIZES[size][0])
    return path, csv_path, {"tz": zone[0] if zone else "Asia/Shanghai", "given": str(path)}


def ensure_large(python: str, size: str, rebuild: bool) -> tuple[Path, Path, dict[str, Any]]:
    customers, complaints, visits = SIZES[size]
    db, csv_path, meta_path = (DATA / f"{size}.db", DATA / f"customers-{customers}.csv",
                               DATA / f"{size}.json")
    args = ["--customers", str(customers), "--complaints", str(complaints), "--visits",
            str(visits), "--csv", str(csv_path)]
    digest = hashlib.sha256((HERE / "make_db.py").read_bytes()
                            + (HERE / "make_money.py").read_bytes()
                            + (HERE / "make_frontdesk.py").read_bytes()).hexdigest()[:16]
    if meta_path.exists() and db.exists() and csv_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("args") == args and meta.get("make_db") == digest:
            print(f"reusing {_short(db)} (built in {meta['seconds']} s)",
                  file=sys.stderr)
            return db, csv_path, meta
    print(f"building {_short(db)}: {' '.join(args)}", file=sys.stderr)
    argv = [python, str(HERE / "make_db.py"), *args, str(db)]
    done = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True)
    meta = {**json.loads(done.stdout.strip().splitlines()[-1]), "args": args, "make_db": digest}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return db, csv_path, meta


def make_empty(crmcli: str, env: dict[str, str]) -> Path:
    """``crmcli init``, then the one customer with one complaint answered and closed that the
    show figures read on the empty site (entered through crmcli, a week before the as-of)."""
    path = DATA / "empty.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for args in (["init"], ["customer", "add", "王小明", "--phone", "13800138000"],
                 ["complaint", "open", "1", "冷氣滴水", "--at", "2026-11-16 10:00"],
                 ["complaint", "respond", "1", "--note", "已安排師傅上門", "--at",
                  "2026-11-16 11:00"],
                 ["complaint", "close", "1", "--resolution", "已更換排水管", "--at",
                  "2026-11-17 15:00"]):
        argv = [crmcli, "--db", str(path), *args]
        checked(run_once(argv, env), argv)
    return path


def pick_records(path: Path) -> dict[str, str]:
    """The complaint with the longest history and the customer with the most entries (the
    heaviest `show`s of the large site)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        complaint = conn.execute("SELECT complaint_id FROM complaint_events GROUP BY "
                                 "complaint_id ORDER BY count(*) DESC, complaint_id "
                                 "LIMIT 1").fetchone()
        customer = conn.execute(
            "SELECT customer_id FROM (SELECT customer_id FROM complaints UNION ALL "
            "SELECT customer_id FROM visits) GROUP BY customer_id ORDER BY count(*) DESC, "
            "customer_id LIMIT 1").fetchone()
    finally:
        conn.close()
    return {"complaint": str(complaint[0] if complaint else 1),
            "customer": str(customer[0] if customer else 1)}


def row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY rowid")]
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for name in tables}
    finally:
        conn.close()
    return {name: count for name, count in counts.items() if count}


def bench_env(meta: dict[str, Any], as_of: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CRMCLI_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TZ=meta["tz"], CRMCLI_NOW=as_of, CRMCLI_USER="bench")
    return env


SCRIPT = """#!{python}
import re
import sys
from {module} import {function}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({function}())
"""


def bench_venv() -> Path:
    """A bare venv that sees the repo and this venv's packages through a plain .pth file.

    The development venv installs crmcli in editable mode, whose finder (imported from a .pth
    at every start of its python) adds ~14 ms to every process, the ``import sqlite3``
    reference included. A user's regular install has no such finder, so start-up is measured
    here, with console scripts written as pip writes them.
    """
    home = DATA / "venv"
    python = home / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=False, symlinks=True).create(home)
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                   "print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    paths = [str(ROOT), *site.getsitepackages()]
    (purelib / "crmcli-bench.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    for name, module, function in (("crmcli", "crmcli.launch", "main"),  # as pyproject says
                                   ("sqlite-utils", "sqlite_utils.cli", "cli")):
        script = home / "bin" / name
        script.write_text(SCRIPT.format(python=python, module=module, function=function),
                          encoding="utf-8")
        script.chmod(0o755)
    # pip compiles what it installs; a checkout run with PYTHONDONTWRITEBYTECODE (or never run
    # before) would recompile crmcli's modules in every timed process.
    compileall.compile_dir(ROOT / "crmcli", quiet=1)
    return home / "bin"


def find_tools(args: argparse.Namespace) -> Tools:
    bindir = Path(sys.executable).parent if args.dev_venv else bench_venv()

    def locate(name: str, given: str | None) -> str | None:
        if given:
            return given
        beside = bindir / name
        return str(beside) if beside.exists() else shutil.which(name)

    crmcli = locate("crmcli", args.crmcli)
    sqlite_shell = args.sqlite3 or shutil.which("sqlite3")
    if crmcli is None or sqlite_shell is None:
        sys.exit("run.py needs the crmcli console script and the sqlite3 shell "
                 "(--crmcli, --sqlite3)")
    python = str(bindir / "python")
    return Tools(python, crmcli, sqlite_shell, locate("sqlite-utils", args.sqlite_utils))


# --- report ----------------------------------------------------------------------------------

def machine(tools: Tools) -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    shell = subprocess.run([tools.sqlite3, "--version"], capture_output=True, text=True)
    probe = ("import importlib.metadata as m\n"
             "for p in ('typer', 'click', 'rich', 'pydantic'):\n"
             "    try: print(p, m.version(p), end='; ')\n"
             "    except m.PackageNotFoundError: pass")
    versions = subprocess.run([tools.python, "-c", probe], capture_output=True,
                              text=True).stdout.strip().rstrip(";")
    return [
        f"machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version} (python), "
        f"sqlite3 shell {shell.stdout.split()[0] if shell.stdout else '?'}; {versions}",
    ]


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f} MB" if unit == "MB" else f"{value:,.0f}"


def ratio_cell(f: Figure) -> str:
    if f.ratio is None:
        return "–"
    return f"{f.ratio:.1f} µs/row" if f.unit == "µs" else f"{f.ratio:.2f}×"


def table(figures: list[Figure]) -> str:
    header = ("figure", "crmcli ms", "reference ms", "ratio", "target", "result")
    rows = []
    for f in figures:
        result = {True: "pass", False: "FAIL", None: "info"}[f.passed] if not f.note.startswith(
            "n/a") else "n/a"
        rows.append((f.name, cell(f.value_ms, f.unit), cell(f.reference_ms, f.unit),
                     ratio_cell(f), f.target, result))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = []
    for index, row in enumerate((header, *rows)):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def legend(figures: list[Figure]) -> str:
    lines = []
    for number, f in enumerate(figures, start=1):
        lines.append(f"{number:2d}. {f.name}")
        lines.append(f"      crmcli:    {f.crmcli}")
        if f.reference:
            lines.append(f"      reference: {f.reference}")
        if f.note:
            lines.append(f"      note:      {f.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (median)")
    parser.add_argument("--only", action="append", default=[],
                        choices=["startup", "growth", "records", "import", "lists", "memory",
                                 "sites"],
                        help="run only these groups of figures (repeatable)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the large database")
    parser.add_argument("--large", type=Path, metavar="FILE",
                        help="time this large database (built beforehand, e.g. with "
                        "make_db.py --extend) instead of bench-data/SIZE.db; crmcli writes to "
                        "it as to any site file (migrations, the sweep's attention marks)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="keep the databases, the venv and the scratch files here instead of "
                        "bench-data/ (two runs at once need two)")
    parser.add_argument("--as-of", default=AS_OF,
                        help=f"the moment every command runs at (default {AS_OF})")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--dev-venv", action="store_true",
                        help="run this venv's own scripts (editable install) instead of "
                        "bench-data/venv")
    parser.add_argument("--crmcli")
    parser.add_argument("--sqlite3")
    parser.add_argument("--sqlite-utils")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.data:
        global DATA
        DATA = args.data.resolve()
    tools = find_tools(args)
    DATA.mkdir(parents=True, exist_ok=True)
    if args.large:
        large, csv_path, meta = given_large(tools.python, args.large.resolve(), args.size)
    else:
        large, csv_path, meta = ensure_large(tools.python, args.size, args.rebuild)
    env = bench_env(meta, args.as_of)
    work = DATA / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    bench = Bench(tools, env, args.runs, make_empty(tools.crmcli, env), large, csv_path, work)
    groups = args.only or ["startup", "growth", "records", "import", "lists", "memory",
                           "sites"]
    counts = row_counts(large)
    bench.picks = pick_records(large)
    load_before = os.getloadavg()
    try:
        steps: dict[str, Callable[[], None]] = {
            "startup": lambda: startup(bench),
            "growth": lambda: growth(bench),
            "records": lambda: records(bench),
            "import": lambda: import_figure(bench, counts["customers"]),
            "lists": lambda: lists(bench),
            "memory": lambda: memory(bench, counts),
            "sites": lambda: many_sites(bench, ensure_sites(tools.python, args.rebuild)),
        }
        for group in groups:
            print(f"timing {group} …", file=sys.stderr, flush=True)
            steps[group]()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sizes = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in counts.items())
    print("\n".join(machine(tools)))
    print(f"load average (1 min): {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"crmcli: {tools.crmcli.replace(str(ROOT) + '/', '')}")
    print(f"data: {_short(large)}: "
          f"{sizes}")
    print(f"as of {args.as_of} (site zone {meta['tz']}); median of {args.runs} runs after a "
          "warm-up")
    print()
    print(table(bench.figures))
    print()
    print(legend(bench.figures))
    if args.json:
        args.json.write_text(json.dumps(
            {"size": args.size, "runs": args.runs, "meta": meta, "as_of": args.as_of,
             "counts": counts,
             "figures": [f.__dict__ for f in bench.figures]}, indent=2, ensure_ascii=False),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
