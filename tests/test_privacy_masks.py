"""What privacy covers (seed 003) and what a mask may never do: show most of a value, or come
back through an import as if it were the value (issue 13, items 1-3)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import Cli

from crmcli import fields


# seed 003: "24.身體殘疾physical handicap 25.過敏allergies 26.飲食需求注意dietary requirements";
# "業主的健康信息"; "凡調用查看有關業戶喜好的客情資料時…必須清楚填寫調閱查看記錄並簽名".
@pytest.mark.parametrize(("key", "sensitive"), [
    ("allergies", True), ("Allergy", True), ("過敏", True), ("过敏", True), ("食物過敏", True),
    ("physical handicap", True), ("disability", True), ("殘疾", True), ("残疾", True),
    ("dietary", True), ("diet", True), ("飲食需求", True), ("饮食", True),
    ("health", True), ("健康", True), ("medical", True), ("medication", True), ("藥物", True),
    ("药", True), ("慢性病", True),
    ("language", False), ("contact_time", False), ("茶/咖啡偏好", False), ("pillow type", False),
    ("music", False), ("報紙", False), ("golfer", False),
])
def test_sensitive_preference_keys(key: str, sensitive: bool) -> None:
    assert fields.is_sensitive_key(key) is sensitive


@pytest.mark.parametrize(("masker", "value", "masked"), [
    (fields.mask_phone, "13912345678", "139****78"),
    (fields.mask_phone, "91234567", "91****67"),
    (fields.mask_phone, "+8613800138000", "+86****000"),
    (fields.mask_phone, "1234", "1****4"),
    (fields.mask_address, "88號", "8****"),
    (fields.mask_address, "深圳市福田區保密路88號", "深圳市****"),
    (fields.mask_address, "A", "****"),
    (fields.mask_email, "r@c.cn", "***@***"),
    (fields.mask_email, "secret.li@example.com", "s***@***.com"),
    (fields.mask_email, "longname.here@qq.com", "l***@qq.com"),
])
def test_a_mask_never_shows_half_of_a_value(masker: object, value: str, masked: str) -> None:
    assert masker(value) == masked  # type: ignore[operator]
    shown = len(masked.replace("*", "").replace("@", ""))
    assert shown <= len(value) // 2, (value, masked)


@pytest.fixture
def site(cli: Cli) -> Cli:
    cli.ok("customer", "add", "李四", "--confidential", "--phone", "13912345678", "--email",
           "r@c.cn", "--address", "真實路88號", "--unit", "B-2301", "--preference",
           "過敏=花生", "--preference", "language=粵語", "--sensitive-note", "輪椅出入")
    cli.ok("customer", "add", "王五", "--phone", "91234567", "--preference", "diet=低鹽",
           "--sensitive-note", "糖尿病")
    return cli


SECRETS = ["13912345678", "r@c.cn", "真實路88號", "88號", "B-2301", "2301", "花生", "輪椅出入",
           "低鹽", "糖尿病"]


def listed(cli: Cli, *args: str) -> list[dict[str, object]]:
    return list(json.loads(cli.ok("customer", "list", *args, "-f", "json")))


def test_unit_sensitive_preferences_and_sensitive_note_are_masked_everywhere(site: Cli) -> None:
    for args in (["customer", "list"], ["customer", "list", "-f", "csv"],
                 ["customer", "list", "-f", "json"], ["customer", "export"],
                 ["customer", "export", "-f", "jsonl"], ["customer", "show", "李四"],
                 ["customer", "show", "王五", "-f", "json"], ["customer", "show", "1", "-f", "csv"],
                 ["customer", "history", "李四", "-f", "json"],
                 ["customer", "history", "王五", "-f", "json"]):
        out = site.ok(*args)
        assert [s for s in SECRETS if s in out] == [], args
    first, second = listed(site)
    assert (first["unit"], first["preferences"], first["sensitive_note"]) == (
        "B-2****", {"過敏": "****", "language": "粵語"}, "****")
    assert first["masked"] == ["phone", "email", "address", "unit", "preferences",
                               "sensitive_note"]
    assert (second["phone"], second["preferences"], second["masked"]) == (
        "91234567", {"diet": "****"}, ["preferences", "sensitive_note"])
    assert site.ok("access-log", "-f", "json") == "[]\n"


def test_search_does_not_look_into_what_a_mask_hides(site: Cli) -> None:
    assert listed(site, "--search", "2301") == []
    assert listed(site, "--search", "糖尿") == []
    site.ok("customer", "add", "李四", "--allow-duplicate", "--unit", "C-1")
    code, _, err = site("customer", "show", "李四")
    assert code == 1 and "B-2301" not in err and "C-1" in err


def test_revealing_sensitive_details_is_logged(site: Cli) -> None:
    shown = json.loads(site.ok("customer", "show", "王五", "--reveal", "--reason", "準備餐點",
                               "-f", "json"))
    assert (shown["preferences"], shown["sensitive_note"]) == ({"diet": "低鹽"}, "糖尿病")
    listing = listed(site, "--reveal", "--reason", "年度核對")
    assert listing[0]["unit"] == "B-2301" and listing[1]["sensitive_note"] == "糖尿病"
    log = json.loads(site.ok("access-log", "-f", "json"))
    assert sorted((e["customer"], e["action"]) for e in log) == [
        ("李四", "list"), ("王五", "list"), ("王五", "show")]


def test_lifting_confidentiality_needs_a_reason_and_is_logged(site: Cli) -> None:
    code, _, err = site("customer", "edit", "李四", "--not-confidential")
    assert code == 2 and "--reason" in err
    assert listed(site)[0]["confidential"] is True
    site.ok("customer", "edit", "李四", "--not-confidential", "--reason", "業主同意")
    assert listed(site)[0]["phone"] == "13912345678"
    log = json.loads(site.ok("access-log", "-f", "json"))
    assert [(e["customer"], e["action"], e["reason"]) for e in log] == [
        ("李四", "unmark", "業主同意")]


def export(cli: Cli, tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "masked.csv"
    path.write_text(cli.ok("customer", "export", *args), encoding="utf-8", newline="")
    return path


def stored(db: Path) -> list[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT * FROM customers ORDER BY id"))


def test_a_masked_export_imported_back_never_overwrites_the_real_values(
        site: Cli, tmp_path: Path, db_path: Path) -> None:
    before = stored(db_path)
    path = export(site, tmp_path)
    out = site.ok("customer", "import", str(path), "--update-existing")
    assert "line 2: customer #1: kept the stored phone, email, address, unit, preferences, " \
        "sensitive_note (masked in the file)." in out
    assert "line 3: customer #2: kept the stored preferences, sensitive_note" in out
    assert [row[:-1] for row in stored(db_path)] == [row[:-1] for row in before]
    history = json.loads(site.ok("customer", "history", "李四", "-f", "json"))
    assert [h for h in history if "*" in str(h["old"]) + str(h["new"])] == []


def test_a_file_without_the_masked_column_is_read_as_safely(
        site: Cli, tmp_path: Path, db_path: Path) -> None:
    before = stored(db_path)
    rows = list(csv.reader(io.StringIO(export(site, tmp_path).read_text(encoding="utf-8"))))
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for row in rows:
            writer.writerow(row[:-1])  # the masked column dropped, as a spreadsheet might
    site.ok("customer", "import", str(edited), "--update-existing")
    assert [row[:-1] for row in stored(db_path)] == [row[:-1] for row in before]


@pytest.mark.parametrize("drop_masked", [False, True])
def test_a_masked_export_is_refused_by_a_new_database_naming_line_and_column(
        site: Cli, tmp_path: Path, drop_masked: bool) -> None:
    path = export(site, tmp_path)
    if drop_masked:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(row[:-1] for row in rows)
    other = tmp_path / "new.db"
    site.ok("--db", str(other), "init")
    code, _, err = site("--db", str(other), "customer", "import", str(path))
    assert code == 2
    for column in ("phone", "email", "address", "unit", "preferences", "sensitive_note"):
        assert f"line 2, column {column}: a masked value" in err
    assert "line 3, column sensitive_note: a masked value" in err
    assert site.ok("--db", str(other), "customer", "list", "-f", "json") == "[]\n"


def test_an_import_cannot_lift_confidentiality(site: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lift.csv"
    path.write_text("name,confidential\n李四,no\n", encoding="utf-8")
    code, _, err = site("customer", "import", str(path), "--update-existing")
    assert code == 2
    assert "line 2, column confidential: customer #1 is confidential" in err
    assert listed(site)[0]["confidential"] is True


def test_a_revealed_export_moves_every_value_to_a_new_database(site: Cli, tmp_path: Path
                                                               ) -> None:
    path = export(site, tmp_path, "--reveal", "--reason", "搬遷")
    other = tmp_path / "new.db"
    site.ok("--db", str(other), "init")
    site.ok("--db", str(other), "customer", "import", str(path))
    again = site.ok("--db", str(other), "customer", "export", "--reveal", "--reason", "核對")
    assert again == path.read_text(encoding="utf-8")
