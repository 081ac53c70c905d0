"""Text from users is data: never a terminal escape, never invisible, never a formula (pure).

Three rules, each used where text comes in or goes out:

- ``refuse_control``: control characters (ESC, BEL, a lone CR, the rest of C0 and C1, bidi
  overrides and isolates, line and paragraph separators) are bad input. A tab and a line
  break are text; so is a Windows line end (CR LF), which ``normalise_line_ends`` turns into
  a line break.
- ``is_blank``: text of only whitespace and invisible characters (zero-width space, joiners,
  word joiner, BOM, soft hyphen) says nothing, as if it were empty.
- ``to_cell`` / ``from_cell``: a csv or tsv cell that a spreadsheet would read as a formula
  (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR) is written with a single quote
  before it, as OWASP recommends; so is text that itself starts with a quote, which makes
  the scheme reversible: a cell that starts with a quote followed by one of those characters
  or by another quote lost exactly that one quote when it was written. A plain number
  (``-5``, ``-12.50``) is left as it is; one with a leading ``+`` is text (a phone number
  such as ``+8613800138000``, which a spreadsheet would otherwise turn into 8.6E+12).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain

from crmcli.i18n import _

# C0 but tab and line feed (CR is allowed only before a line feed), DEL, C1, the Arabic
# letter mark, LRM/RLM, the bidi embeddings/overrides (U+202A-202E) and isolates (U+2066-2069),
# the line and paragraph separators.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))

FORMULA_START = "=+-@\t\r"
_QUOTE = "'"
_ESCAPED = FORMULA_START + _QUOTE  # what a written quote may stand before
_PLAIN_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
# Where a row's or a column's cells, each after a \x00, need a look one by one (a pattern that
# starts with a plain character is searched for that character first: eight times faster
# than one that may also match at the start).
_NEEDS_QUOTE = re.compile("\x00[" + re.escape(_ESCAPED) + "]")
_QUOTED = re.compile("\x00" + _QUOTE + "[" + re.escape(_ESCAPED) + "]")


def normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r\n" in text else text


def has_control(text: str) -> bool:
    return _CONTROL.search(normalise_line_ends(text)) is not None


def refuse_control(text: str, label: str) -> None:
    """Raise BadInput naming ``label`` (never echoing the text) if it holds a control code."""
    if has_control(text):
        from crmcli.errors import BadInput

        raise BadInput(_("{label}: control characters are not allowed.").format(
            label=label))


def is_blank(text: str) -> bool:
    """Nothing a person could see: empty, whitespace, or only invisible characters."""
    return not text.translate(_INVISIBLE).strip()


def inert(text: str) -> str:
    """Text as a terminal may show it: each control character as U+FFFD (for text that came
    from a file edited outside crmcli; crmcli itself never stores one)."""
    return _CONTROL.sub("\ufffd", normalise_line_ends(text)) if _CONTROL.search(text) else text


def to_cell(text: str) -> str:
    """A csv/tsv cell a spreadsheet reads as text (see the module's docstring)."""
    if text[:1] in _ESCAPED and text and not _PLAIN_NUMBER.fullmatch(text):
        return _QUOTE + text
    return text


def from_cell(text: str) -> str:
    """The text ``to_cell`` was given."""
    if text[:1] == _QUOTE and text[1:2] and text[1:2] in _ESCAPED:
        return text[1:]
    return text


def to_cells(cells: list[str]) -> list[str]:
    """``to_cell`` of each cell, with one search of the row for the usual row that has none."""
    if _NEEDS_QUOTE.search("\x00".join(chain(("",), cells))) is None:
        return cells
    return [to_cell(cell) for cell in cells]


def to_cell_rows(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``to_cells`` of each row, with one search of the whole batch for the usual batch that
    has no cell to quote."""
    if _NEEDS_QUOTE.search("\x00".join(chain(("",), chain.from_iterable(rows)))) is None:
        return rows
    return [tuple(to_cells(list(row))) for row in rows]


def from_cells(cells: Sequence[str]) -> Sequence[str]:
    """``from_cell`` of each cell of a column, one search for a column that has none."""
    if _QUOTED.search("\x00".join(chain(("",), cells))) is None:
        return cells
    return [from_cell(cell) for cell in cells]
