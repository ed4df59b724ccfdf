"""Placing another tool's coded positions on the text as fieldnotes stores
it: LF line endings, and positions that some tools count on the LF text or
in UTF-16 units, each reading scored on the selections themselves."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from fieldnotes.exchange.qdpx.format import NAME_CHARS, plural

if TYPE_CHECKING:
    from fieldnotes.exchange.qdpx.reader import Selection

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def normalise(text: str) -> str:
    """``text`` with LF line endings, as fieldnotes stores every text."""
    from fieldnotes.importers.base import normalise_newlines

    return normalise_newlines(text)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def place_selections(raw: str, selections: list[Selection], name: str,
                      warnings: list[str]) -> tuple[str, list[Selection]]:
    """The text with LF line endings, and the selections moved onto it.

    REFI positions are character positions in the plain text. The text in
    the archive may have CRLF line endings, which fieldnotes stores as LF;
    positions counted on the file as stored are moved back by the line breaks
    before them. Some tools count on the LF text, or in UTF-16 units; each
    reading is scored on the selections (the coded text they name, whole
    words) and the best wins, the file as stored on a tie. Selections that fall
    outside the text are dropped and reported.
    """
    text = normalise(raw)
    readings = _readings(raw)
    label, mapper = readings[0]
    if len(readings) > 1 and selections:
        scores = [_score(text, selections, m) for _, m in readings]
        best = max(range(len(readings)), key=lambda i: (scores[i], -i))
        label, mapper = readings[best]
        if best:
            warnings.append(f"'{name}': its coded positions fit the text counted {label}; read them that way")
    placed: list[Selection] = []
    outside: list[str] = []
    for s in selections:
        a, b = mapper(s.start), mapper(s.end)
        if 0 <= a < b <= len(text):
            s.start, s.end = a, b
            placed.append(s)
        else:
            outside.append(f"{s.start}-{s.end}")
    if outside:
        lost = " (its text file in the .qdpx is empty)" if not text.strip() else ""
        shown = ", ".join(outside[:5]) + (", …" if len(outside) > 5 else "")
        warnings.append(f"'{name}': {plural(len(outside), 'coded passage')} outside its text "
                        f"({len(text)} characters){lost} skipped: {shown}")
    return text, placed


def _readings(raw: str) -> list[tuple[str, Callable[[int], int]]]:
    """The ways a tool may have counted positions in ``raw``, each as a
    label and a function from its position to one in the LF text; the file
    as stored first."""
    crlf = [m.start() for m in re.finditer("\r\n", raw)]

    def stored(pos: int) -> int:
        return pos - bisect.bisect_left(crlf, pos)

    readings: list[tuple[str, Callable[[int], int]]] = [("as stored", stored)]
    if crlf:
        readings.append(("with LF line endings", lambda pos: pos))
    astral = [m.start() for m in _ASTRAL.finditer(raw)]
    if astral:
        ends = [i + k + 2 for k, i in enumerate(astral)]  # UTF-16 end of each astral character
        readings.append(("in UTF-16 units", lambda pos: stored(pos - bisect.bisect_right(ends, pos))))
    return readings


def _score(text: str, selections: list[Selection], mapper: Callable[[int], int]) -> int:
    """How well a reading fits: selections that land on the coded text they
    name, on whole words, and not outside the text."""
    total = 0
    for s in selections:
        a, b = mapper(s.start), mapper(s.end)
        if not 0 <= a < b <= len(text):
            total -= 5
            continue
        if s.hint.strip() and _squash(text[a:b]).startswith(_squash(s.hint)[:NAME_CHARS // 2]):
            total += 10
        if _whole_words(text, a, b):
            total += 1
    return total


def _whole_words(text: str, a: int, b: int) -> bool:
    starts = a == 0 or not (text[a - 1].isalnum() and text[a].isalnum())
    ends = b == len(text) or not (text[b - 1].isalnum() and text[b].isalnum())
    return starts and ends

