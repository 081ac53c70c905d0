"""Comparing text as people mean it: 繁體 and 简体, full- and half-width forms, case, spaces.

``空調`` and ``空调`` are one category, ``ＡＣ`` and ``ac`` too. The Traditional→Simplified
mapping is OpenCC's (a maintained dictionary, phrase-aware), loaded on first use.
"""

from __future__ import annotations

import unicodedata
from functools import cache

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@cache
def fold(text: str) -> str:
    """The key two spellings of the same word share: NFKC (full-width → half-width), OpenCC
    Traditional → Simplified, case-folded, without spaces."""
    normal = unicodedata.normalize("NFKC", text)
    return "".join(str(_converter().convert(normal)).casefold().split())


def fold_all(texts: list[str]) -> list[str]:
    """``fold`` of many texts, converted a few thousand to a call (an import folds a hundred
    thousand names: one call each would be slow, one call for all holds several copies)."""
    if len(texts) <= FOLD_BATCH:
        return _fold_batch(texts)
    folded: list[str] = []
    for start in range(0, len(texts), FOLD_BATCH):
        folded += _fold_batch(texts[start:start + FOLD_BATCH])
    return folded


FOLD_BATCH = 5000


def _fold_batch(texts: list[str]) -> list[str]:
    # Worked out on the texts joined by line breaks, each step once for the batch but NFKC
    # (text by text: its quick check passes most names as they are): OpenCC (whose phrases
    # never span a line break) and case folding map a text joined to others as they map it
    # alone (neither makes, takes or joins across a line break), and the whitespace removed
    # is str.split()'s (\s of a str pattern is the same test).
    joined = "\n".join([unicodedata.normalize("NFKC", text) for text in texts])
    if joined.count("\n") != len(texts) - 1:  # a text holds a line break: one at a time
        return [fold(text) for text in texts]
    converted = joined if joined.isascii() else str(_converter().convert(joined))
    folded: str = _spaces().sub("", converted.casefold())
    return folded.split("\n")


@cache
def _spaces() -> Any:
    import re

    return re.compile(r"[^\S\n]+")
