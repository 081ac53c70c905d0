"""The query plans behind a crmcli command, with each statement timed on a real database.

    python benchmarks/explain.py bench-data/large.db -- visit due
    python benchmarks/explain.py bench-data/large.db -- report monthly --format csv

Traces the reads the command runs (``trace_sql``), then for each distinct statement (IN lists
and literals folded) prints its run time, rows, how often it ran, and ``EXPLAIN QUERY PLAN``.
A plan line that scans a whole table or index of more than ``--big`` rows is marked ``<< SCAN``:
those are the lines that grow with the site.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trace_sql import trace

_SCAN = re.compile(r"^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")


def shape(sql: str) -> str:
    folded = re.sub(r"IN \([0-9, ]+\)", "IN (…)", sql)
    return re.sub(r"'[^']*'", "?", folded)


def sizes(conn: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def partial_indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'")}


def explain(db: Path, args: list[str], big: int) -> int:
    reads, code = trace(["--db", str(db), *args])
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows_in = sizes(conn)
    partial = partial_indexes(conn)
    aliases: dict[str, str] = {}
    counts = Counter(shape(sql) for sql in reads)
    seen: set[str] = set()
    total = 0.0
    print(f"# crmcli {' '.join(args)}  (exit {code}; {len(reads)} reads)")
    for sql in reads:
        key = shape(sql)
        started = time.perf_counter()
        found = len(conn.execute(sql).fetchall())
        elapsed = (time.perf_counter() - started) * 1000
        total += elapsed
        if key in seen:
            continue
        seen.add(key)
        aliases.update({alias: table for table, alias in re.findall(
            r"(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+)", sql)
            if alias.upper() not in ("WHERE", "JOIN", "ON", "LEFT", "INDEXED", "ORDER")})
        print(f"\n-- {elapsed:8.1f} ms  {found:>8,} rows  ×{counts[key]}  {key[:400]}")
        for detail in (row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)):
            match = _SCAN.match(detail)
            flag = ""
            if match:
                table = aliases.get(match[1], match[1])
                if rows_in.get(table, 0) > big and match[2] not in partial:
                    flag = f"   << SCAN of {rows_in[table]:,} rows"
            print(f"     {detail}{flag}")
    print(f"\n# all reads: {total:.0f} ms in SQLite (first run of each, as crmcli ran them)")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--big", type=int, default=10_000, help="rows that make a scan a problem")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then the crmcli command")
    ns = parser.parse_args(argv)
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    if not args:
        parser.error("give the crmcli command after --")
    return explain(ns.db, args, ns.big)


if __name__ == "__main__":
    sys.exit(main())
