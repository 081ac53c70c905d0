"""``crmcli replicate …`` and ``crmcli restore``: the site file replicated off the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmcli.commands._common import FormatOpt, handle_errors, state
from crmcli.i18n import _, ngettext
from crmcli.render import Column, Format, render

app = typer.Typer(help="Continuous replication of the site file off the machine (Litestream).",
                  no_args_is_help=True)
restore_app = typer.Typer()

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="The Litestream configuration file (default: beside the database, "
    "SITE.db.litestream.yml).", show_default=False)]

SYSTEMD_UNIT = """\
[Unit]
Description=Litestream replication of {db}
After=network-online.target

[Service]
User={user}
ExecStart={litestream} replicate -config {config}
Restart=always
RestartSec=5
# S3 credentials: EnvironmentFile=/etc/crmcli/litestream.env (mode 0600)

[Install]
WantedBy=multi-user.target"""


@app.command("config")
@handle_errors
def config(
    ctx: typer.Context,
    to: Annotated[str, typer.Option(
        "--to", help="The replica: s3://bucket/site, file:///srv/replicas/site or "
        "sftp://host/path.")],
    config_path: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write the Litestream configuration that replicates this database to a replica.

    Prints how to run it as a service. The sync interval is 1 s, with a daily snapshot and a
    week of moments to restore to; S3 credentials come from the environment.

    Example: crmcli --db /srv/site.db replicate config --to s3://acme-crm/site-a
    """
    from crmcli.errors import CrmError
    from crmcli.services import replicate

    app_state = state(ctx)
    db_path = app_state.db_path
    session = app_state.session()
    target = config_path or replicate.default_config(db_path)
    written, changed = replicate.configure(session, db_path, to, target, force=force)
    try:
        binary = replicate.litestream()
    except CrmError:
        binary = "litestream"
        app_state.env.err(_(replicate.INSTALL_HINT))
    env = app_state.env
    env.out(_("Wrote {file} (replica {url}, sync every {interval}).").format(
        file=written, url=to.strip(), interval=replicate.SYNC_INTERVAL))
    if changed:
        env.out(_("From now on crmcli leaves the WAL's checkpoints to Litestream (policy "
                  "checkpoints = litestream): keep it running."))
    env.out("")
    env.out(_("Run it in the foreground to try it:"))
    env.out(f"  {binary} replicate -config {written.resolve()}")
    env.out("")
    env.out(_("Or as a service, {file}:").format(
        file="/etc/systemd/system/crmcli-litestream.service"))
    env.out("")
    env.out(SYSTEMD_UNIT.format(db=db_path.resolve(), user=env.user, litestream=binary,
                                config=written.resolve()))
    env.out("")
    env.out(_("then: {command}").format(
        command="systemctl daemon-reload && systemctl enable --now crmcli-litestream"))


STATUS_COLUMNS = [
    Column("configured"), Column("state", words=True), Column("database"), Column("config"),
    Column("replica"), Column("sync_interval"), Column("local_txid"), Column("replica_txid"),
    Column("behind_transactions"), Column("last_write_at"), Column("last_replicated_at"),
    Column("behind_seconds"), Column("wal_bytes")]


@app.command("status")
@handle_errors
def status(ctx: typer.Context, config_path: ConfigOpt = None,
           fmt: FormatOpt = Format.table) -> None:
    """Say whether a replica is configured and how far behind it is.

    Example: crmcli --db /srv/site.db replicate status --format json
    """
    from crmcli.services import replicate

    app_state = state(ctx)
    db_path = app_state.db_path
    app_state.session()  # the database must exist and be a crmcli file
    found = replicate.status(db_path, config_path or replicate.default_config(db_path))
    row = found.row()
    if fmt is Format.table:
        rows = [{"item": c.title, "value": row[c.key]} for c in STATUS_COLUMNS]
        render(app_state.env, rows, [Column("item"), Column("value")], fmt)
    else:
        render(app_state.env, [row], STATUS_COLUMNS, fmt)
    if not found.configured and fmt is Format.table:
        app_state.env.err(_("No replica configured; write one with: {command}").format(
            command=f"crmcli --db {db_path} replicate config --to s3://bucket/site"))


@restore_app.command("restore")
@handle_errors
def restore(
    ctx: typer.Context,
    source: Annotated[str, typer.Option(
        "--from", help="The replica: s3://bucket/site, file:///srv/replicas/site, "
        "sftp://host/path.")],
    to: Annotated[Path, typer.Option("--to", help="The new file to restore into (never "
                                     "overwritten).")],
) -> None:
    """Restore a site file from its replica, checked, into a new file (mode 0600).

    Runs Litestream's restore with its full integrity check, then `crmcli check` on the
    result; refuses to overwrite an existing file.

    Example: crmcli restore --from s3://acme-crm/site-a --to /srv/restored/site-a.db
    """
    from crmcli.errors import CrmError
    from crmcli.services import replicate

    app_state = state(ctx)
    size, problems = replicate.restore(source, to)
    if problems:
        for problem in problems:
            app_state.env.err(f"- {problem}")
        raise CrmError(ngettext(
            "Restored {file} ({size} bytes) but `crmcli check` found {count} problem; it is "
            "kept for inspection.",
            "Restored {file} ({size} bytes) but `crmcli check` found {count} problems; it is "
            "kept for inspection.", len(problems)).format(file=to, size=f"{size:,}",
                                                          count=len(problems)))
    app_state.env.out(_("Restored {file} from {url} ({size} bytes, mode 0600): integrity ok, "
                        "foreign keys ok, records consistent.").format(
        file=to, url=source.strip(), size=f"{size:,}"))
