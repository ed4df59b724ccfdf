"""The framework matrix: cases by themes, each cell what the case said.

The layout UK evaluators use for the Framework method: one row per case
(participant or site), one column per theme (a top-level code with its
sub-codes, or the codes you name), and in each cell the case's coded passages
for that theme, shortened, each with the document it comes from, followed by
the memos written on those codings::

    [p1_int_sw01] The caseload is heavy, I have 22 children and no time for…
    Memo: compare with her phase 2 interview
    [p2_int_sw01] Since the new manager came we have reflective supervision…

Memos on the case itself go in a last column, "Memos on the case", rather
than being repeated in every theme.

By default the text is pseudonymised, as every export is: passages come from
the pseudonymised view of their document (the codings are mapped onto it),
and memos, case names and document names pass through the same replacements.

Example::

    from fieldnotes.analysis.framework import framework_matrix

    table = framework_matrix(project, where=[("phase", "2")], max_chars=200)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from fieldnotes.analysis.matrix import NO_CASE, CodeTree, filter_notes, scope
from fieldnotes.analysis.table import RowHeader, Table
from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import analysis as q
from fieldnotes.store.queries import attributes as qa

CASE_MEMOS = "Memos on the case"
#: Spreadsheets hold at most 32,767 characters in a cell; stay well below.
CELL_LIMIT = 32_000


def shorten(text: str, limit: int) -> str:
    """``text`` with its whitespace collapsed, cut at a word boundary to at
    most ``limit`` characters, with "…" where it was cut.

    >>> shorten("The  caseload\\n is heavy and getting heavier", 24)
    'The caseload is heavy…'
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _resolve_cases(project, names: Sequence[str]) -> list[tuple[int, str]]:
    """The chosen cases, each resolved as everywhere else (:meth:`Attributes.case`)."""
    chosen: list[tuple[int, str]] = []
    for raw in [names] if isinstance(names, str) else names:
        match = project.attributes.case(raw)
        if match not in chosen:
            chosen.append(match)
    return sorted(chosen, key=lambda c: c[1])


def framework_matrix(
    project,
    *,
    codes: Sequence[str] | None = None,
    cases: Sequence[str] | None = None,
    where: Sequence[tuple[str, str]] = (),
    pseudonymised: bool = True,
    max_chars: int = 300,
    notes: str = "include",
    view=None,
) -> Table:
    """Cases x themes, each cell the case's coded passages for the theme.

    Themes are the top-level codes, or ``codes``; each includes its
    sub-codes, and a passage coded with two of them shows once. Rows are the
    cases with documents matching ``where`` (or the named ``cases``); coded
    documents that belong to no case get a "(no case)" row. Each passage is
    collapsed to one line, cut to ``max_chars`` characters with "…", and
    prefixed with its document's name (without extension); the memos on its
    codings follow it ("Memo: ..."). ``Table.cells[(row, column)]`` holds the
    coding ids behind a cell.

    Each turn goes to its speaker's case (a joint interview, a focus group
    whose speakers are linked to cases); a turn whose speaker has no case goes
    to every case of the document, marked "no case". The researcher's notes
    (observation notes) are marked "note"; ``notes`` includes them (default),
    excludes them or keeps ``only`` them.

    Every text comes through ``view`` (:mod:`fieldnotes.pseudonymise.view`;
    default the pseudonymised view, or with ``pseudonymised=False`` the
    original words, for use inside the project only).
    """
    from fieldnotes.attribution import keep_notes

    keep_notes((), notes)
    if view is None:
        view = project.pseudonyms.pseudonymised_view() if pseudonymised else project.pseudonyms.original_view()
    if max_chars < 20:
        raise FieldnotesError(f"max_chars {max_chars} is too short to quote anything; use 20 or more (300 by default).")
    tree = CodeTree.of(project)
    themes = [i for i in range(len(tree)) if tree.parent[i] < 0] if codes is None else tree.select(project, codes)
    where_scope = scope(project, where)
    names = dict(zip(where_scope.ids, where_scope.names))
    known = qa.case_names(project.conn)
    cases_of: dict[int, list[int]] = {}
    for doc_id, case_id in q.case_links(project.conn):
        if doc_id in names:
            cases_of.setdefault(doc_id, []).append(case_id)

    found = _passages(project, tree, themes, where_scope, known, notes)
    rows = _rows(project, cases, known, cases_of, found.by_case_theme)
    cell = _CellWriter(project, view, names, max_chars)
    columns = [tree.codes[i].name for i in themes]
    if len(set(columns)) < len(columns):
        columns = tree.labels(themes)
    columns = [view.scrub(c) for c in columns]
    with_case_memos = any(cell.case_memos.get(case_id) for case_id, _ in rows if case_id is not None)
    if with_case_memos:
        columns.append(CASE_MEMOS)
    headers, values, cells = _fill(rows, len(themes), found, cell, view.scrub, with_case_memos)
    table_notes = _table_notes(view.pseudonymised, max_chars, cases_of, found, notes, with_case_memos)
    table_notes += filter_notes(where, None)
    return Table("Framework matrix: cases by theme", headers, columns, values, corner="Case", measure="text",
                 notes=table_notes, cells=cells)


