"""``crmcli today`` and ``crmcli day …``: the end-of-day screen and the day's record."""

from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    BomOpt,
    FormatOpt,
    ListFormatOpt,
    OutputOpt,
    handle_errors,
    state,
)
from crmcli.i18n import _, ngettext
from crmcli.render import Format, record, render

app = typer.Typer(help="The day's record (每日下班前記錄): close, list.", no_args_is_help=True)
today_app = typer.Typer()


@today_app.command("today")
@handle_errors
def today(
    ctx: typer.Context,
    by: Annotated[str | None, typer.Option("--by", help="Only this person's entries and "
                                           "items.")] = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """The end-of-day screen: entered today, still due today, due tomorrow.

    It also names whoever made entries today without a day record (`crmcli day close`).

    Example: crmcli today --by 李四
    """
    import json

    from crmcli.render import json_value
    from crmcli.services import agenda, days

    app_state = state(ctx)
    session = app_state.session()
    screen = days.today(session, by)
    env = app_state.env
    if fmt is Format.json:
        document = {name: [{k: json_value(v) for k, v in row.items() if k != "state"}
                           for row in rows] for name, rows in screen.items()}
        env.out(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if fmt is not Format.table:
        render(env, days.today_rows(screen), days.TODAY_COLUMNS, fmt, bom=bom)
        return
    entered = [{**row, "what": _what(row["what"]), "text": _signed(row)}
               for row in screen["entered"]]
    render(env, entered, days.ENTRY_COLUMNS, fmt, title=_("Entered today"),
           empty=_("Nothing entered today."))
    for name, title in (("due_today", _("Still due today")),
                        ("due_tomorrow", _("Due tomorrow"))):
        env.out("")
        render(env, screen[name], agenda.DUE_TABLE_COLUMNS, fmt, title=title,
               empty=_("{title}: nothing.").format(title=title), alert_key="overdue")
    for miss in screen["no_day_record"]:
        env.out("\n" + ngettext(
            "Reminder: {person} made {count} entry today and has no day record yet (crmcli day "
            "close --note …).",
            "Reminder: {person} made {count} entries today and has no day record yet (crmcli "
            "day close --note …).", miss["entries"]).format(person=miss["person"],
                                                            count=miss["entries"]))


def _what(text: str) -> str:
    """``visit (routine, phone)``, ``complaint opened`` in the interface language (the data
    formats keep the stored words)."""
    from crmcli.i18n import gap

    head, _sep, inner = text.partition(" (")
    words = gap().join(_(word) for word in head.split())
    if not inner:
        return words
    inside = ", ".join(_(word) for word in inner.rstrip(")").split(", "))
    return f"{words}（{inside}）" if not gap() else f"{words} ({inside})"


def _signed(row: dict[str, Any]) -> Any:
    """A signed receipt's line says who signed, in the language (csv keeps ``signed by X``)."""
    text = row["text"]
    if row["what"] == "notice signed" and isinstance(text, str) and text.startswith("signed by "):
        return _("signed by {name}").format(name=text[len("signed by "):])
    return text


@app.command("close")
@handle_errors
def close(
    ctx: typer.Context,
    note: Annotated[str, typer.Option("--note", help="How the day went.")],
    plan_done: Annotated[int | None, typer.Option("--plan-done", help="How much of the day's "
                                                  "plan was done, 0-100 %.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Whose day (default: "
                                           "$CRMCLI_USER).")] = None,
    day: Annotated[str | None, typer.Option("--day", help="A past day forgotten (default: "
                                            "today).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record the day's record before leaving; a second one the same day amends it.

    Example: crmcli day close --plan-done 90 --note "完成3戶回訪，B座漏水待跟進"
    """
    from crmcli.dates import parse_day
    from crmcli.services import days

    app_state = state(ctx)
    session = app_state.session()
    which = parse_day(day, session.now, "--day") if day is not None else None
    saved = days.close_day(session, note, plan_done, by, which)
    if fmt is Format.table:
        if saved["supersedes"]:
            text = _("Recorded the day of {person} for {day} (#{id}, amending #{old}).")
        else:
            text = _("Recorded the day of {person} for {day} (#{id}).")
        app_state.env.out(text.format(person=saved["person"], day=saved["day"], id=saved["id"],
                                      old=saved["supersedes"]))
    else:
        record(app_state.env, saved, days.COLUMNS, fmt)


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (local), this or "
                                              "last.")] = None,
    person: Annotated[str | None, typer.Option("--by", help="Only this person.")] = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List the day records in force (amended ones show how many times).

    Example: crmcli day list --month 2026-11 --format csv
    """
    from crmcli.dates import parse_month
    from crmcli.services import days

    app_state = state(ctx)
    session = app_state.session()
    rows = days.iter_days(session, parse_month(month, session.now) if month else None, person)
    render(app_state.env, rows, days.COLUMNS, fmt, bom=bom, empty=_("No day records."))
