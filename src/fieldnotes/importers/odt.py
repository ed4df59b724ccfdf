"""OpenDocument text (.odt): headings, paragraphs, lists and tables in order."""

from __future__ import annotations

import zipfile
from pathlib import Path

from fieldnotes.importers.archive import MAX_ODT_XML_BYTES, check_archive
from fieldnotes.importers.base import ParsedDocument, ParseError, read_bytes, require_text
from fieldnotes.importers.turns import detect_turns


def _walk(node, blocks: list[str]) -> None:
    from odf import teletype

    for child in node.childNodes:
        tag = getattr(child, "qname", None)
        if not tag:
            continue
        local = tag[1]
        if local in {"p", "h"}:
            blocks.append(teletype.extractText(child).strip())
        elif local == "table-row":
            cells = []
            for cell in child.childNodes:
                if getattr(cell, "qname", (None, None))[1] == "table-cell":
                    parts: list[str] = []
                    _walk(cell, parts)
                    cells.append(" ".join(p for p in parts if p))
            blocks.append("\t".join(cells).rstrip())
        elif local in {"tracked-changes", "sequence-decls"}:
            continue
        else:
            _walk(child, blocks)


def parse(path: Path) -> ParsedDocument:
    """Read a OpenDocument text; zip bombs and oversized parts are refused before reading."""
    read_bytes(path)
    check_archive(path, "an OpenDocument text", MAX_ODT_XML_BYTES)
    try:
        from odf.opendocument import load

        document = load(str(path))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ParseError(
            f"is not a readable OpenDocument text ({exc.__class__.__name__}); save it again as .odt"
        ) from None
    except Exception as exc:
        raise ParseError(f"is not a readable OpenDocument text ({exc}); save it again as .odt") from None
    blocks: list[str] = []
    _walk(document.text, blocks)
    text = require_text("\n\n".join(b for b in blocks if b))
    return ParsedDocument(text=text, format="odt", turns=detect_turns(text), encoding=None)
