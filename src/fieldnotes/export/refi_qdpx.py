"""REFI-QDA projects (``.qdpx``): hand a whole project to NVivo, ATLAS.ti,
MAXQDA or QualCoder, and take theirs in.

A ``.qdpx`` file is a zip holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, schema ``fieldnotes/schemas/Project.xsd``) and a
``sources/`` folder with each document's plain text.

Example::

    from fieldnotes.export.refi_qdpx import export_qdpx, import_qdpx

    counts = export_qdpx(project, Path("study.qdpx"))            # pseudonymised
    theirs, summary = import_qdpx(Path("nvivo.qdpx"), Path("theirs.fnp"))
    for warning in summary.warnings:
        print(warning)

How fieldnotes maps onto the format (decisions others can rely on):

* **Coders** are ``<Users>`` (their stored GUIDs). A coding is one
  ``<PlainTextSelection>`` whose ``guid`` is the coding's GUID, whose
  ``creatingUser`` is the coder's GUID and whose ``<Coding>`` child (a GUID
  derived from the coding's, so stable across exports) has a ``<CodeRef>`` to
  the code. Positions are character (code point) offsets into the source text,
  end exclusive. The selection's ``name`` is the start of the coded text (up
  to 200 characters), which lets an importer check that it lands on the words.
* **Codes** go through the codebook helpers of :mod:`fieldnotes.codebook.qdc`:
  stored GUIDs, ``#RRGGBB`` colours, one ``<Description>`` with ``Include:``,
  ``Exclude:`` and ``Example:`` paragraphs.
* **Attributes** are ``<Variables>`` (integer -> Integer, number -> Float,
  date -> Date, text -> Text) with values on the ``<TextSource>`` (documents)
  or the ``<Case>`` (cases). The document kind travels as a Text variable
  ``kind``; on import a variable called ``kind`` whose values are all
  fieldnotes kinds sets the kind (else documents are "other" and the values
  are kept as the attribute ``source_kind``). Boolean and DateTime variables
  of other tools arrive as text.
* **Cases** carry their attributes (``<VariableValue>``), their description
  and a ``<SourceRef>`` per member document. A case without a name and with a
  single ``<SourceRef>`` (how MAXQDA and Quirkos attach document variables)
  gives its values to that document instead of becoming a case.
* **Memos** are ``<Note>``s in ``<Notes>`` (title -> ``name``, text ->
  ``<PlainTextContent>``, coder -> ``creatingUser``), referenced by a
  ``<NoteRef>`` where the schema allows one: on the project (project memos),
  the ``<TextSource>`` (document memos), the ``<Code>`` (code memos) and the
  ``<PlainTextSelection>`` (coding memos). The schema gives cases no NoteRef,
  so a case memo is linked by a ``<Link>`` from the note to the case. On
  import, notes referenced from elsewhere, ``<Description>`` elements on a
  source or a selection, and notes nothing references (journals) all become
  memos; a note on a selection that could not be imported lands on the
  document, or on the project.
* **Pseudonymised by default**: everything is read through a view of the
  project (:mod:`fieldnotes.pseudonymise.view`), each column treated as
  :mod:`fieldnotes.store.classification` says: the sources hold the
  pseudonymised text, every selection is remapped onto it (a coding never
  shows half a pseudonym), and memo texts and titles, case names and
  descriptions, text attribute values, document names, code names and
  descriptions and the project name are scrubbed.
* **fieldnotes' own data** that the format has no place for (speaker turns
  with speakers and time codes, each document's original format and
  encoding) travels in ``fieldnotes/extension.xml``, namespace
  ``urn:fieldnotes:qdpx-extension:1``, an entry beside ``project.qde``:
  ``Project.xsd`` has no ``xs:any``, so foreign elements inside project.qde
  would make it invalid. Each ``<Source>`` carries the SHA-256 of the source
  text it was made for; on import its turns are used only when the text
  matches, else turns are detected again (with a warning). Written by
  :func:`_extension_xml`; pseudonymised exports carry turns mapped onto the
  pseudonymised text, their speakers through the same replacements.
* **Import is lenient** (see ``shared/refi-qda/README.md``): any ``.qde`` name,
  ``Sources/`` in any case, extra entries, any namespace (elements are matched
  on local names), RGB colours, ``<Sets/>``, backslash-flattened code names,
  missing or duplicate GUIDs (new ones are made), lost source texts (the
  document is imported and selections outside its text are reported), CRLF
  texts (normalised to LF with positions remapped so that selections keep
  their words; when the positions were evidently counted with LF line endings
  or in UTF-16 units, as some tools do, they are read that way), PDF, picture,
  audio and video sources (skipped and reported).
* **Import is strict about safety**: entries whose path is absolute, names a
  drive, climbs out with ``..`` or contains a backslash are refused, as are
  archives over 1 GB unpacked (or a ``.qde`` over 64 MB), with more than 10,000 entries, or with an entry
  compressed more than 200 times (a zip bomb); nothing is ever unpacked to
  disk, and files outside the archive (``file://``, ``absolute://``,
  ``relative://``) are never read: only a copy inside the archive is. The XML
  is parsed with defusedxml, DTDs and entities forbidden (no XXE). The import
  is one transaction into a temporary file that replaces nothing: on any
  failure the partial project is removed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
import posixpath
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET

from fieldnotes.codebook import qdc
from fieldnotes.errors import FieldnotesError
from fieldnotes.model import KINDS, CodeNode

if TYPE_CHECKING:
    from fieldnotes.project import Project

__all__ = ["NAMESPACE", "ImportSummary", "QdpxError", "export_qdpx", "import_qdpx"]

NAMESPACE = "urn:QDA-XML:project:1.0"

#: Limits on what an import unpacks (in memory, never on disk).
MAX_TOTAL_BYTES = 1024**3
MAX_ENTRIES = 10_000
#: The project XML is parsed whole; at about five bytes of memory per byte of
#: XML this keeps an import under 500 MB. 64 MB holds about 100,000 codings.
MAX_QDE_BYTES = 64 * 1024 * 1024
#: An entry that unpacks to more than this many times its packed size (and to
#: over 1 MB) is taken for a zip bomb; real text and XML stay far below.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024

#: fieldnotes' own data that REFI-QDA has no place for (speaker turns, time
#: codes, source formats) travels in this archive entry, in its own
#: namespace. Project.xsd admits no foreign elements or attributes anywhere
#: (it has no xs:any or xs:anyAttribute), so putting them inside project.qde
#: would make the file invalid; other programs ignore an extra entry.
EXTENSION_ENTRY = "fieldnotes/extension.xml"
EXTENSION_NAMESPACE = "urn:fieldnotes:qdpx-extension:1"

TYPE_TO_REFI = {"integer": "Integer", "number": "Float", "date": "Date", "text": "Text"}
REFI_TO_TYPE = {"integer": "integer", "float": "number", "date": "date", "text": "text",
                "boolean": "text", "datetime": "text"}
_VALUE_ELEMENT = {"integer": "IntegerValue", "number": "FloatValue", "date": "DateValue", "text": "TextValue"}
_VALUE_TAGS = {"textvalue", "booleanvalue", "integervalue", "floatvalue", "datevalue", "datetimevalue"}

KIND_VARIABLE = "kind"
#: Where the kind of a foreign document goes when its values are not kinds.
FOREIGN_KIND_ATTRIBUTE = "source_kind"
UNKNOWN_CODER = "unknown coder"
_NAME_CHARS = 200

# Derived GUIDs (for the <Coding> inside a selection, the kind variable, links
# and anything whose stored GUID is not a GUID) are uuid5 of this namespace,
# so that two exports of the same project agree.
_DERIVED = uuid.uuid5(uuid.NAMESPACE_URL, "https://fieldnotes.invalid/refi-qdpx")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DRIVE = re.compile(r"^[A-Za-z]:")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(.*)$", re.DOTALL)


class QdpxError(FieldnotesError):
    """A .qdpx file cannot be written or read; the message names the file,
    says what is wrong and what to do."""


@dataclass(slots=True)
class ImportSummary:
    """What an import brought in, and what the researcher should know."""

    documents: int = 0
    codes: int = 0
    codings: int = 0
    cases: int = 0
    variables: int = 0
    memos: int = 0
    coders: int = 0
    warnings: list[str] = field(default_factory=list)


# -- small helpers ---------------------------------------------------------------


def _derived(*parts: object) -> str:
    return str(uuid.uuid5(_DERIVED, "|".join(str(p) for p in parts)))


def _valid_guid(value: str | None) -> bool:
    return bool(value) and bool(qdc._GUID.fullmatch(value.strip()))


def _guid_or_derived(value: str | None, *salt: object) -> str:
    return value.strip() if _valid_guid(value) else _derived(*salt, value)


def _key(value: str | None) -> str | None:
    """How GUIDs are compared: braces and case do not matter. Not checked
    for validity, so a tool that uses other identifiers consistently still
    links up."""
    if value is None:
        return None
    key = value.strip().strip("{}").strip().lower()
    return key or None


def _xml_text(text: str | None) -> str:
    return qdc._NOT_XML.sub("", text or "")


def _xsd_datetime(value: Any) -> str | None:
    """``value`` as an xsd:dateTime, or None when it is not a date and time."""
    if value is None:
        return None
    text = str(value).strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return dt.datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _sub(parent: ET.Element, tag: str, **attrs: str | None) -> ET.Element:
    return ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})


def _local(elem: ET.Element) -> str:
    return qdc._local(elem.tag)


def _children(elem: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in elem if _local(c) in names]


def _first(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c) == name), None)


def _text_of(elem: ET.Element | None) -> str:
    return "".join(elem.itertext()) if elem is not None else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# -- export ------------------------------------------------------------------------


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
    exporter = _Exporter(project, view)
    _write_zip(path, exporter)
    project.audit("export.qdpx", {"to": str(path), "pseudonymised": pseudonymised, **exporter.counts})
    return dict(exporter.counts)


def _write_zip(path: Path, exporter: _Exporter) -> None:
    from fieldnotes.export.safe import atomic_file

    try:
        with atomic_file(path) as out, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            qde = exporter.build(archive)
            archive.writestr("project.qde", qde)
            archive.writestr(EXTENSION_ENTRY, _extension_xml(exporter))
    except QdpxError:
        raise
    except FieldnotesError as exc:  # the file could not be written
        raise QdpxError(str(exc)) from None


def _remove_quietly(name: str | Path) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


class _Exporter:
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
        conn = self.conn
        root = ET.Element("Project", {
            "xmlns": NAMESPACE,
            "name": _xml_text(self.scrub(self.project.path.stem, "documents", "name")) or "fieldnotes project",
            "origin": f"fieldnotes {_version()}",
            "creationDateTime": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        })
        self.coder_guids = {
            coder_id: _guid_or_derived(guid, "coder", coder_id)
            for coder_id, guid in conn.execute("SELECT id, guid FROM coders ORDER BY id")
        }
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
        self.memo_rows = self.conn.execute(
            "SELECT id, guid, target_type, target_id, title, text, coder_id, created_at, updated_at "
            "FROM memos ORDER BY id").fetchall()
        self.memo_refs: dict[tuple[str, int | None], list[str]] = {}
        for memo_id, guid, target_type, target_id, *_ in self.memo_rows:
            self.memo_refs.setdefault((target_type, target_id), []).append(_guid_or_derived(guid, "memo", memo_id))

    def _users(self, root: ET.Element) -> None:
        rows = self.conn.execute("SELECT id, name FROM coders ORDER BY id").fetchall()
        if not rows:
            return
        users = _sub(root, "Users")
        for coder_id, name in rows:
            _sub(users, "User", guid=self.coder_guids[coder_id], name=_xml_text(name))
            self.counts["users"] += 1

    def _codebook(self, root: ET.Element) -> None:
        codes = self.project.codebook.codes(counts=False)
        self.code_guids = {c.id: _guid_or_derived(c.guid, "code", c.id) for c in codes}
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
                qdc._write_code(codes_element, node, (), set(), Path("project.qde"))
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
        rows = self.conn.execute("SELECT id, guid, name, type, description FROM variables ORDER BY name").fetchall()
        self.variables = {r[0]: (_guid_or_derived(r[1], "variable", r[0]), r[3]) for r in rows}
        self.values: dict[tuple[str, int], list[tuple[int, Any]]] = {}
        for var_id, owner_type, owner_id, value in self.conn.execute(
                "SELECT a.variable_id, a.owner_type, a.owner_id, a.value FROM attributes a "
                "JOIN variables v ON v.id = a.variable_id ORDER BY v.name"):
            self.values.setdefault((owner_type, owner_id), []).append((var_id, value))
        # The kind travels as a variable, unless the project has one of that name.
        self.kind_guid = None if any(r[2] == KIND_VARIABLE for r in rows) else _derived("variable", KIND_VARIABLE)
        if not rows and self.kind_guid is None:
            return
        variables = _sub(root, "Variables")
        for var_id, _guid, name, type_, description in rows:
            element = _sub(variables, "Variable", guid=self.variables[var_id][0], name=_xml_text(name),
                           typeOfVariable=TYPE_TO_REFI.get(type_, "Text"))
            if description:
                ET.SubElement(element, "Description").text = _xml_text(self.scrub(description, "variables", "description"))
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
        ET.SubElement(element, tag).text = _xml_text(text)

    def _cases(self, root: ET.Element) -> None:
        rows = self.conn.execute("SELECT id, guid, name, description FROM cases ORDER BY name").fetchall()
        self.case_guids = {r[0]: _guid_or_derived(r[1], "case", r[0]) for r in rows}
        if not rows:
            return
        members: dict[int, list[int]] = {}
        for doc_id, case_id in self.conn.execute(
                "SELECT dc.document_id, dc.case_id FROM document_cases dc JOIN documents d ON d.id = dc.document_id "
                "ORDER BY d.name"):
            members.setdefault(case_id, []).append(doc_id)
        doc_guids = dict(self.conn.execute("SELECT id, guid FROM documents"))
        cases = _sub(root, "Cases")
        for case_id, _guid, name, description in rows:
            element = _sub(cases, "Case", guid=self.case_guids[case_id], name=_xml_text(self.scrub(name, "cases", "name")))
            if description:
                ET.SubElement(element, "Description").text = _xml_text(self.scrub(description, "cases", "description"))
            for var_id, value in self.values.get(("case", case_id), []):
                self._value(element, var_id, value)
            for doc_id in members.get(case_id, []):
                _sub(element, "SourceRef", targetGUID=_guid_or_derived(doc_guids[doc_id], "document", doc_id))
            self.counts["cases"] += 1

    def _default_user(self) -> str | None:
        """Who is named as having brought the documents in: the current coder
        when known to the project, else the first coder."""
        acting = self.project.coders.find(self.project.coders.coder_name())
        row = (acting.id,) if acting else self.conn.execute("SELECT id FROM coders ORDER BY id LIMIT 1").fetchone()
        return self.coder_guids[row[0]] if row else None

    def _sources(self, root: ET.Element, archive: zipfile.ZipFile) -> None:
        rows = self.conn.execute("SELECT id, guid, name, kind, imported_at FROM documents ORDER BY name").fetchall()
        if not rows:
            return
        creator = self._default_user()
        sources = _sub(root, "Sources")
        for doc_id, guid, name, kind, imported_at in rows:
            guid = _guid_or_derived(guid, "document", doc_id)
            text, mapping = self.view.document(doc_id)
            if mapping is not None and mapping.replacements:
                self.counts["documents_pseudonymised"] += 1
            shown_name = self.view.document_name(doc_id)
            archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
            self.written.append((doc_id, guid, text, mapping))  # for the fieldnotes extension
            element = _sub(sources, "TextSource", guid=guid, name=_xml_text(shown_name),
                           plainTextPath=f"internal://{guid}.txt", creatingUser=creator,
                           creationDateTime=_xsd_datetime(imported_at))
            for coding_id, coding_guid, code_id, start, end, coder_id, created_at in self.conn.execute(
                    'SELECT id, guid, code_id, start, "end", coder_id, created_at FROM codings '
                    'WHERE document_id = ? ORDER BY start, "end", id', [doc_id]).fetchall():
                if mapping is not None:
                    start, end = mapping.range_to_view(start, end)
                coding_guid = _guid_or_derived(coding_guid, "coding", coding_id)
                user = self.coder_guids.get(coder_id)
                stamp = _xsd_datetime(created_at)
                selection = _sub(element, "PlainTextSelection", guid=coding_guid,
                                 name=_xml_text(text[start:end][:_NAME_CHARS]), startPosition=str(start),
                                 endPosition=str(end), creatingUser=user, creationDateTime=stamp)
                coding = _sub(selection, "Coding", guid=_derived("coding", coding_guid), creatingUser=user,
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
            note_guid = _guid_or_derived(guid, "memo", memo_id)
            user = self.coder_guids.get(coder_id)
            note = _sub(notes, "Note", guid=note_guid, name=_xml_text(self.scrub(title, "memos", "title")) or None,
                        creatingUser=user, creationDateTime=_xsd_datetime(created_at), modifyingUser=user,
                        modifiedDateTime=_xsd_datetime(updated_at))
            ET.SubElement(note, "PlainTextContent").text = _xml_text(self.scrub(text, "memos", "text"))
            if target_type == "case" and target_id in self.case_guids:
                links.append((note_guid, self.case_guids[target_id]))
            self.counts["memos"] += 1
        if links:
            element = _sub(root, "Links")
            for note_guid, case_guid in links:
                _sub(element, "Link", guid=_derived("link", note_guid, case_guid), name="memo",
                     originGUID=note_guid, targetGUID=case_guid)


def _extension_xml(exporter: _Exporter) -> bytes:
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
        name, fmt, encoding, sha256 = conn.execute(
            "SELECT name, format, encoding, sha256 FROM documents WHERE id = ?", [doc_id]).fetchone()
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
            _sub(source, "Turn", speaker=_xml_text(turn.speaker) if turn.speaker is not None else None,
                 start=str(turn.start), end=str(turn.end),
                 timeStart=repr(turn.time_start) if turn.time_start is not None else None,
                 timeEnd=repr(turn.time_end) if turn.time_end is not None else None)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _version() -> str:
    from fieldnotes import __version__

    return __version__


# -- import: the archive ---------------------------------------------------------------


def _unsafe(name: str) -> str | None:
    """Why an entry name could write outside a folder it is unpacked into, or None."""
    if "\\" in name:
        return "contains a backslash (on Windows a folder separator)"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "names a drive"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of the archive with '..'"
    if any(ord(c) < 32 for c in name):
        return "contains control characters"
    return None


class _Archive:
    """A .qdpx opened for reading: every entry checked before anything is read,
    entries read into memory only, within the limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise QdpxError(f"{path} does not exist; check the file name and folder.") from None
        except IsADirectoryError:
            raise QdpxError(f"{path} is a folder, not a .qdpx file; choose the .qdpx file itself.") from None
        except zipfile.BadZipFile:
            raise QdpxError(
                f"{path} is not a REFI-QDA project: a .qdpx file is a zip archive and this is not one (or it "
                "is damaged); export the project again from the program that made it.") from None
        except OSError as err:
            raise QdpxError(f"{path} cannot be read ({err.strerror or err}); check the file and try again.") from None
        try:
            self._check()
        except BaseException:
            self.zip.close()
            raise
        self.read_bytes = 0
        self.prefix = ""

    def _check(self) -> None:
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise QdpxError(f"{self.path} holds {len(infos):,} files, more than the {MAX_ENTRIES:,} fieldnotes "
                            "accepts in a .qdpx; check that this is the right file.")
        total = 0
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            problem = _unsafe(info.filename)
            if problem:
                raise QdpxError(
                    f"{self.path} holds an entry named {info.filename!r}, which {problem}. fieldnotes refuses "
                    "such archives because unpacking them can write files outside the intended folder "
                    "(a \"zip slip\"); nothing was imported. Ask for a fresh export from the program that made it.")
            if info.flag_bits & 0x1:
                raise QdpxError(f"{self.path} is encrypted ({info.filename}); export it again without a password.")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise QdpxError(
                    f"{self.path} would unpack to more than {MAX_TOTAL_BYTES // 1024**3} GB, more than fieldnotes "
                    "accepts; it may be a zip bomb, or a project with large media files (export it without "
                    "them). Nothing was imported.")
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise QdpxError(
                    f"{self.path}: the entry {info.filename!r} unpacks to {info.file_size:,} bytes from "
                    f"{info.compress_size:,}, a ratio no real document has; it looks like a zip bomb, so "
                    "nothing was imported.")
            if info.is_dir():
                continue
            key = info.filename.casefold()
            if key in self.entries:
                raise QdpxError(f"{self.path} lists {info.filename!r} twice, so it is unclear which to read; "
                                "export the project again.")
            self.entries[key] = info

    def close(self) -> None:
        self.zip.close()

    def read(self, info: zipfile.ZipInfo) -> bytes:
        limit = min(info.file_size, MAX_TOTAL_BYTES - self.read_bytes)
        try:
            with self.zip.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as err:
            raise QdpxError(f"{self.path}: the entry {info.filename!r} cannot be unpacked ({err}); the file is "
                            "damaged, so export the project again.") from None
        if len(data) > limit:
            raise QdpxError(f"{self.path}: the entry {info.filename!r} unpacks to more than it declares; the "
                            "file is damaged or crafted, so nothing was imported.")
        self.read_bytes += len(data)
        return data

    def find_qde(self, warnings: list[str]) -> zipfile.ZipInfo:
        """The project XML: ``project.qde``, else the single ``.qde`` at the
        root (tools name it after the project), else the largest."""
        qdes = [i for i in self.entries.values() if i.filename.casefold().endswith(".qde")]
        if not qdes:
            raise QdpxError(
                f"{self.path} holds no .qde file, so it is not a REFI-QDA project (.qdpx); a codebook "
                "(.qdc) is imported with 'fieldnotes codebook import' instead.")
        depth = min(i.filename.count("/") for i in qdes)
        pool = [i for i in qdes if i.filename.count("/") == depth]
        named = [i for i in pool if posixpath.basename(i.filename).casefold() == "project.qde"]
        chosen = named[0] if named else max(pool, key=lambda i: i.file_size)
        if len(qdes) > 1:
            warnings.append(f"the .qdpx holds {len(qdes)} .qde files; read {chosen.filename}")
        self.prefix = posixpath.dirname(chosen.filename)
        return chosen

    def _lookup(self, relative: str) -> zipfile.ZipInfo | None:
        relative = posixpath.normpath(relative.lstrip("/"))
        if relative.startswith("..") or relative in {".", ""}:
            return None
        base = f"{self.prefix}/" if self.prefix else ""
        for candidate in (f"{base}sources/{relative}", f"{base}{relative}"):
            info = self.entries.get(candidate.casefold())
            if info is not None:
                return info
        return None

    def _by_name(self, name: str) -> zipfile.ZipInfo | None:
        """The one entry in a sources folder with this file name."""
        wanted = name.casefold()
        found = [i for key, i in self.entries.items()
                 if posixpath.basename(key) == wanted and "sources/" in f"/{key}"]
        return found[0] if len(found) == 1 else None

    def resolve(self, reference: str) -> tuple[zipfile.ZipInfo | None, str]:
        """The entry a source path names, and how it was found (or why not).
        Only entries of the archive are ever returned."""
        reference = reference.strip()
        match = _SCHEME.match(reference)
        scheme = match.group(1).casefold() if match and len(match.group(1)) > 1 else ""
        rest = unquote(match.group(2)) if scheme else reference
        if scheme == "internal":
            rest = rest.lstrip("/").replace("\\", "/")
            info = self._lookup(rest) or self._by_name(posixpath.basename(rest))
            return info, "" if info else "its file is missing from the .qdpx"
        name = posixpath.basename(rest.replace("\\", "/"))
        info = self._by_name(name) if name else None
        if info is not None:
            return info, f"it points outside the .qdpx ({reference}); read the copy inside the .qdpx"
        return None, (f"its text is outside the .qdpx ({reference}), and fieldnotes reads only files inside "
                      "the .qdpx; export the project again with the sources embedded")


