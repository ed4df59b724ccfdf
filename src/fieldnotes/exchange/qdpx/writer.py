"""Importing a ``.qdpx`` as a new project: the archive read (:mod:`.archive`,
:mod:`.reader`), then written into a fresh project in one transaction, in a
temporary file that replaces nothing; on any failure it is removed."""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from fieldnotes.exchange.qdpx.archive import MAX_QDE_BYTES, Archive, parse_xml
from fieldnotes.exchange.qdpx.format import (
    FOREIGN_KIND_ATTRIBUTE, KIND_VARIABLE, TYPE_TO_REFI, UNKNOWN_CODER, ImportSummary, QdpxError, guid_key, plural,
    valid_guid, xsd_datetime,
)
from fieldnotes.exchange.qdpx.reader import Coding, Note, Reader, Selection, extension_turns, read_extension
from fieldnotes.model import KINDS
from fieldnotes.store.queries import exchange as queries

if TYPE_CHECKING:
    from fieldnotes.project import Project


def import_qdpx(path: Path, target: Path) -> tuple[Project, ImportSummary]:
    """Import a REFI-QDA project (``.qdpx``) as a NEW fieldnotes project at
    ``target`` (refused if it exists).

    Returns the open project and an :class:`ImportSummary` with counts and
    warnings (skipped sources, coded passages outside their text, renamed
    duplicates...). Raises :class:`QdpxError` for a file that cannot or must
    not be imported; nothing is left at ``target`` then.
    """
    from fieldnotes.project import Project
    from fieldnotes.store.db import atomic

    path, target = Path(path), Path(target)
    if target.exists():
        raise QdpxError(f"{target} already exists; a .qdpx is imported as a new project, so choose a new file name.")
    if not target.parent.is_dir():
        raise QdpxError(f"Cannot create {target}: the folder {target.parent} does not exist.")
    summary = ImportSummary()
    archive = Archive(path)
    try:
        qde = archive.find_qde(summary.warnings)
        where = f"{path} ({qde.filename})"
        if qde.file_size > MAX_QDE_BYTES:
            raise QdpxError(
                f"{where} unpacks to {qde.file_size / 1024**2:,.0f} MB of project XML, more than the "
                f"{MAX_QDE_BYTES // 1024**2} MB (about 100,000 codings) fieldnotes reads; it may be a zip bomb. "
                "Nothing was imported.")
        reader = Reader(archive, where, summary.warnings)
        reader.read(parse_xml(archive.read(qde), where))
        reader.extension = read_extension(archive, path, summary.warnings)
    finally:
        archive.close()

    partial = target.with_name(f".{target.name}.partial")
    leftovers = [partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")]
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    project = Project.create(partial)
    try:
        with atomic(project.conn):
            Writer(project, reader, summary, path).write()
        queries.checkpoint(project.conn)
        project.close()
        if target.exists():
            raise QdpxError(f"{target} appeared while importing; the import was not saved. Choose a new file name.")
        os.replace(partial, target)
    except BaseException:
        project.close()
        for leftover in leftovers:
            _remove_quietly(leftover)
        raise
    for leftover in leftovers[1:]:
        _remove_quietly(leftover)
    return Project.open(target), summary


class Writer:
    def __init__(self, project: Project, reader: Reader, summary: ImportSummary, path: Path) -> None:
        self.project = project
        self.conn = project.conn
        self.r = reader
        self.summary = summary
        self.path = path
        self.warnings = summary.warnings

    def write(self) -> None:
        self._coders()
        self._codes()
        self._variables()
        self._documents()
        self._cases()
        self._codings()
        self._memos()
        # A fresh project: its history starts after the import (undo must not
        # take the import apart piece by piece).
        queries.forget_history(self.conn)
        self.summary.coders = queries.count_coders(self.conn)
        self.project.audit("qdpx.import", {
            "from": str(self.path), "documents": self.summary.documents, "codes": self.summary.codes,
            "codings": self.summary.codings, "cases": self.summary.cases, "variables": self.summary.variables,
            "memos": self.summary.memos, "warnings": len(self.warnings)})

    def _guid(self, table: str, raw: str | None, used: set[str]) -> str:
        from fieldnotes.ids import new_guid

        if valid_guid(raw) and guid_key(raw) not in used:
            used.add(guid_key(raw))
            return raw.strip()
        if raw and valid_guid(raw):
            self.warnings.append(f"the GUID {raw} is used twice among the {table}; a new one was made")
        guid = new_guid()
        used.add(guid)
        return guid

    # -- coders

    def _coders(self) -> None:
        from fieldnotes.ids import now

        used: set[str] = set()
        self.coder_names: dict[str, str] = {}
        for key, (guid, name) in self.r.users.items():
            queries.add_coder(self.conn, self._guid("coders", guid, used), name, now())
            self.coder_names[key] = name
        self.unnamed = 0

    def _coder(self, key: str | None) -> str:
        if key in self.coder_names:
            return self.coder_names[key]
        if key is not None:
            return f"user {key[:8]}"
        self.unnamed += 1
        if len(self.r.users) == 1:
            return next(iter(self.coder_names.values()))
        return UNKNOWN_CODER

    # -- codes

    def _codes(self) -> None:
        counts = self.project.codebook.import_codebook(self.r.nodes, source=self.path.name) if self.r.nodes else {"added": 0}
        self.summary.codes = counts["added"]
        from fieldnotes.codebook.tree import Siblings

        # Each file path found as the import matched it (case aside), so no coding is left without its code.
        siblings = Siblings((c.id, c.parent_id, c.name) for c in self.project.codebook.codes(counts=False))
        found = {path: siblings.walk(path) for path in {*self.r.code_paths.values(), *self.r.code_notes}}
        self.code_ids = {key: found[path] for key, path in self.r.code_paths.items() if found[path] is not None}
        self.code_ids_by_path = {path: code_id for path, code_id in found.items() if code_id is not None}

    # -- variables and attributes

    def _variables(self) -> None:
        from fieldnotes.manifest import coerce, infer_type

        def fits(value: str, type_: str) -> bool:
            try:
                return coerce(value, type_) is not None
            except (TypeError, ValueError):
                return False

        # A nameless case with one source gives its values to that source.
        sources = {s.key: s for s in self.r.sources if s.key}
        self.cases = []
        for case in self.r.cases:
            if not case.name and len(case.sources) == 1 and case.sources[0] in sources:
                owner = sources[case.sources[0]]
                for var, value in case.values.items():
                    owner.values.setdefault(var, value)
            else:
                self.cases.append(case)

        self.kind_key = next((k for k, v in self.r.variables.items() if v.name == KIND_VARIABLE), None)
        self.kind_consumed = False
        if self.kind_key is not None:
            kinds = [_kind(s.values[self.kind_key]) for s in self.r.sources if self.kind_key in s.values]
            if all(k in KINDS for k in kinds):
                self.kind_consumed = True
            else:
                bad = sorted({s.values[self.kind_key] for s in self.r.sources
                              if self.kind_key in s.values and _kind(s.values[self.kind_key]) not in KINDS})
                taken = {v.name for v in self.r.variables.values()}
                name, n = FOREIGN_KIND_ATTRIBUTE, 2
                while name in taken:
                    name, n = f"{FOREIGN_KIND_ATTRIBUTE}_{n}", n + 1
                self.r.variables[self.kind_key].name = name
                self.warnings.append(
                    f"the variable 'kind' holds values that are not fieldnotes kinds ({', '.join(bad[:5])}); "
                    f"documents are imported as 'other' and the values kept as the attribute '{name}'")

        used: set[str] = set()
        self.var_types: dict[str, str] = {}
        for key, variable in self.r.variables.items():
            if key == self.kind_key and self.kind_consumed:
                continue
            values = [s.values[key] for s in self.r.sources if key in s.values]
            values += [c.values[key] for c in self.cases if key in c.values]
            type_ = variable.declared
            if not all(fits(v, type_) for v in values):
                wider = infer_type(values)
                wrong = next(v for v in values if not fits(v, type_))
                self.warnings.append(
                    f"variable '{variable.name}' is declared {TYPE_TO_REFI[type_]} but holds '{wrong}'; "
                    f"imported as {wider}")
                type_ = wider
            self.var_types[key] = type_
            queries.add_variable(self.conn, self._guid("variables", variable.guid, used), variable.name, type_,
                                 variable.description)
            self.summary.variables += 1

    def _attributes(self, owner_type: str, owner_id: int, values: dict[str, str]) -> None:
        for key, value in values.items():
            if key in self.var_types:
                self.project.attributes.set_typed(owner_type, owner_id, self.r.variables[key].name, value,
                                            self.var_types[key])

    # -- documents and cases

    def _documents(self) -> None:
        from fieldnotes.importers.base import ParsedDocument
        from fieldnotes.importers.batch import Prepared
        from fieldnotes.passages import count_words
        from fieldnotes.importers.turns import detect_turns

        used_guids: set[str] = set()
        names: set[str] = set()
        for source in self.r.sources:
            name = source.name
            if name in names:
                stem, suffix = posixpath.splitext(name)
                n = 2
                while f"{stem}-{n}{suffix}" in names:
                    n += 1
                name = f"{stem}-{n}{suffix}"
                self.warnings.append(f"two sources are called '{source.name}'; the second is imported as '{name}'")
            names.add(name)
            source.name = name
            kind = "other"
            if self.kind_consumed and self.kind_key in source.values:
                kind = _kind(source.values[self.kind_key])
            extension = self.r.extension.get(source.key) if source.key else None
            turns = extension_turns(extension, source.text) if extension is not None else None
            digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
            if turns is None:
                if extension is not None:
                    self.warnings.append(f"'{name}': its text is not the one fieldnotes exported; speaker turns "
                                         "were detected again and its original format is not known")
                parsed = ParsedDocument(text=source.text, format="txt", turns=detect_turns(source.text),
                                        encoding="utf-8")
            else:
                parsed = ParsedDocument(text=source.text, format=extension.format, turns=turns,
                                        encoding=extension.encoding)
                digest = extension.original_sha256 or digest
            prepared = Prepared(parsed, digest, count_words(source.text))
            doc_id = self.project.intake.insert_document(name, kind, prepared, f"{self.path.name}:{source.name}")
            queries.set_document_guid(self.conn, doc_id, self._guid("sources", source.guid, used_guids))
            imported_at = xsd_datetime(source.created)
            if imported_at:
                queries.set_document_imported_at(self.conn, doc_id, imported_at)
            source.doc_id = doc_id
            self._attributes("document", doc_id, source.values)
            self.summary.documents += 1

    def _cases(self) -> None:
        sources = {s.key: s for s in self.r.sources if s.key}
        used_guids: set[str] = set()
        names: set[str] = set()
        for n, case in enumerate(self.cases, start=1):
            name = case.name or f"case {n}"
            if not case.name:
                self.warnings.append(f"a case without a name is imported as '{name}'")
            unique, k = name, 2
            while unique in names:
                unique, k = f"{name} ({k})", k + 1
            if unique != name:
                self.warnings.append(f"two cases are called '{name}'; the second is imported as '{unique}'")
            names.add(unique)
            case.name = unique
            case.case_id = queries.add_case(self.conn, self._guid("cases", case.guid, used_guids), unique,
                                            case.description)
            for ref in case.sources:
                if ref in sources:
                    self.project.attributes.add_case_link(sources[ref].doc_id, unique)
                else:
                    self.warnings.append(f"case '{unique}' names a source that was not imported")
            self._attributes("case", case.case_id, case.values)
            self.summary.cases += 1

    # -- codings

    def _codings(self) -> None:
        by_coder: dict[str, list[tuple[int, int, int, int]]] = {}
        self.placed: list[tuple[Selection, Coding, tuple[int, int, int, int], str]] = []
        unknown_codes = 0
        for source in self.r.sources:
            for selection in source.selections:
                for coding in selection.codings:
                    code_id = self.code_ids.get(coding.code)
                    if code_id is None:
                        unknown_codes += 1
                        continue
                    coder = self._coder(coding.coder)
                    item = (source.doc_id, code_id, selection.start, selection.end)
                    by_coder.setdefault(coder, []).append(item)
                    self.placed.append((selection, coding, item, coder))
        if unknown_codes:
            self.warnings.append(f"{plural(unknown_codes, 'coding')} name a code that is not in the codebook; skipped")
        if self.unnamed:
            self.warnings.append(f"{plural(self.unnamed, 'coding')} name no coder; credited to "
                                 f"'{self._coder(None)}'")
        for coder, items in by_coder.items():
            self.summary.codings += self.project.coding.apply_codings(
                items, coder=coder, summary=f"import {len(items)} codings by {coder} from {self.path.name}")
        # Each coder as apply_codings found or made them ("unknown" is an existing "Unknown").
        coder_ids = {coder: self.project.coders.find(coder).id for coder in by_coder}
        used = {guid_key(guid) for guid in queries.coding_guids(self.conn)}
        taken: set[int] = set()
        self.coding_ids: dict[int, int] = {}  # id(Coding) -> coding id
        for selection, coding, (doc_id, code_id, start, end), coder in self.placed:
            coding_id = queries.coding_at(self.conn, doc_id, code_id, start, end, coder_ids[coder])
            self.coding_ids[id(coding)] = coding_id
            if coding_id in taken:
                continue
            taken.add(coding_id)
            # The selection's GUID is the coding's (as fieldnotes writes them)
            # when it holds one coding; else each <Coding> keeps its own.
            raw = _selection_guid(selection, coding)
            if valid_guid(raw) and guid_key(raw) not in used:
                used.add(guid_key(raw))
                queries.set_coding_guid(self.conn, coding_id, raw.strip())
            stamp = xsd_datetime(selection.created)
            if stamp:
                queries.set_coding_created(self.conn, coding_id, stamp)

    # -- memos

    def _memos(self) -> None:
        found = _Memos(self.r.notes, self.warnings)
        self._memos_by_reference(found)
        targets = self._link_targets()
        for origin, target in self.r.links:
            if origin in found.notes and target in targets:
                found.by_note(*targets[target], origin, "a link")
            elif target in found.notes and origin in targets:
                found.by_note(*targets[origin], target, "a link")
        # Notes nothing points at (journals, in some tools) belong to the project.
        for key, note in found.notes.items():
            if key not in found.referenced:
                found.memos.append(("project", None, key, note.title, note.text))
        self._insert_memos(found)

    def _memos_by_reference(self, found: _Memos) -> None:
        """Memos from NoteRefs and Descriptions: on the project, the sources,
        the codes, the passages and the codings (a note on a passage that was
        not imported goes to its document)."""
        for key in self.r.project_notes:
            found.by_note("project", None, key, "the project")
        for text in self.r.project_descriptions:
            found.memos.append(("project", None, None, "Project description", text))
        for source in self.r.sources:
            for key in source.notes:
                found.by_note("document", source.doc_id, key, f"'{source.name}'")
            for text in source.descriptions:
                found.memos.append(("document", source.doc_id, None, "", text))
        for path, keys in self.r.code_notes.items():
            code_id = self.code_ids_by_path.get(path)
            for key in keys:
                if code_id is not None:
                    found.by_note("code", code_id, key, f"code '{'/'.join(path)}'")
        placed = {id(s) for s, _c, _i, _k in self.placed}
        for source in self.r.sources:
            for selection in source.selections:
                first = next((self.coding_ids[id(c)] for c in selection.codings if id(c) in self.coding_ids), None)
                target = ("coding", first) if first is not None else ("document", source.doc_id)
                if id(selection) not in placed and (selection.notes or selection.descriptions):
                    self.warnings.append(f"'{source.name}': a note on a passage that was not imported is kept "
                                         "as a memo on the document")
                for key in selection.notes:
                    found.by_note(*target, key, f"a passage in '{source.name}'")
                for text in selection.descriptions:
                    found.memos.append((*target, None, "", text))
                for coding in selection.codings:
                    own = ("coding", self.coding_ids[id(coding)]) if id(coding) in self.coding_ids else target
                    for key in coding.notes:
                        found.by_note(*own, key, f"a coding in '{source.name}'")

    def _link_targets(self) -> dict[str, tuple[str, int]]:
        """What a <Link> from a note can point at, by GUID key: documents,
        codes, cases and codings (by their selection's GUID or their own)."""
        targets: dict[str, tuple[str, int]] = {}
        for source in self.r.sources:
            if source.key:
                targets.setdefault(source.key, ("document", source.doc_id))
        for key, code_id in self.code_ids.items():
            targets.setdefault(key, ("code", code_id))
        for case in self.cases:
            if case.key:
                targets.setdefault(case.key, ("case", case.case_id))
        for source in self.r.sources:
            for selection in source.selections:
                for coding in selection.codings:
                    if id(coding) in self.coding_ids:
                        for key in (selection.key, guid_key(coding.guid)):
                            if key:
                                targets.setdefault(key, ("coding", self.coding_ids[id(coding)]))
        return targets

    def _insert_memos(self, found: _Memos) -> None:
        """One memo row per memo found (empty ones skipped and counted); the
        same note on several targets keeps its GUID on the first only."""
        from fieldnotes.ids import new_guid, now

        notes = found.notes
        used: set[str] = set()
        empty = 0
        for target_type, target_id, key, title, text in found.memos:
            if not text.strip():
                empty += 1
                continue
            note = notes.get(key) if key else None
            coder_id = None
            if note is not None and (note.user is not None):
                coder_id = self.project.coders.coder_id(self._coder(note.user))
            created = xsd_datetime(note.created) if note else None
            modified = xsd_datetime(note.modified) if note else None
            stamp = now()
            guid = key if key and valid_guid(key) and key not in used else new_guid()
            used.add(guid)
            queries.add_memo(self.conn, guid, target_type, target_id, title, text, coder_id, created or stamp,
                             modified or created or stamp)
            self.summary.memos += 1
        if empty:
            self.warnings.append(f"{plural(empty, 'empty note')} skipped")


class _Memos:
    """The memos an import will make, as (target type, target id, note key
    or None, title, text), and which notes something referred to."""

    def __init__(self, notes: dict[str, Note], warnings: list[str]) -> None:
        self.notes = notes
        self.warnings = warnings
        self.memos: list[tuple[str, int | None, str | None, str, str]] = []
        self.referenced: set[str] = set()

    def by_note(self, target_type: str, target_id: int | None, key: str | None, where: str) -> None:
        """A memo on the target from the note ``key`` (a warning when there
        is no such note)."""
        if key is None or key not in self.notes:
            self.warnings.append(f"{where} refers to a note that is not in the project; skipped")
            return
        self.referenced.add(key)
        self.memos.append((target_type, target_id, key, self.notes[key].title, self.notes[key].text))


def _selection_guid(selection: Selection, coding: Coding) -> str | None:
    """The GUID a coding keeps: its selection's when the selection holds one
    coding (fieldnotes writes a selection per coding), else the <Coding>'s."""
    if len(selection.codings) == 1 and selection.key:
        return selection.key
    return coding.guid


def _kind(value: str) -> str:
    return value.strip().casefold().replace(" ", "_").replace("-", "_")


def _remove_quietly(name: str | Path) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
