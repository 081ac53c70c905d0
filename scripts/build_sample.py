"""Rebuild the committed sample.db: a deterministic sample site as of a fixed moment.

Usage: python scripts/build_sample.py [--as-of 2026-11-23T08:00:00+08:00] [--out sample.db]
The same as-of moment (and seed) gives the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime
from pathlib import Path

AS_OF = "2026-11-23T08:00:00+08:00"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--out", type=Path, default=Path("sample.db"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ["TZ"] = "Asia/Shanghai"  # the sample site's zone, whatever the builder's
    time.tzset()
    from crmcli import sample
    from crmcli.db import connect

    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.out}{suffix}").unlink(missing_ok=True)
    conn = connect(args.out, create=True)
    sample.build(conn, datetime.fromisoformat(args.as_of), seed=args.seed)
    conn.close()
    print(f"{args.out}: sample site as of {args.as_of}")


if __name__ == "__main__":
    main()
