"""The papers in a real browser: headless Chromium prints each to PDF and takes a screenshot.

Slow (``pytest -m slow``). Needs Debian's ``chromium``, ``fonts-noto-cjk`` and ``poppler-utils``
(pdfinfo, pdftotext). The PNGs and PDFs are left in CRMCLI_PAPERS_DIR when it is set, to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Cli

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parent.parent / "sample.db"
SAMPLE_NOW = "2026-11-23T08:00:00+08:00"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-pdf-header-footer"]
# (file, command, the most A4 pages it may take, CJK text that must be in the PDF)
PAPERS = [
    ("sheet", ["complaint", "show", "264"], 1, "客戶投訴處置表"),
    ("register", ["complaint", "list", "--month", "2026-10"], 3, "客戶投訴記錄表"),
    ("monthly", ["report", "monthly", "--month", "2026-10"], 4, "客戶投訴分析報告表"),
    ("quarterly", ["report", "quarterly", "--quarter", "2026Q3"], 30, "客戶關係評估"),
]


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium (apt-get install chromium fonts-noto-cjk poppler-utils)")


def _chromium(tmp_path: Path, *args: str) -> None:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    subprocess.run([_browser(), *FLAGS, f"--user-data-dir={profile}", *args], check=True,
                   capture_output=True, timeout=120)


@pytest.mark.parametrize(("name", "command", "most_pages", "cjk"), PAPERS)
def test_each_paper_prints_on_a4_with_its_chinese_text(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
        command: list[str], most_pages: int, cjk: str) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("no pdftotext (apt-get install poppler-utils)")
    db = tmp_path / "tower-a.db"
    shutil.copy(SAMPLE, db)
    monkeypatch.setenv("CRMCLI_DB", str(db))
    out_dir = Path(os.environ.get("CRMCLI_PAPERS_DIR", tmp_path))
    page = out_dir / f"{name}.html"
    cli.ok(*command, "--format", "html", "--output", str(page), now=SAMPLE_NOW)
    pdf, png = out_dir / f"{name}.pdf", out_dir / f"{name}.png"
    _chromium(tmp_path, f"--print-to-pdf={pdf}", page.as_uri())
    _chromium(tmp_path, "--window-size=900,1300", f"--screenshot={png}", page.as_uri())
    assert png.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    assert 1 <= pages <= most_pages
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert cjk in text
    assert "tower-a" in text  # the print header names the site on every page
    assert f"Page {pages} / {pages}" in text


def test_the_sheet_reads_on_a_phone(cli: Cli, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "tower-a.db"
    shutil.copy(SAMPLE, db)
    monkeypatch.setenv("CRMCLI_DB", str(db))
    out_dir = Path(os.environ.get("CRMCLI_PAPERS_DIR", tmp_path))
    page = out_dir / "sheet-phone.html"
    cli.ok("complaint", "show", "264", "--format", "html", "--output", str(page), now=SAMPLE_NOW)
    png = out_dir / "sheet-phone.png"
    _chromium(tmp_path, "--window-size=390,1800", f"--screenshot={png}", page.as_uri())
    assert png.stat().st_size > 10_000
