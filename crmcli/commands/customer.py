"""``crmcli customer …``: the customer file (客戶檔案)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    BomOpt,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    ListFormatOpt,
    OutputOpt,
    ReasonOpt,
    RevealOpt,
    customers,
    handle_errors,
    state,
)
from crmcli.confirm import confirmation
from crmcli.i18n import _
from crmcli.render import Column, Format, render, stderr_console

app = typer.Typer(help="The customer file: add, list, show, edit, import, export.",
                  no_args_is_help=True)
access_app = typer.Typer()

LIST_COLUMNS = [
    Column("id", justify="right"), Column("name"), Column("contact"), Column("phone"),
    Column("email", in_table=False), Column("address", in_table=False),
    Column("site", in_table=False), Column("unit"), Column("segment"), Column("grade"),
    Column("tags"), Column("since"), Column("birthday", in_table=False),
    Column("confidential", "conf."),
    Column("preferences", in_table=False), Column("note", in_table=False),
    Column("sensitive_note", in_table=False), Column("masked", in_table=False),
    Column("handover", in_table=False), Column("renovating", in_table=False),
    Column("occupied", in_table=False),
    Column("last_contact_at", "last contact"),
    Column("created_at", in_table=False), Column("updated_at", in_table=False),
    Column("anniversaries", in_table=False), Column("lunar_birthday", in_table=False),
    Column("moved_out_at", in_table=False),
]

ContactOpt = Annotated[str | None, typer.Option("--contact", help="Contact person.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone")]
EmailOpt = Annotated[str | None, typer.Option("--email")]
AddressOpt = Annotated[str | None, typer.Option("--address")]
SiteOpt = Annotated[str | None, typer.Option("--site", help="Building / site.")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit / flat / room.")]
SegmentOpt = Annotated[str | None, typer.Option("--segment", help="tenant, owner, enterprise…")]
GradeOpt = Annotated[str | None, typer.Option("--grade", help="Credit grade A, B or C.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Start of the relationship.")]
BirthdayOpt = Annotated[
    str | None, typer.Option("--birthday", help="1985-03-12, or 03-12 without the year.")
]
AnniversaryOpt = Annotated[
    list[str] | None,
    typer.Option("--anniversary", help="LABEL=MM-DD, e.g. 結婚紀念日=05-20 (repeatable; on "
                 "edit, the list replaces the one on file)."),
]
LunarOpt = Annotated[
    str | None, typer.Option("--lunar-birthday", help="Lunar (農曆) MM-DD, e.g. 08-15; L04-15 "
                             "for one born in a leap month.")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")]
NoteOpt = Annotated[str | None, typer.Option("--note")]
SensitiveNoteOpt = Annotated[str | None, typer.Option(
    "--sensitive-note", help="Health, handicap, diet…: masked for everyone unless revealed.")]
HandoverOpt = Annotated[str | None, typer.Option(
    "--handover", help="Handover (交付/入伙) date: visits follow at +3 months and +1 year.")]
RenovatingOpt = Annotated[bool | None, typer.Option(
    "--renovating/--not-renovating", show_default=False,
    help="Under renovation (no handover visits).")]
OccupiedOpt = Annotated[bool | None, typer.Option(
    "--occupied/--not-occupied", show_default=False,
    help="Living there (a customer not living there gets no handover visits).")]
PrefOpt = Annotated[
    list[str] | None,
    typer.Option("--preference", help="KEY=VALUE, e.g. language=粵語 (repeatable)."),
]


def _values(now: Any, **options: Any) -> dict[str, Any]:
    from crmcli import fields
    from crmcli.errors import BadInput

    values: dict[str, Any] = {}
    for name, value in options.items():
        if value is None or (isinstance(value, list) and not value):
            continue
        try:
            values[name] = fields.clean_field(name, value, now)
        except BadInput as exc:  # name the option the user typed, not the field
            option = {"preferences": "--preference", "tags": "--tag",
                      "anniversaries": "--anniversary",
                      "lunar_birthday": "--lunar-birthday"}.get(name, f"--{name}")
            text = str(exc)
            for prefix in (f"{name}:", f"{option[2:]}:"):
                if text.startswith(prefix):
                    text = f"{option}:{text[len(prefix):]}"
                    break
            raise BadInput(text) from None
    return values


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The customer's name.")],
    contact: ContactOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    address: AddressOpt = None,
    site: SiteOpt = None,
    unit: UnitOpt = None,
    segment: SegmentOpt = None,
    grade: GradeOpt = None,
    since: SinceOpt = None,
    birthday: BirthdayOpt = None,
    anniversary: AnniversaryOpt = None,
    lunar_birthday: LunarOpt = None,
    tag: TagOpt = None,
    note: NoteOpt = None,
    sensitive_note: SensitiveNoteOpt = None,
    preference: PrefOpt = None,
    handover: HandoverOpt = None,
    renovating: RenovatingOpt = None,
    occupied: OccupiedOpt = None,
    confidential: Annotated[
        bool, typer.Option("--confidential",
                           help="Mask phone, email, address and unit in output.")
    ] = False,
    allow_duplicate: Annotated[
        bool, typer.Option("--allow-duplicate", help="Add even if the name is already on file.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a customer to the file.

    Example: crmcli customer add 王小明 --phone 13800138000 --unit A-1201 --segment tenant
    """
    from crmcli import fields
    from crmcli.services import customers

    app_state = state(ctx)
    session = app_state.session()
    values = _values(
        session.now, contact=contact, phone=phone, email=email, address=address, site=site,
        unit=unit, segment=segment, grade=grade, since=since, birthday=birthday, note=note,
        sensitive_note=sensitive_note, preferences=preference, anniversaries=anniversary,
        lunar_birthday=lunar_birthday,
        handover=handover, renovating=renovating, occupied=occupied,
    )
    if confidential:
        values["confidential"] = True
    new = customers.NewCustomer(fields.clean_name(name), values, fields.clean_tags(tag or []))
    customer = customers.add(session, new, allow_duplicate=allow_duplicate)
    _confirm(app_state, customer, fmt, confirmation(_("Added customer #{id} {name}.").format(
        id=customer["id"], name=customer["name"]), session.now))


