"""Intercoder agreement: how far coders who coded the same documents agree.

For each code, every *unit* of every compared document is either coded or not
coded by each coder, which gives one binary rating per coder per unit. From
those ratings come:

* **percent agreement**: the share of units on which all coders agree (all
  coded it, or none did);
* **Cohen's kappa** (two coders only): ``(po - pe) / (1 - pe)``, where ``po``
  is the observed agreement and ``pe = pA·pB + (1 - pA)·(1 - pB)`` the
  agreement expected by chance from each coder's own rate of coding (Cohen
  1960);
* **Krippendorff's alpha**, nominal, for two or more coders:
  ``1 - (n - 1) · o01 / (n0 · n1)``, where the coincidence count
  ``o01 = Σ_units n0u · n1u / (m - 1)`` pairs the coded and not-coded ratings
  within each unit, ``n0`` and ``n1`` count all not-coded and coded ratings,
  ``n`` all ratings and ``m`` the coders (Krippendorff 2004, ch. 11; the
  binary case of the general coincidence matrix, computed exactly).

How units are formed (``unit``):

* ``character``: every character of the document's text, spaces included;
  a coder coded a character when one of their codings with the code covers
  it (the unit NVivo's coding comparison uses);
* ``word``: every word (letters or digits with inner apostrophes);
* ``sentence`` and ``paragraph``: as fieldnotes expands a selection
  (a sentence ends at . ! ? … or a line break; paragraphs are separated by a
  blank line);
* ``turn``: every speaker turn; a document without turns uses paragraphs.

For every unit but ``character``, a coder coded the unit when one of their
codings with the code overlaps it by at least one character. Overlapping
codings of one code by one coder count once. Overall figures pool every
(code, unit) pair of every compared code.

By default only documents that every compared coder has coded at least once
are compared (a document one coder has not reached yet is not counted as
disagreement); ``all_documents=True`` compares every document.

Why not build the reliability matrix and hand it to the ``krippendorff``
package? At the character unit, 1,000 interviews are 30 million units per
code; for binary ratings with no missing values, alpha depends only on how
many units each number of coders coded, which a sweep over the codings'
boundaries counts exactly. The tests check the figures against
``krippendorff.alpha`` on the same reliability data.

Example::

    from fieldnotes.analysis.agreement import agreement

    result = agreement(project, coders=["anna", "ben"], unit="word")
    for row in result.rows:
        print(row.code, row.percent, row.kappa, row.alpha)
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from fieldnotes.analysis.table import RowHeader, Table
from fieldnotes.errors import FieldnotesError
from fieldnotes.passages import UNITS as TEXT_UNITS
from fieldnotes.passages import segments
from fieldnotes.store.queries import analysis as q

#: What one rating is about: a character, or one of the units of text a
#: selection expands to (the same words, sentences, paragraphs and turns).
UNITS = ("character", *TEXT_UNITS)


# -- the statistics, on counts ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """Ratings of one code over some units.

    ``by_coders[k]`` is the number of units exactly ``k`` coders coded (so
    ``by_coders[0]`` were coded by nobody and ``by_coders[m]`` by everyone);
    ``per_coder`` is how many units each coder coded, in coder order."""

    coders: int
    by_coders: tuple[int, ...]
    per_coder: tuple[int, ...]

    @property
    def units(self) -> int:
        return sum(self.by_coders)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.coders,
            tuple(a + b for a, b in zip(self.by_coders, other.by_coders)),
            tuple(a + b for a, b in zip(self.per_coder, other.per_coder)),
        )

    @classmethod
    def zero(cls, coders: int) -> Counts:
        return cls(coders, (0,) * (coders + 1), (0,) * coders)


def percent_agreement(counts: Counts) -> float | None:
    """Share of units (0-100) on which every coder agrees."""
    if counts.units == 0:
        return None
    return 100.0 * (counts.by_coders[0] + counts.by_coders[-1]) / counts.units


def cohen_kappa(counts: Counts) -> float | None:
    """Cohen's kappa for two coders; None when undefined (both coders coded
    every unit, or none: chance agreement is then 1)."""
    if counts.coders != 2 or counts.units == 0:
        return None
    n = counts.units
    p_a, p_b = counts.per_coder[0] / n, counts.per_coder[1] / n
    p_o = (counts.by_coders[0] + counts.by_coders[2]) / n
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    if p_e >= 1.0:
        return None
    return (p_o - p_e) / (1 - p_e)


def krippendorff_alpha(counts: Counts) -> float | None:
    """Krippendorff's alpha (nominal, binary, no missing ratings); None when
    undefined (every rating is the same value)."""
    m = counts.coders
    if m < 2 or counts.units == 0:
        return None
    n = counts.units * m
    n1 = sum(k * units for k, units in enumerate(counts.by_coders))
    n0 = n - n1
    if n0 == 0 or n1 == 0:
        return None
    o01 = sum(units * k * (m - k) for k, units in enumerate(counts.by_coders)) / (m - 1)
    return 1.0 - (n - 1) * o01 / (n0 * n1)


def kappa_reading(kappa: float | None) -> str:
    """Landis and Koch's (1977) labels for kappa: conventions, not laws."""
    if kappa is None:
        return "undefined (no variation)"
    if kappa < 0:
        return "poor (below chance)"
    for limit, label in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if kappa <= limit:
            return label
    return "almost perfect"


