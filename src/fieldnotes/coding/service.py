"""Applying, removing and listing codings (``project.coding``).

Finding passages (:mod:`~fieldnotes.coding.locate`), autocoding
(:mod:`~fieldnotes.coding.autocode`) and retrieval
(:mod:`~fieldnotes.coding.retrieval`) live in their own modules and are bound
here as methods, so that callers have one service for codings.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fieldnotes.coding import autocode as autocoding
from fieldnotes.coding import locate, retrieval
from fieldnotes.coding.model import Coding
from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.service import Service
from fieldnotes.store.queries import coding as queries


class CodingService(Service):
    """The codings of one project."""

    # The jobs kept in their own modules, as methods of the one coding service.
    find_text = locate.find_text
    expand_passage = locate.expand_passage
    autocode = autocoding.autocode
    passages = retrieval.passages

    # -- applying and removing codes -----------------------------------------

    def apply_coding(self, document: str, code: str, start: int, end: int, *, coder: str | None = None) -> tuple[Coding, bool]:
        """Code ``document[start:end]`` with ``code``. Returns the coding and
        whether it is new (the same code on the same range by the same coder
        is one coding)."""
        from fieldnotes.ids import new_guid, now

        doc_id = self.project.document_id(document)
        code_id = self.project.codebook.code_id(code)
        text = self.project.document_text(doc_id)
        locate.check_range(document, len(text), start, end)
        with self.project.history.action("coding.apply", f"code {document} {start}-{end} as {code}") as changes:
            coder_id = self.project.coders.coder_id(coder, changes)
            coding_id = queries.insert_coding(self.conn, new_guid(), doc_id, code_id, start, end, coder_id, now())
            new = coding_id is not None
            if new:
                changes.inserted("codings", [coding_id])
            else:
                coding_id = queries.coding_id_of(self.conn, doc_id, code_id, start, end, coder_id)
        return self.coding(coding_id), new

    def apply_codings(self, items: Sequence[tuple[int, int, int, int]], *, coder: str | None = None,
                      summary: str | None = None) -> int:
        """Apply many codings at once, as one undoable action.

        ``items`` are ``(document_id, code_id, start, end)``; ranges are checked
        against each document's length. Returns how many were new.
        """
        from fieldnotes.ids import now

        lengths = queries.document_lengths(self.conn)
        code_ids = {c.id for c in self.project.codebook.codes(counts=False)}
        for doc_id, code_id, start, end in items:
            if doc_id not in lengths:
                raise NotFound(f"No document with id {doc_id}.")
            if code_id not in code_ids:
                raise NotFound(f"No code with id {code_id}.")
            if not (0 <= start < end <= lengths[doc_id]):
                raise FieldnotesError(f"Range {start}-{end} is not inside document {doc_id} ({lengths[doc_id]} characters).")
        stamp = now()
        with self.project.history.action("coding.apply_many", summary or f"apply {len(items)} codings") as changes:
            coder_id = self.project.coders.coder_id(coder, changes)
            new_ids = queries.insert_codings(
                self.conn, [(str(uuid.uuid4()), d, c, s, e, coder_id, stamp) for d, c, s, e in items])
            changes.inserted("codings", new_ids)
        return len(new_ids)

    def remove_coding(self, coding_id: int) -> Coding:
        """Remove a coding and the memos on it (one undoable action)."""
        coding = self.coding(coding_id)
        with self.project.history.action("coding.remove", f"remove {coding.code} from {coding.document} {coding.start}-{coding.end}") as changes:
            changes.delete("memos", self.project.memos.ids_on("coding", [coding_id]))
            changes.delete("codings", [coding_id])
        return coding

    def remove_at(self, document: str, offset: int, *, code: str) -> Coding:
        """Remove the coding of ``code`` that covers character ``offset`` of
        ``document``: the one a researcher points at. None there, or several
        (by different coders or on different ranges), is an error that says
        which ids to choose from.

        Example: ``project.coding.remove_at("p1_int_sw01", 130, code="Caseload")``.
        """
        wanted = self.project.codebook.code(code).path
        found = [c for c in self.codings_at(document, offset) if c.code == wanted]
        if not found:
            raise NotFound(f"No '{wanted}' coding at character {offset} of '{document}'.")
        if len(found) > 1:
            raise FieldnotesError("Several codings match: " + ", ".join(f"{c.id} ({c.start}-{c.end})" for c in found)
                                  + "; use --id.")
        return self.remove_coding(found[0].id)

    # -- listing codings -----------------------------------------------------------

    def codings_at(self, document: str, offset: int) -> list[Coding]:
        """The codings of ``document`` that cover character ``offset``."""
        ids = queries.coding_ids_at(self.conn, self.project.document_id(document), offset)
        return [self.coding(i) for i in ids]

    def coding(self, coding_id: int) -> Coding:
        """One coding, by id."""
        rows = self._codings(coding_id=coding_id)
        if not rows:
            raise NotFound(f"No coding {coding_id}. List codings with 'fieldnotes code list'.")
        return rows[0]

    def codings(self, *, document: str | None = None, code: str | None = None, include_children: bool = True) -> list[Coding]:
        """Codings of a document, of a code (and its sub-codes), or all."""
        return self._codings(
            document_id=None if document is None else self.project.document_id(document),
            code_ids=None if code is None else self._code_ids(code, include_children))

    def _code_ids(self, code: str, include_children: bool = True) -> list[int]:
        """The ids of ``code`` and, with ``include_children``, its sub-codes."""
        if not include_children:
            return [self.project.codebook.code_id(code)]
        return [c.id for c in self.project.codebook.subtree(code)]

    def _codings(self, **filters) -> list[Coding]:
        paths = {c.id: c.path for c in self.project.codebook.codes(counts=False)}
        rows = queries.codings(self.conn, **filters)
        texts = self.project.texts({r[2] for r in rows})
        return [Coding(r[0], r[1], r[3], paths[r[4]], r[5], r[6], r[7], r[8], texts[r[2]][r[5]:r[6]]) for r in rows]

    def coding_spans(self, document: str) -> list[tuple[int, int, int, int]]:
        """``(coding_id, code_id, start, end)`` of a document's codings: what a
        view needs to shade them, without their text."""
        return queries.coding_spans(self.conn, self.project.document_id(document))
