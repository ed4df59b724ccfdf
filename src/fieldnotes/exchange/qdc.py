"""REFI-QDA codebook files (``.qdc``): read and write.

The REFI-QDA codebook format (namespace ``urn:QDA-XML:codebook:1.0``, schema in
``fieldnotes/schemas/Codebook.xsd``) is how NVivo, ATLAS.ti, MAXQDA, QualCoder,
Taguette and others exchange a code hierarchy. A file looks like::

    <?xml version="1.0" encoding="UTF-8"?>
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="fieldnotes">
      <Codes>
        <Code guid="…" name="Leadership" isCodable="true" color="#0072B2">
          <Description>…</Description>
          <Code guid="…" name="Leadership changes" isCodable="true"/>
        </Code>
      </Codes>
    </CodeBook>

Decisions, so that other modules and users can rely on them:

* **Colours** are returned and written as upper-case ``#RRGGBB`` (the form
  :func:`fieldnotes.codebook.model.normalise_colour` produces). The reader also accepts
  ``#rgb``, ``#rrggbb`` in any case, RGB triples (``255,0,0``, ``255 0 0``) and
  ``rgb(255, 0, 0)`` / ``rgba(…)``; a colour it cannot understand becomes
  ``None`` rather than an error, since a colour is never worth losing a codebook.
* **Names**: fieldnotes uses ``/`` as its code path separator, so a ``/`` inside
  a name is replaced by ``∕`` (U+2215 DIVISION SLASH), as the project does on
  import. Some tools flatten hierarchies into one name with a backslash
  (``interesting\\places``); the reader turns that into a code ``interesting``
  with a child ``places``, so the writer replaces a backslash inside a name by
  ``∖`` (U+2216 SET MINUS) to keep it one code. Surrounding whitespace is
  stripped. Sibling codes with the same name are merged into one (fields that
  are empty in the first are taken from the second, children are combined).
* **The Description block**: the schema has one ``Description`` per code, while
  fieldnotes has four text fields. They are written as readable paragraphs,
  only the non-empty ones, separated by a blank line::

      <description>

      Include: <inclusion>

      Exclude: <exclusion>

      Example: <example>

  The reader splits a Description at paragraphs that begin with ``Include:``,
  ``Exclude:`` or ``Example:``. So that a field whose own text has a line
  beginning with one of those labels survives the round trip, the writer puts
  a backslash before such a line (``\\Include: …``) and the reader removes it.
  Descriptions from other tools that use no labels become the description.
  Line endings are written as ``\\n``, surrounding whitespace of each field is
  dropped, and characters XML cannot hold (control characters) are removed.
* **GUIDs**: a code's ``guid`` is written as it is; a node **without a guid
  gets a fresh random uuid4 on every export**, so callers that want stable
  GUIDs across exports must store them on their codes first. The reader keeps
  a GUID as written in the file (braces and case preserved) when it is valid;
  a missing or invalid one, or one already used earlier in the same file,
  becomes ``None`` so the caller assigns its own.
* **Safety**: files are parsed with defusedxml with DTDs and entities
  forbidden, which rules out external entities (XXE) and entity-expansion
  bombs, and nothing is ever fetched from the network. Files over 50 MB are
  refused.
* Sets (``<Sets>``) are ignored on reading and not written; ``isCodable`` is
  ignored on reading and written as ``true``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET

from fieldnotes.errors import FieldnotesError
from fieldnotes.exchange.elements import GUID, NOT_XML, attr, local, local_name
from fieldnotes.model import CodeNode

__all__ = ["NAMESPACE", "MAX_BYTES", "QdcError", "read_qdc", "write_qdc"]

NAMESPACE = "urn:QDA-XML:codebook:1.0"

#: Larger files are refused: a real codebook is a few hundred kilobytes at most,
#: and a huge one is more likely a mistake (or an attack) than a codebook.
MAX_BYTES = 50 * 1024 * 1024

#: Deeper nesting is refused rather than risking a RecursionError; real
#: codebooks stay well under ten levels.
MAX_DEPTH = 100

_LABELS = {"Include": "inclusion", "Exclude": "exclusion", "Example": "example"}
_LABEL_ALT = "|".join(_LABELS)
# A label starts a section at the start of the text or after a blank line.
_SECTION = re.compile(rf"(?:\A|\n\n)({_LABEL_ALT}):[ \t]*")
# Lines inside a field that look like a label (possibly already escaped) get
# one more backslash on writing, and lose one on reading.
_ESCAPE = re.compile(rf"^(\\*(?:{_LABEL_ALT}):)", re.MULTILINE)
_UNESCAPE = re.compile(rf"^\\(\\*(?:{_LABEL_ALT}):)", re.MULTILINE)

_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB_FUNCTION = re.compile(r"rgba?\s*\((.*)\)", re.IGNORECASE | re.DOTALL)

_QDPX_HINT = "a REFI-QDA project (.qdpx) goes through `fieldnotes qdpx import` instead"


class QdcError(FieldnotesError):
    """A REFI-QDA codebook file cannot be read or written; the message names
    the file, says what is wrong and what to do."""


# -- reading ------------------------------------------------------------------


def read_qdc(path: Path) -> list[CodeNode]:
    """Read a REFI-QDA codebook (``.qdc``) and return its top-level codes, each
    with its children.

    The reader is strict about safety (no DTDs or entities, at most 50 MB) and
    lenient about the variations real tools write: any or no namespace, RGB
    colours, ``<Note>`` instead of ``<Description>``, backslash-flattened
    hierarchies, missing or duplicate GUIDs (returned as ``None``). See the
    module docstring for the details. Raises :class:`QdcError` for any
    problem with the file.
    """
    path = Path(path)
    data = _read_bytes(path)
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        # Never include the parser's details: they add nothing for the user and
        # the point is that nothing from the declarations is ever resolved.
        raise QdcError(
            f"{path} contains a DTD or entity declarations (<!DOCTYPE …> or <!ENTITY …>), which "
            "fieldnotes refuses for safety because they can read other files on your computer or "
            "expand to gigabytes; export the codebook again without them, or delete the <!DOCTYPE …> "
            "part in a text editor."
        ) from None
    except ET.ParseError as err:
        line, column = err.position
        reason = expat.ErrorString(err.code) if err.code else str(err)
        raise QdcError(
            f"{path} is not well-formed XML (line {line}, column {column + 1}: {reason}); the file may "
            "be damaged or cut short, so export the codebook again from the program that made it."
        ) from None

    if local(root.tag) != "codebook":
        found = local_name(root.tag) or "?"
        raise QdcError(
            f"{path} is not a REFI-QDA codebook: its root element is <{found}>, not <CodeBook>. "
            f"Choose a .qdc codebook file; {_QDPX_HINT}."
        )

    codes_elements = [child for child in root if local(child.tag) == "codes"]
    # Some writers put <Code> elements straight under <CodeBook>; accept them.
    containers = codes_elements or [root]
    state = ReadState(path)
    top: list[CodeNode] = []
    index: dict[str, CodeNode] = {}
    for container in containers:
        for elem in container:
            if local(elem.tag) == "code":
                for node in read_code(elem, state, depth=0):
                    add_child(top, node, index, state)
    return top


class ReadState:
    """What one read needs to remember across the whole tree."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen_guids: set[str] = set()
        # Each node's children by name, so that merging a sibling costs one
        # look-up rather than a scan (a scan made large codebooks quadratic).
        # The node is kept with its index so that its id() is never reused.
        self._indexes: dict[int, tuple[CodeNode, dict[str, CodeNode]]] = {}

    def index_of(self, node: CodeNode) -> dict[str, CodeNode]:
        """``node``'s children by name (built on first use, then kept up to date)."""
        entry = self._indexes.get(id(node))
        if entry is None:
            index: dict[str, CodeNode] = {}
            for child in node.children:
                index.setdefault(child.name, child)
            entry = self._indexes[id(node)] = (node, index)
        return entry[1]

    def remember(self, node: CodeNode, index: dict[str, CodeNode]) -> None:
        self._indexes[id(node)] = (node, index)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise QdcError(_too_large(path, size))
        with path.open("rb") as handle:
            # Read one byte past the limit in case the file grew after stat()
            # (or is a device that reports no size).
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise QdcError(f"{path} does not exist; check the file name and folder.") from None
    except IsADirectoryError:
        raise QdcError(f"{path} is a folder, not a codebook file; choose the .qdc file inside it.") from None
    except PermissionError:
        raise QdcError(f"{path} cannot be opened: permission denied; check that you can read the file.") from None
    except OSError as err:
        raise QdcError(f"{path} cannot be read ({err.strerror or err}); check the file and try again.") from None
    if len(data) > MAX_BYTES:
        raise QdcError(_too_large(path, len(data)))
    return data


