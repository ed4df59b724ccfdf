"""Team coding: a copy of the project for each coder, and a merge that brings
their work back without losing any of it.

In a secure environment with no shared server, coders work on their own copy
of the project file and hand it back. A copy (:func:`make_copy`) holds the
same documents, codebook, cases and attributes with the same GUIDs, optionally
without the other coders' codings (``blind``, the default for an agreement
round), and records where it came from: the project's GUID, when it was made,
for whom, and the codebook as it was (so that a merge can tell which side
renamed or moved a code).

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
  made from another project, is refused before anything is written.

A merge never deletes: a coding removed in a copy stays in the project (the
report counts them). The whole merge is one undoable action.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fieldnotes.errors import FieldnotesError

#: Settings keys a copy carries.
ORIGIN_KEY = "team_origin"
CODER_KEY = "coder"
PROJECT_GUID_KEY = "project_guid"


@dataclass(slots=True)
class CopyReport:
    path: str
    coder: str
    blind: bool
    documents: int
    codings: int
    removed_codings: int


@dataclass(slots=True)
class MergeReport:
    copies: list[str] = field(default_factory=list)
    codings: int = 0
    memos_added: int = 0
    memos_updated: int = 0
    codes_added: list[str] = field(default_factory=list)
    codes_changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: int = 0           # codings deleted in a copy but kept in the project
    coders: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.codings or self.memos_added or self.memos_updated or self.codes_added
                    or self.codes_changed)


def project_guid(project) -> str:
    """The project's own GUID (made on first use), which its copies carry."""
    from fieldnotes.ids import new_guid

    guid = project.setting(PROJECT_GUID_KEY)
    if guid is None:
        guid = new_guid()
        project.set_setting(PROJECT_GUID_KEY, guid)
    return guid


def make_copy(project, coder: str, out: str | Path, *, blind: bool = True) -> CopyReport:
    """Write a copy of ``project`` for ``coder`` to ``out`` (a new file,
    readable by its owner only). ``blind`` leaves out every other coder's
    codings and the memos on them."""
    from fieldnotes.ids import now
    from fieldnotes.project import Project
    from fieldnotes.store.db import atomic

    coder = coder.strip()
    if not coder:
        raise FieldnotesError("Name the coder the copy is for, e.g. --coder anna.")
    # A coder the project has keeps their spelling: a blind copy for "ANNA" keeps anna's codings.
    known = project.coders.find(coder)
    coder = known.name if known else coder
    out = Path(out)
    if out.exists():
        raise FieldnotesError(f"{out} exists; choose a new file for the copy.")
    if not out.parent.exists():
        raise FieldnotesError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    from fieldnotes.store import cipher

    guid = project_guid(project)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    # The copy of an encrypted project is encrypted with the same passphrase.
    passphrase = cipher.known(project.path) if project.encrypted else None
    old_umask = os.umask(0o077)
    try:
        target = cipher.connect(partial, passphrase, check=False) if passphrase else sqlite3.connect(str(partial))
        try:
            project.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            project.conn.backup(target)
        finally:
            target.close()
    finally:
        os.umask(old_umask)
    os.chmod(partial, 0o600)
    removed = 0
    try:
        with Project.open(partial, coder=coder, passphrase=passphrase) as copy:
            c = copy.conn
            base = {guid_: [name, parent] for guid_, name, parent in c.execute(
                "SELECT k.guid, k.name, p.guid FROM codes k LEFT JOIN codes p ON p.id = k.parent_id")}
            with atomic(c):
                if blind:
                    others = [r[0] for r in c.execute("SELECT id FROM coders WHERE name <> ?", [coder])]
                    if others:
                        marks = ",".join("?" * len(others))
                        c.execute(f"DELETE FROM memos WHERE target_type = 'coding' AND target_id IN "
                                  f"(SELECT id FROM codings WHERE coder_id IN ({marks}))", others)
                        removed = c.execute(f"DELETE FROM codings WHERE coder_id IN ({marks})", others).rowcount
                # Undo history and the audit trail of the project stay with the project.
                c.execute("DELETE FROM history")
                origin = {"project_guid": guid, "project": project.path.name, "coder": coder, "blind": blind,
                          "copied_at": now(), "codes": base}
                for key, value in ((ORIGIN_KEY, json.dumps(origin, ensure_ascii=False)), (CODER_KEY, coder)):
                    c.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])
                c.execute("INSERT INTO audit(at, actor, action, detail) VALUES (?, ?, 'team.copy', ?)",
                          [now(), coder, json.dumps({"from": project.path.name, "blind": blind})])
            documents = c.execute("SELECT count(*) FROM documents").fetchone()[0]
            codings = c.execute("SELECT count(*) FROM codings").fetchone()[0]
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        partial.replace(out)
        if passphrase:
            cipher.remember(out, passphrase)
    except BaseException:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    project.audit("team.copy", {"to": str(out), "coder": coder, "blind": blind})
    return CopyReport(str(out), coder, blind, documents, codings, removed)


