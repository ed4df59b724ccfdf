"""The pseudonymised view of a text: replacements applied, with an
:class:`OffsetMap` between the original and the view.

The original text stays the one coordinate space (see DESIGN.md): a coding
stored as ``[start, end)`` in the original is shown in the view at
``offset_map.range_to_view(start, end)``.

>>> text = "Jodie said she was tired."
>>> view, offsets = render(text, [Replacement(0, 5, "[Person 1]")])
>>> view
'[Person 1] said she was tired.'
>>> start, end = offsets.range_to_view(0, 24)
>>> view[start:end]
'[Person 1] said she was tired'
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

# --- the pseudonymised view ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace ``original[start:end]`` with ``text``."""

    start: int
    end: int
    text: str


class _Fenwick:
    """Counts over positions 0..n-1 with prefix sums and k-th lookup, O(log n)."""

    __slots__ = ("tree", "n")

    def __init__(self, n: int):
        self.n = n
        self.tree = [0] * (n + 1)

    def add(self, i: int) -> None:
        i += 1
        while i <= self.n:
            self.tree[i] += 1
            i += i & -i

    def prefix(self, i: int) -> int:
        """How many positions < i are set."""
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total

    def kth(self, k: int) -> int:
        """The position of the k-th set position (1-based k)."""
        pos = 0
        step = 1 << self.n.bit_length()
        while step:
            nxt = pos + step
            if nxt <= self.n and self.tree[nxt] < k:
                pos = nxt
                k -= self.tree[nxt]
            step >>= 1
        return pos


def resolve_overlaps(replacements: Sequence[Replacement]) -> list[Replacement]:
    """The replacements that survive, sorted by start: where two overlap, the
    longer wins, then the earlier, then the one listed first. O(k log k)."""
    if not replacements:
        return []
    ordered = sorted(replacements, key=lambda r: r.start)
    if all(a.end <= b.start for a, b in zip(ordered, ordered[1:])):
        return ordered  # the usual case: nothing overlaps
    starts = sorted({r.start for r in replacements})
    kept_end: dict[int, int] = {}
    chosen = _Fenwick(len(starts))
    kept: list[Replacement] = []
    for r in sorted(replacements, key=lambda r: (r.start - r.end, r.start)):
        lo = bisect_left(starts, r.start)
        before = chosen.prefix(lo)
        if chosen.prefix(bisect_left(starts, r.end)) - before:
            continue  # a kept replacement starts inside this one
        if before and kept_end[chosen.kth(before)] > r.start:
            continue  # the kept replacement before this one reaches into it
        chosen.add(lo)
        kept_end[lo] = r.end
        kept.append(r)
    kept.sort(key=lambda r: r.start)
    return kept


def _shouting(surface: str) -> bool:
    letters = sum(1 for c in surface if c.isalpha())
    return letters >= 2 and surface.isupper() and not any(c.isdigit() for c in surface)


class OffsetMap:
    """Maps offsets between the original text and the pseudonymised text.

    Offsets outside every replacement map exactly, both ways. An offset inside
    a replaced mention has no exact image: ``side="left"`` sends it to the start
    of the replacement, ``side="right"`` to its end. Every lookup is a bisect,
    O(log k) for k replacements.
    """

    __slots__ = ("replacements", "original_length", "view_length", "_starts", "_ends", "_vstarts", "_vends")

    def __init__(self, replacements: Sequence[Replacement], original_length: int):
        """``replacements`` must be sorted and must not overlap (as
        :func:`render` passes them)."""
        self.replacements: tuple[Replacement, ...] = tuple(replacements)
        self.original_length = original_length
        starts, ends, vstarts, vends = [], [], [], []
        delta = 0
        for r in self.replacements:
            starts.append(r.start)
            ends.append(r.end)
            vstarts.append(r.start + delta)
            delta += len(r.text) - (r.end - r.start)
            vends.append(r.end + delta)
        self._starts, self._ends, self._vstarts, self._vends = starts, ends, vstarts, vends
        self.view_length = original_length + delta

    def __repr__(self) -> str:
        return (f"OffsetMap({len(self.replacements)} replacements, "
                f"{self.original_length} -> {self.view_length} characters)")

    @staticmethod
    def _check(offset: int, length: int, side: str, what: str) -> None:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', not {side!r}")
        if not 0 <= offset <= length:
            raise ValueError(f"offset {offset} is outside the {what} text (0..{length})")

    def to_view(self, offset: int, *, side: str = "left") -> int:
        """Original offset -> pseudonymised offset."""
        self._check(offset, self.original_length, side, "original")
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return offset
        if offset >= self._ends[i]:
            return offset + (self._vends[i] - self._ends[i])
        if offset == self._starts[i]:
            return self._vstarts[i]
        return self._vstarts[i] if side == "left" else self._vends[i]

    def to_original(self, offset: int, *, side: str = "left") -> int:
        """Pseudonymised offset -> original offset."""
        self._check(offset, self.view_length, side, "pseudonymised")
        if side == "left":
            i = bisect_left(self._vends, offset)  # first replacement ending at or after offset
            if i == len(self._vends):
                return offset if i == 0 else offset + (self._ends[-1] - self._vends[-1])
            if offset < self._vstarts[i]:
                return offset + (self._starts[i] - self._vstarts[i])
            if offset == self._vends[i] and self._vstarts[i] < offset:
                return self._ends[i]
            return self._starts[i]
        i = bisect_right(self._vstarts, offset) - 1  # last replacement starting at or before offset
        if i < 0:
            return offset
        if offset >= self._vends[i]:
            return offset + (self._ends[i] - self._vends[i])
        if offset == self._vstarts[i]:
            return self._starts[i]
        return self._ends[i]

    def range_to_view(self, start: int, end: int) -> tuple[int, int]:
        """A coding's ``[start, end)`` in the original -> its range in the view.

        A range that starts or ends inside a replaced mention grows to cover the
        whole replacement, so a coding never shows half a pseudonym.
        """
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        return self.to_view(start, side="left"), self.to_view(end, side="right")

    def range_to_original(self, start: int, end: int) -> tuple[int, int]:
        """A range selected in the view -> the original range it stands for
        (a replacement touched by the range counts whole)."""
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        return self.to_original(start, side="left"), self.to_original(end, side="right")


def render(text: str, replacements: Sequence[Replacement], *, match_case: bool = True) -> tuple[str, OffsetMap]:
    """Apply replacements to ``text``; return the pseudonymised text and its map.

    Overlapping replacements are resolved first (the longer wins, then the
    earlier). With ``match_case`` a mention written in capitals ("JODIE:") gets
    its replacement in capitals too ("[PERSON 1]:"). O(n + k log k).

    >>> view, offsets = render("JODIE: Jodie's here", [Replacement(0, 5, "Helen"), Replacement(7, 12, "Helen")])
    >>> view, offsets.to_view(12)
    ("HELEN: Helen's here", 12)
    """
    n = len(text)
    for r in replacements:
        if not 0 <= r.start < r.end <= n:
            raise ValueError(
                f"replacement [{r.start}, {r.end}) does not fit a text of {n} characters"
                " (a replacement needs 0 <= start < end <= length)"
            )
    kept = resolve_overlaps(replacements)
    if match_case:
        kept = [
            Replacement(r.start, r.end, r.text.upper())
            if r.text != r.text.upper() and _shouting(text[r.start : r.end]) else r
            for r in kept
        ]
    pieces: list[str] = []
    last = 0
    for r in kept:
        pieces.append(text[last : r.start])
        pieces.append(r.text)
        last = r.end
    pieces.append(text[last:])
    return "".join(pieces), OffsetMap(kept, n)
