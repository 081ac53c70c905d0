"""``crmcli hq …``: the head office's view of many site files, read read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    BomOpt,
    ListFormatOpt,
    OutputOpt,
    PaperFormatOpt,
    handle_errors,
    state,
)
from crmcli.i18n import _, ngettext
from crmcli.render import Column, Format, PaperFormat, render

app = typer.Typer(help="The head office's view of many site files: monthly figures, overdue "
                  "work.", no_args_is_help=True)

# Text, made a Path here: Click's path type would look at a name it cannot take (a NUL byte)
# while parsing, before crmcli can say what is wrong with it.
SitesOpt = Annotated[list[str] | None, typer.Option(
    "--sites", help="A site file, or a directory of them (its *.db files); repeatable.",
    show_default=False)]
MoreSites = Annotated[list[str] | None, typer.Argument(
    help="More site files (so a shell pattern works: --sites /srv/replicas/*.db).",
    show_default=False)]

# The table shows what fits 80 columns; csv/json carry every figure.
REPORT_LABELS = {"site": "site", "complaints_opened": "opened", "complaints_closed": "closed",
                "complaints_major": "major", "response_on_time_pct": "resp%",
                "resolved_on_time_pct": "resol%", "median_resolution_hours": "med.h",
                "followup_rate_pct": "f-up%", "avg_satisfaction": "sat."}
DUE_LABELS = {"site": "site", "kind": "kind", "overdue": "overdue", "oldest_shown": "oldest due",
             "oldest_customer": "customer", "oldest_reason": "reason"}
ITEM_LABELS = {"site": "site", "kind": "kind", "due_shown": "due", "overdue_for": "late by",
              "customer": "customer", "reason": "reason"}
LEFT = ("scope", "site", "file", "zone", "month", "kind", "due", "oldest_due", "due_shown",
        "oldest_shown", "customer",
        "oldest_customer", "reason", "oldest_reason", "owner", "overdue_for")


def _sources(sites: list[str] | None, more: list[str] | None) -> list[Path]:
    from crmcli.errors import BadInput

    sources = [*(sites or []), *(more or [])]
    if not sources:
        raise BadInput(_("--sites: name the site files or a directory of them."))
    if any("\x00" in source for source in sources):
        raise BadInput(_("--sites: a file name cannot hold a NUL byte."))
    return [Path(source) for source in sources]


def _columns(keys: tuple[str, ...], fmt: Format, shown: dict[str, str] | None = None
             ) -> list[Column]:
    def justify(key: str) -> str:
        return "left" if key in LEFT else "right"

    if fmt is Format.table and shown is not None:
        return [Column(key, header, justify=justify(key), words=key == "kind")
                for key, header in shown.items()]
    return [Column(key, justify=justify(key)) for key in keys]


def _printable(text: str) -> str:
    """A file name as typed or found, with no control character reaching the terminal."""
    return "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


def _finish(skipped: list[Any], read: int) -> None:
    """Fail the command (exit 1) after the output if any file was left out, naming each."""
    from crmcli.errors import CrmError

    if skipped:
        lines = [ngettext("{count} of {total} site files could not be read; the output "
                          "covers the other {read}:",
                          "{count} of {total} site files could not be read; the output "
                          "covers the other {read}:", len(skipped)).format(
            count=len(skipped), total=len(skipped) + read, read=read)]
        lines += [f"- {_printable(str(path))}: {reason}" for path, reason in skipped]
        raise CrmError("\n".join(lines))


@app.command("report")
@handle_errors
def report(
    ctx: typer.Context,
    sites: SitesOpt = None,
    more: MoreSites = None,
    month: Annotated[str, typer.Option(
        "--month", help="YYYY-MM, 'last' or 'this', in each site's own calendar.")] = "this",
    fmt: PaperFormatOpt = PaperFormat.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """Each site's monthly complaint figures and the company's, from many site files.

    A site's row is exactly its own `report monthly`; the company row is worked out from
    the complaints of every site (a median over all of them, percentages from the counts).
    Files that cannot be read are named on stderr and skipped (exit 1 at the end).
    With --format html, a page to print: the sites side by side, then each site's analysis.

    Example: crmcli hq report --sites /srv/replicas --month last --format csv > 2026-10.csv
    """
    from crmcli.services import hq

    app_state = state(ctx)
    env = app_state.env
    if fmt is PaperFormat.html:
        _paper(app_state, _sources(sites, more), month)
        return
    table = Format(fmt)
    found = hq.report(_sources(sites, more), month, env.clock(), env.user)
    title = (_("Complaint figures {month}").format(month=found.rows[-1]["month"])
             if found.rows else None)
    render(env, found.rows, _columns(hq.REPORT_KEYS, table, REPORT_LABELS), table, bom=bom,
           title=title, empty=_("No site could be read."))
    _finish(found.skipped, found.read)


def _paper(app_state: Any, sources: list[Path], month: str) -> None:
    """The head office's printed analysis: each site's, made while its zone is in force."""
    from crmcli import papers
    from crmcli.dates import parse_month
    from crmcli.services import hq, reports

    def section(session: Any, name: str) -> Any:
        year, number = parse_month(month, session.now)
        return papers.analysis(name, reports.monthly(session, year, number, screen=True),
                               reports.missed_by_timer(session, year, number))

    env = app_state.env
    found = hq.report(sources, month, env.clock(), env.user, each=section)
    period = found.rows[-1]["month"] if found.rows else month
    env.stdout.write(papers.head_office(period, found.rows, found.extras, env.clock()))
    _finish(found.skipped, found.read)


@app.command("due")
@handle_errors
def due(
    ctx: typer.Context,
    sites: SitesOpt = None,
    more: MoreSites = None,
    oldest: Annotated[int | None, typer.Option(
        "--oldest", min=1, help="List each site's N most overdue items instead of the counts.")]
    = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """Overdue work at each site, by kind, with the oldest item of each; or the oldest items.

    What `visit due` shows as overdue at each site, at the site's own time of day. Files
    that cannot be read are named on stderr and skipped (exit 1 at the end).

    Example: crmcli hq due --sites /srv/replicas --oldest 5
    """
    from crmcli.services import hq

    app_state = state(ctx)
    env = app_state.env
    found = hq.due(_sources(sites, more), env.clock(), env.user, oldest or 0)
    if oldest:
        render(env, found.items, _columns(hq.ITEM_KEYS, fmt, ITEM_LABELS), fmt, bom=bom,
               empty=_("Nothing overdue at any site."))
    else:
        render(env, found.rows, _columns(hq.DUE_KEYS, fmt, DUE_LABELS), fmt, bom=bom,
               empty=_("Nothing overdue at any site."))
    _finish(found.skipped, found.read)