def _parse_xml(data: bytes, where: str) -> ET.Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise QdpxError(
            f"{where} contains a DTD or entity declarations (<!DOCTYPE …> or <!ENTITY …>), which fieldnotes "
            "refuses for safety because they can read other files on your computer or expand to gigabytes; "
            "nothing was imported. Export the project again, or ask its author where it came from.") from None
    except ET.ParseError as err:
        line, column = err.position
        reason = expat.ErrorString(err.code) if err.code else str(err)
        raise QdpxError(
            f"{where} is not well-formed XML (line {line}, column {column + 1}: {reason}); the file may be "
            "damaged or cut short, so export the project again from the program that made it.") from None


# -- import: reading the project ---------------------------------------------------------


@dataclass(slots=True)
class _Coding:
    code: str | None  # code key
    coder: str | None  # user key
    guid: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Selection:
    key: str | None
    start: int
    end: int
    hint: str
    coder: str | None
    created: str | None
    codings: list[_Coding]
    notes: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Source:
    key: str | None
    guid: str | None
    name: str
    text: str
    creator: str | None
    created: str | None
    selections: list[_Selection]
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    doc_id: int = 0


@dataclass(slots=True)
class _Case:
    key: str | None
    guid: str | None
    name: str
    description: str
    values: dict[str, str]
    sources: list[str]
    case_id: int = 0


