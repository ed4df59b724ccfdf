"""Limits on what a zipped document (.docx, .odt, .xlsx) may expand to.

A Word or OpenDocument file is a zip archive of XML parts. A few hundred
kilobytes on disk can declare gigabytes inside (a "zip bomb"): the format
libraries would read it all into memory, and the machine runs out long before
any error. So the zip directory is checked before the document is opened:

* the parts together may unpack to at most :data:`MAX_UNPACKED_BYTES`;
* one XML part (the text lives in XML) to at most :data:`MAX_XML_BYTES`
  (:data:`MAX_ODT_XML_BYTES` for .odt), which keeps the memory the format
  library needs for one file under 500 MB (measured: about 400 MB at the limit);
* no part over 1 MB may be compressed more than :data:`MAX_RATIO` times:
  real XML compresses 5 to 30 times, bombs thousands of times.

Python's zipfile never unpacks more than the size the directory declares (a
part that lies fails its checksum), so checking the directory is enough.
The text limit per document is :data:`fieldnotes.importers.base.MAX_TEXT_CHARS`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from fieldnotes.importers.base import ParseError

MAX_UNPACKED_BYTES = 128 * 1024 * 1024
MAX_XML_BYTES = 24 * 1024 * 1024
#: odfpy builds a DOM of Python objects, about 30 bytes of memory per byte
#: of XML (python-docx's lxml tree: about 15), so .odt parts get half.
MAX_ODT_XML_BYTES = 12 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 10_000
_RATIO_FLOOR = 1024 * 1024


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def check_archive(path: Path, what: str, max_xml: int = MAX_XML_BYTES) -> None:
    """Raise :class:`ParseError` (a message that follows the file name) when
    the zip at ``path`` would unpack beyond the limits above. ``what`` names
    the format with its article ("a Word document"). A file that is not a zip at all is left to
    the format's own reader, which says so in its own words."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    if len(infos) > MAX_ENTRIES:
        raise ParseError(
            f"holds {len(infos):,} parts, more than {what} ever has; it may be damaged or crafted, "
            "so it was not read"
        )
    total = 0
    for info in infos:
        total += info.file_size
        name = info.filename
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ParseError(
                f"is {what} whose part {name!r} would unpack from {info.compress_size:,} bytes to "
                f"{info.file_size:,} ({info.file_size // max(info.compress_size, 1):,} times), a ratio no real "
                "document has (a zip bomb?); it was not read. Open it in Word or LibreOffice and save it again"
            )
        if name.lower().endswith((".xml", ".rels")) and info.file_size > max_xml:
            raise ParseError(
                f"is {what} whose part {name!r} unpacks to {_mb(info.file_size)}, more than the "
                f"{_mb(max_xml)} fieldnotes reads from one part; split the document into smaller files"
            )
    if total > MAX_UNPACKED_BYTES:
        raise ParseError(
            f"is {what} that would unpack to {_mb(total)}, more than the {_mb(MAX_UNPACKED_BYTES)} fieldnotes "
            "accepts; remove large pictures or split the document, then import it again"
        )
