"""Theme matrices: how often each code came up, by document, case or attribute.

Rows are codes in codebook order. A parent code's row rolls up its sub-codes:
it counts what is coded with the parent itself or with any code below it, and
a passage coded with two of its sub-codes counts once. Columns are

* ``documents``: one column per document;
* ``cases``: one column per case (a focus group belongs to several cases, so
  its passages count in each of them);
* ``attr:NAME``: one column per value of a document attribute (``attr:phase``),
  sorted naturally (numbers as numbers, "Team 2" before "Team 10"); every value
  present in the project has its column, even where a filter leaves it empty;
* ``attr:A,attr:B``: one column per combination of two attributes
  ("phase=1 · role=SW CP").

Documents without a value for the attribute (or without a case) get a
``(none)`` column, so nothing coded is silently left out.

Measures: ``passages`` (distinct coded passages: a passage is a coded range of a
document, so the same range coded by two coders or with two sub-codes is one
passage), ``documents`` (documents with the code), ``cases`` (cases with the
code in at least one of their documents) and ``words`` (words in the coded
text, each word once however many passages cover it).

Example::

    from fieldnotes.analysis.matrix import code_matrix

    table = code_matrix(project, cols="attr:phase", measure="documents", percent=True,
                        where=[("role", "SW CP")])
    for header, values in zip(table.rows, table.values):
        print("  " * header.depth + header.label, values)

How it stays fast on a million codings: SQLite counts codings per document
and code in one pass over the ``codings_unique`` index (no join, no sort),
and, for distinct passages, hands over each group's ranges packed into one
integer. numpy sorts them once by (document, passage, code); because codes are
numbered in tree order, the codings of one sub-tree sit next to each other
within a passage, so the passages counted twice in a parent are found by
comparing neighbours, level by level, without a second query.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.analysis.table import RowHeader, Table
from fieldnotes.codebook.tree import subtree_ends
from fieldnotes.errors import FieldnotesError
from fieldnotes.passages import WORD
from fieldnotes.store.queries import analysis as q
from fieldnotes.store.queries import attributes as qa

MEASURES = ("passages", "documents", "cases", "words")
MEASURE_TITLES = {"passages": "Passages", "documents": "Documents", "cases": "Cases", "words": "Words coded"}
#: What a column's percentage base counts, for each measure.
MEASURE_UNITS = {"passages": "coded passages", "documents": "documents", "cases": "cases", "words": "coded words"}
#: The label of the column that holds documents without a value (or a case).
NO_VALUE = "(none)"
NO_CASE = "(no case)"

_DIGITS = re.compile(r"(\d+)")


# -- shared helpers (also used by cooccurrence and framework) -----------------------


class CodeTree:
    """The codebook in tree order (parents before children, siblings in
    order), with each code's sub-tree as a contiguous range of positions:
    code ``i`` and its descendants are positions ``i .. end[i] - 1``."""

    def __init__(self, codes: Sequence[Any]):
        self.codes = list(codes)
        self.position = {c.id: i for i, c in enumerate(self.codes)}
        n = len(self.codes)
        self.parent = [self.position.get(c.parent_id, -1) if c.parent_id is not None else -1 for c in self.codes]
        self.depth = [0] * n
        for i in range(n):
            p = self.parent[i]
            self.depth[i] = self.depth[p] + 1 if p >= 0 else 0
        # The same rule as project.codebook.subtree, kept as ranges for speed.
        self.end = subtree_ends(self.codes)

    @classmethod
    def of(cls, project) -> CodeTree:
        return cls(project.codebook.codes(counts=False))

    def __len__(self) -> int:
        return len(self.codes)

    def chain(self, i: int) -> list[int]:
        """Code ``i`` and its ancestors, nearest first."""
        result = []
        while i >= 0:
            result.append(i)
            i = self.parent[i]
        return result

    def contains(self, ancestor: int, i: int) -> bool:
        return ancestor <= i < self.end[ancestor]

    def select(self, project, names: Sequence[str] | None) -> list[int]:
        """Positions of the named codes (names or paths) in tree order; all
        codes when ``names`` is None. Unknown names raise NotFound with
        suggestions."""
        if names is None:
            return list(range(len(self.codes)))
        if isinstance(names, str):
            names = [names]
        chosen = {self.position[project.codebook.find_code(self.codes, name).id] for name in names}
        if not chosen:
            raise FieldnotesError("Name at least one code, or leave the codes out to use them all.")
        return sorted(chosen)

    def headers(self, chosen: Sequence[int]) -> list[RowHeader]:
        """Row headers for the chosen codes; depth counts chosen ancestors, so
        a selection of sub-codes is not indented under parents not shown."""
        picked = set(chosen)
        return [
            RowHeader(self.codes[i].name, self.codes[i].path,
                      sum(1 for a in self.chain(i)[1:] if a in picked))
            for i in chosen
        ]

    def labels(self, chosen: Sequence[int]) -> list[str]:
        """Short labels for the chosen codes: names, or paths where two
        chosen codes share a name."""
        names = [self.codes[i].name for i in chosen]
        return [self.codes[i].path if names.count(self.codes[i].name) > 1 else self.codes[i].name for i in chosen]


@dataclass(frozen=True, slots=True)
class Scope:
    """The documents an analysis covers (after ``where``) and the coder filter."""

    ids: list[int]
    """Document ids, ordered by document name."""
    names: list[str]
    all_documents: bool
    coder_id: int | None

    @property
    def doc_ids(self) -> list[int] | None:
        """The documents to read codings of (None: all of them, no filter)."""
        return None if self.all_documents else self.ids


def scope(project, where: Sequence[tuple[str, str]] = (), coder: str | None = None) -> Scope:
    """The documents matching ``where`` (as :meth:`Project.filter_documents`:
    attributes, ``kind`` and ``case``) and the id of ``coder``."""
    rows = q.documents_by_name(project.conn)
    if where:
        wanted = project.filter_documents(list(where))
        rows = [r for r in rows if r[0] in wanted]
    coder_id = None if coder is None else project.coders.resolve(coder).id
    return Scope([r[0] for r in rows], [r[1] for r in rows], not where, coder_id)


def filter_notes(where: Sequence[tuple[str, str]], coder: str | None) -> list[str]:
    """Notes saying which filters made a table."""
    notes = []
    if where:
        by_name: dict[str, list[str]] = {}
        for name, value in where:
            by_name.setdefault(name.strip().lower(), []).append(str(value))
        notes.append("Filter: " + "; ".join(f"{name} = {' or '.join(values)}" for name, values in by_name.items()))
    if coder:
        notes.append(f"Coder: {coder} only")
    return notes


def value_label(value: Any) -> str:
    """An attribute value as a column label (2.0 shows as 2)."""
    if value is None:
        return NO_VALUE
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def natural_key(value: Any) -> tuple:
    """Sort numbers as numbers and text naturally ("Team 2" < "Team 10"); no value last."""
    if value is None:
        return (2, 0.0, ())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in _DIGITS.split(str(value)) if p)
    return (1, 0.0, parts)


# -- columns ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Columns:
    heading: str                    # "phase", "document", "case", "phase and role"
    labels: list[str]
    members: list[list[int]]        # positions (in Scope.ids) of each column's documents
    notes: list[str]


def _attribute(project, name: str) -> tuple[str, dict[int, Any], list[Any]]:
    """``(name, value by document id, every value present on documents)``;
    the attribute resolves as everywhere else (:meth:`Attributes.variable`)."""
    real, values = project.attributes.values(name)
    present = {k: v for k, v in values.items() if v is not None}
    return real, present, sorted(set(present.values()), key=natural_key)


def parse_cols(cols: str) -> tuple[str, list[str]]:
    """``("documents"|"cases"|"attr", [attribute names])`` from a columns spec."""
    text = (cols or "").strip()
    folded = text.casefold()
    if folded in ("documents", "document", "docs"):
        return "documents", []
    if folded in ("cases", "case"):
        return "cases", []
    if folded.startswith("attr:"):
        names = []
        for part in text.split(","):
            part = part.strip()
            if part.casefold().startswith("attr:"):
                part = part[5:].strip()
            if not part:
                raise FieldnotesError(f"Columns '{cols}' name an empty attribute; write attr:phase or attr:phase,attr:role.")
            names.append(part)
        if len(names) > 2:
            raise FieldnotesError(f"Columns '{cols}' cross {len(names)} attributes; a matrix crosses at most two "
                                  "(attr:phase,attr:role). Filter on the others with --where.")
        if len(names) == 2 and names[0].casefold() == names[1].casefold():
            raise FieldnotesError(f"Columns '{cols}' cross '{names[0]}' with itself; name two different attributes.")
        return "attr", names
    hint = ""
    if text and re.fullmatch(r"[\w\s-]+(,[\w\s-]+)?", text):
        hint = f" For the values of an attribute write 'attr:{text.replace(',', ',attr:')}'."
    raise FieldnotesError(f"Unknown columns '{cols}': use documents, cases, attr:NAME or attr:NAME,attr:NAME "
                          f"(for example attr:phase).{hint}")


def _columns(project, cols: str, where_scope: Scope, all_combinations: bool = False) -> _Columns:
    """The matrix's columns (see :func:`parse_cols`) over the documents in scope."""
    kind, names = parse_cols(cols)
    ids = where_scope.ids
    if kind == "documents":
        return _Columns("document", list(where_scope.names), [[i] for i in range(len(ids))], [])
    if kind == "cases":
        return _case_columns(project, ids)
    found = [_attribute(project, name) for name in names]
    values_of = [[values.get(doc_id) for doc_id in ids] for _, values, _ in found]
    if len(found) == 1:
        name, _, present = found[0]
        keys: list[tuple] = [(v,) for v in present]
        if any(v is None for v in values_of[0]):
            keys.append((None,))
        heading = name
    else:
        (a, _, present_a), (b, _, present_b) = found
        if all_combinations:
            # Every combination of values present in the project, plus the
            # combinations with a missing value that some document has.
            keys = [(x, y) for x in present_a for y in present_b]
            keys += {k for k in zip(*values_of) if None in k}
        else:
            # Only the combinations some document in scope has: phase 1 x
            # "Service manager" is no column when nobody was interviewed so.
            keys = list(set(zip(*values_of)))
        keys.sort(key=lambda k: (natural_key(k[0]), natural_key(k[1])))
        heading = f"{a} and {b}"
    slot = {k: i for i, k in enumerate(keys)}
    groups = [[] for _ in keys]
    for i, key in enumerate(zip(*values_of)):
        groups[slot[key]].append(i)
    if len(found) == 1:
        labels = [value_label(k[0]) for k in keys]
    else:
        labels = [f"{found[0][0]}={value_label(x)} · {found[1][0]}={value_label(y)}" for x, y in keys]
    notes = []
    missing = [f[0] for f, column in zip(found, values_of) if any(v is None for v in column)]
    if missing:
        notes.append(f"{NO_VALUE}: documents without a value for {' or '.join(missing)}")
    return _Columns(heading, labels, groups, notes)


