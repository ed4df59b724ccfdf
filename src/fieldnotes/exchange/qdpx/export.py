"""Writing a project as a REFI-QDA project file (``.qdpx``): project.qde,
the source texts and fieldnotes' own extension entry, pseudonymised by
default (see :mod:`fieldnotes.exchange.qdpx`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from fieldnotes.errors import FieldnotesError
from fieldnotes.exchange import qdc
from fieldnotes.exchange.elements import xml_text
from fieldnotes.exchange.qdpx.format import (
    EXTENSION_ENTRY, EXTENSION_NAMESPACE, KIND_VARIABLE, NAME_CHARS, NAMESPACE, TYPE_TO_REFI, QdpxError, derived,
    guid_or_derived, xsd_datetime,
)
from fieldnotes.model import KINDS, CodeNode
from fieldnotes.store.queries import exchange as queries

if TYPE_CHECKING:
    from fieldnotes.project import Project

_VALUE_ELEMENT = {"integer": "IntegerValue", "number": "FloatValue", "date": "DateValue", "text": "TextValue"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _sub(parent: ET.Element, tag: str, **attrs: str | None) -> ET.Element:
    return ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})


def export_qdpx(project: Project, path: Path, *, pseudonymised: bool = True, view: Any = None) -> dict[str, int]:
    """Write ``project`` as a REFI-QDA project file (``.qdpx``) at ``path``.

    The file holds ``project.qde`` (valid against ``Project.xsd``) and
    ``sources/<guid>.txt`` (UTF-8) per document. With ``pseudonymised`` (the
    default) texts, codings and every other piece of text are pseudonymised
    (see the module docstring). The file is written to a temporary file next
    to ``path`` and renamed over it once complete.

    Returns counts of what was written: ``users``, ``codes``, ``variables``,
    ``cases``, ``documents``, ``codings``, ``memos``, and with
    ``pseudonymised`` also ``documents_pseudonymised`` (documents whose text
    changed) and ``strings_pseudonymised`` (names, memos and values changed).
    """
    path = Path(path)
    if view is None:
        view = project.pseudonyms.pseudonymised_view() if pseudonymised else project.pseudonyms.original_view()
    pseudonymised = view.pseudonymised
    exporter = Exporter(project, view)
    _write_zip(path, exporter)
    project.audit("export.qdpx", {"to": str(path), "pseudonymised": pseudonymised, **exporter.counts})
    return dict(exporter.counts)


def _write_zip(path: Path, exporter: Exporter) -> None:
    from fieldnotes.output import atomic_file

    try:
        with atomic_file(path) as out, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            qde = exporter.build(archive)
            archive.writestr("project.qde", qde)
            archive.writestr(EXTENSION_ENTRY, extension_xml(exporter))
    except QdpxError:
        raise
    except FieldnotesError as exc:  # the file could not be written
        raise QdpxError(str(exc)) from None


class Exporter:
    """Builds project.qde and writes the sources into the zip as it goes."""

    def __init__(self, project: Project, view: Any) -> None:
        self.project = project
        self.conn = project.conn
        self.view = view
        self.pseudonymised = view.pseudonymised
        self.counts = {"users": 0, "codes": 0, "variables": 0, "cases": 0, "documents": 0, "codings": 0,
                       "memos": 0}
        if self.pseudonymised:
            self.counts.update(documents_pseudonymised=0, strings_pseudonymised=0)
        self.written: list[tuple[int, str, str, Any]] = []  # (document id, source GUID, text as written, offset map)

    def scrub(self, text: str | None, table: str = "memos", column: str = "text") -> str:
        """``text`` of ``table.column`` through the view, by the column's
        classified policy."""
        text = text or ""
        if not text:
            return text
        out = self.view.column(table, column, text) or ""
        if out != text:
            self.counts["strings_pseudonymised"] += 1
        return out

    # Everything below reads the project; nothing writes to it.

    def build(self, archive: zipfile.ZipFile) -> bytes:
        root = ET.Element("Project", {
            "xmlns": NAMESPACE,
            "name": xml_text(self.scrub(self.project.path.stem, "documents", "name")) or "fieldnotes project",
            "origin": f"fieldnotes {_version()}",
            "creationDateTime": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        })
        self.coders = queries.coders(self.conn)
        self.coder_guids = {coder_id: guid_or_derived(guid, "coder", coder_id) for coder_id, guid, _ in self.coders}
        self._memos()
        self._users(root)
        self._codebook(root)
        self._variables(root)
        self._cases(root)
        self._sources(root, archive)
        self._notes(root)
        for note_guid in self.memo_refs.get(("project", None), []):
            _sub(root, "NoteRef", targetGUID=note_guid)
        ET.indent(root, space="  ")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")

    def _memos(self) -> None:
        self.memo_rows = queries.memos(self.conn)
        self.memo_refs: dict[tuple[str, int | None], list[str]] = {}
        for memo_id, guid, target_type, target_id, *_ in self.memo_rows:
            self.memo_refs.setdefault((target_type, target_id), []).append(guid_or_derived(guid, "memo", memo_id))

    def _users(self, root: ET.Element) -> None:
        if not self.coders:
            return
        users = _sub(root, "Users")
        for coder_id, _guid, name in self.coders:
            _sub(users, "User", guid=self.coder_guids[coder_id], name=xml_text(name))
            self.counts["users"] += 1

    def _codebook(self, root: ET.Element) -> None:
        codes = self.project.codebook.codes(counts=False)
        self.code_guids = {c.id: guid_or_derived(c.guid, "code", c.id) for c in codes}
        if not codes:
            return
        by_guid = {c.guid: c for c in codes}
        nodes = self.project.codebook.codebook_nodes()

        def prepare(node: CodeNode) -> None:
            code = by_guid[node.guid]
            node.guid = self.code_guids[code.id]
            for name in ("name", "description", "inclusion", "exclusion", "example"):
                setattr(node, name, self.scrub(getattr(node, name), "codes", name))
            for child in node.children:
                prepare(child)

        for node in nodes:
            prepare(node)
        book = _sub(root, "CodeBook")
        codes_element = _sub(book, "Codes")
        try:
            for node in nodes:
                qdc.write_code(codes_element, node, (), set(), Path("project.qde"))
        except qdc.QdcError as err:
            raise QdpxError(str(err)) from None
        refs = {self.code_guids[c.id]: self.memo_refs.get(("code", c.id), []) for c in codes}
        for element in codes_element.iter("Code"):
            self.counts["codes"] += 1
            notes = refs.get(element.get("guid"), [])
            # NoteRef sits after the Description and before the sub-codes.
            at = 1 if len(element) and element[0].tag == "Description" else 0
            for offset, note_guid in enumerate(notes):
                element.insert(at + offset, ET.Element("NoteRef", {"targetGUID": note_guid}))

    def _variables(self, root: ET.Element) -> None:
        rows = queries.variables(self.conn)
        self.variables = {r[0]: (guid_or_derived(r[1], "variable", r[0]), r[3]) for r in rows}
        self.values: dict[tuple[str, int], list[tuple[int, Any]]] = {}
        for var_id, owner_type, owner_id, value in queries.attribute_values(self.conn):
            self.values.setdefault((owner_type, owner_id), []).append((var_id, value))
        # The kind travels as a variable, unless the project has one of that name.
        self.kind_guid = None if any(r[2] == KIND_VARIABLE for r in rows) else derived("variable", KIND_VARIABLE)
        if not rows and self.kind_guid is None:
            return
        variables = _sub(root, "Variables")
        for var_id, _guid, name, type_, description in rows:
            element = _sub(variables, "Variable", guid=self.variables[var_id][0], name=xml_text(name),
                           typeOfVariable=TYPE_TO_REFI.get(type_, "Text"))
            if description:
                ET.SubElement(element, "Description").text = xml_text(self.scrub(description, "variables", "description"))
            self.counts["variables"] += 1
        if self.kind_guid is not None:
            element = _sub(variables, "Variable", guid=self.kind_guid, name=KIND_VARIABLE, typeOfVariable="Text")
            ET.SubElement(element, "Description").text = (
                "fieldnotes document kind: " + ", ".join(KINDS))
            self.counts["variables"] += 1

    def _value(self, parent: ET.Element, var_id: int, value: Any) -> None:
        if value is None or value == "":
            return
        guid, type_ = self.variables[var_id]
        element = _sub(parent, "VariableValue")
        _sub(element, "VariableRef", targetGUID=guid)
        tag, text = _VALUE_ELEMENT.get(type_, "TextValue"), None
        try:
            if type_ == "integer" and not isinstance(value, bool) and float(value) == int(float(value)):
                text = str(int(float(value)))
            elif type_ == "number" and not isinstance(value, bool):
                number = Decimal(repr(float(value)))
                text = format(number, "f") if number.is_finite() else None
            elif type_ == "date" and _ISO_DATE.fullmatch(str(value)):
                text = str(value)
        except (TypeError, ValueError, InvalidOperation, OverflowError):
            text = None
        if text is None:
            # Not of the variable's type after all: a text value keeps it.
            tag, text = "TextValue", self.scrub(str(value), "attributes", "value")
        ET.SubElement(element, tag).text = xml_text(text)

    def _cases(self, root: ET.Element) -> None:
        rows = queries.cases(self.conn)
        self.case_guids = {r[0]: guid_or_derived(r[1], "case", r[0]) for r in rows}
        if not rows:
            return
        members: dict[int, list[int]] = {}
        for doc_id, case_id in queries.case_members(self.conn):
            members.setdefault(case_id, []).append(doc_id)
        doc_guids = queries.document_guids(self.conn)
        cases = _sub(root, "Cases")
        for case_id, _guid, name, description in rows:
            element = _sub(cases, "Case", guid=self.case_guids[case_id], name=xml_text(self.scrub(name, "cases", "name")))
            if description:
                ET.SubElement(element, "Description").text = xml_text(self.scrub(description, "cases", "description"))
            for var_id, value in self.values.get(("case", case_id), []):
                self._value(element, var_id, value)
            for doc_id in members.get(case_id, []):
                _sub(element, "SourceRef", targetGUID=guid_or_derived(doc_guids[doc_id], "document", doc_id))
            self.counts["cases"] += 1

    def _default_user(self) -> str | None:
        """Who is named as having brought the documents in: the current coder
        when known to the project, else the first coder."""
        acting = self.project.coders.find(self.project.coders.coder_name())
        coder_id = acting.id if acting else queries.first_coder(self.conn)
        return self.coder_guids[coder_id] if coder_id is not None else None

    def _sources(self, root: ET.Element, archive: zipfile.ZipFile) -> None:
        rows = queries.documents(self.conn)
        if not rows:
            return
        creator = self._default_user()
        sources = _sub(root, "Sources")
        for doc_id, guid, name, kind, imported_at in rows:
            guid = guid_or_derived(guid, "document", doc_id)
            text, mapping = self.view.document(doc_id)
            if mapping is not None and mapping.replacements:
                self.counts["documents_pseudonymised"] += 1
            shown_name = self.view.document_name(doc_id)
            archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
            self.written.append((doc_id, guid, text, mapping))  # for the fieldnotes extension
            element = _sub(sources, "TextSource", guid=guid, name=xml_text(shown_name),
                           plainTextPath=f"internal://{guid}.txt", creatingUser=creator,
                           creationDateTime=xsd_datetime(imported_at))
            for coding_id, coding_guid, code_id, start, end, coder_id, created_at in queries.document_codings(
                    self.conn, doc_id):
                if mapping is not None:
                    start, end = mapping.range_to_view(start, end)
                coding_guid = guid_or_derived(coding_guid, "coding", coding_id)
                user = self.coder_guids.get(coder_id)
                stamp = xsd_datetime(created_at)
                selection = _sub(element, "PlainTextSelection", guid=coding_guid,
                                 name=xml_text(text[start:end][:NAME_CHARS]), startPosition=str(start),
                                 endPosition=str(end), creatingUser=user, creationDateTime=stamp)
                coding = _sub(selection, "Coding", guid=derived("coding", coding_guid), creatingUser=user,
                              creationDateTime=stamp)
                _sub(coding, "CodeRef", targetGUID=self.code_guids[code_id])
                for note_guid in self.memo_refs.get(("coding", coding_id), []):
                    _sub(selection, "NoteRef", targetGUID=note_guid)
                self.counts["codings"] += 1
            for note_guid in self.memo_refs.get(("document", doc_id), []):
                _sub(element, "NoteRef", targetGUID=note_guid)
            for var_id, value in self.values.get(("document", doc_id), []):
                self._value(element, var_id, value)
            if self.kind_guid is not None:
                value = _sub(element, "VariableValue")
                _sub(value, "VariableRef", targetGUID=self.kind_guid)
                ET.SubElement(value, "TextValue").text = kind
            self.counts["documents"] += 1

    def _notes(self, root: ET.Element) -> None:
        if not self.memo_rows:
            return
        notes = _sub(root, "Notes")
        links: list[tuple[str, str]] = []
        for memo_id, guid, target_type, target_id, title, text, coder_id, created_at, updated_at in self.memo_rows:
            note_guid = guid_or_derived(guid, "memo", memo_id)
            user = self.coder_guids.get(coder_id)
            note = _sub(notes, "Note", guid=note_guid, name=xml_text(self.scrub(title, "memos", "title")) or None,
                        creatingUser=user, creationDateTime=xsd_datetime(created_at), modifyingUser=user,
                        modifiedDateTime=xsd_datetime(updated_at))
            ET.SubElement(note, "PlainTextContent").text = xml_text(self.scrub(text, "memos", "text"))
            if target_type == "case" and target_id in self.case_guids:
                links.append((note_guid, self.case_guids[target_id]))
            self.counts["memos"] += 1
        if links:
            element = _sub(root, "Links")
            for note_guid, case_guid in links:
                _sub(element, "Link", guid=derived("link", note_guid, case_guid), name="memo",
                     originGUID=note_guid, targetGUID=case_guid)


def extension_xml(exporter: Exporter) -> bytes:
    """The fieldnotes extension entry: for each source written, its original
    format and encoding and its speaker turns with their time codes, so that
    fieldnotes -> .qdpx -> fieldnotes keeps them. In a pseudonymised export
    the turns sit on the pseudonymised text and their speaker labels go
    through the same replacements as the text (``pseudonymised_turns``); the
    original file's hash is written only when the export is not pseudonymised.
    ``sha256`` is the hash of the source text as written, so an importer can
    tell that the text is the one the turns were made for."""
    project, conn = exporter.project, exporter.conn
    root = ET.Element("FieldnotesExtension", {"xmlns": EXTENSION_NAMESPACE, "version": "1"})
    for doc_id, guid, text, mapping in exporter.written:
        name, fmt, encoding, sha256 = queries.document_origin(conn, doc_id)
        turns = project.document(name).turns
        if exporter.pseudonymised:
            # Never a real speaker label in a pseudonymised file: without the
            # offset map of the text as written, no turns at all. The raw
            # pseudonymiser, so labels do not count as extra strings changed.
            turns = [] if mapping is None else project.pseudonyms.pseudonymised_turns(
                turns, mapping, lambda label: exporter.view.speaker(label) if label else label)
        source = _sub(root, "Source", guid=guid, format=fmt or "txt", encoding=encoding or None,
                      sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                      originalSha256=None if exporter.pseudonymised else sha256)
        for turn in turns:
            _sub(source, "Turn", speaker=xml_text(turn.speaker) if turn.speaker is not None else None,
                 start=str(turn.start), end=str(turn.end),
                 timeStart=repr(turn.time_start) if turn.time_start is not None else None,
                 timeEnd=repr(turn.time_end) if turn.time_end is not None else None)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _version() -> str:
    from fieldnotes import __version__

    return __version__

