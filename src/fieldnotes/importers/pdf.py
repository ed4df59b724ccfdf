"""PDF files whose text can be extracted (not scans)."""

from __future__ import annotations

import logging
from pathlib import Path

from fieldnotes.importers.base import ParsedDocument, ParseError, normalise_newlines, read_bytes
from fieldnotes.importers.turns import detect_turns


def parse(path: Path) -> ParsedDocument:
    read_bytes(path)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise ParseError("is a password-protected PDF; remove the password, then import it")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ParseError(f"is not a readable PDF ({exc}); save or export it again as PDF") from None
    text = normalise_newlines("\n\n".join(p.strip() for p in pages if p.strip()))
    if not text.strip():
        raise ParseError(
            f"has no extractable text in its {len(pages)} page(s): it looks like a scanned PDF. "
            "Run OCR on it first (for example with ocrmypdf), then import the result"
        )
    return ParsedDocument(text=text, format="pdf", turns=detect_turns(text), encoding=None)