def _read_copy(path: Path) -> sqlite3.Connection:
    from fieldnotes.store.db import open_project_file

    if not path.exists():
        raise FieldnotesError(f"No copy at {path}.")
    return open_project_file(path)


def _origin(conn: sqlite3.Connection, path: Path) -> dict:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", [ORIGIN_KEY]).fetchone()
    if row is None:
        raise FieldnotesError(
            f"{path} is not a coder's copy (it was not made with 'fieldnotes team copy'); "
            "to bring in another project's codings use 'fieldnotes qdpx import'.")
    return json.loads(row[0])


def check_copy(project, conn: sqlite3.Connection, path: Path) -> dict:
    """Refuse a copy of another project, or one whose documents differ."""
    origin = _origin(conn, path)
    if origin.get("project_guid") != project.setting(PROJECT_GUID_KEY):
        raise FieldnotesError(
            f"{path} was made from another project ({origin.get('project', '?')}), not from "
            f"{project.path.name}; nothing was merged.")
    ours = {guid: (name, sha) for guid, name, sha in project.conn.execute("SELECT guid, name, sha256 FROM documents")}
    problems = []
    for guid, name, sha in conn.execute("SELECT guid, name, sha256 FROM documents ORDER BY name"):
        if guid not in ours:
            problems.append(f"'{name}' is not in the project")
        elif ours[guid][1] != sha:
            problems.append(f"'{name}' differs from the project's '{ours[guid][0]}'")
    if problems:
        raise FieldnotesError(
            f"{path} cannot be merged: its documents differ from the project's ({'; '.join(problems)}). "
            "Nothing was merged; make a new copy with 'fieldnotes team copy'.")
    return origin


