"""Autocoding: find passages by keyword or phrase, regex, fuzzy phrase or
speaker, widen each to its sentence, paragraph or turn, and code them as one
undoable action. Bound as ``project.coding.autocode``."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from fieldnotes import passages
from fieldnotes.coding.model import Hit
from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import coding as queries


def autocode(
    coding, code: str, *, keywords: Sequence[str] = (), regex: str | None = None, fuzzy: str | None = None,
    threshold: float = 85.0, speaker: str | None = None, scope: str = "sentence",
    documents: Sequence[str] = (), where: Sequence[tuple[str, str]] = (), dry_run: bool = False,
    coder: str | None = None,
) -> tuple[list[Hit], int]:
    """Find passages by keyword/phrase, regex, fuzzy phrase or speaker and
    code them (one undoable action), or with ``dry_run`` only list them.

    ``scope`` widens each hit to its sentence, paragraph or speaker turn
    (``match`` keeps just the words). A speaker search codes whole turns.
    Returns the hits and how many codings were new.
    """
    project = coding.project
    chosen = sum(bool(x) for x in (keywords, regex, fuzzy, speaker))
    if chosen != 1:
        raise FieldnotesError("Autocode with exactly one of --keyword, --regex, --fuzzy or --speaker.")
    if scope not in passages.SCOPES:
        raise FieldnotesError(f"Unknown scope '{scope}'; use one of {', '.join(passages.SCOPES)}.")
    code_id = project.codebook.code_id(code)
    doc_ids = _scope_documents(project, documents, where)
    pattern = passages.keyword_pattern(keywords) if keywords else (passages.compile_regex(regex) if regex else None)
    # What the acting coder has coded already: found as writing will find them.
    acting = project.coders.find(project.coders.coder_name(coder))
    existing = queries.coded_ranges(project.conn, code_id, acting.id if acting else None)
    hits: list[Hit] = []
    rows = queries.documents_with_text(project.conn)
    all_turns = project.all_turns()
    for doc_id, name, text in rows:
        if doc_ids is not None and doc_id not in doc_ids:
            continue
        turns = all_turns.get(doc_id, [])
        if speaker:
            wanted = speaker.casefold()
            found = [(t.start, t.end) for t in turns if (t.speaker or "").casefold() == wanted]
        elif fuzzy:
            found = [(a, b) for a, b, _ in passages.fuzzy_hits(text, fuzzy, threshold)]
        else:
            found = [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
        if found:
            hits += _passages(name, text, found, turns, scope if not speaker else "match",
                              lambda start, end, doc_id=doc_id: (doc_id, start, end) in existing)
    new = 0
    if not dry_run and hits:
        ids = {n: i for i, n, _ in rows}
        items = [(ids[h.document], code_id, h.start, h.end) for h in hits if not h.already_coded]
        what = f"'{', '.join(keywords)}'" if keywords else (regex or fuzzy or f"speaker {speaker}")
        new = coding.apply_codings(items, coder=coder, summary=f"autocode {what} as {code} ({len(items)} passages)") if items else 0
    return hits, new


def _passages(name: str, text: str, found: list[tuple[int, int]], turns, scope: str, coded) -> list[Hit]:
    """The hits of one document: each found span widened to ``scope``,
    overlapping passages merged, each with its first match and speaker."""
    if scope == "match":
        spans = [(span, span) for span in found]
    else:
        spans = sorted((passages.expand(text, a, b, scope, turns), (a, b)) for a, b in found)
    starts = [t.start for t in turns]
    hits = []
    i = 0
    for start, end in passages.merge_ranges([span for span, _ in spans]):
        # The first hit inside this passage is the one shown in context.
        while i < len(spans) and spans[i][0][0] < start:
            i += 1
        first = spans[i][1] if i < len(spans) else (start, end)
        k = bisect.bisect_right(starts, start) - 1
        who = turns[k].speaker if k >= 0 and turns[k].start <= start < max(turns[k].end, turns[k].start + 1) else None
        hits.append(Hit(name, start, end, first[0], first[1], who, coded(start, end)))
    return hits


def _scope_documents(project, documents: Sequence[str], where: Sequence[tuple[str, str]]) -> set[int] | None:
    """The ids of the documents to search (None: every document)."""
    ids: set[int] | None = None
    if documents:
        ids = {project.document_id(d) for d in documents}
    if where:
        matched = project.filter_documents(where)
        ids = matched if ids is None else ids & matched
    return ids