def _confirm(app_state: Any, customer: dict[str, Any], fmt: Format, text: str) -> None:
    from crmcli.render import record
    from crmcli.services.customers import public

    if fmt in (Format.json, Format.jsonl):
        record(app_state.env, public(customer), LIST_COLUMNS, fmt)
    else:
        app_state.env.out(text)


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    grade: GradeOpt = None,
    tag: TagOpt = None,
    segment: SegmentOpt = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Text in name, contact, unit, note…")
    ] = None,
    confidential: Annotated[
        bool | None, typer.Option("--confidential/--not-confidential", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include customers who moved out.")]
    = False,
    limit: LimitOpt = None,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List customers (confidential details masked unless revealed, which is logged).

    Customers who moved out are left out unless --all.

    Example: crmcli customer list --grade A --tag VIP --format csv
    """
    from crmcli.services import customers

    app_state = state(ctx)
    session = app_state.session()
    filters = customers.Filters(grade, tag or [], segment, search, confidential, all_)
    rows = customers.listing(session, filters, limit,
                             reveal_reason=(reason or "") if reveal else None)
    render(app_state.env, rows, LIST_COLUMNS, fmt, bom=bom, empty=_("No customers match."))


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    customer: CustomerArg,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show a customer's profile, complaints, visits and what is due.

    Example: crmcli customer show 王小明 --reveal --reason "回訪電話"
    """
    from crmcli.services import customers, profile

    app_state = state(ctx)
    session = app_state.session()
    found = customers.find(session, customer)
    if reveal:
        customers.log_access(session, [found["id"]], "show", reason or "")
        found = customers.revealed(found)
    else:
        found = customers.public(found)
    profile.render_profile(app_state.env, session, found, fmt)


@app.command("edit")
@handle_errors
def edit(
    ctx: typer.Context,
    customer: CustomerArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    contact: ContactOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    address: AddressOpt = None,
    site: SiteOpt = None,
    unit: UnitOpt = None,
    segment: SegmentOpt = None,
    grade: GradeOpt = None,
    since: SinceOpt = None,
    birthday: BirthdayOpt = None,
    anniversary: AnniversaryOpt = None,
    lunar_birthday: LunarOpt = None,
    tag: TagOpt = None,
    untag: Annotated[list[str] | None, typer.Option("--untag", help="Remove a tag.")] = None,
    note: NoteOpt = None,
    sensitive_note: SensitiveNoteOpt = None,
    preference: PrefOpt = None,
    handover: HandoverOpt = None,
    renovating: RenovatingOpt = None,
    occupied: OccupiedOpt = None,
    confidential: Annotated[
        bool | None, typer.Option("--confidential/--not-confidential", show_default=False,
                                  help="--not-confidential needs --reason (logged).")
    ] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why confidentiality is lifted (written to the access log).")] = None,
    allow_duplicate: Annotated[bool, typer.Option("--allow-duplicate")] = False,
    moved_out: Annotated[bool, typer.Option(
        "--moved-out", help="The customer moved out: no more reminders, hidden from lists "
        "(history kept).")] = False,
    active: Annotated[bool, typer.Option("--active", help="Undo --moved-out.")] = False,
    at: Annotated[str | None, typer.Option("--at", help="With --moved-out: the day it moved "
                                           "out (default: now).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Change a customer's details; every change is kept with who and when.

    A customer who moved out (--moved-out [--at DATE], undone by --active) gets no contact,
    yearly, care, meeting or notice reminders and is listed only with `customer list --all`.

    Example: crmcli customer edit 王小明 --grade B --tag VIP --phone 13900139000

    Example: crmcli customer edit 李秘密 --not-confidential --reason "業主書面同意公開"
    """
    from crmcli import fields
    from crmcli.services import customers

    app_state = state(ctx)
    session = app_state.session()
    changes = _values(
        session.now, name=name, contact=contact, phone=phone, email=email, address=address,
        site=site, unit=unit, segment=segment, grade=grade, since=since, birthday=birthday,
        note=note, sensitive_note=sensitive_note, preferences=preference,
        anniversaries=anniversary, lunar_birthday=lunar_birthday,
        handover=handover, renovating=renovating, occupied=occupied,
    )
    if confidential is not None:
        changes["confidential"] = confidential
    changes.update(customers.moved_out_change(session.now, moved_out, active, at))
    changes["_allow_duplicate"] = allow_duplicate
    updated, changed = customers.edit(
        session, customer, changes, add_tags=fields.clean_tags(tag or []),
        remove_tags=fields.clean_tags(untag or []), reason=reason,
    )
    text = (confirmation(_("Updated customer #{id} {name}: {fields}.").format(
        id=updated["id"], name=updated["name"], fields=", ".join(changed)), session.now)
            if changed else _("Customer #{id} {name}: nothing to change.").format(
                id=updated["id"], name=updated["name"]))
    _confirm(app_state, updated, fmt, text)


@app.command("review")
@handle_errors
def review(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or exact name.")],
    note: Annotated[str, typer.Option("--note", help="What the review found, and why.")],
    grade: GradeOpt = None,
    at: Annotated[str | None, typer.Option("--at", help="When it was reviewed.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who reviewed (default: "
                                           "$CRMCLI_USER).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a credit-grade review (顧客情報報告書): the grade kept, or changed with --grade.

    Reviews are due A in March and September, B in January, April, July and October, C every
    month (policy review_months_a/b/c). A new customer stays C for its first year.

    Example: crmcli customer review 王小明 --grade B --note "一年來付款準時"
    """
    from crmcli.dates import parse_when, short_local
    from crmcli.render import record
    from crmcli.services import reviews

    app_state = state(ctx)
    session = app_state.session()
    done = reviews.record_review(session, customer, grade=grade, note=note,
                                 at=parse_when(at, session.now) if at else None, by=by)
    if fmt in (Format.json, Format.jsonl):
        record(app_state.env, done, reviews.REVIEW_COLUMNS, fmt)
        return
    change = (_("grade {before} → {grade}") if done["changed"]
              else _("grade {grade} kept")).format(before=done["grade_before"],
                                                   grade=done["grade"])
    app_state.env.out(_("Recorded review #{id} of {customer} ({change}) at {at}.").format(
        id=done["id"], customer=done["customer"], change=change, at=short_local(done["at"])))


@app.command("history")
@handle_errors
def history(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: ListFormatOpt = Format.table, output: OutputOpt = None,
) -> None:
    """List every change made to a customer's record: field, old and new value, who, when.

    Example: crmcli customer history 王小明
    """
    from crmcli.services import customers

    app_state = state(ctx)
    rows = customers.history(app_state.session(), customer)
    columns = [Column("id", justify="right"), Column("at"), Column("by"), Column("field"),
               Column("old"), Column("new")]
    render(app_state.env, rows, columns, fmt, empty=_("No changes recorded."))


@app.command("import")
@handle_errors
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="A UTF-8 CSV, or an Excel .xlsx (first sheet), whose header uses the field names.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")]
    = False,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Leave customers already on file as they are.")
    ] = False,
    update_existing: Annotated[
        bool, typer.Option("--update-existing", help="Update customers already on file.")
    ] = False,
    allow_duplicate: Annotated[
        bool, typer.Option("--allow-duplicate", help="Add rows even if the name is on file.")
    ] = False,
) -> None:
    """Import customers from CSV or xlsx: every row is checked first; nothing is written unless
    all are good.

    Columns: name, contact, phone, email, address, site, unit, segment, grade, tags, since,
    birthday, preferences, note, sensitive_note, confidential, handover, renovating, occupied
    (and masked, as export writes it: masked values never replace what is stored).

    Example: crmcli customer import tenants.csv --dry-run
    """
    from crmcli.errors import BadInput
    from crmcli.services import importer

    if sum((skip_existing, update_existing, allow_duplicate)) > 1:
        raise BadInput(_("Choose one of --skip-existing, --update-existing, "
                         "--allow-duplicate."))
    mode = (importer.OnExisting.skip if skip_existing else importer.OnExisting.update
            if update_existing else importer.OnExisting.add if allow_duplicate
            else importer.OnExisting.error)
    app_state = state(ctx)
    session = app_state.session()
    with _progress(app_state, _("Checking rows")) as advance:
        plan = importer.run(session, file, mode, advance, dry_run=dry_run)
    counts = _("{new} new, {updated} updated, {skipped} skipped of {rows} rows").format(
        new=len(plan.new), updated=len(plan.updates), skipped=len(plan.skipped), rows=plan.rows)
    if dry_run:
        app_state.env.out(_("Checked {file}: all rows are good ({counts}); nothing "
                            "written.").format(file=file, counts=counts))
    else:
        app_state.env.out(confirmation(_("Imported {file}: {counts}.").format(
            file=file, counts=counts), session.now))
    verb = _("would keep") if dry_run else _("kept")
    for line, customer_id, names in plan.kept:
        app_state.env.out(_("  line {line}: customer #{id}: {verb} the stored {fields} (masked "
                            "in the file).").format(line=line, id=customer_id, verb=verb,
                                                    fields=", ".join(names)))


def _progress(app_state: Any, label: str) -> Any:
    """A Rich progress spinner on a terminal; nothing at all in a pipe or under cron."""
    from contextlib import contextmanager

    @contextmanager
    def bar() -> Any:
        out = stderr_console(app_state.env)
        if out is None:
            yield None
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn

        with Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed:,}"),
                      console=out, transient=True) as progress:
            task = progress.add_task(label, total=None)
            yield lambda n: progress.advance(task, n)

    return bar()