def _case_columns(project, ids: Sequence[int]) -> _Columns:
    """One column per case, and "(no case)" for documents in none."""
    cases = qa.case_names(project.conn)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    members: dict[int, list[int]] = {case_id: [] for case_id, _ in cases}
    links: dict[int, int] = {}
    for doc_id, case_id in q.case_links(project.conn):
        if doc_id in position:
            members[case_id].append(position[doc_id])
            links[position[doc_id]] = links.get(position[doc_id], 0) + 1
    labels = [name for _, name in cases]
    groups = [sorted(members[case_id]) for case_id, _ in cases]
    notes = []
    orphans = [i for i in range(len(ids)) if i not in links]
    if orphans:
        labels.append(NO_CASE)
        groups.append(orphans)
        notes.append(f"{NO_CASE}: documents that belong to no case")
    if any(count > 1 for count in links.values()):
        notes.append("A document of several cases (a focus group) counts in each of their columns; where its "
                     "speakers are linked to cases, each turn counts in its speaker's case's column only.")
    return _Columns("case", labels, groups, notes)


# -- counting --------------------------------------------------------------------------


def _numpy():
    import numpy

    return numpy


def _lookup(np, ids: Sequence[int], queries):
    """Positions of ``queries`` in ``ids`` (-1 where absent), vectorised."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    k = np.searchsorted(ordered, queries)
    k_clipped = np.minimum(k, len(ids) - 1)
    hit = (k < len(ids)) & (ordered[k_clipped] == queries)
    return np.where(hit, order[k_clipped], -1)


def _parse_ints(np, text: str):
    if not text:
        return np.zeros(0, dtype=np.int64)
    try:
        return np.fromstring(text, dtype=np.int64, sep=",")
    except (AttributeError, ValueError, TypeError):  # pragma: no cover - numpy without text fromstring
        return np.array(text.split(","), dtype=np.int64)


@dataclass(slots=True)
class Counts:
    """Per document (rows, in :class:`Scope` order) and per code (columns, in
    tree order; the last column is "any code"):

    ``codings``: codings of the code and its sub-codes;
    ``passages``: distinct passages of the code and its sub-codes (None unless asked for).
    """

    codings: Any
    passages: Any = None


def count_codings(project, tree: CodeTree, where_scope: Scope, *, distinct: bool) -> Counts:
    """Count codings per document and code sub-tree, and with ``distinct``
    the distinct passages too (see the module docstring for the method)."""
    np = _numpy()
    n, ndocs = len(tree), len(where_scope.ids)
    rows = q.coding_counts(project.conn, where_scope.doc_ids, where_scope.coder_id, distinct=distinct)
    own = np.zeros((ndocs, n), dtype=np.int64)
    if rows:
        columns_of_rows = list(zip(*rows))
        di = _lookup(np, where_scope.ids, np.array(columns_of_rows[0], dtype=np.int64))
        ci = _lookup(np, [c.id for c in tree.codes], np.array(columns_of_rows[1], dtype=np.int64))
        repeat = np.array(columns_of_rows[2], dtype=np.int64)
        keep = (di >= 0) & (ci >= 0)
        own[di[keep], ci[keep]] = repeat[keep]
    # Sums over each sub-tree, from running totals along the tree order.
    running = np.zeros((ndocs, n + 1), dtype=np.int64)
    np.cumsum(own, axis=1, out=running[:, 1:])
    starts = np.arange(n)
    ends = np.asarray(tree.end, dtype=np.int64)
    codings = np.empty((ndocs, n + 1), dtype=np.int64)
    codings[:, :n] = running[:, ends] - running[:, starts]
    codings[:, n] = running[:, n]
    if not distinct:
        return Counts(codings)
    duplicates = np.zeros((ndocs, n + 1), dtype=np.int64)
    if rows:
        packed = _parse_ints(np, ",".join(columns_of_rows[3]))
        d = np.repeat(di, repeat)
        c = np.repeat(ci, repeat)
        valid = (d >= 0) & (c >= 0)
        d, c, packed = d[valid], c[valid], packed[valid]
        duplicates = _duplicates(np, tree, ndocs, d, c, packed >> 32, packed & 0xFFFFFFFF)
    return Counts(codings, codings - duplicates)


def _duplicates(np, tree: CodeTree, ndocs: int, d, c, start, end):
    """How many codings of each (document, sub-tree) repeat a passage already
    counted: a passage carried by k codings of one sub-tree is k - 1 duplicates."""
    n = len(tree)
    result = np.zeros((ndocs, n + 1), dtype=np.int64)
    if len(d) < 2:
        return result
    bits_d = max(1, (ndocs - 1).bit_length())
    bits_s = max(1, int(start.max()).bit_length())
    bits_e = max(1, int(end.max()).bit_length())
    bits_c = max(1, (n - 1).bit_length())
    if bits_d + bits_s + bits_e + bits_c <= 63:
        # One int64 key per coding, ordered (document, start, end, code).
        key = (((d << bits_s | start) << bits_e | end) << bits_c) | c
        key.sort(kind="stable")
        c = key & ((1 << bits_c) - 1)
        passage = key >> bits_c
        d = passage >> (bits_s + bits_e)
        same = passage[1:] == passage[:-1]
    else:  # very long documents or huge codebooks: sort column by column
        order = np.lexsort((c, end, start, d))
        d, c, start, end = d[order], c[order], start[order], end[order]
        same = (d[1:] == d[:-1]) & (start[1:] == start[:-1]) & (end[1:] == end[:-1])
    width = n + 1
    later_d = d[1:]
    # "Any code": every repeat of a passage is a duplicate.
    result[:, n] = np.bincount(later_d[same], minlength=ndocs)
    # Code positions are in tree order, so within one passage the codings of a
    # sub-tree are neighbours: a coding whose neighbour has the same ancestor
    # at depth L is a duplicate for that ancestor.
    depth = max(tree.depth, default=0)
    for level in range(depth + 1):
        ancestor = np.full(n, -1, dtype=np.int64)
        for i in range(n):
            if tree.depth[i] >= level:
                chain = tree.chain(i)
                ancestor[i] = chain[tree.depth[i] - level]
        a = ancestor[c]
        mask = same & (a[1:] == a[:-1]) & (a[1:] >= 0)
        if mask.any():
            result += np.bincount(later_d[mask] * width + a[1:][mask], minlength=ndocs * width).reshape(ndocs, width)
    return result


def count_words(project, tree: CodeTree, where_scope: Scope):
    """Words coded per document and code sub-tree (last column: any code):
    the words the union of the passages touches, each word once."""
    np = _numpy()
    n, ndocs = len(tree), len(where_scope.ids)
    words = np.zeros((ndocs, n + 1), dtype=np.int64)
    position = {doc_id: i for i, doc_id in enumerate(where_scope.ids)}
    rows = q.coding_spans(project.conn, where_scope.doc_ids, where_scope.coder_id)
    chains = [tree.chain(i) + [n] for i in range(n)]

    def flush(doc_id: int, spans: dict[int, list[tuple[int, int]]]) -> None:
        text = project.document_text(doc_id)
        starts, ends = [], []
        for m in WORD.finditer(text):
            starts.append(m.start())
            ends.append(m.end())
        row = words[position[doc_id]]
        for node, ranges in spans.items():
            ranges.sort()
            merged, (a, b) = [], ranges[0]
            for s, e in ranges[1:]:
                if s <= b:
                    b = max(b, e)
                else:
                    merged.append((a, b))
                    a, b = s, e
            merged.append((a, b))
            # Words touched by [a, b) are those ending after a and starting
            # before b; a word touched by two stretches counts once.
            total = counted = 0
            for a, b in merged:
                lo = max(bisect.bisect_right(ends, a), counted)
                hi = bisect.bisect_left(starts, b)
                if hi > lo:
                    total += hi - lo
                    counted = hi
            row[node] = total

    current, spans = None, {}
    for doc_id, code_id, start, end in rows:
        i = tree.position.get(code_id)
        if i is None or doc_id not in position:
            continue
        if doc_id != current:
            if spans:
                flush(current, spans)
            current, spans = doc_id, {}
        for node in chains[i]:
            spans.setdefault(node, []).append((start, end))
    if spans:
        flush(current, spans)
    return words


# -- the matrix ------------------------------------------------------------------------

_PERCENT_NOTES = {
    "passages": "Percentages: share of all coded passages in the column (with any code, counted once each); "
                "a passage with several codes counts in each of their rows, so a column can add up to more than 100%.",
    "documents": "Percentages: share of the documents in the column that have the code (coded or not, every "
                 "document in the column is in the base).",
    "cases": "Percentages: share of the cases in the column that have the code in at least one of their documents.",
    "words": "Percentages: share of all coded words in the column (words coded with any code, each once).",
}

_MEASURE_NOTES = {
    "passages": "Passages: distinct coded ranges; the same range coded twice (two coders, or two sub-codes) counts once.",
    "documents": "Documents: documents with at least one passage coded with the code.",
    "cases": "Cases: cases with the code in at least one of their documents.",
    "words": "Words coded: words in the coded text, each word once however many passages cover it.",
}

_TOTAL_NOTES = {
    "passages": "Totals: distinct passages; the Total row counts every coded passage in the column, with any code.",
    "documents": "Totals: the Total column counts distinct documents with the code; the Total row is every document "
                 "in the column.",
    "cases": "Totals: the Total column counts distinct cases with the code; the Total row is every case in the column.",
    "words": "Totals: the Total row counts every coded word in the column, with any code.",
}


def code_matrix(
    project,
    *,
    cols: str = "documents",
    measure: str = "passages",
    percent: bool = False,
    where: Sequence[tuple[str, str]] = (),
    coder: str | None = None,
    codes: Sequence[str] | None = None,
    all_combinations: bool = False,
) -> Table:
    """Codes by documents, cases, attribute values or a cross of two attributes.

    ``cols``: ``"documents"``, ``"cases"``, ``"attr:phase"`` or
    ``"attr:phase,attr:role"``. ``measure``: ``"passages"``, ``"documents"``,
    ``"cases"`` or ``"words"``. ``where`` filters documents as
    :meth:`Project.filter_documents` does (attributes, ``kind``, ``case``);
    ``coder`` keeps one coder's codings; ``codes`` limits the rows to the named
    codes (each still rolling up its sub-codes). A cross of two attributes
    has a column for each combination some document in scope has;
    ``all_combinations`` keeps the empty combinations too.

    Parent codes roll up their sub-codes, each passage once. Totals are
    distinct where the measure is: a document in two case columns counts once
    in its row's total. With ``percent`` each cell is a percentage of its
    column's base: for passages and words, everything coded in the column
    (with any code); for documents and cases, every document or case in the
    column. The Total column then gives the share of the overall base, and the
    bases are listed in ``Table.notes``.

    Example: the share of each phase's interviews that mention each theme,
    among social workers only::

        table = code_matrix(project, cols="attr:phase", measure="documents", percent=True,
                            where=[("kind", "interview"), ("role", "SW CP"), ("role", "SW LAC")])
        table.title   # 'Documents by phase (% of column)'
    """
    wanted = (measure or "").strip().lower()
    if wanted not in MEASURES:
        from fieldnotes.errors import suggest

        raise FieldnotesError(f"Unknown measure '{measure}'.{suggest(wanted, MEASURES)} "
                              f"Use one of {', '.join(MEASURES)}.")
    measure = wanted
    parse_cols(cols)  # a bad spec fails before any work
    tree = CodeTree.of(project)
    chosen = tree.select(project, codes)
    where_scope = scope(project, where, coder)
    columns = _columns(project, cols, where_scope, all_combinations)
    cells, bases, row_totals, grand = _count(project, tree, where_scope, columns, measure)

    values = [[int(cells[k, i]) for k in range(len(columns.labels))] for i in chosen]
    totals = [int(row_totals[i]) for i in chosen]
    notes = ["Rows: codes with their sub-codes rolled up; a passage coded with several of a parent's "
             "sub-codes counts once in the parent.", _MEASURE_NOTES[measure]]
    if not percent:
        notes.append(_TOTAL_NOTES[measure])
    notes += columns.notes
    if codes is not None:
        notes.append("Rows: only the chosen codes; totals and percentage bases still cover every code.")
    notes += filter_notes(where, coder)
    title = f"{MEASURE_TITLES[measure]} by {columns.heading}"
    if not percent:
        return Table(title, tree.headers(chosen), list(columns.labels), values, totals, list(bases), grand,
                     corner="Code", measure=measure, percent=False, notes=notes, column_keys=list(columns.labels))

    def share(value: int, base: int) -> float:
        return round(100.0 * value / base, 1) if base else 0.0

    values = [[share(v, bases[k]) for k, v in enumerate(row)] for row in values]
    totals = [share(v, grand) for v in totals]
    notes.insert(0, _PERCENT_NOTES[measure])
    notes.append(f"Bases ({MEASURE_UNITS[measure]}): "
                 + "; ".join(f"{label}: {base}" for label, base in zip(columns.labels, bases))
                 + f"; all: {grand}. A column with a base of 0 shows 0%.")
    return Table(title + " (% of column)", tree.headers(chosen), list(columns.labels), values, totals, None, None,
                 corner="Code", measure=measure, percent=True, notes=notes, column_keys=list(columns.labels))


def _count(project, tree: CodeTree, where_scope: Scope, columns: _Columns, measure: str):
    """``(cells, bases, row totals, grand total)``: ``cells[column, code]``
    for every code sub-tree (last: any code), each column's base, each
    code's total over the scope and the base of the whole scope."""
    np = _numpy()
    n = len(tree)
    if measure == "words":
        per_doc = count_words(project, tree, where_scope)
    else:
        counts = count_codings(project, tree, where_scope, distinct=measure == "passages")
        per_doc = counts.passages if measure == "passages" else (counts.codings > 0).astype(np.int64)
    # Documents whose speakers are linked to cases (a joint interview, a
    # focus group): what each case said, turn by turn.
    split = _speaker_split(project, tree, where_scope) if measure != "words" else {}
    if measure == "cases":
        return _count_cases(project, where_scope, columns, per_doc, split, n)
    ncols = len(columns.labels)
    cells = np.zeros((ncols, n + 1), dtype=np.int64)
    bases = [0] * ncols
    for k, members in enumerate(columns.members):
        if members:
            cells[k] = per_doc[members].sum(axis=0)
        if columns.heading == "case" and split:
            # A linked document counts in a case's column only for its
            # speaker's turns (and for turns linked to no case).
            for d in members:
                if d in split:
                    own = split[d].get(columns.labels[k], np.zeros(n + 1, dtype=np.int64))
                    cells[k] += (own if measure == "passages" else (own > 0).astype(np.int64)) - per_doc[d]
        bases[k] = len(members) if measure == "documents" else int(cells[k, n])
    ndocs = len(where_scope.ids)
    row_totals = per_doc.sum(axis=0) if ndocs else np.zeros(n + 1, dtype=np.int64)
    grand = ndocs if measure == "documents" else int(row_totals[n])
    return cells, bases, row_totals, grand


