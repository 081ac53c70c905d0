from conftest import Cli


def test_add_then_list_shows_the_customer(cli: Cli) -> None:
    assert cli.ok("customer", "add", "王小明", "--phone", "13800138000") == (
        "Added customer #1 王小明.\n"
    )
    out = cli.ok("customer", "list", "--format", "csv")
    assert out.splitlines()[1].startswith("1,王小明,,13800138000,")
