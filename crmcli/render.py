"""Every command's data goes out through here: table, csv, tsv, json or jsonl from one row stream.

Rows are dicts of Python values (``datetime`` for times, lists for tags). A table on a terminal
is drawn by Rich; anywhere else it is plain text with no escape codes and no wrapping.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from itertools import islice, repeat
from typing import Any, NamedTuple

from crmcli.dates import iso_local, short_local
from crmcli.env import Env
from crmcli.i18n import _, heading, language, word
from crmcli.text import has_control, inert, to_cell_rows, to_cells


class Format(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    xlsx = "xlsx"


class PaperFormat(StrEnum):
    """The formats of a list that is also a printed paper (``html``: crmcli.papers)."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    xlsx = "xlsx"
    html = "html"


class Column(NamedTuple):
    """One field of the output (a named tuple: the modules declare dozens at import)."""

    key: str
    header: str = ""
    in_table: bool = True
    justify: str = "left"
    # values from a fixed vocabulary (kinds, states): translated in a table; a str names the
    # sense a word has here where it has several (``words="invoice"``: paid = settled)
    words: bool | str = False

    @property
    def title(self) -> str:
        """The column's heading in a table, in the interface language (csv and json use the
        key, which never changes)."""
        return heading(self.header or self.key)


Row = dict[str, Any]


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def text_value(value: Any) -> str:
    """A value in a csv/tsv cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return _dumps(value)
    return str(value)


def table_value(value: Any) -> str:
    """A value in a table cell, shaped for a person reading a terminal."""
    if type(value) is str:  # most cells: checked first
        shown = inert(value)
        if "\n" in shown or "\t" in shown:
            return shown.replace("\n", " ").replace("\t", " ")
        return shown
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else ""
    if isinstance(value, datetime):
        return short_local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    # A tab or line break inside a cell would break the table's columns.
    return inert(str(value)).replace("\n", " ").replace("\t", " ")


def render(
    env: Env,
    rows: Iterable[Row],
    columns: list[Column],
    fmt: Format = Format.table,
    *,
    bom: bool | None = False,
    title: str | None = None,
    empty: str | None = None,
    alert_key: str | None = None,
) -> int:
    """Write rows in the chosen format; returns how many rows were written.

    ``empty`` is said only on a terminal when there are no rows (cron mails stay empty);
    ``alert_key`` names a field whose truthy value marks a row for attention (drawn red).
    """
    if fmt is Format.xlsx:
        from crmcli.xlsx import write_workbook

        return write_workbook(env, [(title or "Sheet1", columns, rows)])
    out = env.stdout
    if bom and fmt in (Format.csv, Format.tsv):
        out.write("\ufeff")
    if fmt is Format.json:
        return _json(env, rows, columns)
    if fmt is Format.jsonl:
        count = 0
        for row in rows:
            out.write(_dumps({c.key: json_value(row.get(c.key)) for c in columns}) + "\n")
            count += 1
        return count
    if fmt in (Format.csv, Format.tsv):
        return _delimited(env, rows, columns, "," if fmt is Format.csv else "\t")
    shown = [c for c in columns if c.in_table]
    cap = env.screen_rows if env.stdout_isatty and env.file is None else None
    more: list[Row] = []
    if cap is not None:
        rows, more = _first(rows, cap)
    if env.rich:
        count = _rich_table(env, rows, shown, title, alert_key)
    else:
        count = _plain_table(env, rows, shown, title)
    if count == 0 and empty and env.stdout_isatty:
        env.out(empty)
    if more:
        env.err(_("Showing the first {count} rows; more match. Narrow the list, give --limit N "
                  "for more, or --format csv for every row.").format(count=f"{count:,}"))
    return count


def _first(rows: Iterable[Row], cap: int) -> tuple[list[Row], list[Row]]:
    """The first ``cap`` rows, and the next one if there is one (without reading the rest)."""
    taken = list(islice(rows, cap + 1))
    return taken[:cap], taken[cap:]


def record(env: Env, row: Row, columns: list[Column], fmt: Format) -> None:
    """A record a command made or changed: one JSON object (json/jsonl) or a one-row table."""
    if fmt in (Format.json, Format.jsonl):
        env.out(_dumps({c.key: json_value(row.get(c.key)) for c in columns}))
    else:
        render(env, [row], columns, fmt)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _json(env: Env, rows: Iterable[Row], columns: list[Column]) -> int:
    # Streamed element by element so a million rows never sit in memory at once.
    out = env.stdout
    count = 0
    for row in rows:
        out.write("[\n  " if count == 0 else ",\n  ")
        out.write(_dumps({c.key: json_value(row.get(c.key)) for c in columns}))
        count += 1
    out.write("[]\n" if count == 0 else "\n]\n")
    return count


def _delimited(env: Env, rows: Iterable[Row], columns: list[Column], delimiter: str) -> int:
    import csv

    if delimiter == "\t":
        writer = csv.writer(env.stdout, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                            escapechar="\\")
    else:
        writer = csv.writer(env.stdout, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    count = 0
    for row in rows:
        cells = [text_value(row.get(c.key)) for c in columns]
        if delimiter == "\t":
            cells = [cell.replace("\t", " ").replace("\n", " ") for cell in cells]
        writer.writerow(to_cells(cells))
        count += 1
    return count


def cells(env: Env, rows: Iterable[tuple[str, ...]], columns: list[Column], fmt: Format, *,
          bom: bool | None = False) -> int:
    """csv or tsv from rows already in cells (each a str, as ``text_value`` gives it, in
    ``columns`` order): for a long list made for a spreadsheet (`visit due`), with no dict
    and no conversion a cell. Returns how many rows were written."""
    import csv

    out = env.stdout
    if bom:
        out.write("\ufeff")
    tab = fmt is Format.tsv
    if tab:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                            escapechar="\\")
    else:
        writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    count = 0
    rows = iter(rows)
    lines: list[str] = []
    # csv: a row whose cells hold no comma, quote or line break is its cells joined (as the
    # writer would write it); any other row goes through the writer, into the same lines.
    quoting = csv.writer(_Lines(lines), lineterminator="\r\n").writerow
    commas = len(columns) - 1
    # A thousand rows at a time: one search for a cell a spreadsheet would read as a formula
    # (``to_cells``; the usual batch has none), then one ``writerows`` (tsv) or one write of
    # the batch's lines (csv).
    while batch := list(islice(rows, 1000)):
        count += len(batch)
        if tab:
            batch = [tuple(cell.replace("\t", " ").replace("\n", " ") for cell in row)
                     for row in batch]
            writer.writerows(to_cell_rows(batch))
            continue
        batch = to_cell_rows(batch)
        # The usual batch, no cell holding a comma, quote or line break: its lines joined and
        # checked at once (as many commas and line breaks as the joins made, no quote).
        text = "\r\n".join(map(",".join, batch))
        rows_in = len(batch)
        if (commas and text.count(",") == rows_in * commas and '"' not in text
                and text.count("\n") == text.count("\r") == rows_in - 1):
            out.write(text + "\r\n")
            continue
        for row in batch:
            line = ",".join(row)
            if (len(row) > 1 and line.count(",") == len(row) - 1 and '"' not in line
                    and "\n" not in line and "\r" not in line):
                lines.append(line + "\r\n")
            else:
                quoting(row)
        out.write("".join(lines))
        lines.clear()
    return count


class _Lines:
    """Where a csv writer puts what it writes: a list of lines."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