#: A passage in a cell: (document id, start, end, speaker marker).
_Passage = tuple[int, int, int, str]


@dataclass
class _Found:
    """The coded passages of each (case id or None, theme), with the coding
    ids behind each, and whether any turn of an unlinked speaker or any
    researcher's note was among them (each earns a line in the notes)."""

    by_case_theme: dict[tuple[int | None, int], dict[_Passage, list[int]]] = field(default_factory=dict)
    unlinked_seen: bool = False
    notes_seen: bool = False


def _passages(project, tree: CodeTree, themes: list[int], where_scope, known: list[tuple[int, str]],
              notes: str) -> _Found:
    """Every coding in scope, cut at turns so that each speaker's part goes
    to that speaker's case, filed under each theme its code belongs to."""
    from fieldnotes.attribution import Attributor, keep_notes

    themes_of = [[t for t, node in enumerate(themes) if tree.contains(node, i)] for i in range(len(tree))]
    found = _Found()
    attributor = Attributor(project)
    case_ids = {name: case_id for case_id, name in known}
    for coding_id, doc_id, code_id, start, end in q.codings_in_order(
            project.conn, where_scope.doc_ids, where_scope.coder_id):
        i = tree.position.get(code_id)
        if i is None or not themes_of[i]:
            continue
        # Each speaker's part of the passage goes to that speaker's case.
        for segment in keep_notes(attributor.segments(doc_id, start, end), notes):
            marker = "note" if segment.note else (f"{segment.speaker}, no case" if segment.unlinked else "")
            found.unlinked_seen |= segment.unlinked
            found.notes_seen |= segment.note
            for case_id in [case_ids[c] for c in segment.cases if c in case_ids] or [None]:
                for t in themes_of[i]:
                    key = (doc_id, segment.start, segment.end, marker)
                    found.by_case_theme.setdefault((case_id, t), {}).setdefault(key, []).append(coding_id)
    return found


def _rows(project, cases: Sequence[str] | None, known: list[tuple[int, str]], cases_of: dict[int, list[int]],
          found: dict[tuple[int | None, int], dict]) -> list[tuple[int | None, str]]:
    """The named cases, else every case with a document in scope, and a
    "(no case)" row when some passage belongs to no case."""
    if cases is not None:
        return _resolve_cases(project, cases)
    linked = {case_id for ids in cases_of.values() for case_id in ids}
    rows: list[tuple[int | None, str]] = [(case_id, name) for case_id, name in known if case_id in linked]
    if any(case_id is None for case_id, _ in found):
        rows.append((None, NO_CASE))
    return rows


