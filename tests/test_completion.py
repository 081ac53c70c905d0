"""Shell completion knows the data: customers, open complaints, categories in use, methods,
kinds and policy keys — asked through Click's completion protocol, as a shell asks."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import Cli
from typer.testing import CliRunner

from crmcli import quickcomplete
from crmcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import completion_table  # noqa: E402


def complete(line: str, db: Path | None = None) -> list[str]:
    """The candidates a shell gets for the last word of ``line`` (bash's protocol)."""
    words = line.split(" ")
    env = {"_CRMCLI_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1)}
    if db is not None:
        env["CRMCLI_DB"] = str(db)
    result = CliRunner().invoke(app, [], env=env, prog_name="crmcli")
    return [line for line in result.output.splitlines() if line]


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "謝麗華", "--unit", "8B")
    cli.ok("customer", "add", "謝建國")
    cli.ok("customer", "add", "王小明")
    cli.ok("complaint", "open", "謝麗華", "漏水", "--category", "漏水", "--at", "08:00")
    cli.ok("complaint", "open", "王小明", "噪音", "--category", "噪音", "--at", "08:10")
    cli.ok("complaint", "open", "王小明", "空調", "--category", "空調", "--at", "08:20")
    cli.ok("complaint", "close", "2", "--resolution", "已處理")
    return cli


def shell_env(shell: str, line: str) -> dict[str, str]:
    """What each shell's completion script (Typer's) puts in the environment."""
    if shell == "bash":
        return {"_CRMCLI_COMPLETE": "complete_bash", "COMP_WORDS": line,
                "COMP_CWORD": str(len(line.split(" ")) - 1)}
    env = {"_CRMCLI_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    return env


def quick(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line: str,
          shell: str = "bash") -> str | None:
    """What crmcli.quickcomplete prints for ``line``, or None when it leaves it to Click."""
    with monkeypatch.context() as patch:
        for name, value in shell_env(shell, line).items():
            patch.setenv(name, value)
        capsys.readouterr()
        status = quickcomplete.answer()
    out = capsys.readouterr().out
    return None if status is None else out


def through_click(line: str, shell: str = "bash") -> str:
    result = CliRunner().invoke(app, [], env=shell_env(shell, line), prog_name="crmcli")
    return result.output


def test_the_completion_table_is_the_commands() -> None:
    """crmcli/completion_table.py is generated from the commands: a new option with completion
    or a new kind needs `python scripts/completion_table.py`."""
    assert (ROOT / "crmcli" / "completion_table.py").read_text(encoding="utf-8") == \
        completion_table.render()


QUICK_LINES = [
    "crmcli customer show 謝", "crmcli customer show 1", "crmcli complaint open 王",
    "crmcli complaint respond ", "crmcli --db {db} complaint respond ",
    "crmcli complaint list --customer 謝麗", "crmcli complaint list --category ",
    "crmcli complaint open 王小明 x --category 空", "crmcli visit log 王小明 --method ",
    "crmcli visit log 王小明 --at 09:00 --method w", "crmcli visit due --kind f",
    "crmcli -h policy set res", "crmcli visit log 王小明 --complaint 3",
]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_quick_answer_is_clicks_answer(site: Cli, db_path: Path, shell: str,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for template in QUICK_LINES:
        line = template.format(db=db_path)
        answered = quick(monkeypatch, capsys, line, shell)
        assert answered is not None, line
        assert answered == through_click(line, shell), line


@pytest.mark.parametrize("line", [
    "crmcli cust", "crmcli customer sh", "crmcli customer show --f", "crmcli customer add 王",
    "crmcli customer show 王 extra", "crmcli complaint list --category=空", "crmcli --bogus x",
    "crmcli visit log 王 -- 1", "crmcli customer show -fjson 王",
])
def test_what_the_data_does_not_answer_is_left_to_click(site: Cli, line: str,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert quick(monkeypatch, capsys, line) is None


def test_fish_asks_first_whether_there_is_anything(site: Cli, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("_CRMCLI_COMPLETE", "complete_fish")
    monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "is-args")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "crmcli customer show 謝")
    assert quickcomplete.answer() == 0
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "crmcli customer show 張")
    assert quickcomplete.answer() == 1
    assert capsys.readouterr().out == ""


def test_simplified_characters_complete_traditional_names(
        site: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Typed as 谢 (simplified), offered as stored: the prefix is folded like customers.name_key
    (Click's own path offers only names starting with what was typed)."""
    assert quick(monkeypatch, capsys, "crmcli customer show 谢") == "謝麗華\n謝建國\n"
    assert quick(monkeypatch, capsys, "crmcli customer show 谢丽") == "謝麗華\n"
    assert quick(monkeypatch, capsys, "crmcli complaint list --category 空调") == "空調\n"
    assert quick(monkeypatch, capsys, "crmcli customer show 谢", "zsh") == (
        "_arguments '*: :((\"謝麗華\":\"#1 8B\"\n\"謝建國\":\"#2\"))'\n")


def test_app_dir_is_clicks() -> None:
    import typer

    assert quickcomplete.app_dir() == Path(typer.get_app_dir("crmcli"))


def test_customer_names_and_ids(site: Cli) -> None:
    assert complete("crmcli customer show 謝") == ["謝麗華", "謝建國"]  # by folded name
    assert complete("crmcli complaint open 王") == ["王小明"]
    assert complete("crmcli visit log 1") == ["1"]
    assert complete("crmcli complaint list --customer 謝麗") == ["謝麗華"]


def test_open_complaint_ids_newest_first(site: Cli) -> None:
    assert complete("crmcli complaint respond ") == ["3", "1"]  # #2 is closed
    assert complete("crmcli visit log 王小明 --complaint 3") == ["3"]


def test_categories_in_use(site: Cli) -> None:
    assert complete("crmcli complaint list --category ") == ["噪音", "漏水", "空調"]
    assert complete("crmcli complaint open 王小明 x --category 空") == ["空調"]


@pytest.mark.parametrize(("line", "expected"), [
    ("crmcli visit log 王小明 --method ", ["phone", "wechat", "in-person", "email", "letter"]),
    ("crmcli visit log 王小明 --method w", ["wechat"]),
    ("crmcli visit schedule 王小明 --kind s", ["survey"]),
    ("crmcli visit due --kind f", ["followup"]),
    ("crmcli service log 王小明 x --type ", ["repair", "maintenance", "paid"]),
    ("crmcli complaint open 王小明 x --channel h", ["hotline"]),
    ("crmcli policy set res", ["response_hours", "resolve_hours", "residence_visit_months"]),
    ("crmcli policy set cadence.", ["cadence.tag.", "cadence.segment."]),
    ("crmcli cust", ["customer"]),
])
def test_fixed_words(cli: Cli, line: str, expected: list[str]) -> None:
    assert complete(line) == expected


def test_no_database_completes_nothing_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert complete("crmcli customer show ", missing) == []
    assert not missing.exists()


def test_completion_is_quick(site: Cli) -> None:
    for _ in range(3):  # once to warm the imports, then as a shell would ask
        started = time.perf_counter()
        complete("crmcli customer show 謝")
        elapsed = time.perf_counter() - started
    assert elapsed < 0.2


def test_categories_of_complaints_entered_before_the_category_table(site: Cli,
                                                                    db_path: Path) -> None:
    """A file whose complaints came in without their categories remembered (an import, an
    older crmcli) still completes the categories its complaints use."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM complaint_categories")
    conn.commit()
    conn.close()
    assert complete("crmcli complaint list --category ") == ["噪音", "漏水", "空調"]


def test_bash_keeps_what_was_typed_when_names_differ_in_script(
        site: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Bash puts in what the candidates share: 謝麗華 and 謝丽华 share 謝, which would cut 谢丽华
    down to 謝. What was typed is offered too, so nothing is cut; a unique name replaces it."""
    site.ok("customer", "add", "謝丽华", "--allow-duplicate")
    assert quick(monkeypatch, capsys, "crmcli customer show 谢丽华") == "谢丽华\n謝麗華\n謝丽华\n"
    assert quick(monkeypatch, capsys, "crmcli customer show 谢建") == "謝建國\n"
    assert quick(monkeypatch, capsys, "crmcli customer show 謝") == "謝麗華\n謝丽华\n謝建國\n"
    site.ok("customer", "add", "谢小明")
    assert quick(monkeypatch, capsys, "crmcli customer show 谢") == (  # nothing in common
        "謝麗華\n謝丽华\n谢小明\n謝建國\n")


def test_the_completion_fold_is_the_stored_name_key() -> None:
    from crmcli import fields
    from crmcli.textfold import fold

    for name in ("謝麗華", "ＡＢＣ 公司", "王 小明", "Lee Ka-ho", "空調"):
        assert fold(name) == fields.name_key(name)


@pytest.mark.parametrize("name", ["site #1.db", "50% off?.db", "王 小明.db"])
def test_a_database_whose_name_needs_escaping_in_a_uri(tmp_path: Path, name: str) -> None:
    import sqlite3

    path = tmp_path / name
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    uri = quickcomplete._read_only_uri(str(path))
    conn = sqlite3.connect(uri, uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("INSERT INTO t VALUES (1)")
    finally:
        conn.close()
