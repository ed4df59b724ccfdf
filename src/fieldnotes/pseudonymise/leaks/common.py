"""What the leak checker's parts share: the findings it reports and the
pieces of text the readers hand to the matchers."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Leak:
    """One place where a real name or identifier was found."""

    path: str  # the file scanned, or a locator inside it ("study.fnp:memos.text#3")
    line: int  # 1-based; the row for CSV and Excel; 0 for raw-byte hits
    column: int  # 1-based; the cell's column for CSV and Excel; the byte offset for raw-byte hits
    found: str  # the text found
    surface: str  # the entity surface form it matched
    entity: str  # the entity's label
    kind: str  # "exact" | "case-insensitive" | "fuzzy" | "raw-bytes"
    context: str  # about 60 characters around the hit, whitespace collapsed


@dataclass(frozen=True, slots=True)
class Possible:
    """A candidate identifier that detection found in a checked file and that
    is not a pseudonym: something the project never knew about. Repeats of the
    same text are grouped: ``count`` places, the first of them located."""

    text: str  # as written at the first place
    category: str  # PERSON, PLACE, ORG, PHONE, ...
    path: str  # where it was first seen (a locator, as for :class:`Leak`)
    line: int
    column: int
    context: str  # about 60 characters around the first place
    count: int  # places in all the checked files
    files: int  # distinct files (or parts) it was seen in
    reason: str  # why it is listed: "detected as a name", "a first name used as one", ...
    others: int = 0  # other texts grouped with it (dates or numbers in one column of a table)


#: Kinds of hit, strongest first. One place is reported once, as the strongest.
KINDS = ("exact", "case-insensitive", "fuzzy", "raw-bytes")

CONTEXT = 30  # characters either side


@dataclass(slots=True)
class TextUnit:
    """A piece of text to search and how to locate a hit in it."""

    where: str
    text: str
    line: int = 1  # line of text[0]
    column: int = 1  # column of text[0]
    fixed: bool = False  # a cell: every hit is reported at (line, column)
    locate: Callable[[int], tuple[int, int]] | None = None  # offset -> (line, column)
    prose: bool = True  # worth running detection over (not a schema, not a file's raw bytes)


class Places:
    """Offsets in a piece of text -> (line, column) as reported."""

    def __init__(self, unit: TextUnit) -> None:
        self.unit = unit
        self.newlines: list[int] | None = None

    def __call__(self, offset: int) -> tuple[int, int]:
        unit = self.unit
        if unit.fixed:
            return unit.line, unit.column
        if unit.locate is not None:
            return unit.locate(offset)
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", unit.text)]
        before = bisect.bisect_left(self.newlines, offset)
        if before == 0:
            return unit.line, unit.column + offset
        return unit.line + before, offset - self.newlines[before - 1]


def context(text: str, start: int, end: int) -> str:
    """About 60 characters around ``text[start:end]``, whitespace collapsed."""
    return " ".join(text[max(0, start - CONTEXT): end + CONTEXT].split())
