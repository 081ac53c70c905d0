"""``crmcli visit …``, ``crmcli service …`` and ``crmcli care``: follow-ups and contacts."""

from __future__ import annotations

import typer

app = typer.Typer(help="Follow-ups and contacts: log, schedule, list, due.", no_args_is_help=True)
service_app = typer.Typer(help="Work done on site: repairs, maintenance, paid services.",
                          no_args_is_help=True)
care_app = typer.Typer()
