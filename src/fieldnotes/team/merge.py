"""Bringing coders' copies back into the project without losing any of their work.

:func:`merge_copies` matches everything by GUID:

* codings are added with their coder; a coding already in the project (same
  GUID, or the same code on the same range by the same coder) is not added
  twice, so merging the same copy again adds nothing;
* memos are added; a memo edited only in the copy is updated; a memo edited on
  both sides since the copy was made is listed as a conflict and left alone;
* codes created in the copy are added; a code created in two copies under the
  same path is one code; a rename or move made in the copy alone is applied;
  a code renamed or moved differently on both sides is a conflict, listed and
  left as the project has it;
* a copy whose documents differ from the project's (by SHA-256), or that was
  made from another project, is refused before anything is written
  (:func:`~fieldnotes.team.copies.check_copy`).

A merge never deletes: a coding removed in a copy stays in the project (the
report counts them). The whole merge is one undoable action.

The copy is read through its own connection and the project written through
its services where one fits; rows keep the copy's GUIDs and times, which the
services (made for new work) would replace, so those are written with the
coding and codebook queries directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fieldnotes.store.queries import codebook as code_queries
from fieldnotes.store.queries import coding as coding_queries
from fieldnotes.store.queries import team as queries
from fieldnotes.team.copies import check_copy, read_copy
from fieldnotes.team.model import MergeReport

if TYPE_CHECKING:
    import sqlite3


def merge_copies(project, paths: Sequence[str | Path]) -> MergeReport:
    """Bring coders' copies back into ``project`` (see the module docstring).
    Every copy is checked before anything is written; the merge of all of
    them is one undoable action.

    Example: ``merge_copies(project, ["study-anna.fnp", "study-ben.fnp"]).codings``.
    """
    report = MergeReport()
    opened: list[tuple[Path, sqlite3.Connection, dict]] = []
    try:
        for raw in paths:
            path = Path(raw)
            conn = read_copy(path)
            opened.append((path, conn, {}))
            opened[-1] = (path, conn, check_copy(project, conn, path))
        names = ", ".join(p.name for p, _, _ in opened)
        with project.history.action("team.merge", f"merge {names}") as changes:
            for path, conn, origin in opened:
                _Merge(project, conn, origin, changes, report).run()
                report.copies.append(str(path))
    finally:
        for _, conn, _ in opened:
            conn.close()
    return report


class _Merge:
    """One copy merged into the project, inside the caller's action.

    The steps run in order (coders, codes, codings, memos) because each maps
    the copy's ids to the project's for the next: a coding needs its code and
    coder, a memo the coding it is on.
    """

    def __init__(self, project, conn: sqlite3.Connection, origin: dict, changes, report: MergeReport):
        self.project, self.src, self.origin, self.changes, self.report = project, conn, origin, changes, report
        self.dst = project.conn
        self.base: dict[str, list] = origin.get("codes", {})
        self.docs = {guid: doc_id for doc_id, guid in queries.document_guids(self.dst)}
        self.src_docs = dict(queries.document_guids(self.src))
        self.code_map: dict[int, int] = {}
        self.coder_map: dict[int, int] = {}
        self.coding_map: dict[int, int] = {}

    def run(self) -> None:
        self._coders()
        self._codes()
        self._codings()
        self._memos()

    # -- coders ---------------------------------------------------------------------

    def _coders(self) -> None:
        """A coder is matched by name ignoring case; a new one keeps the
        copy's GUID unless the project already gave it to someone else."""
        from fieldnotes.ids import new_guid, now

        ours = {c.name.casefold(): c.id for c in self.project.coders.list()}
        for cid, guid, name in queries.coder_rows(self.src):
            if name.casefold() in ours:
                self.coder_map[cid] = ours[name.casefold()]
                continue
            taken = queries.coder_guid_taken(self.dst, guid)
            new_id = coding_queries.insert_coder(self.dst, new_guid() if taken else guid, name, now())
            self.changes.inserted("coders", [new_id])
            self.coder_map[cid] = ours[name.casefold()] = new_id
            self.report.coders.append(name)

    # -- codes -------------------------------------------------------------------------

    def _codes(self) -> None:
        from fieldnotes.ids import now

        # (id, guid, parent_id, name, description, inclusion, exclusion, example, colour, sort_order)
        src_codes = code_queries.code_rows(self.src)
        by_id = {r[0]: r for r in src_codes}

        def depth(row) -> int:
            d, parent = 0, row[2]
            while parent is not None:
                d, parent = d + 1, by_id[parent][2]
            return d

        codes = self.project.codebook.codes(counts=False)
        guids = {c.id: c.guid for c in codes}
        ours = {c.guid: (c.id, c.name, guids.get(c.parent_id)) for c in codes}
        for row in sorted(src_codes, key=depth):
            sid, guid, parent_sid, name = row[:4]
            parent_guid = by_id[parent_sid][1] if parent_sid is not None else None
            parent_id = self.code_map.get(parent_sid) if parent_sid is not None else None
            if guid in ours:
                cid, our_name, our_parent = ours[guid]
                self.code_map[sid] = cid
                self._rename_or_move(guid, cid, name, parent_guid, parent_id, our_name, our_parent)
                continue
            same = self.project.codebook.child_id(parent_id, name)
            if same is not None:
                self.code_map[sid] = same   # created in two copies under the same path: one code
                continue
            # The copy's GUID, definitions, colour and order as they are (the
            # codebook service would check and default them as for a new code).
            new_id = code_queries.insert_code(self.dst, guid=guid, parent_id=parent_id, name=name, texts=row[4:8],
                                              colour=row[8], sort_order=row[9], created_at=now())
            self.changes.inserted("codes", [new_id])
            self.code_map[sid] = new_id
            ours[guid] = (new_id, name, parent_guid)
            self.report.codes_added.append(self._path(new_id))

    def _rename_or_move(self, guid, cid, name, parent_guid, parent_id, our_name, our_parent) -> None:
        base = self.base.get(guid)
        if base is None:
            return
        theirs, ours_now, was = (name, parent_guid), (our_name, our_parent), tuple(base)
        if theirs == was or theirs == ours_now:
            return
        if ours_now != was:
            self.report.conflicts.append(
                f"code '{self._path(cid)}': renamed or moved in the project and, differently, in a copy "
                f"(as '{name}'); kept the project's")
            return
        if self.project.codebook.child_id(parent_id, name) not in (None, cid):
            self.report.conflicts.append(
                f"code '{self._path(cid)}': a copy renamed it to '{name}', which its new parent already has")
            return
        before = self._path(cid)
        self.changes.update("codes", [cid], "name = ?, parent_id = ?", [name, parent_id])
        self.report.codes_changed.append(f"{before} → {self._path(cid)}")

    def _path(self, code_id: int) -> str:
        """The project's path of ``code_id`` as the codebook has it now."""
        return next(c.path for c in self.project.codebook.codes(counts=False) if c.id == code_id)

    # -- codings -------------------------------------------------------------------------

    def _codings(self) -> None:
        known = queries.coding_guids(self.dst)
        added = []
        for sid, guid, doc_id, code_id, start, end, coder_id, created_at in queries.coding_rows(self.src):
            if guid in known:
                self.coding_map[sid] = queries.coding_id_by_guid(self.dst, guid)
                continue
            target_doc, code, coder = self.docs[self.src_docs[doc_id]], self.code_map[code_id], self.coder_map.get(coder_id)
            new_id = coding_queries.insert_coding(self.dst, guid, target_doc, code, start, end, coder, created_at)
            if new_id is not None:
                added.append(new_id)
                self.coding_map[sid] = new_id
                known.add(guid)
            else:   # the same code on the same range by the same coder: that coding
                self.coding_map[sid] = coding_queries.coding_id_of(self.dst, target_doc, code, start, end, coder or 0)
        self.changes.inserted("codings", added)
        self.report.codings += len(added)
        self._count_kept()

    def _count_kept(self) -> None:
        """Codings of this coder that existed when the copy was made but are
        gone from it: kept in the project, and counted."""
        coder = self.origin.get("coder")
        known = self.project.coders.find(coder) if coder else None
        if not known:
            return
        src_guids = queries.coding_guids(self.src)
        for guid in queries.coding_guids_made_by(self.dst, known.id, self.origin.get("copied_at", "")):
            if guid not in src_guids:
                self.report.kept += 1

    # -- memos ---------------------------------------------------------------------------

    def _memos(self) -> None:
        from fieldnotes.ids import now

        copied_at = self.origin.get("copied_at", "")
        cases = {guid: case_id for case_id, guid in queries.case_guids(self.dst)}
        case_map = {sid: cases.get(guid) for sid, guid in queries.case_guids(self.src)}
        for guid, target_type, target_id, title, text, coder_id, created_at, updated_at in queries.memo_rows(self.src):
            ours = queries.memo_by_guid(self.dst, guid)
            if ours:
                self._update_memo(ours, title, text, updated_at, copied_at)
                continue
            mapped = self._memo_target(target_type, target_id, case_map)
            if target_type != "project" and mapped is None:
                self.report.conflicts.append(f"memo '{title or text[:40]}': what it is about is not in the project")
                continue
            new_id = queries.insert_memo_as_made(self.dst, guid, target_type, mapped, title, text,
                                                 self.coder_map.get(coder_id), created_at, updated_at or now())
            self.changes.inserted("memos", [new_id])
            self.report.memos_added += 1

    def _update_memo(self, ours: tuple, title: str, text: str, updated_at: str, copied_at: str) -> None:
        """A memo both sides have: the copy's edit wins only when the project
        has not edited it since the copy was made."""
        memo_id, our_title, our_text, our_updated_at = ours
        if (our_title, our_text) == (title, text) or updated_at <= copied_at:
            return
        if our_updated_at <= copied_at:
            self.changes.update("memos", [memo_id], "title = ?, text = ?, updated_at = ?", [title, text, updated_at])
            self.report.memos_updated += 1
        else:
            self.report.conflicts.append(
                f"memo '{title or text[:40]}': edited in the project and in a copy; kept the project's")

    def _memo_target(self, target_type: str, target_id: int | None, case_map: dict) -> int | None:
        """The project's id of what a copy's memo is on (None: not there)."""
        if target_type == "document":
            return self.docs.get(self.src_docs.get(target_id))
        if target_type == "code":
            return self.code_map.get(target_id)
        if target_type == "coding":
            return self.coding_map.get(target_id)
        if target_type == "case":
            return case_map.get(target_id)
        return None
