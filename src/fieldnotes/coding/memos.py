"""Memos on the project, a document, a code, a coding or a case
(``project.memos``)."""

from __future__ import annotations

from fieldnotes.coding.model import Memo
from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.service import Service
from fieldnotes.store.queries import coding as queries

MEMO_TARGETS = ("project", "document", "code", "coding", "case")


class MemoService(Service):
    """The memos of one project.

    Example::

        memo = project.memos.add("code", "Caseload", "Phase 2 managers blame weighting")
        project.memos.list("code", "Caseload")
    """

    def _target_id(self, target_type: str, target: str | int | None) -> int | None:
        if target_type not in MEMO_TARGETS:
            raise FieldnotesError(f"A memo belongs to one of {', '.join(MEMO_TARGETS)}.")
        if target_type == "project":
            return None
        if target_type == "document":
            return self.project.document_id(str(target))
        if target_type == "code":
            return self.project.codebook.code_id(str(target))
        if target_type == "case":
            return self.project.attributes.case(str(target))[0]
        return self.project.coding.coding(int(target)).id

    def add(self, target_type: str, target: str | int | None, text: str, *, title: str = "",
            coder: str | None = None) -> Memo:
        """Write a memo on the project, a document, a code, a coding or a case."""
        from fieldnotes.ids import new_guid, now

        if not text.strip():
            raise FieldnotesError("A memo needs some text.")
        target_id = self._target_id(target_type, target)
        with self.project.history.action("memo.add", f"memo on {target_type} {target or ''}".strip()) as changes:
            memo_id = queries.insert_memo(self.conn, new_guid(), target_type, target_id, title, text,
                                          self.project.coders.coder_id(coder, changes), now())
            changes.inserted("memos", [memo_id])
        return self.list(memo_id=memo_id)[0]

    def edit(self, memo_id: int, text: str) -> Memo:
        """Replace a memo's text (one undoable action)."""
        from fieldnotes.ids import now

        self.list(memo_id=memo_id)
        with self.project.history.action("memo.edit", f"edit memo {memo_id}") as changes:
            changes.update("memos", [memo_id], "text = ?, updated_at = ?", [text, now()])
        return self.list(memo_id=memo_id)[0]

    def delete(self, memo_id: int) -> None:
        """Delete a memo (one undoable action)."""
        self.list(memo_id=memo_id)
        with self.project.history.action("memo.delete", f"delete memo {memo_id}") as changes:
            changes.delete("memos", [memo_id])

    def list(self, target_type: str | None = None, target: str | int | None = None, *,
             memo_id: int | None = None) -> list[Memo]:
        """Every memo, those on one kind of target, on one target, or the
        memo ``memo_id`` (NotFound when there is none)."""
        by_target = target_type is not None and (target is not None or target_type == "project")
        rows = queries.memos(self.conn, memo_id=memo_id, target_type=target_type, by_target=by_target,
                             target_id=self._target_id(target_type, target) if by_target else None)
        if memo_id is not None and not rows:
            raise NotFound(f"No memo {memo_id}.")
        names = self._target_names()
        return [Memo(r[0], r[1], r[2], names.get((r[2], r[3])), r[4], r[5], r[6], r[7]) for r in rows]

    def ids_on(self, target_type: str, target_ids) -> list[int]:
        """The ids of the memos on any of ``target_ids`` (of ``target_type``):
        what goes, or moves, with a coding or code."""
        return queries.memo_ids(self.conn, target_type, list(target_ids))

    def _target_names(self) -> dict[tuple[str, int | None], str]:
        names: dict[tuple[str, int | None], str] = {("project", None): "project"}
        names.update(queries.target_names(self.conn))
        names.update({("code", c.id): c.path for c in self.project.codebook.codes()})
        return names
