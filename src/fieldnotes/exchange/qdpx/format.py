"""The REFI-QDA project format as fieldnotes reads and writes it: names,
types, GUIDs and the records an import summarises. Shared by the export
(:mod:`.export`) and the import (:mod:`.reader`, :mod:`.writer`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.exchange.elements import GUID

NAMESPACE = "urn:QDA-XML:project:1.0"

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

KIND_VARIABLE = "kind"
#: Where the kind of a foreign document goes when its values are not kinds.
FOREIGN_KIND_ATTRIBUTE = "source_kind"
UNKNOWN_CODER = "unknown coder"
#: A selection's name is the start of the coded text, this long at most.
NAME_CHARS = 200

# Derived GUIDs (for the <Coding> inside a selection, the kind variable, links
# and anything whose stored GUID is not a GUID) are uuid5 of this namespace,
# so that two exports of the same project agree.
_DERIVED = uuid.uuid5(uuid.NAMESPACE_URL, "https://fieldnotes.invalid/refi-qdpx")


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


def derived(*parts: object) -> str:
    """A GUID made from ``parts``: the same parts give the same GUID."""
    return str(uuid.uuid5(_DERIVED, "|".join(str(p) for p in parts)))


def valid_guid(value: str | None) -> bool:
    """True when ``value`` is a GUID as the format writes them."""
    return bool(value) and bool(GUID.fullmatch(value.strip()))


def guid_or_derived(value: str | None, *salt: object) -> str:
    """``value`` when it is a valid GUID, else one derived from it and ``salt``."""
    return value.strip() if valid_guid(value) else derived(*salt, value)


def guid_key(value: str | None) -> str | None:
    """How GUIDs are compared: braces and case do not matter. Not checked
    for validity, so a tool that uses other identifiers consistently still
    links up."""
    if value is None:
        return None
    key = value.strip().strip("{}").strip().lower()
    return key or None


def xsd_datetime(value: Any) -> str | None:
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


def plural(n: int, word: str) -> str:
    """``1 coding``, ``2 codings``."""
    return f"{n} {word}" + ("" if n == 1 else "s")
