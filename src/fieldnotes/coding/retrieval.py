"""Retrieval: every passage of a code, cut at its speakers' turns and
attributed, as a report quotes it. Bound as ``project.coding.passages``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fieldnotes.coding.model import Passage
from fieldnotes.store.queries import coding as queries


def passages(coding, code: str, *, include_children: bool = True, where: Sequence[tuple[str, str]] = (),
             coder: str | None = None, notes: str = "include",
             scrub: Callable[[str], str] | None = None) -> list[Passage]:
    """Every passage coded with ``code`` (and its sub-codes), with the
    speaker, an attribution and the text; filtered by attribute and coder
    (found as :meth:`fieldnotes.coding.coders.CoderService.resolve` finds
    one: "ANNA" is "anna", and an unknown coder is an error).

    Each passage is cut at its speakers' turns (``Passage.segments``),
    each part attributed to its speaker's case, and the researcher's
    notes (observation notes, "Note:" paragraphs) attributed as notes
    (see :mod:`fieldnotes.attribution`). ``notes``: ``include`` (default),
    ``exclude`` or ``only`` the researcher's notes. ``scrub`` passes each
    attribution value through a pseudonymiser. ``speaker`` and
    ``attribution`` are the first part's.
    """
    from fieldnotes.attribution import Attributor, keep_notes

    project = coding.project
    ids = coding._code_ids(code, include_children)
    coder_id = project.coders.resolve(coder).id if coder else None
    doc_ids = project.filter_documents(where) if where else None
    paths = {c.id: c.path for c in project.codebook.codes(counts=False)}
    rows = queries.passage_rows(project.conn, ids, coder_id)
    if doc_ids is not None:
        rows = [r for r in rows if r[1] in doc_ids]
    attributor = Attributor(project, scrub)
    keep_notes((), notes)  # a bad choice fails before any work
    result = []
    for r in rows:
        segments = keep_notes(attributor.segments(r[1], r[4], r[5]), notes)
        if not segments:
            continue
        first = segments[0]
        result.append(Passage(r[2], paths[r[3]], r[4], r[5], first.speaker, first.attribution,
                              attributor.text(r[1])[r[4]:r[5]], r[6], attributor.attributes.get(r[1], {}), r[0],
                              segments))
    return result
