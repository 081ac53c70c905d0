"""What a command needs that does not need Typer: the app state (database, streams, clock,
session) and the one line on stderr and exit code an error becomes (STYLE habit 4). Typer's
commands use them through ``_common``; cron's quick `visit due` (crmcli.quickdue) directly."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.env import Env
from crmcli.errors import CrmError, ExitCode
from crmcli.i18n import _


def default_db_path() -> Path:
    from crmcli.quickcomplete import app_dir

    return app_dir() / "crm.db"


@dataclass
class AppState:
    db: Path | None = None
    debug: bool = False
    env: Env = field(default_factory=Env)
    _session: Any = field(default=None, repr=False)

    @property
    def db_path(self) -> Path:
        if self.db is not None:
            return self.db
        configured = os.environ.get("CRMCLI_DB")
        return Path(configured) if configured else default_db_path()

    def session(self, *, create: bool = False) -> Any:
        """The command's session; its connection is closed when the command ends."""
        from crmcli.db import connect
        from crmcli.services import Session

        if self._session is None:
            from crmcli.db import setting
            from crmcli.i18n import use_policy
            from crmcli.text import refuse_control

            refuse_control(self.env.user, "CRMCLI_USER")
            conn = connect(self.db_path, create=create)
            use_policy(setting(conn, "language"))
            self._session = Session(conn, self.env.clock(), self.env.user)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.conn.close()
            self._session = None


def _message(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return _("The database is busy (another crmcli is writing); try again in a moment.")
    if "readonly" in text or "read-only" in text:
        return _("The database is open read-only (you cannot write the file or its folder); "
                 "this command needs to write: ask whoever owns it, or check its permissions.")
    if "disk" in text and "full" in text:
        return _("The disk is full; nothing was written.")
    return _("Database error: {text}.").format(text=text)


def failed(env: Env, exc: BaseException, rollbacks: int, *, debug: bool) -> int | None:
    """Say on ``env``'s stderr, in one line, why a command failed, and return its exit code;
    None when the error is to propagate with its traceback (``debug``). ``rollbacks`` is
    ``db.ROLLBACKS[0]`` as the command started: an interruption says whether a change was
    rolled back."""
    if isinstance(exc, KeyboardInterrupt) or (
            isinstance(exc, sqlite3.Error) and str(exc) == "interrupted"):  # Ctrl-C in SQL
        from crmcli.db import ROLLBACKS

        env.err(_("Interrupted; the unfinished change was rolled back.")
                if ROLLBACKS[0] != rollbacks else _("Interrupted."))
        return int(ExitCode.INTERRUPTED)
    if debug:
        return None
    if isinstance(exc, CrmError):
        env.err(_("Error: {message}").format(message=exc))
        return int(exc.exit_code)
    if isinstance(exc, sqlite3.Error):
        env.err(_("Error: {message}").format(message=_message(exc)))
    elif isinstance(exc, OSError):  # a file crmcli writes or reads beside the database
        from crmcli.db import os_reason

        env.err(_("Error: {message}; nothing was changed.").format(message=os_reason(exc)))
    else:
        env.err(_("Error: {message}").format(message=_(
            "unexpected {kind}; nothing was changed. Rerun with --debug for details."
        ).format(kind=type(exc).__name__)))
    return int(ExitCode.FAILED)