def _plain_table(env: Env, rows: Iterable[Row], columns: list[Column], title: str | None) -> int:
    """Columns padded to display width (CJK counts double), as tabulate's "simple" format.

    Written here rather than with tabulate, and column by column with ``map`` over whole
    columns: a large piped ``visit due`` has a hundred thousand cells, and any Python-level
    work per cell shows.
    """
    keys = [c.key for c in columns]
    count: int
    if isinstance(rows, list):  # already in memory (visit due): read it column by column
        count = len(rows)
        cells: Iterable[Iterable[Any]] = (map(dict.get, rows, repeat(key)) for key in keys)
    else:  # a stream (a list command): keep only the shown values, row by row
        values = [list(map(row.get, keys)) for row in rows]
        count = len(values)
        cells = zip(*values, strict=True)
    if not count:
        return 0
    heads, rules, padded = [], [], []
    for column, column_cells in zip(columns, cells, strict=True):
        texts = _texts(list(column_cells))
        if column.words and language() != "en":
            texts = [word(text, column.words) for text in texts]
        lengths = list(map(len, texts))
        sizes = lengths if "".join(texts).isascii() else _widths(texts, lengths)
        width = max(_width(column.title) + 2, *sizes)
        justify = str.rjust if column.justify == "right" else str.ljust
        # str.ljust/rjust count characters: a cell of display width s and length n takes
        # width - s spaces, so it is justified to width - s + n characters.
        fill = repeat(width) if sizes is lengths else map(
            operator.add, map(operator.sub, repeat(width), sizes), lengths)
        padded += [list(map(justify, texts, fill)), repeat("  ")]
        heads.append(justify(column.title, width - _width(column.title) + len(column.title)))
        rules.append("-" * width)
    if title:
        env.out(title)
    lines = map(str.rstrip, map("".join, zip(*padded[:-1], strict=False)))  # with repeat()
    env.out("\n".join(["  ".join(heads).rstrip(), "  ".join(rules), *lines]))
    return count