@app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    grade: GradeOpt = None,
    tag: TagOpt = None,
    segment: SegmentOpt = None,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f",
                                        help="csv (default), tsv, json, jsonl, xlsx.")
                   ] = Format.csv,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """Export the customer file as CSV; confidential details need --reveal.

    The file imports into a new database with `customer import` (the id column is ignored).

    Example: crmcli customer export --bom > customers.csv
    """
    from crmcli.services import customers

    app_state = state(ctx)
    session = app_state.session()
    filters = customers.Filters(grade, tag or [], segment, moved_out=True)  # the whole file
    rows = customers.listing(session, filters, reveal_reason=(reason or "") if reveal else None,
                             action="export")
    columns = [c for c in LIST_COLUMNS if c.key not in ("last_contact_at", "created_at",
                                                         "updated_at", "moved_out_at")]
    render(app_state.env, rows, columns, fmt, bom=bom)


@access_app.command("access-log")
@handle_errors
def access_log(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer.",
                                                 autocompletion=customers)] = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table, output: OutputOpt = None,
) -> None:
    """List who revealed confidential customer details, when and why (newest first).

    Example: crmcli access-log --customer 王小明
    """
    from crmcli.services import customers

    app_state = state(ctx)
    rows = customers.access_log(app_state.session(), customer, limit)
    columns = [Column("id", justify="right"), Column("at"), Column("by"),
               Column("customer_id", "cust."), Column("customer"), Column("action"),
               Column("reason")]
    render(app_state.env, rows, columns, fmt, empty=_("No access recorded."))
