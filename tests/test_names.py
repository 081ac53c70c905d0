"""Names as people type them: 繁體 or 简体, full- or half-width, any case and spacing; a
name that matches none suggests the closest; a mistyped command or option is named."""

from __future__ import annotations

import io
import sys

import pytest
from conftest import Cli

from crmcli import fields


@pytest.mark.parametrize(("typed", "stored"), [
    ("谢丽华", "謝麗華"),  # Simplified finds Traditional
    ("謝麗華", "谢丽华"),  # and the other way round
    ("謝丽华", "谢麗華"),  # mixed, as a hurried clerk types
    ("ＡＣＭＥ　有限公司", "acme有限公司"),  # full-width letters and space
    ("Acme  Ltd", "ACME LTD"),  # case and spaces
    ("台灣電力", "臺灣電力"),  # variant characters OpenCC maps together
    ("乾淨", "干净"),  # several Traditional characters become one Simplified
])
def test_the_same_name_however_it_is_typed(typed: str, stored: str) -> None:
    assert fields.name_key(typed) == fields.name_key(stored)


@pytest.mark.parametrize(("one", "other"), [
    ("王小明", "王晓明"),  # 小 and 晓 are different names, not spellings of one
    ("李四", "李四四"),
    ("陳大文", "陳大民"),
])
def test_different_names_stay_different(one: str, other: str) -> None:
    assert fields.name_key(one) != fields.name_key(other)


def test_many_names_fold_at_once_as_one_by_one() -> None:
    from crmcli import textfold

    names = ["謝麗華", "ACME Ltd", "臺灣", "王小明", "Ｘ　Ｙ", ""]
    assert fields.name_keys(names) == [textfold.fold(name) for name in names]


def test_a_batch_of_names_folds_as_each_name_alone() -> None:
    # A batch is folded joined by line breaks: NFKC, OpenCC, case folding and the spaces
    # taken out must give each name what it gets alone, whatever the names hold.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from crmcli import textfold

    pieces = st.sampled_from(["謝", "麗華", "台灣", "臺", "乾淨", "發", "髮", "ß", "Σ", "ς",
                              "ＡＢ", "ｱ", "ﾞ", "e", "\u0301", "\u0338", "<", "ﬁ", "Ⅻ", "①",
                              " ", "\u3000", "\u00a0", "\t", "\x1c", "\x85", "\u2028",
                              "\r", "\n", "a"])
    names = st.lists(st.lists(pieces, max_size=6).map("".join), max_size=8)

    @settings(max_examples=300, deadline=None)
    @given(names=names)
    def check(names: list[str]) -> None:
        assert textfold.fold_all(names) == [textfold.fold(name) for name in names]

    check()


def test_lookup_folds_and_suggests(cli: Cli) -> None:
    cli.ok("customer", "add", "謝麗華", "--unit", "8B")
    cli.ok("customer", "add", "王小明")
    assert '"name": "謝麗華"' in cli.ok("customer", "show", "谢丽华", "-f", "json")
    code, _, err = cli("customer", "show", "谢丽")
    assert code == 1
    assert err == "Error: No customer '谢丽'. Did you mean #1 謝麗華 (8B)?\n"
    code, _, err = cli("customer", "show", "張無忌")
    assert code == 1 and "customer list --search" in err


def test_several_matches_list_the_candidates(cli: Cli) -> None:
    cli.ok("customer", "add", "謝麗華", "--unit", "8B")
    cli.ok("customer", "add", "谢丽华", "--unit", "17B", "--allow-duplicate")
    assert '"id": 2' in cli.ok("customer", "show", "谢丽华", "-f", "json")  # exactly as stored
    code, _, err = cli("customer", "show", "謝丽华")
    assert code == 1
    assert err == ("Error: 2 customers are named '謝丽华': #1 謝麗華 (8B); #2 谢丽华 (17B). "
                   "Use the id.\n")


def test_adding_a_folded_duplicate_needs_allow_duplicate(cli: Cli) -> None:
    cli.ok("customer", "add", "謝麗華")
    code, out, err = cli("customer", "add", "谢丽华")
    assert (code, out) == (1, "")
    assert "Customer #1 謝麗華 is already on file" in err and "--allow-duplicate" in err
    assert cli.ok("customer", "add", "谢丽华", "--allow-duplicate").startswith(
        "Added customer #2 谢丽华")


def test_an_older_file_gets_its_name_keys_folded(tmp_path: object) -> None:
    import sqlite3

    from crmcli.db import MIGRATIONS

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, name_key TEXT)")
    conn.execute("INSERT INTO customers VALUES (1, '謝麗華', '謝麗華'), (2, 'ACME', 'acme')")
    next(m for m in MIGRATIONS if m.__name__.endswith("name_key_folds_chinese_script"))(conn)
    assert conn.execute("SELECT name_key FROM customers ORDER BY id").fetchall() == [
        ("谢丽华",), ("acme",)]


@pytest.mark.parametrize(("args", "expected"), [
    (["customers"], "Error: No such command 'customers'. Did you mean 'customer'? "
                    "(see `crmcli --help`)\n"),
    (["customer", "lst"], "Error: No such command 'lst'. Did you mean 'list'? "
                          "(see `crmcli customer --help`)\n"),
    (["visit", "due", "--sumary"], "Error: No such option --sumary. Did you mean --summary? "
                                   "(see `crmcli visit due --help`)\n"),
    (["complaint", "lsit"], "Error: No such command 'lsit'. Did you mean 'list'? "
                            "(see `crmcli complaint --help`)\n"),
])
def test_a_mistyped_command_or_option_is_named(monkeypatch: pytest.MonkeyPatch,
                                               args: list[str], expected: str) -> None:
    from crmcli.cli import main

    monkeypatch.setattr(sys, "argv", ["crmcli", *args])
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert err.getvalue() == expected