def _texts(values: list[Any]) -> list[str]:
    """A column's values as table cells (``table_value``), the common cases without a call."""
    if set(map(type, values)) == {str}:
        joined = "".join(values)
        if "\n" not in joined and "\t" not in joined and not has_control(joined):
            return values
    return [value if type(value) is str and "\n" not in value and "\t" not in value
            and not has_control(value) else value.isoformat() if type(value) is date
            else table_value(value) for value in values]


def _widths(texts: list[str], lengths: list[int]) -> list[int]:
    """Display widths of a column's cells, some not ASCII."""
    plain, joined = texts, " ".join(texts)
    for mark in _NARROW_MARKS:
        if mark in joined:  # a narrow mark counts as one column, like the ASCII it becomes
            plain = list(map(str.replace, plain, repeat(mark), repeat(".")))
            joined = joined.replace(mark, ".")
    if _ascii_and_wide().fullmatch(joined):  # each wide character: 3 bytes, 2 columns
        return [n + (b - n) // 2 for n, b in zip(lengths, map(len, map(str.encode, plain)),
                                                 strict=True)]
    known: dict[str, int] = {}  # names and owners repeat down a column
    return [n if text.isascii() else known.get(text) or known.setdefault(text, _width(text))
            for text, n in zip(texts, lengths, strict=True)]


# Characters whose display width is known without asking wcwidth (tests/test_render.py checks
# every one against it): wide CJK ideographs, kana, hangul, fullwidth forms and CJK punctuation
# (all three bytes in UTF-8), and a few narrow marks Chinese text carries (— … · ‘’ “”).
_WIDE_RANGES = ("\u3000-\u3029\u3030-\u303e\u3041-\u3096\u309b-\u30ff\u3105-\u312f"
                "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f"
                "\uff01-\uff60\uffe0-\uffe6")
_NARROW_MARKS = "\u00b7\u2014\u2018\u2019\u201c\u201d\u2026"


@cache
def _ascii_and_wide() -> re.Pattern[str]:
    # Compiled when first needed (~1.6 ms: re walks every code point of the ranges), so a run
    # that prints no CJK table never pays; importing wcwidth instead would cost ~23 ms.
    return re.compile(f"[ -~{_WIDE_RANGES}]*")


def _width(text: str) -> int:
    """Display width: wcwidth's ``wcswidth``, worked out directly for the usual text."""
    if text.isascii():
        return len(text)
    plain = text
    for mark in _NARROW_MARKS:
        if mark in plain:  # a narrow mark counts as one column, like the ASCII it becomes
            plain = plain.replace(mark, ".")
    if _ascii_and_wide().fullmatch(plain):
        return len(plain) + (len(plain.encode()) - len(plain)) // 2  # wide: 3 bytes, 2 columns
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)


display_width = _width  # for the other writers that size columns (xlsx, the papers' charts)


