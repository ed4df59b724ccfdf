"""Where a passage is: quoted words found in a document, a selection grown
to whole words, sentences, paragraphs or turns, and the check that a range
lies inside its document. Bound as methods of
:class:`fieldnotes.coding.service.CodingService` (``project.coding``)."""

from __future__ import annotations

import re

from fieldnotes import passages
from fieldnotes.errors import FieldnotesError, NotFound


def check_range(name: str, length: int, start: int, end: int) -> None:
    """Refuse a range that is not a passage of a document ``length`` long."""
    if not (0 <= start < end <= length):
        raise FieldnotesError(
            f"Range {start}-{end} is not inside '{name}' ({length} characters); "
            "a passage needs 0 <= start < end <= length."
        )


def find_text(coding, document: str, quoted: str, occurrence: int | None = None) -> tuple[int, int]:
    """Where ``quoted`` occurs in a document (exactly, or with any run of
    whitespace between its words). Several places need ``occurrence``."""
    project = coding.project
    text = project.document_text(project.document_id(document))
    words = quoted.split()
    if not words:
        raise FieldnotesError("Give the words of the passage to --match.")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not found:
        found = [(m.start(), m.end()) for m in re.compile(pattern.pattern, re.IGNORECASE).finditer(text)]
    if not found:
        raise NotFound(f"'{quoted}' does not occur in '{document}'. Check the words, or give --start and --end.")
    if occurrence is None:
        if len(found) > 1:
            raise FieldnotesError(
                f"'{quoted}' occurs {len(found)} times in '{document}' (at {', '.join(str(a) for a, _ in found[:6])}); "
                "choose one with --occurrence N."
            )
        return found[0]
    if not 1 <= occurrence <= len(found):
        raise FieldnotesError(f"'{quoted}' occurs {len(found)} time(s) in '{document}'; --occurrence {occurrence} is out of range.")
    return found[occurrence - 1]


def expand_passage(coding, document: str, start: int, end: int, unit: str) -> tuple[int, int]:
    """Grow a selection to whole words, sentences, paragraphs or turns."""
    project = coding.project
    doc_id = project.document_id(document)
    text = project.document_text(doc_id)
    check_range(document, len(text), start, max(end, start + 1) if start < len(text) else end)
    return passages.expand(text, start, end, unit, project.turns(doc_id))