def _too_large(path: Path, size: int) -> str:
    return (
        f"{path} is {size / 1024 / 1024:.0f} MB, more than the {MAX_BYTES // 1024 // 1024} MB fieldnotes "
        "accepts for a codebook; check that this is the right file (a codebook is usually well under 1 MB)."
    )


def read_code(elem: ET.Element, state: ReadState, depth: int) -> list[CodeNode]:
    """The nodes that one ``<Code>`` element contributes at its level: one
    node normally, or its children when the code has no name (so that the
    sub-codes are not lost with it)."""
    segments = [clean_read_name(part) for part in (attr(elem, "name") or "").split("\\")]
    segments = [s for s in segments if s]
    depth += max(len(segments), 1)
    if depth > MAX_DEPTH:
        raise QdcError(
            f"{state.path} nests codes more than {MAX_DEPTH} levels deep, which fieldnotes does not "
            "accept; check that this is a real codebook, or flatten the hierarchy in the program that made it."
        )

    # Before the children: with duplicate GUIDs, the first in document order wins.
    guid = _take_guid(attr(elem, "guid"), state) if segments else None
    fields = {"description": "", "inclusion": "", "exclusion": "", "example": ""}
    children: list[CodeNode] = []
    index: dict[str, CodeNode] = {}
    for child in elem:
        kind = local(child.tag)
        if kind == "code":
            for node in read_code(child, state, depth):
                add_child(children, node, index, state)
        elif kind in ("description", "note", "notes"):
            for key, value in _split_description("".join(child.itertext())).items():
                fields[key] = _join(fields[key], value)

    if not segments:
        return children

    leaf = CodeNode(
        segments[-1],
        colour=_parse_colour(attr(elem, "color") or attr(elem, "colour")),
        guid=guid,
        children=children,
        **fields,
    )
    state.remember(leaf, index)
    # ``a\b\c``: intermediate codes get no GUID; if the file also has a real
    # ``a`` code, merging gives the placeholder that code's GUID and fields.
    for name in reversed(segments[:-1]):
        leaf = CodeNode(name, children=[leaf])
    return [leaf]


