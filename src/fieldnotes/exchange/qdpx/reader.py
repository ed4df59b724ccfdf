"""Reading a ``.qdpx``'s project.qde (and the source texts it names) into
plain records, leniently: any namespace, missing or duplicate GUIDs, lost
texts, other tools' variations, each noted as a warning. Nothing is written
here; :mod:`.writer` turns the records into a project."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from fieldnotes.exchange import qdc
from fieldnotes.exchange.elements import attr, local, local_name
from fieldnotes.exchange.qdpx.archive import Archive, parse_xml
from fieldnotes.exchange.qdpx.format import (
    EXTENSION_ENTRY, REFI_TO_TYPE, QdpxError, derived, guid_key, plural,
)
from fieldnotes.exchange.qdpx.placement import normalise, place_selections
from fieldnotes.model import CodeNode

_VALUE_TAGS = {"textvalue", "booleanvalue", "integervalue", "floatvalue", "datevalue", "datetimevalue"}


def _local(elem: ET.Element) -> str:
    return local(elem.tag)


def _children(elem: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in elem if _local(c) in names]


def _first(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c) == name), None)


def _text_of(elem: ET.Element | None) -> str:
    return "".join(elem.itertext()) if elem is not None else ""


@dataclass(slots=True)
class Coding:
    code: str | None  # code key
    coder: str | None  # user key
    guid: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Selection:
    key: str | None
    start: int
    end: int
    hint: str
    coder: str | None
    created: str | None
    codings: list[Coding]
    notes: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Source:
    key: str | None
    guid: str | None
    name: str
    text: str
    creator: str | None
    created: str | None
    selections: list[Selection]
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    doc_id: int = 0


@dataclass(slots=True)
class Case:
    key: str | None
    guid: str | None
    name: str
    description: str
    values: dict[str, str]
    sources: list[str]
    case_id: int = 0


@dataclass(slots=True)
class Variable:
    guid: str | None
    name: str
    declared: str
    description: str


@dataclass(slots=True)
class Note:
    title: str
    text: str
    user: str | None
    created: str | None
    modified: str | None


@dataclass(slots=True)
class SourceExtension:
    format: str
    encoding: str | None
    sha256: str | None
    original_sha256: str | None
    turns: list[tuple[str | None, int, int, float | None, float | None]]


_FORMATS = {"txt", "md", "docx", "odt", "pdf", "vtt", "srt"}


def read_extension(archive: Archive, path: Path, warnings: list[str]) -> dict[str, SourceExtension]:
    """fieldnotes' own data from a .qdpx that fieldnotes wrote (see
    :data:`EXTENSION_ENTRY`); empty for other programs' files. A damaged
    entry costs only what it carries: the import goes on as for a foreign
    file, with a warning."""
    base = f"{archive.prefix}/" if archive.prefix else ""
    info = archive.entries.get(f"{base}{EXTENSION_ENTRY}".casefold()) or archive.entries.get(EXTENSION_ENTRY)
    if info is None:
        return {}
    try:
        root = parse_xml(archive.read(info), f"{path} ({info.filename})")
    except QdpxError as err:
        warnings.append(f"fieldnotes' speaker turns and formats could not be read ({err}); turns were detected again")
        return {}
    found: dict[str, SourceExtension] = {}
    for source in _children(root, "source"):
        key = guid_key(attr(source, "guid"))
        if key is None or key in found:
            continue
        fmt = (attr(source, "format") or "txt").strip().lower()
        turns = []
        try:
            for turn in _children(source, "turn"):
                start, end = int(attr(turn, "start") or ""), int(attr(turn, "end") or "")
                times = [attr(turn, "timeStart"), attr(turn, "timeEnd")]
                time_start, time_end = (float(t) if t not in (None, "") else None for t in times)
                turns.append((attr(turn, "speaker"), start, end, time_start, time_end))
        except ValueError:
            warnings.append(f"fieldnotes' turns for source {key} have unreadable positions; turns were detected again")
            turns = []
        found[key] = SourceExtension(fmt if fmt in _FORMATS else "txt", attr(source, "encoding"),
                                      attr(source, "sha256"), attr(source, "originalSha256"), turns)
    return found


def extension_turns(extension: SourceExtension, text: str) -> list | None:
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


class Reader:
    """Reads project.qde (and the source texts) into plain records."""

    def __init__(self, archive: Archive, where: str, warnings: list[str]) -> None:
        self.archive = archive
        self.where = where
        self.warnings = warnings
        self.users: dict[str, tuple[str | None, str]] = {}  # key -> (guid as written, name)
        self.nodes: list[CodeNode] = []
        self.code_paths: dict[str, tuple[str, ...]] = {}
        self.code_notes: dict[tuple[str, ...], list[str]] = {}
        self.variables: dict[str, Variable] = {}
        self.cases: list[Case] = []
        self.sources: list[Source] = []
        self.notes: dict[str, Note] = {}
        self.links: list[tuple[str | None, str | None]] = []
        self.project_notes: list[str] = []
        self.project_descriptions: list[str] = []
        self.project_user: str | None = None
        self.extension: dict[str, SourceExtension] = {}  # source key -> fieldnotes' own data

    def read(self, root: ET.Element) -> None:
        if _local(root) != "project":
            found = local_name(root.tag) or "?"
            hint = " It is a codebook: import it with 'fieldnotes codebook import'." if found.casefold() == "codebook" else ""
            raise QdpxError(f"{self.where} is not a REFI-QDA project: its root element is <{found}>, not <Project>.{hint}")
        self.project_user = guid_key(attr(root, "creatingUserGUID"))
        sections = {_local(child): child for child in reversed(list(root))}  # the first of each wins
        for name, reader in (("users", self._users), ("codebook", self._codebook), ("variables", self._variables),
                             ("notes", self._notes), ("cases", self._cases), ("sources", self._sources),
                             ("links", self._links)):
            if name in sections:
                reader(sections[name])
        # <Sets>, <Graphs> and anything else fieldnotes has no place for are passed over.
        self.project_notes = [guid_key(attr(e, "targetGUID")) for e in _children(root, "noteref")]
        self.project_descriptions = [t for t in (_text_of(e).strip() for e in _children(root, "description")) if t]

    def _users(self, element: ET.Element) -> None:
        names: set[str] = set()
        for user in _children(element, "user"):
            guid = attr(user, "guid")
            key = guid_key(guid)
            if key is None or key in self.users:
                continue
            name = (attr(user, "name") or attr(user, "id") or "").strip() or f"user {key[:8]}"
            unique, n = name, 2
            while unique.casefold() in names:
                unique, n = f"{name} ({n})", n + 1
            if unique != name:
                self.warnings.append(f"two coders are called '{name}'; the second is imported as '{unique}'")
            names.add(unique.casefold())
            self.users[key] = (guid, unique)

    def _codebook(self, element: ET.Element) -> None:
        containers = _children(element, "codes") or [element]
        state = qdc.ReadState(Path(self.where))
        index: dict[str, CodeNode] = {}
        try:
            for container in containers:
                for code in _children(container, "code"):
                    for node in qdc.read_code(code, state, depth=0):
                        qdc.add_child(self.nodes, node, index, state)
        except qdc.QdcError as err:
            raise QdpxError(str(err)) from None
        for container in containers:
            for code in _children(container, "code"):
                self._walk_code(code, ())

    def _walk_code(self, element: ET.Element, prefix: tuple[str, ...]) -> None:
        # The same name cleaning as the codebook reader, so paths agree.
        segments = [qdc.clean_read_name(p) for p in (attr(element, "name") or "").split("\\")]
        path = prefix + tuple(s for s in segments if s)
        key = guid_key(attr(element, "guid"))
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
                self.code_notes.setdefault(path, []).append(guid_key(attr(child, "targetGUID")))

    def _variables(self, element: ET.Element) -> None:
        names: set[str] = set()
        for variable in _children(element, "variable"):
            guid = attr(variable, "guid")
            key = guid_key(guid)
            raw = (attr(variable, "name") or "").strip()
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
            declared = (attr(variable, "typeOfVariable") or "Text").strip()
            if declared.casefold() not in REFI_TO_TYPE:
                self.warnings.append(f"variable '{raw}' has the unknown type '{declared}'; imported as text")
            self.variables[key] = Variable(guid, unique, REFI_TO_TYPE.get(declared.casefold(), "text"),
                                            _text_of(_first(variable, "description")).strip())

    def _values(self, element: ET.Element, owner: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for value in _children(element, "variablevalue"):
            ref = _first(value, "variableref")
            key = guid_key(attr(ref, "targetGUID")) if ref is not None else None
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
            key = guid_key(attr(note, "guid"))
            title = (attr(note, "name") or "").strip()
            content = _first(note, "plaintextcontent")
            if content is not None:
                text = _text_of(content)
            else:
                text = ""
                path = attr(note, "plainTextPath")
                if path:
                    info, _why = self.archive.resolve(path)
                    if info is not None:
                        text, _enc, _w = _decode(self.archive.read(info))
                        text = normalise(text)
                if not text.strip():
                    text = _text_of(_first(note, "description"))
            if key is None:
                key = derived("note", len(self.notes))
            self.notes.setdefault(key, Note(title, text, guid_key(attr(note, "creatingUser")),
                                             attr(note, "creationDateTime"),
                                             attr(note, "modifiedDateTime")))

    def _cases(self, element: ET.Element) -> None:
        for n, case in enumerate(_children(element, "case"), start=1):
            guid = attr(case, "guid")
            name = (attr(case, "name") or "").strip()
            refs = [guid_key(attr(r, "targetGUID")) for r in _children(case, "sourceref")]
            values = self._values(case, f"case '{name or n}'")
            self.cases.append(Case(guid_key(guid), guid, name, _text_of(_first(case, "description")).strip(),
                                    values, [r for r in refs if r]))

    def _links(self, element: ET.Element) -> None:
        for link in _children(element, "link"):
            self.links.append((guid_key(attr(link, "originGUID")), guid_key(attr(link, "targetGUID"))))

    def _sources(self, element: ET.Element) -> None:
        skipped: dict[str, int] = {}
        for n, source in enumerate(element, start=1):
            kind = _local(source)
            if kind == "textsource":
                self._text_source(source, n)
            elif kind.endswith("source"):
                name = (attr(source, "name") or "").strip() or f"source {n}"
                label = {"pdfsource": "PDF", "picturesource": "picture", "audiosource": "audio",
                         "videosource": "video"}.get(kind, local_name(source.tag))
                skipped[label] = skipped.get(label, 0) + 1
                lost = sum(len(_children(s, "coding")) for s in source.iter() if _local(s).endswith("selection"))
                self.warnings.append(
                    f"'{name}' is a {label} source: skipped, as fieldnotes imports text sources only"
                    + (f" ({plural(lost, 'coding')} on it not imported)" if lost else ""))

    def _text_source(self, element: ET.Element, n: int) -> None:
        guid = attr(element, "guid")
        path = attr(element, "plainTextPath") or attr(element, "path")
        name = (attr(element, "name") or "").strip()
        if not name and path:
            name = posixpath.basename(path.replace("\\", "/")).strip()
        name = name or f"source {n}"
        raw = self._source_text(element, name, path)
        if raw is None:
            return
        selections = []
        creator = guid_key(attr(element, "creatingUser"))
        for selection in _children(element, "plaintextselection"):
            try:
                start = int((attr(selection, "startPosition") or "").strip())
                end = int((attr(selection, "endPosition") or "").strip())
            except ValueError:
                self.warnings.append(f"'{name}': a coded passage without valid positions was skipped")
                continue
            user = guid_key(attr(selection, "creatingUser") or attr(selection, "modifyingUser"))
            codings = [self._coding(c, user or creator) for c in _children(selection, "coding")]
            selections.append(Selection(
                guid_key(attr(selection, "guid")), start, end, attr(selection, "name") or "", user or creator,
                attr(selection, "creationDateTime"), codings,
                [guid_key(attr(r, "targetGUID")) for r in _children(selection, "noteref")],
                [t for t in (_text_of(d).strip() for d in _children(selection, "description")) if t]))
        text, selections = place_selections(raw, selections, name, self.warnings)
        # A <Coding> straight on the source codes all of it.
        for coding in _children(element, "coding"):
            if text.strip():
                selections.append(Selection(None, 0, len(text), "", creator, attr(coding, "creationDateTime"),
                                             [self._coding(coding, creator)]))
        self.sources.append(Source(
            guid_key(guid), guid, name, text, creator, attr(element, "creationDateTime"), selections,
            self._values(element, f"'{name}'"),
            [guid_key(attr(r, "targetGUID")) for r in _children(element, "noteref")],
            [t for t in (_text_of(d).strip() for d in _children(element, "description")) if t]))

    def _coding(self, element: ET.Element, default_user: str | None) -> Coding:
        ref = _first(element, "coderef")
        return Coding(guid_key(attr(ref, "targetGUID")) if ref is not None else None,
                       guid_key(attr(element, "creatingUser")) or default_user, attr(element, "guid"),
                       [guid_key(attr(r, "targetGUID")) for r in _children(element, "noteref")])

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
