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
    """``fold`` of many texts, converted in one call (an import folds thousands of names)."""
    normal = [unicodedata.normalize("NFKC", text) for text in texts]
    joined = "\n".join(normal)
    if joined.isascii():
        converted = normal
    elif any("\n" in text for text in normal):
        return [fold(text) for text in texts]
    else:  # OpenCC's phrases never span a line break
        converted = str(_converter().convert(joined)).split("\n")
    return ["".join(text.casefold().split()) for text in converted]