@dataclass(slots=True)
class _Variable:
    guid: str | None
    name: str
    declared: str
    description: str


@dataclass(slots=True)
class _Note:
    title: str
    text: str
    user: str | None
    created: str | None
    modified: str | None


@dataclass(slots=True)
class _SourceExtension:
    format: str
    encoding: str | None
    sha256: str | None
    original_sha256: str | None
    turns: list[tuple[str | None, int, int, float | None, float | None]]


_FORMATS = {"txt", "md", "docx", "odt", "pdf", "vtt", "srt"}


def _read_extension(archive: _Archive, path: Path, warnings: list[str]) -> dict[str, _SourceExtension]:
    """fieldnotes' own data from a .qdpx that fieldnotes wrote (see
    :data:`EXTENSION_ENTRY`); empty for other programs' files. A damaged
    entry costs only what it carries: the import goes on as for a foreign
    file, with a warning."""
    base = f"{archive.prefix}/" if archive.prefix else ""
    info = archive.entries.get(f"{base}{EXTENSION_ENTRY}".casefold()) or archive.entries.get(EXTENSION_ENTRY)
    if info is None:
        return {}
    try:
        root = _parse_xml(archive.read(info), f"{path} ({info.filename})")
    except QdpxError as err:
        warnings.append(f"fieldnotes' speaker turns and formats could not be read ({err}); turns were detected again")
        return {}
    found: dict[str, _SourceExtension] = {}
    for source in _children(root, "source"):
        key = _key(qdc._attr(source, "guid"))
        if key is None or key in found:
            continue
        fmt = (qdc._attr(source, "format") or "txt").strip().lower()
        turns = []
        try:
            for turn in _children(source, "turn"):
                start, end = int(qdc._attr(turn, "start") or ""), int(qdc._attr(turn, "end") or "")
                times = [qdc._attr(turn, "timeStart"), qdc._attr(turn, "timeEnd")]
                time_start, time_end = (float(t) if t not in (None, "") else None for t in times)
                turns.append((qdc._attr(turn, "speaker"), start, end, time_start, time_end))
        except ValueError:
            warnings.append(f"fieldnotes' turns for source {key} have unreadable positions; turns were detected again")
            turns = []
        found[key] = _SourceExtension(fmt if fmt in _FORMATS else "txt", qdc._attr(source, "encoding"),
                                      qdc._attr(source, "sha256"), qdc._attr(source, "originalSha256"), turns)
    return found