def _rich_table(
    env: Env,
    rows: Iterable[Row],
    columns: list[Column],
    title: str | None,
    alert_key: str | None,
) -> int:
    from rich import box
    from rich.table import Table

    body: list[tuple[list[str], str | None]] = [
        ([word(table_value(row.get(c.key)), c.words) if c.words else table_value(row.get(c.key))
          for c in columns],
         "bold red" if alert_key and row.get(alert_key) else None) for row in rows]
    if not body:
        return 0
    out = console(env)
    shown, widths = fit([c.title for c in columns], [cells for cells, _ in body],
                        [_fixed(c, body, i) for i, c in enumerate(columns)], out.width,
                        [bool(c.words) for c in columns])
    table = Table(title=title, header_style="bold", title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for index in shown:
        column = columns[index]
        table.add_column(column.title, justify=column.justify,  # type: ignore[arg-type]
                         width=widths[index], no_wrap=True, overflow="ellipsis")
    for cells, style in body:
        table.add_row(*(cells[index] for index in shown), style=style)
    out.print(table)
    hidden = [columns[i].title for i in range(len(columns)) if i not in shown]
    if hidden:
        env.err(_("Not shown at this width: {columns}.").format(columns=", ".join(hidden)))
    return len(body)


def _fixed(column: Column, body: list[tuple[list[str], str | None]], index: int) -> bool:
    """A column whose values are never cut: ids, numbers, dates and times, and the words of
    a fixed vocabulary (kinds, states: short, and cut they would say nothing)."""
    if column.words or column.justify == "right" or column.key in ("id", "due", "date", "when") or \
            column.key.endswith(("_at", "_due", "_id")):
        return True
    return all(_SHORT.fullmatch(cells[index]) for cells, _ in body[:200])


_SHORT = re.compile(r"[#\d:./ +%*-]{0,20}")  # masked (138****8000) too
GAP = 2  # columns between two columns of a table on a terminal


def fit(titles: list[str], rows: list[list[str]], fixed: list[bool], width: int,
        words: list[bool] | None = None) -> tuple[list[int], list[int]]:
    """Which columns a terminal ``width`` wide shows, and how wide each is.

    Ids, numbers, dates and times (``fixed``) keep their whole width; text columns give way
    down to the width of their heading (at least 10) and are cut with … past it. If even that
    does not fit, columns are left out: empty ones, later times (the first one stays), then
    text, the sparsest first — never the first two columns."""
    count = len(titles)
    natural = [max([_width(titles[i]), *(_width(row[i]) for row in rows)]) for i in range(count)]
    least = [natural[i] if fixed[i] else min(natural[i], max(_width(titles[i]), 10))
             for i in range(count)]
    shown = list(range(count))

    def needed(columns: list[int], sizes: list[int]) -> int:
        return sum(sizes[i] for i in columns) + GAP * (len(columns) - 1)

    vocabulary = words or [False] * count
    times = [i for i in range(count) if fixed[i] and not vocabulary[i] and natural[i] >= 10]
    blanks = [sum(not row[i] for row in rows) for i in range(count)]
    empty = [i for i in range(2, count) if blanks[i] == len(rows)]
    texts = sorted((i for i in range(2, count) if not fixed[i] and i not in empty),
                   key=lambda i: (-blanks[i], -i))  # the sparsest first, then from the right
    order = [*reversed(empty), *reversed(times[1:]), *texts]
    for index in order:
        if needed(shown, least) <= width:
            break
        shown.remove(index)
    sizes = list(natural)
    spare = width - needed(shown, least)
    if needed(shown, natural) > width:
        # Text columns share what is left beyond their least width: the narrower needs are
        # met whole first, the widest (a summary, a reason) take what remains.
        texts = sorted((i for i in shown if not fixed[i]), key=lambda i: natural[i] - least[i])
        left = max(0, spare)
        for place, i in enumerate(texts):
            extra = min(natural[i] - least[i], left // (len(texts) - place))
            sizes[i] = least[i] + extra
            left -= extra
    return shown, sizes


@contextmanager
def paged(env: Env) -> Iterator[None]:
    """A command's output through a pager when it is longer than the terminal: ``$PAGER``,
    else ``less -FRX``. Only on a terminal; never in a pipe, a file or under cron."""
    import os

    pager = os.environ.get("PAGER", "less -FRX").strip()
    if not env.rich or not env.stdout_isatty or not pager or pager == "cat":
        yield
        return
    import io
    import shutil

    real = env.stdout
    buffer = io.StringIO()
    env.stdout = buffer
    try:
        yield
    finally:
        env.stdout = real
        text = buffer.getvalue()
        if text.count("\n") < shutil.get_terminal_size().lines - 1 or not _page(pager, text):
            real.write(text)
            real.flush()


def _page(pager: str, text: str) -> bool:
    """Show ``text`` through the pager; False if it cannot be started."""
    import shlex
    import subprocess

    try:
        subprocess.run(shlex.split(pager), input=text, text=True, check=False)
    except (OSError, ValueError):
        return False
    return True


def console(env: Env) -> Any:
    from rich.console import Console

    # Text from users is data: no markup (a customer named "[/x]" or "[link=…]"), no emoji codes.
    return Console(file=env.stdout, force_terminal=env.rich, no_color=not env.rich,
                   highlight=False, soft_wrap=not env.rich, markup=False, emoji=False)


def stderr_console(env: Env) -> Any:
    """A Rich console on stderr for progress and status while a person watches a terminal;
    None in a pipe, under cron or with NO_COLOR."""
    if not env.stderr_rich:
        return None
    from rich.console import Console

    return Console(file=env.stderr, markup=False, emoji=False)
