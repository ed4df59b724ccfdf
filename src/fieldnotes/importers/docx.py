"""Word documents (.docx): paragraphs and tables in document order.

Paragraphs are separated by a blank line, so the paragraph and speaker-turn
helpers treat them like paragraphs of a plain transcript; table rows become
one line each, cells separated by a tab.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from fieldnotes.importers.archive import check_archive
from fieldnotes.importers.base import ParsedDocument, ParseError, read_bytes, require_text
from fieldnotes.importers.turns import detect_turns


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Never text of the document: deleted and moved-away runs (tracked changes),
# the fallback copy of a drawing (the same text box twice), properties.
_SKIP = {f"{_W}del", f"{_W}moveFrom", f"{_MC}Fallback", f"{_W}pPr", f"{_W}rPr", f"{_W}tblPr", f"{_W}trPr",
         f"{_W}tcPr", f"{_W}sectPr", f"{_W}tblGrid"}
# Containers whose content belongs where they stand: content controls,
# custom XML, tracked insertions and moves.
_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}moveTo", f"{_W}smartTag"}


def _blocks(container) -> list[str]:
    """The text blocks of a body, cell or text box, in document order.

    Read from the XML rather than python-docx's paragraph and table objects,
    which pass over content controls, tracked insertions and text boxes, so
    that their words would be lost without a word."""
    blocks: list[str] = []
    for child in container:
        tag = child.tag
        if tag == f"{_W}p":
            blocks.append(_paragraph(child))
            for box in _text_boxes(child):
                blocks.extend(_blocks(box))
        elif tag == f"{_W}tbl":
            rows = [_row(tr) for tr in _children(child, f"{_W}tr")]
            blocks.append("\n".join(r for r in rows if r.strip()))
        elif tag in _WRAPPERS:
            blocks.extend(_blocks(child))
    return [b.replace("\r", "\n").replace("\x0b", "\n").strip() for b in blocks]


def _children(node, tag: str):
    """``node``'s children called ``tag``, looking through wrappers."""
    for child in node:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _row(tr) -> str:
    cells = [" ".join(b for b in _blocks(tc) if b) for tc in _children(tr, f"{_W}tc")]
    return "\t".join(cells).rstrip()


def _runs(node):
    for child in node:
        tag = child.tag
        if tag == f"{_W}r":
            yield child
        elif tag not in _SKIP and tag != f"{_W}txbxContent":
            yield from _runs(child)


def _paragraph(p) -> str:
    # A run's text as python-docx reads it: w:t, tabs and breaks.
    return "".join(r.text or "" for r in _runs(p))


def _text_boxes(node):
    """The outermost text boxes inside ``node`` (not the fallback copies)."""
    for child in node:
        if child.tag == f"{_W}txbxContent":
            yield child
        elif child.tag not in (f"{_MC}Fallback", f"{_W}del", f"{_W}moveFrom"):
            yield from _text_boxes(child)


def parse(path: Path) -> ParsedDocument:
    """Read a Word document; zip bombs and oversized parts are refused before reading."""
    read_bytes(path)
    check_archive(path, "a Word document")
    try:
        import docx

        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(
            f"is not a readable Word document ({exc.__class__.__name__}); "
            "open it in Word or LibreOffice and save it again as .docx"
        ) from None
    except Exception as exc:  # python-docx raises several kinds on corrupt parts
        raise ParseError(f"is not a readable Word document ({exc}); save it again as .docx") from None
    text = require_text("\n\n".join(b for b in _blocks(document.element.body) if b))
    return ParsedDocument(text=text, format="docx", turns=detect_turns(text), encoding=None)
