"""What every command shares: the app state, option types, error mapping and output helpers."""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from crmcli.env import Env
from crmcli.errors import CrmError, ExitCode
from crmcli.render import Format

P = ParamSpec("P")
R = TypeVar("R")


def default_db_path() -> Path:
    return Path(typer.get_app_dir("crmcli")) / "crm.db"


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
            from crmcli.text import refuse_control

            refuse_control(self.env.user, "CRMCLI_USER")
            conn = connect(self.db_path, create=create)
            self._session = Session(conn, self.env.clock(), self.env.user)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.conn.close()
            self._session = None


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def _message(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "The database is busy (another crmcli is writing); try again in a moment."
    if "readonly" in text or "read-only" in text:
        return ("The database is open read-only (you cannot write the file or its folder); "
                "this command needs to write: ask whoever owns it, or check its permissions.")
    if "disk" in text and "full" in text:
        return "The disk is full; nothing was written."
    return f"Database error: {text}."


def _check_encoding(ctx: Any, params: dict[str, Any]) -> None:
    """Every text a command is given is checked here, whatever the command does with it.

    Bytes that are not UTF-8 (a GBK terminal, a Latin-1 script) reach Python as lone
    surrogates, which SQLite and the output cannot take; control characters (an escape code,
    a CR, a bidi override) would act on the terminal or the cron mail that shows them again:
    refuse both as bad input, naming the option and never echoing the text."""
    from crmcli.errors import BadInput
    from crmcli.text import refuse_control

    declared = getattr(getattr(ctx, "command", None), "params", [])
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str):
                label = next((p.opts[0] for p in declared
                              if p.name == name and p.param_type_name == "option"), name)
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise BadInput(f"{label}: not UTF-8 text; set the terminal to UTF-8 "
                                   "(e.g. LANG=zh_CN.UTF-8).") from None
                refuse_control(item, label)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into one line on stderr and an exit code (STYLE habit 4)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # Typer passes its bundled Click's Context, which is not a typer.Context instance.
        ctx: Any = kwargs.get("ctx")
        app_state = state(ctx) if hasattr(ctx, "find_root") else AppState()
        debug = app_state.debug or os.environ.get("CRMCLI_DEBUG") == "1"
        from crmcli.db import ROLLBACKS

        rollbacks = ROLLBACKS[0]

        def interrupted() -> typer.Exit:
            rolled_back = ROLLBACKS[0] != rollbacks
            app_state.env.err("Interrupted; the unfinished change was rolled back." if rolled_back
                              else "Interrupted.")
            return typer.Exit(int(ExitCode.INTERRUPTED))

        try:
            _check_encoding(ctx, kwargs)
            return fn(*args, **kwargs)
        except CrmError as exc:
            if debug:
                raise
            app_state.env.err(f"Error: {exc}")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            raise interrupted() from None
        except sqlite3.Error as exc:
            if str(exc) == "interrupted":  # Ctrl-C inside a statement (see db._configure)
                raise interrupted() from None
            if debug:
                raise
            app_state.env.err(f"Error: {_message(exc)}")
            raise typer.Exit(int(ExitCode.FAILED)) from None
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise
        except OSError as exc:  # a file crmcli writes or reads beside the database
            if debug:
                raise
            from crmcli.db import os_reason

            app_state.env.err(f"Error: {os_reason(exc)}; nothing was changed.")
            raise typer.Exit(int(ExitCode.FAILED)) from None
        except Exception as exc:
            if debug:
                raise
            app_state.env.err(
                f"Error: unexpected {type(exc).__name__}; nothing was changed. "
                "Rerun with --debug for details."
            )
            raise typer.Exit(int(ExitCode.FAILED)) from None

    return wrapper


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, csv, tsv, json or jsonl.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most N rows.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened: 09:40, 'yesterday 15:00', 2026-11-20 10:00, -2h."),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who did it (default: $CRMCLI_USER).")]
BomOpt = Annotated[
    bool, typer.Option("--bom", help="Start csv/tsv with a UTF-8 BOM so Excel reads Chinese text.")
]
RevealOpt = Annotated[
    bool, typer.Option("--reveal", help="Show confidential details (needs --reason; logged).")
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (written to the log).")]
