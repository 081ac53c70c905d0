"""``crmcli report …``: the monthly complaint analysis and the quarterly evaluation."""

from __future__ import annotations

import typer

app = typer.Typer(help="Reports: monthly complaint analysis, quarterly evaluation.",
                  no_args_is_help=True)
