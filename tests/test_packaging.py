"""The wheel carries what runs need besides the code: the papers' templates and stylesheet,
and the compiled message catalogues."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_ships_the_paper_templates(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=300,
                   cwd=tmp_path)
    (wheel,) = tmp_path.glob("crmcli-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.relative_to(ROOT).as_posix()
                 for p in (ROOT / "crmcli" / "papers" / "templates").iterdir()}
    assert templates and templates <= names
    catalogues = {p.relative_to(ROOT).as_posix()
                  for p in (ROOT / "crmcli" / "locale").glob("*/LC_MESSAGES/crmcli.mo")}
    assert len(catalogues) == 2 and catalogues <= names  # zh_Hant, zh_Hans
    # the program starts in crmcli.launch (shell completion before Typer) and the completion
    # table generated from the commands ships with it
    assert "crmcli/completion_table.py" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "crmcli = crmcli.launch:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
