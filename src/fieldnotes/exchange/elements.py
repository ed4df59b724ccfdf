"""XML elements as REFI-QDA tools write them, shared by the codebook
(:mod:`fieldnotes.exchange.qdc`) and project (:mod:`fieldnotes.exchange.qdpx`)
readers and writers.

Reading is lenient: elements and attributes are matched on their local
names, case-insensitively, whatever namespace a tool used. Writing removes
characters XML 1.0 cannot hold at all.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

#: A GUID as the format writes it, with or without braces.
GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)
#: Characters that XML 1.0 cannot contain at all, even escaped.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    """``text`` without the characters XML cannot hold (None -> "")."""
    return NOT_XML.sub("", text or "")


def local_name(tag: object) -> str:
    """The element's name without its namespace (``{urn:…}Code`` -> ``Code``)."""
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def local(tag: object) -> str:
    """:func:`local_name`, case-folded: matching on local names is about
    leniency anyway."""
    return local_name(tag).casefold()


def attr(elem: ET.Element, name: str) -> str | None:
    """An attribute by local name, case-insensitively."""
    value = elem.get(name)
    if value is not None:
        return value
    wanted = name.casefold()
    for key, value in elem.attrib.items():
        if local(key) == wanted:
            return value
    return None
