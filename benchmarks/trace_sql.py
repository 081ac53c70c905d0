"""Record the SQL one crmcli command runs, so the sqlite3 shell can run exactly the same reads.

    python benchmarks/trace_sql.py OUT.sql -- --db big.db visit due

Runs the command in this process with every ``sqlite3`` connection traced (SQLite expands the
bound parameters), discards the command's output, and writes the statements that read
(``SELECT`` / ``WITH``) to OUT.sql, one per line-terminated statement. Writes, pragmas and
transaction control are left out: the replay must not change the database.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

READS = ("SELECT", "WITH")


def trace(args: list[str]) -> tuple[list[str], int]:
    """The reading statements crmcli runs for ``args``, and its exit code."""
    statements: list[str] = []
    original = sqlite3.connect

    def traced(*pos: Any, **kw: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = original(*pos, **kw)
        conn.set_trace_callback(statements.append)
        return conn

    sqlite3.connect = traced  # type: ignore[assignment]
    from crmcli.cli import app

    code = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sink
        try:
            app(args=args, prog_name="crmcli")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdout = sys.__stdout__
            sqlite3.connect = original
    reads = [s.strip().rstrip(";") for s in statements
             if s.strip() and s.lstrip().split(None, 1)[0].upper() in READS]
    return reads, code


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--":
        print("usage: trace_sql.py OUT.sql -- CRMCLI-ARGS...", file=sys.stderr)
        return 2
    reads, code = trace(argv[2:])
    Path(argv[0]).write_text("".join(f"{s};\n" for s in reads), encoding="utf-8")
    print(f"{len(reads)} reads traced; crmcli exit {code}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