def clean_read_name(name: str) -> str:
    """A code name as read: stripped, ``/`` (fieldnotes' path separator)
    replaced by ``∕`` as the project does on import."""
    return name.strip().replace("/", "\u2215")


def _take_guid(raw: str | None, state: ReadState) -> str | None:
    if raw is None:
        return None
    guid = raw.strip()
    if not GUID.fullmatch(guid):
        return None
    key = guid.strip("{}").lower()
    if key in state.seen_guids:
        # The first code keeps the GUID; the caller gives this one a new one.
        return None
    state.seen_guids.add(key)
    return guid


def _parse_colour(raw: str | None) -> str | None:
    """``#RRGGBB`` (upper case) from the colour spellings tools write, or None."""
    if raw is None:
        return None
    text = raw.strip()
    match = _HEX_COLOUR.fullmatch(text)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return "#" + digits.upper()
    function = _RGB_FUNCTION.fullmatch(text)
    if function:
        text = function.group(1)
    parts = [p for p in re.split(r"[\s,;/]+", text) if p]
    # A fourth part is an alpha channel, which the format has no place for.
    if len(parts) not in (3, 4) or not all(p.isdecimal() for p in parts[:3]):
        return None
    channels = [int(p) for p in parts[:3]]
    if any(c > 255 for c in channels):
        return None
    return "#" + "".join(f"{c:02X}" for c in channels)


