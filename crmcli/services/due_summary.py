"""The one-screen summary of `visit due`: overdue and due counts by kind and by owner.

It heads `visit due` on a terminal, and `visit due --summary` prints it alone for a cron mail:
plain text, no line past 100 columns, at most a dozen lines of counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmcli.i18n import _, pgettext

WIDTH = 100  # no line of the summary is wider
SHOWN = 10  # kinds or owners listed; the rest are counted together


@dataclass
class Summary:
    last_day: date
    overdue: int = 0
    due: int = 0
    kinds: Counter[tuple[str, bool]] = field(default_factory=Counter)
    owners: Counter[tuple[str, bool]] = field(default_factory=Counter)


def summarize(rows: list[dict[str, Any]], last_day: date) -> Summary:
    """Counts of the rows of `visit due` (``visits.due_rows``)."""
    summary = Summary(last_day)
    for row in rows:
        late = bool(row["overdue"])
        summary.overdue += late
        summary.due += not late
        summary.kinds[row["kind"], late] += 1
        summary.owners[row["owner"] or "", late] += 1
    return summary


def lines(summary: Summary) -> list[str]:
    """The summary as text lines: a headline, then kinds and owners side by side."""
    from crmcli.render import _width

    headline = _("{overdue} overdue, {due} due by the end of {day}.").format(
        overdue=summary.overdue, due=summary.due, day=summary.last_day.isoformat())
    if not summary.overdue and not summary.due:
        return [_("Nothing due by the end of {day}.").format(day=summary.last_day.isoformat())]
    left = _table(_("kind"), summary.kinds, translate=True)
    right = _table(_("owner"), summary.owners, translate=False)
    span = max(_width(line) for line in left)
    out = [headline, ""]
    for index in range(max(len(left), len(right))):
        one = left[index] if index < len(left) else ""
        two = right[index] if index < len(right) else ""
        line = (one + " " * (span - _width(one)) + "    " + two).rstrip()
        out.append(_clip(line))
    return out


def _table(title: str, counts: Counter[tuple[str, bool]], *, translate: bool) -> list[str]:
    from crmcli.render import _width

    names = sorted({name for name, _late in counts},
                   key=lambda name: (-counts[name, True], -counts[name, False], name))
    rows = [(_(name) if translate else name or "—", counts[name, True], counts[name, False])
            for name in names[:SHOWN]]
    rest = names[SHOWN:]
    if rest:
        rows.append((_("{count} more").format(count=len(rest)),
                     sum(counts[n, True] for n in rest), sum(counts[n, False] for n in rest)))
    heads = (title, _("overdue"), pgettext("count", "due"))
    name_width = min(24, max(_width(text) for text in [heads[0], *(r[0] for r in rows)]))
    number_width = max(_width(heads[1]), _width(heads[2]), 5)

    def line(name: str, late: str, due: str) -> str:
        name = _clip(name, name_width)
        return (name + " " * (name_width - _width(name)) + "  " + " " * (
            number_width - _width(late)) + late + "  " + " " * (number_width - _width(due)) + due)

    return [line(*heads), *(line(name, str(late) if late else "·", str(due) if due else "·")
                            for name, late, due in rows)]


def _clip(text: str, width: int = WIDTH) -> str:
    """Text cut with … to at most ``width`` display columns."""
    from crmcli.render import _width

    if _width(text) <= width:
        return text
    while text and _width(text) > width - 1:
        text = text[:-1]
    return text + "…"