def merge_copies(project, paths: Sequence[str | Path]) -> MergeReport:
    """Bring coders' copies back into ``project`` (see the module docstring).
    Every copy is checked before anything is written; the merge of all of
    them is one undoable action."""
    report = MergeReport()
    opened: list[tuple[Path, sqlite3.Connection, dict]] = []
    try:
        for raw in paths:
            path = Path(raw)
            conn = _read_copy(path)
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
    """One copy merged into the project, inside the caller's action."""

    def __init__(self, project, conn: sqlite3.Connection, origin: dict, changes, report: MergeReport):
        self.project, self.src, self.origin, self.changes, self.report = project, conn, origin, changes, report
        self.dst = project.conn
        self.base: dict[str, list] = origin.get("codes", {})
        self.docs = {guid: doc_id for guid, doc_id in self.dst.execute("SELECT guid, id FROM documents")}
        self.src_docs = {doc_id: guid for doc_id, guid in self.src.execute("SELECT id, guid FROM documents")}
        self.code_map: dict[int, int] = {}
        self.coder_map: dict[int, int] = {}
        self.coding_map: dict[int, int] = {}

    def run(self) -> None:
        self._coders()
        self._codes()
        self._codings()
        self._memos()

    def _coders(self) -> None:
        from fieldnotes.ids import new_guid, now

        ours = {name.casefold(): cid for cid, name in self.dst.execute("SELECT id, name FROM coders")}
        for cid, guid, name in self.src.execute("SELECT id, guid, name FROM coders"):
            if name.casefold() in ours:
                self.coder_map[cid] = ours[name.casefold()]
                continue
            exists = self.dst.execute("SELECT 1 FROM coders WHERE guid = ?", [guid]).fetchone()
            new_id = self.dst.execute("INSERT INTO coders(guid, name, created_at) VALUES (?, ?, ?)",
                                      [new_guid() if exists else guid, name, now()]).lastrowid
            self.changes.inserted("coders", [new_id])
            self.coder_map[cid] = ours[name.casefold()] = new_id
            self.report.coders.append(name)

    def _codes(self) -> None:
        from fieldnotes.ids import now

        src_codes = self.src.execute(
            "SELECT k.id, k.guid, k.parent_id, p.guid, k.name, k.description, k.inclusion, k.exclusion, "
            "k.example, k.colour, k.sort_order FROM codes k LEFT JOIN codes p ON p.id = k.parent_id").fetchall()
        by_id = {r[0]: r for r in src_codes}

        def depth(row) -> int:
            d, parent = 0, row[2]
            while parent is not None:
                d, parent = d + 1, by_id[parent][2]
            return d

        ours = {guid: (cid, name, parent_guid) for cid, guid, name, parent_guid in self.dst.execute(
            "SELECT k.id, k.guid, k.name, p.guid FROM codes k LEFT JOIN codes p ON p.id = k.parent_id")}
        for row in sorted(src_codes, key=depth):
            sid, guid, parent_sid, parent_guid, name = row[:5]
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
            new_id = self.dst.execute(
                "INSERT INTO codes(guid, parent_id, name, description, inclusion, exclusion, example, colour, "
                "sort_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [guid, parent_id, *row[4:11], now()]).lastrowid
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
        parts = []
        while code_id is not None:
            name, code_id = self.dst.execute("SELECT name, parent_id FROM codes WHERE id = ?", [code_id]).fetchone()
            parts.append(name)
        return "/".join(reversed(parts))

    def _codings(self) -> None:
        known = {g for (g,) in self.dst.execute("SELECT guid FROM codings")}
        added = []
        for sid, guid, doc_id, code_id, start, end, coder_id, created_at in self.src.execute(
                'SELECT id, guid, document_id, code_id, start, "end", coder_id, created_at FROM codings'):
            target_doc = self.docs[self.src_docs[doc_id]]
            if guid in known:
                self.coding_map[sid] = self.dst.execute("SELECT id FROM codings WHERE guid = ?", [guid]).fetchone()[0]
                continue
            cursor = self.dst.execute(
                'INSERT OR IGNORE INTO codings(guid, document_id, code_id, start, "end", coder_id, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [guid, target_doc, self.code_map[code_id], start, end, self.coder_map.get(coder_id), created_at])
            if cursor.rowcount:
                added.append(cursor.lastrowid)
                self.coding_map[sid] = cursor.lastrowid
                known.add(guid)
            else:
                self.coding_map[sid] = self.dst.execute(
                    'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ? '
                    "AND ifnull(coder_id, 0) = ifnull(?, 0)",
                    [target_doc, self.code_map[code_id], start, end, self.coder_map.get(coder_id)]).fetchone()[0]
        self.changes.inserted("codings", added)
        self.report.codings += len(added)
        # Codings of this coder that existed when the copy was made but are gone from it: kept.
        coder = self.origin.get("coder")
        src_guids = {g for (g,) in self.src.execute("SELECT guid FROM codings")}
        known = self.project.coders.find(coder) if coder else None
        if known:
            for (guid,) in self.dst.execute("SELECT guid FROM codings WHERE coder_id = ? AND created_at <= ?",
                                            [known.id, self.origin.get("copied_at", "")]):
                if guid not in src_guids:
                    self.report.kept += 1

    def _memos(self) -> None:
        from fieldnotes.ids import now

        copied_at = self.origin.get("copied_at", "")
        case_map = {sid: self.dst.execute("SELECT id FROM cases WHERE guid = ?", [g]).fetchone()
                    for sid, g in self.src.execute("SELECT id, guid FROM cases")}
        for guid, target_type, target_id, title, text, coder_id, created_at, updated_at in self.src.execute(
                "SELECT guid, target_type, target_id, title, text, coder_id, created_at, updated_at FROM memos"):
            ours = self.dst.execute("SELECT id, title, text, updated_at FROM memos WHERE guid = ?", [guid]).fetchone()
            if ours:
                if (ours[1], ours[2]) == (title, text) or updated_at <= copied_at:
                    continue
                if ours[3] <= copied_at:
                    self.changes.update("memos", [ours[0]], "title = ?, text = ?, updated_at = ?",
                                        [title, text, updated_at])
                    self.report.memos_updated += 1
                else:
                    self.report.conflicts.append(
                        f"memo '{title or text[:40]}': edited in the project and in a copy; kept the project's")
                continue
            if target_type == "document":
                mapped = self.docs.get(self.src_docs.get(target_id))
            elif target_type == "code":
                mapped = self.code_map.get(target_id)
            elif target_type == "coding":
                mapped = self.coding_map.get(target_id)
            elif target_type == "case":
                found = case_map.get(target_id)
                mapped = found[0] if found else None
            else:
                mapped = None
            if target_type != "project" and mapped is None:
                self.report.conflicts.append(f"memo '{title or text[:40]}': what it is about is not in the project")
                continue
            new_id = self.dst.execute(
                "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [guid, target_type, mapped, title, text, self.coder_map.get(coder_id), created_at,
                 updated_at or now()]).lastrowid
            self.changes.inserted("memos", [new_id])
            self.report.memos_added += 1


# -- settling disagreements into a consensus coding --------------------------------

CONSENSUS_KEY = "consensus_coder"
DEFAULT_CONSENSUS = "consensus"


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A passage where coders coded one code differently: the stretch of text
    covered by any of their codings of it, and what each coder coded there."""

    document: str
    code: str                                        # the code's path
    start: int
    end: int
    ranges: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]   # (coder, their ranges), in coder order
    settled: str | None = None                       # the decision, once made

    def ranges_of(self, coder: str) -> tuple[tuple[int, int], ...]:
        return dict(self.ranges).get(coder, ())

    @property
    def title(self) -> str:
        return f"Consensus: {self.code} {self.start}-{self.end}"


def consensus_coder(project) -> str:
    """The coder who holds settled codings (setting ``consensus_coder``)."""
    return project.setting(CONSENSUS_KEY) or DEFAULT_CONSENSUS


def disagreements(project, *, coders: Sequence[str] | None = None, code: str | None = None,
                  document: str | None = None) -> list[Disagreement]:
    """Every passage where the coders differ on a code, in document order.

    Codings of one code by the compared coders (default: every coder with
    codings except the consensus coder) are joined into passages wherever
    they overlap or touch; a passage where the coders' coded ranges are not
    all the same is a disagreement (including one coded by one coder only)."""
    from fieldnotes.analysis.agreement import merge

    consensus = consensus_coder(project)
    if coders:
        chosen = [(c.id, c.name) for c in (project.coders.resolve(wanted, with_codings=True) for wanted in coders)]
    else:
        chosen = [(c.id, c.name) for c in project.coders.list(with_codings=True) if c.name != consensus]
    if len(chosen) < 2:
        raise FieldnotesError("Disagreements need codings by at least two coders.")
    ids = [cid for cid, _ in chosen]
    names = {cid: name for cid, name in chosen}
    sql = ('SELECT d.id, d.name, c.code_id, c.coder_id, c.start, c."end" FROM codings c '
           f"JOIN documents d ON d.id = c.document_id WHERE c.coder_id IN ({','.join('?' * len(ids))})")
    params: list = list(ids)
    if code is not None:
        sql += " AND c.code_id = ?"
        params.append(project.codebook.code_id(code))
    if document is not None:
        sql += " AND c.document_id = ?"
        params.append(project.document_id(document))
    grouped: dict[tuple[str, int], dict[int, list[tuple[int, int]]]] = {}
    for _, doc_name, code_id, coder_id, start, end in project.conn.execute(sql + " ORDER BY d.name", params):
        grouped.setdefault((doc_name, code_id), {}).setdefault(coder_id, []).append((start, end))
    paths = {c.id: c.path for c in project.codebook.codes(counts=False)}
    decisions = {title for (title,) in project.conn.execute(
        "SELECT title FROM memos WHERE target_type = 'document' AND title LIKE 'Consensus: %'")}
    result = []
    for (doc_name, code_id), by_coder in sorted(grouped.items(), key=lambda kv: (kv[0][0], paths[kv[0][1]])):
        merged = {cid: merge(by_coder.get(cid, [])) for cid in ids}
        for start, end in merge([iv for ivs in merged.values() for iv in ivs]):
            inside = [(names[cid], tuple((s, e) for s, e in merged[cid] if s < end and e > start)) for cid in ids]
            if len({r for _, r in inside}) == 1:
                continue
            item = Disagreement(doc_name, paths[code_id], start, end, tuple(inside))
            settled = next((t.split(": ", 2)[-1] for t in decisions if t.startswith(item.title + ":")), None)
            result.append(Disagreement(doc_name, paths[code_id], start, end, tuple(inside), settled))
    return result


def settle(project, item: Disagreement, choice: str, *, span: tuple[int, int] | None = None,
           memo: str = "") -> str:
    """Settle a disagreement into the consensus coder's codings: ``choice`` is
    a coder's name (take their ranges), ``"all"`` (the union of everyone's),
    ``"neither"``, or ``"adjusted"`` with ``span`` (a range the researcher
    chose). The decision and ``memo`` are kept as a memo on the document.
    One undoable action; returns a summary."""
    from fieldnotes.analysis.agreement import merge
    from fieldnotes.ids import new_guid, now

    coders = [name for name, _ in item.ranges]
    if choice in coders:
        ranges = list(item.ranges_of(choice))
        decision = f"took {choice}'s coding"
    elif choice == "all":
        ranges = merge([r for _, rs in item.ranges for r in rs])
        decision = "took every coder's coding"
    elif choice == "neither":
        ranges, decision = [], "coded neither"
    elif choice == "adjusted":
        if span is None or not (span[0] < span[1]):
            raise FieldnotesError("An adjusted coding needs a start and an end, start before end.")
        ranges, decision = [span], f"adjusted to {span[0]}-{span[1]}"
    else:
        raise FieldnotesError(f"Settle with one of: {', '.join(coders)}, all, neither or adjusted.")
    consensus = consensus_coder(project)
    doc_id = project.document_id(item.document)
    code_id = project.codebook.code_id(item.code)
    with project.history.action("team.settle", f"{item.title}: {decision}") as changes:
        coder_id = project.coders.coder_id(consensus, changes)
        stamp = now()
        added = []
        for start, end in ranges:
            cursor = project.conn.execute(
                'INSERT OR IGNORE INTO codings(guid, document_id, code_id, start, "end", coder_id, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [new_guid(), doc_id, code_id, start, end, coder_id, stamp])
            if cursor.rowcount:
                added.append(cursor.lastrowid)
        changes.inserted("codings", added)
        memo_id = project.conn.execute(
            "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
            "VALUES (?, 'document', ?, ?, ?, ?, ?, ?)",
            [new_guid(), doc_id, f"{item.title}: {decision}", memo.strip() or decision,
             project.coders.coder_id(None, changes), stamp, stamp]).lastrowid
        changes.inserted("memos", [memo_id])
    return f"{item.title}: {decision}"