def _split_description(text: str) -> dict[str, str]:
    """Split a Description written as the fieldnotes block back into the four
    text fields. Text before the first label is the description."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    fields = {"description": "", "inclusion": "", "exclusion": "", "example": ""}
    key = "description"
    position = 0
    for match in _SECTION.finditer(text):
        fields[key] = _join(fields[key], _unescape(text[position:match.start()]))
        key = _LABELS[match.group(1)]
        position = match.end()
    fields[key] = _join(fields[key], _unescape(text[position:]))
    return fields


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text.strip())


def _join(first: str, second: str) -> str:
    # A field given twice (two <Note>s, or a label used twice by hand) keeps both.
    return "\n\n".join(part for part in (first, second) if part)


def add_child(siblings: list[CodeNode], node: CodeNode, index: dict[str, CodeNode], state: ReadState) -> None:
    """Append ``node``, or merge it into a sibling that has the same name.
    ``index`` holds ``siblings`` by name."""
    existing = index.get(node.name)
    if existing is not None:
        _merge(existing, node, state)
        return
    siblings.append(node)
    index[node.name] = node


def _merge(target: CodeNode, other: CodeNode, state: ReadState) -> None:
    for field in ("description", "inclusion", "exclusion", "example", "colour", "guid"):
        if not getattr(target, field):
            setattr(target, field, getattr(other, field))
    index = state.index_of(target)
    for child in other.children:
        add_child(target.children, child, index, state)


# -- writing ------------------------------------------------------------------


def write_qdc(codes: list[CodeNode], path: Path, *, origin: str = "fieldnotes") -> None:
    """Write ``codes`` (top-level nodes with their children) as a REFI-QDA
    codebook that validates against ``Codebook.xsd``.

    Each code's GUID is ``node.guid`` when set; **a node without a guid gets a
    fresh uuid4 each time**, so store GUIDs on the codes first if they must stay
    stable across exports. Inclusion, exclusion and example go into the
    Description as ``Include:`` / ``Exclude:`` / ``Example:`` paragraphs (see the
    module docstring). The file is written as UTF-8 with an XML declaration,
    indented, and atomically: a temporary file in the same folder replaces
    ``path`` only once it is complete. Raises :class:`QdcError` when there are
    no codes, a code has an empty name or an invalid or repeated GUID, or the
    file cannot be written.
    """
    path = Path(path)
    if not codes:
        raise QdcError(f"Nothing to write to {path}: the codebook has no codes; add codes before exporting.")
    # Unqualified tags with a literal xmlns attribute: ElementTree's
    # default_namespace option refuses unqualified attributes, and
    # register_namespace would change a process-wide setting.
    root = ET.Element("CodeBook", {"xmlns": NAMESPACE, "origin": _clean_text(origin)})
    codes_element = ET.SubElement(root, "Codes")
    guids: set[str] = set()
    for node in codes:
        write_code(codes_element, node, (), guids, path)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
    from fieldnotes.output import write_atomically

    try:
        write_atomically(path, data)
    except FieldnotesError as exc:
        raise QdcError(str(exc)) from None


def write_code(parent: ET.Element, node: CodeNode, prefix: tuple[str, ...], guids: set[str], path: Path) -> None:
    """Append ``node`` and its children to ``parent`` as ``<Code>`` elements
    (shared by codebooks and projects). ``guids`` collects the GUIDs written
    so far (a repeat is refused); ``path`` names the file in errors."""
    name = _clean_write_name(node.name)
    where = "/".join((*prefix, name or "?"))
    if not name:
        under = f" under '{'/'.join(prefix)}'" if prefix else ""
        raise QdcError(f"Cannot write {path}: a code{under} has an empty name; name it before exporting.")
    guid = node.guid.strip() if node.guid else str(uuid.uuid4())
    if not GUID.fullmatch(guid):
        raise QdcError(
            f"Cannot write {path}: code '{where}' has the GUID '{node.guid}', which is not a valid GUID "
            "(like 1b4e28ba-2fa1-11d2-883f-0016d3cca427); clear it so that a new one is made."
        )
    key = guid.strip("{}").lower()
    if key in guids:
        raise QdcError(
            f"Cannot write {path}: code '{where}' has the same GUID as another code ({guid}); "
            "clear one of them so that a new one is made."
        )
    guids.add(key)

    attrib = {"guid": guid, "name": name, "isCodable": "true"}
    colour = _parse_colour(node.colour)
    if colour:
        attrib["color"] = colour
    element = ET.SubElement(parent, "Code", attrib)
    description = _description_block(node)
    if description:
        ET.SubElement(element, "Description").text = description
    for child in node.children:
        write_code(element, child, (*prefix, name), guids, path)


def _clean_write_name(name: str) -> str:
    # The same "/" replacement as the reader, and a backslash would be read
    # back as a hierarchy (see the module docstring).
    return _clean_text(name).replace("/", "\u2215").replace("\\", "\u2216")


def _clean_text(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return NOT_XML.sub("", text).strip()


def _description_block(node: CodeNode) -> str:
    parts: list[str] = []
    for label, text in (("", node.description), ("Include: ", node.inclusion),
                        ("Exclude: ", node.exclusion), ("Example: ", node.example)):
        text = _ESCAPE.sub(r"\\\1", _clean_text(text))
        if text:
            parts.append(label + text)
    return "\n\n".join(parts)