class _CellWriter:
    """The text of a cell: each passage shortened after its document's name,
    the memos on its codings after it, cut before a spreadsheet's limit."""

    def __init__(self, project, view, names: dict[int, str], max_chars: int) -> None:
        self.view = view
        self.names = names
        self.max_chars = max_chars
        self.coding_memos: dict[int, list[str]] = {}
        self.case_memos: dict[int, list[str]] = {}
        for target_type, target_id, title, text in q.memos_on_codings_and_cases(project.conn):
            line = "Memo: " + shorten(view.scrub(f"{title}: {text}" if title else text), max_chars)
            (self.coding_memos if target_type == "coding" else self.case_memos).setdefault(target_id, []).append(line)
        self.doc_labels = {doc_id: PurePath(view.document_name(doc_id)).stem for doc_id in names}

    def text(self, passages: dict[_Passage, list[int]]) -> str:
        """One cell's text."""
        lines: list[str] = []
        ordered = sorted(passages, key=lambda p: (self.names[p[0]], p[1], p[2]))
        size = 0
        for n, key in enumerate(ordered):
            doc_id, start, end, marker = key
            label = self.doc_labels[doc_id] + (f" · {self.view.scrub(marker)}" if marker else "")
            block = [f"[{label}] {shorten(self.view.passage(doc_id, start, end), self.max_chars)}"]
            for coding_id in passages[key]:
                block += self.coding_memos.get(coding_id, [])
            size += sum(len(b) + 1 for b in block)
            if size > CELL_LIMIT:
                lines.append(f"… ({len(ordered) - n} more passages)")
                break
            lines += block
        return "\n".join(lines)


def _fill(rows: list[tuple[int | None, str]], n_themes: int, found: _Found, cell: _CellWriter, scrub,
          with_case_memos: bool) -> tuple[list[RowHeader], list[list[str]], dict[tuple[int, int], list[int]]]:
    """The row headers, the cells' texts and the coding ids behind each cell."""
    values: list[list[str]] = []
    cells: dict[tuple[int, int], list[int]] = {}
    headers = []
    for r, (case_id, name) in enumerate(rows):
        label = scrub(name) if case_id is not None else name
        headers.append(RowHeader(label, label))
        row = []
        for t in range(n_themes):
            passages = found.by_case_theme.get((case_id, t), {})
            row.append(cell.text(passages))
            if passages:
                cells[(r, t)] = sorted(i for ids in passages.values() for i in ids)
        if with_case_memos:
            row.append("\n".join(cell.case_memos.get(case_id, [])) if case_id is not None else "")
        values.append(row)
    return headers, values, cells


def _table_notes(pseudonymised: bool, max_chars: int, cases_of: dict[int, list[int]], found: _Found, notes: str,
                 with_case_memos: bool) -> list[str]:
    """What a reader of the table needs to know: whose words, how shortened,
    and what each marker means."""
    table_notes = [
        "Text pseudonymised: names and other identifying details are replaced as in the pseudonymised view."
        if pseudonymised else
        "ORIGINAL TEXT, NOT PSEUDONYMISED: keep this table inside the secure environment.",
        f"Each passage: whitespace collapsed, cut to {max_chars} characters with …, after its document's name "
        "in [brackets]; memos on its codings follow it.",
        "Themes include their sub-codes; a passage coded with two of them shows once.",
    ]
    if any(len(ids) > 1 for ids in cases_of.values()):
        table_notes.append("A document of several cases (a focus group) shows each turn in its speaker's case's row "
                           "where the speaker is linked to a case ('fieldnotes cases link'), else in each case's row.")
    if found.unlinked_seen:
        table_notes.append("[document · SPEAKER, no case]: a turn whose speaker is linked to no case, shown in each "
                           "of the document's cases' rows.")
    if found.notes_seen:
        table_notes.append("[document · note]: the researcher's observation notes, not a participant's words.")
    if notes != "include":
        table_notes.append("Researcher's notes: " + ("left out." if notes == "exclude" else "only these."))
    if with_case_memos:
        table_notes.append(f"'{CASE_MEMOS}': memos written on the case itself.")
    return table_notes