def _extension_turns(extension: _SourceExtension, text: str) -> list | None:
    """The extension's turns as ParsedTurns, or None when they do not fit
    ``text`` (not the text they were made for, or out of order)."""
    from fieldnotes.importers.base import ParsedTurn

    if extension.sha256 != hashlib.sha256(text.encode("utf-8")).hexdigest():
        return None
    turns, last = [], 0
    for speaker, start, end, time_start, time_end in extension.turns:
        if not last <= start <= end <= len(text):
            return None
        turns.append(ParsedTurn(speaker, start, end, time_start, time_end))
        last = start
    return turns


class _Reader:
    """Reads project.qde (and the source texts) into plain records."""

    def __init__(self, archive: _Archive, where: str, warnings: list[str]) -> None:
        self.archive = archive
        self.where = where
        self.warnings = warnings
        self.users: dict[str, tuple[str | None, str]] = {}  # key -> (guid as written, name)
        self.nodes: list[CodeNode] = []
        self.code_paths: dict[str, tuple[str, ...]] = {}
        self.code_notes: dict[tuple[str, ...], list[str]] = {}
        self.variables: dict[str, _Variable] = {}
        self.cases: list[_Case] = []
        self.sources: list[_Source] = []
        self.notes: dict[str, _Note] = {}
        self.links: list[tuple[str | None, str | None]] = []
        self.project_notes: list[str] = []
        self.project_descriptions: list[str] = []
        self.project_user: str | None = None
        self.extension: dict[str, _SourceExtension] = {}  # source key -> fieldnotes' own data

    def read(self, root: ET.Element) -> None:
        if _local(root) != "project":
            found = qdc._local_name(root.tag) or "?"
            hint = " It is a codebook: import it with 'fieldnotes codebook import'." if found.casefold() == "codebook" else ""
            raise QdpxError(f"{self.where} is not a REFI-QDA project: its root element is <{found}>, not <Project>.{hint}")
        self.project_user = _key(qdc._attr(root, "creatingUserGUID"))
        sections = {_local(child): child for child in reversed(list(root))}  # the first of each wins
        for name, reader in (("users", self._users), ("codebook", self._codebook), ("variables", self._variables),
                             ("notes", self._notes), ("cases", self._cases), ("sources", self._sources),
                             ("links", self._links)):
            if name in sections:
                reader(sections[name])
        # <Sets>, <Graphs> and anything else fieldnotes has no place for are passed over.
        self.project_notes = [_key(qdc._attr(e, "targetGUID")) for e in _children(root, "noteref")]
        self.project_descriptions = [t for t in (_text_of(e).strip() for e in _children(root, "description")) if t]

    def _users(self, element: ET.Element) -> None:
        names: set[str] = set()
        for user in _children(element, "user"):
            guid = qdc._attr(user, "guid")
            key = _key(guid)
            if key is None or key in self.users:
                continue
            name = (qdc._attr(user, "name") or qdc._attr(user, "id") or "").strip() or f"user {key[:8]}"
            unique, n = name, 2
            while unique.casefold() in names:
                unique, n = f"{name} ({n})", n + 1
            if unique != name:
                self.warnings.append(f"two coders are called '{name}'; the second is imported as '{unique}'")
            names.add(unique.casefold())
            self.users[key] = (guid, unique)

    def _codebook(self, element: ET.Element) -> None:
        containers = _children(element, "codes") or [element]
        state = qdc._ReadState(Path(self.where))
        index: dict[str, CodeNode] = {}
        try:
            for container in containers:
                for code in _children(container, "code"):
                    for node in qdc._read_code(code, state, depth=0):
                        qdc._add_child(self.nodes, node, index, state)
        except qdc.QdcError as err:
            raise QdpxError(str(err)) from None
        for container in containers:
            for code in _children(container, "code"):
                self._walk_code(code, ())

    def _walk_code(self, element: ET.Element, prefix: tuple[str, ...]) -> None:
        # The same name cleaning as the codebook reader, so paths agree.
        segments = [qdc._clean_read_name(p) for p in (qdc._attr(element, "name") or "").split("\\")]
        path = prefix + tuple(s for s in segments if s)
        key = _key(qdc._attr(element, "guid"))
        if path != prefix and key is not None:
            first = self.code_paths.setdefault(key, path)
            if first != path:
                self.warnings.append(
                    f"codes '{'/'.join(first)}' and '{'/'.join(path)}' have the same GUID; the second gets a new "
                    f"one, and codings that name that GUID go to '{'/'.join(first)}'")
        for child in element:
            kind = _local(child)
            if kind == "code":
                self._walk_code(child, path)
            elif kind == "noteref" and path != prefix:
                self.code_notes.setdefault(path, []).append(_key(qdc._attr(child, "targetGUID")))

    def _variables(self, element: ET.Element) -> None:
        names: set[str] = set()
        for variable in _children(element, "variable"):
            guid = qdc._attr(variable, "guid")
            key = _key(guid)
            raw = (qdc._attr(variable, "name") or "").strip()
            if key is None or not raw:
                self.warnings.append(f"a variable without {'a GUID' if key is None else 'a name'} was skipped")
                continue
            if key in self.variables:
                self.warnings.append(f"two variables have the GUID {guid}; the second ('{raw}') was skipped")
                continue
            # Attribute names as the manifest makes them: lower case, no spaces.
            name = raw.casefold().replace(" ", "_")
            unique, n = name, 2
            while unique in names:
                unique, n = f"{name}_{n}", n + 1
            if unique != name:
                self.warnings.append(f"two variables are called '{name}'; the second ('{raw}') is imported as '{unique}'")
            names.add(unique)
            declared = (qdc._attr(variable, "typeOfVariable") or "Text").strip()
            if declared.casefold() not in REFI_TO_TYPE:
                self.warnings.append(f"variable '{raw}' has the unknown type '{declared}'; imported as text")
            self.variables[key] = _Variable(guid, unique, REFI_TO_TYPE.get(declared.casefold(), "text"),
                                            _text_of(_first(variable, "description")).strip())

    def _values(self, element: ET.Element, owner: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for value in _children(element, "variablevalue"):
            ref = _first(value, "variableref")
            key = _key(qdc._attr(ref, "targetGUID")) if ref is not None else None
            if key not in self.variables:
                self.warnings.append(f"{owner}: a value of an unknown variable was skipped")
                continue
            content = next((c for c in value if _local(c) in _VALUE_TAGS), None)
            text = _text_of(content).strip()
            if text:
                values.setdefault(key, text)
        return values

    def _notes(self, element: ET.Element) -> None:
        for note in _children(element, "note"):
            key = _key(qdc._attr(note, "guid"))
            title = (qdc._attr(note, "name") or "").strip()
            content = _first(note, "plaintextcontent")
            if content is not None:
                text = _text_of(content)
            else:
                text = ""
                path = qdc._attr(note, "plainTextPath")
                if path:
                    info, _why = self.archive.resolve(path)
                    if info is not None:
                        text, _enc, _w = _decode(self.archive.read(info))
                        text = _normalise(text)
                if not text.strip():
                    text = _text_of(_first(note, "description"))
            if key is None:
                key = _derived("note", len(self.notes))
            self.notes.setdefault(key, _Note(title, text, _key(qdc._attr(note, "creatingUser")),
                                             qdc._attr(note, "creationDateTime"),
                                             qdc._attr(note, "modifiedDateTime")))

    def _cases(self, element: ET.Element) -> None:
        for n, case in enumerate(_children(element, "case"), start=1):
            guid = qdc._attr(case, "guid")
            name = (qdc._attr(case, "name") or "").strip()
            refs = [_key(qdc._attr(r, "targetGUID")) for r in _children(case, "sourceref")]
            values = self._values(case, f"case '{name or n}'")
            self.cases.append(_Case(_key(guid), guid, name, _text_of(_first(case, "description")).strip(),
                                    values, [r for r in refs if r]))

    def _links(self, element: ET.Element) -> None:
        for link in _children(element, "link"):
            self.links.append((_key(qdc._attr(link, "originGUID")), _key(qdc._attr(link, "targetGUID"))))

    def _sources(self, element: ET.Element) -> None:
        skipped: dict[str, int] = {}
        for n, source in enumerate(element, start=1):
            kind = _local(source)
            if kind == "textsource":
                self._text_source(source, n)
            elif kind.endswith("source"):
                name = (qdc._attr(source, "name") or "").strip() or f"source {n}"
                label = {"pdfsource": "PDF", "picturesource": "picture", "audiosource": "audio",
                         "videosource": "video"}.get(kind, qdc._local_name(source.tag))
                skipped[label] = skipped.get(label, 0) + 1
                lost = sum(len(_children(s, "coding")) for s in source.iter() if _local(s).endswith("selection"))
                self.warnings.append(
                    f"'{name}' is a {label} source: skipped, as fieldnotes imports text sources only"
                    + (f" ({_plural(lost, 'coding')} on it not imported)" if lost else ""))

    def _text_source(self, element: ET.Element, n: int) -> None:
        guid = qdc._attr(element, "guid")
        path = qdc._attr(element, "plainTextPath") or qdc._attr(element, "path")
        name = (qdc._attr(element, "name") or "").strip()
        if not name and path:
            name = posixpath.basename(path.replace("\\", "/")).strip()
        name = name or f"source {n}"
        raw = self._source_text(element, name, path)
        if raw is None:
            return
        selections = []
        creator = _key(qdc._attr(element, "creatingUser"))
        for selection in _children(element, "plaintextselection"):
            try:
                start = int((qdc._attr(selection, "startPosition") or "").strip())
                end = int((qdc._attr(selection, "endPosition") or "").strip())
            except ValueError:
                self.warnings.append(f"'{name}': a coded passage without valid positions was skipped")
                continue
            user = _key(qdc._attr(selection, "creatingUser") or qdc._attr(selection, "modifyingUser"))
            codings = [self._coding(c, user or creator) for c in _children(selection, "coding")]
            selections.append(_Selection(
                _key(qdc._attr(selection, "guid")), start, end, qdc._attr(selection, "name") or "", user or creator,
                qdc._attr(selection, "creationDateTime"), codings,
                [_key(qdc._attr(r, "targetGUID")) for r in _children(selection, "noteref")],
                [t for t in (_text_of(d).strip() for d in _children(selection, "description")) if t]))
        text, selections = _place_selections(raw, selections, name, self.warnings)
        # A <Coding> straight on the source codes all of it.
        for coding in _children(element, "coding"):
            if text.strip():
                selections.append(_Selection(None, 0, len(text), "", creator, qdc._attr(coding, "creationDateTime"),
                                             [self._coding(coding, creator)]))
        self.sources.append(_Source(
            _key(guid), guid, name, text, creator, qdc._attr(element, "creationDateTime"), selections,
            self._values(element, f"'{name}'"),
            [_key(qdc._attr(r, "targetGUID")) for r in _children(element, "noteref")],
            [t for t in (_text_of(d).strip() for d in _children(element, "description")) if t]))

    def _coding(self, element: ET.Element, default_user: str | None) -> _Coding:
        ref = _first(element, "coderef")
        return _Coding(_key(qdc._attr(ref, "targetGUID")) if ref is not None else None,
                       _key(qdc._attr(element, "creatingUser")) or default_user, qdc._attr(element, "guid"),
                       [_key(qdc._attr(r, "targetGUID")) for r in _children(element, "noteref")])

    def _source_text(self, element: ET.Element, name: str, path: str | None) -> str | None:
        content = _first(element, "plaintextcontent")
        if content is not None and not path:
            return _text_of(content)
        if not path:
            self.warnings.append(f"'{name}' has no plain text (no plainTextPath or PlainTextContent): skipped")
            return None
        info, how = self.archive.resolve(path)
        if info is None:
            if content is not None:
                return _text_of(content)
            self.warnings.append(f"'{name}' was skipped: {how}")
            return None
        if how:
            self.warnings.append(f"'{name}': {how}")
        from fieldnotes.importers.base import MAX_TEXT_CHARS, ParseError, check_text_size

        # One document may hold at most MAX_TEXT_CHARS characters, as on a
        # file import: refused from the zip directory when even four bytes
        # a character could not fit, else after decoding.
        if info.file_size > 4 * MAX_TEXT_CHARS:
            raise QdpxError(_too_much_text(self.where, name, info.file_size))
        try:
            text, encoding, notes = _decode(self.archive.read(info))
        except ParseError as err:
            self.warnings.append(f"'{name}' was skipped: its text file {info.filename} {err}")
            return None
        try:
            check_text_size(text)
        except ParseError:
            raise QdpxError(_too_much_text(self.where, name, len(text.encode("utf-8")))) from None
        self.warnings.extend(f"'{name}': {note}" for note in notes)
        return text


def _too_much_text(where: str, name: str, size: int) -> str:
    from fieldnotes.importers.base import MAX_TEXT_CHARS

    return (f"{where}: the source '{name}' holds {size / 1e6:,.0f} MB of text, more than the {MAX_TEXT_CHARS:,} "
            "characters fieldnotes accepts in one document (a zip bomb, or not a transcript); nothing was "
            "imported. Export the project again without that source.")


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    from fieldnotes.importers.text import decode

    return decode(data)


def _normalise(text: str) -> str:
    from fieldnotes.importers.base import normalise_newlines

    return normalise_newlines(text)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _place_selections(raw: str, selections: list[_Selection], name: str,
                      warnings: list[str]) -> tuple[str, list[_Selection]]:
    """The text with LF line endings, and the selections moved onto it.

    REFI positions are character positions in the plain text. The text in
    the archive may have CRLF line endings, which fieldnotes stores as LF;
    positions counted on the file as stored are moved back by the line breaks
    before them. Some tools count on the LF text, or in UTF-16 units; each
    reading is scored on the selections (the coded text they name, whole
    words) and the best wins, the file as stored on a tie. Selections that fall
    outside the text are dropped and reported.
    """
    text = _normalise(raw)
    crlf = [m.start() for m in re.finditer("\r\n", raw)]

    def stored(pos: int) -> int:
        return pos - bisect.bisect_left(crlf, pos)

    readings: list[tuple[str, Any]] = [("as stored", stored)]
    if crlf:
        readings.append(("with LF line endings", lambda pos: pos))
    astral = [m.start() for m in _ASTRAL.finditer(raw)]
    if astral:
        ends = [i + k + 2 for k, i in enumerate(astral)]  # UTF-16 end of each astral character
        readings.append(("in UTF-16 units", lambda pos: stored(pos - bisect.bisect_right(ends, pos))))

    def score(mapper) -> int:
        total = 0
        for s in selections:
            a, b = mapper(s.start), mapper(s.end)
            if not 0 <= a < b <= len(text):
                total -= 5
                continue
            if s.hint.strip() and _squash(text[a:b]).startswith(_squash(s.hint)[:_NAME_CHARS // 2]):
                total += 10
            if _whole_words(text, a, b):
                total += 1
        return total

    label, mapper = readings[0]
    if len(readings) > 1 and selections:
        scores = [score(m) for _, m in readings]
        best = max(range(len(readings)), key=lambda i: (scores[i], -i))
        label, mapper = readings[best]
        if best:
            warnings.append(f"'{name}': its coded positions fit the text counted {label}; read them that way")
    placed: list[_Selection] = []
    outside: list[str] = []
    for s in selections:
        a, b = mapper(s.start), mapper(s.end)
        if 0 <= a < b <= len(text):
            s.start, s.end = a, b
            placed.append(s)
        else:
            outside.append(f"{s.start}-{s.end}")
    if outside:
        lost = " (its text file in the .qdpx is empty)" if not text.strip() else ""
        shown = ", ".join(outside[:5]) + (", …" if len(outside) > 5 else "")
        warnings.append(f"'{name}': {_plural(len(outside), 'coded passage')} outside its text "
                        f"({len(text)} characters){lost} skipped: {shown}")
    return text, placed


def _whole_words(text: str, a: int, b: int) -> bool:
    starts = a == 0 or not (text[a - 1].isalnum() and text[a].isalnum())
    ends = b == len(text) or not (text[b - 1].isalnum() and text[b].isalnum())
    return starts and ends


# -- import: writing the project -----------------------------------------------------------


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
    archive = _Archive(path)
    try:
        qde = archive.find_qde(summary.warnings)
        where = f"{path} ({qde.filename})"
        if qde.file_size > MAX_QDE_BYTES:
            raise QdpxError(
                f"{where} unpacks to {qde.file_size / 1024**2:,.0f} MB of project XML, more than the "
                f"{MAX_QDE_BYTES // 1024**2} MB (about 100,000 codings) fieldnotes reads; it may be a zip bomb. "
                "Nothing was imported.")
        reader = _Reader(archive, where, summary.warnings)
        reader.read(_parse_xml(archive.read(qde), where))
        reader.extension = _read_extension(archive, path, summary.warnings)
    finally:
        archive.close()

    partial = target.with_name(f".{target.name}.partial")
    leftovers = [partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")]
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    project = Project.create(partial)
    try:
        with atomic(project.conn):
            _Writer(project, reader, summary, path).write()
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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


class _Writer:
    def __init__(self, project: Project, reader: _Reader, summary: ImportSummary, path: Path) -> None:
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
        self.conn.execute("DELETE FROM history")
        self.summary.coders = self.conn.execute("SELECT count(*) FROM coders").fetchone()[0]
        self.project.audit("qdpx.import", {
            "from": str(self.path), "documents": self.summary.documents, "codes": self.summary.codes,
            "codings": self.summary.codings, "cases": self.summary.cases, "variables": self.summary.variables,
            "memos": self.summary.memos, "warnings": len(self.warnings)})

    def _guid(self, table: str, raw: str | None, used: set[str]) -> str:
        from fieldnotes.ids import new_guid

        if _valid_guid(raw) and _key(raw) not in used:
            used.add(_key(raw))
            return raw.strip()
        if raw and _valid_guid(raw):
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
            self.conn.execute("INSERT INTO coders(guid, name, created_at) VALUES (?, ?, ?)",
                              [self._guid("coders", guid, used), name, now()])
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
            self.conn.execute("INSERT INTO variables(guid, name, type, description) VALUES (?, ?, ?, ?)",
                              [self._guid("variables", variable.guid, used), variable.name, type_,
                               variable.description])
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
            turns = _extension_turns(extension, source.text) if extension is not None else None
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
            self.conn.execute("UPDATE documents SET guid = ? WHERE id = ?",
                              [self._guid("sources", source.guid, used_guids), doc_id])
            imported_at = _xsd_datetime(source.created)
            if imported_at:
                self.conn.execute("UPDATE documents SET imported_at = ? WHERE id = ?", [imported_at, doc_id])
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
            case.case_id = self.conn.execute(
                "INSERT INTO cases(guid, name, description) VALUES (?, ?, ?)",
                [self._guid("cases", case.guid, used_guids), unique, case.description]).lastrowid
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
        self.placed: list[tuple[_Selection, _Coding, tuple[int, int, int, int], str]] = []
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
            self.warnings.append(f"{_plural(unknown_codes, 'coding')} name a code that is not in the codebook; skipped")
        if self.unnamed:
            self.warnings.append(f"{_plural(self.unnamed, 'coding')} name no coder; credited to "
                                 f"'{self._coder(None)}'")
        for coder, items in by_coder.items():
            self.summary.codings += self.project.coding.apply_codings(
                items, coder=coder, summary=f"import {len(items)} codings by {coder} from {self.path.name}")
        # Each coder as apply_codings found or made them ("unknown" is an existing "Unknown").
        coder_ids = {coder: self.project.coders.find(coder).id for coder in by_coder}
        used = {_key(r[0]) for r in self.conn.execute("SELECT guid FROM codings")}
        taken: set[int] = set()
        self.coding_ids: dict[int, int] = {}  # id(_Coding) -> coding id
        for selection, coding, (doc_id, code_id, start, end), coder in self.placed:
            row = self.conn.execute(
                'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ? '
                "AND ifnull(coder_id, 0) = ?", [doc_id, code_id, start, end, coder_ids[coder]]).fetchone()
            coding_id = row[0]
            self.coding_ids[id(coding)] = coding_id
            if coding_id in taken:
                continue
            taken.add(coding_id)
            # The selection's GUID is the coding's (as fieldnotes writes them)
            # when it holds one coding; else each <Coding> keeps its own.
            raw = _selection_guid(selection, coding)
            if _valid_guid(raw) and _key(raw) not in used:
                used.add(_key(raw))
                self.conn.execute("UPDATE codings SET guid = ? WHERE id = ?", [raw.strip(), coding_id])
            stamp = _xsd_datetime(selection.created)
            if stamp:
                self.conn.execute("UPDATE codings SET created_at = ? WHERE id = ?", [stamp, coding_id])

    # -- memos

    def _memos(self) -> None:
        from fieldnotes.ids import new_guid, now

        notes = self.r.notes
        referenced: set[str] = set()
        memos: list[tuple[str, int | None, str | None, str, str]] = []  # (type, id, note key, title, text)

        def by_note(target_type: str, target_id: int | None, key: str | None, where: str) -> None:
            if key is None or key not in notes:
                self.warnings.append(f"{where} refers to a note that is not in the project; skipped")
                return
            referenced.add(key)
            memos.append((target_type, target_id, key, notes[key].title, notes[key].text))

        for key in self.r.project_notes:
            by_note("project", None, key, "the project")
        for text in self.r.project_descriptions:
            memos.append(("project", None, None, "Project description", text))
        for source in self.r.sources:
            for key in source.notes:
                by_note("document", source.doc_id, key, f"'{source.name}'")
            for text in source.descriptions:
                memos.append(("document", source.doc_id, None, "", text))
        for path, keys in self.r.code_notes.items():
            code_id = self.code_ids_by_path.get(path)
            for key in keys:
                if code_id is not None:
                    by_note("code", code_id, key, f"code '{'/'.join(path)}'")
        placed = {id(s) for s, _c, _i, _k in self.placed}
        for source in self.r.sources:
            for selection in source.selections:
                first = next((self.coding_ids[id(c)] for c in selection.codings if id(c) in self.coding_ids), None)
                target = ("coding", first) if first is not None else ("document", source.doc_id)
                if id(selection) not in placed and (selection.notes or selection.descriptions):
                    self.warnings.append(f"'{source.name}': a note on a passage that was not imported is kept "
                                         "as a memo on the document")
                for key in selection.notes:
                    by_note(*target, key, f"a passage in '{source.name}'")
                for text in selection.descriptions:
                    memos.append((*target, None, "", text))
                for coding in selection.codings:
                    own = ("coding", self.coding_ids[id(coding)]) if id(coding) in self.coding_ids else target
                    for key in coding.notes:
                        by_note(*own, key, f"a coding in '{source.name}'")
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
                        for key in (selection.key, _key(coding.guid)):
                            if key:
                                targets.setdefault(key, ("coding", self.coding_ids[id(coding)]))
        for origin, target in self.r.links:
            if origin in notes and target in targets:
                by_note(*targets[target], origin, "a link")
            elif target in notes and origin in targets:
                by_note(*targets[origin], target, "a link")
        # Notes nothing points at (journals, in some tools) belong to the project.
        for key, note in notes.items():
            if key not in referenced:
                memos.append(("project", None, key, note.title, note.text))

        used: set[str] = set()
        empty = 0
        for target_type, target_id, key, title, text in memos:
            if not text.strip():
                empty += 1
                continue
            note = notes.get(key) if key else None
            coder_id = None
            if note is not None and (note.user is not None):
                coder_id = self.project.coders.coder_id(self._coder(note.user))
            created = _xsd_datetime(note.created) if note else None
            modified = _xsd_datetime(note.modified) if note else None
            stamp = now()
            # The same note on several targets makes one memo each, the first keeping its GUID.
            guid = key if key and _valid_guid(key) and key not in used else new_guid()
            used.add(guid)
            self.conn.execute(
                "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [guid, target_type, target_id, title, text, coder_id, created or stamp, modified or created or stamp])
            self.summary.memos += 1
        if empty:
            self.warnings.append(f"{_plural(empty, 'empty note')} skipped")


def _selection_guid(selection: _Selection, coding: _Coding) -> str | None:
    """The GUID a coding keeps: its selection's when the selection holds one
    coding (fieldnotes writes a selection per coding), else the <Coding>'s."""
    if len(selection.codings) == 1 and selection.key:
        return selection.key
    return coding.guid


def _kind(value: str) -> str:
    return value.strip().casefold().replace(" ", "_").replace("-", "_")
