"""``crmcli policy …``: the site's policy settings (deadlines, cadence, region)."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.commands._common import ListFormatOpt, OutputOpt, handle_errors, policy_keys, state
from crmcli.i18n import _
from crmcli.render import Column, Format, render

app = typer.Typer(help="The site's policy: deadlines, cadence, holiday region.",
                  no_args_is_help=True)


@app.command("show")
@handle_errors
def show(ctx: typer.Context, fmt: ListFormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Show every policy setting in force, with what it means.

    Example: crmcli policy show
    """
    from crmcli.services import policy

    app_state = state(ctx)
    rows = policy.show(app_state.session())
    render(app_state.env, rows, [Column("key"), Column("value"), Column("meaning")], fmt)


@app.command("set")
@handle_errors
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A setting from `policy show`, or cadence.tag.TAG.",
                                     autocompletion=policy_keys)],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Change a policy setting from now on; running timers keep the values they started with.

    Example: crmcli policy set cadence.tag.VIP 2w
    """
    from crmcli.confirm import confirmation
    from crmcli.services import policy

    app_state = state(ctx)
    session = app_state.session()
    key, value = policy.set_value(session, key, value)
    app_state.env.out(confirmation(_("Policy {key} = {value} from now on.").format(
        key=key, value=value), session.now))
