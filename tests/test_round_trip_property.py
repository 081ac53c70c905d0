"""Random text — control characters, formula starts, quotes, stars, CJK — through
`customer add` → `export` → `import`: what crmcli accepts comes back exactly, what it refuses
was never stored, and a masked export never loses a stored value (issue 13)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcli import fields, text

# What an attacker or a spreadsheet puts in a cell, and what people write.
SPECIAL = ["=", "+", "-", "@", "'", "\t", "\r", "\n", "\r\n", "\x1b", "\x07", "\x00", "\x85",
           "\u202e", "\u2066", "\u200b", "\ufeff", "*", "***", "****", '"', ",", ";", "{", "}",
           "[/x]", "[link=x]", " ", "\u3000", "=1+1", "@SUM(A1)", "-5", "+86"]
WORDS = ["王小明", "過敏", "花生", "Acme", "A-1201", "88號", "室", "x", "1", "é"]
TEXT = st.lists(st.sampled_from(SPECIAL + WORDS), max_size=6).map("".join)
PHONE = st.from_regex(r"\+?[0-9]{2,4}[ -]?[0-9]{4}[ -]?[0-9]{3,4}", fullmatch=True)
EMAIL = st.from_regex(r"[a-z0-9.=+-]{1,8}@[a-z]{1,6}\.[a-z]{2,3}", fullmatch=True)
PREF_KEY = st.sampled_from(["language", "過敏", "diet", "contact_time", "健康", "=cmd"])

FIELDS = ("contact", "address", "site", "unit", "segment", "note", "sensitive_note")
_dbs = itertools.count()


@st.composite
def customer(draw: st.DrawFn) -> dict[str, Any]:
    values: dict[str, Any] = {"name": draw(TEXT), "phone": draw(st.none() | PHONE),
                              "email": draw(st.none() | EMAIL),
                              "confidential": draw(st.booleans()),
                              "tags": draw(st.lists(TEXT, max_size=2)),
                              "preferences": draw(st.dictionaries(PREF_KEY, TEXT, max_size=3))}
    for name in FIELDS:
        values[name] = draw(st.none() | TEXT)
    return values


def arguments(values: dict[str, Any]) -> list[str]:
    args = ["customer", "add", values["name"], "--allow-duplicate"]
    for name in ("phone", "email", *FIELDS):
        if values[name] is not None:
            args += [f"--{name.replace('_', '-')}", values[name]]
    for tag in values["tags"]:
        args += ["--tag", tag]
    if values["preferences"]:
        args += ["--preference", json.dumps(values["preferences"], ensure_ascii=False)]
    if values["confidential"]:
        args.append("--confidential")
    return args


def refused(values: dict[str, Any]) -> bool:
    """Whether crmcli must refuse these values as bad input (exit 2)."""
    texts = [values["name"], *values["tags"], *values["preferences"],
             *values["preferences"].values(), *(values[n] or "" for n in FIELDS)]
    if any(map(text.has_control, texts)) or text.is_blank(values["name"]):
        return True
    # a text that folds to nothing in a list (only ; or , in a tag) is fine; a bad JSON is not
    return any(len(t) > fields.MAX_TEXT for t in texts)


def stored(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(
            "SELECT c.*, (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM customer_tags "
            "t WHERE t.customer_id = c.id ORDER BY tag)) FROM customers c ORDER BY id"))
    finally:
        conn.close()


def export_to(cli: Cli, db: Path, path: Path, *reveal: str) -> str:
    out = cli.ok("--db", str(db), "customer", "export", *reveal)
    path.write_text(out, encoding="utf-8", newline="")
    return out


def round_trip(cli: Cli, tmp_path: Path, batch: list[dict[str, Any]]) -> None:
    db = tmp_path / f"site-{next(_dbs)}.db"
    cli.ok("--db", str(db), "init")
    for values in batch:
        code, out, err = cli("--db", str(db), *arguments(values))
        assert "Traceback" not in err
        if refused(values):
            assert code == 2, (values, out)
            assert all(c not in err for c in "\x1b\x07\u202e\u2066"), err
        else:
            assert code in (0, 2), (values, err)  # a preference key may fold away, etc.
    before = stored(db)
    if not before:
        return
    # revealed: exact, into a new database
    clear = tmp_path / f"clear-{next(_dbs)}.csv"
    first = export_to(cli, db, clear, "--reveal", "--reason", "核對")
    for row in csv.reader(io.StringIO(first, newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or re.fullmatch(r"-[0-9]+(\.[0-9]+)?", cell), cell
    other = tmp_path / f"other-{next(_dbs)}.db"
    cli.ok("--db", str(other), "init")
    cli.ok("--db", str(other), "customer", "import", str(clear), "--allow-duplicate")
    again = cli.ok("--db", str(other), "customer", "export", "--reveal", "--reason", "核對")
    assert again == first
    # masked, back into the same file: nothing stored changes
    masked = tmp_path / f"masked-{next(_dbs)}.csv"
    export_to(cli, db, masked)
    code, _, err = cli("--db", str(db), "customer", "import", str(masked), "--update-existing")
    if code == 0:
        assert stored(db) == before
    else:  # two customers of one name: updating them is refused, nothing written
        assert code == 2 and "update them one by one" in err, err
        assert stored(db) == before


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(customer(), min_size=1, max_size=3))
def test_random_text_round_trips_exactly_and_no_mask_is_stored(cli: Cli, tmp_path: Path,
                                                               batch: list[dict[str, Any]]
                                                               ) -> None:
    round_trip(cli, tmp_path, batch)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(customer(), min_size=1, max_size=5))
def test_random_text_round_trips_many_times(cli: Cli, tmp_path: Path,
                                            batch: list[dict[str, Any]]) -> None:
    round_trip(cli, tmp_path, batch)
