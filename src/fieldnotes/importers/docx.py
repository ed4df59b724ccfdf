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


def _blocks(container) -> list[str]:
    from docx.table import Table

    blocks: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = " ".join(b for b in _blocks(cell) if b)
                    if not cells or cells[-1] != value:  # merged cells repeat
                        cells.append(value)
                rows.append("\t".join(cells).rstrip())
            blocks.append("\n".join(r for r in rows if r.strip()))
        else:
            blocks.append(item.text)
    return [b.replace("\r", "\n").replace("\x0b", "\n").strip() for b in blocks]


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
    text = require_text("\n\n".join(b for b in _blocks(document) if b))
    return ParsedDocument(text=text, format="docx", turns=detect_turns(text), encoding=None)
