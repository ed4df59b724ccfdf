"""Code co-occurrence: which codes come up together.

A codes x codes table, symmetric, with parent codes rolling up their
sub-codes as in :mod:`fieldnotes.analysis.matrix`. "Together" is one of three
units:

* ``overlap``: the codes' passages share text. A cell counts the stretches of
  text coded with both (each maximal run of characters inside a passage of
  each code counts once: a passage coded with both codes is one stretch).
* ``turn``: the codes have passages in the same speaker turn. A cell counts
  the turns with a passage of each code (a passage belongs to every turn it
  touches). Documents without speaker turns are left out (the notes say how
  many).
* ``paragraph``: the same with paragraphs (blocks of text between blank lines).

The diagonal holds each code's passages (distinct coded ranges).

With ``jaccard=True`` a cell is |A ∩ B| / |A ∪ B| (0 to 1, three decimals),
where A is the set of units of the row code and B of the column code, summed
over the documents:

* ``overlap``: the characters coded with the code;
* ``turn``: the speaker turns with a passage of the code;
* ``paragraph``: the paragraphs with a passage of the code.

The diagonal is then 1 (0 for a code with no passages).

Example::

    from fieldnotes.analysis.cooccurrence import cooccurrence

    table = cooccurrence(project, unit="turn", where=[("phase", "2")])
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from fieldnotes.analysis.matrix import CodeTree, filter_notes, scope
from fieldnotes.analysis.table import Table
from fieldnotes.errors import FieldnotesError
from fieldnotes.passages import paragraphs
from fieldnotes.store.queries import analysis as q

#: What "together" means here: not units of text to rate or expand to (those
#: are :data:`fieldnotes.passages.UNITS`), but ways passages meet.
UNITS = ("overlap", "turn", "paragraph")
_TITLES = {
    "overlap": "overlapping passages",
    "turn": "passages in the same speaker turn",
    "paragraph": "passages in the same paragraph",
}


def _unit_mask(starts: list[int], ends: list[int], start: int, end: int, *, ordered: bool = True) -> int:
    """Bits of the units (sorted by start) that ``[start, end)`` touches.
    ``ordered``: the units do not overlap, so their ends are sorted too."""
    hi = bisect.bisect_left(starts, end)
    if not ordered:  # overlapping turns (subtitles can): look at each one
        return sum(1 << j for j in range(hi) if ends[j] > start)
    lo = bisect.bisect_right(ends, start)
    return ((1 << (hi - lo)) - 1) << lo if hi > lo else 0


def _runs(bits: int) -> int:
    """Maximal runs of set bits: stretches of text."""
    return (bits & ~(bits << 1)).bit_count()


def cooccurrence(
    project,
    *,
    codes: Sequence[str] | None = None,
    unit: str = "overlap",
    jaccard: bool = False,
    where: Sequence[tuple[str, str]] = (),
    coder: str | None = None,
) -> Table:
    """Codes x codes: how often two codes come up together in a ``unit``
    (``"overlap"``, ``"turn"`` or ``"paragraph"``); see the module docstring
    for what a cell counts. Rows and columns are every code in tree order, or
    only ``codes`` (each rolling up its sub-codes); ``where`` and ``coder``
    filter as in :func:`fieldnotes.analysis.matrix.code_matrix`.
    """
    wanted = (unit or "").strip().lower()
    if wanted not in UNITS:
        from fieldnotes.errors import suggest

        raise FieldnotesError(f"Unknown unit '{unit}'.{suggest(wanted, UNITS)} Use one of {', '.join(UNITS)}.")
    unit = wanted
    tree = CodeTree.of(project)
    chosen = tree.select(project, codes)
    # For each code in the tree, the chosen rows whose sub-tree holds it.
    rows_of = [[r for r, node in enumerate(chosen) if tree.contains(node, i)] for i in range(len(tree))]
    where_scope = scope(project, where, coder)
    codings = q.coding_spans(project.conn, where_scope.doc_ids, where_scope.coder_id)
    counter = _Counter(project, unit, len(chosen))
    current, found = None, {}
    for doc_id, code_id, start, end in codings:
        i = tree.position.get(code_id)
        if i is None:
            continue
        if doc_id != current:
            if found:
                counter.document(current, found)
            current, found = doc_id, {}
        for r in rows_of[i]:
            found.setdefault(r, set()).add((start, end))
    if found:
        counter.document(current, found)

    notes = [_definition(unit, jaccard), "Diagonal: " + (
        "1 for every code with passages." if jaccard else "each code's passages (distinct coded ranges)."),
        "Parent codes roll up their sub-codes."]
    if counter.left_out:
        notes.append(f"{len(counter.left_out)} coded document(s) without speaker turns left out.")
    notes += filter_notes(where, coder)
    title = ("Jaccard similarity of codes: " if jaccard else "Co-occurrence of codes: ") + _TITLES[unit]
    return Table(title, tree.headers(chosen), tree.labels(chosen), counter.values(jaccard), corner="Code",
                 measure="jaccard" if jaccard else {"overlap": "overlaps", "turn": "turns", "paragraph": "paragraphs"}[unit],
                 notes=notes)


class _Counter:
    """The counts behind the table, document by document: each chosen
    code's passages and units, and for each pair what a cell counts and the
    units they share. A code's units in a document are the bits of one int
    (characters for ``overlap``, turns or paragraphs otherwise), so a pair's
    shared units are one AND."""

    def __init__(self, project, unit: str, k: int) -> None:
        self.project = project
        self.unit = unit
        self.passages = [0] * k
        self.unit_totals = [0] * k
        self.together = [[0] * k for _ in range(k)]     # what a cell counts
        self.shared = [[0] * k for _ in range(k)]       # |A ∩ B| in units, for Jaccard
        self.left_out: set[int] = set()
        self.turns: dict[int, list[tuple[int, int]]] = {}
        if unit == "turn":
            for doc_id, start, end in q.all_turn_spans(project.conn):
                self.turns.setdefault(doc_id, []).append((start, end))

    def _spans(self, doc_id: int) -> list[tuple[int, int]] | None:
        """The document's units (None: characters, for ``overlap``); an
        empty list when it has none (a document without turns)."""
        if self.unit == "overlap":
            return None
        if self.unit == "turn":
            return self.turns.get(doc_id, [])
        return paragraphs(self.project.document_text(doc_id))

    def document(self, doc_id: int, found: dict[int, set[tuple[int, int]]]) -> None:
        """Count one document: ``found`` holds each chosen row's coded ranges in it."""
        spans = self._spans(doc_id)
        if self.unit == "turn" and not spans:
            self.left_out.add(doc_id)
            return
        bits = self._masks(found, spans)
        present = sorted(bits)
        for x, a in enumerate(present):
            mask_a = bits[a]
            for b in present[x + 1:]:
                both = mask_a & bits[b]
                if both:
                    count = both.bit_count()
                    self.shared[a][b] += count
                    self.together[a][b] += _runs(both) if self.unit == "overlap" else count

    def _masks(self, found: dict[int, set[tuple[int, int]]], spans: list[tuple[int, int]] | None) -> dict[int, int]:
        """Each row's units in the document, as bits (rows with none left out)."""
        if spans is not None:
            starts = [s for s, _ in spans]
            ends = [e for _, e in spans]
            ordered = all(e <= s for e, s in zip(ends, starts[1:]))
        bits: dict[int, int] = {}
        for r, ranges in found.items():
            self.passages[r] += len(ranges)
            mask = 0
            for s, e in ranges:
                if spans is None:
                    mask |= ((1 << (e - s)) - 1) << s
                else:
                    mask |= _unit_mask(starts, ends, s, e, ordered=ordered)
            if mask:
                bits[r] = mask
                self.unit_totals[r] += mask.bit_count()
        return bits

    def values(self, jaccard: bool) -> list[list[float | int]]:
        """The symmetric table: counts, or Jaccard similarities."""
        k = len(self.passages)
        values: list[list[float | int]] = [[0] * k for _ in range(k)]
        for a in range(k):
            for b in range(k):
                if a == b:
                    values[a][b] = (1.0 if self.unit_totals[a] else 0.0) if jaccard else self.passages[a]
                    continue
                x, y = min(a, b), max(a, b)
                if jaccard:
                    union = self.unit_totals[a] + self.unit_totals[b] - self.shared[x][y]
                    values[a][b] = round(self.shared[x][y] / union, 3) if union else 0.0
                else:
                    values[a][b] = self.together[x][y]
        return values


def _definition(unit: str, jaccard: bool) -> str:
    if jaccard:
        sets = {"overlap": "the characters coded with each code",
                "turn": "the speaker turns with a passage of each code",
                "paragraph": "the paragraphs with a passage of each code"}[unit]
        return f"Cells: Jaccard |A ∩ B| / |A ∪ B| over {sets}, across all documents."
    return {
        "overlap": "Cells: stretches of text coded with both codes (a passage coded with both counts once).",
        "turn": "Cells: speaker turns with a passage of each code.",
        "paragraph": "Cells: paragraphs with a passage of each code.",
    }[unit]
