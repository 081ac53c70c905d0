"""What varies between a terminal, a pipe, cron and a test: streams, colour, the user, the clock."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from crmcli.clock import Clock, system_clock


def _user() -> str:
    explicit = os.environ.get("CRMCLI_USER")
    if explicit:
        return explicit
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Env:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Clock = system_clock
    user: str = field(default_factory=_user)
    stdout_isatty: bool | None = None
    # Where a binary format (xlsx) writes: the file --output is filling (None: standard output).
    file: Path | None = None
    # A table on a terminal shows at most this many rows unless the command was given --limit
    # (a site's 100 000 customers would otherwise leave a blank screen for a minute while the
    # table is laid out); pipes, files, cron and the machine formats always get every row.
    screen_rows: int | None = 500

    def __post_init__(self) -> None:
        if self.stdout_isatty is None:
            self.stdout_isatty = _isatty(self.stdout)

    @property
    def rich(self) -> bool:
        """Rich output (colour, boxes, alerts) only on a real terminal that wants colour."""
        return bool(
            self.stdout_isatty
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM", "") != "dumb"
        )

    @property
    def stderr_rich(self) -> bool:
        return _isatty(self.stderr) and "NO_COLOR" not in os.environ

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()
