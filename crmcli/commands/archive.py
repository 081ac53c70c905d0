"""``crmcli archive``: closed complaints past the retention period move to an archive file."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli.commands._common import FormatOpt, handle_errors, state
from crmcli.i18n import _, ngettext
from crmcli.render import Column, Format, record

app = typer.Typer()


@app.command("archive")
@handle_errors
def archive(
    ctx: typer.Context,
    before: Annotated[str | None, typer.Option(
        "--before", help="Only complaints closed before this day (never later than the "
        "retention period allows).")] = None,
    to: Annotated[Path | None, typer.Option(
        "--to", help="The archive file (default: beside the database, NAME-archive.db).")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move; move "
                                          "nothing.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Move complaints closed longer ago than retention_years (2) into an archive file.

    Each goes with its history, timers and follow-up visits, in batches, each copied,
    verified and only then deleted; the archive has the same schema (mode 0600). Reports on
    an archived month say so and where. Nothing else is ever deleted.

    Example: crmcli archive --dry-run
    """
    from crmcli.dates import parse_day
    from crmcli.services import archive as service

    app_state = state(ctx)
    session = app_state.session()
    day = parse_day(before, session.now, "--before") if before is not None else None
    db = app_state.db_path
    target = to or db.with_name(f"{db.stem}-archive.db")
    if target.resolve() == db.resolve():
        from crmcli.errors import BadInput

        raise BadInput(_("--to: the archive must be another file than the database."))
    found = service.plan(session, day, target)
    batches = 0 if dry_run or not found.ids else service.run(session, found)
    result = {"complaints": len(found.ids), "events": found.events, "visits": found.visits,
              "closed_before": found.cutoff, "to": str(target), "batches": batches,
              "dry_run": dry_run, "months": sorted(found.months)}
    if fmt is not Format.table:
        record(app_state.env, result, [Column(key) for key in result], fmt)
        return
    what = ngettext("{count} complaint closed before {day} ({events} events, {visits} "
                    "follow-up visits)",
                    "{count} complaints closed before {day} ({events} events, {visits} "
                    "follow-up visits)", len(found.ids)).format(
        count=len(found.ids), day=f"{found.cutoff:%Y-%m-%d}", events=found.events,
        visits=found.visits)
    if dry_run:
        app_state.env.out(_("Would archive {what} to {target}.").format(what=what,
                                                                        target=target))
    elif not found.ids:
        app_state.env.out(_("Nothing to archive: no complaint closed before {day}.").format(
            day=f"{found.cutoff:%Y-%m-%d}"))
    else:
        app_state.env.out(ngettext("Archived {what} to {target} in {count} batch.",
                                   "Archived {what} to {target} in {count} batches.",
                                   batches).format(what=what, target=target, count=batches))
