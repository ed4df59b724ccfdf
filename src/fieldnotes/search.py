"""Full-text search within speaker turns and paragraphs (SQLite FTS5).

The whole-document index narrows the search; turns are indexed on the fly,
a few documents at a time, only when the query needs them (NOT, AND, NEAR,
two terms side by side). Part of the project API as ``project.search()``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.model import SearchHit
from fieldnotes.store.queries import documents as qd
from fieldnotes.store.queries import search as q


def search(
    project, query: str, *, where: Sequence[tuple[str, str]] = (), limit: int | None = 50, context: int = 70
) -> list[SearchHit]:
    """Full-text search: words, ``"a phrase"``, ``prefix*``, ``a OR b``, ``a NOT b``.

    The query is matched within each speaker turn (each paragraph where a
    document has no turns), not across a whole document: ``agency NOT
    staff`` finds the turns that say "agency" without saying "staff", and
    ``caseload supervision`` the turns that mention both.

    Returns one hit per matching place (not per document), with the
    speaker of the turn it falls in and a snippet around it.
    """
    query = query.strip()
    if not query:
        raise FieldnotesError("Give something to search for, for example: caseload or \"direct work\".")
    ids = project.filter_documents(where) if where else None
    # Documents that can hold a matching turn: a turn matching "a NOT b"
    # lies in a document matching "a OR b", so the whole-document index
    # narrows the search before turns are indexed.
    rows = [r for r in _fts(project.conn, _without_not(query), q.match_documents) if ids is None or r[0] in ids]
    hits = _Hits(project, limit, context)
    if not _needs_turns(query):
        # One word, phrase or prefix (or several joined by OR): a match in
        # the document is a match in its turn; no second pass needed.
        for doc_id, name, marked in rows:
            text = marked.replace("\x02", "").replace("\x03", "")
            for start, end in _marked_spans(marked):
                if hits.add(doc_id, name, text, start, end):
                    return hits.found
        return hits.found
    _search_turns(project, query, rows, hits)
    return hits.found


class _Hits:
    """The hits found so far, with the speaker and snippet of each."""

    def __init__(self, project, limit: int | None, context: int) -> None:
        self.project, self.limit, self.context = project, limit, context
        self.attributes = project.attributes.of("document")
        self.turns: dict[int, list[tuple[int, int, str | None]]] = {}
        self.found: list[SearchHit] = []

    def turns_of(self, doc_id: int) -> list[tuple[int, int, str | None]]:
        if doc_id not in self.turns:
            self.turns[doc_id] = qd.turn_spans(self.project.conn, doc_id)
        return self.turns[doc_id]

    def add(self, doc_id: int, name: str, text: str, start: int, end: int) -> bool:
        """Add a hit; whether the limit is reached."""
        speaker = next((t[2] for t in self.turns_of(doc_id) if t[0] <= start < t[1]), None)
        shown, hit = snippet(text, start, end, self.context)
        self.found.append(SearchHit(name, start, end, speaker, shown, hit, self.attributes.get(doc_id, {})))
        return self.limit is not None and len(self.found) >= self.limit


def _search_turns(project, query: str, rows: list[tuple[int, Any, str]], hits: _Hits) -> None:
    """Match ``query`` within the turns and paragraphs of the candidate documents."""
    conn = project.conn
    q.create_units(conn)
    try:
        # A few documents at a time, in rank order, so that a search with
        # a limit indexes only as many turns as it needs.
        for batch in range(0, len(rows), 25):
            names = {doc_id: name for doc_id, name, _ in rows[batch:batch + 25]}
            texts = project.texts(names)
            q.clear_units(conn)
            for doc_id, text in texts.items():
                q.add_units(conn, [(text[a:b], doc_id, a) for a, b in _units(text, hits.turns_of(doc_id))])
            order = {doc_id: n for n, doc_id in enumerate(names)}
            found = _fts(conn, query, q.match_units)
            found.sort(key=lambda r: (order[r[0]], r[1]))
            for doc_id, offset, marked in found:
                for a, b in _marked_spans(marked):
                    if hits.add(doc_id, names[doc_id], texts[doc_id], offset + a, offset + b):
                        return
    finally:
        q.clear_units(conn)


def _fts(conn, query: str, match) -> list[tuple[int, Any, str]]:
    """``match(conn, query)``, and when ``query`` is not FTS5 syntax (an
    apostrophe, a stray quote) the same with the words as typed."""
    try:
        return match(conn, query)
    except sqlite3.OperationalError:
        words = re.findall(r"[\w'’*-]+", query)
        safe = " ".join('"' + w.replace('"', "").rstrip("*") + '"' + ("*" if w.endswith("*") else "") for w in words)
        if not safe:
            raise FieldnotesError(f"Nothing to search for in {query!r}.") from None
        try:
            return match(conn, safe)
        except sqlite3.OperationalError as exc:
            raise FieldnotesError(
                f"Cannot search for {query!r} ({exc}). Use words, \"a phrase\", prefix* or OR."
            ) from None


def _without_not(query: str) -> str:
    """``query`` with each NOT operator (outside quotes) turned into OR: a
    broader query that every document holding a match of ``query`` in one
    of its turns also matches."""
    parts = re.split(r'("[^"]*")', query)
    return "".join(p if p.startswith('"') else re.sub(r"\bNOT\b", "OR", p) for p in parts)


def _needs_turns(query: str) -> bool:
    """Whether matching ``query`` in a turn can differ from matching it in
    the whole document: NOT, AND, NEAR, groups, or two terms side by side
    (an implicit AND). One term, phrase or prefix, or terms joined by OR,
    match the same places either way."""
    bare = re.sub(r'"[^"]*"', " P ", query)
    if re.search(r"\b(?:NOT|AND|NEAR)\b|[():^+{}]", bare):
        return True
    terms = bare.split()
    return not (len(terms) % 2 == 1 and all(t == "OR" for t in terms[1::2]))


def _units(text: str, turns: Sequence[tuple[int, int, Any]]) -> list[tuple[int, int]]:
    """The ranges a search matches within: each speaker turn, and each
    paragraph of the text outside the turns (all of it in notes)."""
    from fieldnotes.passages import paragraph_at

    units = [(a, b) for a, b, _ in turns if b > a]
    covered = sorted(units)
    gaps, pos = [], 0
    for a, b in covered:
        if a > pos:
            gaps.append((pos, a))
        pos = max(pos, b)
    gaps.append((pos, len(text)))
    for a, b in gaps:
        # Paragraphs of the gap; between two turns that is only a label line.
        at = a
        while at < b:
            while at < b and text[at].isspace():
                at += 1
            if at >= b:
                break
            p_start, p_end = paragraph_at(text, at)
            p_start, p_end = max(p_start, a), min(max(p_end, at + 1), b)
            units.append((p_start, p_end))
            at = p_end
    return units


def _marked_spans(marked: str) -> list[tuple[int, int]]:
    """Offsets, in the unmarked text, of the spans FTS5 highlighted with \\x02...\\x03."""
    spans = []
    removed = 0
    pos = 0
    while True:
        start = marked.find("\x02", pos)
        if start < 0:
            return spans
        end = marked.find("\x03", start)
        spans.append((start - removed, end - removed - 1))
        removed += 2
        pos = end + 1


def snippet(text: str, start: int, end: int, context: int) -> tuple[str, tuple[int, int]]:
    left = max(0, start - context)
    right = min(len(text), end + context)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space >= 0 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space >= 0 else right

    def flat(part: str) -> str:
        return re.sub(r"\s+", " ", part)

    before = ("…" if left > 0 else "") + flat(text[left:start])
    hit = flat(text[start:end])
    after = flat(text[end:right]) + ("…" if right < len(text) else "")
    return before + hit + after, (len(before), len(before) + len(hit))

