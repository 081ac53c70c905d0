"""``crmcli init`` and ``crmcli db …``: the database file itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.commands._common import FormatOpt, handle_errors, state
from crmcli.i18n import _, ngettext
from crmcli.render import Column, Format, render, stderr_console

init_app = typer.Typer()
app = typer.Typer(help="The database file: where it is and what it holds.", no_args_is_help=True)


@init_app.command("init")
@handle_errors
def init(
    ctx: typer.Context,
    sample: Annotated[
        bool, typer.Option("--sample", help="Fill it with a realistic sample site as of today.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the sample.")] = 2026,
    site_name: Annotated[str | None, typer.Option(
        "--site-name", help="The site's name in the head office's reports (default: the "
        "file's name without .db).")] = None,
) -> None:
    """Create the database (mode 0600), or bring an existing one up to the current schema.

    Example: crmcli --db site.db init --sample --site-name 華信大廈
    """
    import os

    from crmcli.dates import short_local
    from crmcli.db import LATEST, migrate
    from crmcli.errors import Conflict
    from crmcli.i18n import locale_language, normalize, use_policy
    from crmcli.services import policy as policy_service

    app_state = state(ctx)
    path = app_state.db_path
    existed = path.exists() and path.stat().st_size > 0  # an empty file is made, not checked
    session = app_state.session(create=True)  # closed when the command ends
    conn = session.conn
    if sample:
        from crmcli import sample as sample_data

        if conn.execute("SELECT count(*) FROM customers").fetchone()[0]:
            raise Conflict(_("{path} already has customers; --sample needs a new "
                             "database.").format(path=path))
        sample_data.build(conn, app_state.env.clock(), seed=seed)
    else:
        migrate(conn)
    if site_name is not None or not existed:
        policy_service.set_value(session, "site_name", site_name or path.stem or path.name)
    # The site's language: what the person setting it up asked for, else their locale.
    language = normalize(os.environ.get("CRMCLI_LANG", "")) or locale_language()
    if policy_service.set_default(session, "language", language):
        use_policy(language)
    if sample:
        app_state.env.out(_("Created {path} with a sample site as of {now}.").format(
            path=path, now=short_local(app_state.env.clock())))
        return
    text = (_("Checked {path} (schema {schema}).") if existed
            else _("Created {path} (schema {schema}).")).format(path=path, schema=LATEST)
    app_state.env.out(text)


@app.command("path")
@handle_errors
def path(ctx: typer.Context) -> None:
    """Print the path of the database crmcli uses (from --db, $CRMCLI_DB or the default).

    Example: crmcli db path
    """
    app_state = state(ctx)
    app_state.env.out(str(app_state.db_path))


@app.command("status")
@handle_errors
def status(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Show the database's path, schema version, size and row counts.

    Example: crmcli db status --format json
    """
    from crmcli.db import LATEST, schema_version, table_counts

    app_state = state(ctx)
    session = app_state.session()
    db_path = app_state.db_path
    size = sum(p.stat().st_size for p in (db_path, db_path.with_name(db_path.name + "-wal"))
               if p.exists())
    counts = table_counts(session.conn)
    facts = {"path": str(db_path), "schema_version": schema_version(session.conn),
             "schema_latest": LATEST, "size_bytes": size,
             "journal_mode": session.conn.execute("PRAGMA journal_mode").fetchone()[0],
             **{f"rows_{name}": count for name, count in counts.items()}}
    if fmt is Format.table:
        rows = [{"item": key, "value": value} for key, value in facts.items()]
        render(app_state.env, rows, [Column("item"), Column("value")], fmt)
    else:
        render(app_state.env, [facts], [Column(key) for key in facts], fmt)


@init_app.command("backup")
@handle_errors
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Make a consistent copy of the database while others may be writing (mode 0600).

    Example: crmcli backup /srv/backups/site-$(date +%a).db --force
    """
    from crmcli.services import maintenance

    app_state = state(ctx)
    session = app_state.session()
    size = maintenance.backup(session.conn, target, force=force)
    app_state.env.out(_("Backed up {source} to {target} ({size:,} bytes).").format(
        source=app_state.db_path, target=target, size=size))


@init_app.command("check")
@handle_errors
def check(
    ctx: typer.Context,
    repair: Annotated[bool, typer.Option(
        "--repair", help="First rewrite the stored complaint outcomes and payment figures "
        "that do not follow from the recorded history (the history is never changed).")]
    = False,
) -> None:
    """Check the database: SQLite integrity, foreign keys and crmcli's own invariants.

    Example: crmcli check
    """
    from crmcli.errors import CrmError
    from crmcli.services import maintenance

    app_state = state(ctx)
    conn = app_state.session().conn
    if repair:
        with _working(app_state, _("Rewriting stored outcomes from the history…")):
            rewritten = maintenance.repair(conn)
        balances = maintenance.repair_balances(conn)
        app_state.env.out(ngettext(
            "Rewrote the stored outcome of {count} complaint from its history.",
            "Rewrote the stored outcome of {count} complaints from their history.",
            rewritten).format(count=rewritten))
        if balances:
            app_state.env.out(ngettext(
                "Rewrote the payment figures of {count} customer from their invoices and "
                "payments.",
                "Rewrote the payment figures of {count} customers from their invoices and "
                "payments.", balances).format(count=balances))
    with _working(app_state, _("Checking the file and replaying every complaint's history…")):
        problems = maintenance.check(conn)
    if problems:
        for problem in problems:
            app_state.env.err(f"- {problem}")
        raise CrmError(ngettext("{count} problem found in {path}.",
                                "{count} problems found in {path}.", len(problems)).format(
                                    count=len(problems), path=app_state.db_path))
    app_state.env.out(_("{path}: integrity ok, foreign keys ok, records "
                        "consistent.").format(path=app_state.db_path))


def _working(app_state: Any, text: str) -> Any:
    """A transient Rich status on a terminal's stderr (a large file takes minutes to check);
    nothing in a pipe or under cron."""
    from contextlib import nullcontext

    out = stderr_console(app_state.env)
    return nullcontext() if out is None else out.status(text)