def _count_cases(project, where_scope: Scope, columns: _Columns, per_doc, split: dict[int, dict[str, Any]], n: int):
    """:func:`_count` for the ``cases`` measure: distinct cases with each
    code, a linked document counting for a case only with its speaker's turns."""
    np = _numpy()
    case_names = dict(qa.case_names(project.conn)) if split else {}
    doc_cases = _document_cases(project, where_scope)
    has = {(d, case_id): (counts[case_names[case_id]] if case_names[case_id] in counts else np.zeros(n + 1, np.int64))
           for d, counts in split.items() for case_id in doc_cases[d]}
    ncols = len(columns.labels)
    cells = np.zeros((ncols, n + 1), dtype=np.int64)
    bases = [0] * ncols
    for k, members in enumerate(columns.members):
        cells[k], bases[k] = _distinct_cases(np, per_doc, doc_cases, members, n, has)
    row_totals, grand = _distinct_cases(np, per_doc, doc_cases, range(len(where_scope.ids)), n, has)
    return cells, bases, row_totals, grand


def _speaker_split(project, tree: CodeTree, where_scope: Scope) -> dict[int, dict[str, Any]]:
    """For each document in scope whose speakers are linked to cases, by its
    position: case name -> distinct passages per code sub-tree (and, last, with
    any code), counting each turn for its speaker's case; a turn whose speaker
    is linked to no case counts for every case of the document."""
    from fieldnotes.attribution import Attributor

    linked = project.attributes.speaker_cases()
    position = {doc_id: i for i, doc_id in enumerate(where_scope.ids)}
    docs = [doc_id for doc_id in linked if doc_id in position]
    if not docs:
        return {}
    np = _numpy()
    n = len(tree)
    attributor = Attributor(project)
    result: dict[int, dict[str, Any]] = {}
    for doc_id in docs:
        ranges: dict[str, list[set]] = {}
        for code_id, start, end in q.codings_of_document(project.conn, doc_id, where_scope.coder_id):
            i = tree.position.get(code_id)
            if i is None:
                continue
            for case in {c for segment in attributor.segments(doc_id, start, end) for c in segment.cases}:
                sets = ranges.setdefault(case, [set() for _ in range(n + 1)])
                for a in [*tree.chain(i), n]:
                    sets[a].add((start, end))
        result[position[doc_id]] = {case: np.array([len(x) for x in sets], dtype=np.int64)
                                    for case, sets in ranges.items()}
    return result


def _document_cases(project, where_scope: Scope) -> list[list[int]]:
    """Case ids of each document in the scope."""
    position = {doc_id: i for i, doc_id in enumerate(where_scope.ids)}
    result: list[list[int]] = [[] for _ in where_scope.ids]
    for doc_id, case_id in q.case_links(project.conn):
        if doc_id in position:
            result[position[doc_id]].append(case_id)
    return result


def _distinct_cases(np, has_code, doc_cases: list[list[int]], members, n: int, split=None):
    """``(cases with each code, cases in all)`` over the documents ``members``;
    ``split[(document, case)]`` holds what a case said in a document whose
    speakers are linked to cases."""
    present: dict[int, Any] = {}
    split = split or {}
    for d in members:
        for case_id in doc_cases[d]:
            row = (split[(d, case_id)] if (d, case_id) in split else has_code[d]) > 0
            present[case_id] = row if case_id not in present else present[case_id] | row
    if not present:
        return np.zeros(n + 1, dtype=np.int64), 0
    return np.sum(list(present.values()), axis=0).astype(np.int64), len(present)