def alpha_reading(alpha: float | None) -> str:
    """Krippendorff's (2004) guidance for alpha: conventions, not laws."""
    if alpha is None:
        return "undefined (no variation)"
    if alpha >= 0.800:
        return "reliable (≥ .800)"
    if alpha >= 0.667:
        return "tentative only (.667–.800)"
    return "not reliable (< .667)"


# -- counting ratings from codings -------------------------------------------------


def merge(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of half-open intervals."""
    result: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def count(coded: Sequence[Sequence[tuple[int, int]]], units: int) -> Counts:
    """Counts over units ``0 .. units-1`` given, for each coder, the merged
    intervals of unit positions they coded. A sweep over the boundaries:
    linear in the number of intervals (after sorting), not in ``units``."""
    m = len(coded)
    events: list[tuple[int, int]] = []
    per_coder = []
    for intervals in coded:
        total = 0
        for start, end in intervals:
            start, end = max(0, start), min(units, end)
            if end > start:
                events.append((start, 1))
                events.append((end, -1))
                total += end - start
        per_coder.append(total)
    events.sort()
    by_coders = [0] * (m + 1)
    depth, pos = 0, 0
    for at, delta in events:
        by_coders[depth] += at - pos
        depth += delta
        pos = at
    by_coders[depth] += units - pos
    return Counts(m, tuple(by_coders), tuple(per_coder))


def to_units(intervals: Sequence[tuple[int, int]], units: Sequence[tuple[int, int]],
             bounds: tuple[Sequence[int], Sequence[int]] | None = None) -> list[tuple[int, int]]:
    """Character intervals -> merged intervals of the unit positions they
    overlap (by at least one character). ``bounds`` passes the units' starts
    and ends, when the caller has them already."""
    starts, ends = bounds if bounds is not None else ([s for s, _ in units], [e for _, e in units])
    result = []
    for start, end in intervals:
        first = bisect.bisect_right(ends, start)   # first unit ending after start
        last = bisect.bisect_left(starts, end)     # units starting before end
        if last > first:
            result.append((first, last))
    return merge(result)


# -- the project-level analysis ----------------------------------------------------


@dataclass(slots=True)
class AgreementRow:
    code: str                 # the code's path ("(all codes)" for the overall row)
    document: str | None      # None: every compared document
    counts: Counts
    percent: float | None
    kappa: float | None
    alpha: float | None

    @property
    def reading(self) -> str:
        parts = []
        if self.kappa is not None or self.counts.coders == 2:
            parts.append(f"kappa: {kappa_reading(self.kappa)}")
        parts.append(f"alpha: {alpha_reading(self.alpha)}")
        return "; ".join(parts)


@dataclass(slots=True)
class Agreement:
    coders: list[str]
    unit: str
    documents: list[str]
    skipped: list[str]
    rows: list[AgreementRow] = field(default_factory=list)
    overall: AgreementRow | None = None

    def notes(self) -> list[str]:
        notes = [
            f"Coders: {', '.join(self.coders)}. Unit: {self.unit}. "
            f"Documents compared: {len(self.documents)}"
            + (f" ({len(self.skipped)} left out: not coded by every coder)" if self.skipped else "") + ".",
            "Percent agreement: units on which every coder agrees. Kappa: Cohen's, two coders only. "
            "Alpha: Krippendorff's, nominal. Overall figures pool every (code, unit) pair.",
            "Readings follow Landis & Koch (1977) for kappa and Krippendorff (2004) for alpha; "
            "they are conventions, not tests: report the figures and the counts behind them.",
        ]
        return notes

    def table(self) -> Table:
        """Every figure with the counts behind it, one row per code (and per
        code and document), for CSV, Markdown, HTML or the terminal."""
        two = len(self.coders) == 2
        columns = ["Document", "Units", "Both coded" if two else "All coded",
                   "One only" if two else "Some", "Neither", "Agreement %", "Kappa", "Alpha", "Reading"]
        rows, values = [], []
        for row in self._all_rows():
            c = row.counts
            some = c.units - c.by_coders[0] - c.by_coders[-1]
            rows.append(RowHeader(row.code, row.code + ("|" + row.document if row.document else "")))
            values.append([
                row.document or "(all)", c.units, c.by_coders[-1], some, c.by_coders[0],
                _round(row.percent, 1), _round(row.kappa, 3), _round(row.alpha, 3), row.reading,
            ])
        return Table(
            title=f"Intercoder agreement ({self.unit})", rows=rows, columns=columns, values=values,
            corner="Code", measure="text", notes=self.notes(),
        )

    def tables(self) -> list[Table]:
        """The full table, then one table per measure (codes x documents,
        numbers only) for an XLSX workbook with a sheet per measure."""
        result = [self.table()]
        documents = sorted({r.document for r in self.rows if r.document})
        columns = ["All documents", *documents]
        codes = [r for r in self._all_rows() if r.document is None]
        by_key = {(r.code, r.document): r for r in self.rows}
        for title, attr, percent in (("Agreement %", "percent", True), ("Kappa", "kappa", False),
                                     ("Alpha", "alpha", False)):
            if attr == "kappa" and len(self.coders) != 2:
                continue
            values = []
            for row in codes:
                line = [getattr(row, attr)]
                line += [getattr(by_key[(row.code, d)], attr) if (row.code, d) in by_key else None
                         for d in documents]
                values.append(line)
            result.append(Table(
                title=title, rows=[RowHeader(r.code, r.code) for r in codes], columns=columns, values=values,
                corner="Code", measure="agreement", percent=percent, notes=self.notes()))
        return result

    def _all_rows(self) -> list[AgreementRow]:
        return [*self.rows, *([self.overall] if self.overall else [])]


def _round(value: float | None, digits: int) -> float | str:
    return "n/a" if value is None else round(value, digits)


def agreement(project, *, coders: Sequence[str] | None = None, codes: Sequence[str] | None = None,
              unit: str = "character", where: Sequence[tuple[str, str]] = (), by_document: bool = False,
              all_documents: bool = False) -> Agreement:
    """Agreement per code (and per document with ``by_document``) between
    ``coders`` (default: every coder with codings). See the module docstring
    for how units are formed and what each figure means."""
    if unit not in UNITS:
        raise FieldnotesError(f"Unknown unit '{unit}'; use one of {', '.join(UNITS)}.")
    coder_ids = _coders(project, coders)
    names = list(coder_ids)
    ids = [coder_ids[n] for n in names]
    position = {cid: i for i, cid in enumerate(ids)}
    code_rows = project.codebook.codes(counts=False)
    paths = {c.id: c.path for c in code_rows}
    if codes:
        wanted = [project.codebook.find_code(code_rows, name).id for name in codes]
    else:
        used = q.codes_used_by(project.conn, ids)
        wanted = [c.id for c in code_rows if c.id in used]
    doc_filter = project.filter_documents(where) if where else None

    coded_by: dict[int, set[int]] = defaultdict(set)
    for doc_id, coder_id in q.documents_coded_by(project.conn, ids):
        coded_by[doc_id].add(coder_id)
    documents, skipped = [], []
    for doc_id, name in q.documents_by_name(project.conn):
        if doc_filter is not None and doc_id not in doc_filter:
            continue
        if all_documents or len(coded_by.get(doc_id, ())) == len(ids):
            documents.append((doc_id, name))
        elif coded_by.get(doc_id):
            skipped.append(name)
    result = Agreement(names, unit, [n for _, n in documents], skipped)
    if not documents:
        raise FieldnotesError(
            "No document has been coded by every one of " + ", ".join(names)
            + ": nothing to compare (use --all-documents to compare every document).")

    per_code: dict[int, Counts] = {c: Counts.zero(len(ids)) for c in wanted}
    per_doc_rows: list[AgreementRow] = []
    for doc_id, doc_name in documents:
        found = _count_document(project, doc_id, unit, ids, position, wanted)
        for code_id in wanted:
            counts, coded = found[code_id]
            per_code[code_id] = per_code[code_id] + counts
            if by_document and coded:
                per_doc_rows.append(_row(paths[code_id], doc_name, counts))
    for code_id in wanted:
        result.rows.append(_row(paths[code_id], None, per_code[code_id]))
        if by_document:
            result.rows.extend(r for r in per_doc_rows if r.code == paths[code_id])
    pooled = Counts.zero(len(ids))
    for counts in per_code.values():
        pooled = pooled + counts
    result.overall = _row("(all codes)", None, pooled)
    return result


def _count_document(project, doc_id: int, unit: str, ids: list[int], position: dict[int, int],
                    wanted: list[int]) -> dict[int, tuple[Counts, bool]]:
    """Each wanted code's counts in one document, and whether any of the
    coders coded it there."""
    wanted_set = set(wanted)
    spans: dict[int, list[list[tuple[int, int]]]] = {}
    for code_id, coder_id, start, end in q.codings_by_coders(project.conn, doc_id, ids):
        if code_id in wanted_set:
            spans.setdefault(code_id, [[] for _ in ids])[position[coder_id]].append((start, end))
    units, bounds, length = _units_of(project, doc_id, unit)
    total = length if unit == "character" else len(units)
    result: dict[int, tuple[Counts, bool]] = {}
    for code_id in wanted:
        by_coder = spans.get(code_id)
        if by_coder is None:
            counts = Counts(len(ids), (total,) + (0,) * len(ids), (0,) * len(ids))
        elif unit == "character":
            counts = count([merge(iv) for iv in by_coder], total)
        else:
            counts = count([to_units(merge(iv), units, bounds) for iv in by_coder], total)
        result[code_id] = (counts, by_coder is not None)
    return result


def _row(code: str, document: str | None, counts: Counts) -> AgreementRow:
    return AgreementRow(code, document, counts, percent_agreement(counts), cohen_kappa(counts),
                        krippendorff_alpha(counts))


def _units_of(project, doc_id: int, unit: str):
    """A document's units, their starts and ends, and its length."""
    if unit == "character":
        return [], ([], []), q.text_length(project.conn, doc_id)
    text = project.document_text(doc_id)
    turns = [(t.start, t.end) for t in project.turns(doc_id)] if unit == "turn" else ()
    units = segments(text, unit, turns)
    return units, ([s for s, _ in units], [e for _, e in units]), len(text)


def _coders(project, names: Sequence[str] | None) -> dict[str, int]:
    """Coder name -> id, resolved case-insensitively; at least two."""
    if names:
        result = {}
        for wanted in names:
            coder = project.coders.resolve(wanted, with_codings=True)
            result[coder.name] = coder.id
    else:
        result = {c.name: c.id for c in project.coders.list(with_codings=True)}
    if len(result) < 2:
        raise FieldnotesError(
            "Agreement needs codings by at least two coders; this project has "
            + (", ".join(result) or "none") + ". Make each coder a copy with 'fieldnotes team copy', "
            "then bring them back with 'fieldnotes team merge'.")
    return result
